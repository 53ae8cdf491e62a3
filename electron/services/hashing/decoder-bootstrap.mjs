// Decoder process entry used when the hashing service runs from TypeScript sources (tsx, vitest, `npm run web`, the
// CLI): plain Node cannot load decoder-process.ts by itself, so register tsx's loader first. Bundled builds start
// the compiled decoder-process.js instead (see decoder-spawner.ts).
import { register } from 'tsx/esm/api';

register();
await import('./decoder-process.ts');
