// Child process for the bank import crash test: starts (or resumes) an import over a database file and reports its
// checkpoints on stdout until the parent kills it with SIGKILL.
import { openDatabase } from '../../electron/services/store/database';
import { BankRepository } from '../../electron/services/banks/bank-repository';
import { BankImportJobs } from '../../electron/services/banks/bank-import-jobs';

const [dbFile, spoolDir, csvPath] = process.argv.slice(2) as [string, string, string];
const db = openDatabase(dbFile);
const banks = new BankRepository(db);
const jobs = new BankImportJobs({ db, banks, spoolDir, mergeBatch: 500, partitionRows: 5_000 });
const running = db.prepare("SELECT id FROM bank_import_jobs WHERE state = 'running'").get() as { id: string } | undefined;
let job: { id: string };
if (running) {
  jobs.resume();
  job = running;
} else job = await jobs.startFromFile(csvPath, { bankName: 'Crash', actor: 'test' });
setInterval(() => {
  const row = db.prepare('SELECT phase, byte_offset AS offset, rows_read AS rowsRead, merged FROM bank_import_jobs WHERE id = ?').get(job.id);
  process.stdout.write(`${JSON.stringify({ id: job.id, ...(row as object) })}\n`);
}, 5);
