// Desktop-only consequences of settings, applied around the dispatcher (no `electron` value imports: tested under
// Node with a stand-in window). Today: screen-capture protection of the main window, the one that shows revealed
// pictures (BrowserWindow.setContentProtection: honoured on macOS and Windows; Linux compositors ignore it).
import type { Dispatch } from '../services/api/dispatcher';
import type { Services } from '../services/app-services';
import { desktopSettingsSchema } from '../services/settings/desktop-settings';

export interface ProtectableWindow {
  setContentProtection(enabled: boolean): void;
}

/** Applies the stored setting now and after every successful settings.setDesktop. */
export function withDesktopEffects(dispatch: Dispatch, window: ProtectableWindow, services: Pick<Services, 'settings'>): Dispatch {
  window.setContentProtection(services.settings.get('desktop', desktopSettingsSchema).screenCaptureProtection);
  return async (name, input) => {
    const result = await dispatch(name, input);
    if (result.ok && name === 'settings.setDesktop') {
      window.setContentProtection(services.settings.get('desktop', desktopSettingsSchema).screenCaptureProtection);
    }
    return result;
  };
}
