import type { ContractHandlers } from '../../../shared/contract';
import type { Services } from '../app-services';
import { HmaError, type HmaClient } from '../hma';
import { HMA_KEY_SECRETS, hmaSettingsSchema } from './hma-connection';

type HmaHandlers = Pick<ContractHandlers, 'hma.getSettings' | 'hma.saveSettings' | 'hma.testConnection' | 'ingest.lookupStatus'>;

function settingsView(services: Services) {
  const c = services.hma.config();
  const keys = Object.fromEntries(Object.entries(HMA_KEY_SECRETS).map(([role, name]) => [role, services.secrets.get(name) !== null])) as Record<keyof typeof HMA_KEY_SECRETS, boolean>;
  return { ...c, keys };
}

export const SINGLE_PDQ_HASH_WARNING =
  "HMA's PDQ index holds a single hash, and HMA 1.1.7 never matches a PDQ index of exactly one hash (a known HMA bug, " +
  'facebook/ThreatExchange#1318): nothing will match it. To fix it, add a second PDQ hash to any bank on this HMA.';

/**
 * What an admin should fix on the HMA side. HMA's one-hash bug: the stored index (or, about to be built, the
 * database) holds exactly one PDQ hash.
 */
async function hmaWarnings(client: HmaClient, indexStatus: Record<string, { size: number; present: boolean }>): Promise<string[]> {
  const warnings: string[] = [];
  const dbPdq = await client
    .signalTypeIndexStatus('pdq')
    .then((s) => s.pdq?.dbSize ?? null)
    .catch(() => null); // no curator role for this key or URL: the matcher's view below is enough
  const storedPdq = indexStatus.pdq?.present ? indexStatus.pdq.size : null;
  if (dbPdq === 1 || (dbPdq === null && storedPdq === 1)) warnings.push(SINGLE_PDQ_HASH_WARNING);
  return warnings;
}

/** HMA settings (keys go to the secret store and are never returned), the test-connection button, and lookup retries. */
export function hmaHandlers(services: Services): HmaHandlers {
  return {
    'hma.getSettings': () => settingsView(services),
    'hma.saveSettings': (input) => {
      const { apiKey, roleKeys, ...rest } = input;
      const next = hmaSettingsSchema.parse({ ...services.hma.config(), ...rest });
      services.settings.set('hma', next);
      const setKey = (name: string, value: string | null | undefined) => {
        if (value === undefined) return;
        if (value === null) services.secrets.delete(name);
        else services.secrets.set(name, value);
      };
      setKey(HMA_KEY_SECRETS.all, apiKey);
      setKey(HMA_KEY_SECRETS.hasher, roleKeys?.hasher);
      setKey(HMA_KEY_SECRETS.matcher, roleKeys?.matcher);
      setKey(HMA_KEY_SECRETS.curator, roleKeys?.curator);
      services.audit.append({
        actor: services.reviewer,
        action: 'settings.hma',
        subject: null,
        details: { ...rest, apiKeyChanged: apiKey !== undefined, roleKeysChanged: Object.keys(roleKeys ?? {}) },
      });
      return settingsView(services);
    },
    'hma.testConnection': async () => {
      const client = services.hma.client();
      if (!client) return { configured: false, roles: [], indexStatus: {}, banks: [], warnings: [], error: 'HMA is not configured or is switched off.' };
      try {
        const roles = (await client.health()).map((h) => ({ role: h.role, baseUrl: h.baseUrl, ok: h.ok, message: h.message ?? (h.ok ? 'OK' : (h.code ?? 'failed')) }));
        const indexStatus = await client.indexStatus().catch(() => ({}));
        const banks = await client.listBanks().catch(() => []);
        const warnings = await hmaWarnings(client, indexStatus);
        return { configured: true, roles, indexStatus, banks: banks.map((b) => ({ name: b.name, enabled: b.enabled })), warnings, error: null };
      } catch (error) {
        return { configured: true, roles: [], indexStatus: {}, banks: [], warnings: [], error: error instanceof HmaError ? `${error.code}: ${error.message}` : String(error) };
      }
    },
    'ingest.lookupStatus': () => services.ingest.pendingLookups(),
  };
}
