import { createSign, createVerify, KeyObject } from 'node:crypto';

/**
 * Alipay OpenAPI v2 RSA2 strings as the gateway builds them (payments.md §2.1, §2.4):
 * requests sign every parameter but `sign`; notifications and return parameters leave out
 * `sign` and `sign_type`; values are raw (URL-decoded), keys sorted by code unit.
 */
export function alipaySignContent(params: Record<string, string>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k))
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function rsa2Sign(content: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(content: string, signature: string, publicKey: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** Request check: the SDK signs empty values too, the docs say they are skipped; accept either. */
export function verifyAlipayRequest(params: Record<string, string>, publicKey: KeyObject): boolean {
  const sign = params.sign;
  if (!sign) return false;
  if (rsa2Verify(alipaySignContent(params, ['sign']), sign, publicKey)) return true;
  const nonEmpty = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ''));
  return rsa2Verify(alipaySignContent(nonEmpty, ['sign']), sign, publicKey);
}

/** Notification and return parameters with their `sign` (covering all but `sign` and `sign_type`). */
export function signAlipayParams(params: Record<string, string>, signer: KeyObject): Record<string, string> {
  return { ...params, sign: rsa2Sign(alipaySignContent(params, ['sign', 'sign_type']), signer) };
}

/** Signed v2 response body: the signature covers the exact inner JSON text. */
export function signedAlipayResponse(method: string, inner: Record<string, unknown>, privateKey: KeyObject, corrupt = false): string {
  const key = `${method.replace(/\./g, '_')}_response`;
  const innerText = JSON.stringify(inner);
  let sign = rsa2Sign(innerText, privateKey);
  if (corrupt) sign = flipBase64(sign);
  return `{"${key}":${innerText},"sign":"${sign}"}`;
}

/** Changes one character of a base64 signature so it stays well-formed but no longer verifies. */
export function flipBase64(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  return bytes.toString('base64');
}

export function alipayDateTime(ms: number): string {
  const iso = new Date(ms + 8 * 3600_000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
