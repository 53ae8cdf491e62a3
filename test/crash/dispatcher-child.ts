// The process the crash test kills: it opens the same data dir as the app, decides a few pending items,
// and carries out the outbox. CRASH_AFTER_EXECUTED=k makes it SIGKILL itself right after the k-th executor
// returned and before the outcome is recorded: the worst moment, when the remote side has acted and we have not noted it.
import { join } from 'node:path';
import { createServices } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';

const dataDir = process.env.CRASH_DATA_DIR!;
const decidePerRun = Number(process.env.CRASH_DECIDE_PER_RUN ?? '2');
const crashAfter = process.env.CRASH_AFTER_EXECUTED ? Number(process.env.CRASH_AFTER_EXECUTED) : null;
let executed = 0;

const services = createServices({
  dataDir,
  version: 'crash-test',
  transport: 'http',
  secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec),
  reviewer: 'crash-tester',
  startDispatcher: false,
  resumeMatrix: false,
  workers: 1,
  outbox: {
    baseBackoffMs: 50,
    maxBackoffMs: 500,
    leaseMs: 1_500,
    onExecuted: () => {
      executed++;
      if (crashAfter !== null && executed >= crashAfter) process.kill(process.pid, 'SIGKILL');
    },
  },
});
await services.matrix.resume();
if (!services.matrix.actions()) {
  console.error(`child: Matrix sign-in failed: ${services.matrix.status().lastError}`);
  process.exit(2);
}
console.log('ready');

const pending = services.db.prepare("SELECT id FROM queue_items WHERE status = 'pending' ORDER BY id LIMIT ?").all(decidePerRun) as { id: number }[];
for (const { id } of pending) {
  const { decision } = services.decisions.decide({ id, verdict: 'confirm', reason: 'crash test', reviewer: 'crash-tester' });
  console.log(`decided ${id} ${decision.id}`);
}

const open = services.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE state IN ('pending', 'running')");
for (;;) {
  await services.outbox.drain();
  if ((open.get() as { n: number }).n === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
console.log('idle');
await services.close();
process.exit(0);
