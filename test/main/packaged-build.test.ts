// Packaged builds: no DevTools (not in the menu, not in the window), and the window that shows revealed pictures is
// protected from screen capture, a setting that is on by default. Checked through the functions the main process
// uses (the Electron binary cannot run here), and the setting through the real services.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appMenuTemplate } from '../../electron/main/app-menu';
import { secureWebPreferences } from '../../electron/main/security-policy';
import { withDesktopEffects } from '../../electron/main/desktop-effects';
import { createServices } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

type Item = { role?: string; label?: string; accelerator?: string; submenu?: Item[] };
const flatten = (items: Item[]): Item[] => items.flatMap((i) => [i, ...flatten(i.submenu ?? [])]);

describe('packaged builds', () => {
  it('the menu of a packaged build has no DevTools, reload or force-reload; a development build keeps them', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const packaged = flatten(appMenuTemplate({ packaged: true, platform }) as Item[]);
      expect(packaged.filter((i) => ['toggleDevTools', 'reload', 'forceReload'].includes(i.role ?? ''))).toEqual([]);
      expect(packaged.some((i) => /dev ?tools/i.test(i.label ?? ''))).toBe(false);
      expect(packaged.some((i) => i.role === 'quit' || i.role === 'appMenu')).toBe(true);
      const dev = flatten(appMenuTemplate({ packaged: false, platform }) as Item[]);
      expect(dev.some((i) => i.role === 'toggleDevTools')).toBe(true);
    }
  });

  it('windows of a packaged build cannot open DevTools at all', () => {
    expect(secureWebPreferences('/p.cjs', { devTools: false }).devTools).toBe(false);
    expect(secureWebPreferences('/p.cjs', { devTools: true }).devTools).toBe(true);
  });
});

describe('screen-capture protection', () => {
  const temp = tempDir('matchdesk-capture-');
  const services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'ipc',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
  });
  afterAll(async () => {
    await services.close();
    temp.cleanup();
  });

  it('is on by default, and the window follows the setting as it changes (a stand-in window records the calls)', async () => {
    const calls: boolean[] = [];
    const dispatch = withDesktopEffects(localDispatch(services), { setContentProtection: (on) => calls.push(on) });
    await dispatch.applied;
    expect(calls).toEqual([true]); // protected at once; the stored setting (default on) changes nothing
    const get = await dispatch('settings.getDesktop', {});
    expect(get).toMatchObject({ ok: true, value: { screenCaptureProtection: true } });
    expect(calls).toEqual([true, true]);
    await dispatch('settings.setDesktop', { screenCaptureProtection: false });
    await dispatch('settings.setDesktop', { screenCaptureProtection: true });
    expect(calls).toEqual([true, true, false, true]);
    expect(services.audit.list(2).map((r) => r.action)).toEqual(['settings.desktop', 'settings.desktop']);
  });
});
