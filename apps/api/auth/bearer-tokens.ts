import { JwtService } from '@nestjs/jwt';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthSettings, IdentityProviderSettings } from '../../../config/auth';
import { DomainError, ErrorCode, isValidId } from '../../../domain';
import { isRole, Principal, Role } from './principal';
import { TokenRefused, verifyBearerToken } from './verify-token';

/** The algorithms an identity provider's token may use: asymmetric only (a shared secret would let any holder mint). */
const PROVIDER_ALGORITHMS = ['RS256', 'ES256'];

/**
 * Who a bearer JWT says the caller is, by its algorithm: HS256 is a development token (JWT_SECRET,
 * `npm run token`), accepted only while development tokens are on (config/auth.ts); RS256 / ES256 is
 * the identity provider's, verified against its JWKS (issuer, audience, exp and nbf; `jose`'s remote
 * key set caches the keys and fetches again when a token names a `kid` it does not have — a rotation
 * — at most once per cooldown). Either way the principal is {role, id}, as the rest of the API expects.
 */
export class BearerTokens {
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly settings: AuthSettings,
    private readonly devJwt: JwtService,
  ) {
    const provider = settings.identityProvider;
    if (provider) {
      this.jwks = createRemoteJWKSet(new URL(provider.jwksUrl), { cacheMaxAge: provider.jwksCacheMaxAgeMs, cooldownDuration: provider.jwksCooldownMs, timeoutDuration: provider.jwksTimeoutMs });
    }
  }

  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new TokenRefused(this.settings.devTokens ? 'missing bearer token (mint one with: npm run token -- <role> <id>)' : 'missing bearer token (a token from the identity provider, or a seller API key)');
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new TokenRefused('invalid bearer token: not a JWT');
    }
    if (algorithm === 'HS256') {
      if (!this.settings.devTokens) throw new TokenRefused('HS256 development tokens are accepted only in local development; use a token from the identity provider');
      return verifyBearerToken(this.devJwt, token);
    }
    const provider = this.settings.identityProvider;
    if (!provider || !this.jwks) throw new TokenRefused(`invalid bearer token: ${algorithm ?? 'no'} algorithm, and no identity provider is configured (AUTH_JWKS_URL)`);
    if (!algorithm || !PROVIDER_ALGORITHMS.includes(algorithm)) throw new TokenRefused(`invalid bearer token: algorithm ${algorithm ?? '(none)'} is not one of ${PROVIDER_ALGORITHMS.join(', ')}`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, { issuer: provider.issuer, audience: provider.audience, algorithms: PROVIDER_ALGORITHMS, requiredClaims: ['exp'] }));
    } catch (err) {
      if (providerUnreadable(err)) {
        throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `the identity provider's keys (AUTH_JWKS_URL) could not be read: ${(err as Error).message}`);
      }
      throw new TokenRefused(`invalid bearer token: ${refusalOf(err)}`);
    }
    return principalOf(payload, provider);
  }
}

/** Role and subject from the configured claims: the role one of ours (or a list holding exactly one), the subject a positive id. */
function principalOf(payload: JWTPayload, provider: IdentityProviderSettings): Principal {
  const claimed = payload[provider.roleClaim];
  const roles: Role[] = (Array.isArray(claimed) ? claimed : [claimed]).filter(isRole);
  if (roles.length !== 1) throw new TokenRefused(`bearer token's ${provider.roleClaim} claim must name exactly one of buyer, seller, support, admin`);
  const subject = payload[provider.subjectClaim];
  const id = typeof subject === 'number' ? String(subject) : subject;
  if (!isValidId(id)) throw new TokenRefused(`bearer token's ${provider.subjectClaim} claim must be a positive id within BIGINT`);
  return { role: roles[0], id: id as string };
}

/**
 * The provider's keys could not be read — down, timed out, not 200, not a key set — rather than the
 * token being bad: not the caller's fault, and worth a retry (503). jose throws its bare JOSEError
 * (ERR_JOSE_GENERIC) only when fetching the set; every token problem has its own class.
 */
function providerUnreadable(err: unknown): boolean {
  if (!(err instanceof joseErrors.JOSEError)) return true;
  return err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || err.code === 'ERR_JOSE_GENERIC';
}

/** Words for a refusal the caller may read: what failed, never key material. */
function refusalOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason === 'check_failed' ? 'does not match' : err.reason}`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'signed by a key the identity provider does not publish';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  return err instanceof Error ? err.message : String(err);
}
