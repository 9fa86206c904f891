import { ROLES, type Role } from '../apps/api/auth/principal';
import { ConfigError } from './config-error';

/**
 * What one caller may do per minute on one rate-limited route, by the kind of caller (the token's
 * role) and the scope of the route. One number for everybody was wrong for everybody: a seller's
 * backend cancelling its orders got 429 after 30 writes a minute, while a buyer needs a handful.
 *
 * writes  checkout, payment creation, cancellations, after-sale applications, goodwill refunds
 * polls   the payment-status poll (each one may query the provider)
 *
 * RATE_LIMIT_<KIND>_<SCOPE>_PER_MINUTE, e.g. RATE_LIMIT_SELLER_WRITES_PER_MINUTE=3000. The names from
 * before kinds existed, RATE_LIMIT_WRITES_PER_MINUTE and RATE_LIMIT_POLLS_PER_MINUTE, still set the
 * buyer's limits (they were written with buyers in mind); setting both names of one limit to
 * different values stops start-up rather than guessing which was meant.
 */
export const RATE_SCOPES = ['writes', 'polls'] as const;
export type RateScope = (typeof RATE_SCOPES)[number];

/** Per principal kind and scope: requests per minute, per principal and route. */
export type RateLimits = Record<Role, Record<RateScope, number>>;

/**
 * A seller's backend cancels or handles its orders in bulk: 3,000 writes a minute leaves room for 20
 * cancellations a second sustained (1,200 a minute) with a 2.5× margin. A buyer clicks: 30 writes a
 * minute is generous for a person and small for a script. Support and admin are people with
 * consoles, sometimes scripts (goodwill refunds for one incident): in between. The payment-status
 * poll costs a provider query each: 120 a minute covers a QR page polling every second.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  buyer: { writes: 30, polls: 120 },
  seller: { writes: 3000, polls: 600 },
  support: { writes: 300, polls: 600 },
  admin: { writes: 300, polls: 600 },
};

/** The old single-number settings, now the buyer's. */
const LEGACY_NAMES: Partial<Record<Role, Record<RateScope, string>>> = {
  buyer: { writes: 'RATE_LIMIT_WRITES_PER_MINUTE', polls: 'RATE_LIMIT_POLLS_PER_MINUTE' },
};

export const rateLimitSettingName = (kind: Role, scope: RateScope) => `RATE_LIMIT_${kind.toUpperCase()}_${scope.toUpperCase()}_PER_MINUTE`;

export function readRateLimits(env: NodeJS.ProcessEnv): RateLimits {
  const limits = {} as RateLimits;
  for (const kind of ROLES) {
    limits[kind] = {} as Record<RateScope, number>;
    for (const scope of RATE_SCOPES) {
      const name = rateLimitSettingName(kind, scope);
      const legacyName = LEGACY_NAMES[kind]?.[scope];
      const value = readPerMinute(env, name);
      const legacy = legacyName ? readPerMinute(env, legacyName) : undefined;
      if (value !== undefined && legacy !== undefined && value !== legacy) {
        throw new ConfigError(name, `${value} contradicts ${legacyName}=${legacy} (its older name): set one of them`);
      }
      limits[kind][scope] = value ?? legacy ?? DEFAULT_RATE_LIMITS[kind][scope];
    }
  }
  return limits;
}

function readPerMinute(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return undefined;
  if (!/^[0-9]{1,7}$/.test(raw) || Number(raw) < 1) throw new ConfigError(name, `"${raw}" must be a whole number of requests a minute from 1 to 9999999`);
  return Number(raw);
}
