// The HMA client contract suite (test/hma/contract-suite.ts) against a real HMA 1.1.7 started by the harness, in
// three deployments: all roles in one server; a matcher-only worker beside a curator (per-role URLs); every role
// behind hma-matrix's Bearer key. The same suite runs against the HMA test double in test/hma/contract.test.ts.
import { describe, inject } from 'vitest';
import { defineContractSuite, pollIndexed } from '../hma/contract-suite';
import { deployment, realHmaSkipNote, type DeploymentName } from './real-hma';

const ctx = inject('realHma');
realHmaSkipNote(ctx, 'the HMA client contract tests against a real HMA');
const INDEX_WAIT_MS = 60_000; // indexer every 1 s, matchers every 1 s (5 s for the split one); its first run is 15 s after start

// The three deployments at once (they wait on their indexers, not on the CPU); each one's tests in order.
for (const name of ['all-roles', 'split-roles', 'keyed'] as DeploymentName[]) {
  describe.skipIf(ctx.unavailable !== null).concurrent(`HMA client contract against a real HMA 1.1.7: ${name}`, () => {
    describe.sequential('one test at a time', () => {
      defineContractSuite(
        () => {
          const d = deployment(ctx, name);
          return { urls: d.urls, apiKey: d.apiKey, awaitIndexed: (client, type, signal, id) => pollIndexed(client, type, signal, id, INDEX_WAIT_MS) };
        },
        { indexTimeoutMs: INDEX_WAIT_MS * 3 + 30_000, split: name === 'split-roles' },
      );
    });
  });
}
