import type Redis from 'ioredis';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What @nestjs/throttler's guard needs back from one hit (its ThrottlerStorageRecord); times in whole seconds. */
export interface RateLimitHit {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * One hit, atomically, in one round trip: every API replica runs the same script on the same keys,
 * so the count is shared and no two replicas can both let the limit-th + 1 request through (a
 * GET-then-INCR from Node could). A fixed window: the first hit starts it (PEXPIRE), the key's TTL
 * is what is left of it.
 *
 * KEYS[1] hits in the current window   KEYS[2] the block marker (only with a block duration)
 * ARGV[1] window ms   ARGV[2] limit   ARGV[3] block ms (0: refuse until the window ends, no extra block)
 * Returns { hits, ms left in the window, blocked 0/1, ms until the caller may retry }.
 */
const HIT_SCRIPT = `
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then left = 0 end
  return { hits, left, 1, blockedFor }
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  -- a new window (or a key that somehow lost its expiry: never let a counter live forever)
  redis.call('PEXPIRE', KEYS[1], windowMs)
  left = windowMs
end
if hits <= limit then return { hits, left, 0, 0 } end
if blockMs > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', blockMs)
  return { hits, left, 1, blockMs }
end
return { hits, left, 1, left }
`;

type HitReply = [number, number, number, number];
interface WithHitCommand {
  rateLimitHit(hitsKey: string, blockKey: string, windowMs: number, limit: number, blockMs: number): Promise<HitReply>;
}

/**
 * @nestjs/throttler's counters in Redis instead of each API process's memory, so N replicas enforce
 * one limit, not N times it. Keys: `{prefix}rate-limit:{<throttler>:<key>}:hits|block` — the braces
 * keep both keys of one caller in one Redis Cluster slot (the script touches both); they expire with
 * their window, so nothing needs sweeping. Redis errors are thrown to the caller: whether to fail
 * open is the guard's decision (apps/api/common/rate-limits.ts), not the storage's.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: Redis & WithHitCommand;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once after a Redis restart (NOSCRIPT).
    redis.defineCommand('rateLimitHit', { numberOfKeys: 2, lua: HIT_SCRIPT });
    this.redis = redis as Redis & WithHitCommand;
  }

  /** ttl and blockDuration in ms (the guard's units); the answer's times in seconds, rounded up, as the guard sends them in headers. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<RateLimitHit> {
    const base = `${this.keyPrefix}rate-limit:{${throttlerName}:${key}}`;
    const [hits, windowLeftMs, blocked, retryMs] = await this.redis.rateLimitHit(`${base}:hits`, `${base}:block`, Math.max(1, Math.round(ttl)), limit, Math.max(0, Math.round(blockDuration)));
    return { totalHits: hits, timeToExpire: Math.ceil(windowLeftMs / 1000), isBlocked: blocked === 1, timeToBlockExpire: Math.ceil(retryMs / 1000) };
  }
}
