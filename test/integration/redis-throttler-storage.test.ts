import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { readRedisConfig } from '../../config/app-config';
import { RedisThrottlerStorage } from '../../apps/api/redis/redis-throttler-storage';

/**
 * The rate-limit counter on its own, on the real Redis (hence under integration/: the unit run has no
 * services). Two clients stand for two API replicas.
 */
describe('RedisThrottlerStorage', () => {
  const prefix = `storage-test-${randomBytes(4).toString('hex')}:`;
  let replicaA: Redis;
  let replicaB: Redis;
  let storageA: RedisThrottlerStorage;
  let storageB: RedisThrottlerStorage;
  beforeAll(() => {
    const { url } = readRedisConfig();
    replicaA = new Redis(url);
    replicaB = new Redis(url);
    storageA = new RedisThrottlerStorage(replicaA, prefix);
    storageB = new RedisThrottlerStorage(replicaB, prefix);
  });
  afterAll(async () => {
    const keys = await replicaA.keys(`${prefix}*`);
    if (keys.length > 0) await replicaA.del(...keys);
    replicaA?.disconnect();
    replicaB?.disconnect();
  });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('counts hits in a window, refuses past the limit until the window ends, then starts a new window', async () => {
    const hits = [];
    for (let i = 0; i < 4; i += 1) hits.push(await storageA.increment('window', 1500, 3, 0, 'writes'));
    expect(hits.map((h) => [h.totalHits, h.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(hits[0].timeToExpire).toBe(2); // 1.5 s, rounded up to whole seconds
    expect(hits[0].timeToBlockExpire).toBe(0);
    // Refused without an extra block: the caller may retry when the window ends.
    expect(hits[3].timeToBlockExpire).toBe(hits[3].timeToExpire);
    expect(hits[3].timeToBlockExpire).toBeGreaterThanOrEqual(1);
    // The counter expires with its window: nothing is left to sweep.
    const ttl = await replicaA.pttl(`${prefix}rate-limit:{writes:window}:hits`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1500);
    await sleep(1600);
    const fresh = await storageA.increment('window', 1500, 3, 0, 'writes');
    expect(fresh).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps each key and throttler apart', async () => {
    await storageA.increment('apart', 60_000, 1, 0, 'writes');
    expect((await storageA.increment('apart', 60_000, 1, 0, 'writes')).isBlocked).toBe(true);
    expect(await storageA.increment('apart', 60_000, 1, 0, 'polls')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storageA.increment('apart-2', 60_000, 1, 0, 'writes')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('with a block duration, blocks for that long after the limit is passed, counting nothing meanwhile', async () => {
    for (let i = 0; i < 2; i += 1) expect((await storageA.increment('block', 1000, 2, 2000, 'writes')).isBlocked).toBe(false);
    const refused = await storageA.increment('block', 1000, 2, 2000, 'writes');
    expect(refused).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 2 });
    // Refused during the block and not counted: still 3.
    expect(await storageB.increment('block', 1000, 2, 2000, 'writes')).toMatchObject({ totalHits: 3, isBlocked: true });
    await sleep(1200); // the window is over, the block is not
    const stillBlocked = await storageB.increment('block', 1000, 2, 2000, 'writes');
    expect(stillBlocked.isBlocked).toBe(true);
    expect(stillBlocked.timeToBlockExpire).toBe(1);
    await sleep(900);
    expect(await storageB.increment('block', 1000, 2, 2000, 'writes')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('is atomic across replicas: 400 concurrent hits on one key count 1..400 once each, and exactly the limit pass', async () => {
    const limit = 250;
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? storageA : storageB).increment('concurrent', 60_000, limit, 0, 'writes')));
    const counts = results.map((r) => r.totalHits).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(limit);
    expect(results.filter((r) => r.isBlocked).every((r) => r.totalHits > limit)).toBe(true);
  });

  it('throws when Redis does not answer (the guard, not the storage, decides to fail open)', async () => {
    const gone = new Redis('redis://127.0.0.1:1/0', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    gone.on('error', () => undefined);
    const storage = new RedisThrottlerStorage(gone, prefix);
    await expect(storage.increment('gone', 60_000, 10, 0, 'writes')).rejects.toThrow();
    gone.disconnect();
  });
});
