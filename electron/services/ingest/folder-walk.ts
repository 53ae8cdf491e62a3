import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_MAX_FILES = 200_000;

/** Regular files under a folder, depth-first, skipping dot-files and symlinks (a link could point outside the folder). */
export async function* walkFiles(root: string, maxFiles = DEFAULT_MAX_FILES): AsyncGenerator<string> {
  const info = await stat(root);
  if (!info.isDirectory()) throw new Error(`${root} is not a folder`);
  let count = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const entries: { name: string; isDir: boolean; isFile: boolean }[] = [];
    for await (const entry of await opendir(dir)) {
      if (entry.name.startsWith('.')) continue;
      entries.push({ name: entry.name, isDir: entry.isDirectory(), isFile: entry.isFile() });
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries.filter((e) => e.isDir).reverse()) stack.push(join(dir, entry.name));
    for (const entry of entries.filter((e) => e.isFile)) {
      if (++count > maxFiles) throw new Error(`More than ${maxFiles} files under ${root}; import a smaller folder`);
      yield join(dir, entry.name);
    }
  }
}
