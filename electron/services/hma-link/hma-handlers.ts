import type { ContractHandlers } from '../../../shared/contract';
import type { Services } from '../app-services';
import { HmaError, type HmaClient, type HmaRole } from '../hma';
import { HMA_KEY_SECRETS, hmaSettingsSchema, keysLeavingTheirOrigin } from './hma-connection';
import { hmaProblemInWords } from './hma-test-words';

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
    'hma.saveSettings': (input, ctx) => {
      const { apiKey, roleKeys, ...rest } = input;
      const prev = services.hma.config();
      const next = hmaSettingsSchema.parse({ ...prev, ...rest });
      // A key follows no URL to a new origin: if this save would send a stored key elsewhere, it is cleared.
      const stored = Object.fromEntries(Object.entries(HMA_KEY_SECRETS).map(([role, name]) => [role, services.secrets.get(name) !== null])) as Record<keyof typeof HMA_KEY_SECRETS, boolean>;
      const replacing = new Set<keyof typeof HMA_KEY_SECRETS>();
      if (apiKey !== undefined) replacing.add('all');
      for (const role of ['hasher', 'matcher', 'curator'] as const) if (roleKeys?.[role] !== undefined) replacing.add(role);
      const keysCleared = keysLeavingTheirOrigin(prev, next, stored, replacing);
      for (const k of keysCleared) services.secrets.delete(HMA_KEY_SECRETS[k]);
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
        actor: ctx.actor,
        action: 'settings.hma',
        subject: null,
        details: { ...rest, apiKeyChanged: apiKey !== undefined, roleKeysChanged: Object.keys(roleKeys ?? {}), keysCleared },
      });
      return settingsView(services);
    },
    'hma.testConnection': async ({ baseUrl, apiKey }) => {
      const typed = baseUrl !== undefined || apiKey !== undefined;
      const tested = typed ? 'the address and key in the form (not saved yet)' : 'the saved settings';
      const client = services.hma.testClient({ ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) });
      if (!client) {
        const error = 'No HMA address is set: type the base URL of your HMA server.';
        return { configured: false, tested, summary: error, roles: [], indexStatus: {}, banks: [], warnings: [], error };
      }
      const timeoutMs = services.hma.config().timeoutMs;
      const endpoints = client.describe();
      // One check per distinct address, as HMA serves several roles from one.
      const byUrl = new Map<string, HmaRole[]>();
      for (const role of ['hasher', 'matcher', 'curator'] as const) byUrl.set(endpoints[role].baseUrl, [...(byUrl.get(endpoints[role].baseUrl) ?? []), role]);
      let indexStatus: Awaited<ReturnType<typeof client.indexStatus>> = {};
      let banks: Awaited<ReturnType<typeof client.listBanks>> = [];
      // /status needs no key; the index status (matcher) and the bank list (curator) do, so they check the key.
      const roles = await Promise.all(
        [...byUrl].map(async ([url, served]) => {
          const role = served.join(', ');
          try {
            await client.status(served[0]).catch((e: unknown) => {
              if (!(e instanceof HmaError && e.code === 'index_not_ready')) throw e;
            });
            if (served.includes('matcher')) indexStatus = await client.indexStatus();
            if (served.includes('curator')) banks = await client.listBanks();
            return { role, baseUrl: url, ok: true, message: served.includes('matcher') || served.includes('curator') ? 'answered and accepted the key' : 'answered' };
          } catch (error) {
            return { role, baseUrl: url, ok: false, message: hmaProblemInWords(error, url, timeoutMs) };
          }
        }),
      );
      const allOk = roles.every((r) => r.ok);
      const summary = allOk
        ? `Connected to ${[...byUrl.keys()].join(' and ')}: HMA answered and accepted the key (${banks.length} bank${banks.length === 1 ? '' : 's'}).`
        : roles.filter((r) => !r.ok).map((r) => r.message).join(' ');
      const warnings = allOk ? await hmaWarnings(client, indexStatus) : [];
      return { configured: true, tested, summary, roles, indexStatus, banks: banks.map((b) => ({ name: b.name, enabled: b.enabled })), warnings, error: allOk ? null : summary };
    },
    'ingest.lookupStatus': () => services.ingest.pendingLookups(),
  };
}
