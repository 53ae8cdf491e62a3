// The real decoder process, plus one trigger: a request for a file named *.crash aborts the process (SIGABRT, as a
// native decoder crash would). A stand-in, because no real libvips crash can be produced on demand.
import { register } from 'tsx/esm/api';

register();
process.on('message', (m) => {
  if (m && typeof m === 'object' && m.op === 'file' && String(m.path).endsWith('.crash')) process.abort();
});
await import('../../../electron/services/hashing/decoder-process.ts');
