import { defineConfig } from 'electron-vite';
import { fileURLToPath } from 'node:url';
import { rendererConfig } from './renderer/vite.config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: here('./out/main'),
      rolldownOptions: {
        input: {
          index: here('./electron/main/index.ts'),
          'hash-worker': here('./electron/services/hashing/hash-worker.ts'),
          // The media decoder, started as an Electron utilityProcess (electron/main/utility-decoder.ts).
          'decoder-process': here('./electron/services/hashing/decoder-process.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: here('./out/preload'),
      // Sandboxed preloads must be one CommonJS file with nothing external but `electron`.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: here('./electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: {
      ...rendererConfig.build,
      outDir: here('./out/renderer'),
      rolldownOptions: { input: here('./renderer/index.html') },
    },
  },
});
