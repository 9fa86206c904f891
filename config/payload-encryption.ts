import { ConfigError } from './config-error';

/**
 * The keys of the encrypting payload codec (apps/shared/payload-codec.ts): every payload is encrypted
 * with the current key and tagged with its id; any listed key still decrypts, so rotating is "add a
 * new key, make it current, keep the old ones until their histories are gone".
 *
 * PAYLOAD_CODEC_KEYS   id:base64key[,id:base64key...]   (32-byte AES-256 keys, e.g. openssl rand -base64 32)
 * PAYLOAD_CODEC_KEY_ID the id new payloads are encrypted with (required when more than one key is listed)
 */
export interface PayloadEncryptionSettings {
  /** False only with PAYLOAD_CODEC_KEYS=off in local development (to measure the codec's cost). */
  enabled: boolean;
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
  /** For the start-up line: which key ids, and whether they are the published development key. */
  description: string;
}

/**
 * Published in this repository (like the development JWT secret): local development and the tests
 * encrypt with it, so the codec is always on; a deployment must bring its own keys.
 */
export const DEVELOPMENT_PAYLOAD_KEY_ID = 'dev';
export const DEVELOPMENT_PAYLOAD_KEY = '7WPgZQcxr1zUuXaETtMwSyZFhn0xQBt49DBsO5lB3gE=';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/** `deployed`: NODE_ENV=production or a real payment provider — then keys are required and must not be the published one. */
export function readPayloadEncryption(env: NodeJS.ProcessEnv, deployed = env.NODE_ENV === 'production'): PayloadEncryptionSettings {
  const raw = (env.PAYLOAD_CODEC_KEYS ?? '').trim();
  if (raw === 'off') {
    if (deployed) throw new ConfigError('PAYLOAD_CODEC_KEYS', 'may not be "off" outside local development: buyers\' personal data would be stored in Temporal in clear');
    return { enabled: false, currentKeyId: '', keys: new Map(), description: 'off (PAYLOAD_CODEC_KEYS=off)' };
  }
  if (raw === '') {
    if (deployed) throw new ConfigError('PAYLOAD_CODEC_KEYS', 'is not set; outside local development set id:base64key pairs (e.g. 2026-12:$(openssl rand -base64 32)) so personal data in workflow payloads is encrypted');
    if (env.PAYLOAD_CODEC_KEY_ID && env.PAYLOAD_CODEC_KEY_ID !== DEVELOPMENT_PAYLOAD_KEY_ID) throw new ConfigError('PAYLOAD_CODEC_KEY_ID', `"${env.PAYLOAD_CODEC_KEY_ID}" is set but PAYLOAD_CODEC_KEYS is not`);
    return { enabled: true, currentKeyId: DEVELOPMENT_PAYLOAD_KEY_ID, keys: new Map([[DEVELOPMENT_PAYLOAD_KEY_ID, Buffer.from(DEVELOPMENT_PAYLOAD_KEY, 'base64')]]), description: `key "${DEVELOPMENT_PAYLOAD_KEY_ID}" (the published development key)` };
  }
  const keys = new Map<string, Buffer>();
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    const key = colon < 0 ? '' : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new ConfigError('PAYLOAD_CODEC_KEYS', `each entry must be id:base64key with an id of letters, digits, . _ - (at most 64); got "${colon < 0 ? '<no colon>' : id}"`);
    if (!BASE64_32_BYTES.test(key)) throw new ConfigError('PAYLOAD_CODEC_KEYS', `key "${id}" must be 32 bytes in standard base64 (44 characters, e.g. openssl rand -base64 32)`);
    if (keys.has(id)) throw new ConfigError('PAYLOAD_CODEC_KEYS', `key id "${id}" is listed twice`);
    if (deployed && key === DEVELOPMENT_PAYLOAD_KEY) throw new ConfigError('PAYLOAD_CODEC_KEYS', `key "${id}" is the development key published in the repository; outside local development use a key of your own`);
    keys.set(id, Buffer.from(key, 'base64'));
  }
  if (keys.size === 0) throw new ConfigError('PAYLOAD_CODEC_KEYS', 'lists no key; expected id:base64key[,id:base64key...]');
  const wanted = (env.PAYLOAD_CODEC_KEY_ID ?? '').trim();
  if (!wanted && keys.size > 1) throw new ConfigError('PAYLOAD_CODEC_KEY_ID', `must name the current key when PAYLOAD_CODEC_KEYS lists several (${[...keys.keys()].join(', ')})`);
  const currentKeyId = wanted || [...keys.keys()][0];
  if (!keys.has(currentKeyId)) throw new ConfigError('PAYLOAD_CODEC_KEY_ID', `"${currentKeyId}" is not one of the ids in PAYLOAD_CODEC_KEYS (${[...keys.keys()].join(', ')})`);
  const others = [...keys.keys()].filter((id) => id !== currentKeyId);
  return { enabled: true, currentKeyId, keys, description: `current key "${currentKeyId}"${others.length ? `, also decrypting ${others.map((id) => `"${id}"`).join(', ')}` : ''}` };
}
