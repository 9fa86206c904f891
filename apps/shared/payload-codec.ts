import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Reader, Writer } from 'protobufjs/minimal';
import type { PayloadEncryptionSettings } from '../../config/payload-encryption';

/** The encoding of an encrypted payload, as the Temporal UI and CLI show it without the codec server. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Which key encrypted the payload: decryption picks it, so old keys keep working after a rotation. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A payload that cannot be decrypted: unknown key id, or altered bytes. The message names the key id, never data. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/**
 * AES-256-GCM over the whole payload (its metadata — the inner encoding — and its data, serialised as
 * the protobuf Payload message), with a fresh random 96-bit IV per payload; the key id is the
 * additional authenticated data, so a payload relabelled with another key id fails to decrypt.
 * Stored data: IV ‖ ciphertext ‖ 16-byte tag. Runs in the client and the worker's data converter,
 * outside the workflow sandbox; payloads without the encryption marker (histories recorded before the
 * codec existed) pass through decode unchanged.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly current: { id: string; idBytes: Uint8Array; key: Buffer };

  constructor(private readonly settings: Pick<PayloadEncryptionSettings, 'currentKeyId' | 'keys'>) {
    const key = settings.keys.get(settings.currentKeyId);
    if (!key) throw new Error(`payload codec: the current key id "${settings.currentKeyId}" has no key`);
    this.current = { id: settings.currentKeyId, idBytes: utf8.encode(settings.currentKeyId), key };
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  /** Random bytes drawn a batch at a time: one CSPRNG call per 256 IVs instead of one per payload (worker CPU profile). */
  private ivPool = Buffer.alloc(0);
  private ivAt = 0;

  encrypt(payload: Payload): Payload {
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(this.current.idBytes);
    const sealed = Buffer.concat([iv, cipher.update(serialisePayload(payload)), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: this.current.idBytes }, data: sealed };
  }

  /** A fresh random 96-bit IV; each pool byte is used once, so IVs stay independent and uniformly random. */
  private nextIv(): Buffer {
    if (this.ivAt + IV_BYTES > this.ivPool.length) {
      this.ivPool = randomBytes(IV_BYTES * 256);
      this.ivAt = 0;
    }
    const iv = this.ivPool.subarray(this.ivAt, this.ivAt + IV_BYTES);
    this.ivAt += IV_BYTES;
    return iv;
  }

  decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = idBytes ? text.decode(idBytes) : '';
    const key = this.settings.keys.get(keyId);
    if (!key) throw new PayloadDecryptionError(`payload encrypted with key id "${keyId}", which is not among the configured keys (PAYLOAD_CODEC_KEYS: ${[...this.settings.keys.keys()].join(', ')})`);
    const sealed = payload.data ?? new Uint8Array();
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is ${sealed.length} bytes, shorter than IV and tag`);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(idBytes!);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") failed authentication: altered, or encrypted with another key under the same id`);
    }
    return parsePayload(plain);
  }
}

/** The protobuf wire form of temporal.api.common.v1.Payload (1: map<string, bytes> metadata, 2: bytes data). */
export function serialisePayload(payload: Payload): Uint8Array {
  const writer = Writer.create();
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    writer.uint32(10).fork().uint32(10).string(key).uint32(18).bytes(value ?? new Uint8Array()).ldelim();
  }
  if (payload.data && payload.data.length > 0) writer.uint32(18).bytes(payload.data);
  return writer.finish();
}

export function parsePayload(bytes: Uint8Array): Payload {
  const reader = Reader.create(bytes);
  const metadata: Record<string, Uint8Array> = {};
  let data: Uint8Array = new Uint8Array();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 10) {
      const end = reader.uint32() + reader.pos;
      let key = '';
      let value: Uint8Array = new Uint8Array();
      while (reader.pos < end) {
        const entryTag = reader.uint32();
        if (entryTag === 10) key = reader.string();
        else if (entryTag === 18) value = reader.bytes();
        else reader.skipType(entryTag & 7);
      }
      metadata[key] = value;
    } else if (tag === 18) {
      data = reader.bytes();
    } else {
      reader.skipType(tag & 7);
    }
  }
  return { metadata, data };
}

/** A payload in the JSON form the Temporal UI and CLI send a codec server: metadata values and data in base64. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(json: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(json.metadata ?? {})) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(json.data ?? '', 'base64') };
}

export function payloadToJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = Buffer.from(value ?? new Uint8Array()).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}
