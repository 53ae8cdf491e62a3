// Against a real Synapse: the audit head anchored as a notice in the management room; and Matrix sessions: signing out revokes the token on the server (/logout), and a password
// sign-in logs out the session it replaces, so no forgotten device stays valid. A pasted access token is never
// revoked by a later sign-in (it may be the moderator's own client session), only by signing out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { startSynapse, type SynapseHarness } from './harness';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

let hs: SynapseHarness;
let services: Services;
const temp = tempDir('matchdesk-synapse-sessions-');

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

async function tokenValid(token: string): Promise<boolean> {
  const res = await fetch(`${hs.baseUrl}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${token}` } });
  return res.status === 200;
}

async function devices(): Promise<string[]> {
  const res = await hs.api('GET', `/_synapse/admin/v2/users/${encodeURIComponent(hs.admin.userId)}/devices`, hs.admin.accessToken);
  return (res.json.devices as { device_id: string }[]).map((d) => d.device_id);
}

beforeAll(async () => {
  hs = await startSynapse();
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
  });
});

afterAll(async () => {
  await services?.close();
  await hs?.dispose();
  temp.cleanup();
});

describe('Matrix sessions', () => {
  it('a password sign-in logs out the session it replaces; signing out revokes the token on the server', async () => {
    const before = await devices();
    await call('matrix.signIn', { homeserverUrl: hs.baseUrl, user: hs.admin.localpart, password: hs.admin.password });
    const first = services.secrets.get('matrix.accessToken')!;
    expect(await tokenValid(first)).toBe(true);
    await call('matrix.signIn', { homeserverUrl: hs.baseUrl, user: hs.admin.localpart, password: hs.admin.password });
    const second = services.secrets.get('matrix.accessToken')!;
    expect(second).not.toBe(first);
    expect(await tokenValid(first)).toBe(false);
    expect(await tokenValid(second)).toBe(true);
    expect((await devices()).length).toBe(before.length + 1); // one Matchdesk device, not two

    const status = await call<{ signedIn: boolean }>('matrix.signOut');
    expect(status.signedIn).toBe(false);
    expect(services.secrets.get('matrix.accessToken')).toBeNull();
    expect(await tokenValid(second)).toBe(false);
    expect((await devices()).length).toBe(before.length);
    const audit = services.audit.list(5).map((r) => `${r.action} ${r.details_json}`);
    expect(audit.some((a) => a.startsWith('matrix.signOut') && a.includes('"revoked":true'))).toBe(true);
  }, 120_000);

  it('a pasted access token is not revoked by a later password sign-in', async () => {
    const pasted = await hs.api('POST', '/_matrix/client/v3/login', null, { type: 'm.login.password', identifier: { type: 'm.id.user', user: hs.admin.localpart }, password: hs.admin.password });
    const token = pasted.json.access_token as string;
    await call('matrix.signIn', { homeserverUrl: hs.baseUrl, accessToken: token });
    await call('matrix.signIn', { homeserverUrl: hs.baseUrl, user: hs.admin.localpart, password: hs.admin.password });
    expect(await tokenValid(token)).toBe(true);
    await call('matrix.signOut');
  }, 120_000);
});

describe('audit anchors', () => {
  it('posts the audit head to the management room as a notice and records the anchor', async () => {
    const room = await hs.createRoom(hs.admin.accessToken, { name: 'Moderation notices' });
    await call('matrix.signIn', { homeserverUrl: hs.baseUrl, accessToken: hs.admin.accessToken, managementRoom: room });
    const head = services.audit.head()!;
    const result = await call<{ anchored: boolean; seq: number; hash: string; ref: string }>('audit.anchor');
    expect(result).toMatchObject({ anchored: true, seq: head.seq, hash: head.hash });
    const res = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=20`, hs.admin.accessToken);
    const notices = (res.json.chunk as { event_id: string; content: { msgtype?: string; body?: string } }[]).filter((e) => e.content.msgtype === 'm.notice');
    const notice = notices.find((e) => e.content.body?.includes(`row ${head.seq}, SHA-256 ${head.hash}`));
    expect(notice).toBeTruthy();
    expect(result.ref).toBe(`${room}/${notice!.event_id}`);
    expect(services.audit.list(1)[0]).toMatchObject({ action: 'audit.anchor' });
    expect(services.audit.verify({ key: null, heads: [{ seq: head.seq, hash: head.hash, source: 'anchor' }] }).ok).toBe(true);
    // Nothing new since: no second notice.
    expect(await call<{ anchored: boolean }>('audit.anchor')).toMatchObject({ anchored: false });
  }, 120_000);
});
