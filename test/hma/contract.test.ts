// HMA client contract tests against the HMA test double: the same suite (contract-suite.ts) runs against a real
// HMA 1.1.7 in three deployments in test/hma-real/contract.test.ts (the `hma` project). Here: one double with auth
// off, one with hma-matrix's Bearer key, and a split pair (a matcher-only double beside a curator + hasher double).

import { afterAll, beforeAll, describe } from 'vitest';
import { localPdqHasher, startHmaDouble, type HmaDouble } from '../hma-double';
import { defineContractSuite } from './contract-suite';

for (const auth of [false, true]) {
  describe(`HMA client contract, auth ${auth ? 'on (Bearer key)' : 'off'} (against the HMA test double)`, () => {
    let double: HmaDouble;
    const apiKey = auth ? 'test-key-9f2c4e7a' : null;
    beforeAll(async () => {
      double = await startHmaDouble({ apiKey, hasher: localPdqHasher() });
    });
    afterAll(() => double.close());
    defineContractSuite(
      () => ({
        urls: { hasher: double.url, matcher: double.url, curator: double.url },
        apiKey,
        awaitIndexed: async () => double.rebuildIndex(),
      }),
      { indexTimeoutMs: 30_000 },
    );
  });
}

describe('HMA client contract, split roles: a matcher-only worker beside a curator (against HMA test doubles)', () => {
  let curator: HmaDouble;
  let matcher: HmaDouble;
  beforeAll(async () => {
    curator = await startHmaDouble({ roles: { curator: true, hasher: true, matcher: false }, hasher: localPdqHasher() });
    matcher = await startHmaDouble({ roles: { matcher: true, hasher: false, curator: false }, state: curator.state });
  });
  afterAll(async () => {
    await Promise.all([matcher.close(), curator.close()]);
  });
  defineContractSuite(
    () => ({
      urls: { hasher: curator.url, matcher: matcher.url, curator: curator.url },
      apiKey: null,
      awaitIndexed: async () => curator.rebuildIndex(),
    }),
    { indexTimeoutMs: 30_000, split: true },
  );
});
