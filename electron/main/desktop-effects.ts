// Desktop-only consequences of settings, applied around the dispatcher (no `electron` value imports: tested under
// Node with a stand-in window). Today: screen-capture protection of the main window, the one that shows revealed
// pictures (BrowserWindow.setContentProtection: honoured on macOS and Windows; Linux compositors ignore it).
// The setting is read through the contract, so it follows whichever store the console works on: this machine's, or
// the team server's (where a lead sets it for the team).
import type { Dispatch } from '../services/api/dispatcher';
import { desktopSettingsSchema } from '../services/settings/desktop-settings';

export interface ProtectableWindow {
  setContentProtection(enabled: boolean): void;
}

function protectionOf(value: unknown): boolean {
  const parsed = desktopSettingsSchema.safeParse(value);
  // Unknown (no answer yet, a team server that refused): protected.
  return parsed.success ? parsed.data.screenCaptureProtection : true;
}

/**
 * Protects the window at once, then applies the stored setting (read in the background: a team server may be slow to
 * answer), and again after every successful settings.getDesktop/setDesktop. `applied` settles once the stored setting
 * was read.
 */
export function withDesktopEffects(dispatch: Dispatch, window: ProtectableWindow): Dispatch & { applied: Promise<void> } {
  window.setContentProtection(true);
  const applied = dispatch('settings.getDesktop', {}).then(
    (stored) => {
      if (stored.ok && !protectionOf(stored.value)) window.setContentProtection(false);
    },
    () => undefined,
  );
  const wrapped = async (name: string, input: unknown) => {
    const result = await dispatch(name, input);
    if (result.ok && (name === 'settings.setDesktop' || name === 'settings.getDesktop')) window.setContentProtection(protectionOf(result.value));
    return result;
  };
  return Object.assign(wrapped, { applied });
}
