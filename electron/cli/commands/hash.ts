/**
 * matchdesk hash FILE... [--json] [--dihedral] [--workers N]
 * Per file: md5, sha1, sha256, pdq, quality (and the 8 dihedral variants with --dihedral). With --json, one JSON
 * object per line on stdout, failures included ({"file", "error": {"code", "message"}}). A file that is neither an
 * image nor a video (by its content, whatever its name) is a failure too ("not_media"). Exit 0 when every file
 * hashed, 1 when any failed (a refused file says why: too_many_pixels, out_of_memory, timed_out, decoder_crashed…), 2 on
 * a usage error. Files are decoded in isolated decoder processes, several at once, printed in input order.
 */
import { availableParallelism } from 'node:os';
import { DIHEDRAL_NAMES, HashError, HashingPool, type MediaHashes } from '../../services/hashing';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io';

const USAGE = 'usage: matchdesk hash FILE... [--json] [--dihedral] [--workers N]';

interface Options {
  files: string[];
  json: boolean;
  dihedral: boolean;
  workers: number | null;
}

function parse(args: string[]): Options | string {
  const o: Options = { files: [], json: false, dihedral: false, workers: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      o.files.push(...args.slice(i + 1));
      break;
    }
    if (a === '--json') o.json = true;
    else if (a === '--dihedral') o.dihedral = true;
    else if (a === '--workers' || a.startsWith('--workers=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) return `--workers needs a positive integer`;
      o.workers = n;
    } else if (a === '--help' || a === '-h') return '';
    else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else o.files.push(a);
  }
  if (o.files.length === 0) return 'no files given';
  return o;
}

type Outcome = { file: string; result: MediaHashes } | { file: string; error: { code: string; message: string } };

/** Digests alone are not what this command is for: a text file named .png is not a picture and says so. */
function notMedia(file: string, h: MediaHashes): { code: string; message: string } | null {
  if (h.mime?.startsWith('image/') || h.mime?.startsWith('video/')) return null;
  const named = /\.([a-z0-9]{2,5})$/i.exec(file)?.[1]?.toLowerCase();
  const what = h.format ? `a ${h.format} file` : 'not a format Matchdesk recognises';
  return { code: 'not_media', message: `not an image or a video: its content is ${what}${named ? ` (the name ends in .${named})` : ''}` };
}

function toOutcome(file: string, r: PromiseSettledResult<MediaHashes>): Outcome {
  if (r.status === 'fulfilled') {
    const error = notMedia(file, r.value);
    return error ? { file, error } : { file, result: r.value };
  }
  const e = r.reason as unknown;
  return { file, error: e instanceof HashError ? { code: e.code, message: e.message } : { code: 'error', message: String(e) } };
}

function jsonLine(o: Outcome, dihedral: boolean): string {
  if ('error' in o) return JSON.stringify({ file: o.file, error: o.error });
  const h = o.result;
  const obj: Record<string, unknown> = {
    file: o.file,
    md5: h.md5,
    sha1: h.sha1,
    sha256: h.sha256,
    pdq: h.pdq,
    quality: h.pdqQuality,
  };
  if (dihedral) obj.dihedral = h.pdqDihedral ? Object.fromEntries(DIHEDRAL_NAMES.map((n, i) => [n, h.pdqDihedral![i]])) : null;
  Object.assign(obj, { format: h.format, width: h.width, height: h.height, exifOrientation: h.exifOrientation, byteLength: h.byteLength });
  return JSON.stringify(obj);
}

/** Label and value, the labels padded to one column with at least two spaces before the value. */
const LABEL_WIDTH = Math.max(...['quality', 'format', ...DIHEDRAL_NAMES].map((n) => n.length)) + 2;
const row = (label: string, value: string): string => `  ${label.padEnd(LABEL_WIDTH)}${value}`;

function textBlock(o: Outcome, dihedral: boolean): string {
  if ('error' in o) return `${o.file}\n${row('error', `${o.error.code}: ${o.error.message}`)}`;
  const h = o.result;
  const lines = [
    o.file,
    row('md5', h.md5),
    row('sha1', h.sha1),
    row('sha256', h.sha256),
    row('pdq', h.pdq ?? (h.pdqQuality === null ? '- (not an image)' : '- (quality below 50)')),
    row('quality', String(h.pdqQuality ?? '-')),
  ];
  if (h.format) lines.push(row('format', `${h.format}${h.width !== null ? ` ${h.width}x${h.height}` : ''}${h.exifOrientation && h.exifOrientation !== 1 ? ` (EXIF orientation ${h.exifOrientation}, not applied)` : ''}`));
  if (dihedral && h.pdqDihedral) DIHEDRAL_NAMES.forEach((n, i) => lines.push(row(n, h.pdqDihedral![i]!)));
  return lines.join('\n');
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const opts = parse(args);
  if (typeof opts === 'string') {
    if (opts) io.err(`matchdesk hash: ${opts}`);
    (opts ? io.err : io.out)(USAGE);
    return opts ? EXIT_USAGE : EXIT_OK;
  }
  const hashOpts = { dihedral: opts.dihedral };
  let failed = 0;
  const emit = (o: Outcome): void => {
    if ('error' in o) failed++;
    if (opts.json) io.out(jsonLine(o, opts.dihedral));
    else ('error' in o ? io.err : io.out)(textBlock(o, opts.dihedral));
  };

  // Always through the pool: every file is decoded in a separate decoder process with a pixel cap, a memory cap
  // and a timeout, so a decompression bomb is refused with its reason instead of taking this process down.
  const workers = opts.workers ?? Math.min(opts.files.length, Math.max(1, availableParallelism()));
  const pool = new HashingPool({ workers, queueLimit: 2 * workers });
  try {
    // Results come back in completion order; print them in input order.
    const settled = opts.files.map((f) => Promise.allSettled([pool.hashFile(f, hashOpts)]).then(([r]) => toOutcome(f, r!)));
    for (const p of settled) emit(await p);
  } finally {
    await pool.close();
  }
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
