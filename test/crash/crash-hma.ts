// The HMA the crash test's confirms add to: a real HMA 1.1.7 (PostgreSQL + gunicorn, test/hma-real/harness.ts) where
// ../shared/vendor is beside the checkout, else the HMA test double with a matcher that lags its stored index like
// HMA's. Either way the judge counts HMA contents per idempotency marker from the ground truth: HMA's database, or
// the double's state.
import { HmaClient } from '../../electron/services/hma';
import { startHmaDouble } from '../hma-double';
import { randomPdq } from '../hma/helpers';
import { ALL_ROLES, GUNICORN_TIMEOUT_S, contentsWithNote, createDatabase, realHmaUnavailable, startHma, startPostgres } from '../hma-real/harness';

export interface CrashHma {
  kind: 'real HMA 1.1.7' | 'HMA test double';
  url: string;
  apiKey: string;
  /** hma.saveSettings values matching this HMA's index reload interval and request timeout. */
  settings: { indexRefreshSeconds: number; serverTimeoutSeconds: number };
  /** HMA contents whose note holds this idempotency marker. */
  contentsWithMarker(marker: string): number[];
  close(): Promise<void>;
}

const API_KEY = 'crash-key';

async function seed(url: string, bank: string): Promise<void> {
  const c = new HmaClient({ baseUrl: url, apiKey: API_KEY });
  await c.createBank(bank);
  // Two unrelated PDQ hashes: HMA 1.1.7 never matches a PDQ index of one (upstream #1318).
  await c.createBank('CRASH_BALLAST');
  await c.addSignals('CRASH_BALLAST', { pdq: randomPdq() });
  await c.addSignals('CRASH_BALLAST', { pdq: randomPdq() });
}

export async function startCrashHma(bank: string): Promise<CrashHma> {
  const unavailable = realHmaUnavailable();
  if (unavailable) {
    console.log(`[crash] no real HMA (${unavailable}): using the HMA test double`);
    const double = await startHmaDouble({ apiKey: API_KEY, autoRebuildIndex: true, matcherRefreshMs: 1_000 });
    await seed(double.url, bank);
    return {
      kind: 'HMA test double',
      url: double.url,
      apiKey: API_KEY,
      settings: { indexRefreshSeconds: 1, serverTimeoutSeconds: 1 },
      contentsWithMarker: (marker) => [...double.state.contents.values()].filter((c) => c.note?.includes(marker)).map((c) => c.id),
      close: () => double.close(),
    };
  }
  const pg = await startPostgres();
  const database = createDatabase(pg, 'hma_crash');
  const hma = await startHma({ pg, database, roles: ALL_ROLES, name: 'crash', apiKey: API_KEY, indexerIntervalS: 1, indexCacheIntervalS: 1 });
  await seed(hma.url, bank);
  return {
    kind: 'real HMA 1.1.7',
    url: hma.url,
    apiKey: API_KEY,
    settings: { indexRefreshSeconds: 1, serverTimeoutSeconds: GUNICORN_TIMEOUT_S },
    contentsWithMarker: (marker) => contentsWithNote(pg, database, marker),
    close: async () => {
      await hma.stop();
      await pg.stop();
    },
  };
}
