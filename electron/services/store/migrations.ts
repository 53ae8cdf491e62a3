// Numbered, append-only migrations. Never edit a shipped migration: add the next number.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'core tables: media, banks, matches, queue, decisions, audit, settings',
    sql: `
      CREATE TABLE media_items (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        source_ref TEXT NOT NULL,
        file_name TEXT,
        mime TEXT,
        format TEXT,
        byte_length INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        exif_orientation INTEGER,
        md5 TEXT NOT NULL,
        sha1 TEXT,
        sha256 TEXT NOT NULL,
        pdq TEXT,
        pdq_quality INTEGER,
        context_json TEXT NOT NULL DEFAULT '{}',
        vault_ref TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (source, source_ref, sha256)
      );
      CREATE INDEX media_items_sha256 ON media_items (sha256);
      CREATE INDEX media_items_md5 ON media_items (md5);
      CREATE INDEX media_items_pdq ON media_items (pdq);

      CREATE TABLE banks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'positive' CHECK (kind IN ('positive', 'negative')),
        severity INTEGER NOT NULL DEFAULT 50,
        pdq_threshold INTEGER NOT NULL DEFAULT 31,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE bank_content (
        id INTEGER PRIMARY KEY,
        bank_id INTEGER NOT NULL REFERENCES banks (id) ON DELETE CASCADE,
        label TEXT,
        note TEXT,
        metadata_json TEXT NOT NULL DEFAULT '{}',
        disabled_until INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX bank_content_bank ON bank_content (bank_id);
      CREATE TABLE bank_signals (
        id INTEGER PRIMARY KEY,
        content_id INTEGER NOT NULL REFERENCES bank_content (id) ON DELETE CASCADE,
        bank_id INTEGER NOT NULL REFERENCES banks (id) ON DELETE CASCADE,
        signal_type TEXT NOT NULL,
        signal TEXT NOT NULL,
        UNIQUE (bank_id, signal_type, signal)
      );
      CREATE INDEX bank_signals_lookup ON bank_signals (signal_type, signal);

      CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        media_id INTEGER NOT NULL REFERENCES media_items (id) ON DELETE CASCADE,
        matcher TEXT NOT NULL,
        bank_name TEXT NOT NULL,
        content_ref TEXT NOT NULL,
        signal_type TEXT NOT NULL,
        signal TEXT,
        distance INTEGER NOT NULL,
        label TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (media_id, matcher, bank_name, content_ref, signal_type)
      );
      CREATE INDEX matches_media ON matches (media_id);

      CREATE TABLE queue_items (
        id INTEGER PRIMARY KEY,
        media_id INTEGER NOT NULL UNIQUE REFERENCES media_items (id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'confirmed', 'false_positive', 'escalated', 'skipped')),
        priority INTEGER NOT NULL DEFAULT 0,
        best_distance INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX queue_items_status_priority ON queue_items (status, priority DESC, created_at, id);

      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        queue_item_id INTEGER NOT NULL REFERENCES queue_items (id),
        verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'false_positive', 'escalate', 'skip')),
        reviewer TEXT NOT NULL,
        reason TEXT,
        note TEXT,
        decided_at INTEGER NOT NULL
      );
      CREATE INDEX decisions_item ON decisions (queue_item_id);

      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        details_json TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL
      );

      CREATE TABLE vault_entries (
        ref TEXT PRIMARY KEY,
        byte_length INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'decisions outbox: planned actions, attempts, undo, false-positive feedback, suppressions',
    sql: `
      ALTER TABLE decisions ADD COLUMN undone_at INTEGER;
      ALTER TABLE decisions ADD COLUMN undone_by TEXT;
      ALTER TABLE decisions ADD COLUMN previous_status TEXT;

      CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        decision_id INTEGER NOT NULL REFERENCES decisions (id),
        kind TEXT NOT NULL,
        params_json TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'pending'
          CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
        not_before INTEGER NOT NULL,
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        result_json TEXT,
        compensates_action_id INTEGER REFERENCES actions (id),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX actions_due ON actions (state, not_before);
      CREATE INDEX actions_decision ON actions (decision_id);

      CREATE TABLE action_attempts (
        id INTEGER PRIMARY KEY,
        action_id INTEGER NOT NULL REFERENCES actions (id),
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        outcome TEXT CHECK (outcome IN ('ok', 'retryable', 'permanent')),
        error TEXT,
        detail_json TEXT
      );
      CREATE INDEX action_attempts_action ON action_attempts (action_id);

      CREATE TABLE fp_feedback (
        id INTEGER PRIMARY KEY,
        decision_id INTEGER NOT NULL REFERENCES decisions (id),
        media_id INTEGER NOT NULL REFERENCES media_items (id),
        matcher TEXT NOT NULL,
        bank_name TEXT NOT NULL,
        content_ref TEXT NOT NULL,
        signal_type TEXT NOT NULL,
        distance INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX fp_feedback_bank ON fp_feedback (bank_name, distance);

      CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY,
        media_sha256 TEXT NOT NULL,
        matcher TEXT NOT NULL,
        bank_name TEXT NOT NULL,
        content_ref TEXT NOT NULL,
        decision_id INTEGER NOT NULL REFERENCES decisions (id),
        created_at INTEGER NOT NULL,
        UNIQUE (media_sha256, matcher, bank_name, content_ref)
      );
    `,
  },
  {
    version: 3,
    name: 'review queue: filter columns, ageing rank, claims, reviewer preferences, reveal counts',
    sql: `
      ALTER TABLE queue_items ADD COLUMN source TEXT NOT NULL DEFAULT '';
      ALTER TABLE queue_items ADD COLUMN room_id TEXT;
      ALTER TABLE queue_items ADD COLUMN sender TEXT;
      ALTER TABLE queue_items ADD COLUMN event_id TEXT;
      ALTER TABLE queue_items ADD COLUMN mxc TEXT;
      ALTER TABLE queue_items ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE matches ADD COLUMN severity INTEGER;
      ALTER TABLE matches ADD COLUMN variant TEXT;

      UPDATE matches SET severity = COALESCE((SELECT b.severity FROM banks b WHERE b.name = matches.bank_name), 50);
      UPDATE queue_items SET
        source = (SELECT m.source FROM media_items m WHERE m.id = queue_items.media_id),
        room_id = (SELECT json_extract(m.context_json, '$.matrix.roomId') FROM media_items m WHERE m.id = queue_items.media_id),
        sender = (SELECT json_extract(m.context_json, '$.matrix.sender') FROM media_items m WHERE m.id = queue_items.media_id),
        event_id = (SELECT json_extract(m.context_json, '$.matrix.eventId') FROM media_items m WHERE m.id = queue_items.media_id),
        mxc = (SELECT json_extract(m.context_json, '$.matrix.server') || '/' || json_extract(m.context_json, '$.matrix.mediaId')
                 FROM media_items m WHERE m.id = queue_items.media_id);
      UPDATE queue_items SET priority = priority + CASE WHEN source = 'matrix_report' THEN 200000 ELSE 0 END;
      UPDATE queue_items SET rank = priority - created_at / 60000;

      CREATE INDEX queue_items_status_rank ON queue_items (status, rank DESC, id);
      CREATE INDEX queue_items_rank ON queue_items (rank DESC, id);
      CREATE INDEX queue_items_status_media ON queue_items (status, media_id);
      CREATE INDEX queue_items_source ON queue_items (source, status);
      CREATE INDEX queue_items_sender ON queue_items (sender, status);
      CREATE INDEX queue_items_room ON queue_items (room_id, status);
      CREATE INDEX queue_items_event ON queue_items (event_id);
      CREATE INDEX queue_items_mxc ON queue_items (mxc);
      CREATE INDEX queue_items_created ON queue_items (created_at);
      CREATE INDEX matches_bank ON matches (bank_name, media_id);
      CREATE INDEX matches_signal_type ON matches (signal_type, media_id);
      CREATE INDEX decisions_decided ON decisions (decided_at);

      CREATE TABLE claims (
        queue_item_id INTEGER PRIMARY KEY REFERENCES queue_items (id) ON DELETE CASCADE,
        reviewer TEXT NOT NULL,
        session_id TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX claims_session ON claims (session_id);

      CREATE TABLE reviewer_preferences (
        reviewer TEXT PRIMARY KEY,
        prefs_json TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE reveal_counts (
        reviewer TEXT NOT NULL,
        day TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (reviewer, day)
      );
    `,
  },
  {
    version: 4,
    name: 'lookups that failed (HMA down or slow) and are retried',
    sql: `
      CREATE TABLE pending_lookups (
        media_id INTEGER NOT NULL REFERENCES media_items (id) ON DELETE CASCADE,
        matcher TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        next_at INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (media_id, matcher)
      );
      CREATE INDEX pending_lookups_due ON pending_lookups (next_at);
    `,
  },
  {
    version: 5,
    name: "HMA's evidence on a match: the bank content's note and metadata when it matched",
    sql: `
      ALTER TABLE matches ADD COLUMN evidence_json TEXT;
    `,
  },
  {
    version: 6,
    name: 'outbox attempts that deliberately waited (they do not count towards giving up)',
    sql: `
      ALTER TABLE action_attempts ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
