/**
 * The encrypting payload codec: AES-256-GCM with the current key, tagged with its key id; any
 * configured key decrypts (rotation); payloads without the marker pass through (old histories); a
 * changed byte or a relabelled key id is refused. And its keys' configuration, one line per mistake.
 */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { DefaultPayloadConverter } from '@temporalio/common';
import { ConfigError } from '../../config/config-error';
import { DEVELOPMENT_PAYLOAD_KEY, PayloadEncryptionSettings, readPayloadEncryption } from '../../config/payload-encryption';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, PayloadDecryptionError, parsePayload, payloadFromJson, payloadToJson, serialisePayload } from '../../apps/shared/payload-codec';

const converter = new DefaultPayloadConverter();
const key = () => randomBytes(32).toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const settings = (env: Record<string, string>, deployed = false): PayloadEncryptionSettings => readPayloadEncryption(env, deployed);

describe('EncryptionCodec', () => {
  const shipment = { carrier: 'SF Express', trackingNo: 'SF1234567890', note: '送到门口 — ring twice' };

  it('encrypts every payload under the current key id and decodes to the same payload', async () => {
    const codec = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `k1:${key()}` }));
    const plain = [converter.toPayload(shipment), converter.toPayload(undefined), converter.toPayload(new Uint8Array([0, 1, 2, 255]))];
    const sealed = await codec.encode(plain);
    for (const payload of sealed) {
      expect(text(payload.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata![KEY_ID_METADATA])).toBe('k1');
      expect(Object.keys(payload.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
      expect(text(payload.data)).not.toContain('SF1234567890');
      expect(text(payload.data)).not.toContain('json/plain');
    }
    const opened = await codec.decode(sealed);
    expect(opened.map((p) => converter.fromPayload(p))).toEqual([shipment, undefined, new Uint8Array([0, 1, 2, 255])]);
    expect(text(opened[0].metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `k1:${key()}` }));
    const [a, b] = await codec.encode([converter.toPayload(shipment), converter.toPayload(shipment)]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('never repeats an IV across the batches of random bytes it draws them from, and each payload still opens', async () => {
    const codec = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `k1:${key()}` }));
    // 600 payloads: more than two batches of 256 IVs.
    const sealed = await codec.encode(Array.from({ length: 600 }, (_, i) => converter.toPayload({ i })));
    const ivs = new Set(sealed.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(600);
    const opened = await codec.decode(sealed);
    expect(opened.map((p) => converter.fromPayload(p))).toEqual(Array.from({ length: 600 }, (_, i) => ({ i })));
  });

  it('rotates: after a new key becomes current, payloads of the old key still decrypt, new ones carry the new id', async () => {
    const oldKey = key();
    const newKey = key();
    const before = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `2026-06:${oldKey}` }));
    const after = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `2026-12:${newKey},2026-06:${oldKey}`, PAYLOAD_CODEC_KEY_ID: '2026-12' }));
    const [old] = await before.encode([converter.toPayload({ step: 'paid' })]);
    const [fresh] = await after.encode([converter.toPayload({ step: 'shipped' })]);
    expect(text(fresh.metadata![KEY_ID_METADATA])).toBe('2026-12');
    expect((await after.decode([old, fresh])).map((p) => converter.fromPayload(p))).toEqual([{ step: 'paid' }, { step: 'shipped' }]);
    // A process that has not been given the new key says so by key id, instead of producing garbage.
    await expect(before.decode([fresh])).rejects.toThrow(new PayloadDecryptionError('payload encrypted with key id "2026-12", which is not among the configured keys (PAYLOAD_CODEC_KEYS: 2026-06)'));
  });

  it('passes payloads without the encryption marker through decode (histories recorded before the codec)', async () => {
    const codec = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `k1:${key()}` }));
    const plain = converter.toPayload({ orderSn: 'O1' });
    const [out] = await codec.decode([plain]);
    expect(out).toBe(plain);
  });

  it('refuses an altered payload and one relabelled with another key id', async () => {
    const k = key();
    const codec = new EncryptionCodec(settings({ PAYLOAD_CODEC_KEYS: `a:${k},b:${k}`, PAYLOAD_CODEC_KEY_ID: 'a' }));
    const [sealed] = await codec.encode([converter.toPayload(shipment)]);
    const flipped = Buffer.from(sealed.data!);
    flipped[20] ^= 1;
    await expect(codec.decode([{ ...sealed, data: flipped }])).rejects.toThrow(/key id "a"\) failed authentication/);
    // Same key bytes under id b: the key id is authenticated data, so the relabel is detected.
    await expect(codec.decode([{ metadata: { ...sealed.metadata, [KEY_ID_METADATA]: Buffer.from('b') }, data: sealed.data }])).rejects.toThrow(/key id "b"\) failed authentication/);
    await expect(codec.decode([{ metadata: sealed.metadata, data: new Uint8Array(5) }])).rejects.toThrow(/shorter than IV and tag/);
  });

  it('serialises the Payload message and the codec server JSON form losslessly', () => {
    const payload: Payload = { metadata: { encoding: Buffer.from('json/plain'), messageType: new Uint8Array() }, data: Buffer.from('{"a":1}') };
    const back = parsePayload(serialisePayload(payload));
    expect(text(back.metadata!.encoding)).toBe('json/plain');
    expect(back.metadata!.messageType.length).toBe(0);
    expect(text(back.data)).toBe('{"a":1}');
    const json = payloadToJson(payload);
    expect(json).toEqual({ metadata: { encoding: Buffer.from('json/plain').toString('base64'), messageType: '' }, data: Buffer.from('{"a":1}').toString('base64') });
    expect(text(payloadFromJson(json).data)).toBe('{"a":1}');
  });
});

describe('payload codec keys (PAYLOAD_CODEC_KEYS, PAYLOAD_CODEC_KEY_ID)', () => {
  const problem = (env: Record<string, string>, deployed = false) => {
    try {
      readPayloadEncryption(env, deployed);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('uses the published development key when nothing is set locally, and refuses that outside development', () => {
    const local = readPayloadEncryption({}, false);
    expect(local).toMatchObject({ enabled: true, currentKeyId: 'dev' });
    expect(local.description).toContain('published development key');
    expect(problem({}, true)).toMatch(/^PAYLOAD_CODEC_KEYS: is not set; outside local development/);
    expect(problem({ PAYLOAD_CODEC_KEYS: `prod:${DEVELOPMENT_PAYLOAD_KEY}` }, true)).toMatch(/the development key published in the repository/);
    expect(problem({ PAYLOAD_CODEC_KEYS: 'off' }, true)).toMatch(/may not be "off" outside local development/);
    expect(readPayloadEncryption({ PAYLOAD_CODEC_KEYS: 'off' }, false).enabled).toBe(false);
  });

  it('reads several keys and the current one', () => {
    const read = readPayloadEncryption({ PAYLOAD_CODEC_KEYS: ` new:${key()} , old:${key()}`, PAYLOAD_CODEC_KEY_ID: 'new' }, true);
    expect(read.currentKeyId).toBe('new');
    expect([...read.keys.keys()]).toEqual(['new', 'old']);
    expect(read.keys.get('old')!.length).toBe(32);
    expect(read.description).toBe('current key "new", also decrypting "old"');
    expect(readPayloadEncryption({ PAYLOAD_CODEC_KEYS: `only:${key()}` }).currentKeyId).toBe('only');
  });

  it('names each mistake in one line', () => {
    expect(problem({ PAYLOAD_CODEC_KEYS: key() })).toMatch(/^PAYLOAD_CODEC_KEYS: each entry must be id:base64key .*got "<no colon>"$/);
    expect(problem({ PAYLOAD_CODEC_KEYS: 'k1:c2hvcnQ=' })).toBe('PAYLOAD_CODEC_KEYS: key "k1" must be 32 bytes in standard base64 (44 characters, e.g. openssl rand -base64 32)');
    expect(problem({ PAYLOAD_CODEC_KEYS: `a b:${key()}` })).toMatch(/id of letters, digits/);
    const k = key();
    expect(problem({ PAYLOAD_CODEC_KEYS: `k1:${k},k1:${k}`, PAYLOAD_CODEC_KEY_ID: 'k1' })).toBe('PAYLOAD_CODEC_KEYS: key id "k1" is listed twice');
    expect(problem({ PAYLOAD_CODEC_KEYS: `a:${key()},b:${key()}` })).toBe('PAYLOAD_CODEC_KEY_ID: must name the current key when PAYLOAD_CODEC_KEYS lists several (a, b)');
    expect(problem({ PAYLOAD_CODEC_KEYS: `a:${key()}`, PAYLOAD_CODEC_KEY_ID: 'z' })).toBe('PAYLOAD_CODEC_KEY_ID: "z" is not one of the ids in PAYLOAD_CODEC_KEYS (a)');
    expect(problem({ PAYLOAD_CODEC_KEY_ID: 'z' })).toBe('PAYLOAD_CODEC_KEY_ID: "z" is set but PAYLOAD_CODEC_KEYS is not');
    expect(problem({ PAYLOAD_CODEC_KEYS: ' , ' })).toMatch(/lists no key/);
  });
});
