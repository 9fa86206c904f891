import { walkPages } from '../support/pages';
import { OrderStatus } from '../../domain';
import { goodsRow, recordHistory } from '../support/fixtures';
import { PlacedOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/** The cancellation survives a killed worker and an unreachable database, and parks stuck refunds for support. */
describe('cancellation under failure', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const cancel = (order: PlacedOrder, key = `k-${order.orderSn}`) =>
    system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': key }, body: { reason: 'buyer asked by phone' } });

  const cancellationStatus = async (order: PlacedOrder) => {
    const [row] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND status <> 'REFUSED'`, [order.orderSn]);
    return row?.status as string | undefined;
  };

  const refundOf = async (order: PlacedOrder) => {
    const rows = await system.dataSource.query('SELECT refund_sn, status FROM refund WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    return rows as { refund_sn: string; status: string }[];
  };

  async function expectExactlyOnce(order: PlacedOrder & { outTradeNo: string }) {
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
    const [{ n }] = await system.dataSource.query(`SELECT COUNT(*) AS n FROM stock_movement WHERE order_sn = ? AND kind IN ('RESTORE', 'SALE_REVERSAL')`, [order.orderSn]);
    expect(Number(n)).toBe(2);
  }

  it('completes with one refund and one restock after the worker is SIGKILLed in the middle of the refund', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.stopWorker();
    const worker = system.spawnWorkerProcess();
    // The provider applies the refund, then the connection hangs: the worker dies inside that call.
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['commit-then-timeout'] });
    expect((await cancel(order)).status).toBe(202);
    await eventually(async () => ((await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund' })).length > 0 ? true : undefined), 60_000, 'refund submitted');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));

    await system.startWorker();
    await eventually(async () => ((await cancellationStatus(order)) === 'COMPLETED' ? true : undefined), 90_000, 'cancellation completed after restart');
    await expectExactlyOnce(order);
    const submits = await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund' });
    expect(new Set(submits.map((r) => JSON.stringify(r.business))).size).toBe(1);
  });

  it('retries while MySQL is unreachable for the worker and completes once it is back', async () => {
    const order = await placePaidOrder(system, 'alipay');
    await system.sim.scriptFaults({ provider: 'alipay', operation: 'submitRefund', outcomes: ['500'] });
    expect((await cancel(order)).status).toBe(202);
    // The first submit fails at the provider; cut the database before the retry and the restock that follow.
    await eventually(async () => ((await system.sim.requests({ provider: 'alipay', operation: 'submitRefund' })).length > 0 ? true : undefined), 30_000, 'refund submitted');
    system.workerDatabase.cut();
    await new Promise((r) => setTimeout(r, 5000));
    expect(await cancellationStatus(order)).not.toBe('COMPLETED');
    system.workerDatabase.restore();
    await eventually(async () => ((await cancellationStatus(order)) === 'COMPLETED' ? true : undefined), 90_000, 'cancellation completed after MySQL came back');
    await expectExactlyOnce(order);
  });

  it('parks an ABNORMAL refund where support can find it by search attribute and resolve it, audited', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    expect((await cancel(order)).status).toBe(202);
    const [refund] = await eventually(async () => {
      const rows = await refundOf(order);
      return rows.length ? rows : undefined;
    }, 30_000, 'refund row');
    await system.sim.scriptRefund(refund.refund_sn, { processingMs: 0, then: 'ABNORMAL' }, 'wechatpay');
    await eventually(async () => ((await cancellationStatus(order)) === 'NEEDS_SUPPORT' ? true : undefined), 30_000, 'cancellation waiting for support');

    // Support staff find it in Temporal by search attribute (what the Web UI's query box runs).
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of system.temporal.workflow.list({ query: `RefundStatus="ABNORMAL" AND OrderSn="${order.orderSn}"` })) ids.push(wf.workflowId);
      return ids.length ? ids : undefined;
    }, 30_000, 'ABNORMAL refund in visibility');
    expect(found).toEqual([`refund-${refund.refund_sn}`]);
    const listed = await system.http('GET', '/support/refunds?status=ABNORMAL', { token: system.token('support', 7) });
    expect(listed.body.items.map((r: { refundSn: string }) => r.refundSn)).toContain(refund.refund_sn);
    // Page by page (one a page): the same refunds, newest first, each once.
    expect((await walkPages(system, '/v1/support/refunds?status=ABNORMAL', system.token('support', 7), 1)).map((r) => r.refundSn)).toEqual(listed.body.items.map((r: { refundSn: string }) => r.refundSn));

    // Sellers cannot resolve refunds; a re-issue is refused for ABNORMAL; a missing reference is a 400.
    expect((await system.http('POST', `/support/refunds/${refund.refund_sn}/resolution`, { token: system.token('seller', order.sellerId), body: { action: 'RETRY' } })).status).toBe(403);
    const reissue = await system.http('POST', `/support/refunds/${refund.refund_sn}/resolution`, { token: system.token('support', 7), body: { action: 'REISSUE_WITH_NEW_NUMBER' } });
    expect(reissue.status).toBe(409);
    expect((await system.http('POST', `/support/refunds/${refund.refund_sn}/resolution`, { token: system.token('support', 7), body: { action: 'MARK_REFUNDED_OFFLINE' } })).status).toBe(400);

    const resolved = await system.http('POST', `/support/refunds/${refund.refund_sn}/resolution`, {
      token: system.token('support', 7),
      body: { action: 'MARK_REFUNDED_OFFLINE', reference: 'BANK-TRANSFER-0042', note: 'card closed; paid by bank transfer' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('REFUNDED_OFFLINE');
    await eventually(async () => ((await cancellationStatus(order)) === 'COMPLETED' ? true : undefined), 30_000, 'cancellation completed');

    const [row] = await system.dataSource.query('SELECT status, offline_reference, resolved_by FROM refund WHERE refund_sn = ?', [refund.refund_sn]);
    expect(row).toEqual({ status: 'REFUNDED_OFFLINE', offline_reference: 'BANK-TRANSFER-0042', resolved_by: 'support:7' });
    const audit = await system.dataSource.query(`SELECT actor_role, actor_id, message FROM order_log WHERE order_sn = ? AND event_key = ?`, [order.orderSn, `refund:${refund.refund_sn}:offline`]);
    expect(audit).toEqual([{ actor_role: 'SUPPORT', actor_id: 'support:7', message: expect.stringContaining('BANK-TRANSFER-0042') }]);
    const [orderRow] = await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(orderRow).toEqual({ order_status: OrderStatus.CANCELLED, pay_status: 'REFUNDED' });
    // The provider never paid this refund out: no money moved there, and stock is back once.
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 0, refunds: 0 });
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    await recordHistory(system.temporal.workflow.getHandle(`refund-${refund.refund_sn}`), 'refund-abnormal-offline');
  });

  it('re-issues a CLOSED refund under a new refund number when support asks, and refunds once', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    expect((await cancel(order)).status).toBe(202);
    const [first] = await eventually(async () => {
      const rows = await refundOf(order);
      return rows.length ? rows : undefined;
    }, 30_000, 'refund row');
    await system.sim.scriptRefund(first.refund_sn, { processingMs: 0, then: 'CLOSED' }, 'wechatpay');
    await eventually(async () => ((await cancellationStatus(order)) === 'NEEDS_SUPPORT' ? true : undefined), 30_000, 'cancellation waiting for support');
    const reissued = await system.http('POST', `/support/refunds/${first.refund_sn}/resolution`, { token: system.token('support', 8), body: { action: 'REISSUE_WITH_NEW_NUMBER', note: 'merchant topped up' } });
    expect(reissued.status).toBe(200);
    await eventually(async () => ((await cancellationStatus(order)) === 'COMPLETED' ? true : undefined), 45_000, 'cancellation completed');
    const refunds = await refundOf(order);
    expect(refunds.map((r) => r.status)).toEqual(['CLOSED', 'SUCCESS']);
    expect(refunds[1].refund_sn).not.toBe(first.refund_sn);
    await expectExactlyOnce(order);
  });
});
