// npm run bench:import — a bank import of BENCH_ROWS rows (default 1,000,000; half PDQ, half MD5, a label each)
// through the contract call banks.startImport with a file path, as the desktop app does, over a fresh data directory.
// Reports rows per second (from the call to the job's end: check, read, add) and the peak resident memory of the
// whole process (VmHWM), then how long the PDQ index takes to take in the new rows and the memory with it built.
// Ends with one JSON line:
//   {"rows":…,"file_mb":…,"seconds":…,"rows_per_s":…,"cpu_s":…,"rows_per_cpu_s":…,"peak_rss_mb":…,"db_mb":…,"index_sync_s":…,"rss_with_index_mb":…}
// Targets (issue #15): ≥ 100k rows/s and peak ≤ 500 MB at 1M and 5M rows.

import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServices } from '../electron/services/app-services';
import { createLocalApi } from '../electron/services/api/compose';
import { FileSecretStore, plainCodec } from '../electron/services/secrets/secret-store';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

/** Writes the CSV with back-pressure, so making it costs no memory. */
async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  let x = 0x9e3779b9;
  const word = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0).toString(16).padStart(8, '0');
  };
  out.write('signal_type,signal,label\n');
  let batch = '';
  for (let i = 0; i < rows; i++) {
    if (i % 2 === 0) batch += `pdq,${word()}${word()}${word()}${word()}${word()}${word()}${word()}${word()},partner list row ${i}\n`;
    else batch += `md5,${word()}${word()}${word()}${word()},partner list row ${i}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'matchdesk-import-bench-'));
  try {
    const file = join(dir, 'list.csv');
    await writeCsv(file, ROWS);
    const fileBytes = statSync(file).size;
    const services = createServices({
      dataDir: join(dir, 'data'),
      version: 'bench',
      transport: 'ipc',
      secrets: new FileSecretStore(join(dir, 'secrets.json'), plainCodec),
      workers: 1,
      startDispatcher: false,
      resumeMatrix: false,
    });
    let sampledPeak = 0;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 100);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const started = await createLocalApi(services)('banks.startImport', { bankName: 'Partner list', path: file });
    if (!started.ok) throw new Error(started.error.message);
    const jobId = (started.value as { jobId: string }).jobId;
    let job = services.bankImports.get(jobId)!;
    let lastLog = 0;
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, 50));
      job = services.bankImports.get(jobId)!;
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${job.phase}, ${job.total.toLocaleString()} read, ${job.merged.toLocaleString()} added, rss ${mb(process.memoryUsage().rss)} MB`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await services.bankImports.idle();
    clearInterval(sampler);
    if (job.state !== 'done' || job.added !== ROWS) throw new Error(`import ended ${job.state} with ${job.added} rows added: ${job.error}`);
    const peak = vmHwm();
    const dbBytes = ['matchdesk.sqlite', 'matchdesk.sqlite-wal'].reduce((n, f) => n + (statSync(join(dir, 'data', f), { throwIfNoEntry: false })?.size ?? 0), 0);

    const t1 = performance.now();
    const { size } = services.matcher.syncIndex();
    const indexSync = (performance.now() - t1) / 1000;
    const rssWithIndex = process.memoryUsage().rss;

    console.log(`Bank import bench: ${ROWS.toLocaleString()} rows (half PDQ, half MD5), ${mb(fileBytes)} MB CSV, by path through banks.startImport`);
    console.log(`  import: ${seconds.toFixed(1)} s → ${Math.round(ROWS / seconds).toLocaleString()} rows/s (target ≥ 100,000)`);
    console.log(`  CPU time of the process meanwhile: ${cpuSeconds.toFixed(1)} s → ${Math.round(ROWS / cpuSeconds).toLocaleString()} rows per CPU-second (what a busy shared machine hides)`);
    console.log(`  peak resident memory of the process: ${mb(peak)} MB (VmHWM; sampled ${mb(sampledPeak)} MB) (target ≤ 500)`);
    console.log(`  database on disk: ${mb(dbBytes)} MB`);
    console.log(`  PDQ index takes in the ${size.toLocaleString()} new hashes in ${indexSync.toFixed(1)} s; rss then ${mb(rssWithIndex)} MB`);
    console.log(
      JSON.stringify({
        rows: ROWS,
        file_mb: mb(fileBytes),
        seconds: Math.round(seconds * 10) / 10,
        rows_per_s: Math.round(ROWS / seconds),
        cpu_s: Math.round(cpuSeconds * 10) / 10,
        rows_per_cpu_s: Math.round(ROWS / cpuSeconds),
        peak_rss_mb: mb(peak),
        db_mb: mb(dbBytes),
        index_sync_s: Math.round(indexSync * 10) / 10,
        rss_with_index_mb: mb(rssWithIndex),
      }),
    );
    await services.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
