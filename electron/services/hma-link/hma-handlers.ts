import type { ContractHandlers } from '../../../shared/contract';
import type { Services } from '../app-services';
import { HmaError } from '../hma';
import { HMA_KEY_SECRETS, hmaSettingsSchema, keysLeavingTheirOrigin } from './hma-connection';

type HmaHandlers = Pick<ContractHandlers, 'hma.getSettings' | 'hma.saveSettings' | 'hma.testConnection' | 'ingest.lookupStatus'>;

function settingsView(services: Services) {
  const c = services.hma.config();
  const keys = Object.fromEntries(Object.entries(HMA_KEY_SECRETS).map(([role, name]) => [role, services.secrets.get(name) !== null])) as Record<keyof typeof HMA_KEY_SECRETS, boolean>;
  return { ...c, keys };
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
    'hma.testConnection': async () => {
      const client = services.hma.client();
      if (!client) return { configured: false, roles: [], indexStatus: {}, banks: [], error: 'HMA is not configured or is switched off.' };
      try {
        const roles = (await client.health()).map((h) => ({ role: h.role, baseUrl: h.baseUrl, ok: h.ok, message: h.message ?? (h.ok ? 'OK' : (h.code ?? 'failed')) }));
        const indexStatus = await client.indexStatus().catch(() => ({}));
        const banks = await client.listBanks().catch(() => []);
        return { configured: true, roles, indexStatus, banks: banks.map((b) => ({ name: b.name, enabled: b.enabled })), error: null };
      } catch (error) {
        return { configured: true, roles: [], indexStatus: {}, banks: [], error: error instanceof HmaError ? `${error.code}: ${error.message}` : String(error) };
      }
    },
    'ingest.lookupStatus': () => services.ingest.pendingLookups(),
  };
}
