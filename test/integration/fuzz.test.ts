import { placeOrder } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';
import { random } from '../../chaos/seeded-random';
import { API_ERROR_CODES, ERROR_CATALOGUE } from '../../domain/error-codes';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1200);
const PROVIDER_ACK = /^\/notify\/(wechatpay|alipay)\b/;

/**
 * Fuzzes every route with hostile values (deep nesting, ids past BIGINT and 2^53, NaN/Infinity,
 * repeated parameters, wrong types, huge strings, junk tokens) and asserts that no answer is a 5xx,
 * none leaks a stack trace, and every refusal is a problem document with a catalogue code. Real API, Temporal, MariaDB and simulator.
 */
describe('fuzzing every route never gets a 5xx', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it(`${REQUESTS} hostile requests (seed ${SEED}): all below 500, no stack traces`, async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const group = await placeOrder(system, { quantity: 1, groupBuy: { size: 3 } });
    const r = random(SEED);
    const deep = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : r.next() < 0.5 ? [deep(depth - 1, leaf)] : { k: deep(depth - 1, leaf) });
    const scalars: unknown[] = [
      0, -1, 1, 1.5, 2 ** 53 + 1, 1e20, -1e20, Number.MAX_SAFE_INTEGER, 2147483648, 100_000_000, '1', '', ' ', 'abc', 'Infinity', 'NaN', '-0', '1e30',
      '99999999999999999999', '9007199254740993', true, false, null, [], {}, 'x'.repeat(5000), '\u0000', '🙂'.repeat(300), '<script>', "' OR 1=1 --", '../../etc/passwd',
    ];
    const value = (): unknown => {
      const roll = r.next();
      if (roll < 0.6) return r.pick(scalars);
      if (roll < 0.75) return deep(1 + Math.floor(r.next() * 40), r.pick(scalars));
      if (roll < 0.9) return [r.pick(scalars), r.pick(scalars)];
      return { __proto__x: r.pick(scalars), constructor: r.pick(scalars), toString: r.pick(scalars) };
    };
    const plausibleBodies: (() => unknown)[] = [
      () => ({ items: [{ skuId: value(), quantity: value() }], paymentType: value(), groupBuy: r.next() < 0.3 ? { groupId: value(), size: value() } : undefined, consignee: r.next() < 0.3 ? value() : undefined }),
      () => ({ items: Array.from({ length: 1 + Math.floor(r.next() * 60) }, () => ({ skuId: r.pick([order.skuId, value()]), quantity: r.pick([999, 1, value()]) })) }),
      () => ({ name: value(), priceFen: value(), stock: value() }),
      () => ({ provider: r.pick(['wechatpay', 'alipay', value()]), returnUrl: value() }),
      () => ({ reason: value() }),
      () => ({ carrier: value(), trackingNo: value() }),
      () => ({ action: r.pick(['MARK_REFUNDED_OFFLINE', 'RETRY', 'REISSUE_WITH_NEW_NUMBER', value()]), reference: value(), note: value() }),
      () => ({ dryRun: r.pick(['yes', 1, null, value()]) }),
      () => value(),
      () => deep(1600, 1),
    ];
    const orderSns = () => r.pick([order.orderSn, group.orderSn, 'O00000000000000000000', 'O' + '9'.repeat(300), '%00', '..%2F..', 'x', encodeURIComponent('🙂')]);
    const ids = () => r.pick(['1', '0', '-1', 'abc', '1e3', '99999999999999999999', '9007199254740993', String(order.skuId), '1.5', 'Infinity']);
    const routes: { method: string; path: () => string; body?: boolean }[] = [
      { method: 'GET', path: () => '/health' },
      { method: 'POST', path: () => '/trades', body: true },
      { method: 'POST', path: () => '/goods', body: true },
      { method: 'GET', path: () => `/goods/${ids()}` },
      { method: 'GET', path: () => `/orders` },
      { method: 'GET', path: () => `/orders/${orderSns()}` },
      { method: 'POST', path: () => `/orders/${orderSns()}/shipment`, body: true },
      { method: 'POST', path: () => `/orders/${orderSns()}/receipt`, body: true },
      { method: 'POST', path: () => `/orders/${orderSns()}/cash-collected`, body: true },
      { method: 'POST', path: () => `/orders/${orderSns()}/completion`, body: true },
      { method: 'POST', path: () => `/orders/${orderSns()}/payment`, body: true },
      { method: 'GET', path: () => `/orders/${orderSns()}/payment` },
      { method: 'GET', path: () => `/orders/${orderSns()}/payment/qr.png?provider=${r.pick(['wechatpay', 'alipay', 'x', ''])}` },
      { method: 'POST', path: () => `/orders/${orderSns()}/cancellations`, body: true },
      { method: 'GET', path: () => `/orders/${orderSns()}/cancellations/${ids()}` },
      { method: 'GET', path: () => `/groups/${r.pick([group.groupId!, 'G1', 'G' + '1'.repeat(20), '%27'])}` },
      { method: 'GET', path: () => `/support/refunds` },
      { method: 'POST', path: () => `/orders/${orderSns()}/after-sales`, body: true },
      { method: 'GET', path: () => `/orders/${orderSns()}/after-sales` },
      { method: 'GET', path: () => `/after-sales/${r.pick(['S1', 'S' + '9'.repeat(40), '%00', "' OR 1=1"])}` },
      { method: 'POST', path: () => `/after-sales/${r.pick(['S1', '%27'])}/${r.pick(['audit', 'return-shipment', 'receipt', 'withdrawal'])}`, body: true },
      { method: 'GET', path: () => `/support/after-sales?status=${r.pick(['WAIT_FOR_MANUAL', 'x', ''])}` },
      { method: 'POST', path: () => `/support/after-sales/S1/decision`, body: true },
      { method: 'POST', path: () => `/support/refunds/${r.pick(['R1', 'R' + '0'.repeat(200), '%00'])}/resolution`, body: true },
      { method: 'POST', path: () => `/admin/sweeps/${r.pick(['order-status-sweep', 'refund-status-check', 'nope', '%2e%2e'])}/run`, body: true },
      { method: 'GET', path: () => `/admin/sweeps/${r.pick(['order-status-sweep', 'refund-status-check', 'nope'])}` },
      { method: 'POST', path: () => `/notify/${r.pick(['wechatpay', 'alipay', 'paypal'])}`, body: true },
      { method: 'GET', path: () => '/docs' },
    ];
    const queryJunk = () =>
      r.pick(['', '?page=99999999999999999999', '?page=-1', '?page=1&page=2', '?sellerId=abc', '?sellerId=Infinity', '?sellerId=9007199254740993', '?status=NOPE', '?status=PAID_OFF&status=NEW', '?status=', '?provider=wechatpay&provider=alipay', `?page=${r.pick(scalars)}`]);
    const tokens = () =>
      r.pick([
        system.token('buyer', order.buyerId),
        system.token('seller', order.sellerId),
        system.token('support', 1),
        system.token('admin', 1),
        system.token('buyer', '99999999999999999999'),
        system.token('buyer', '9007199254740993'),
        'not.a.jwt',
        '',
        'x'.repeat(5000),
      ]);

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i += 1) {
      const route = r.pick(routes);
      const path = route.path() + (route.method === 'GET' && !route.path().includes('?') ? queryJunk() : '');
      const token = tokens();
      const body = route.body ? JSON.stringify(r.pick(plausibleBodies)()) : undefined;
      const contentType = r.next() < 0.9 ? 'application/json' : r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']);
      const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': contentType } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
      if (r.next() < 0.5) headers['idempotency-key'] = r.pick(['k1', 'k 2', 'x'.repeat(300), String(i), '\u00e9']).replace(/[^\x20-\x7e]/g, '?');
      let status: number;
      let text: string;
      let answerType: string;
      try {
        const res = await fetch(`${system.apiUrl}${path}`, { method: route.method, headers, body: body?.slice(0, 200_000) });
        status = res.status;
        text = await res.text();
        answerType = res.headers.get('content-type') ?? '';
      } catch (err) {
        failures.push(`#${i} ${route.method} ${path}: request failed (${(err as Error).message})`);
        continue;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) failures.push(`#${i} ${route.method} ${path} -> ${status} ${text.slice(0, 200)} body=${body?.slice(0, 200)}`);
      else if (/\n\s+at [\w.<>]+ \(/.test(text)) failures.push(`#${i} ${route.method} ${path} -> ${status} leaks a stack trace`);
      // Every refusal is a problem document, but the providers' notification acks, which keep the provider's format.
      else if (status >= 400 && !PROVIDER_ACK.test(path) && !isProblemDocument(status, answerType, text)) failures.push(`#${i} ${route.method} ${path} -> ${status} is not a problem document with a catalogue code: ${answerType} ${text.slice(0, 200)}`);
    }
    // Sanity: the run reached the handlers (not only 401s).
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(3);
    expect(failures).toEqual([]);
  }, 300_000);
});

/** A refusal as docs/errors.md has it: application/problem+json, an API code of the catalogue, its status. */
function isProblemDocument(status: number, contentType: string, text: string): boolean {
  if (!contentType.startsWith('application/problem+json')) return false;
  try {
    const body = JSON.parse(text) as { code?: string; status?: number };
    return (API_ERROR_CODES as string[]).includes(body.code ?? '') && body.status === status && ERROR_CATALOGUE[body.code as keyof typeof ERROR_CATALOGUE].status === status;
  } catch {
    return false;
  }
}
