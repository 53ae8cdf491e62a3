import { z } from 'zod';
import { checkServiceUrl } from './url-policy';
import { ROLES, type CallContext } from './call-context';

// Every call the renderer can make. The main process implements each once (electron/services/api);
// the preload (IPC) and the loopback HTTP server are two transports for the same table.

const id = z.number().int().positive();

/** A whole number in a range, refused in plain words (settings forms show the message as it is). */
export function wholeNumber(what: string, min: number, max: number) {
  const message = `${what} must be a whole number from ${min} to ${max}`;
  return z.number({ error: `${what} is missing: enter a whole number from ${min} to ${max}` }).int(message).min(min, message).max(max, message);
}

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
  /** The bank's severity when matched (0–100). */
  severity: z.number().int().nullable().optional(),
  /** Which dihedral transform of the media matched (PDQ), when the matcher says. */
  variant: z.string().nullable().optional(),
  /** Which part of a Matrix event matched: 'media', 'thumbnail', 'new_media' or 'new_thumbnail' (an edit's). */
  part: z.string().nullable().optional(),
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
  /** Set when the isolated decoder refused the file: the typed code and the reason shown to the reviewer. */
  refused: z.object({ code: z.string(), reason: z.string() }).nullable().optional(),
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

export const extraActionsSchema = z
  .object({
    quarantineSenderMedia: z.boolean(),
    quarantineRoomMedia: z.boolean(),
    redactSenderEvents: z.boolean(),
    /** Add the item's media (every hashed part of a Matrix event) to this local bank; undone with the decision. */
    addToBank: z.string().trim().min(1).max(100),
  })
  .partial()
  .strict();
export type ExtraActions = z.output<typeof extraActionsSchema>;

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
    undoWindowMs: z
      .number({ error: 'The undo window is missing: enter a whole number of seconds from 0 to 3600' })
      .int('The undo window must be a whole number of seconds from 0 to 3600')
      .min(0, 'The undo window must be a whole number of seconds from 0 to 3600')
      .max(3_600_000, 'The undo window must be a whole number of seconds from 0 to 3600'),
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
        /** A false positive must give a reason (the f key then asks for one). */
        requireReason: z.boolean().default(false),
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
  /** How many users reported it (Matrix event reports); 0 when it is queued only for a match. */
  reportCount: z.number().int().nonnegative(),
  /** The active lease on the item, if any (see claims.*). */
  claim: z.lazy(() => claimSchema).nullable().optional(),
  /** On a team server: the caller skipped this item and nobody else has had it since (not served to them again yet). */
  skippedByMe: z.boolean().optional(),
  /** Who escalated it, for an escalated item (its second review goes to someone else). */
  escalatedBy: z.string().nullable().optional(),
  /** The latest time a new report took it back to the queue after a decision (false positive or skip), and from what. */
  reopened: z
    .object({ at: z.number().int(), previousStatus: queueStatusSchema, decidedBy: z.string().nullable() })
    .nullable()
    .optional(),
});

/** One user report of a Matrix event (reason and score as the reporter gave them: untrusted text). */
export const reportSchema = z.object({
  id: z.number().int(),
  reporter: z.string(),
  reason: z.string().nullable(),
  score: z.number().int().nullable(),
  receivedTs: z.number().int(),
});

/** One mxc:// a Matrix event carries, and what became of it. */
export const eventPartSchema = z.object({
  part: z.string(),
  mxc: z.string(),
  /** hashed (and matched); encrypted (ciphertext: not hashable); skipped (not needed); failed (see error) */
  state: z.enum(['hashed', 'encrypted', 'skipped', 'failed']),
  error: z.string().nullable(),
  declaredMime: z.string().nullable(),
  declaredWidth: z.number().int().nullable(),
  declaredHeight: z.number().int().nullable(),
  /** The part's own media record (hashes, preview), when it was hashed. */
  media: mediaSchema.nullable(),
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
  /** Who started it (on a team server, the signed-in moderator). */
  actor: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  total: z.number().int(),
  processed: z.number().int(),
  hashed: z.number().int(),
  matched: z.number().int(),
  failed: z.number().int(),
  /** Files the isolated decoder refused (too many pixels, broken, out of memory, timed out, crashed): stored with their digests, each listed in errors with its reason. */
  refused: z.number().int(),
  lookupFailed: z.number().int(),
  errors: z.array(z.object({ file: z.string(), code: z.string(), message: z.string() })),
  startedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});

// ---- review queue: filters, claims, history, statistics, wellbeing (queue.*, claims.*, stats.*, wellbeing.*) ----

export const queueSortSchema = z.enum(['priority', 'oldest', 'newest', 'distance']);
/** Why items are in the queue: a user reported them, a bank matched them, or both (or one without the other). */
export const queueTriggerSchema = z.enum(['reported', 'matched', 'reported_and_matched', 'reported_only', 'matched_only']);
export const queueFilterSchema = z.object({
  status: queueStatusSchema.optional(),
  bank: z.string().trim().min(1).max(100).optional(),
  signalType: z.string().trim().min(1).max(20).optional(),
  source: z.string().trim().min(1).max(40).optional(),
  room: z.string().trim().min(1).max(300).optional(),
  sender: z.string().trim().min(1).max(300).optional(),
  trigger: queueTriggerSchema.optional(),
  minDistance: z.number().int().min(0).max(256).optional(),
  maxDistance: z.number().int().min(0).max(256).optional(),
  /** Only items that have waited at least / at most this long. */
  minAgeMs: z.number().int().min(0).optional(),
  maxAgeMs: z.number().int().min(0).optional(),
  /** A hash (MD5, SHA-256, PDQ), an event id ($…), a user id (@…), a room id (!…), an mxc:// URI or media id, a queue item number, or a file name prefix. */
  search: z.string().trim().max(300).optional(),
  sort: queueSortSchema.default('priority'),
});
export const sessionIdSchema = z.string().min(8).max(100).regex(/^[A-Za-z0-9_-]+$/);
export const claimSchema = z.object({
  queueItemId: id,
  reviewer: z.string(),
  sessionId: z.string(),
  claimedAt: z.number().int(),
  expiresAt: z.number().int(),
});
export const historyEntrySchema = decisionSchema
  .pick({ queueItemId: true, verdict: true, reviewer: true, reason: true, note: true, decidedAt: true, undoneAt: true })
  .extend({
    relation: z.enum(['same_hash', 'same_sender']),
    decisionId: id,
    fileName: z.string().nullable(),
    sender: z.string().nullable(),
  });
export const matchEvidenceSchema = z.object({
  matchId: id,
  bankSeverity: z.number().int().nullable(),
  /** The PDQ distance at or under which this bank matches (the local bank's threshold, HMA's 31), for PDQ matches. */
  pdqThreshold: z.number().int().nullable().optional(),
  contentNote: z.string().nullable(),
  contentMetadata: z.record(z.string(), z.unknown()),
});
export const wellbeingSettingsSchema = z
  .object({
    /** CSS blur radius of unrevealed media, in pixels. */
    blurPx: z.number().int().min(4).max(80),
    greyscale: z.boolean(),
    /** Keeps all media blurred: reveal is refused. */
    quietMode: z.boolean(),
    /** toggle: r or a click reveals until the next r, click or item; hold: only while r is held down. */
    revealMode: z.enum(['toggle', 'hold']),
    breakEveryMinutes: z.number().int().min(5).max(480),
    breakMinutes: z.number().int().min(1).max(120),
    /** A gentle warning after this many reveals in a day (0: never). */
    dailyRevealSoftLimit: z.number().int().min(0).max(100_000),
  })
  .strict();
export const wellbeingStateSchema = z.object({
  defaults: wellbeingSettingsSchema,
  mine: wellbeingSettingsSchema.partial(),
  effective: wellbeingSettingsSchema,
  revealedToday: z.number().int(),
  day: z.string(),
  /** Minutes today in which this reviewer did review work (only they see it). */
  activeMinutesToday: z.number().int().optional(),
});
const verdictCounts = { confirm: z.number().int(), false_positive: z.number().int(), escalate: z.number().int(), skip: z.number().int() };
export const statsOverviewSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  bucketMs: z.number().int(),
  queueDepth: z.array(z.object({ at: z.number().int(), open: z.number().int(), escalated: z.number().int() })),
  decisionsPerHour: z.array(z.object({ hour: z.number().int(), ...verdictCounts })),
  timeToDecision: z.array(z.object({ bucket: z.string(), upToMs: z.number().int().nullable(), count: z.number().int() })),
  timeToDecisionP50Ms: z.number().int().nullable(),
  timeToDecisionP90Ms: z.number().int().nullable(),
  totals: z.object(verdictCounts),
  /** Reported and matched items apart: what arrived in the period, what is open now, and the decisions on them. */
  byTrigger: z.array(
    z.object({
      trigger: z.enum(['reported_only', 'matched_only', 'reported_and_matched']),
      arrived: z.number().int(),
      open: z.number().int(),
      reports: z.number().int(),
      ...verdictCounts,
    }),
  ),
});

const rejectedRowsSchema = z.array(z.object({ line: z.number().int(), message: z.string() }));
const bankImportResultSchema = z.object({ bank: bankSchema, added: z.number().int(), duplicates: z.number().int(), rejected: rejectedRowsSchema });

export const bankImportJobSchema = z.object({
  id: z.string(),
  bankName: z.string(),
  format: z.enum(['csv', 'json']),
  fileName: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  /** reading the file, then adding the rows read to the bank. */
  phase: z.enum(['reading', 'adding', 'finished']),
  /** Rows (or JSON content items) read so far. */
  total: z.number().int(),
  processed: z.number().int(),
  bytesTotal: z.number().int(),
  bytesRead: z.number().int(),
  staged: z.number().int(),
  merged: z.number().int(),
  added: z.number().int(),
  duplicates: z.number().int(),
  rejectedCount: z.number().int(),
  /** The first rejected rows, with line numbers; their text is escaped. */
  rejected: rejectedRowsSchema,
  error: z.string().nullable(),
  actor: z.string(),
  startedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});

const bankName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\p{L}\p{N} _.:()'&+-]+$/u, "bank names use letters, digits, spaces and _ . : ( ) ' & + -");

/** Query parameters of the streamed bank import upload (POST /upload/bank-import, body = the file). */
export const bankImportUploadSchema = z
  .object({
    bankName,
    fileName: z.string().trim().min(1).max(300),
    format: z.enum(['csv', 'json']).optional(),
    newBankKind: z.enum(['positive', 'negative']).optional(),
  })
  .strict();

export const matrixStatusSchema = z.object({
  signedIn: z.boolean(),
  homeserverUrl: z.string().nullable(),
  adminApiBaseUrl: z.string().nullable(),
  userId: z.string().nullable(),
  isAdmin: z.boolean(),
  managementRoom: z.string().nullable(),
  sources: z.object({ live: z.boolean(), reports: z.boolean(), quarantine: z.boolean() }),
  backfillHours: z.number().int(),
  maxDownloadMb: z.number().int(),
  lastError: z.string().nullable(),
  notices: z.array(z.object({ at: z.number().int(), kind: z.string(), message: z.string() })),
  encryptedRooms: z.array(z.object({ roomId: z.string(), name: z.string().nullable() })),
  stats: z.object({
    seen: z.number().int(),
    ingested: z.number().int(),
    queued: z.number().int(),
    skippedEncrypted: z.number().int(),
    skippedBySha256: z.number().int(),
    refused: z.number().int().optional(),
    failed: z.number().int(),
    lastError: z.string().nullable(),
    /** Event reports received (each becomes or joins a queue item). */
    reports: z.number().int(),
    /** Thumbnails and an edit's media: hashed and matched besides the attachment. */
    partsHashed: z.number().int(),
  }),
});

/** A homeserver, admin API or HMA URL: https unless loopback, no credentials, no whitespace (shared/url-policy.ts). */
const httpUrl = z
  .string()
  .max(2048)
  .superRefine((v, ctx) => {
    const checked = checkServiceUrl(v);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.reason });
  });

export const hmaSettingsSchema = z.object({
  enabled: z.boolean(),
  baseUrl: z.string().nullable(),
  hasherUrl: z.string().nullable(),
  matcherUrl: z.string().nullable(),
  curatorUrl: z.string().nullable(),
  requestsPerMinute: z.number().int(),
  timeoutMs: z.number().int(),
  indexRefreshSeconds: z.number().int(),
  serverTimeoutSeconds: z.number().int(),
  bankSeverity: z.record(z.string(), z.number().int()),
  keys: z.object({ all: z.boolean(), hasher: z.boolean(), matcher: z.boolean(), curator: z.boolean() }),
});

export const teamSessionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  /** What the console said it is (desktop, browser shell, and the machine's name). */
  client: z.string(),
  role: z.enum(ROLES).nullable(),
  createdAt: z.number().int(),
  lastSeenAt: z.number().int(),
  expiresAt: z.number().int(),
  /** The session this call came with. */
  current: z.boolean(),
});

export const reviewSessionSchema = z.object({
  /** When this review session started (or the last break ended), by the server's clock. */
  startedAt: z.number().int(),
  onBreakSince: z.number().int().nullable(),
  snoozedUntil: z.number().int().nullable(),
  /** The server's clock when it answered, so the timer is right whatever the local clock says. */
  now: z.number().int(),
});

export const undoResultSchema = z.object({
  decisionId: id,
  cancelled: z.number().int(),
  compensations: z.array(z.object({ actionId: id, kind: z.string() })),
  irreversible: z.array(z.object({ actionId: id, kind: z.string() })),
});

export const bankContentItemSchema = z.object({
  id,
  label: z.string().nullable(),
  note: z.string().nullable(),
  disabledUntil: z.number().int().nullable(),
  createdAt: z.number().int(),
  signals: z.array(z.object({ type: z.string(), signal: z.string() })),
});

export const botKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The start of the key (mdk_<id>), to tell which one a bot holds; the key itself is shown once, when created. */
  prefix: z.string(),
  ratePerMinute: z.number().int(),
  createdBy: z.string(),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  revokedBy: z.string().nullable(),
});

/** Per bank: block a match at or above this confidence (0–1), review below it; null: never block, always review. */
const blockAtSchema = z.number().min(0).max(1).nullable();
export const checkRulesInputSchema = z
  .object({
    defaultBlockAt: blockAtSchema,
    banks: z.record(z.string().min(1).max(200), z.object({ blockAt: blockAtSchema }).strict()),
  })
  .strict();

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
      /** The caller's role (a local console is a lead) and where the data lives: this machine, or a team server. */
      role: z.enum(ROLES).optional(),
      host: z.enum(['local', 'team']).optional(),
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
    // Paged, filtered and sorted (by default: bank severity, match strength, reports first, then age).
    input: queueFilterSchema
      .extend({
        limit: z.number().int().min(1).max(500).default(100),
        offset: z.number().int().min(0).default(0),
        /** false: skip counting (total is then -1), for pages after the first. */
        withTotal: z.boolean().default(true),
      })
      .strict(),
    output: z.object({ items: z.array(queueItemSchema), total: z.number().int() }),
  },
  'queue.get': {
    input: z.object({ id }).strict(),
    output: queueItemSchema.extend({
      decisions: z.array(decisionSchema),
      actions: z.array(actionSchema),
      /** Earlier decisions on the same hash or from the same sender (other items). */
      history: z.array(historyEntrySchema).optional(),
      evidence: z.array(matchEvidenceSchema).optional(),
      /** User reports of the item's Matrix event, newest first. */
      reports: z.array(reportSchema).optional(),
      /** Every mxc:// of the item's Matrix event (attachment, thumbnail, an edit's). */
      parts: z.array(eventPartSchema).optional(),
      /** A reported message's text (kept encrypted like media; null once purged). Untrusted: render as text, never HTML. */
      eventText: z.string().nullable().optional(),
    }),
  },
  'queue.facets': {
    // What the filter menus offer.
    input: z.object({}).strict(),
    output: z.object({
      banks: z.array(z.object({ name: z.string(), severity: z.number().int().nullable() })),
      signalTypes: z.array(z.string()),
      sources: z.array(z.string()),
      rooms: z.array(z.object({ roomId: z.string(), roomName: z.string().nullable(), count: z.number().int() })),
      /** Open items by why they are queued. */
      triggers: z.object({ reported: z.number().int(), matched: z.number().int(), reportedOnly: z.number().int() }).optional(),
    }),
  },
  'queue.decideMany': {
    // Bulk decision: each item is decided (and claimed) on its own; one failing does not stop the rest.
    input: z
      .object({
        ids: z.array(id).min(1).max(500),
        verdict: verdictSchema,
        reason: z.string().trim().max(200).optional(),
        note: z.string().max(4000).optional(),
        sessionId: sessionIdSchema,
      })
      .strict(),
    output: z.object({
      results: z.array(
        z.object({ id, ok: z.boolean(), decisionId: z.number().int().nullable(), status: queueStatusSchema.nullable(), undoUntil: z.number().int().nullable(), error: z.string().nullable() }),
      ),
    }),
  },
  'queue.setBankSeverity': {
    // Bank severity feeds the queue priority; open items matched by the bank are re-ranked.
    input: z.object({ bankName: z.string().trim().min(1).max(100), severity: wholeNumber('Severity', 0, 100) }).strict(),
    output: z.object({ bankName: z.string(), severity: z.number().int(), reranked: z.number().int() }),
  },
  'claims.acquire': {
    // Opening an item leases it to this reviewer and window; a lease held by anyone else is not taken.
    input: z.object({ queueItemId: id, sessionId: sessionIdSchema }).strict(),
    output: z.object({ acquired: z.boolean(), claim: claimSchema.nullable() }),
  },
  'claims.release': {
    input: z.object({ sessionId: sessionIdSchema, queueItemId: id.optional() }).strict(),
    output: z.object({ released: z.number().int() }),
  },
  'claims.list': {
    input: z.object({}).strict(),
    output: z.array(claimSchema),
  },
  'claims.next': {
    // Serves the caller the best open item nobody else holds (not one they escalated, nor one they skipped that nobody
    // else has had since) and leases it; claim is null when there is none.
    input: z
      .object({
        sessionId: sessionIdSchema,
        status: z.enum(['pending', 'escalated']).default('pending'),
        /** Not this one (the item being left). */
        afterId: id.optional(),
      })
      .strict(),
    output: z.object({ acquired: z.boolean(), claim: claimSchema.nullable() }),
  },
  'claims.releaseOthers': {
    // A lead frees an item someone else holds (they left it open and went away).
    input: z.object({ queueItemId: id }).strict(),
    output: z.object({ released: claimSchema.nullable() }),
  },
  'stats.overview': {
    input: z.object({ days: z.number().int().min(1).max(90).default(7) }).strict(),
    output: statsOverviewSchema,
  },
  'stats.reviewers': {
    // Per-reviewer decision figures (leads only). Wellbeing figures are never here.
    input: z.object({ days: z.number().int().min(1).max(90).default(7) }).strict(),
    output: z.array(
      z.object({
        reviewer: z.string(),
        decisions: z.number().int(),
        ...verdictCounts,
        undone: z.number().int(),
        lastDecidedAt: z.number().int().nullable(),
        holding: z.number().int(),
      }),
    ),
  },
  'wellbeing.get': {
    input: z.object({}).strict(),
    output: wellbeingStateSchema,
  },
  'wellbeing.team': {
    // Team aggregates for leads: nobody's own figures.
    input: z.object({}).strict(),
    output: z.object({
      day: z.string(),
      reviewersActive: z.number().int(),
      revealsToday: z.number().int(),
      activeMinutesToday: z.number().int(),
      overSoftLimit: z.number().int(),
    }),
  },
  'wellbeing.setDefaults': {
    // For the whole install.
    input: wellbeingSettingsSchema,
    output: wellbeingStateSchema,
  },
  'wellbeing.setMine': {
    // This reviewer's overrides; a null field goes back to the install default.
    input: z
      .object({
        blurPx: wellbeingSettingsSchema.shape.blurPx.nullable(),
        greyscale: z.boolean().nullable(),
        quietMode: z.boolean().nullable(),
        revealMode: wellbeingSettingsSchema.shape.revealMode.nullable(),
        breakEveryMinutes: wellbeingSettingsSchema.shape.breakEveryMinutes.nullable(),
        breakMinutes: wellbeingSettingsSchema.shape.breakMinutes.nullable(),
        dailyRevealSoftLimit: wellbeingSettingsSchema.shape.dailyRevealSoftLimit.nullable(),
      })
      .partial()
      .strict(),
    output: wellbeingStateSchema,
  },
  'queue.decide': {
    input: z
      .object({
        id,
        verdict: verdictSchema,
        reason: z.string().trim().max(200).optional(),
        note: z.string().max(4000).optional(),
        /** The deciding window (see claims.*): a lease held by another reviewer or window refuses the decision. */
        sessionId: sessionIdSchema.optional(),
        /** For a confirmed Matrix item, wider actions the moderator asks for on this decision. */
        extraActions: extraActionsSchema.optional(),
      })
      .strict(),
    output: z.object({
      decision: decisionSchema,
      status: queueStatusSchema,
      /** `label`: what the action will do, in words ("redact the event"). */
      actions: z.array(z.object({ id, kind: z.string(), label: z.string().optional() })),
      undoUntil: z.number().int(),
    }),
  },
  'decisions.undo': {
    input: z.object({ decisionId: id }).strict(),
    output: undoResultSchema,
  },
  'decisions.undoLast': {
    // The u key: undoes this reviewer's latest decision of the current review session that is still the item's
    // latest. Kept by the server, so it survives a reload.
    input: z.object({}).strict(),
    output: z.object({
      undone: undoResultSchema.extend({ queueItemId: id, verdict: verdictSchema, fileName: z.string().nullable() }).nullable(),
      /** Why nothing was undone, in words. */
      reason: z.string().nullable(),
    }),
  },
  'wellbeing.session': {
    // The session timer and break state, kept by the server (a reload keeps them); also tells it the reviewer is here.
    input: z.object({}).strict(),
    output: reviewSessionSchema,
  },
  'wellbeing.sessionEvent': {
    input: z.object({ event: z.enum(['start_break', 'end_break', 'snooze']) }).strict(),
    output: reviewSessionSchema,
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
      // note: why the picture looks the way it does (e.g. scaled down from a large original).
      z.object({ kind: z.literal('image'), mime: z.string(), dataBase64: z.string(), revealed: z.boolean(), note: z.string().nullable().optional() }),
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
        severity: wholeNumber('Severity', 0, 100).default(50),
        pdqThreshold: wholeNumber('The PDQ threshold', 0, 128).default(31),
      })
      .strict(),
    output: bankSchema,
  },
  'banks.importCsv': {
    // CSV of signal_type,signal,label (header optional). Creates the bank if it does not exist.
    input: z.object({ bankName, csv: z.string().max(200_000_000) }).strict(),
    output: bankImportResultSchema,
  },
  'matrix.status': {
    input: z.object({}).strict(),
    output: matrixStatusSchema,
  },
  'matrix.signIn': {
    input: z
      .object({
        homeserverUrl: httpUrl,
        adminApiBaseUrl: httpUrl.nullable().optional(),
        accessToken: z.string().min(1).max(4096).optional(),
        user: z.string().min(1).max(255).optional(),
        password: z.string().min(1).max(1024).optional(),
        managementRoom: z.string().trim().min(2).max(255).regex(/^[!#]/, 'a room id (!…) or alias (#…)').nullable().optional(),
      })
      .strict()
      .refine((v) => Boolean(v.accessToken) !== Boolean(v.user && v.password), 'give either an access token or a user name and password'),
    output: matrixStatusSchema,
  },
  'matrix.signOut': {
    input: z.object({}).strict(),
    output: matrixStatusSchema,
  },
  'matrix.updateOptions': {
    input: z
      .object({
        managementRoom: z.string().trim().min(2).max(255).regex(/^[!#]/, 'a room id (!…) or alias (#…)').nullable().optional(),
        sources: z.object({ live: z.boolean(), reports: z.boolean(), quarantine: z.boolean() }).strict().optional(),
        backfillHours: wholeNumber('History to back-fill', 0, 720).optional(),
        maxDownloadMb: wholeNumber('The largest download', 1, 1024).optional(),
      })
      .strict(),
    output: matrixStatusSchema,
  },
  'matrix.pollNow': {
    input: z.object({}).strict(),
    output: z.object({ reports: z.number().int(), reportMedia: z.number().int(), quarantineChanges: z.number().int().nullable() }),
  },
  'hma.getSettings': {
    input: z.object({}).strict(),
    output: hmaSettingsSchema,
  },
  'hma.saveSettings': {
    input: z
      .object({
        enabled: z.boolean(),
        baseUrl: httpUrl.nullable(),
        hasherUrl: httpUrl.nullable().optional(),
        matcherUrl: httpUrl.nullable().optional(),
        curatorUrl: httpUrl.nullable().optional(),
        requestsPerMinute: z.number().int().min(0).max(100_000).optional(),
        timeoutMs: z.number().int().min(500).max(120_000).optional(),
        /** HMA's TASK_INDEX_CACHE_INTERVAL_SECONDS: how often its matchers reload the index (HMA's default: 30). */
        indexRefreshSeconds: z.number().int().min(1).max(3_600).optional(),
        /** HMA's gunicorn worker timeout (default 30): how long HMA may go on with a request the client gave up on. */
        serverTimeoutSeconds: z.number().int().min(1).max(3_600).optional(),
        bankSeverity: z.record(z.string().max(100), z.number().int().min(0).max(100)).optional(),
        /** A new key for every role; null removes it; absent keeps the stored one. Stored in the secret store only. */
        apiKey: z.string().min(1).max(4096).nullable().optional(),
        roleKeys: z
          .object({
            hasher: z.string().min(1).max(4096).nullable().optional(),
            matcher: z.string().min(1).max(4096).nullable().optional(),
            curator: z.string().min(1).max(4096).nullable().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    output: hmaSettingsSchema,
  },
  'hma.testConnection': {
    // Tests what is typed in the form (or, without it, the saved settings) with a fresh client: a circuit breaker
    // opened by earlier failures does not answer for the server.
    input: z
      .object({
        baseUrl: httpUrl.optional(),
        /** A key typed but not saved yet; without it the stored key is used. */
        apiKey: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    output: z.object({
      configured: z.boolean(),
      /** What was tested, and the outcome in one sentence. */
      tested: z.string().optional(),
      summary: z.string().optional(),
      roles: z.array(z.object({ role: z.string(), baseUrl: z.string(), ok: z.boolean(), message: z.string() })),
      indexStatus: z.record(z.string(), z.object({ present: z.boolean(), size: z.number().int(), builtTo: z.number().int() })),
      banks: z.array(z.object({ name: z.string(), enabled: z.boolean() })),
      /** Problems on the HMA side an admin should fix (e.g. HMA's one-hash PDQ index bug), in plain words. */
      warnings: z.array(z.string()),
      error: z.string().nullable(),
    }),
  },
  'ingest.lookupStatus': {
    input: z.object({}).strict(),
    output: z.object({ count: z.number().int(), lastError: z.string().nullable() }),
  },
  'banks.importJson': {
    input: z
      .object({
        bankName,
        data: z.object({
          format: z.literal('matchdesk-bank/1'),
          bank: z.object({ name: z.string(), kind: z.enum(['positive', 'negative']), severity: z.number().int().min(0).max(100), pdqThreshold: z.number().int().min(0).max(128) }),
          content: z
            .array(
              z.object({
                label: z.string().max(1000).nullable(),
                note: z.string().max(4000).nullable(),
                metadata: z.record(z.string(), z.unknown()),
                disabledUntil: z.number().int().nullable(),
                signals: z.array(z.object({ type: z.string().max(20), signal: z.string().max(200) })).max(20),
              }),
            )
            .max(2_000_000),
        }),
      })
      .strict(),
    output: bankImportResultSchema,
  },
  'banks.startImport': {
    // A file imported in the background (CSV of signal_type,signal,label, or a Matchdesk JSON export). Checked first:
    // a binary file, a wrong header or mostly invalid rows create nothing (invalid_input; issues name the first bad
    // lines, escaped). `path`: a file on this machine (desktop dialog, browser shell); the team server refuses paths.
    // `text`: small pastes and older callers. Browser uploads stream to POST /upload/bank-import instead.
    input: z
      .object({
        bankName,
        format: z.enum(['csv', 'json']).optional(),
        path: z.string().min(1).max(4096).optional(),
        text: z.string().min(1).max(50_000_000).optional(),
        newBankKind: z.enum(['positive', 'negative']).optional(),
      })
      .strict()
      .refine((v) => (v.path === undefined) !== (v.text === undefined), 'give either a path or a text'),
    output: z.object({ jobId: z.string() }),
  },
  'banks.pickImportFile': {
    // Opens the native file dialog in the desktop app; other hosts answer null (they upload).
    input: z.object({}).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'banks.cancelImport': {
    // Rows already added stay in the bank.
    input: z.object({ jobId: z.string().min(1).max(100) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
  'banks.importJobs': {
    input: z.object({}).strict(),
    output: z.array(bankImportJobSchema),
  },
  'banks.export': {
    input: z.object({ bankName, format: z.enum(['csv', 'json']) }).strict(),
    output: z.object({ fileName: z.string(), mime: z.string(), text: z.string() }),
  },
  'banks.update': {
    input: z
      .object({
        bankName,
        kind: z.enum(['positive', 'negative']).optional(),
        severity: wholeNumber('Severity', 0, 100).optional(),
        pdqThreshold: wholeNumber('The PDQ threshold', 0, 128).optional(),
        enabled: z.boolean().optional(),
      })
      .strict(),
    output: bankSchema,
  },
  'settings.getDesktop': {
    input: z.object({}).strict(),
    // screenCaptureProtection: the desktop window is kept out of screenshots and screen sharing (macOS, Windows).
    output: z.object({ screenCaptureProtection: z.boolean() }),
  },
  'settings.setDesktop': {
    input: z.object({ screenCaptureProtection: z.boolean() }).strict(),
    output: z.object({ screenCaptureProtection: z.boolean() }),
  },
  'banks.rename': {
    // Renames the bank everywhere its name is kept (queue matches, feedback, decision settings, waiting actions).
    input: z.object({ bankName, newName: bankName }).strict(),
    output: z.object({ bank: bankSchema, matches: z.number().int() }),
  },
  'banks.delete': {
    // Deletes a bank with its content and signals; items it matched stay in the queue with their evidence.
    input: z.object({ bankName }).strict(),
    output: z.object({ bankName: z.string(), content: z.number().int(), signals: z.number().int(), openItems: z.number().int() }),
  },
  'banks.content': {
    // A page of a bank's content, newest first; search: a label or note (substring) or a hash (prefix, 4+ hex digits).
    input: z
      .object({
        bankName,
        search: z.string().trim().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(bankContentItemSchema) }),
  },
  'audit.list': {
    input: z
      .object({ limit: z.number().int().min(1).max(500).default(100), beforeSeq: z.number().int().positive().optional() })
      .strict(),
    output: z.array(auditEntrySchema),
  },
  'sessions.list': {
    // Team server sessions that still work: a lead sees everyone's, a reviewer their own. Empty on this machine.
    input: z.object({}).strict(),
    output: z.array(teamSessionSchema),
  },
  'sessions.revoke': {
    // Ends a session at once (a lead: anyone's; a reviewer: their own).
    input: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/) }).strict(),
    output: z.object({ revoked: z.boolean() }),
  },
  'botKeys.list': {
    // Keys of the bots and Synapse modules that ask the team server's check API (/api/v1/check).
    input: z.object({}).strict(),
    output: z.array(botKeySchema),
  },
  'botKeys.create': {
    input: z.object({ name: z.string().trim().min(1).max(100), ratePerMinute: z.number().int().min(1).max(100_000).optional() }).strict(),
    /** `key` is shown this once; only its hash is kept. */
    output: z.object({ key: z.string(), botKey: botKeySchema }),
  },
  'botKeys.revoke': {
    input: z.object({ id: z.string().regex(/^[0-9a-f]{12}$/) }).strict(),
    output: botKeySchema,
  },
  'checks.getRules': {
    input: z.object({}).strict(),
    output: checkRulesInputSchema,
  },
  'checks.setRules': {
    input: checkRulesInputSchema,
    output: checkRulesInputSchema,
  },
  'audit.verify': {
    input: z.object({}).strict(),
    output: z.object({
      ok: z.boolean(),
      rows: z.number().int(),
      firstBadSeq: z.number().int().nullable(),
      problem: z.string().nullable(),
      /** The rows' HMACs were checked with the key from the secret store. */
      keyed: z.boolean().optional(),
      /** Heads recorded outside the database (the sealed head) compared with the log. */
      headsChecked: z.number().int().optional(),
    }),
  },
  'audit.anchor': {
    // Posts the audit head (row number and hash) to the management room now, unless nothing was written since the last anchor.
    input: z.object({}).strict(),
    output: z.union([
      z.object({ anchored: z.literal(true), seq: z.number().int(), hash: z.string(), target: z.string(), ref: z.string() }),
      z.object({ anchored: z.literal(false), reason: z.string() }),
    ]),
  },
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type CallInput<N extends CallName> = z.input<Contract[N]['input']>;
export type ParsedInput<N extends CallName> = z.output<Contract[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Contract[N]['output']>;

/** What the renderer holds: one async function per call. */
export type MatchdeskApi = { [N in CallName]: (input: CallInput<N>) => Promise<CallOutput<N>> };
/**
 * What the services implement: handlers receive already-validated input and who is calling (the dispatcher has
 * already checked that the caller's role allows the call). A handler that needs no caller simply ignores `ctx`.
 */
export type ContractHandlers = { [N in CallName]: (input: ParsedInput<N>, ctx: CallContext) => Promise<CallOutput<N>> | CallOutput<N> };

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
export type BankImportJobView = z.output<typeof bankImportJobSchema>;
export type OutboxAction = z.output<typeof actionSchema>;
export type FeedbackReport = z.output<typeof feedbackReportSchema>;
export type ActionPlans = z.output<typeof actionPlanInputSchema>;
export type MatrixStatus = z.output<typeof matrixStatusSchema>;
export type QueueFilter = z.input<typeof queueFilterSchema>;
export type QueueSort = z.output<typeof queueSortSchema>;
export type QueueTrigger = z.output<typeof queueTriggerSchema>;
export type Report = z.output<typeof reportSchema>;
export type EventPart = z.output<typeof eventPartSchema>;
export type Claim = z.output<typeof claimSchema>;
export type HistoryEntry = z.output<typeof historyEntrySchema>;
export type MatchEvidence = z.output<typeof matchEvidenceSchema>;
export type WellbeingSettings = z.output<typeof wellbeingSettingsSchema>;
export type WellbeingState = z.output<typeof wellbeingStateSchema>;
export type StatsOverview = z.output<typeof statsOverviewSchema>;
export type TeamSession = z.output<typeof teamSessionSchema>;
export type ReviewSession = z.output<typeof reviewSessionSchema>;
export type BankContentItem = z.output<typeof bankContentItemSchema>;
export type BotKey = z.output<typeof botKeySchema>;
export type CheckRulesInput = z.output<typeof checkRulesInputSchema>;
