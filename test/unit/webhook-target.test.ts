import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from '../../activities/webhook-http';
import { WebhookTargetRefused, checkUrlShape, checkWebhookUrl, forbiddenAddressReason } from '../../apps/shared/webhook-target';
import { webhookHeaders } from '../../apps/shared/webhook-signing';
import { OrderSettingError } from '../../domain/order-settings';
import { attemptOutcome, deliveryPartition, readWebhookSettings, retryDelayMs, shouldPause } from '../../domain/webhooks';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The webhook SSRF guard and delivery rules (docs/webhooks.md): which addresses are refused, the URL's
 * shape, the connection-time check against a DNS answer that changed since registration (a real HTTP
 * server that must see no connection), and the retry rules.
 */
describe('webhook target guard', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.10.0.3', /loopback/],
    ['10.1.2.3', /private/],
    ['172.20.0.1', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local \(cloud metadata\)/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['::ffff:127.0.0.1', /IPv4-mapped/],
    ['::ffff:8.8.8.8', /IPv4-mapped/],
    ['fd12:3456::1', /unique local/],
    ['fe80::1', /link-local/],
    ['64:ff9b::a00:1', /NAT64/],
    ['2002:7f00:1::', /6to4/],
  ])('refuses %s', (address, why) => {
    expect(forbiddenAddressReason(address)).toMatch(why);
  });

  it.each(['8.8.8.8', '93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '172.32.0.1', '100.128.0.1'])('accepts the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeUndefined();
  });

  it('wants https (unless http is allowed), no credentials, no fragment', () => {
    const strict = { allowHttp: false, allowPrivateTargets: false };
    expect(() => checkUrlShape('http://hooks.example.com/x', strict)).toThrow(/must be https:\/\//);
    expect(() => checkUrlShape('ftp://hooks.example.com/x', { ...strict, allowHttp: true })).toThrow(/https:\/\/ or http:\/\//);
    expect(() => checkUrlShape('https://user:pw@hooks.example.com/x', strict)).toThrow(/user name or password/);
    expect(() => checkUrlShape('https://hooks.example.com/x#y', strict)).toThrow(/fragment/);
    expect(() => checkUrlShape('not a url', strict)).toThrow(WebhookTargetRefused);
    expect(checkUrlShape('https://hooks.example.com/x?y=1', strict).toString()).toBe('https://hooks.example.com/x?y=1');
  });

  it('refuses a name if any of its addresses is not public', async () => {
    const rules = { allowHttp: false, allowPrivateTargets: false };
    const resolve = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
    await expect(checkWebhookUrl('https://split.example/x', rules, resolve)).rejects.toThrow(/split.example resolves to 10.0.0.7: 10.0.0.7 is private/);
    await expect(checkWebhookUrl('https://[::1]/x', rules)).rejects.toThrow(/loopback/);
    await expect(checkWebhookUrl('https://public.example/x', rules, async () => [{ address: '93.184.216.34', family: 4 }])).resolves.toBeInstanceOf(URL);
  });

  describe('at connection time (the DNS answer changed since registration)', () => {
    const receiver = new WebhookReceiver();
    beforeAll(async () => {
      await receiver.listen();
      receiver.useSecrets('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    });
    afterAll(() => receiver.close());

    const body = JSON.stringify({ type: 'order.paid', timestamp: new Date().toISOString(), data: {} });
    const headers = webhookHeaders(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'evt-1', new Date(), body);

    it('refuses a name that now resolves to loopback, and no connection reaches the receiver', async () => {
      const answer = await postWebhook(`http://hooks.seller.example:${receiver.port}/hooks`, body, headers, { allowHttp: true, allowPrivateTargets: false, timeoutMs: 2000, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
      expect(answer).toMatchObject({ refused: true, error: expect.stringMatching(/hooks.seller.example resolves to 127.0.0.1: 127.0.0.1 is loopback/) });
      expect(answer.statusCode).toBeUndefined();
      const literal = await postWebhook(`http://127.0.0.1:${receiver.port}/hooks`, body, headers, { allowHttp: true, allowPrivateTargets: false, timeoutMs: 2000 });
      expect(literal).toMatchObject({ refused: true });
      expect(receiver.connections).toBe(0);
    });

    it('with private targets allowed, connects to the checked address and keeps the name as Host', async () => {
      const answer = await postWebhook(`http://hooks.seller.example:${receiver.port}/hooks`, body, headers, { allowHttp: true, allowPrivateTargets: true, timeoutMs: 2000, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
      expect(answer.statusCode).toBe(200);
      expect(receiver.received.at(-1)).toMatchObject({ host: `hooks.seller.example:${receiver.port}`, verified: true, webhookId: 'evt-1' });
    });

    it('never follows a redirect: the 3xx is the answer', async () => {
      receiver.rule = () => ({ status: 307, location: 'http://169.254.169.254/latest/meta-data' });
      const before = receiver.received.length;
      const answer = await postWebhook(receiver.url, body, headers, { allowHttp: true, allowPrivateTargets: true, timeoutMs: 2000 });
      expect(answer.statusCode).toBe(307);
      expect(receiver.received.length).toBe(before + 1);
      receiver.rule = () => ({ status: 200 });
    });

    it('reads at most 4 KiB of a large answer, and gives up on a receiver that never answers', async () => {
      const sent = { bytes: 0 };
      const big = createServer((_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (sent.bytes < 8 * 1024 * 1024 && res.write(chunk)) sent.bytes += chunk.length;
          if (sent.bytes < 8 * 1024 * 1024) res.once('drain', pump);
          else res.end();
        };
        pump();
      });
      const silent = createServer(() => undefined);
      for (const server of [big, silent]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const urlOf = (server: typeof big) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      try {
        const large = await postWebhook(urlOf(big), body, headers, { allowHttp: true, allowPrivateTargets: true, timeoutMs: 5000 });
        expect(large.statusCode).toBe(200);
        expect(large.excerpt!.length).toBeLessThanOrEqual(1000);
        expect(sent.bytes).toBeLessThan(8 * 1024 * 1024);
        const started = Date.now();
        const hung = await postWebhook(urlOf(silent), body, headers, { allowHttp: true, allowPrivateTargets: true, timeoutMs: 500 });
        expect(hung).toMatchObject({ error: 'no answer within 500 ms' });
        expect(hung.statusCode).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        for (const server of [big, silent]) {
          server.closeAllConnections();
          server.close();
        }
      }
    });
  });
});

describe('webhook delivery rules', () => {
  it('retries no answer, 5xx, 3xx, 408/409/429; fails other 4xx for good', () => {
    expect([undefined, 500, 503, 302, 408, 409, 429].map(attemptOutcome)).toEqual(Array(7).fill('RETRY'));
    expect([400, 401, 404, 410, 422].map(attemptOutcome)).toEqual(Array(5).fill('FAILED'));
    expect([200, 202, 204].map(attemptOutcome)).toEqual(Array(3).fill('DELIVERED'));
  });

  it('backs off exponentially with jitter, capped', () => {
    const schedule = { initialMs: 1000, maxIntervalMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, schedule, 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, schedule, 0))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelayMs(50, schedule, 0.5)).toBe(45_000);
    expect(shouldPause(0, 3 * 24 * 3_600_000, { retryForMs: 3 * 24 * 3_600_000 })).toBe(true);
    expect(shouldPause(0, 3 * 24 * 3_600_000 - 1, { retryForMs: 3 * 24 * 3_600_000 })).toBe(false);
  });

  it('keeps one order\'s events in one partition', () => {
    expect(deliveryPartition({ orderSn: 'O1', entityType: 'refund', entityId: 'R1' })).toBe('order:O1');
    expect(deliveryPartition({ orderSn: null, entityType: 'coupon', entityId: '7' })).toBe('coupon:7');
  });

  it('reads its settings; http and private targets only outside a deployment', () => {
    const env = (values: Record<string, string>) => (name: string) => values[name];
    expect(readWebhookSettings(env({}), false)).toMatchObject({ allowHttp: false, allowPrivateTargets: false, requestTimeoutMs: 10_000, concurrency: 8, retryForMs: 3 * 24 * 3_600_000, secretOverlapMs: 24 * 3_600_000 });
    expect(readWebhookSettings(env({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_INITIAL: '200ms' }), false)).toMatchObject({ allowPrivateTargets: true, initialMs: 200 });
    expect(() => readWebhookSettings(env({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }), true)).toThrow(OrderSettingError);
    expect(() => readWebhookSettings(env({ WEBHOOK_ALLOW_HTTP: 'yes' }), false)).toThrow(/WEBHOOK_ALLOW_HTTP|true or false/);
    expect(() => readWebhookSettings(env({ WEBHOOK_REQUEST_TIMEOUT: '1m' }), false)).toThrow(/between/);
    expect(() => readWebhookSettings(env({ WEBHOOK_RETRY_INITIAL: '10s', WEBHOOK_RETRY_MAX_INTERVAL: '1s' }), false)).toThrow(/not be shorter/);
  });
});
