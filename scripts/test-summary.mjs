// The counts behind `npm test`'s summary line, from vitest's JSON report and the list of files vitest should run.
// Honest counting: a file that fails to load (or whose setup fails before any test) counts as one failure, its
// tests count as "not run" rather than "skipped", and a file vitest never reported counts as failed too.

/**
 * @param {{ testResults?: { name: string, status: string, message?: string, assertionResults: { status: string }[] }[] } | null} report
 *   vitest's JSON report (null when vitest wrote none)
 * @param {string[]} expectedFiles absolute paths vitest lists for this run (`vitest list --filesOnly --json`)
 */
export function summarizeVitest(report, expectedFiles) {
  const results = report?.testResults ?? [];
  const byName = new Map(results.map((r) => [r.name, r]));
  const out = { passed: 0, failed: 0, skipped: 0, notRun: 0, files: expectedFiles.length, filesRan: 0, filesBroken: [], filesMissing: [] };
  for (const r of results) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const a of r.assertionResults) {
      if (a.status === 'passed') counts.passed++;
      else if (a.status === 'failed') counts.failed++;
      else counts.skipped++;
    }
    out.passed += counts.passed;
    out.failed += counts.failed;
    // Failed as a file, yet no test failed: it did not load, or a hook failed before its tests could run.
    const broken = r.status === 'failed' && counts.failed === 0;
    if (broken) {
      out.failed += 1;
      out.notRun += counts.skipped;
      out.filesBroken.push({ file: r.name, message: (r.message ?? '').split('\n')[0].slice(0, 200) });
    } else {
      out.skipped += counts.skipped;
    }
    if (!broken || counts.passed > 0) out.filesRan++;
  }
  for (const f of expectedFiles) {
    if (!byName.has(f)) {
      out.filesMissing.push(f);
      out.failed += 1;
    }
  }
  if (expectedFiles.length === 0) out.files = results.length;
  return out;
}

/** One line: tests passed/failed/skipped, how many files ran of how many, and what else ran. */
export function summaryLine(v, extra) {
  const parts = [`tests: ${v.passed + extra.passed} passed, ${v.failed + extra.failed} failed, ${v.skipped} skipped`];
  if (v.notRun) parts[0] += ` (${v.notRun} more not run: their file failed)`;
  parts.push(`test files: ${v.filesRan} of ${v.files} ran${v.filesBroken.length ? `, ${v.filesBroken.length} failed to load or in a hook` : ''}${v.filesMissing.length ? `, ${v.filesMissing.length} never reported` : ''}`);
  if (extra.note) parts.push(extra.note);
  return parts.join(' · ');
}
