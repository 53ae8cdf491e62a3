import type { MediaMatcher } from '../ingest/ingest-service';
import type { HmaContentMetadata } from '../hma';
import type { HmaConnection } from './hma-connection';

const DEFAULT_SEVERITY = 50;

/** HMA's content metadata under HMA's own key names, without the empty ones (what the reviewer sees as evidence). */
function evidenceMetadata(m: HmaContentMetadata | null | undefined): Record<string, unknown> {
  if (!m) return {};
  const out: Record<string, unknown> = {};
  if (m.contentId) out.content_id = m.contentId;
  if (m.contentUri) out.content_uri = m.contentUri;
  if (m.json !== null && m.json !== undefined) out.json = m.json;
  if (m.collab && Object.keys(m.collab).length > 0) out.collab = m.collab;
  return out;
}

/**
 * HMA as one of the ingest pipeline's matchers. Not configured: no matches. Configured but failing: it throws, and the
 * item is retried. Each match carries HMA's evidence: the bank content's note and metadata and its stored signal.
 */
export function hmaMediaMatcher(connection: HmaConnection): MediaMatcher {
  return {
    name: 'hma',
    async match(signals) {
      const client = connection.client();
      if (!client) return { matches: [], allowListed: false };
      const severity = connection.config().bankSeverity;
      const found = await client.lookupMedia({ pdq: signals.pdq, md5: signals.md5, sha256: signals.sha256 }, { includeDetails: true });
      return {
        allowListed: false,
        matches: found.map((m) => ({
          matcher: 'hma' as const,
          bankName: m.bankName,
          contentRef: String(m.contentId),
          signalType: m.signalType,
          signal: m.signal ?? null,
          distance: m.distance,
          label: m.metadata?.contentId ?? null,
          severity: severity[m.bankName] ?? DEFAULT_SEVERITY,
          evidence: m.details === 'unavailable' ? null : { note: m.note ?? null, metadata: evidenceMetadata(m.metadata) },
        })),
      };
    },
  };
}
