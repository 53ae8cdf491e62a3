import type { MediaMatcher } from '../ingest/ingest-service';
import type { HmaConnection } from './hma-connection';

const DEFAULT_SEVERITY = 50;

/** HMA as one of the ingest pipeline's matchers. Not configured: no matches. Configured but failing: it throws, and the item is retried. */
export function hmaMediaMatcher(connection: HmaConnection): MediaMatcher {
  return {
    name: 'hma',
    async match(signals) {
      const client = connection.client();
      if (!client) return { matches: [], allowListed: false };
      const severity = connection.config().bankSeverity;
      const found = await client.lookupMedia({ pdq: signals.pdq, md5: signals.md5, sha256: signals.sha256 });
      return {
        allowListed: false,
        matches: found.map((m) => ({
          matcher: 'hma' as const,
          bankName: m.bankName,
          contentRef: String(m.contentId),
          signalType: m.signalType,
          signal: m.signal ?? null,
          distance: m.distance,
          label: m.note ?? m.metadata?.contentId ?? null,
          severity: severity[m.bankName] ?? DEFAULT_SEVERITY,
        })),
      };
    },
  };
}
