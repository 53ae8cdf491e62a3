import { z } from 'zod';
import { DEFAULT_MAX_PIXELS } from './hashing';

/**
 * Limits of the isolated media decoders, read at start-up from the `hashing` setting. The defaults take a
 * 12000×12000 photo (144 MP, ~520 MB to decode) and refuse the 16383×16383 bombs of the security review.
 */
export const hashingSettingsSchema = z
  .object({
    /** Pixels an image may declare before it is refused unopened. */
    maxPixels: z.number().int().min(1_000_000).max(1_000_000_000).default(DEFAULT_MAX_PIXELS),
    /** Memory one decoder process may use, in MiB (RLIMIT_DATA where available, plus an RSS watchdog). */
    memoryLimitMb: z.number().int().min(256).max(16_384).default(1024),
    /** A decode that takes longer is stopped and its decoder replaced. */
    timeoutSeconds: z.number().int().min(5).max(3600).default(60),
  })
  .prefault({});

export type HashingSettings = z.output<typeof hashingSettingsSchema>;
