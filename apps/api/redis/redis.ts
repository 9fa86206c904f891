import Redis from 'ioredis';
import type { RedisConfig } from '../../../config/app-config';
import { ConfigError } from '../../../config/config-error';

/** Nest injection token of the API's Redis connection. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * Connects to Redis before Nest starts, so a wrong REDIS_URL fails with one line naming it. Commands
 * fail fast (no offline queue) while Redis is away instead of hanging a buyer's request.
 */
export async function connectRedis(config: RedisConfig): Promise<Redis> {
  const redis = new Redis(config.url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 2, enableOfflineQueue: false });
  redis.on('error', () => {
    // ioredis reconnects by itself; each failed command reports its own error to its caller.
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const target = new URL(config.url);
    throw new ConfigError('REDIS_URL', `cannot connect to redis://${target.host}${target.pathname}: ${(err as Error).message}`);
  }
  return redis;
}
