import { z } from 'zod';

// Every call the renderer can make. The main process implements each once (electron/services/api);
// the preload (IPC) and the loopback HTTP server are two transports for the same table.

const id = z.number().int().positive();

export const verdictSchema = z.enum(['confirm', 'false_positive', 'escalate', 'skip']);
export const queueStatusSchema = z.enum(['pending', 'confirmed', 'false_positive', 'escalated', 'skipped']);
export const signalTypeSchema = z.enum(['pdq', 'md5', 'sha256', 'video_md5']);

export const matchSchema = z.object({
  id,
  matcher: z.enum(['local', 'hma']),
  bankName: z.string(),
  contentRef: z.string(),
  signalType: z.string(),
  signal: z.string().nullable(),
  distance: z.number().int(),
  label: z.string().nullable(),
});

export const mediaSchema = z.object({
  id,
  source: z.string(),
  sourceRef: z.string(),
  fileName: z.string().nullable(),
  mime: z.string().nullable(),
  format: z.string().nullable(),
  byteLength: z.number().int().nonnegative(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  exifOrientation: z.number().int().nullable(),
  md5: z.string(),
  sha1: z.string().nullable(),
  sha256: z.string(),
  pdq: z.string().nullable(),
  pdqQuality: z.number().int().nullable(),
  context: z.record(z.string(), z.unknown()),
  createdAt: z.number().int(),
});

export const decisionSchema = z.object({
  id,
  queueItemId: id,
  verdict: verdictSchema,
  reviewer: z.string(),
  reason: z.string().nullable(),
  note: z.string().nullable(),
  decidedAt: z.number().int(),
  undoneAt: z.number().int().nullable(),
  undoneBy: z.string().nullable(),
});

export const actionStateSchema = z.enum(['pending', 'running', 'done', 'failed', 'cancelled']);

export const actionSchema = z.object({
  id,
  decisionId: id,
  kind: z.string(),
  label: z.string(),
  params: z.record(z.string(), z.unknown()),
  state: actionStateSchema,
  notBefore: z.number().int(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  compensatesActionId: z.number().int().nullable(),
  updatedAt: z.number().int(),
});

export const feedbackReportSchema = z.object({
  byBankAndDistance: z.array(
    z.object({ matcher: z.string(), bankName: z.string(), signalType: z.string(), distance: z.number().int(), confirmed: z.number().int(), falsePositive: z.number().int() }),
  ),
  byBank: z.array(z.object({ matcher: z.string(), bankName: z.string(), confirmed: z.number().int(), falsePositive: z.number().int(), falsePositiveRate: z.number() })),
});

export const actionPlanInputSchema = z
  .object({
    undoWindowMs: z.number().int().min(0).max(3_600_000),
    confirm: z
      .object({
        quarantineMedia: z.boolean(),
        redactEvent: z.boolean(),
        quarantineSenderMedia: z.boolean(),
        notifyManagementRoom: z.boolean(),
        addToLocalBank: z.string().trim().min(1).max(100).nullable(),
        addToHmaBank: z.string().trim().min(1).max(100).nullable(),
      })
      .strict(),
    falsePositive: z
      .object({
        disableLocalContent: z.boolean(),
        disableHmaContent: z.boolean(),
        addToNegativeBank: z.string().trim().min(1).max(100).nullable(),
        protectMedia: z.boolean(),
        notifyManagementRoom: z.boolean(),
      })
      .strict(),
  })
  .strict();

export const queueItemSchema = z.object({
  id,
  status: queueStatusSchema,
  priority: z.number().int(),
  bestDistance: z.number().int().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  media: mediaSchema,
  matches: z.array(matchSchema),
});

export const queueCountsSchema = z.object({
  pending: z.number().int(),
  confirmed: z.number().int(),
  false_positive: z.number().int(),
  escalated: z.number().int(),
  skipped: z.number().int(),
});

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.number().int(),
  actor: z.string(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const bankSchema = z.object({
  id,
  name: z.string(),
  kind: z.enum(['positive', 'negative']),
  severity: z.number().int(),
  pdqThreshold: z.number().int(),
  enabled: z.boolean(),
  contentCount: z.number().int(),
  signalCount: z.number().int(),
});

export const ingestJobSchema = z.object({
  id: z.string(),
  kind: z.enum(['folder', 'upload', 'demo']),
  label: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  total: z.number().int(),
  processed: z.number().int(),
  hashed: z.number().int(),
  matched: z.number().int(),
  failed: z.number().int(),
  errors: z.array(z.object({ file: z.string(), code: z.string(), message: z.string() })),
  startedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});

const bankName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9 _.:-]+$/, 'bank names use letters, digits, space, _ . : -');

export const contract = {
  'app.info': {
    input: z.object({}).strict(),
    output: z.object({
      version: z.string(),
      dataDir: z.string(),
      reviewer: z.string(),
      transport: z.enum(['ipc', 'http']),
      secretsProtection: z.enum(['os-keychain', 'file-0600']),
      firstRun: z.boolean(),
    }),
  },
  'demo.load': {
    input: z.object({}).strict(),
    output: z.object({ jobId: z.string() }),
  },
  'ingest.pickFolder': {
    // Opens the native folder dialog in the desktop app; the browser shell answers null (it has a path field).
    input: z.object({}).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'ingest.importFolder': {
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: z.object({ jobId: z.string() }),
  },
  'ingest.uploadFiles': {
    input: z
      .object({
        files: z
          .array(
            z
              .object({
                name: z.string().min(1).max(1024),
                dataBase64: z.string().max(90_000_000),
              })
              .strict(),
          )
          .min(1)
          .max(200),
      })
      .strict(),
    output: z.object({ jobId: z.string() }),
  },
  'ingest.jobs': {
    input: z.object({}).strict(),
    output: z.array(ingestJobSchema),
  },
  'queue.counts': {
    input: z.object({}).strict(),
    output: queueCountsSchema,
  },
  'queue.list': {
    input: z
      .object({
        status: queueStatusSchema.optional(),
        limit: z.number().int().min(1).max(500).default(100),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    output: z.object({ items: z.array(queueItemSchema), total: z.number().int() }),
  },
  'queue.get': {
    input: z.object({ id }).strict(),
    output: queueItemSchema.extend({ decisions: z.array(decisionSchema), actions: z.array(actionSchema) }),
  },
  'queue.decide': {
    input: z
      .object({
        id,
        verdict: verdictSchema,
        reason: z.string().trim().max(200).optional(),
        note: z.string().max(4000).optional(),
      })
      .strict(),
    output: z.object({
      decision: decisionSchema,
      status: queueStatusSchema,
      actions: z.array(z.object({ id, kind: z.string() })),
      undoUntil: z.number().int(),
    }),
  },
  'decisions.undo': {
    input: z.object({ decisionId: id }).strict(),
    output: z.object({
      decisionId: id,
      cancelled: z.number().int(),
      compensations: z.array(z.object({ actionId: id, kind: z.string() })),
      irreversible: z.array(z.object({ actionId: id, kind: z.string() })),
    }),
  },
  'actions.list': {
    input: z.object({ state: actionStateSchema.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.array(actionSchema),
  },
  'actions.retry': {
    input: z.object({ id }).strict(),
    output: z.object({ retried: z.boolean() }),
  },
  'feedback.report': {
    input: z.object({}).strict(),
    output: feedbackReportSchema,
  },
  'feedback.export': {
    input: z.object({ format: z.enum(['csv', 'json']) }).strict(),
    output: z.object({ fileName: z.string(), mime: z.string(), text: z.string() }),
  },
  'settings.getActionPlans': {
    input: z.object({}).strict(),
    output: actionPlanInputSchema,
  },
  'settings.setActionPlans': {
    input: actionPlanInputSchema,
    output: actionPlanInputSchema,
  },
  'media.preview': {
    // Blurred and greyscale unless reveal is true; the full image is produced only on a deliberate reveal.
    input: z.object({ mediaId: id, reveal: z.boolean() }).strict(),
    output: z.union([
      z.object({ kind: z.literal('image'), mime: z.string(), dataBase64: z.string(), revealed: z.boolean() }),
      z.object({ kind: z.literal('unavailable'), reason: z.string() }),
    ]),
  },
  'banks.list': {
    input: z.object({}).strict(),
    output: z.array(bankSchema),
  },
  'banks.create': {
    input: z
      .object({
        name: bankName,
        kind: z.enum(['positive', 'negative']).default('positive'),
        severity: z.number().int().min(0).max(100).default(50),
        pdqThreshold: z.number().int().min(0).max(128).default(31),
      })
      .strict(),
    output: bankSchema,
  },
  'banks.importCsv': {
    // CSV of signal_type,signal,label (header optional). Creates the bank if it does not exist.
    input: z.object({ bankName, csv: z.string().max(200_000_000) }).strict(),
    output: z.object({
      bank: bankSchema,
      added: z.number().int(),
      duplicates: z.number().int(),
      rejected: z.array(z.object({ line: z.number().int(), message: z.string() })),
    }),
  },
  'audit.list': {
    input: z
      .object({ limit: z.number().int().min(1).max(500).default(100), beforeSeq: z.number().int().positive().optional() })
      .strict(),
    output: z.array(auditEntrySchema),
  },
  'audit.verify': {
    input: z.object({}).strict(),
    output: z.object({ ok: z.boolean(), rows: z.number().int(), firstBadSeq: z.number().int().nullable(), problem: z.string().nullable() }),
  },
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type CallInput<N extends CallName> = z.input<Contract[N]['input']>;
export type ParsedInput<N extends CallName> = z.output<Contract[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Contract[N]['output']>;

/** What the renderer holds: one async function per call. */
export type MatchdeskApi = { [N in CallName]: (input: CallInput<N>) => Promise<CallOutput<N>> };
/** What the main process implements: handlers receive already-validated input. */
export type ContractHandlers = { [N in CallName]: (input: ParsedInput<N>) => Promise<CallOutput<N>> | CallOutput<N> };

export const callNames = Object.keys(contract) as CallName[];

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export type QueueItem = z.output<typeof queueItemSchema>;
export type QueueCounts = z.output<typeof queueCountsSchema>;
export type Decision = z.output<typeof decisionSchema>;
export type Verdict = z.output<typeof verdictSchema>;
export type QueueStatus = z.output<typeof queueStatusSchema>;
export type Media = z.output<typeof mediaSchema>;
export type Match = z.output<typeof matchSchema>;
export type Bank = z.output<typeof bankSchema>;
export type AuditEntry = z.output<typeof auditEntrySchema>;
export type IngestJob = z.output<typeof ingestJobSchema>;
export type OutboxAction = z.output<typeof actionSchema>;
export type FeedbackReport = z.output<typeof feedbackReportSchema>;
export type ActionPlans = z.output<typeof actionPlanInputSchema>;
