import { PaymentStatus, RefundStatus } from '../../domain';
import { EncryptionCodec } from '../../apps/shared/payload-codec';
import { recordHistory } from '../support/fixtures';
import { PlacedOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Partial refunds of one payment are paced like the providers demand (WeChat Pay one per minute,
 * Alipay one per 3 s; here shortened to 3 s and 1 s): the refund workflows claim the payment's submit
 * slots under its row lock, wait for theirs on a timer and then succeed; the simulator, which
 * enforces the same spacing, never sees two refunds of the payment inside it.
 */
jest.setTimeout(240_000);

const WECHAT_SPACING_MS = 3_000;
const ALIPAY_SPACING_MS = 1_000;

describe('refunds of one payment wait for the provider spacing', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ WECHATPAY_REFUND_SPACING: `${WECHAT_SPACING_MS}ms`, ALIPAY_REFUND_SPACING: `${ALIPAY_SPACING_MS}ms` });
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const goodwill = (order: PlacedOrder, refundFen: number, key: string, supportId = 1) =>
    system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, { token: system.token('support', supportId), headers: { 'idempotency-key': key }, body: { refundFen, reason: `goodwill ${key}` } });

  const refundsOf = (orderSn: string): Promise<{ refund_sn: string; status: string; refund_fen: number; payment_refund_no: number }[]> =>
    system.dataSource.query('SELECT refund_sn, status, refund_fen, payment_refund_no FROM refund WHERE order_sn = ? ORDER BY payment_refund_no', [orderSn]);

  const paymentStatus = async (outTradeNo: string): Promise<string> => (await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [outTradeNo]))[0].status;

  const waitAllSucceeded = (orderSn: string, count: number, timeoutMs = 60_000) =>
    eventually(async () => {
      const rows = await refundsOf(orderSn);
      return rows.length === count && rows.every((r) => r.status === RefundStatus.SUCCESS) ? rows : undefined;
    }, timeoutMs, `${count} refunds of ${orderSn} SUCCESS`);

  /** The spacing waits a refund workflow started, by their summaries (the Temporal UI shows them); its polling timers have none. */
  async function timersOf(workflowId: string): Promise<string[]> {
    const history = await system.temporal.workflow.getHandle(workflowId).fetchHistory();
    // Summaries are payloads too: encrypted like the rest, read here through the same codec the UI's codec server uses.
    const codec = new EncryptionCodec(system.config.temporal.payloadEncryption);
    return (history.events ?? [])
      .filter((e) => e.timerStartedEventAttributes && e.userMetadata?.summary)
      .map((e) => JSON.parse(Buffer.from(codec.decrypt(e.userMetadata!.summary!).data!).toString('utf8')) as string);
  }

  it('three partial refunds of one WeChat payment within a minute: the later ones wait for the spacing and then succeed, one refund per number at the provider', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const started = Date.now();
    const answers = await Promise.all([1, 2, 3].map((i) => goodwill(order, 1000 * i, `spacing-wx-${order.orderSn}-${i}`, i)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const refunds = await waitAllSucceeded(order.orderSn, 3);
    const elapsedMs = Date.now() - started;
    expect(refunds.map((r) => r.payment_refund_no)).toEqual([1, 2, 3]);

    // At the provider: each number created exactly once (no second accepted create, no 429 needed), money moved once per refund.
    const ledger = (await system.sim.ledger()).filter((e) => e.kind === 'refund' && e.outTradeNo === order.outTradeNo);
    expect(ledger.map((e) => e.outRefundNo).sort()).toEqual(refunds.map((r) => r.refund_sn).sort());
    for (const refund of refunds) {
      const creates = (await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund', key: refund.refund_sn })).filter((e) => e.status === 200);
      expect(creates).toHaveLength(1);
    }
    const created = await Promise.all(refunds.map((r) => system.sim.getRefund(r.refund_sn, 'wechatpay')));
    const times = created.map((r) => r.createdAtMs).sort((a, b) => a - b);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(WECHAT_SPACING_MS);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(WECHAT_SPACING_MS);
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * WECHAT_SPACING_MS);

    // The first went at once; the second and third waited on a timer that says why.
    expect(await timersOf(`refund-${refunds[0].refund_sn}`)).toEqual([]);
    for (const refund of refunds.slice(1)) {
      // One wait for its slot (a second only if a submit still arrived early and the provider said so).
      const timers = await timersOf(`refund-${refund.refund_sn}`);
      expect(timers.length).toBeGreaterThanOrEqual(1);
      for (const summary of timers) expect(summary).toMatch(new RegExp(`^Wait \\d+(\\.\\d)? s for refund #${refund.payment_refund_no} of this payment \\(one per 3 s\\)$`));
    }
    // 6000 of 25800 back: the payment is partially refunded, not REFUNDED.
    expect(await paymentStatus(order.outTradeNo)).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    const [row] = await system.dataSource.query('SELECT order_status, pay_status, refunded_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'PAID_OFF', pay_status: 'PAY_YES', refunded_fen: 6000 });
    console.log(`three WeChat partial refunds with ${WECHAT_SPACING_MS} ms spacing: all SUCCESS ${elapsedMs} ms after the requests`);

    await system.temporal.workflow.getHandle(`refund-${refunds[2].refund_sn}`).result();
    await recordHistory(system.temporal.workflow.getHandle(`refund-${refunds[2].refund_sn}`), 'refund-waited-for-spacing');

    // The rest of the amount: now the payment is REFUNDED.
    const rest = await goodwill(order, order.orderFen - 6000, `spacing-wx-${order.orderSn}-rest`);
    expect(rest.status).toBe(202);
    await waitAllSucceeded(order.orderSn, 4);
    expect(await paymentStatus(order.outTradeNo)).toBe(PaymentStatus.REFUNDED);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 4 });
  });

  it('Alipay partial refunds go out with distinct out_request_no (the refund numbers), at least the spacing apart', async () => {
    const order = await placePaidOrder(system, 'alipay');
    const answers = await Promise.all([1, 2, 3].map((i) => goodwill(order, 500 * i, `spacing-ap-${order.orderSn}-${i}`, i)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const refunds = await waitAllSucceeded(order.orderSn, 3);
    const sent = (await system.sim.requests({ provider: 'alipay', operation: 'submitRefund' })).filter((e) => JSON.parse(e.business).out_trade_no === order.outTradeNo && e.outcome === 'ok');
    const requestNos = sent.map((e) => JSON.parse(e.business).out_request_no);
    expect(requestNos.sort()).toEqual(refunds.map((r) => r.refund_sn).sort());
    expect(new Set(requestNos).size).toBe(3);
    const times = (await Promise.all(refunds.map((r) => system.sim.getRefund(r.refund_sn, 'alipay')))).map((r) => r.createdAtMs).sort((a, b) => a - b);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(ALIPAY_SPACING_MS);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(ALIPAY_SPACING_MS);
    expect(await paymentStatus(order.outTradeNo)).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'alipay')).toEqual({ capturedFen: order.orderFen, refundedFen: 3000, refunds: 3 });
  });

  it('a provider "too frequent" answer makes the workflow wait a full spacing and resubmit the same number, asking first', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['rate-limit'] });
    const started = Date.now();
    expect((await goodwill(order, 700, `spacing-429-${order.orderSn}`)).status).toBe(202);
    const [refund] = await waitAllSucceeded(order.orderSn, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WECHAT_SPACING_MS);
    const calls = (await system.sim.requests({ provider: 'wechatpay', key: refund.refund_sn })).map((e) => [e.operation, e.status]);
    // 429, then (a full slot later) a query that finds nothing, then the same number again: accepted.
    expect(calls.slice(0, 3)).toEqual([['submitRefund', 429], ['queryRefund', 404], ['submitRefund', 200]]);
    expect(await timersOf(`refund-${refund.refund_sn}`)).toEqual([expect.stringMatching(/^Wait \d+(\.\d)? s for refund #1 of this payment \(one per 3 s\)$/)]);
    const [{ slot_claims }] = await system.dataSource.query('SELECT slot_claims FROM refund WHERE refund_sn = ?', [refund.refund_sn]);
    expect(slot_claims).toBe(2);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toMatchObject({ refundedFen: 700, refunds: 1 });
  });
});

describe('the 51st refund of a WeChat payment', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ WECHATPAY_REFUND_SPACING: '100ms' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('is refused before it reaches the provider and parked for support with the reason; support pays it offline', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const started = Date.now();
    // 50 goodwill refunds of 1.00 CNY at once (each from its own support principal: the write rate limit is per principal).
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, {
      token: system.token('support', 100 + i), headers: { 'idempotency-key': `fifty-${i}` }, body: { refundFen: 100, reason: `refund ${i + 1} of 50` },
    })));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(50);
    await eventually(async () => {
      const [{ done }] = await system.dataSource.query(`SELECT COUNT(*) AS done FROM refund WHERE order_sn = ? AND status = 'SUCCESS'`, [order.orderSn]);
      return Number(done) === 50 ? true : undefined;
    }, 150_000, '50 refunds SUCCESS');
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toEqual({ capturedFen: order.orderFen, refundedFen: 5000, refunds: 50 });
    // Each number accepted exactly once. With slots only 400 ms wide a submit delayed on this busy box can
    // still arrive early: the provider says "too frequent" and that refund waits for a later slot.
    const submits = await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund' });
    const accepted = submits.filter((e) => e.status === 200).map((e) => e.key);
    expect(accepted).toHaveLength(50);
    expect(new Set(accepted).size).toBe(50);
    console.log(`50 WeChat refunds of one payment with 100 ms spacing: all SUCCESS ${Date.now() - started} ms after the requests; ${submits.filter((e) => e.status === 429).length} "too frequent" answers, each waited out`);

    const answer = await system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, { token: system.token('support', 1), headers: { 'idempotency-key': 'the-51st' }, body: { refundFen: 100, reason: 'one more' } });
    expect(answer.status).toBe(202);
    const handle = system.temporal.workflow.getHandle(`refund-${answer.body.refundSn}`);
    const state = await eventually(async () => {
      const s = await handle.query<{ waitingForSupport?: string; status: string }>('refundState');
      return s.waitingForSupport ? s : undefined;
    }, 30_000, 'the 51st refund parked');
    expect(state).toMatchObject({ status: 'APPLY', waitingForSupport: expect.stringMatching(/at most 50 refunds per payment and this payment already has 50/) });
    expect(await system.sim.requests({ provider: 'wechatpay', key: answer.body.refundSn })).toEqual([]);
    const [row] = await system.dataSource.query('SELECT status, failure_reason FROM refund WHERE refund_sn = ?', [answer.body.refundSn]);
    expect(row).toEqual({ status: 'APPLY', failure_reason: expect.stringMatching(/at most 50 refunds/) });

    const resolved = await system.http('POST', `/support/refunds/${answer.body.refundSn}/resolution`, { token: system.token('support', 1), body: { action: 'MARK_REFUNDED_OFFLINE', reference: 'BANK-51' } });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'REFUNDED_OFFLINE' } });
    await handle.result();
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toMatchObject({ refunds: 50 });
  });
});
