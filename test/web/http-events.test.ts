import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpTransport, type HttpTransport } from '../../electron/web/http-transport';
import type { ConsoleEvent } from '../../shared/events';
import { tempDir } from '../helpers/temp-dir';

describe('the browser shell’s live stream (GET /api/events)', () => {
  const temp = tempDir();
  const listeners = new Set<(e: ConsoleEvent) => void>();
  let http: HttpTransport;

  beforeAll(async () => {
    mkdirSync(join(temp.dir, 'static'));
    http = await startHttpTransport({
      dispatch: async () => ({ ok: true, value: null }),
      events: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      staticRoot: join(temp.dir, 'static'),
    });
  });
  afterAll(async () => {
    await http.close();
    temp.cleanup();
  });

  it('needs the per-launch token, like every /api/ call', async () => {
    expect((await fetch(`${http.url}api/events`)).status).toBe(401);
  });

  it('streams pushed events to the page and lets go of them when it leaves', async () => {
    const controller = new AbortController();
    const res = await fetch(`${http.url}api/events`, { headers: { Authorization: `Bearer ${http.token}` }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-store');
    await expect.poll(() => listeners.size).toBe(1);
    for (const l of listeners) l({ type: 'queue', queueItemIds: [7], seq: 1, at: 1 });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"queueItemIds":[7]')) text += (await reader.read()).value ?? '';
    controller.abort();
    await expect.poll(() => listeners.size).toBe(0);
  });
});
