import { z } from 'zod';

/** Settings that only the desktop app acts on (stored with the rest, so they survive updates). */
export const desktopSettingsSchema = z
  .object({
    /** Keep the window that shows revealed pictures out of screenshots, recordings and screen sharing. */
    screenCaptureProtection: z.boolean().default(true),
  })
  .prefault({});
