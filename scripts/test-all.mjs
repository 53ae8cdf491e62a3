#!/usr/bin/env node
// `npm test`: type-check, lint, build the renderer, then every vitest project (unit, e2e in Chromium, real Synapse,
// real HMA 1.1.7) and the crash tests. Runs every step even when one fails, prints one summary line, and exits non-zero if
// anything failed. A test file that fails to load counts as a failure, and the line says how many files ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { summarizeVitest, summaryLine } from './test-summary.mjs';

const vitestArgs = process.argv.slice(2);
const REPORT = 'test-results/vitest.json';
const steps = [
  ['type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'npx', ['eslint', '--max-warnings', '0', '.']],
  ['renderer build', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']],
  ['tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${REPORT}`, ...vitestArgs]],
  // SIGKILLs the outbox dispatcher 100 times against a real Synapse and a real HMA (npm run test:crash).
  ['crash test', 'npx', ['tsx', 'test/crash/run-crash-test.ts']],
  // SIGKILLs `matchdesk serve` under load from four consoles; no decision lost or duplicated, every action once.
  ['team crash test', 'npx', ['tsx', 'test/crash/run-team-crash-test.ts']],
];
const CRASH_STEPS = ['crash test', 'team crash test'];

mkdirSync('test-results', { recursive: true });
rmSync(REPORT, { force: true });

// The files vitest should run (globbed, not loaded), so a file it never reports is noticed.
const listed = spawnSync('npx', ['vitest', 'list', '--filesOnly', '--json', ...vitestArgs], { encoding: 'utf8', env: process.env });
let expectedFiles = [];
try {
  expectedFiles = JSON.parse(listed.stdout).map((f) => resolve(f.file));
} catch {
  console.log(`(could not list the test files: ${listed.stderr.trim().split('\n')[0] ?? ''})`);
}

const failed = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed.push(name);
    console.log(`=== ${name}: FAILED (${secs}s)`);
  } else {
    console.log(`=== ${name}: ok (${secs}s)`);
  }
}

const report = existsSync(REPORT) ? JSON.parse(readFileSync(REPORT, 'utf8')) : null;
const v = summarizeVitest(report, expectedFiles);
if (v.filesBroken.length) {
  console.log('\nTest files that failed to load or in a hook (their skipped tests did not run):');
  for (const b of v.filesBroken) console.log(`  ${b.file}: ${b.message}`);
}
if (v.filesMissing.length) {
  console.log('\nTest files vitest never reported:');
  for (const f of v.filesMissing) console.log(`  ${f}`);
}
if (failed.length > 0) console.log(`\nFailed steps: ${failed.join(', ')}`);
// Each crash run is one test: it passes or fails as a whole. Type-check, lint and the build count as one failure each.
const crashFailed = CRASH_STEPS.filter((step) => failed.includes(step));
const otherSteps = failed.filter((f) => f !== 'tests' && !CRASH_STEPS.includes(f)).length;
// vitest failed but nothing above explains it (e.g. it crashed before writing a report).
const unexplained = failed.includes('tests') && v.failed === 0 ? 1 : 0;
console.log(
  `\n${summaryLine(v, {
    passed: CRASH_STEPS.length - crashFailed.length,
    failed: crashFailed.length + otherSteps + unexplained,
    note: CRASH_STEPS.map((step) => `${step} ${crashFailed.includes(step) ? 'FAILED' : 'passed'}`).join(', '),
  })}`,
);
process.exit(failed.length > 0 ? 1 : 0);
