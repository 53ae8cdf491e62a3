// What Matchdesk reads out of Matrix events, with events shaped as real clients send them (Element / matrix-js-sdk,
// matrix-nio): an image with a client-made thumbnail, an encrypted attachment, a sticker, a media edit.
import { describe, expect, it } from 'vitest';
import { eventText, MAX_EVENT_TEXT, mediaEventFromRaw, mediaPartsOf, mediaPartsOfEvent, type RawEvent } from '../../electron/services/matrix/events';

const base = { room_id: '!room:hs.test', sender: '@alice:hs.test', origin_server_ts: 1_700_000_000_000 };

const image: RawEvent = {
  ...base,
  event_id: '$image',
  type: 'm.room.message',
  content: {
    msgtype: 'm.image',
    body: 'holiday.jpg',
    url: 'mxc://hs.test/MainImage',
    info: {
      mimetype: 'image/jpeg',
      size: 183_221,
      w: 1600,
      h: 1200,
      'xyz.amorgan.blurhash': 'LKO2?U%2Tw=w]~RBVZRi};RPxuwH',
      thumbnail_url: 'mxc://hs.test/ThumbOf',
      thumbnail_info: { mimetype: 'image/jpeg', size: 14_022, w: 320, h: 240 },
    },
  },
};

const encrypted: RawEvent = {
  ...base,
  event_id: '$encrypted',
  type: 'm.room.message',
  content: {
    msgtype: 'm.image',
    body: 'secret.png',
    file: { v: 'v2', url: 'mxc://hs.test/Cipher', key: { kty: 'oct', alg: 'A256CTR', k: 'abc', key_ops: ['encrypt', 'decrypt'], ext: true }, iv: 'iv', hashes: { sha256: 'x' } },
    info: {
      mimetype: 'image/png',
      size: 1000,
      w: 10,
      h: 10,
      thumbnail_file: { v: 'v2', url: 'mxc://hs.test/CipherThumb', key: {}, iv: 'iv', hashes: {} },
      thumbnail_info: { mimetype: 'image/png', size: 100, w: 5, h: 5 },
    },
  },
};

const sticker: RawEvent = {
  ...base,
  event_id: '$sticker',
  type: 'm.sticker',
  content: {
    body: 'Waving cat',
    url: 'mxc://hs.test/Sticker',
    info: { mimetype: 'image/png', size: 40_000, w: 256, h: 256, thumbnail_url: 'mxc://hs.test/StickerThumb', thumbnail_info: { mimetype: 'image/png', w: 128, h: 128, size: 9_000 } },
  },
};

const edit: RawEvent = {
  ...base,
  event_id: '$edit',
  type: 'm.room.message',
  content: {
    msgtype: 'm.image',
    body: '* new.png',
    url: 'mxc://hs.test/OldImage',
    info: { mimetype: 'image/png', size: 5, w: 1, h: 1 },
    'm.new_content': {
      msgtype: 'm.image',
      body: 'new.png',
      url: 'mxc://hs.test/NewImage',
      info: { mimetype: 'image/png', size: 7_000, w: 64, h: 64, thumbnail_url: 'mxc://hs.test/NewThumb', thumbnail_info: { mimetype: 'image/png', w: 32, h: 32, size: 900 } },
    },
    'm.relates_to': { rel_type: 'm.replace', event_id: '$original' },
  },
};

describe('media parts of an event', () => {
  it('an image: the attachment and its client-uploaded thumbnail, with what the client declared for each', () => {
    const ev = mediaEventFromRaw(image, { source: 'live' });
    expect(ev).toMatchObject({ eventId: '$image', mxcUri: 'mxc://hs.test/MainImage', server: 'hs.test', mediaId: 'MainImage', msgtype: 'm.image', body: 'holiday.jpg', declaredMime: 'image/jpeg', declaredSize: 183_221, encrypted: false });
    expect(ev?.parts).toEqual([
      { part: 'media', mxcUri: 'mxc://hs.test/MainImage', server: 'hs.test', mediaId: 'MainImage', encrypted: false, declaredMime: 'image/jpeg', declaredSize: 183_221, width: 1600, height: 1200 },
      { part: 'thumbnail', mxcUri: 'mxc://hs.test/ThumbOf', server: 'hs.test', mediaId: 'ThumbOf', encrypted: false, declaredMime: 'image/jpeg', declaredSize: 14_022, width: 320, height: 240 },
    ]);
  });

  it('an encrypted attachment: file and thumbnail_file, marked encrypted (the server holds ciphertext)', () => {
    const ev = mediaEventFromRaw(encrypted, { source: 'live' });
    expect(ev).toMatchObject({ mediaId: 'Cipher', encrypted: true });
    expect(ev?.parts?.map((p) => [p.part, p.mediaId, p.encrypted, p.width])).toEqual([
      ['media', 'Cipher', true, 10],
      ['thumbnail', 'CipherThumb', true, 5],
    ]);
  });

  it('a sticker (its own event type) with a thumbnail', () => {
    const ev = mediaEventFromRaw(sticker, { source: 'live' });
    expect(ev).toMatchObject({ msgtype: 'm.sticker', body: 'Waving cat', mediaId: 'Sticker' });
    expect(ev?.parts?.map((p) => [p.part, p.mediaId])).toEqual([
      ['media', 'Sticker'],
      ['thumbnail', 'StickerThumb'],
    ]);
  });

  it("an edit (m.replace): the new content's media first, then the fallback's, which clients without edits show", () => {
    const ev = mediaEventFromRaw(edit, { source: 'live' });
    expect(ev).toMatchObject({ eventId: '$edit', mediaId: 'NewImage', body: 'new.png', replaces: '$original', declaredSize: 7_000 });
    expect(ev?.parts?.map((p) => [p.part, p.mediaId])).toEqual([
      ['new_media', 'NewImage'],
      ['new_thumbnail', 'NewThumb'],
      ['media', 'OldImage'],
    ]);
  });

  it('one part per distinct mxc:// (an edit repeating its media in the fallback, a thumbnail equal to the image)', () => {
    const same: RawEvent = {
      ...edit,
      content: { ...edit.content, url: 'mxc://hs.test/NewImage', info: { thumbnail_url: 'mxc://hs.test/NewImage' } },
    };
    expect(mediaPartsOfEvent(same).map((p) => [p.part, p.mediaId])).toEqual([
      ['new_media', 'NewImage'],
      ['new_thumbnail', 'NewThumb'],
    ]);
  });

  it('a location has no attachment, but its map thumbnail is media', () => {
    const loc: RawEvent = {
      ...base,
      event_id: '$loc',
      type: 'm.room.message',
      content: { msgtype: 'm.location', body: 'Here', geo_uri: 'geo:51.5,-0.1', info: { thumbnail_url: 'mxc://hs.test/Map', thumbnail_info: { mimetype: 'image/png', w: 300, h: 200 } } },
    };
    const ev = mediaEventFromRaw(loc, { source: 'live' });
    expect(ev).toMatchObject({ msgtype: 'm.location', mediaId: 'Map' });
    expect(ev?.parts?.map((p) => p.part)).toEqual(['thumbnail']);
  });

  it('skips text, audio (unless asked), malformed mxc URIs and, outside reports, redacted events', () => {
    expect(mediaEventFromRaw({ ...base, event_id: '$t', type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi' } }, { source: 'live' })).toBeNull();
    const audio: RawEvent = { ...base, event_id: '$a', type: 'm.room.message', content: { msgtype: 'm.audio', body: 'a.ogg', url: 'mxc://hs.test/Audio' } };
    expect(mediaEventFromRaw(audio, { source: 'live' })).toBeNull();
    expect(mediaEventFromRaw(audio, { source: 'live' }, { includeAudio: true })?.mediaId).toBe('Audio');
    const bad: RawEvent = { ...image, content: { ...image.content, url: 'mxc://hs.test/has spaces', info: { thumbnail_url: 'https://evil.example/x.png' } } };
    expect(mediaEventFromRaw(bad, { source: 'live' })).toBeNull();
    const redacted: RawEvent = { ...image, unsigned: { redacted_because: { type: 'm.room.redaction' } } };
    expect(mediaEventFromRaw(redacted, { source: 'live' })).toBeNull();
    expect(mediaEventFromRaw(redacted, { source: 'report' }, { allowRedacted: true })).toMatchObject({ redacted: true, mediaId: 'MainImage' });
  });

  it('a hand-built MediaEvent without parts has its attachment as its only part', () => {
    const ev = mediaEventFromRaw(image, { source: 'live' })!;
    const { parts: _parts, ...bare } = ev;
    expect(mediaPartsOf(bare)).toEqual([{ part: 'media', mxcUri: 'mxc://hs.test/MainImage', server: 'hs.test', mediaId: 'MainImage', encrypted: false, declaredMime: 'image/jpeg', declaredSize: 183_221 }]);
  });
});

describe('the text of a reported event', () => {
  it('is the body of a message, the new body of an edit, or the words of common events', () => {
    expect(eventText({ type: 'm.room.message', content: { msgtype: 'm.text', body: '<b>buy</b> now', format: 'org.matrix.custom.html', formatted_body: '<b>buy</b> now' } })).toBe('<b>buy</b> now');
    expect(eventText(edit)).toBe('new.png');
    expect(eventText({ type: 'm.room.topic', state_key: '', content: { topic: 'rude topic' } })).toBe('rude topic');
    expect(eventText({ type: 'm.room.member', state_key: '@x:hs', content: { membership: 'join', displayname: 'rude name' } })).toBe('rude name');
    expect(eventText({ type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '🖕' } } })).toBe('🖕');
    expect(eventText({ type: 'org.example.custom', content: { answer: 42 } })).toBe('{"answer":42}');
    expect(eventText({ type: 'm.room.message', content: {} })).toBeUndefined();
  });

  it('is capped', () => {
    const text = eventText({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'x'.repeat(MAX_EVENT_TEXT + 50) } })!;
    expect(text).toHaveLength(MAX_EVENT_TEXT + 1);
    expect(text.endsWith('…')).toBe(true);
  });
});
