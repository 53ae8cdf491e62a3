// npm run bench:banks — what a bank lookup by name costs the outbox. bench:team found `local.add_to_bank` actions
// falling behind at 400 decisions/s: each looked its bank up through a list that counted every bank's content and
// signals. This runs the same executor over a store shaped like that run (partner banks, a confirmed-media bank that
// grows by one entry per action) twice in one process: with the lookup as it was (every bank counted, emulated by
// listing the banks before each action) as the reference, and as it is (one indexed row); then the confirmed-media
// action as its bank grows (its entries found by tag through an index). Ends with one JSON line.
// Env: BENCH_BANK_ROWS (signals per partner bank, default 200000), BENCH_ACTIONS (default 1000).

import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../electron/services/store/database';
import { BankRepository } from '../electron/services/banks/bank-repository';
import { localExecutors } from '../electron/services/decisions/local-executors';
import { tempDir } from '../test/helpers/temp-dir';

const ROWS = Number(process.env.BENCH_BANK_ROWS ?? 200_000);
const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 1_000);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const temp = tempDir('matchdesk-bench-banks-');
const db = openDatabase(join(temp.dir, 'matchdesk.sqlite'));
const banks = new BankRepository(db);
console.log(`[bench:banks] load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; 3 partner banks of ${ROWS.toLocaleString()} signals`);
for (const name of ['Partner A', 'Partner B', 'Partner C']) {
  const bank = banks.create({ name });
  db.transaction(() => {
    const content = db.prepare('INSERT INTO bank_content (bank_id, label, metadata_json, created_at) VALUES (?, ?, ?, ?)');
    const signal = db.prepare('INSERT INTO bank_signals (content_id, bank_id, signal_type, signal) VALUES (?, ?, ?, ?)');
    for (let i = 0; i < ROWS; i++) {
      const id = Number(content.run(bank.id, `row ${i}`, '{}', 0).lastInsertRowid);
      signal.run(id, bank.id, 'md5', randomBytes(16).toString('hex'));
    }
  })();
}
const add = localExecutors(banks)['local.add_to_bank']!;
const ctx = { actionId: 0, idempotencyKey: '', attempt: 1, previousAttemptAt: null, previousAttempts: [] };

async function run(label: string, before: () => void): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < ACTIONS; i++) {
    before();
    const r = await add({ bankName: `Confirmed (${label})`, negative: false, signals: [{ type: 'md5', signal: randomBytes(16).toString('hex') }], label: null, note: 'bench', metadata: {} }, ctx);
    if (r.status !== 'ok') throw new Error(JSON.stringify(r));
  }
  const perS = ACTIONS / ((performance.now() - started) / 1000);
  console.log(`[bench:banks] ${label}: ${round(perS)} local.add_to_bank actions/s`);
  return perS;
}

// The reference: the lookup as it was, `list()` (every bank's content and signals counted) on each action.
const reference = await run('reference: every bank counted per lookup', () => void banks.list());
const direct = await run('direct lookup', () => undefined);
console.log(`[bench:banks] direct lookup: ${round(direct / reference)}x the reference`);

// A confirm adds the item's media to the confirmed-media bank (local.add_media_to_bank), finding its own earlier
// entries by the action's tag first (a re-run adds nothing twice). That lookup must not read the whole bank: the rate
// at 20,000 entries, against the rate at the first 1,000 as the reference.
const addMedia = localExecutors(banks)['local.add_media_to_bank']!;
let tagged = 0;
async function addMediaUpTo(entries: number): Promise<number> {
  const started = performance.now();
  const from = tagged;
  for (; tagged < entries; tagged++) {
    const signals = [{ type: 'md5' as const, signal: randomBytes(16).toString('hex') }];
    const r = await addMedia({ bankName: 'Confirmed media', parts: [{ part: 'media', label: null, origin: null, signals }], note: 'bench', metadata: {} }, { ...ctx, idempotencyKey: `d${tagged}:0:local.add_media_to_bank` });
    if (r.status !== 'ok') throw new Error(JSON.stringify(r));
  }
  return (tagged - from) / ((performance.now() - started) / 1000);
}
const firstThousand = await addMediaUpTo(1_000);
await addMediaUpTo(19_000);
const atTwentyThousand = await addMediaUpTo(20_000);
console.log(`[bench:banks] add_media_to_bank: ${round(firstThousand)}/s for the first 1,000 entries, ${round(atTwentyThousand)}/s at 20,000 (${round(atTwentyThousand / firstThousand)}x)`);
db.close();
temp.cleanup();
console.log(
  JSON.stringify({
    partner_rows: ROWS,
    actions: ACTIONS,
    reference_per_s: round(reference),
    direct_per_s: round(direct),
    ratio: round(direct / reference),
    add_media_first_1k_per_s: round(firstThousand),
    add_media_at_20k_per_s: round(atTwentyThousand),
    add_media_ratio: round(atTwentyThousand / firstThousand),
  }),
);
