import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { isValidId } from '../../../domain';
import { isRole, Principal } from './principal';

/** The longest a bearer token may live: a token without `exp`, or one good until 9999, is refused. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** Why a bearer token was refused (→ 401); the message is safe to return to the caller. */
export class TokenRefused extends Error {}

/**
 * Who a bearer token (HS256, the API's JWT_SECRET) says the caller is: the API's guard and the codec
 * server check tokens by this one rule.
 */
export async function verifyBearerToken(jwt: JwtService, token: string | undefined): Promise<Principal> {
  if (!token) throw new TokenRefused('missing bearer token (mint one with: npm run token -- <role> <id>)');
  let payload: { sub?: unknown; role?: unknown; exp?: unknown; iat?: unknown };
  try {
    payload = await jwt.verifyAsync(token, { algorithms: ['HS256'] });
  } catch (err) {
    throw new TokenRefused(`invalid bearer token: ${(err as Error).message}`);
  }
  if (!isRole(payload.role) || !isValidId(payload.sub)) {
    throw new TokenRefused('bearer token must carry a role (buyer|seller|support|admin) and a sub that is a positive id within BIGINT');
  }
  // jsonwebtoken checks exp only when present; require it, and a bounded lifetime.
  if (typeof payload.exp !== 'number') throw new TokenRefused('bearer token must carry exp (an expiry time)');
  const issuedAt = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
  if (payload.exp - Math.min(issuedAt, Math.floor(Date.now() / 1000)) > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new TokenRefused(`bearer token lives longer than the maximum of ${MAX_TOKEN_LIFETIME_SECONDS / 3600} h`);
  }
  return { role: payload.role, id: payload.sub as string };
}

/**
 * JWT_SECRET as the key JwtService verifies with. Given the text, jsonwebtoken first tries to read it
 * as a PEM public key on every verify (createPublicKey throws, then createSecretKey): 33 µs a token
 * against 14 µs with the key made once. Typed as the string JwtModule's options declare; jsonwebtoken
 * takes a secret KeyObject for HS256 in sign and verify alike.
 */
export function jwtSecretKey(secret: string): string {
  return (secret ? createSecretKey(Buffer.from(secret, 'utf8')) : secret) as unknown as string;
}

/** The token of an `Authorization: Bearer …` header, if that is what the header holds. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}
