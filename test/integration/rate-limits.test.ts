import { INestApplication, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { createApiApp } from '../../apps/api/app';
import { newSellerId } from '../support/fixtures';
import { listenOnAnyPort } from '../support/free-port';
import { TestSystem, startTestSystem } from '../support/system';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * Rate limits under the default settings, by principal kind, counted in Redis. Every request here
 * cancels an order number that does not exist: the handler answers 404, but only after the rate-limit
 * guard has counted it (the RateLimit headers on each answer show it did), so thousands of counted
 * writes cost no workflows.
 */
const SELLER_SECONDS = Number(process.env.RATE_LIMIT_TEST_SECONDS ?? 60);
const SELLER_PER_SECOND = 20;

interface Answer {
  status: number;
  policy: string | null;
  rateLimit: string | null;
  retryAfter: string | null;
  body: any;
}

describe('rate limits by principal kind, shared by API replicas', () => {
  let system: TestSystem;
  let sequence = 0;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** A cancellation of an order that does not exist: a counted write the handler refuses with 404. */
  async function cancelMissingOrder(apiUrl: string, token: string): Promise<Answer> {
    sequence += 1;
    const res = await fetch(`${apiUrl}/orders/O-missing-${sequence}/cancellations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `rate-${sequence}` },
      body: JSON.stringify({ reason: 'bulk cancellation' }),
    });
    const text = await res.text();
    return { status: res.status, policy: res.headers.get('ratelimit-policy'), rateLimit: res.headers.get('ratelimit'), retryAfter: res.headers.get('retry-after'), body: JSON.parse(text) };
  }
  const remainingOf = (answer: Answer) => Number(/^"writes";r=(\d+);t=(\d+)$/.exec(answer.rateLimit ?? '')?.[1] ?? NaN);
  const countBy = (answers: Answer[]) => answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});

  it(
    `a seller backend cancelling at ${SELLER_PER_SECOND} a second for ${SELLER_SECONDS} s is never refused with 429`,
    async () => {
      const seller = system.token('seller', newSellerId());
      const total = SELLER_SECONDS * SELLER_PER_SECOND;
      const started = Date.now();
      const pending: Promise<Answer>[] = [];
      for (let i = 0; i < total; i += 1) {
        // Paced by the clock, not by the answers: 20 requests a second whatever the latency.
        const wait = started + (i * 1000) / SELLER_PER_SECOND - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(cancelMissingOrder(system.apiUrl, seller));
      }
      const answers = await Promise.all(pending);
      const elapsedMs = Date.now() - started;
      expect(elapsedMs).toBeGreaterThanOrEqual((SELLER_SECONDS - 1) * 1000);
      expect(answers).toHaveLength(total);
      expect(countBy(answers)).toEqual({ 404: total });
      // The guard ran on every one of them, with the seller's limit.
      expect(answers.every((a) => a.policy === '"writes";q=3000;w=60')).toBe(true);
      expect(answers.every((a) => Number.isInteger(remainingOf(a)))).toBe(true);
      // And counted each once: within a window the counts are 1, 2, 3, … so over the run, with the
      // clock slipping past the minute on a busy machine, they are 1..N1 and 1..N2 for at most two
      // windows — how many answers saw count v never grows with v, and N1 + N2 is every request.
      const seen = new Map<number, number>();
      for (const answer of answers) seen.set(3000 - remainingOf(answer), (seen.get(3000 - remainingOf(answer)) ?? 0) + 1);
      const mostCounted = Math.max(...seen.keys());
      const windows = seen.get(1) ?? 0;
      expect(windows === 1 || windows === 2).toBe(true);
      const perCount = Array.from({ length: mostCounted }, (_, i) => seen.get(i + 1) ?? 0);
      expect(perCount.every((n, i) => n >= 1 && (i === 0 || n <= perCount[i - 1]))).toBe(true);
      process.stdout.write(`seller: ${total} cancellations in ${(elapsedMs / 1000).toFixed(1)} s, statuses ${JSON.stringify(countBy(answers))}, ${windows} window(s), most counted in one ${mostCounted}\n`);
    },
    SELLER_SECONDS * 1000 + 60_000,
  );

  it("a buyer's token flooding writes gets 429 past 30 a minute, with Retry-After, the RateLimit headers and code RATE_LIMITED", async () => {
    const buyer = system.token('buyer', newSellerId() + 900_000);
    const answers = await Promise.all(Array.from({ length: 40 }, () => cancelMissingOrder(system.apiUrl, buyer)));
    expect(countBy(answers)).toEqual({ 404: 30, 429: 10 });
    const passed = answers.filter((a) => a.status === 404);
    expect(passed.map(remainingOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const limited of answers.filter((a) => a.status === 429)) {
      const retryAfter = Number(limited.retryAfter);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.policy).toBe('"writes";q=30;w=60');
      expect(limited.rateLimit).toBe(`"writes";r=0;t=${retryAfter}`);
      expect(limited.body).toEqual({
        type: 'urn:durable-orders:error:RATE_LIMITED',
        title: 'Too many requests',
        status: 429,
        code: 'RATE_LIMITED',
        detail: `too many requests: at most 30 writes a minute on this route for one buyer; retry after ${retryAfter} s (Retry-After)`,
        instance: expect.stringMatching(/^\/orders\/.+\/cancellations$/),
        requestId: expect.any(String),
        retryAfterSeconds: retryAfter,
      });
    }
  });

  describe('with a second API process on the same Redis and key prefix', () => {
    let second: INestApplication;
    let secondUrl: string;
    beforeAll(async () => {
      second = await createApiApp(system.config, { logger: false });
      secondUrl = await listenOnAnyPort(second);
    });
    afterAll(async () => {
      await second?.close();
    });

    it("hits on A and B add up to one buyer's limit", async () => {
      const buyerId = newSellerId() + 900_000;
      const buyer = system.token('buyer', buyerId);
      const answers: Answer[] = [];
      for (let i = 0; i < 30; i += 1) answers.push(await cancelMissingOrder(i % 2 === 0 ? system.apiUrl : secondUrl, buyer));
      expect(countBy(answers)).toEqual({ 404: 30 });
      // One counter: the remaining count goes down by one per request, whichever process answered.
      expect(answers.map(remainingOf)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
      expect((await cancelMissingOrder(system.apiUrl, buyer)).status).toBe(429);
      expect((await cancelMissingOrder(secondUrl, buyer)).status).toBe(429);
      // The one counter, under a key an operator can read: every attempt counted, refused ones too.
      const redis = new Redis(system.config.redis.url);
      try {
        const key = `${system.config.redis.keyPrefix}rate-limit:{writes:CancellationsController.cancel:buyer:${buyerId}}:hits`;
        expect(await redis.get(key)).toBe('32');
        expect(await redis.pttl(key)).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });
  });

  it('fails open while Redis does not answer: requests go through unchecked, with a warning in the log', async () => {
    const redisUrl = new URL(system.config.redis.url);
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    redisUrl.port = String(await proxy.start());
    // Nest's Logger, watched and not replaced: nestjs-pino keeps one root logger per Node process (the
    // first app's), so this app's own pino would not see the line.
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const app = await createApiApp({ ...system.config, redis: { ...system.config.redis, url: redisUrl.toString() } }, { logger: false });
    const url = await listenOnAnyPort(app);
    try {
      const buyer = system.token('buyer', newSellerId() + 900_000);
      const counted = await cancelMissingOrder(url, buyer);
      expect(counted.rateLimit).toBe('"writes";r=29;t=60');
      proxy.cut();
      // Past the buyer's 30 a minute, and not one 429 or 5xx: the handler answers each (404).
      const answers: Answer[] = [];
      for (let i = 0; i < 35; i += 1) answers.push(await cancelMissingOrder(url, buyer));
      expect(countBy(answers)).toEqual({ 404: 35 });
      expect(answers.every((a) => a.rateLimit === null && a.policy === null)).toBe(true);
      const warnings = warn.mock.calls.filter(([message]) => String(message).startsWith('rate limits not enforced: the Redis counter did not answer'));
      expect(warnings).toHaveLength(1); // once per 10 s, not once per request
    } finally {
      warn.mockRestore();
      await app.close();
      await proxy.stop();
    }
  });
});
