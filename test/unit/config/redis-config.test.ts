import { readRedisConfig } from '../../../config/app-config';
import { ConfigError } from '../../../config/config-error';

describe('Redis settings', () => {
  it('defaults to the local server, db 0, prefix orders:, 30-day carts', () => {
    expect(readRedisConfig({})).toEqual({ url: 'redis://127.0.0.1:6379/0', keyPrefix: 'orders:', cartTtlMs: 30 * 24 * 3600 * 1000 });
  });

  it('takes a db index, a prefix and a TTL', () => {
    expect(readRedisConfig({ REDIS_URL: 'redis://:pw@cache:6380/12', REDIS_KEY_PREFIX: 'run-7:', CART_TTL: '90s' })).toEqual({ url: 'redis://:pw@cache:6380/12', keyPrefix: 'run-7:', cartTtlMs: 90_000 });
  });

  it.each([
    [{ REDIS_URL: 'not a url' }, /REDIS_URL: "not a url" is not a URL/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL: scheme must be redis:\/\//],
    [{ REDIS_URL: 'redis://127.0.0.1:6379/16' }, /REDIS_URL: database index "16" must be 0-15/],
    [{ REDIS_KEY_PREFIX: 'has space' }, /REDIS_KEY_PREFIX/],
    [{ CART_TTL: 'forever' }, /CART_TTL/],
  ])('refuses %p with one line naming the setting', (env, message) => {
    expect(() => readRedisConfig(env)).toThrow(ConfigError);
    expect(() => readRedisConfig(env)).toThrow(message);
  });
});
