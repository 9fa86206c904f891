import { parseDuration } from '../domain';
import { ConfigError } from './config-error';

/**
 * Who may sign the bearer tokens the API accepts (apps/api/auth/bearer-tokens.ts; seller API keys are
 * checked apart, against their table).
 *
 * - Development tokens: HS256 with JWT_SECRET, minted by `npm run token`. Only in local development
 *   (AUTH_DEV_TOKENS, default on there); a deployment (NODE_ENV=production or a real payment provider)
 *   refuses them, and setting AUTH_DEV_TOKENS=on there stops start-up.
 * - The identity provider's tokens: RS256 or ES256, verified against its JWKS (AUTH_JWKS_URL) with its
 *   issuer (AUTH_ISSUER) and audience (AUTH_AUDIENCE); the role and the subject come from the claims
 *   AUTH_ROLE_CLAIM (default `role`) and AUTH_SUBJECT_CLAIM (default `sub`). Required outside development.
 */
export interface AuthSettings {
  devTokens: boolean;
  identityProvider?: IdentityProviderSettings;
}

export interface IdentityProviderSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  roleClaim: string;
  subjectClaim: string;
  /** AUTH_JWKS_CACHE_MAX_AGE (default 10m): a fetched key set is trusted this long before it is fetched again. */
  jwksCacheMaxAgeMs: number;
  /** AUTH_JWKS_COOLDOWN (default 30s): after a fetch, a token with an unknown `kid` waits this long before the next fetch (a flood of forged kids cannot hammer the provider). */
  jwksCooldownMs: number;
  /** AUTH_JWKS_TIMEOUT (default 5s): one JWKS request's limit. */
  jwksTimeoutMs: number;
}

type Env = NodeJS.ProcessEnv;

export function readAuthSettings(env: Env, deployed: boolean): AuthSettings {
  const devRaw = (env.AUTH_DEV_TOKENS ?? '').trim().toLowerCase();
  if (devRaw !== '' && devRaw !== 'on' && devRaw !== 'off') throw new ConfigError('AUTH_DEV_TOKENS', `"${env.AUTH_DEV_TOKENS}" must be on or off`);
  if (deployed && devRaw === 'on') throw new ConfigError('AUTH_DEV_TOKENS', 'HS256 development tokens are for local development only; outside it (NODE_ENV=production or a real payment provider) sign in through the identity provider (AUTH_JWKS_URL)');
  const devTokens = !deployed && devRaw !== 'off';

  const jwksUrl = (env.AUTH_JWKS_URL ?? '').trim();
  if (!jwksUrl) {
    if (deployed) throw new ConfigError('AUTH_JWKS_URL', 'is not set; outside local development the API accepts only the identity provider\'s tokens (set AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE) and sellers\' API keys');
    return { devTokens };
  }
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new ConfigError('AUTH_JWKS_URL', `"${jwksUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !deployed)) throw new ConfigError('AUTH_JWKS_URL', `must be https:// (http:// only in local development), got ${url.protocol}//`);
  return {
    devTokens,
    identityProvider: {
      jwksUrl,
      issuer: required(env, 'AUTH_ISSUER'),
      audience: required(env, 'AUTH_AUDIENCE'),
      roleClaim: claimName(env, 'AUTH_ROLE_CLAIM', 'role'),
      subjectClaim: claimName(env, 'AUTH_SUBJECT_CLAIM', 'sub'),
      jwksCacheMaxAgeMs: duration(env, 'AUTH_JWKS_CACHE_MAX_AGE', '10m', 1000, 24 * 3600_000),
      jwksCooldownMs: duration(env, 'AUTH_JWKS_COOLDOWN', '30s', 100, 3600_000),
      jwksTimeoutMs: duration(env, 'AUTH_JWKS_TIMEOUT', '5s', 100, 60_000),
    },
  };
}

function required(env: Env, name: string): string {
  const value = (env[name] ?? '').trim();
  if (!value) throw new ConfigError(name, 'is not set; AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE (the values the identity provider puts in iss and aud)');
  return value;
}

/** A claim name: a top-level member of the token's payload (e.g. `role`, `sub`, `https://shop.example/role`). */
function claimName(env: Env, name: string, fallback: string): string {
  const value = (env[name] ?? '').trim() || fallback;
  if (value.length > 200 || /\s/.test(value)) throw new ConfigError(name, `"${value}" is not a claim name (no spaces, at most 200 characters)`);
  return value;
}

function duration(env: Env, name: string, fallback: string, minMs: number, maxMs: number): number {
  const raw = (env[name] ?? '').trim() || fallback;
  let value: number;
  try {
    value = parseDuration(raw, name);
  } catch (err) {
    throw new ConfigError(name, (err as { problem?: string }).problem ?? (err as Error).message);
  }
  if (value < minMs || value > maxMs) throw new ConfigError(name, `"${raw}" must be between ${minMs} ms and ${maxMs / 1000} s`);
  return value;
}
