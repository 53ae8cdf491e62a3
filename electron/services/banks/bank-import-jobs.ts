import { randomUUID } from 'node:crypto';
import type { Db } from '../store/database';
import { csvItems, jsonItems, newTally, type BankExport, type BankRepository, type ImportItem, type ImportTally } from './bank-repository';

export interface BankImportJob {
  id: string;
  bankName: string;
  format: 'csv' | 'json';
  state: 'running' | 'done' | 'failed';
  total: number;
  processed: number;
  added: number;
  duplicates: number;
  rejected: { line: number; message: string }[];
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

const CHUNK = 5_000;
const KEPT = 20;

/**
 * Large bank imports (a million hashes) run in chunks of a few thousand rows, each its own transaction, yielding
 * to the event loop between chunks so the console stays responsive and the UI can show progress.
 */
export class BankImportJobs {
  private readonly jobs = new Map<string, BankImportJob>();

  constructor(
    private readonly db: Db,
    private readonly banks: BankRepository,
    private readonly onDone: (job: BankImportJob) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  start(bankName: string, format: 'csv' | 'json', text: string): BankImportJob {
    const job: BankImportJob = {
      id: randomUUID(),
      bankName,
      format,
      state: 'running',
      total: 0,
      processed: 0,
      added: 0,
      duplicates: 0,
      rejected: [],
      error: null,
      startedAt: this.now(),
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    for (const old of [...this.jobs.values()].filter((j) => j.state !== 'running').slice(0, -KEPT)) this.jobs.delete(old.id);
    void this.run(job, text).catch((error: unknown) => {
      job.state = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      job.finishedAt = this.now();
      this.onDone(job);
    });
    return job;
  }

  list(): BankImportJob[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt - a.startedAt).map((j) => ({ ...j, rejected: [...j.rejected] }));
  }

  private async run(job: BankImportJob, text: string): Promise<void> {
    let items: ImportItem[];
    let bankDefaults = {};
    if (job.format === 'json') {
      const data = JSON.parse(text) as BankExport;
      if (data?.format !== 'matchdesk-bank/1' || !Array.isArray(data.content)) throw new Error('Not a Matchdesk bank export (format matchdesk-bank/1)');
      bankDefaults = { kind: data.bank.kind, severity: data.bank.severity, pdqThreshold: data.bank.pdqThreshold };
      items = [...jsonItems(data)];
    } else {
      items = [...csvItems(text)];
    }
    job.total = items.length;
    const bank = this.banks.ensure({ name: job.bankName, ...bankDefaults });
    const tally: ImportTally = newTally();
    for (let i = 0; i < items.length; i += CHUNK) {
      this.db.transaction(() => this.banks.importItems(bank.id, items.slice(i, i + CHUNK), tally))();
      job.processed = Math.min(items.length, i + CHUNK);
      job.added = tally.added;
      job.duplicates = tally.duplicates;
      await new Promise((resolve) => setImmediate(resolve));
    }
    job.rejected = this.banks.result(job.bankName, tally).rejected;
    job.state = 'done';
    job.finishedAt = this.now();
    this.onDone(job);
  }
}
