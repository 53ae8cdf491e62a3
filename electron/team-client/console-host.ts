import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ZodError } from 'zod';
import { consoleContract, isConsoleCallName, type ConsoleCallName, type ConsoleStatus } from '../../shared/console-contract';
import { contract } from '../../shared/contract';
import type { ConsoleEvent } from '../../shared/events';
import type { Envelope } from '../../shared/result';
import type { Services } from '../services/app-services';
import type { Dispatch } from '../services/api/dispatcher';
import { bankImportUploadRoute, type UploadRoute } from '../services/api/upload-routes';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../services/banks/bank-import-jobs';
import type { SecretStore } from '../services/secrets/secret-store';
import { uploadFolder } from './folder-upload';
import { MatrixSignInError, requestOpenIdToken, type MatrixCredentials } from './matrix-openid';
import { normaliseServerUrl, TeamServerClient, type TeamSessionInfo } from './team-server-client';

export interface ConsoleHostOptions {
  /** This console's own folder: its local data (local mode) and console.json (which mode, which server). */
  dataDir: string;
  /** Where the team session token is kept: the OS keychain on the desktop, a 0600 file in the browser shell. */
  secrets: SecretStore;
  /** How the renderer reaches this host. */
  localKind: 'ipc' | 'http';
  /** Opens this machine's services (only when the console works locally) and their contract. */
  openLocal: () => { services: Services; dispatch: Dispatch };
  pickFolder?: () => Promise<string | null>;
  /** The native file dialog for bank imports (desktop); in team mode the chosen file is uploaded to the server. */
  pickImportFile?: () => Promise<string | null>;
  /** What the sessions view shows for this console, e.g. "Matchdesk desktop on ws-12". */
  clientLabel: string;
  /** A CA (PEM) to trust for the team server, for servers with a private CA. */
  teamCa?: string;
  log?: (line: string) => void;
}

interface ModeFile {
  mode: 'local' | 'team';
  serverUrl: string | null;
}

const TOKEN_SECRET = 'team.session';

/**
 * The console's side of "Work on this machine" / "Connect to a team server", for the desktop main process and the
 * browser shell's loopback host alike. Locally it serves the contract from this machine's services. In team mode it
 * relays the contract to the server with the session token, which it keeps in the secret store and never hands to
 * the renderer; it turns folder imports into uploads, and forwards the server's live events. Data never mixes: a team
 * console opens no local store, and a local one talks to no server.
 */
export class ConsoleHost {
  private mode: ModeFile;
  private local: { services: Services; dispatch: Dispatch; unsubscribe: () => void } | null = null;
  private client: TeamServerClient | null = null;
  private session: TeamSessionInfo | null = null;
  private access: ConsoleStatus['access'] = null;
  private stream: { close(): void } | null = null;
  private readonly listeners = new Set<(event: ConsoleEvent) => void>();
  private ready: Promise<void>;

  constructor(private readonly options: ConsoleHostOptions) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.mode = this.readMode();
    this.ready = this.mode.mode === 'team' ? this.resumeTeam() : Promise.resolve();
  }

  subscribe(listener: (event: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The transport's one entry point: console.* calls here, the contract locally or relayed to the team server. */
  readonly dispatch: Dispatch = async (name, input) => {
    await this.ready;
    if (typeof name === 'string' && isConsoleCallName(name)) return this.consoleCall(name, input);
    if (this.mode.mode === 'local') return this.openLocal().dispatch(name, input);
    return this.relay(name, input);
  };

  /**
   * A streamed upload (POST /upload/<name> on an HTTP host): into this machine's services locally; in team mode
   * streamed on to the server's own upload route with the session token (the server checks the role and the size).
   */
  uploadRoute(name: 'bank-import'): UploadRoute {
    return {
      maxBytes: DEFAULT_MAX_UPLOAD_BYTES,
      handle: async (body, params) => {
        await this.ready;
        if (this.mode.mode === 'local') return bankImportUploadRoute(this.openLocal().services).handle(body, params);
        return this.relayUpload(name, Object.fromEntries(params), body);
      },
    };
  }

  async close(): Promise<void> {
    this.stream?.close();
    this.client?.close();
    this.local?.unsubscribe();
    await this.local?.services.close();
    this.local = null;
  }

  // ---- console calls -------------------------------------------------------------------------------------------

  private async consoleCall(name: ConsoleCallName, raw: unknown): Promise<Envelope<unknown>> {
    const parsed = consoleContract[name].input.safeParse(raw ?? {});
    if (!parsed.success) return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${name}`, issues: issues(parsed.error) } };
    try {
      switch (name) {
        case 'console.status':
          return { ok: true, value: this.status() };
        case 'console.useLocal':
          this.leaveTeam();
          this.writeMode({ mode: 'local', serverUrl: this.mode.serverUrl });
          this.emit({ type: 'resync' });
          return { ok: true, value: this.status() };
        case 'console.connect': {
          const url = normaliseServerUrl((parsed.data as { serverUrl: string }).serverUrl);
          this.leaveTeam();
          this.closeLocal();
          this.writeMode({ mode: 'team', serverUrl: url });
          await this.resumeTeam();
          this.emit({ type: 'resync' });
          return { ok: true, value: this.status() };
        }
        case 'console.signIn':
          return await this.signIn(parsed.data as MatrixCredentials);
        case 'console.signOut': {
          const token = this.token();
          if (token && this.client) await this.client.signOut(token);
          this.dropToken();
          this.leaveTeam();
          this.access = null;
          this.emit({ type: 'resync' });
          return { ok: true, value: this.status() };
        }
      }
    } catch (error) {
      return { ok: false, error: { code: 'invalid_input', message: error instanceof Error ? error.message : String(error) } };
    }
  }

  private status(): ConsoleStatus {
    return {
      mode: this.mode.mode,
      serverUrl: this.mode.serverUrl,
      signedIn: this.mode.mode === 'team' && this.token() !== null,
      userId: this.session?.userId ?? null,
      role: this.session?.role ?? null,
      expiresAt: this.session?.expiresAt ?? null,
      access: this.mode.mode === 'team' ? this.access : null,
      tokenProtection: this.options.secrets.protection,
    };
  }

  private async signIn(credentials: MatrixCredentials): Promise<Envelope<unknown>> {
    if (this.mode.mode !== 'team' || !this.mode.serverUrl) return { ok: false, error: { code: 'invalid_input', message: 'Connect to a team server first' } };
    let openid;
    try {
      ({ openid } = await requestOpenIdToken(credentials));
    } catch (error) {
      if (error instanceof MatrixSignInError) return { ok: false, error: { code: error.kind === 'unreachable' ? 'unavailable' : 'unauthorized', message: error.message } };
      throw error;
    }
    const client = this.teamClient();
    const answer = await client.signIn(openid, this.options.clientLabel);
    if (!answer.ok) {
      if (answer.error.code === 'no_access') this.access = { state: 'no_access', message: answer.error.message };
      return answer;
    }
    this.storeToken(answer.value.token);
    this.session = answer.value.session;
    this.access = null;
    this.startStream(answer.value.token);
    this.emit({ type: 'resync' });
    return { ok: true, value: this.status() };
  }

  // ---- team mode -----------------------------------------------------------------------------------------------

  private teamClient(): TeamServerClient {
    if (!this.client || this.client.url !== this.mode.serverUrl) {
      this.client?.close();
      this.client = new TeamServerClient(this.mode.serverUrl!, this.options.teamCa ? { ca: this.options.teamCa } : {});
    }
    return this.client;
  }

  /** On start-up or reconnecting: check the stored session with the server. */
  private async resumeTeam(): Promise<void> {
    const token = this.token();
    if (!token || !this.mode.serverUrl) return;
    const answer = await this.teamClient().whoami(token);
    if (answer.ok) {
      this.session = answer.value.session;
      this.access = null;
      this.startStream(token);
    } else if (answer.error.code === 'unauthorized') {
      this.dropToken();
      this.access = { state: 'signed_out', message: answer.error.message };
    } else if (answer.error.code === 'no_access') {
      this.access = { state: 'no_access', message: answer.error.message };
    } else {
      // The server is unreachable: keep the session; calls will say so, and the stream keeps trying.
      this.startStream(token);
    }
  }

  private async relay(name: string, input: unknown): Promise<Envelope<unknown>> {
    const token = this.token();
    if (!token) return { ok: false, error: { code: 'unauthorized', message: this.access?.message ?? 'Sign in to the team server' } };
    const client = this.teamClient();
    let answer: Envelope<unknown>;
    if (name === 'ingest.pickFolder') {
      answer = { ok: true, value: { path: this.options.pickFolder ? await this.options.pickFolder() : null } };
    } else if (name === 'banks.pickImportFile') {
      answer = { ok: true, value: { path: this.options.pickImportFile ? await this.options.pickImportFile() : null } };
    } else if (name === 'banks.startImport' && input && typeof input === 'object' && typeof (input as { path?: unknown }).path === 'string') {
      // The server reads no paths: the file chosen on this machine is uploaded, streamed.
      return this.uploadImportFile(input);
    } else if (name === 'ingest.importFolder' && input && typeof input === 'object' && typeof (input as { path?: unknown }).path === 'string') {
      answer = await uploadFolder((input as { path: string }).path, (files) => client.call(token, 'ingest.uploadFiles', { files }));
    } else {
      answer = await client.call(token, name, input);
    }
    if (!answer.ok) this.noteAccess(answer.error.code, answer.error.message);
    else if (name === 'app.info') answer = { ok: true, value: { ...(answer.value as object), transport: this.options.localKind } };
    return answer;
  }

  private async relayUpload(name: string, params: Record<string, string>, body: Readable, length?: number): Promise<Envelope<unknown>> {
    const token = this.token();
    if (!token) return { ok: false, error: { code: 'unauthorized', message: this.access?.message ?? 'Sign in to the team server' } };
    const answer = await this.teamClient().upload(token, name, params, body, length);
    if (!answer.ok) this.noteAccess(answer.error.code, answer.error.message);
    return answer;
  }

  /** banks.startImport of a file on this machine, in team mode: the same upload the browser shell makes. */
  private async uploadImportFile(raw: unknown): Promise<Envelope<unknown>> {
    const parsed = contract['banks.startImport'].input.safeParse(raw);
    if (!parsed.success) return { ok: false, error: { code: 'invalid_input', message: 'Invalid input for banks.startImport', issues: issues(parsed.error) } };
    const { bankName, format, newBankKind, path } = parsed.data;
    let size: number;
    try {
      const info = await stat(path!);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      return { ok: false, error: { code: 'not_found', message: `No file at ${path}` } };
    }
    const params: Record<string, string> = { bankName, fileName: basename(path!) || 'import' };
    if (format) params.format = format;
    if (newBankKind) params.newBankKind = newBankKind;
    const file = createReadStream(path!);
    try {
      return await this.relayUpload('bank-import', params, file, size);
    } finally {
      file.destroy();
    }
  }

  private noteAccess(code: string, message: string): void {
    if (code === 'unauthorized') {
      this.dropToken();
      this.session = null;
      this.stream?.close();
      this.access = { state: 'signed_out', message };
      this.emit({ type: 'access', state: 'signed_out', message });
    } else if (code === 'no_access') {
      this.access = { state: 'no_access', message };
      this.emit({ type: 'access', state: 'no_access', message });
    }
  }

  private startStream(token: string): void {
    this.stream?.close();
    let wasLive = false;
    this.stream = this.teamClient().events(token, {
      onEvent: (event) => this.emit(event),
      onResync: () => this.emit({ type: 'resync' }),
      onState: (state) => {
        // After a gap, refetch rather than trust that nothing was missed.
        if (state === 'live' && wasLive) this.emit({ type: 'resync' });
        if (state === 'live') wasLive = true;
        this.emit({ type: 'connection', state });
      },
      onAccess: (event) => {
        if (event.state === 'signed_out') {
          this.dropToken();
          this.session = null;
        }
        this.access = { state: event.state, message: event.message };
        this.emit(event);
      },
    });
  }

  private leaveTeam(): void {
    this.stream?.close();
    this.stream = null;
    this.session = null;
  }

  // ---- local mode ----------------------------------------------------------------------------------------------

  private openLocal(): { services: Services; dispatch: Dispatch } {
    if (!this.local) {
      const opened = this.options.openLocal();
      this.local = { ...opened, unsubscribe: opened.services.changes.subscribe((event) => this.emit(event)) };
    }
    return this.local;
  }

  private closeLocal(): void {
    if (!this.local) return;
    const local = this.local;
    this.local = null;
    local.unsubscribe();
    void local.services.close();
  }

  // ---- storage -------------------------------------------------------------------------------------------------

  private emit(event: ConsoleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.log?.(`event listener failed: ${String(error)}`);
      }
    }
  }

  private modeFile(): string {
    return join(this.options.dataDir, 'console.json');
  }

  private readMode(): ModeFile {
    try {
      if (existsSync(this.modeFile())) {
        const parsed = JSON.parse(readFileSync(this.modeFile(), 'utf8')) as Partial<ModeFile>;
        if (parsed.mode === 'team' && typeof parsed.serverUrl === 'string') return { mode: 'team', serverUrl: parsed.serverUrl };
        return { mode: 'local', serverUrl: typeof parsed.serverUrl === 'string' ? parsed.serverUrl : null };
      }
    } catch {
      /* a damaged file: start locally */
    }
    return { mode: 'local', serverUrl: null };
  }

  private writeMode(mode: ModeFile): void {
    this.mode = mode;
    const tmp = `${this.modeFile()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(mode), { mode: 0o600 });
    renameSync(tmp, this.modeFile());
  }

  private token(): string | null {
    const stored = this.options.secrets.get(TOKEN_SECRET);
    if (!stored) return null;
    try {
      const { serverUrl, token } = JSON.parse(stored) as { serverUrl: string; token: string };
      return serverUrl === this.mode.serverUrl ? token : null;
    } catch {
      return null;
    }
  }

  private storeToken(token: string): void {
    this.options.secrets.set(TOKEN_SECRET, JSON.stringify({ serverUrl: this.mode.serverUrl, token }));
  }

  private dropToken(): void {
    this.options.secrets.delete(TOKEN_SECRET);
  }
}

function issues(error: ZodError) {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
