import { ConfigError } from '../../../config/config-error';
import { DEFAULT_RATE_LIMITS, readRateLimits } from '../../../config/rate-limits';

describe('rate limit settings', () => {
  it('defaults: a seller backend at 20 cancellations a second (1,200 a minute) fits with room; a buyer stays modest', () => {
    const limits = readRateLimits({});
    expect(limits).toEqual(DEFAULT_RATE_LIMITS);
    expect(limits.seller.writes).toBe(3000);
    expect(limits.seller.writes).toBeGreaterThanOrEqual(20 * 60);
    expect(limits.buyer).toEqual({ writes: 30, polls: 120 });
    expect(Object.keys(limits).sort()).toEqual(['admin', 'buyer', 'seller', 'support']);
  });

  it('reads RATE_LIMIT_<KIND>_<SCOPE>_PER_MINUTE per kind and scope', () => {
    const limits = readRateLimits({ RATE_LIMIT_SELLER_WRITES_PER_MINUTE: '6000', RATE_LIMIT_SUPPORT_POLLS_PER_MINUTE: ' 50 ' });
    expect(limits.seller).toEqual({ writes: 6000, polls: 600 });
    expect(limits.support).toEqual({ writes: 300, polls: 50 });
    expect(limits.buyer).toEqual({ writes: 30, polls: 120 });
  });

  it('the old RATE_LIMIT_WRITES_PER_MINUTE / RATE_LIMIT_POLLS_PER_MINUTE set the buyer limits only', () => {
    const limits = readRateLimits({ RATE_LIMIT_WRITES_PER_MINUTE: '3', RATE_LIMIT_POLLS_PER_MINUTE: '5' });
    expect(limits.buyer).toEqual({ writes: 3, polls: 5 });
    expect(limits.seller).toEqual({ writes: 3000, polls: 600 });
    // Both names agreeing is not a contradiction.
    expect(readRateLimits({ RATE_LIMIT_WRITES_PER_MINUTE: '40', RATE_LIMIT_BUYER_WRITES_PER_MINUTE: '40' }).buyer.writes).toBe(40);
  });

  it.each([
    [{ RATE_LIMIT_SELLER_WRITES_PER_MINUTE: 'lots' }, /RATE_LIMIT_SELLER_WRITES_PER_MINUTE: "lots" must be a whole number/],
    [{ RATE_LIMIT_ADMIN_POLLS_PER_MINUTE: '0' }, /RATE_LIMIT_ADMIN_POLLS_PER_MINUTE: "0" must be a whole number/],
    [{ RATE_LIMIT_BUYER_WRITES_PER_MINUTE: '1.5' }, /RATE_LIMIT_BUYER_WRITES_PER_MINUTE/],
    [{ RATE_LIMIT_POLLS_PER_MINUTE: '-1' }, /RATE_LIMIT_POLLS_PER_MINUTE/],
    [{ RATE_LIMIT_WRITES_PER_MINUTE: '30', RATE_LIMIT_BUYER_WRITES_PER_MINUTE: '60' }, /RATE_LIMIT_BUYER_WRITES_PER_MINUTE: 60 contradicts RATE_LIMIT_WRITES_PER_MINUTE=30/],
  ])('refuses %p with one line naming the setting', (env, message) => {
    expect(() => readRateLimits(env)).toThrow(ConfigError);
    expect(() => readRateLimits(env)).toThrow(message);
  });
});
