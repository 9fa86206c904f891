import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DataSource } from 'typeorm';
import { LinkedOrderActivities } from '../../activities/linked-orders';
import { WindowSweepActivities } from '../../activities/window-sweep';
import type { SweepDependencies } from '../../activities/sweeps';
import { DEFAULT_ORDER_SETTINGS } from '../../domain';
import { CancellationActivities, recordLatePaymentRefund } from '../../activities/cancellations';
import { AfterSaleActivities, AfterSaleStepRecord } from '../../activities/after-sales';
import { ComplaintActivities } from '../../activities/complaints';
import { releaseOrderCoupons } from '../../activities/coupons';
import { LatePaymentActivities } from '../../activities/late-payments';
import { OrderTransitions } from '../../activities/order-transitions';
import { ReconciliationCompare } from '../../activities/reconciliation-compare';
import { RefundActivities } from '../../activities/refunds';
import { RefundSlotActivities } from '../../activities/refund-slots';
import { GoodwillRefundActivities } from '../../activities/goodwill-refunds';
import { recordStockMovement } from '../../db/stock-ledger';
import { newSn } from '../../db/serial-numbers';
import { connectDataSource } from '../../db/data-source';
import type { PaymentProvider, ProviderName } from '../../payments';
import { goodsRow, newSellerId, seedGoods } from '../support/fixtures';

/**
 * Temporal runs an activity at least once: each effect-bearing activity is run twice here, as a retry
 * after a commit would, against the real database — and must have had its effect exactly once.
 */
describe('activities are idempotent', () => {
  let dataSource: DataSource;
  // These activities never call a provider; the refund/cancellation services only need the map to exist.
  const noProviders = {} as Record<ProviderName, PaymentProvider>;
  beforeAll(async () => {
    dataSource = await connectDataSource(process.env.TEST_DATABASE_URL!, { poolSize: 2 });
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** A paid ONLINE order for 2 units, inserted directly (reserved, sold). */
  async function paidOrder(): Promise<{ orderSn: string; skuId: number; outTradeNo: string }> {
    const sellerId = newSellerId();
    const skuId = await seedGoods(dataSource, { sellerId, priceFen: 500, stock: 10 });
    const orderSn = newSn('O');
    const outTradeNo = `P${orderSn.slice(1)}W`;
    await dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status, comment_status,
           complain_status, payment_type, order_type, order_fen, goods_fen, paid_fen)
         VALUES (?, 'T0', ?, 1, 'PAID_OFF', 'PAY_YES', 'SHIP_NO', 'NOT_APPLY', 'UNFINISHED', 'NO_APPLY', 'ONLINE', 'NORMAL', 1000, 1000, 1000)`,
        [orderSn, sellerId],
      );
      await m.query(`INSERT INTO order_item (order_sn, sku_id, name, num, price_fen, refundable_fen) VALUES (?, ?, 'x', 2, 500, 1000)`, [orderSn, skuId]);
      await m.query(`INSERT INTO payment (order_sn, provider, out_trade_no, amount_fen, status, paid_at) VALUES (?, 'wechatpay', ?, 1000, 'PAID', NOW(3))`, [orderSn, outTradeNo]);
      await recordStockMovement(m, orderSn, skuId, 2, 'RESERVE');
      await recordStockMovement(m, orderSn, skuId, 2, 'SALE');
    });
    return { orderSn, skuId, outTradeNo };
  }

  const logCount = async (orderSn: string) => Number((await dataSource.query('SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ?', [orderSn]))[0].n);

  it('a transition applied twice changes the order and writes its log row once, and reports the replay', async () => {
    const { orderSn, skuId } = await paidOrder();
    const transitions = new OrderTransitions(dataSource);
    const request = { orderSn, operation: 'SHIP' as const, from: 'PAID_OFF' as const, to: 'SHIPPED' as const, actor: 'SELLER' as const, message: 'shipped', shipment: { carrier: 'SF', trackingNo: 'SF1' } };
    expect(await transitions.applyTransition(request)).toEqual({ applied: true, replayed: false, status: 'SHIPPED' });
    expect(await transitions.applyTransition(request)).toEqual({ applied: true, replayed: true, status: 'SHIPPED' });
    expect(await goodsRow(dataSource, skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 2 });
    expect(await logCount(orderSn)).toBe(1);
    // A different transition from a status the order has left is refused, not applied.
    const stale = await transitions.applyTransition({ ...request, operation: 'SHIP', eventKey: 'other' });
    expect(stale).toMatchObject({ applied: false, status: 'SHIPPED' });
  });

  it('the order applying its cancel (CAS + refund record) twice cancels once and records one refund; its cancellation accepting it twice moves the request once; restocking a paid cancel twice restores and reverses once', async () => {
    const { orderSn, skuId } = await paidOrder();
    const inserted = await dataSource.query(
      `INSERT INTO cancellation_request (order_sn, actor_role, actor_id, idempotency_key, request_hash, reason, status) VALUES (?, 'seller', '1', ?, '', 'r', 'RECEIVED')`,
      [orderSn, `own-${orderSn}`],
    );
    const id = Number(inserted.insertId);
    const cancellations = new CancellationActivities(dataSource, noProviders);
    const cancel = { orderSn, operation: 'SERVICE_CANCEL' as const, from: 'PAID_OFF' as const, to: 'CANCELLED' as const, actor: 'SELLER' as const, message: 'cancelled: r', cancellation: { reason: 'r', cancellationId: id, refunding: true } };
    const first = await cancellations.cancelOrder(cancel);
    const again = await cancellations.cancelOrder(cancel);
    expect(first.transition).toEqual({ applied: true, replayed: false, status: 'CANCELLED' });
    expect(again.transition).toEqual({ applied: true, replayed: true, status: 'CANCELLED' });
    expect(again.refund).toEqual(first.refund);
    expect(first.refund).toMatchObject({ orderSn, refundFen: 1000, status: 'APPLY' });
    const refunds = await dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [orderSn]);
    expect(Number(refunds[0].n)).toBe(1);
    const [row] = await dataSource.query('SELECT order_status, pay_status, service_status FROM orders WHERE order_sn = ?', [orderSn]);
    expect(row).toEqual({ order_status: 'CANCELLED', pay_status: 'REFUNDING', service_status: 'PASS' });
    const [received] = await dataSource.query('SELECT status FROM cancellation_request WHERE id = ?', [id]);
    expect(received.status).toBe('RECEIVED');
    await cancellations.markCancellationAccepted({ cancellationId: id, refunding: true, actor: 'SELLER' });
    await cancellations.markCancellationAccepted({ cancellationId: id, refunding: true, actor: 'SELLER' });
    const [request] = await dataSource.query('SELECT status FROM cancellation_request WHERE id = ?', [id]);
    expect(request.status).toBe('REFUNDING');

    expect(await cancellations.restockCancelledOrder({ orderSn, paid: true })).toEqual({ restocked: 1, salesReversed: 1 });
    expect(await cancellations.restockCancelledOrder({ orderSn, paid: true })).toEqual({ restocked: 0, salesReversed: 0 });
    expect(await goodsRow(dataSource, skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    await cancellations.finishCancellation({ orderSn, cancellationId: id, refunded: true });
    await cancellations.finishCancellation({ orderSn, cancellationId: id, refunded: true });
    const [settled] = await dataSource.query('SELECT pay_status, service_status FROM orders WHERE order_sn = ?', [orderSn]);
    expect(settled).toEqual({ pay_status: 'REFUNDED', service_status: 'COMPLETE' });
    const events = await dataSource.query('SELECT event_key FROM order_log WHERE order_sn = ? ORDER BY id', [orderSn]);
    expect(events.map((e: { event_key: string }) => e.event_key.replace(/R\d+/, 'R*'))).toEqual(['SERVICE_CANCEL:PAID_OFF->CANCELLED', 'refund:R*:created', 'stock:RESTORE', 'stock:SALE_REVERSAL', `cancellation:${id}:completed`]);
  });

  it('recording a late payment and its refund twice records it once under one refund number', async () => {
    const { orderSn } = await paidOrder();
    const outTradeNo = `P${orderSn.slice(1)}A`;
    await dataSource.query(`INSERT INTO payment (order_sn, provider, out_trade_no, amount_fen, status) VALUES (?, 'alipay', ?, 1000, 'CREATED')`, [orderSn, outTradeNo]);
    const late = { orderSn, why: 'the order was already paid', payment: { provider: 'alipay' as const, outTradeNo, transactionId: `T${orderSn}`, amountFen: 1000, paidAt: new Date().toISOString() } };
    const first = await recordLatePaymentRefund(dataSource, late);
    const again = await recordLatePaymentRefund(dataSource, late);
    expect(again).toEqual(first);
    expect(first).toMatchObject({ outTradeNo, refundFen: 1000, status: 'APPLY' });
    const refunds = await dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE out_trade_no = ?', [outTradeNo]);
    expect(Number(refunds[0].n)).toBe(1);
    const logged = await dataSource.query(`SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND event_key = ?`, [orderSn, `late-payment:${outTradeNo}`]);
    expect(Number(logged[0].n)).toBe(1);
  });

  it('logging an unconfirmed late payment for support twice logs it once', async () => {
    const { orderSn } = await paidOrder();
    const late = { orderSn, reason: 'wechatpay does not confirm it', payment: { provider: 'wechatpay' as const, outTradeNo: `P${orderSn.slice(1)}X`, transactionId: `T${orderSn}`, amountFen: 1000, paidAt: new Date().toISOString() } };
    const activities = new LatePaymentActivities(dataSource, noProviders);
    await activities.recordUnconfirmedLatePayment(late);
    await activities.recordUnconfirmedLatePayment(late);
    const logged = await dataSource.query(`SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND event_key LIKE 'late-payment-unconfirmed:%'`, [orderSn]);
    expect(Number(logged[0].n)).toBe(1);
  });

  it('creating a refund twice for one cause keeps one refund number; a second cause has nothing left to refund', async () => {
    const { orderSn } = await paidOrder();
    const refunds = new RefundActivities(dataSource, noProviders, 'http://127.0.0.1:1');
    const first = await refunds.createRefund({ causeKey: `test:${orderSn}`, orderSn, reason: 'r' });
    const again = await refunds.createRefund({ causeKey: `test:${orderSn}`, orderSn, reason: 'r' });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ refundFen: 1000, totalFen: 1000, status: 'APPLY' });
    await expect(refunds.createRefund({ causeKey: `other:${orderSn}`, orderSn, reason: 'r' })).rejects.toMatchObject({ type: 'NothingToRefund' });
    // The outcome is recorded forward only, once: the order's refunded amount grows once.
    expect(await refunds.recordRefundOutcome({ refundSn: first.refundSn, status: 'SUCCESS' })).toBe('SUCCESS');
    expect(await refunds.recordRefundOutcome({ refundSn: first.refundSn, status: 'SUCCESS' })).toBe('SUCCESS');
    expect(await refunds.recordRefundOutcome({ refundSn: first.refundSn, status: 'CLOSED' })).toBe('SUCCESS');
    const [row] = await dataSource.query('SELECT refunded_fen FROM orders WHERE order_sn = ?', [orderSn]);
    expect(row.refunded_fen).toBe(1000);
  });

  it('a partial refund created twice for one cause keeps one number; more than remains is refused', async () => {
    const { orderSn } = await paidOrder();
    const refunds = new RefundActivities(dataSource, noProviders, 'http://127.0.0.1:1');
    const first = await refunds.createRefund({ causeKey: `complaint:${orderSn}:1`, orderSn, reason: 'r', refundFen: 300 });
    expect(await refunds.createRefund({ causeKey: `complaint:${orderSn}:1`, orderSn, reason: 'r', refundFen: 300 })).toEqual(first);
    expect(first).toMatchObject({ refundFen: 300, totalFen: 1000 });
    await expect(refunds.createRefund({ causeKey: `complaint:${orderSn}:2`, orderSn, reason: 'r', refundFen: 701 })).rejects.toMatchObject({ type: 'RefundExceedsRemaining' });
    expect(await refunds.createRefund({ causeKey: `complaint:${orderSn}:3`, orderSn, reason: 'r', refundFen: 700 })).toMatchObject({ refundFen: 700 });
  });

  it('a complaint step applied twice changes the complaint, posts its message and logs once', async () => {
    const { orderSn, skuId } = await paidOrder();
    const inserted = await dataSource.query(
      `INSERT INTO complaint (order_sn, sku_id, buyer_id, seller_id, topic, content, status, open_line_key) VALUES (?, ?, 1, 2, 't', 'c', 'COMMUNICATION', ?)`,
      [orderSn, skuId, `${orderSn}:${skuId}`],
    );
    const complaintId = Number(inserted.insertId);
    const complaints = new ComplaintActivities(dataSource);
    const message = { complaintId, orderSn, seq: 3, action: 'MESSAGE' as const, from: 'COMMUNICATION' as const, to: 'COMMUNICATION' as const, actor: 'BUYER', actorId: '1', content: 'photo', message: 'm' };
    expect(await complaints.applyComplaintStep(message)).toEqual({ replayed: false, status: 'COMMUNICATION' });
    expect(await complaints.applyComplaintStep(message)).toEqual({ replayed: true, status: 'COMMUNICATION' });
    const withdraw = { ...message, seq: 4, action: 'WITHDRAW' as const, to: 'CANCEL' as const, content: 'solved' };
    expect(await complaints.applyComplaintStep(withdraw)).toEqual({ replayed: false, status: 'CANCEL' });
    expect(await complaints.applyComplaintStep(withdraw)).toEqual({ replayed: true, status: 'CANCEL' });
    expect(await dataSource.query('SELECT COUNT(*) AS n FROM complaint_message WHERE complaint_id = ?', [complaintId])).toEqual([{ n: 1 }]);
    expect(await dataSource.query('SELECT status, open_line_key, closed_reason FROM complaint WHERE id = ?', [complaintId])).toEqual([{ status: 'CANCEL', open_line_key: null, closed_reason: 'solved' }]);
    expect(await logCount(orderSn)).toBe(2);
    // A step from a status the complaint has left is refused, not applied.
    await expect(complaints.applyComplaintStep({ ...message, seq: 5 })).rejects.toMatchObject({ type: 'ComplaintMoved' });
  });

  it('closing the comment window twice writes the automatic positive review once', async () => {
    const { orderSn } = await paidOrder();
    const transitions = new OrderTransitions(dataSource);
    await transitions.closeOrderWindow({ orderSn, window: 'comment' });
    await transitions.closeOrderWindow({ orderSn, window: 'comment' });
    expect(await dataSource.query('SELECT kind, grade, automatic FROM order_review WHERE order_sn = ?', [orderSn])).toEqual([{ kind: 'INITIAL', grade: 'GOOD', automatic: 1 }]);
  });

  it('gives a cancelled unpaid order\'s coupon back once when run twice, and never a paid order\'s', async () => {
    const sellerId = newSellerId();
    const insertOrder = async (orderStatus: string, payStatus: string) => {
      const orderSn = newSn('O');
      await dataSource.query(
        `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status, comment_status,
           complain_status, payment_type, order_type, order_fen, goods_fen)
         VALUES (?, 'T0', ?, 1, ?, ?, 'SHIP_NO', 'NOT_APPLY', 'UNFINISHED', 'NO_APPLY', 'ONLINE', 'NORMAL', 900, 1000)`,
        [orderSn, sellerId, orderStatus, payStatus],
      );
      const coupon = await dataSource.query(`INSERT INTO coupon (seller_id, title, threshold_fen, value_fen, valid_from, valid_until, total_count, claimed_count) VALUES (?, 'c', 0, 100, NOW(3) - INTERVAL 1 DAY, NOW(3) + INTERVAL 1 DAY, 1, 1)`, [sellerId]);
      const copy = await dataSource.query(`INSERT INTO member_coupon (coupon_id, seller_id, buyer_id, status, order_sn, used_at) VALUES (?, ?, 1, 'USED', ?, NOW(3))`, [coupon.insertId, sellerId, orderSn]);
      return { orderSn, memberCouponId: copy.insertId };
    };
    const cancelled = await insertOrder('CANCELLED', 'PAY_NO');
    expect(await releaseOrderCoupons(dataSource, cancelled.orderSn)).toBe(1);
    expect(await releaseOrderCoupons(dataSource, cancelled.orderSn)).toBe(0);
    expect(await dataSource.query('SELECT status, order_sn FROM member_coupon WHERE id = ?', [cancelled.memberCouponId])).toEqual([{ status: 'UNUSED', order_sn: null }]);
    expect(await logCount(cancelled.orderSn)).toBe(1);
    // A paid order (cancelled with a refund) keeps its coupon used.
    const paid = await insertOrder('CANCELLED', 'REFUNDED');
    expect(await releaseOrderCoupons(dataSource, paid.orderSn)).toBe(0);
    expect(await dataSource.query('SELECT status FROM member_coupon WHERE id = ?', [paid.memberCouponId])).toEqual([{ status: 'USED' }]);
  });

  it('closing a window twice closes it once', async () => {
    const { orderSn } = await paidOrder();
    const transitions = new OrderTransitions(dataSource);
    expect(await transitions.closeOrderWindow({ orderSn, window: 'comment' })).toBe(true);
    expect(await transitions.closeOrderWindow({ orderSn, window: 'comment' })).toBe(false);
    expect(await logCount(orderSn)).toBe(1);
  });

  it('an after-sale step recorded twice sets the service status and logs once; a later step is not undone by a retry of an earlier one', async () => {
    const { orderSn } = await paidOrder();
    const transitions = new OrderTransitions(dataSource);
    const open = { orderSn, serviceSn: 'S-twice', step: 'open' as const, serviceStatus: 'APPLY' as const, message: 'after-sale S-twice opened' };
    expect(await transitions.recordAfterSale(open)).toBe(true);
    expect(await transitions.recordAfterSale(open)).toBe(false);
    const close = { orderSn, serviceSn: 'S-twice', step: 'close' as const, serviceStatus: 'NOT_APPLY' as const, message: 'after-sale S-twice COMPLETED' };
    expect(await transitions.recordAfterSale(close)).toBe(true);
    expect(await transitions.recordAfterSale(close)).toBe(false);
    // The open's retry arriving late changes nothing: its log row is there.
    expect(await transitions.recordAfterSale(open)).toBe(false);
    expect(await dataSource.query('SELECT service_status FROM orders WHERE order_sn = ?', [orderSn])).toEqual([{ service_status: 'NOT_APPLY' }]);
    expect(await logCount(orderSn)).toBe(2);
  });

  describe('with a Temporal client (no worker: the workflows they start wait unrun)', () => {
    let connection: Connection;
    let deps: SweepDependencies;
    beforeAll(async () => {
      connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
      const temporal = new Client({ connection });
      deps = { temporal, taskQueue: `idempotency-${newSn('T')}`, orderSettings: DEFAULT_ORDER_SETTINGS, latePaymentWindowMs: 60_000, refundPollScheduleMs: [60_000], sweeps: { batchSize: 500 } as SweepDependencies['sweeps'] };
    });
    afterAll(async () => {
      await connection?.close();
    });

    it('creating a linked order twice creates one order, reserves its stock once and starts its workflow once', async () => {
      const { orderSn: sourceOrderSn, skuId } = await paidOrder();
      const linked = new LinkedOrderActivities(dataSource, () => deps);
      const request = { serviceSn: `S-${sourceOrderSn}`, sourceOrderSn, orderType: 'SUPPLY_AGAIN' as const, lines: [{ skuId, num: 1 }] };
      const first = await linked.createLinkedOrder(request);
      expect(await linked.createLinkedOrder(request)).toEqual(first);
      expect(await goodsRow(dataSource, skuId)).toEqual({ quantity: 10, available_quantity: 7, sales_count: 2 });
      expect(await dataSource.query('SELECT order_sn FROM orders WHERE source_service_sn = ?', [request.serviceSn])).toEqual([{ order_sn: first.orderSn }]);
      expect(await dataSource.query('SELECT kind, quantity FROM stock_movement WHERE order_sn = ?', [first.orderSn])).toEqual([{ kind: 'RESERVE', quantity: -1 }]);
      const handle = deps.temporal.workflow.getHandle(`order-${first.orderSn}`);
      let runs = 0;
      for await (const _ of deps.temporal.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs += 1;
      expect(runs).toBe(1);
      await handle.terminate('idempotency test done');
    });

    it('a window-closing page run twice closes an overdue order\'s windows once', async () => {
      const { orderSn } = await paidOrder();
      const longAgo = new Date(Date.now() - 60 * 86_400_000);
      await dataSource.query(`UPDATE orders SET order_status = 'COMPLETE', shipped_at = ?, completed_at = ? WHERE order_sn = ?`, [longAgo, longAgo, orderSn]);
      const windows = new WindowSweepActivities(dataSource, () => deps);
      const page = { sweepRunId: 0, sweepDay: '2026-12-01', asOfIso: new Date().toISOString(), afterId: 0, dryRun: false, totalsBefore: {}, window: 'complaint' as const };
      const env = new MockActivityEnvironment();
      const first = (await env.run(windows.closeOverdueWindows.bind(windows), page)) as Awaited<ReturnType<WindowSweepActivities["closeOverdueWindows"]>>;
      expect(first.counts.advanced).toBeGreaterThanOrEqual(1);
      await env.run(windows.closeOverdueWindows.bind(windows), page);
      expect(await dataSource.query('SELECT complain_status FROM orders WHERE order_sn = ?', [orderSn])).toEqual([{ complain_status: 'EXPIRED' }]);
      expect(await logCount(orderSn)).toBe(1);
    });
  });

  it('a reconciliation page compared twice records each difference, and opens its case, once', async () => {
    const billDate = `2025-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}`;
    const run = await dataSource.query(`INSERT INTO reconciliation_run (provider, bill_date, status, workflow_id, last_execution_id) VALUES ('alipay', ?, 'RUNNING', 'w', ?)`, [billDate, newSn('T')]);
    const runId = Number(run.insertId);
    const known = newSn('P');
    const stranger = newSn('P');
    await dataSource.query(`INSERT INTO payment (order_sn, provider, out_trade_no, amount_fen, status, paid_at) VALUES (?, 'alipay', ?, 1000, 'PAID', NOW(3))`, [newSn('O'), known]);
    const line = (n: number, outTradeNo: string, fen: number) => [runId, n, 'PAYMENT', outTradeNo, '', `T${outTradeNo}`, fen, new Date()];
    await dataSource.query(
      'INSERT INTO reconciliation_bill_row (run_id, line_no, kind, out_trade_no, out_refund_no, transaction_id, amount_fen, booked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)',
      [...line(1, known, 1001), ...line(2, known, 1001), ...line(3, stranger, 500)],
    );
    const compare = new ReconciliationCompare(dataSource);
    const page = { runId, provider: 'alipay', billDate, afterLineNo: 0, pageSize: 100 };
    const first = await compare.compareBillPage(page);
    expect(first).toEqual({ lastLineNo: 3, exhausted: true, matched: 0, matchedFen: 0, differences: 3 });
    expect(await compare.compareBillPage(page)).toEqual(first);
    const cases = await dataSource.query('SELECT id, kind FROM reconciliation_difference WHERE run_id = ? ORDER BY kind', [runId]);
    expect(cases.map((c: { kind: string }) => c.kind)).toEqual(['AMOUNT_MISMATCH', 'DUPLICATE', 'STRANDED_PAYMENT']);
    const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM reconciliation_case_log WHERE action = 'OPENED' AND difference_id IN (?)`, [cases.map((c: { id: number }) => c.id)]);
    expect(Number(n)).toBe(3);
  });
  it('claiming a refund submit slot twice gives the same slot and number; the next refund of the payment gets the next slot', async () => {
    const { orderSn, outTradeNo } = await paidOrder();
    const refunds = new RefundActivities(dataSource, noProviders, 'http://127.0.0.1:1');
    const slots = new RefundSlotActivities(dataSource, { wechatpay: 2_000, alipay: 1_000 });
    const a = await refunds.createRefund({ causeKey: `slot-a:${orderSn}`, orderSn, reason: 'r', refundFen: 100 });
    const b = await refunds.createRefund({ causeKey: `slot-b:${orderSn}`, orderSn, reason: 'r', refundFen: 100 });
    const first = await slots.claimRefundSlot({ refundSn: a.refundSn, claim: 1 });
    expect(first).toMatchObject({ kind: 'slot', paymentRefundNo: 1, waitMs: 0, spacingMs: 2_000 });
    const again = await slots.claimRefundSlot({ refundSn: a.refundSn, claim: 1 });
    expect(again).toMatchObject({ kind: 'slot', paymentRefundNo: 1, slotAtIso: (first as { slotAtIso: string }).slotAtIso });
    const second = await slots.claimRefundSlot({ refundSn: b.refundSn, claim: 1 });
    expect(second).toMatchObject({ kind: 'slot', paymentRefundNo: 2 });
    if (second.kind !== 'slot' || first.kind !== 'slot') throw new Error('expected slots');
    expect(Date.parse(second.slotAtIso) - Date.parse(first.slotAtIso)).toBe(2_300);
    expect(second.waitMs).toBeGreaterThan(1_500);
    expect(await slots.claimRefundSlot({ refundSn: b.refundSn, claim: 1 })).toMatchObject({ slotAtIso: second.slotAtIso, paymentRefundNo: 2 });
    // After "too frequent": a later slot, same number among the payment's refunds.
    const later = await slots.claimRefundSlot({ refundSn: b.refundSn, claim: 2, afterTooFrequent: true });
    expect(later).toMatchObject({ kind: 'slot', paymentRefundNo: 2 });
    expect(Date.parse((later as { slotAtIso: string }).slotAtIso)).toBeGreaterThan(Date.parse(second.slotAtIso));
    const [payment] = await dataSource.query('SELECT next_refund_at FROM payment WHERE out_trade_no = ?', [outTradeNo]);
    expect(new Date(payment.next_refund_at).getTime()).toBe(Date.parse((later as { slotAtIso: string }).slotAtIso) + 2_300);
  });

  it('recording a goodwill refund twice creates one refund and one audit row; over the remaining amount is a refusal that records nothing', async () => {
    const { orderSn } = await paidOrder();
    const goodwill = new GoodwillRefundActivities(dataSource);
    const request = await dataSource.query(
      `INSERT INTO goodwill_refund (order_sn, actor_role, actor_id, idempotency_key, request_hash, refund_fen, reason, status) VALUES (?, 'support', '1', ?, '', 300, 'late parcel', 'RECEIVED')`,
      [orderSn, orderSn],
    );
    const recording = { requestId: Number(request.insertId), orderSn, refundFen: 300, reason: 'late parcel', supportId: 'support:1', attempt: 1 };
    const first = await goodwill.recordGoodwillRefund(recording);
    expect(first).toMatchObject({ kind: 'recorded', refund: { refundFen: 300, status: 'APPLY' } });
    expect(await goodwill.recordGoodwillRefund(recording)).toEqual(first);
    const refunds = await dataSource.query('SELECT cause_key FROM refund WHERE order_sn = ?', [orderSn]);
    expect(refunds).toEqual([{ cause_key: `goodwill:${recording.requestId}:1` }]);
    const log = await dataSource.query(`SELECT actor_role, actor_id, message FROM order_log WHERE order_sn = ? AND event_key LIKE 'goodwill:%'`, [orderSn]);
    expect(log).toEqual([{ actor_role: 'SUPPORT', actor_id: 'support:1', message: expect.stringMatching(/^goodwill refund of 3\.00 CNY by support:1 \(refund R\d+\): late parcel$/) }]);
    const tooMuch = await goodwill.recordGoodwillRefund({ ...recording, attempt: 2, refundFen: 701 });
    expect(tooMuch).toEqual({ kind: 'refused', code: 'RefundExceedsRemaining', reason: expect.stringMatching(/exceeds the 700 fen that remain refundable/) });
    expect(await dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [orderSn])).toEqual([{ n: 1 }]);
  });

  /** A shipped order of 2 units with one RETURN_GOODS after-sale for both, inserted directly. */
  async function afterSaleOfShippedOrder(): Promise<{ orderSn: string; skuId: number; serviceSn: string; orderItemId: number }> {
    const { orderSn, skuId } = await paidOrder();
    await recordStockMovement(dataSource.manager, orderSn, skuId, 2, 'SHIP');
    const [item] = await dataSource.query('SELECT id FROM order_item WHERE order_sn = ?', [orderSn]);
    const serviceSn = newSn('S');
    await dataSource.query(
      `INSERT INTO after_sale (service_sn, order_sn, seller_id, buyer_id, service_type, status, reason, requested_fen, idempotency_key, request_hash)
       VALUES (?, ?, 1, 1, 'RETURN_GOODS', 'FULL_COURIER', 'broken', 1000, ?, '')`,
      [serviceSn, orderSn, serviceSn],
    );
    await dataSource.query(`INSERT INTO after_sale_item (service_sn, order_sn, order_item_id, sku_id, name, num, amount_fen) VALUES (?, ?, ?, ?, 'x', 2, 1000)`, [serviceSn, orderSn, item.id, skuId]);
    return { orderSn, skuId, serviceSn, orderItemId: Number(item.id) };
  }

  it('an after-sale step applied twice moves the after-sale, restocks, takes back sales and logs once', async () => {
    const { orderSn, skuId, serviceSn, orderItemId } = await afterSaleOfShippedOrder();
    const afterSales = new AfterSaleActivities(dataSource);
    const base = { serviceSn, orderSn, serviceType: 'RETURN_GOODS' as const, actor: 'SELLER', message: 'm', deadline: null };
    const receive: AfterSaleStepRecord = { ...base, seq: 3, action: 'RECEIVE', from: 'FULL_COURIER', to: 'STOCK_IN', receipt: [{ orderItemId, goodNum: 1, damagedNum: 1 }] };
    expect(await afterSales.applyAfterSaleStep(receive)).toEqual({ replayed: false, status: 'STOCK_IN' });
    expect(await afterSales.applyAfterSaleStep(receive)).toEqual({ replayed: true, status: 'STOCK_IN' });
    expect(await goodsRow(dataSource, skuId)).toEqual({ quantity: 9, available_quantity: 9, sales_count: 2 });
    const complete: AfterSaleStepRecord = { ...base, actor: 'SYSTEM', seq: 4, action: 'COMPLETE', from: 'STOCK_IN', to: 'COMPLETED', refundedFen: 1000 };
    expect(await afterSales.applyAfterSaleStep(complete)).toEqual({ replayed: false, status: 'COMPLETED' });
    expect(await afterSales.applyAfterSaleStep(complete)).toEqual({ replayed: true, status: 'COMPLETED' });
    expect(await goodsRow(dataSource, skuId)).toEqual({ quantity: 9, available_quantity: 9, sales_count: 0 });
    expect(await logCount(orderSn)).toBe(2);
    const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM after_sale_log WHERE service_sn = ?', [serviceSn]);
    expect(Number(n)).toBe(2);
    // A step from a status the after-sale has left is refused, not applied.
    await expect(afterSales.applyAfterSaleStep({ ...receive, seq: 5 })).rejects.toMatchObject({ type: 'AfterSaleMoved' });
  });

  it('a per-line refund created twice for one cause lowers each line once; more than the line has left is refused with nothing written', async () => {
    const { orderSn, orderItemId } = await afterSaleOfShippedOrder();
    const refunds = new RefundActivities(dataSource, noProviders, 'http://127.0.0.1:1');
    const request = { causeKey: `after-sale:${orderSn}:1`, orderSn, reason: 'r', refundFen: 400, lines: [{ orderItemId, refundFen: 400 }] };
    const first = await refunds.createRefund(request);
    expect(await refunds.createRefund(request)).toEqual(first);
    const refundable = async () => (await dataSource.query('SELECT refundable_fen FROM order_item WHERE id = ?', [orderItemId]))[0].refundable_fen;
    expect(await refundable()).toBe(600);
    expect(await dataSource.query('SELECT order_item_id, refund_fen FROM refund_line WHERE refund_sn = ?', [first.refundSn])).toEqual([{ order_item_id: orderItemId, refund_fen: 400 }]);
    await expect(refunds.createRefund({ ...request, causeKey: `after-sale:${orderSn}:2`, refundFen: 601, lines: [{ orderItemId, refundFen: 601 }] })).rejects.toMatchObject({ type: 'RefundExceedsRemaining' });
    await expect(refunds.createRefund({ ...request, causeKey: `after-sale:${orderSn}:3`, refundFen: 300, lines: [{ orderItemId, refundFen: 200 }] })).rejects.toMatchObject({ type: 'RefundLinesMismatch' });
    expect(await refundable()).toBe(600);
    const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [orderSn]);
    expect(Number(n)).toBe(1);
  });

  it('refunds racing for one payment never commit more than it captured, and twins of one cause answer with the one row', async () => {
    const { orderSn } = await paidOrder();
    const refunds = new RefundActivities(dataSource, noProviders, 'http://127.0.0.1:1');
    // Ten goodwill-like refunds of 300 fen on a 1,000-fen payment, all at once: three fit.
    const answers = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => refunds.createRefund({ causeKey: `race:${orderSn}:${i}`, orderSn, reason: 'race', refundFen: 300 })));
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(3);
    for (const refused of answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected')) expect(refused.reason).toMatchObject({ type: 'RefundExceedsRemaining' });
    const [{ committed }] = await dataSource.query(`SELECT SUM(refund_fen) AS committed FROM refund WHERE order_sn = ?`, [orderSn]);
    expect(Number(committed)).toBe(900);
    // Five attempts of one cause at once (an activity retried while its first attempt still runs): one row, never a refusal.
    const twins = await Promise.all(Array.from({ length: 5 }, () => refunds.createRefund({ causeKey: `twin:${orderSn}`, orderSn, reason: 'twin', refundFen: 100 }).catch((err) => err)));
    expect(new Set(twins.map((t) => t.refundSn)).size).toBe(1);
    expect(await dataSource.query(`SELECT COUNT(*) AS n FROM refund WHERE cause_key = ?`, [`twin:${orderSn}`])).toEqual([{ n: 1 }]);
  });
});
