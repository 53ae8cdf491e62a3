// Numbered, append-only migrations. Never edit a shipped migration: add the next number.
import type Database from 'better-sqlite3';
import { removeUrlCredentialsFromSettings } from './url-credentials-migration';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL alone cannot do, run after `sql` in the same transaction. */
  up?: (db: Database.Database) => void;
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
    name: 'Matrix reports as queue items, media parts (thumbnails, edits) of an event, matched part, event index',
    sql: `
      ALTER TABLE queue_items ADD COLUMN report_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE matches ADD COLUMN part TEXT;
      ALTER TABLE media_items ADD COLUMN part_of INTEGER REFERENCES media_items (id) ON DELETE CASCADE;
      ALTER TABLE media_items ADD COLUMN part TEXT;
      CREATE INDEX media_items_part_of ON media_items (part_of);

      CREATE TABLE matrix_reports (
        report_id INTEGER PRIMARY KEY,
        queue_item_id INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
        event_id TEXT NOT NULL,
        room_id TEXT NOT NULL,
        reporter TEXT NOT NULL,
        reason TEXT,
        score INTEGER,
        received_ts INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX matrix_reports_item ON matrix_reports (queue_item_id, received_ts);
      CREATE INDEX matrix_reports_received ON matrix_reports (received_ts);

      CREATE TABLE matrix_events (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        media_id INTEGER NOT NULL REFERENCES media_items (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      );

      INSERT OR IGNORE INTO matrix_events (event_id, room_id, media_id, created_at)
        SELECT json_extract(context_json, '$.matrix.eventId'), json_extract(context_json, '$.matrix.roomId'), MIN(id), MIN(created_at)
          FROM media_items
         WHERE source IN ('matrix_live', 'matrix_report') AND json_extract(context_json, '$.matrix.eventId') IS NOT NULL
           AND json_extract(context_json, '$.matrix.roomId') IS NOT NULL
         GROUP BY json_extract(context_json, '$.matrix.eventId');
      INSERT OR IGNORE INTO matrix_reports (report_id, queue_item_id, event_id, room_id, reporter, reason, score, received_ts, created_at)
        SELECT json_extract(m.context_json, '$.matrix.report.id'), q.id, json_extract(m.context_json, '$.matrix.eventId'),
               json_extract(m.context_json, '$.matrix.roomId'), json_extract(m.context_json, '$.matrix.report.reporter'),
               json_extract(m.context_json, '$.matrix.report.reason'), json_extract(m.context_json, '$.matrix.report.score'),
               json_extract(m.context_json, '$.matrix.report.receivedTs'), q.created_at
          FROM queue_items q JOIN media_items m ON m.id = q.media_id
         WHERE json_extract(m.context_json, '$.matrix.report.id') IS NOT NULL
           AND json_extract(m.context_json, '$.matrix.report.reporter') IS NOT NULL
           AND json_extract(m.context_json, '$.matrix.eventId') IS NOT NULL;
      UPDATE queue_items SET report_count = (SELECT COUNT(*) FROM matrix_reports r WHERE r.queue_item_id = queue_items.id);
      UPDATE queue_items SET report_count = 1 WHERE report_count = 0 AND source = 'matrix_report';
      UPDATE matches SET part = 'media' WHERE media_id IN (SELECT id FROM media_items WHERE source IN ('matrix_live', 'matrix_report'));

      CREATE INDEX queue_items_reported ON queue_items (report_count, status);
      CREATE INDEX queue_items_matched ON queue_items (best_distance, status);
    `,
  },
  {
    version: 6,
    name: 'audit rows carry an HMAC of their hash (the key lives in the secret store)',
    sql: `ALTER TABLE audit_log ADD COLUMN mac TEXT;`,
  },
  {
    version: 7,
    name: 'remove credentials stored inside homeserver, admin API and HMA URLs',
    sql: '',
    up: removeUrlCredentialsFromSettings,
  },
  {
    version: 8,
    name: 'team server sessions (only a hash of each token is stored)',
    sql: `
      CREATE TABLE team_sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        client TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_by TEXT
      );
      CREATE INDEX team_sessions_user ON team_sessions (user_id);
      CREATE INDEX team_sessions_expires ON team_sessions (expires_at);
    `,
  },
  {
    version: 9,
    name: 'shared queue: who skipped an item (not served it again until someone else has had it)',
    sql: `
      CREATE TABLE queue_skips (
        queue_item_id INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
        reviewer TEXT NOT NULL,
        skipped_at INTEGER NOT NULL,
        PRIMARY KEY (queue_item_id, reviewer)
      );
      CREATE INDEX queue_skips_reviewer ON queue_skips (reviewer, queue_item_id);
    `,
  },
  {
    version: 10,
    name: 'wellbeing: minutes of review work per reviewer and day',
    sql: `
      CREATE TABLE reviewer_activity (
        reviewer TEXT NOT NULL,
        day TEXT NOT NULL,
        minutes INTEGER NOT NULL DEFAULT 0,
        last_minute INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (reviewer, day)
      );
    `,
  },
  {
    version: 11,
    name: 'bank signals at scale: a compact signal key index, content index, PDQ removal log, streaming import jobs',
    sql: `
      -- The UNIQUE (bank_id, signal_type, signal) and (signal_type, signal) indexes held every signal's text twice and
      -- made each insert a random write into two large B-trees. One compact index on the first 12 hex digits (48 bits)
      -- serves both exact lookups and the per-bank duplicate check (which BankRepository does before inserting).
      -- AUTOINCREMENT: ids are never reused, so the PDQ index picks up new signals as "id above the last one seen".
      CREATE TABLE bank_signals_v5 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_id INTEGER NOT NULL REFERENCES bank_content (id) ON DELETE CASCADE,
        bank_id INTEGER NOT NULL REFERENCES banks (id) ON DELETE CASCADE,
        signal_type TEXT NOT NULL,
        signal TEXT NOT NULL,
        skey TEXT GENERATED ALWAYS AS (substr(signal, 1, 12)) VIRTUAL
      );
      INSERT INTO bank_signals_v5 (id, content_id, bank_id, signal_type, signal)
        SELECT id, content_id, bank_id, signal_type, signal FROM bank_signals ORDER BY id;
      DROP TABLE bank_signals;
      ALTER TABLE bank_signals_v5 RENAME TO bank_signals;
      CREATE INDEX bank_signals_skey ON bank_signals (skey, bank_id);
      -- Cascading deletes of content (and of whole banks) look signals up by content; counts and exports by bank.
      CREATE INDEX bank_signals_content ON bank_signals (content_id);
      CREATE INDEX bank_signals_bank ON bank_signals (bank_id);

      -- PDQ signals removed (directly or by cascade), so the in-memory index can follow without a rebuild.
      CREATE TABLE bank_signal_removals (seq INTEGER PRIMARY KEY, signal_id INTEGER NOT NULL);
      CREATE TRIGGER bank_signals_pdq_removed AFTER DELETE ON bank_signals WHEN old.signal_type = 'pdq'
      BEGIN
        INSERT INTO bank_signal_removals (signal_id) VALUES (old.id);
      END;

      CREATE TABLE bank_import_jobs (
        id TEXT PRIMARY KEY,
        bank_name TEXT NOT NULL,
        bank_id INTEGER,
        format TEXT NOT NULL CHECK (format IN ('csv', 'json')),
        file_name TEXT NOT NULL,
        source_path TEXT NOT NULL,
        source_size INTEGER NOT NULL,
        source_mtime_ms REAL NOT NULL,
        delete_source INTEGER NOT NULL DEFAULT 0,
        actor TEXT NOT NULL,
        new_bank_json TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
        phase TEXT NOT NULL DEFAULT 'reading' CHECK (phase IN ('reading', 'adding', 'finished')),
        partitions INTEGER NOT NULL DEFAULT 1,
        byte_offset INTEGER NOT NULL DEFAULT 0,
        line INTEGER NOT NULL DEFAULT 0,
        parser_json TEXT NOT NULL DEFAULT '{}',
        rows_read INTEGER NOT NULL DEFAULT 0,
        staged INTEGER NOT NULL DEFAULT 0,
        merged INTEGER NOT NULL DEFAULT 0,
        -- Rows read wait in one file per partition of the hash space (bytes committed per file), then are added
        -- partition by partition; merge_offset is the position in the current partition's file.
        part_sizes_json TEXT NOT NULL DEFAULT '[]',
        merge_part INTEGER NOT NULL DEFAULT 0,
        merge_offset INTEGER NOT NULL DEFAULT 0,
        added INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected_count INTEGER NOT NULL DEFAULT 0,
        rejected_json TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX bank_import_jobs_state ON bank_import_jobs (state, started_at);

    `,
  },
  {
    version: 12,
    name: 'review sessions kept by the server: the session timer and breaks survive a reload',
    sql: `
      CREATE TABLE review_sessions (
        reviewer TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        break_started_at INTEGER,
        snoozed_until INTEGER
      );
    `,
  },
  {
    version: 13,
    name: 'bot check API: bot keys (only a hash of each key is stored)',
    sql: `
      CREATE TABLE bot_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        rate_per_minute INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT
      );
    `,
  },
  {
    version: 14,
    name: 'reopenings: a new report takes an item judged harmless (or skipped) back to the queue; statistics replay them',
    sql: `
      CREATE TABLE queue_reopenings (
        id INTEGER PRIMARY KEY,
        queue_item_id INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
        -- the decision whose outcome was reopened (its undo then starts from the reopened status)
        decision_id INTEGER REFERENCES decisions (id),
        previous_status TEXT NOT NULL,
        report_id INTEGER,
        reopened_at INTEGER NOT NULL
      );
      CREATE INDEX queue_reopenings_item ON queue_reopenings (queue_item_id, id);
      CREATE INDEX queue_reopenings_decision ON queue_reopenings (decision_id);
    `,
  },
  {
    version: 15,
    name: "bank entries an action added, found by the action's tag (a re-run, an undo) without reading the whole bank",
    sql: `
      CREATE INDEX bank_content_action_tag ON bank_content (bank_id, json_extract(metadata_json, '$.actionTag'))
        WHERE json_extract(metadata_json, '$.actionTag') IS NOT NULL;
    `,
  },
  {
    version: 16,
    name: "HMA's evidence on a match: the bank content's note and metadata when it matched",
    sql: `
      ALTER TABLE matches ADD COLUMN evidence_json TEXT;
    `,
  },
  {
    version: 17,
    name: 'outbox attempts that deliberately waited (they do not count towards giving up)',
    sql: `
      ALTER TABLE action_attempts ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
