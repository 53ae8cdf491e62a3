import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContractHandlers } from '../../../shared/contract';
import { ContractError } from '../../../shared/result';
import type { Services } from '../app-services';
import { createDemoSet } from '../demo/demo-media';
import { previewNote } from '../media/preview';
import { HashError } from '../hashing';
import { actionPlanSchema } from '../decisions/action-plans';
import { desktopSettingsSchema } from '../settings/desktop-settings';
import { listActions } from '../decisions/action-list';
import { feedbackCsv, feedbackReport } from '../decisions/feedback';
import { hmaHandlers } from '../hma-link/hma-handlers';
import { actionInWords } from '../decisions/action-words';
import { createQueueHandlers, type QueueCallName } from './queue-handlers';
import { sessionHandlers } from './session-handlers';
import { bankAdminHandlers } from './bank-admin-handlers';
import { checkHandlers } from './check-handlers';

export const DEMO_BANK_NAME = 'Demo bank (harmless samples)';
const PREVIEW_MAX_FILE_BYTES = 200 * 1024 * 1024;

async function mediaBytes(services: Services, mediaId: number): Promise<Buffer | { unavailable: string }> {
  const media = services.media.get(mediaId);
  if (!media) throw new ContractError('not_found', `Media ${mediaId} does not exist`);
  if (media.vaultRef) {
    const bytes = services.vault.get(media.vaultRef);
    return bytes ?? { unavailable: 'The media was purged from the encrypted store (retention period).' };
  }
  if (media.source === 'local_file' || media.source === 'demo') {
    try {
      const info = await stat(media.sourceRef);
      if (info.size > PREVIEW_MAX_FILE_BYTES) return { unavailable: 'The file is too large to preview.' };
      const bytes = await readFile(media.sourceRef);
      if (createHash('sha256').update(bytes).digest('hex') !== media.sha256) {
        return { unavailable: 'The file changed on disk since it was imported.' };
      }
      return bytes;
    } catch {
      return { unavailable: 'The file is no longer where it was imported from.' };
    }
  }
  return { unavailable: 'No bytes are held for this media item.' };
}

export function createHandlers(services: Services): ContractHandlers {
  const core = {
    'app.info': (_input, ctx) => ({
      version: services.version,
      dataDir: ctx.host === 'local' ? services.dataDir : '',
      reviewer: ctx.actor,
      transport: services.transport,
      secretsProtection: services.secrets.protection,
      firstRun: services.isFirstRun(),
      role: ctx.role,
      host: ctx.host,
    }),

    'demo.load': async (_input, ctx) => {
      const demo = await createDemoSet(join(services.dataDir, 'demo-media'));
      const bank = services.banks.ensure({ name: DEMO_BANK_NAME, severity: 60 });
      for (const original of demo.bankOriginals) {
        const hashes = await services.pool.hashBytes(new Uint8Array(original.bytes));
        const signals: { type: 'pdq' | 'md5'; signal: string }[] = [{ type: 'md5', signal: hashes.md5 }];
        if (hashes.pdq) signals.push({ type: 'pdq', signal: hashes.pdq });
        services.banks.addContent(bank.id, signals, { label: original.label, note: 'Generated demo picture' });
      }
      services.audit.append({ actor: ctx.actor, action: 'demo.load', subject: `bank:${bank.name}`, details: {} });
      return { jobId: services.ingest.importFolder(demo.folder, 'demo', 'demo', ctx.actor).id };
    },

    'ingest.pickFolder': async () => ({ path: services.pickFolder ? await services.pickFolder() : null }),

    'ingest.importFolder': async ({ path }, ctx) => {
      try {
        if (!(await stat(path)).isDirectory()) throw new Error('not a folder');
      } catch {
        throw new ContractError('not_found', `No folder at ${path}`);
      }
      return { jobId: services.ingest.importFolder(path, 'folder', 'local_file', ctx.actor).id };
    },

    'ingest.uploadFiles': ({ files }, ctx) => {
      const decoded = files.map((f) => ({ name: f.name, bytes: new Uint8Array(Buffer.from(f.dataBase64, 'base64')) }));
      return { jobId: services.ingest.importUploads(decoded, ctx.actor).id };
    },

    'ingest.jobs': () => services.ingest.jobs.list(),

    // queue.counts, queue.list, queue.get and the other review-queue calls: ./queue-handlers.ts
    'queue.decide': (input, ctx) => {
      const plans = services.settings.get('actionPlans', actionPlanSchema);
      if (input.verdict === 'false_positive' && plans.falsePositive.requireReason && !input.reason) {
        throw new ContractError('invalid_input', 'A false positive needs a reason here (Settings → What a decision does): pick one.', [{ path: 'reason', message: 'pick a reason' }]);
      }
      const result = services.decisions.decide({ ...input, reviewer: ctx.actor });
      const params = services.db.prepare('SELECT id, params_json FROM actions WHERE decision_id = ?').all(result.decision.id) as { id: number; params_json: string }[];
      const paramsById = new Map(params.map((a) => [a.id, JSON.parse(a.params_json) as Record<string, unknown>]));
      const actions = result.actions.map((a) => ({ ...a, label: actionInWords(a.kind, paramsById.get(a.id) ?? {}) }));
      return { ...result, actions, undoUntil: result.decision.decidedAt + plans.undoWindowMs };
    },
    'decisions.undo': ({ decisionId }, ctx) => services.decisions.undo(decisionId, ctx.actor),
    'actions.list': (input) => listActions(services.db, input),
    'actions.retry': ({ id }) => ({ retried: services.outbox.retry(id) }),
    'feedback.report': () => feedbackReport(services.db),
    'feedback.export': ({ format }, ctx) => {
      const report = feedbackReport(services.db);
      const stamp = new Date().toISOString().slice(0, 10);
      services.audit.append({ actor: ctx.actor, action: 'feedback.export', subject: null, details: { format } });
      return format === 'csv'
        ? { fileName: `matchdesk-feedback-${stamp}.csv`, mime: 'text/csv', text: feedbackCsv(report) }
        : { fileName: `matchdesk-feedback-${stamp}.json`, mime: 'application/json', text: JSON.stringify(report, null, 2) };
    },
    'settings.getActionPlans': () => services.settings.get('actionPlans', actionPlanSchema),
    'settings.setActionPlans': (input, ctx) => {
      services.settings.set('actionPlans', input);
      services.audit.append({ actor: ctx.actor, action: 'settings.actionPlans', subject: null, details: input });
      return services.settings.get('actionPlans', actionPlanSchema);
    },

    'media.preview': async ({ mediaId, reveal }, ctx) => {
      const bytes = await mediaBytes(services, mediaId);
      if (!Buffer.isBuffer(bytes)) return { kind: 'unavailable', reason: bytes.unavailable };
      const refused = services.media.get(mediaId)?.refused;
      if (refused) return { kind: 'unavailable', reason: `Refused (${refused.code}): ${refused.reason}` };
      try {
        // Decoded in an isolated decoder process, never here.
        const preview = await services.pool.renderPreview(new Uint8Array(bytes), { reveal });
        if (reveal) services.audit.append({ actor: ctx.actor, action: 'media.reveal', subject: `media:${mediaId}`, details: {} });
        return { kind: 'image', mime: preview.mime, dataBase64: Buffer.from(preview.data).toString('base64'), revealed: reveal, note: reveal ? previewNote(preview) : null };
      } catch (error) {
        const why = error instanceof HashError ? `${error.message} (${error.code})` : 'the decoder failed';
        return { kind: 'unavailable', reason: `This file cannot be shown as a picture: ${why}.` };
      }
    },

    'banks.list': () => services.banks.list(),
    'banks.create': (input, ctx) => {
      if (services.banks.find(input.name)) throw new ContractError('conflict', `A bank named ${input.name} already exists`);
      const bank = services.banks.create(input);
      services.audit.append({ actor: ctx.actor, action: 'bank.create', subject: `bank:${bank.name}`, details: { kind: bank.kind } });
      return bank;
    },
    'banks.importCsv': ({ bankName, csv }, ctx) => {
      const result = services.banks.importCsv(bankName, csv);
      services.audit.append({
        actor: ctx.actor,
        action: 'bank.import',
        subject: `bank:${bankName}`,
        details: { added: result.added, duplicates: result.duplicates, rejected: result.rejected.length },
      });
      return result;
    },

    ...hmaHandlers(services),
    ...sessionHandlers(services),
    ...bankAdminHandlers(services),
    'matrix.status': () => services.matrix.status(),
    'matrix.signIn': (input, ctx) => services.matrix.signIn(input, ctx.actor),
    'matrix.signOut': (_input, ctx) => services.matrix.signOut(ctx.actor),
    'matrix.updateOptions': (input, ctx) => services.matrix.updateOptions(input, ctx.actor),
    'matrix.pollNow': () => services.matrix.pollNow(),
    'banks.importJson': ({ bankName, data }, ctx) => {
      const result = services.banks.importJson(bankName, data);
      services.audit.append({ actor: ctx.actor, action: 'bank.import', subject: `bank:${bankName}`, details: { format: 'json', added: result.added, duplicates: result.duplicates, rejected: result.rejected.length } });
      return result;
    },
    'banks.startImport': async (input, ctx) => {
      const start = { bankName: input.bankName, format: input.format, actor: ctx.actor, newBank: { kind: input.newBankKind } };
      if (input.text !== undefined) return { jobId: (await services.bankImports.startFromText(input.text, start)).id };
      if (!services.localFileImports) throw new ContractError('forbidden', 'This server does not read files from its own disk: upload the file instead.');
      return { jobId: (await services.bankImports.startFromFile(input.path!, start)).id };
    },
    'banks.pickImportFile': async () => ({ path: (await services.pickImportFile?.()) ?? null }),
    'banks.cancelImport': ({ jobId }, ctx) => {
      const cancelled = services.bankImports.cancel(jobId);
      if (cancelled) services.audit.append({ actor: ctx.actor, action: 'bank.import.cancel', subject: `import:${jobId}`, details: {} });
      return { cancelled };
    },
    'banks.importJobs': () => services.bankImports.list(),
    'banks.export': ({ bankName, format }, ctx) => {
      const text = format === 'csv' ? services.banks.exportCsv(bankName) : JSON.stringify(services.banks.exportJson(bankName));
      if (text === null || text === 'null') throw new ContractError('not_found', `No bank named ${bankName}`);
      services.audit.append({ actor: ctx.actor, action: 'bank.export', subject: `bank:${bankName}`, details: { format } });
      const safe = bankName.replace(/[^\p{L}\p{N}_.-]+/gu, '_');
      return { fileName: `${safe}.${format}`, mime: format === 'csv' ? 'text/csv' : 'application/json', text };
    },
    'banks.update': ({ bankName, ...patch }, ctx) => {
      const bank = services.banks.update(bankName, patch);
      if (!bank) throw new ContractError('not_found', `No bank named ${bankName}`);
      services.audit.append({ actor: ctx.actor, action: 'bank.update', subject: `bank:${bankName}`, details: patch });
      return bank;
    },
    'settings.getDesktop': () => services.settings.get('desktop', desktopSettingsSchema),
    'settings.setDesktop': (input, ctx) => {
      services.settings.set('desktop', input);
      services.audit.append({ actor: ctx.actor, action: 'settings.desktop', subject: null, details: input });
      return services.settings.get('desktop', desktopSettingsSchema);
    },
    'audit.list': ({ limit, beforeSeq }) =>
      services.audit.list(limit, beforeSeq).map((row) => ({
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        details: JSON.parse(row.details_json) as Record<string, unknown>,
        hash: row.hash,
      })),
    'audit.verify': () => {
      const sealed = services.auditSeal.sealed();
      return services.audit.verify({ heads: sealed ? [sealed] : [] });
    },
    'audit.anchor': () => services.auditAnchors.anchorNow(),
    ...checkHandlers(services),
    // Sessions exist only on a team server, which answers these calls itself (electron/server).
    'sessions.list': () => [],
    'sessions.revoke': () => {
      throw new ContractError('not_found', 'There are no team sessions on this machine');
    },
  } satisfies Omit<ContractHandlers, Exclude<QueueCallName, 'queue.decide' | 'media.preview' | 'decisions.undo'>>;
  return { ...core, ...createQueueHandlers(services, core) };
}
