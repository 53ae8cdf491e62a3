// Worker entry used when the hashing service runs from TypeScript sources (tsx, vitest, `npm run web`, the CLI):
// plain Node cannot load hash-worker.ts by itself, so register tsx's loader in this thread first. Bundled builds
// use the compiled hash-worker.js instead (see pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./hash-worker.ts');
