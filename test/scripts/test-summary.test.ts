// npm test's summary counts honestly: vitest really runs a file that fails to load, one whose beforeAll fails and
// a good one, and the summary counts each broken file as a failure and says how many files ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types
import { summarizeVitest, summaryLine } from '../../scripts/test-summary.mjs';

const repo = resolve(import.meta.dirname, '../..');
const dir = join(repo, 'test-results', `summary-fixture-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm test summary', () => {
  it('counts a file that fails to load and one whose setup fails as failures, and says how many files ran', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vitest.config.mjs'), `export default { test: { include: ['*.check.ts'], root: ${JSON.stringify(dir)} } };\n`);
    writeFileSync(join(dir, 'good.check.ts'), `import { it } from 'vitest';\nit('passes', () => {});\nit.skip('is skipped', () => {});\n`);
    writeFileSync(join(dir, 'no-load.check.ts'), `import { it } from 'vitest';\nimport './does-not-exist.js';\nit('never runs', () => {});\n`);
    writeFileSync(join(dir, 'bad-setup.check.ts'), `import { beforeAll, it } from 'vitest';\nbeforeAll(() => { throw new Error('no fixture'); });\nit('a', () => {});\nit('b', () => {});\n`);
    const config = join(dir, 'vitest.config.mjs');
    const out = join(dir, 'report.json');
    const run = spawnSync('npx', ['vitest', 'run', '--config', config, '--reporter=json', `--outputFile.json=${out}`], { cwd: repo, encoding: 'utf8' });
    expect(run.status).toBe(1);
    const listed = spawnSync('npx', ['vitest', 'list', '--filesOnly', '--json', '--config', config], { cwd: repo, encoding: 'utf8' });
    const files = (JSON.parse(listed.stdout) as { file: string }[]).map((f) => resolve(f.file));
    expect(files).toHaveLength(3);

    const report = JSON.parse(readFileSync(out, 'utf8')) as unknown;
    const v = summarizeVitest(report, [...files, join(dir, 'vanished.check.ts')]);
    expect(v).toMatchObject({ passed: 1, skipped: 1, notRun: 2, files: 4, filesRan: 1 });
    // 2 broken files + 1 never reported
    expect(v.failed).toBe(3);
    expect(v.filesBroken.map((b: { file: string }) => b.file.split('/').pop()).sort()).toEqual(['bad-setup.check.ts', 'no-load.check.ts']);
    expect(v.filesMissing).toEqual([join(dir, 'vanished.check.ts')]);
    expect(summaryLine(v, { passed: 1, failed: 0, note: 'crash test passed' })).toBe(
      'tests: 2 passed, 3 failed, 1 skipped (2 more not run: their file failed) · test files: 1 of 4 ran, 2 failed to load or in a hook, 1 never reported · crash test passed',
    );
  }, 120_000);

  it('a clean run says every file ran', () => {
    const v = summarizeVitest({ testResults: [{ name: '/a.test.ts', status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'skipped' }] }] }, ['/a.test.ts']);
    expect(summaryLine(v, { passed: 1, failed: 0 })).toBe('tests: 2 passed, 0 failed, 1 skipped · test files: 1 of 1 ran');
  });
});
