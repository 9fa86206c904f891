import { createCipheriv, createDecipheriv, createSign, createVerify, KeyObject, randomInt } from 'node:crypto';

/**
 * WeChat Pay API v3 signature and encryption primitives (payments.md §1.5–§1.7).
 * Used by our client and by the simulator; the tests cross-check both against
 * wechatpay-axios-plugin so a shared mistake here cannot pass unnoticed.
 */

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Signatures older or newer than this are refused (wechatpay-go's validator uses the same window). */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const SIGNATURE_PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';

const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newNonce(length = 32): string {
  let s = '';
  for (let i = 0; i < length; i++) s += NONCE_ALPHABET[randomInt(0, NONCE_ALPHABET.length)];
  return s;
}

export function unixSeconds(now = Date.now()): number {
  return Math.floor(now / 1000);
}

/** `canonicalUrl` is path + query without the host; `body` is the exact bytes sent ("" for GET). */
export function requestMessage(method: string, canonicalUrl: string, timestamp: string | number, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${canonicalUrl}\n${timestamp}\n${nonce}\n${body}\n`;
}

export function responseMessage(timestamp: string | number, nonce: string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), Buffer.isBuffer(body) ? body : Buffer.from(body), Buffer.from('\n')]);
}

export function signRsaSha256(message: string | Buffer, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

export function verifyRsaSha256(message: string | Buffer, signatureB64: string, publicKey: KeyObject | string): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signatureB64, 'base64');
  } catch {
    return false;
  }
}

export interface AuthorizationParams {
  mchid: string;
  serial_no: string;
  timestamp: string;
  nonce_str: string;
  signature: string;
}

export function formatAuthorization(p: AuthorizationParams): string {
  return `${AUTH_SCHEME} mchid="${p.mchid}",nonce_str="${p.nonce_str}",timestamp="${p.timestamp}",serial_no="${p.serial_no}",signature="${p.signature}"`;
}

/** Parses `k="v"` pairs in any order (wechatpay-axios-plugin orders them differently from the docs). */
export function parseAuthorization(header: string | undefined): AuthorizationParams | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== AUTH_SCHEME) return undefined;
  const params: Record<string, string> = {};
  const pair = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  const rest = header.slice(space + 1);
  pair.lastIndex = 0;
  let consumed = 0;
  for (let m = pair.exec(rest); m; m = pair.exec(rest)) {
    params[m[1]] = m[2];
    consumed = pair.lastIndex;
  }
  if (consumed !== rest.length) return undefined;
  const { mchid, serial_no, timestamp, nonce_str, signature } = params;
  if (!mchid || !serial_no || !timestamp || !nonce_str || !signature) return undefined;
  return { mchid, serial_no, timestamp, nonce_str, signature };
}

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

export function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(bag)) {
    if (key.toLowerCase() === wanted) {
      const v = bag[key];
      return Array.isArray(v) ? v[0] : v;
    }
  }
  return undefined;
}

/**
 * Checks the Wechatpay-* signature over the raw body. Returns a reason on failure, undefined when
 * the message provably comes from the holder of one of `platformKeys` within the time window.
 */
export function wechatpaySignatureProblem(
  headers: HeaderBag,
  rawBody: Buffer,
  platformKeys: ReadonlyMap<string, KeyObject>,
  nowMs = Date.now(),
): string | undefined {
  const timestamp = header(headers, 'Wechatpay-Timestamp');
  const nonce = header(headers, 'Wechatpay-Nonce');
  const signature = header(headers, 'Wechatpay-Signature');
  const serial = header(headers, 'Wechatpay-Serial');
  if (!timestamp || !nonce || !signature || !serial) return 'missing Wechatpay-* signature headers';
  if (signature.startsWith(SIGNATURE_PROBE_PREFIX)) return 'signature probe (WECHATPAY/SIGNTEST/)';
  const signatureType = header(headers, 'Wechatpay-Signature-Type');
  if (signatureType !== undefined && signatureType !== AUTH_SCHEME) return `unsupported signature type ${signatureType}`;
  const key = platformKeys.get(serial);
  if (!key) return `unknown Wechatpay-Serial ${serial}`;
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed Wechatpay-Timestamp';
  if (Math.abs(unixSeconds(nowMs) - Number(timestamp)) >= MAX_CLOCK_SKEW_SECONDS) return `Wechatpay-Timestamp ${timestamp} outside the ${MAX_CLOCK_SKEW_SECONDS}s window`;
  if (!verifyRsaSha256(responseMessage(timestamp, nonce, rawBody), signature, key)) return 'bad Wechatpay-Signature';
  return undefined;
}

export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
  original_type?: string;
}

const GCM_TAG_BYTES = 16;

export function encryptResource(plaintext: string, apiV3Key: string, nonce: string, associatedData: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/** Throws unless the GCM tag authenticates ciphertext and AAD: final() is what checks it. */
export function decryptResource(resource: EncryptedResource, apiV3Key: string): string {
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw new Error(`unsupported algorithm ${resource.algorithm}`);
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= GCM_TAG_BYTES) throw new Error('ciphertext shorter than the GCM tag');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'), {
    authTagLength: GCM_TAG_BYTES,
  });
  decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** RFC 3339 in China time, the form WeChat Pay uses for time_expire and success_time. */
export function rfc3339China(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}
