import { ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ThrottlerGuard, ThrottlerModuleOptions, ThrottlerOptions, ThrottlerRequest } from '@nestjs/throttler';
import type Redis from 'ioredis';
import type { AppConfig } from '../../../config/app-config';
import { RATE_SCOPES, RateScope } from '../../../config/rate-limits';
import type { Principal, Role } from '../auth/principal';
import { RateLimitHit, RedisThrottlerStorage } from '../redis/redis-throttler-storage';
import { withinMs } from '../../shared/within';
import { DomainError, ErrorCode } from '../../../domain/error-codes';

const RATE_SCOPE = 'rate-limit-scope';
/** Every limit is per minute (the settings say "per minute"); the window is fixed, starting at a caller's first hit. */
const WINDOW_MS = 60_000;
/**
 * How long a request waits for the counter before it goes through unchecked (see failOpen). Redis
 * answers in well under a millisecond; this only bounds a Redis that hangs (a network partition
 * without a reset), as ioredis's own errors cover a Redis that is down.
 */
const COUNTER_WAIT_MS = 1000;
/** At most one "limits not enforced" warning per API process this often: an outage must not flood the log. */
const WARNING_INTERVAL_MS = 10_000;
let lastUncheckedWarningAt = 0;

/** A 429: the problem document's code RATE_LIMITED, the wait in seconds as `retryAfterSeconds` (and Retry-After). */
export class RateLimitExceeded extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
  }
}

const principalOf = (req: Record<string, any>) => req.principal as Principal | undefined;
/** Limited routes all need a token (the auth guard runs first); a request without a principal gets the strictest kind's limits. */
const kindOf = (context: ExecutionContext): Role => principalOf(context.switchToHttp().getRequest())?.role ?? 'buyer';
const scopeOf = (context: ExecutionContext) => Reflect.getMetadata(RATE_SCOPE, context.getHandler()) as RateScope | undefined;

/**
 * Rate limits per principal (role + id from the bearer token, which the auth guard has checked before
 * this guard runs) and route, with limits by the principal's kind and the route's scope
 * (config/rate-limits.ts): a seller's backend cancelling in bulk is not held to a buyer's 30 a minute,
 * and a buyer hammering checkout does not slow another buyer nor their own cancellations. Only the
 * routes that start work or call a provider are limited — never /notify/*, whose callers are the
 * providers retrying on their own schedule. The counters are in Redis, shared by every API replica.
 *
 * Answers carry the IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers), e.g.
 * `RateLimit-Policy: "writes";q=3000;w=60` and `RateLimit: "writes";r=1799;t=41`; a 429 also has
 * Retry-After (seconds) and the problem document's code RATE_LIMITED.
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal = principalOf(req);
    return principal ? `${principal.role}:${principal.id}` : `ip:${req.ip}`;
  }

  /** Readable keys (`CancellationsController.cancel:seller:42`) instead of the default hash: an operator can find who is limited. */
  protected override generateKey(context: ExecutionContext, tracker: string): string {
    return `${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  /** Replaces the parent's: the IETF headers instead of X-RateLimit-*, and a 429 with a code. */
  protected override async handleRequest({ context, limit, ttl, throttler, blockDuration, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const policy = throttler.name!;
    const key = generateKey(context, await getTracker(req, context), policy);
    let hit: RateLimitHit;
    try {
      hit = await withinMs(this.storageService.increment(key, ttl, limit, blockDuration, policy), COUNTER_WAIT_MS);
    } catch (err) {
      return this.failOpen(err as Error);
    }
    this.setResponseHeader(res, 'RateLimit-Policy', `"${policy}";q=${limit};w=${Math.ceil(ttl / 1000)}`);
    if (!hit.isBlocked) {
      this.setResponseHeader(res, 'RateLimit', `"${policy}";r=${Math.max(0, limit - hit.totalHits)};t=${hit.timeToExpire}`);
      return true;
    }
    const retryAfter = Math.max(1, hit.timeToBlockExpire);
    this.setResponseHeader(res, 'RateLimit', `"${policy}";r=0;t=${retryAfter}`);
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    throw new RateLimitExceeded(`too many requests: at most ${limit} ${policy} a minute on this route for one ${kindOf(context)}; retry after ${retryAfter} s (Retry-After)`, retryAfter);
  }

  /**
   * Redis is unreachable or slow: let the request through, unlimited, and say so in the log. The
   * limits protect the system from a runaway caller; refusing every write while the counter is away
   * would turn a Redis outage into an outage of checkout, payment and cancellations for every buyer
   * and seller — the people the limits are there to protect. The handlers behind these routes do not
   * need Redis (the cart routes, which do, fail on their own).
   */
  private failOpen(err: Error): true {
    const now = Date.now();
    if (now - lastUncheckedWarningAt >= WARNING_INTERVAL_MS) {
      lastUncheckedWarningAt = now;
      this.logger.warn(`rate limits not enforced: the Redis counter did not answer (${err.message}); requests go through unchecked until it does`);
    }
    return true;
  }
}

/** The 429 in the OpenAPI document of every limited route. */
const documented429 = (scope: RateScope) =>
  ApiTooManyRequestsResponse({
    description: `More than the caller's kind may send on this route a minute (\`${scope}\` limits by buyer, seller, support, admin). A problem document with code ${ErrorCode.RATE_LIMITED} and retryAfterSeconds.`,
    headers: {
      'Retry-After': { description: 'seconds until the window frees up', schema: { type: 'integer' } },
      RateLimit: { description: `e.g. "${scope}";r=0;t=41 (also on answers that went through, with the requests left)`, schema: { type: 'string' } },
      'RateLimit-Policy': { description: `e.g. "${scope}";q=3000;w=60`, schema: { type: 'string' } },
    },
  });
const limited = (scope: RateScope) => applyDecorators(SetMetadata(RATE_SCOPE, scope), UseGuards(PrincipalThrottlerGuard), documented429(scope));

/** Checkout, payment creation, cancellations, after-sale applications, goodwill refunds: the kind's `writes` limit per principal and route. */
export const RateLimitedWrite = () => limited('writes');
/** The QR page's status poll (it queries the provider): the kind's `polls` limit per principal and route. */
export const RateLimitedPoll = () => limited('polls');

/** One throttler per scope, named after it (the policy name in the headers); each applies only to its routes. */
export function throttlerOptions(config: AppConfig, redis: Redis): ThrottlerModuleOptions {
  const throttlerOf = (scope: RateScope): ThrottlerOptions => ({
    name: scope,
    ttl: WINDOW_MS,
    // No block beyond the window: a caller who waits Retry-After gets through, a seller's burst is not punished twice.
    blockDuration: 0,
    limit: (context) => config.api.rateLimits[kindOf(context)][scope],
    skipIf: (context) => scopeOf(context) !== scope,
  });
  return { throttlers: RATE_SCOPES.map(throttlerOf), storage: new RedisThrottlerStorage(redis, config.redis.keyPrefix) };
}
