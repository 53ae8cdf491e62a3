import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { callNames } from '../../shared/contract';
import type { CallContext } from '../../shared/call-context';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { createApi, localContext } from '../../electron/services/api/compose';
import { CALL_REQUIREMENTS, authorise, requirementFor } from '../../electron/services/api/authorisation';
import type { ContextDispatch } from '../../electron/services/api/dispatcher';
import { tempDir } from '../helpers/temp-dir';

const reviewer: CallContext = { actor: '@rita:hs.test', role: 'reviewer', host: 'team', sessionId: 's1' };
const lead: CallContext = { actor: '@lena:hs.test', role: 'lead', host: 'team', sessionId: 's2' };

describe('the per-call authorisation table', () => {
  it('names a requirement for every call (a call missing from it would need a lead)', () => {
    const missing = callNames.filter((name) => !(name in CALL_REQUIREMENTS));
    expect(missing).toEqual([]);
  });

  it('lets a local console make every call, and keeps local-only calls off the team server', () => {
    const local: CallContext = { actor: 'me', role: 'lead', host: 'local' };
    for (const name of callNames) expect(authorise(name, local), name).toBeNull();
    const localOnly = callNames.filter((name) => requirementFor(name) === 'local');
    expect(localOnly).toEqual(expect.arrayContaining(['ingest.pickFolder', 'ingest.importFolder']));
    for (const name of localOnly) expect(authorise(name, lead)?.code, name).toBe('forbidden');
  });

  it('gives reviewers the review calls and keeps banks, settings and credentials for leads', () => {
    for (const name of ['queue.list', 'queue.decide', 'queue.decideMany', 'claims.acquire', 'media.preview', 'wellbeing.get'] as const) {
      expect(authorise(name, reviewer), name).toBeNull();
    }
    for (const name of ['banks.create', 'banks.update', 'settings.setActionPlans', 'hma.saveSettings', 'matrix.signIn', 'wellbeing.setDefaults', 'audit.list', 'actions.retry'] as const) {
      expect(authorise(name, reviewer)?.code, name).toBe('forbidden');
      expect(authorise(name, lead), name).toBeNull();
    }
  });
});

describe('the dispatcher passes the caller to the handlers', () => {
  const temp = tempDir();
  let services: Services;
  let dispatch: ContextDispatch;

  beforeAll(() => {
    services = createServices({ dataDir: temp.dir, version: 'test', transport: 'http', secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec), workers: 1, startDispatcher: false, resumeMatrix: false });
    dispatch = createApi(services, { checkOutputs: true });
  });
  afterAll(async () => {
    await services.close();
    temp.cleanup();
  });

  it('refuses a call the role does not allow before looking at its input', async () => {
    const refused = await dispatch('banks.create', { name: 42 }, reviewer);
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await dispatch('banks.create', { name: 42 }, lead)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(services.banks.list()).toHaveLength(0);
  });

  it('attributes decisions, claims and audit entries to the caller, not to the process', async () => {
    services.db.prepare("INSERT INTO media_items (id, source, source_ref, byte_length, md5, sha256, created_at) VALUES (1, 'local_file', '/x', 1, 'a', 'b', 0)").run();
    const id = services.queue.enqueue(1, [{ matcher: 'local', bankName: 'B', contentRef: '1', signalType: 'md5', signal: 'a', distance: 0, label: null, severity: 50 }]);
    const claimed = await dispatch('claims.acquire', { queueItemId: id, sessionId: 'window-0001' }, reviewer);
    expect(claimed).toMatchObject({ ok: true, value: { acquired: true, claim: { reviewer: '@rita:hs.test' } } });
    const decided = await dispatch('queue.decide', { id, verdict: 'escalate', sessionId: 'window-0001' }, reviewer);
    expect(decided).toMatchObject({ ok: true, value: { decision: { reviewer: '@rita:hs.test' } } });
    const info = await dispatch('app.info', {}, reviewer);
    expect(info).toMatchObject({ ok: true, value: { reviewer: '@rita:hs.test' } });
    const audit = services.audit.list(10).find((row) => row.action === 'decision.escalate');
    expect(audit?.actor).toBe('@rita:hs.test');
    expect(localContext(services)).toEqual({ actor: services.reviewer, role: 'lead', host: 'local' });
  });
});
