/**
 * Client for pdq_oracle.py, the reference PDQ binding (`pdqhash`, as HMA uses it) in .cache/venv-pdq.
 * Test and bench only. One Python process serves many requests; responses come back in request order.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ORACLE_PYTHON = join(REPO_ROOT, '.cache/venv-pdq/bin/python');
const SETUP_SCRIPT = join(REPO_ROOT, 'scripts/setup-pdq-oracle.sh');
const ORACLE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'pdq_oracle.py');

/**
 * Makes sure the oracle venv exists. Under CI it must have been prepared by scripts/setup-pdq-oracle.sh (a missing
 * venv is a failure, not a skip); on a developer machine the setup script is run here.
 */
export function ensureOracleVenv(): string {
  if (existsSync(ORACLE_PYTHON)) return ORACLE_PYTHON;
  if (process.env.CI) {
    throw new Error(
      `PDQ reference oracle missing (${ORACLE_PYTHON}). Run scripts/setup-pdq-oracle.sh before the tests (CI must call it before npm test).`,
    );
  }
  const r = spawnSync('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'], cwd: REPO_ROOT });
  if (r.status !== 0 || !existsSync(ORACLE_PYTHON)) {
    throw new Error(`scripts/setup-pdq-oracle.sh failed (exit ${r.status}); run it by hand to see why.`);
  }
  return ORACLE_PYTHON;
}

export interface OraclePdq {
  hash: string;
  quality: number;
  ms: number;
  dihedral?: string[];
  dihedral_quality?: number;
}

export interface OracleFile {
  hash?: string;
  quality?: number;
  mode?: string;
  shape?: number[];
  dtype?: string;
  sha256?: string;
  /** Over the first three channels, as uint8: the pixels PDQ reads. */
  sha256_rgb?: string;
  error?: string;
}

export class PdqOracle {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private dead: Error | null = null;

  constructor() {
    const python = ensureOracleVenv();
    this.proc = spawn(python, ['-u', ORACLE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const lines = createInterface({ input: this.proc.stdout });
    lines.on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      try {
        p.resolve(JSON.parse(line));
      } catch (e) {
        p.reject(e as Error);
      }
    });
    this.proc.on('exit', (code) => {
      this.dead = new Error(`pdq oracle exited with ${code}: ${this.stderr}`);
      for (const p of this.pending.splice(0)) p.reject(this.dead);
    });
    this.proc.stdin.on('error', () => {});
  }

  private request<T>(chunks: Uint8Array[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      for (const c of chunks) this.proc.stdin.write(c);
    });
  }

  /** pdqhash.compute (and compute_dihedral) on these exact interleaved pixels (1..4 channels, alpha ignored). */
  pdq(pixels: Uint8Array, width: number, height: number, channels: number, dihedral = false): Promise<OraclePdq> {
    const head = Buffer.alloc(17);
    head.write('P', 0, 'latin1');
    head.writeUInt32LE(width, 1);
    head.writeUInt32LE(height, 5);
    head.writeUInt32LE(channels, 9);
    head.writeUInt32LE(dihedral ? 1 : 0, 13);
    return this.request<OraclePdq>([head, pixels.subarray(0, width * height * channels)]);
  }

  /** python-threatexchange's pdq_from_bytes (Pillow decode + pdqhash) on a file's bytes. */
  file(bytes: Uint8Array): Promise<OracleFile> {
    const head = Buffer.alloc(5);
    head.write('F', 0, 'latin1');
    head.writeUInt32LE(bytes.length, 1);
    return this.request<OracleFile>([head, bytes]);
  }

  /** The 16×64 float32 DCT matrix built in Python with libm cos, as the C++ builds it. */
  async dctMatrix(): Promise<Float32Array> {
    const r = await this.request<{ dct_matrix: string }>([Buffer.from('M', 'latin1')]);
    const b = Buffer.from(r.dct_matrix, 'hex');
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }

  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin.end(Buffer.from('Q', 'latin1'));
    await exited;
  }
}
