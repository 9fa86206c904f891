import { API_ERROR_CODES, ERROR_CATALOGUE, isErrorCode } from '../../domain/error-codes';
import { newSellerId, seedGoods } from '../support/fixtures';
import { placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * Typed errors end to end: a pass of bad input and refusals over a range of routes, sent with plain
 * fetch (not the test helper, which would throw on a bad answer), where every non-2xx answer is an
 * RFC 9457 problem document with a catalogue code; and the OpenAPI document lists, per route, the
 * codes it can answer. Real API, Temporal, MariaDB and simulator.
 */
describe('problem details: every 4xx and 5xx is application/problem+json with a catalogue code', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  interface Answer {
    status: number;
    contentType: string;
    requestIdHeader: string | null;
    body: Record<string, any>;
  }
  const send = async (method: string, path: string, options: { token?: string; body?: string | object; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${system.apiUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body) });
    const text = await res.text();
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsed: text.slice(0, 200) };
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', requestIdHeader: res.headers.get('x-request-id'), body };
  };
  /** What every refusal must look like; returns its code. */
  const expectProblem = (what: string, answer: Answer, path: string): string => {
    const { status, body } = answer;
    expect({ what, contentType: answer.contentType }).toEqual({ what, contentType: expect.stringMatching(/^application\/problem\+json/) });
    expect({ what, codeKnown: (API_ERROR_CODES as string[]).includes(body.code) }).toEqual({ what, codeKnown: true });
    expect({ what, body }).toEqual({
      what,
      body: expect.objectContaining({
        type: `urn:durable-orders:error:${body.code}`,
        title: ERROR_CATALOGUE[body.code as keyof typeof ERROR_CATALOGUE].title,
        status,
        detail: expect.any(String),
        code: body.code,
        instance: path.split('?')[0],
        requestId: answer.requestIdHeader,
      }),
    });
    expect({ what, status }).toEqual({ what, status: ERROR_CATALOGUE[body.code as keyof typeof ERROR_CATALOGUE].status });
    expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
    return body.code;
  };

  it('answers a pass of bad input and refusals on a range of routes with problem documents', async () => {
    const sellerId = newSellerId();
    const buyerId = sellerId + 500_000;
    const buyer = system.token('buyer', buyerId);
    const seller = system.token('seller', sellerId);
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 500, stock: 3 });
    const unpaid = await placeOrder(system, { quantity: 1, buyerId, sku: { skuId, sellerId } });
    const cases: [string, string, string, Parameters<typeof send>[2], string][] = [
      ['no token', 'GET', '/orders', {}, 'UNAUTHENTICATED'],
      ['a forged token', 'GET', '/orders', { token: 'not.a.token' }, 'UNAUTHENTICATED'],
      ['a role the route does not take', 'GET', '/admin/sweeps/order-status-sweep', { token: buyer }, 'FORBIDDEN'],
      ['a route that does not exist', 'GET', '/no-such-route', { token: buyer }, 'NOT_FOUND'],
      ['another buyer\'s order', 'GET', `/orders/${unpaid.orderSn}`, { token: system.token('buyer', buyerId + 1) }, 'NOT_FOUND'],
      ['another seller\'s order', 'POST', `/orders/${unpaid.orderSn}/shipment`, { token: system.token('seller', sellerId + 1), body: { carrier: 'SF', trackingNo: 'SF12345678' } }, 'NOT_FOUND'],
      ['a body that is not JSON', 'POST', '/trades', { token: buyer, body: '{"items": [' }, 'VALIDATION_FAILED'],
      ['a body above 64 kB', 'POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 1 }], note: 'x'.repeat(70_000) } }, 'PAYLOAD_TOO_LARGE'],
      ['a body nested too deep', 'POST', '/trades', { token: buyer, body: { items: JSON.parse('['.repeat(40) + ']'.repeat(40)) } }, 'VALIDATION_FAILED'],
      ['a field that fails validation', 'POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 0 }] } }, 'VALIDATION_FAILED'],
      ['a field that is not allowed', 'POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 1 }], priceFen: 1 } }, 'VALIDATION_FAILED'],
      ['a bad query parameter', 'GET', '/orders?page=0', { token: buyer }, 'VALIDATION_FAILED'],
      ['a missing Idempotency-Key', 'POST', `/orders/${unpaid.orderSn}/cancellations`, { token: buyer, body: { reason: 'x' } }, 'VALIDATION_FAILED'],
      ['an unknown SKU', 'POST', '/trades', { token: buyer, body: { items: [{ skuId: 999_999_999, quantity: 1 }] } }, 'REQUEST_UNPROCESSABLE'],
      ['more than the stock', 'POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 3 }] } }, 'OUT_OF_STOCK'],
      ['shipping an unpaid order', 'POST', `/orders/${unpaid.orderSn}/shipment`, { token: seller, body: { carrier: 'SF', trackingNo: 'SF12345678' } }, 'ORDER_OPERATION_NOT_ALLOWED'],
      ['an after-sale on an unshipped order', 'POST', `/orders/${unpaid.orderSn}/after-sales`, { token: buyer, headers: { 'idempotency-key': `as-${unpaid.orderSn}` }, body: { serviceType: 'REFUND_ONLY', lines: [{ orderItemId: 1, num: 1 }], reason: 'x' } }, 'AFTER_SALE_NOT_ALLOWED'],
      ['an unknown cancellation', 'GET', `/orders/${unpaid.orderSn}/cancellations/999999999`, { token: buyer }, 'NOT_FOUND'],
      ['an unknown sweep', 'POST', '/admin/sweeps/no-such-sweep/run', { token: system.token('admin', 1), body: {} }, 'NOT_FOUND'],
    ];
    const seen = new Set<string>();
    for (const [what, method, path, options, code] of cases) {
      const answer = await send(method, path, options);
      expect({ what, code: answer.body.code }).toEqual({ what, code });
      seen.add(expectProblem(what, answer, path));
    }
    expect(seen.size).toBeGreaterThanOrEqual(9);
    // The validation pipe names the fields.
    const invalid = await send('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 0 }] } });
    expect(invalid.body.errors).toEqual([{ field: 'items.0.quantity', messages: ['items.0.quantity must be at least 1'] }]);
  });

  it('keeps the caller\'s X-Request-Id as the requestId, and a replayed idempotent refusal is a problem document too', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const seller = system.token('seller', order.sellerId);
    expect((await send('POST', `/orders/${order.orderSn}/shipment`, { token: seller, body: { carrier: 'SF', trackingNo: 'SF12345678' } })).status).toBe(200);
    const path = `/orders/${order.orderSn}/cancellations`;
    const request = { token: seller, body: { reason: 'too late' }, headers: { 'idempotency-key': `late-${order.orderSn}`, 'x-request-id': `trace-${order.orderSn}` } };
    const refused = await send('POST', path, request);
    expect(expectProblem('a cancel of a shipped order', refused, path)).toBe('ORDER_NOT_CANCELLABLE_IN_STATE');
    expect(refused.body.requestId).toBe(`trace-${order.orderSn}`);
    const replayed = await send('POST', path, { ...request, headers: { ...request.headers, 'x-request-id': `again-${order.orderSn}` } });
    expect(expectProblem('the same cancel replayed', replayed, path)).toBe('ORDER_NOT_CANCELLABLE_IN_STATE');
    expect(replayed.body.detail).toBe(refused.body.detail);
    const reused = await send('POST', path, { ...request, body: { reason: 'another reason' } });
    expect(expectProblem('the key with another body', reused, path)).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('documents the Problem schema once and, on every route, the codes it can answer per status', async () => {
    const document = (await (await fetch(`${system.apiUrl}/docs-json`)).json()) as { components: { schemas: Record<string, any> }; paths: Record<string, Record<string, { responses: Record<string, any>; security?: unknown[] }>> };
    expect(document.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId']);
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const refusals = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
        if (!operation.responses['500']) undocumented.push(`${method} ${path}: no 500`);
        if (operation.security?.length && !operation.responses['401']) undocumented.push(`${method} ${path}: no 401`);
        for (const [status, response] of refusals) {
          const codes: string[] = response.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? [];
          if (!codes.length) undocumented.push(`${method} ${path} ${status}: no codes`);
          for (const code of codes) if (!isErrorCode(code) || ERROR_CATALOGUE[code].status !== Number(status)) undocumented.push(`${method} ${path} ${status}: ${code}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
    const cancel = document.paths['/v1/orders/{orderSn}/cancellations'].post.responses;
    expect(cancel['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(expect.arrayContaining(['ORDER_NOT_CANCELLABLE_IN_STATE', 'AFTER_SALE_OPEN', 'CANCELLATION_IN_PROGRESS']));
    expect(cancel['503'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(['WORKFLOW_NOT_ANSWERING']);
    expect(document.paths['/v1/orders/{orderSn}/after-sales'].post.responses['409'].description).toMatch(/`LINE_NOT_YOURS`/);
  });
});
