#!/usr/bin/env node
// `npm test`: type-check, lint, build the renderer, then every vitest project (unit, e2e in Chromium, real Synapse,
// real HMA 1.1.7).
// Runs every step even when one fails, prints one summary line, and exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const steps = [
  ['type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'npx', ['eslint', '--max-warnings', '0', '.']],
  ['renderer build', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']],
  ['tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json', ...process.argv.slice(2)]],
  // SIGKILLs the outbox dispatcher 100 times against a real Synapse and a real HMA (npm run test:crash).
  ['crash test', 'npx', ['tsx', 'test/crash/run-crash-test.ts']],
];

mkdirSync('test-results', { recursive: true });
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

let passed = 0;
// The crash test is one test: it passes or fails as a whole.
const crashFailed = failed.includes('crash test');
let failedTests = 0;
let skipped = 0;
if (existsSync('test-results/vitest.json')) {
  const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  passed = report.numPassedTests ?? 0;
  // numFailedTestSuites counts describe blocks too; a file that failed to load shows up as a failed step below.
  failedTests = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (failed.length > 0) console.log(`\nFailed steps: ${failed.join(', ')}`);
passed += crashFailed ? 0 : 1;
const otherFailedSteps = failed.filter((f) => f !== 'tests' && f !== 'crash test').length + (failed.includes('tests') && failedTests === 0 ? 1 : 0);
console.log(`\ntests: ${passed} passed, ${failedTests + (crashFailed ? 1 : 0) + otherFailedSteps} failed, ${skipped} skipped`);
process.exit(failed.length > 0 ? 1 : 0);
