// Bank imports and uploads in team mode: a console's host (the relay the desktop and the browser shell share) streams a
// bank file to `matchdesk serve`, which checks the session and the role, spools it to its own disk and imports it as
// the signed-in moderator; every console hears about it. Against a real Synapse (sign-in is Matrix OpenID; roles come
// from the management room's power levels).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import { startSynapse, type SynapseHarness } from './harness';
import { createTeamRoom, writeTeamConfig, type TeamRoom } from './team-setup';
import { waitFor } from './helpers';
import { loadServerConfig } from '../../electron/server/config';
import { startTeamServer, type TeamServer } from '../../electron/server/team-server';
import { ConsoleHost } from '../../electron/team-client/console-host';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { renderScene } from '../../electron/services/demo/demo-media';
import type { ConsoleEvent } from '../../shared/events';
import type { Envelope } from '../../shared/result';
import { tempDir } from '../helpers/temp-dir';
import { makeTestCert, type TestCert } from '../helpers/tls';

const MD5 = (i: number) => i.toString(16).padStart(32, '0');
const csv = (from: number, n: number) => `signal_type,signal,label\n${Array.from({ length: n }, (_, i) => `md5,${MD5(from + i)},row ${from + i}`).join('\n')}\n`;

interface Job {
  id: string;
  state: string;
  bankName: string;
  added: number;
  actor: string;
  fileName: string;
}

describe('bank imports in team mode: streamed through the console relay, checked and attributed on the server (real Synapse)', () => {
  const temp = tempDir('matchdesk-team-bank-imports-');
  let hs: SynapseHarness;
  let team: TeamRoom;
  let cert: TestCert;
  let server: TeamServer;
  const hosts: Record<string, ConsoleHost> = {};
  const events: Record<string, ConsoleEvent[]> = {};
  let picked: string | null = null;

  /** A console's host in team mode, signed in as `who` (what `npm run web` or the desktop main process runs). */
  async function openConsole(who: string): Promise<ConsoleHost> {
    const dataDir = join(temp.dir, `console-${who}`);
    const host = new ConsoleHost({
      dataDir,
      secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec),
      localKind: 'http',
      clientLabel: `test console of ${who}`,
      teamCa: cert.ca,
      pickImportFile: async () => picked,
      openLocal: () => {
        throw new Error('a team console opens no local store');
      },
    });
    events[who] = [];
    host.subscribe((e) => events[who]!.push(e));
    await must(host.dispatch('console.connect', { serverUrl: server.url }));
    const account = team.people[who]!;
    await must(host.dispatch('console.signIn', { homeserverUrl: hs.baseUrl, user: account.userId, password: account.password }));
    hosts[who] = host;
    return host;
  }

  const must = async <T = unknown>(p: Promise<Envelope<unknown>>): Promise<T> => {
    const r = await p;
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value as T;
  };
  const call = <T = unknown>(who: string, name: string, input: unknown = {}) => must<T>(hosts[who]!.dispatch(name, input));
  const upload = (who: string, params: Record<string, string>, body: Readable) => hosts[who]!.uploadRoute('bank-import').handle(body, new URLSearchParams(params));
  const jobDone = async (who: string, jobId: string): Promise<Job> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = (await call<Job[]>(who, 'banks.importJobs')).find((j) => j.id === jobId);
      if (job && job.state !== 'running') return job;
      if (Date.now() > deadline) throw new Error(`bank import ${jobId} did not finish: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const serverAudit = (action: string) => server.app.services.audit.list(500).filter((a) => a.action === action);
  const spoolFiles = () => {
    try {
      return readdirSync(join(temp.dir, 'server', 'bank-imports')).filter((f) => f.startsWith('upload-'));
    } catch {
      return []; // no upload yet
    }
  };

  beforeAll(async () => {
    hs = await startSynapse();
    team = await createTeamRoom(hs, { lena: 100, rita: 50 });
    cert = makeTestCert(temp.dir);
    const file = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, cert, dataDir: join(temp.dir, 'server'), extra: { limits: { maxBankImportMb: 1 } } });
    server = await startTeamServer({ config: loadServerConfig({ config: file }), version: 'test', log: () => undefined });
    await openConsole('lena');
    await openConsole('rita');
  });
  afterAll(async () => {
    for (const host of Object.values(hosts)) await host.close();
    await server?.close();
    await hs?.dispose();
    temp.cleanup();
  });

  it("streams a lead's upload to the server as it comes, imports it as the lead, and tells every console", async () => {
    const body = new PassThrough();
    const text = csv(0, 6_000);
    const half = text.indexOf('\n', text.length / 2) + 1;
    const answer = upload('lena', { bankName: 'Partner list (team)', fileName: 'partner.csv' }, body);
    body.write(text.slice(0, half));
    // The first half reaches the server's spool before the rest exists: the relay streams, it does not buffer.
    await waitFor(() => spoolFiles().some((f) => statSync(join(temp.dir, 'server', 'bank-imports', f)).size >= half), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'the first half of the upload on the server',
    });
    body.end(text.slice(half));
    const { jobId } = await must<{ jobId: string }>(answer);
    const job = await jobDone('lena', jobId);
    expect(job).toMatchObject({ state: 'done', bankName: 'Partner list (team)', added: 6_000, fileName: 'partner.csv', actor: team.people.lena!.userId });
    // The audit says who imported it: the lead, not the server.
    expect(serverAudit('bank.import').find((a) => a.subject === 'bank:Partner list (team)')).toMatchObject({ actor: team.people.lena!.userId });
    expect(spoolFiles()).toEqual([]);
    // The reviewer's console heard of it (the import's start and end) and sees the bank with its counts.
    await waitFor(() => events.rita!.filter((e) => e.type === 'settings' && e.area === 'banks').length >= 2, { timeoutMs: 10_000, intervalMs: 50, what: 'bank events on the other console' });
    const banks = await call<{ name: string; signalCount: number }[]>('rita', 'banks.list');
    expect(banks.find((b) => b.name === 'Partner list (team)')).toMatchObject({ signalCount: 6_000 });
  });

  it("turns the desktop's file dialog and banks.startImport {path} into an upload of that file; the server itself reads no paths", async () => {
    picked = join(temp.dir, 'chosen-on-the-desktop.csv');
    writeFileSync(picked, csv(10_000, 500));
    const { path } = await call<{ path: string | null }>('lena', 'banks.pickImportFile');
    expect(path).toBe(picked);
    const { jobId } = await call<{ jobId: string }>('lena', 'banks.startImport', { bankName: 'From the desktop', path, newBankKind: 'negative' });
    expect(await jobDone('lena', jobId)).toMatchObject({ state: 'done', added: 500, fileName: 'chosen-on-the-desktop.csv', actor: team.people.lena!.userId });
    expect((await call<{ name: string; kind: string }[]>('rita', 'banks.list')).find((b) => b.name === 'From the desktop')).toMatchObject({ kind: 'negative' });
    expect(await hosts.lena!.dispatch('banks.startImport', { bankName: 'From the desktop', path: join(temp.dir, 'nothing-here.csv') })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Straight to the server (no relay), a path is refused: it names a file on the caller's machine.
    const direct = await server.app.dispatch('banks.startImport', { bankName: 'Server disk', path: '/etc/passwd' }, { actor: team.people.lena!.userId, role: 'lead', host: 'team' });
    expect(direct).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('upload the file') } });
    expect(server.app.services.banks.find('Server disk')).toBeNull();
  });

  it('refuses a reviewer, a file that is not a hash list, and a file over the limit (cut while reading), creating nothing', async () => {
    const before = (await call<Job[]>('lena', 'banks.importJobs')).length;
    const refused = await upload('rita', { bankName: 'Reviewer bank', fileName: 'r.csv' }, Readable.from([Buffer.from(csv(0, 10))]));
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('lead') } });
    // Still signed in: a refusal is not a lost session.
    expect(await call('rita', 'queue.counts')).toBeTruthy();

    const png = await renderScene(7);
    expect(await upload('lena', { bankName: 'Picture bank', fileName: 'photo.csv' }, Readable.from([png]))).toMatchObject({ ok: false, error: { code: 'invalid_input' } });

    // 1 MB is the server's limit here; 3 MB arrive chunked (no Content-Length), so only the server's count can stop it.
    const big = Readable.from(
      (function* () {
        yield Buffer.from('signal_type,signal,label\n');
        for (let i = 0; i < 3 * 16; i++) yield Buffer.from(csv(i * 1_000, 1_500).split('\n').slice(1).join('\n'));
      })(),
    );
    const tooBig = await upload('lena', { bankName: 'Too big', fileName: 'big.csv' }, big);
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('larger than the limit of 1048576 bytes') } });

    // The same from the desktop: a chosen file of 2 MB, sent with its length, is refused (from the length, or cut off).
    const large = join(temp.dir, 'large.csv');
    writeFileSync(large, csv(0, 40_000));
    expect(await hosts.lena!.dispatch('banks.startImport', { bankName: 'Too big', path: large })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/larger than the (limit of 1048576 bytes|server accepts)/) },
    });
    expect(await call('lena', 'queue.counts')).toBeTruthy();

    expect(await upload('lena', { bankName: '', fileName: 'x.csv' }, Readable.from([Buffer.from(csv(0, 1))]))).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const banks = (await call<{ name: string }[]>('lena', 'banks.list')).map((b) => b.name);
    for (const name of ['Reviewer bank', 'Picture bank', 'Too big']) expect(banks).not.toContain(name);
    expect((await call<Job[]>('lena', 'banks.importJobs')).length).toBe(before);
    await waitFor(() => spoolFiles().length === 0, { timeoutMs: 5_000, intervalMs: 50, what: 'no spool file left' });
  });

  it('answers the upload route only with a session, for its own Host, from no foreign Origin, within its size', async () => {
    const u = new URL(server.url);
    const post = (headers: Record<string, string | number>, body = Buffer.from(csv(0, 3))) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        let answered = false;
        const req = request(
          { host: u.hostname, port: u.port, path: '/upload/bank-import?bankName=Raw&fileName=raw.csv', method: 'POST', ca: cert.ca, servername: '', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, ...headers } },
          (res) => {
            answered = true;
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', (e) => (answered ? undefined : reject(e)));
        req.end(body);
      });
    const stored = JSON.parse(readFileSync(join(temp.dir, 'console-lena', 'secrets.json'), 'utf8')) as Record<string, string>;
    const token = (JSON.parse(Buffer.from(stored['team.session']!, 'base64').toString('utf8')) as { token: string }).token;
    const auth = { Authorization: `Bearer ${token}` };
    expect((await post({})).status).toBe(401);
    expect((await post({ Authorization: 'Bearer not-a-session' })).status).toBe(401);
    expect((await post({ ...auth, Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ ...auth, Host: 'evil.example' })).status).toBe(421);
    expect((await post({ ...auth, 'Content-Type': 'text/plain' })).status).toBe(415);
    // Over the limit by its declared length: refused before a byte is read.
    expect((await post({ ...auth, 'Content-Length': 2 * 1024 * 1024 }, Buffer.alloc(1024, 0x41))).status).toBe(413);
    expect((await call<{ name: string }[]>('lena', 'banks.list')).map((b) => b.name)).not.toContain('Raw');
    const ok = await post(auth);
    expect(ok.status).toBe(200);
    expect(await jobDone('lena', (JSON.parse(ok.body) as { value: { jobId: string } }).value.jobId)).toMatchObject({ state: 'done', added: 3, actor: team.people.lena!.userId });
  });

  it('attributes ingest uploads, pasted bank lists and Matrix options to the moderator who made them, in the audit and on the job', async () => {
    const files = await Promise.all([3, 4].map(async (seed) => ({ name: `scene-${seed}.jpg`, dataBase64: (await renderScene(seed)).toString('base64') })));
    const { jobId } = await call<{ jobId: string }>('rita', 'ingest.uploadFiles', { files });
    let job: { id: string; actor: string; state: string } | undefined;
    for (const deadline = Date.now() + 60_000; !job || job.state === 'running'; await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() > deadline) throw new Error(`ingest job ${jobId} did not finish`);
      job = (await call<{ id: string; actor: string; state: string }[]>('rita', 'ingest.jobs')).find((j) => j.id === jobId);
    }
    expect(job).toMatchObject({ actor: team.people.rita!.userId, state: 'done' });
    const entry = serverAudit('ingest.upload').find((a) => (JSON.parse(a.details_json) as { jobId: string }).jobId === jobId);
    expect(entry).toMatchObject({ actor: team.people.rita!.userId });
    // Pasted text (banks.startImport {text}) too: the lead, not the server.
    const pasted = await call<{ jobId: string }>('lena', 'banks.startImport', { bankName: 'Pasted (team)', text: csv(50_000, 5) });
    expect(await jobDone('lena', pasted.jobId)).toMatchObject({ state: 'done', actor: team.people.lena!.userId });
    expect(serverAudit('bank.import').find((a) => a.subject === 'bank:Pasted (team)')).toMatchObject({ actor: team.people.lena!.userId });
    // A lead's change to the Matrix options is the lead's too.
    await call('lena', 'matrix.updateOptions', { maxDownloadMb: 64 });
    expect(serverAudit('settings.matrix').at(0)).toMatchObject({ actor: team.people.lena!.userId });
    expect(server.app.services.audit.list(500).filter((a) => ['ingest.upload', 'bank.import', 'settings.matrix'].includes(a.action) && a.actor === 'matchdesk-server')).toEqual([]);
  });
});
