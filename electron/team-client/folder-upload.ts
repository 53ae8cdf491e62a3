import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { walkFiles } from '../services/ingest/folder-walk';
import type { Envelope } from '../../shared/result';

const BATCH_FILES = 50;
const BATCH_BYTES = 24 * 1024 * 1024;
const MAX_FILE_BYTES = 150 * 1024 * 1024;

/**
 * In team mode a folder import becomes uploads: the console reads the folder on its own machine and sends the files
 * to the server in batches (`ingest.uploadFiles`), where they are hashed, matched and kept encrypted.
 */
export async function uploadFolder(path: string, upload: (files: { name: string; dataBase64: string }[]) => Promise<Envelope<unknown>>): Promise<Envelope<unknown>> {
  try {
    if (!(await stat(path)).isDirectory()) throw new Error('not a folder');
  } catch {
    return { ok: false, error: { code: 'not_found', message: `No folder at ${path}` } };
  }
  let batch: { name: string; dataBase64: string }[] = [];
  let bytes = 0;
  let last: Envelope<unknown> | null = null;
  let skipped = 0;
  const flush = async (): Promise<Envelope<unknown> | null> => {
    if (batch.length === 0) return null;
    const answer = await upload(batch);
    batch = [];
    bytes = 0;
    if (!answer.ok) return answer;
    last = answer;
    return null;
  };
  try {
    for await (const file of walkFiles(path)) {
      const size = (await stat(file)).size;
      if (size > MAX_FILE_BYTES) {
        skipped++;
        continue;
      }
      if (batch.length >= BATCH_FILES || (bytes + size > BATCH_BYTES && batch.length > 0)) {
        const failed = await flush();
        if (failed) return failed;
      }
      batch.push({ name: basename(file), dataBase64: (await readFile(file)).toString('base64') });
      bytes += size;
    }
  } catch (error) {
    return { ok: false, error: { code: 'invalid_input', message: error instanceof Error ? error.message : String(error) } };
  }
  const failed = await flush();
  if (failed) return failed;
  if (!last) return { ok: false, error: { code: 'not_found', message: `No files to import in ${path}${skipped ? ` (${skipped} too large)` : ''}` } };
  return last;
}
