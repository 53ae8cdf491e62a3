import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The boundaries themselves are enforced by `npm run lint` (part of `npm test`); this proves the rules bite.
describe('process boundaries enforced by lint', () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const errorsFor = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  it('domain services may not import electron', async () => {
    expect(await errorsFor('electron/services/queue/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await errorsFor('electron/web/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).toHaveLength(1);
  });

  it('the main process and preload may', async () => {
    expect(await errorsFor('electron/main/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
    expect(await errorsFor('electron/preload/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toEqual([]);
  });

  it('the renderer imports no Node built-ins, no electron and nothing from electron/', async () => {
    expect(await errorsFor('renderer/src/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n")).toHaveLength(1);
    expect(await errorsFor('renderer/src/x.ts', "import path from 'path';\nexport const a = path;\n")).toHaveLength(1);
    expect(await errorsFor('renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toHaveLength(1);
    expect(await errorsFor('renderer/src/x.ts', "import { createServices } from '../../electron/services/app-services';\nexport const a = createServices;\n")).toHaveLength(1);
    expect(await errorsFor('renderer/src/x.ts', "import { contract } from '../../shared/contract';\nexport const a = contract;\n")).toEqual([]);
  });

  it('shared/ stays pure', async () => {
    expect(await errorsFor('shared/x.ts', "import { createHash } from 'node:crypto';\nexport const a = createHash;\n")).toHaveLength(1);
  });
});
