import { goodsRow, recordHistory } from '../support/fixtures';
import { listWorkflowIds } from '../support/complaints';
import { afterSaleApi, afterSaleWorkflowDone, afterSaleStatus, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * After-sales end to end through HTTP, on the real Temporal dev server, MariaDB and the payment
 * simulator: per-line returns with exact partial refunds, stock and sales through the ledger,
 * concurrent applications, refusal and re-application, withdrawal, ownership.
 */
describe('after-sales', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('returns 1 of 3 units of line A and, in a second application, 2 of line B: two exact refunds, stock for good units only, sales back, every step logged', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay', { aFen: 1000, bFen: 2500, shippingFen: 800 });
    const [a, b] = order.lines;
    expect(order.orderFen).toBe(3000 + 7500 + 800);
    const api = afterSaleApi(system, order);

    const first = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'Cracked cup' }, `as-a-${order.orderSn}`);
    expect(first.status).toBe(201);
    const snA: string = first.body.serviceSn;
    expect(first.body).toMatchObject({ status: 'APPLY', serviceType: 'RETURN_GOODS', requestedFen: 1000, lines: [{ orderItemId: a.orderItemId, num: 1, amountFen: 1000 }], workflowId: `after-sale-${snA}` });
    expect(first.body.temporalUiUrl).toContain(`after-sale-${snA}`);
    // Same key, same body: the same answer; same key, another body: 422.
    const replay = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'Cracked cup' }, `as-a-${order.orderSn}`);
    expect(replay).toMatchObject({ status: 201, body: { serviceSn: snA } });
    expect((await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 2 }], reason: 'Cracked cup' }, `as-a-${order.orderSn}`)).status).toBe(422);

    const second = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: b.orderItemId, num: 2 }], reason: 'Wrong colour' }, `as-b-${order.orderSn}`);
    expect(second.status).toBe(201);
    const snB: string = second.body.serviceSn;
    expect(second.body).toMatchObject({ requestedFen: 5000, lines: [{ orderItemId: b.orderItemId, num: 2, amountFen: 5000 }] });
    // Line B has 1 unit left once the open application is counted.
    const tooMany = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: b.orderItemId, num: 2 }], reason: 'missing' }, `as-b2-${order.orderSn}`);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ code: 'AFTER_SALE_LINES_INVALID', detail: expect.stringMatching(/has 1 of 3 units left/) });

    // Another seller or buyer: 404, and nothing reaches the workflow.
    const strangerSeller = system.token('seller', order.sellerId + 77_777);
    const strangerBuyer = system.token('buyer', order.buyerId + 1);
    expect((await api.get(snA, strangerSeller)).status).toBe(404);
    expect((await api.audit(snA, { decision: 'PASS' }, strangerSeller)).status).toBe(404);
    expect((await api.shipBack(snA, strangerBuyer)).status).toBe(404);
    expect((await api.withdraw(snA, strangerBuyer)).status).toBe(404);
    expect((await api.list(strangerBuyer)).status).toBe(404);
    // Out of order: the goods cannot be shipped back before the seller passed it (fast 409 with the reason).
    const early = await api.shipBack(snA);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'AfterSaleStepRefused', detail: expect.stringMatching(/APPLY/) });
    // The agreed refund is bounded by what the lines are worth.
    const over = await api.audit(snB, { decision: 'PASS', refundFen: 5001 });
    expect(over.status).toBe(409);
    expect(over.body.detail).toMatch(/exceeds the 5000 fen/);

    expect((await api.audit(snA, { decision: 'PASS' })).body).toMatchObject({ status: 'PASS', agreedFen: 1000 });
    expect((await api.audit(snB, { decision: 'PASS', refundFen: 4800 })).body).toMatchObject({ status: 'PASS', agreedFen: 4800 });
    expect((await api.shipBack(snA)).body).toMatchObject({ status: 'FULL_COURIER', returnShipment: { carrier: 'YTO' } });
    expect((await api.shipBack(snB)).body.status).toBe('FULL_COURIER');
    // A receipt naming more units than were sent back is refused.
    expect((await api.receipt(snB, [{ orderItemId: b.orderItemId, goodNum: 2, damagedNum: 1 }])).status).toBe(409);
    expect((await api.receipt(snA, [{ orderItemId: a.orderItemId, goodNum: 1, damagedNum: 0 }])).status).toBe(200);
    expect((await api.receipt(snB, [{ orderItemId: b.orderItemId, goodNum: 1, damagedNum: 1 }])).status).toBe(200);
    await waitForAfterSale(system, snA, 'COMPLETED');
    await waitForAfterSale(system, snB, 'COMPLETED');
    // Their last step tells the order workflow, which logs letting them go.
    await afterSaleWorkflowDone(system, snA);
    await afterSaleWorkflowDone(system, snB);

    // Two refunds at the provider with the exact amounts; Σ ≤ paid; the shipping fee stays (after-sales never refund it).
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 1000 + 4800, refunds: 2 });
    const refunds = await system.dataSource.query('SELECT cause_key, refund_fen, status FROM refund WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    expect(refunds).toEqual([
      { cause_key: `after-sale:${snA}:1`, refund_fen: 1000, status: 'SUCCESS' },
      { cause_key: `after-sale:${snB}:1`, refund_fen: 4800, status: 'SUCCESS' },
    ]);
    const [money] = await system.dataSource.query('SELECT paid_fen, refunded_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(money).toEqual({ paid_fen: order.orderFen, refunded_fen: 5800 });
    // Each line's refundable amount went down once per refund.
    const refundable = await system.dataSource.query('SELECT id, refundable_fen FROM order_item WHERE order_sn = ? ORDER BY sku_id', [order.orderSn]);
    expect(refundable).toEqual([{ id: a.orderItemId, refundable_fen: 2000 }, { id: b.orderItemId, refundable_fen: 2700 }]);

    // Stock: the good unit of each line is back on hand and available; the damaged one is not. Sales: −1 and −2.
    expect(await goodsRow(system.dataSource, a.skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 2 });
    expect(await goodsRow(system.dataSource, b.skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 1 });
    const ledger = await system.dataSource.query(`SELECT sku_id, kind, cause, quantity FROM stock_movement WHERE order_sn = ? AND cause <> '' ORDER BY sku_id, kind`, [order.orderSn]);
    expect(ledger).toEqual([
      { sku_id: a.skuId, kind: 'RETURN_RESTOCK', cause: `after-sale:${snA}`, quantity: 1 },
      { sku_id: a.skuId, kind: 'SALE_RETURN', cause: `after-sale:${snA}`, quantity: -1 },
      { sku_id: b.skuId, kind: 'RETURN_RESTOCK', cause: `after-sale:${snB}`, quantity: 1 },
      { sku_id: b.skuId, kind: 'SALE_RETURN', cause: `after-sale:${snB}`, quantity: -2 },
    ]);

    // The after-sale log and the order log show every step.
    const steps = ['APPLY:-:APPLY', 'OPEN:APPLY:APPLY', 'AUDIT_PASS:APPLY:PASS', 'SHIP_RETURN:PASS:FULL_COURIER', 'RECEIVE:FULL_COURIER:STOCK_IN', 'START_REFUND:STOCK_IN:REFUNDING', 'COMPLETE:REFUNDING:COMPLETED'];
    for (const sn of [snA, snB]) {
      const log = await system.dataSource.query('SELECT action, old_status, new_status FROM after_sale_log WHERE service_sn = ? ORDER BY seq', [sn]);
      expect(log.map((l: { action: string; old_status: string | null; new_status: string }) => `${l.action}:${l.old_status ?? '-'}:${l.new_status}`)).toEqual(steps);
      const orderLog = await system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND operation = 'AFTER_SALE' AND event_key LIKE ? ORDER BY id`, [order.orderSn, `after-sale:${sn}:%`]);
      // The after-sale's steps, and the order workflow's own rows for taking it on and letting it go.
      expect(orderLog.map((l: { event_key: string }) => l.event_key.split(':').slice(2).join(':'))).toEqual(['0:APPLY', 'open', ...steps.slice(1).map((s, i) => `${i + 1}:${s.split(':')[0]}`), 'close']);
    }

    // GET /orders/{sn} shows the after-sales and the refunds; GET /after-sales/{sn} the whole case.
    const view = await system.http('GET', `/orders/${order.orderSn}`, { token: api.buyer });
    expect(view.body.afterSales.map((x: { serviceSn: string; status: string; refundedFen: number }) => [x.serviceSn, x.status, x.refundedFen])).toEqual([[snA, 'COMPLETED', 1000], [snB, 'COMPLETED', 4800]]);
    expect(view.body.refunds.map((r: { refundFen: number; status: string }) => [r.refundFen, r.status])).toEqual([[1000, 'SUCCESS'], [4800, 'SUCCESS']]);
    const one = await api.get(snB, api.seller);
    expect(one.body).toMatchObject({ status: 'COMPLETED', refundedFen: 4800, lines: [{ goodNum: 1, damagedNum: 1 }], refunds: [{ refundFen: 4800, status: 'SUCCESS' }], workflow: { status: 'COMPLETED' } });
    expect((await api.list(api.seller)).body.items.map((x: { serviceSn: string }) => x.serviceSn)).toEqual([snA, snB]);

    // The Temporal UI finds the after-sales and their refunds by the order number, one by its service number.
    const ids = await listWorkflowIds(system, `OrderSn="${order.orderSn}" AND (WorkflowType="afterSaleWorkflow" OR WorkflowType="refundWorkflow")`, (found) => found.length === 4);
    expect(ids.filter((id) => id.startsWith('after-sale-'))).toEqual([`after-sale-${snA}`, `after-sale-${snB}`].sort());
    expect(await listWorkflowIds(system, `ServiceSn="${snA}" AND AfterSaleStatus="COMPLETED"`, (found) => found.length === 1)).toEqual([`after-sale-${snA}`]);
    // The gauge counts after-sales by type and status from the table (other files share this database: at least ours).
    const metrics = await (await fetch(`${system.apiUrl}/metrics`)).text();
    const completed = /^orders_after_sales\{service_type="RETURN_GOODS",status="COMPLETED"\} (\d+)$/m.exec(metrics);
    expect(Number(completed?.[1])).toBeGreaterThanOrEqual(2);
    await afterSaleWorkflowDone(system, snB);
    await recordHistory(system.temporal.workflow.getHandle(`after-sale-${snB}`), 'after-sale-return-partial-refund');

    // Line A has 2 units left, worth what remains: returning them refunds the rest of the line exactly, never the shipping fee.
    const rest = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 2 }], reason: 'never arrived' }, `as-a3-${order.orderSn}`);
    expect(rest.body).toMatchObject({ status: 'APPLY', requestedFen: 2000 });
    await api.audit(rest.body.serviceSn, { decision: 'PASS' });
    await waitForAfterSale(system, rest.body.serviceSn, 'COMPLETED');
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 7800, refunds: 3 });
    const [{ committed }] = await system.dataSource.query(`SELECT SUM(refund_fen) AS committed FROM refund WHERE order_sn = ? AND status <> 'CLOSED'`, [order.orderSn]);
    expect(Number(committed)).toBeLessThanOrEqual(order.orderFen - 800);
    expect(await goodsRow(system.dataSource, a.skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 0 });
    // Nothing of line A is left for another after-sale.
    expect((await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'again' }, `as-a4-${order.orderSn}`)).status).toBe(409);
  });

  it('20 concurrent applications for the same line never commit more than its quantity or what was paid for it', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay', { aFen: 1001, bFen: 500 });
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: `missing #${i}` }, `race-${i}-${order.orderSn}`)),
    );
    const accepted = answers.filter((x) => x.status === 201);
    expect(accepted).toHaveLength(3);
    expect(answers.filter((x) => x.status === 409)).toHaveLength(17);
    expect(answers.every((x) => x.status === 201 || x.status === 409)).toBe(true);
    // The units' shares add up to the line exactly (1001 × 3 = 3003 over 3 units: 1001 each).
    expect(accepted.map((x) => x.body.requestedFen).reduce((s: number, f: number) => s + f, 0)).toBe(a.paidFen);
    const [{ units }] = await system.dataSource.query('SELECT SUM(num) AS units FROM after_sale_item WHERE order_item_id = ?', [a.orderItemId]);
    expect(Number(units)).toBe(3);
    for (const x of accepted) expect((await api.audit(x.body.serviceSn, { decision: 'PASS' })).status).toBe(200);
    for (const x of accepted) await waitForAfterSale(system, x.body.serviceSn, 'COMPLETED', 60_000);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: a.paidFen, refunds: 3 });
    const [line] = await system.dataSource.query('SELECT refundable_fen FROM order_item WHERE id = ?', [a.orderItemId]);
    expect(line.refundable_fen).toBe(0);
  });

  it('a refused application frees its units: the buyer applies again; a withdrawn one too', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const body = { serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 3 }], reason: 'Not as described' };
    const first = await api.apply(body, `ref-1-${order.orderSn}`);
    expect((await api.apply(body, `ref-2-${order.orderSn}`)).status).toBe(409);
    // Refusing needs a reason (400 before anything is sent).
    expect((await api.audit(first.body.serviceSn, { decision: 'REFUSE' })).status).toBe(400);
    const refused = await api.audit(first.body.serviceSn, { decision: 'REFUSE', reason: 'The photo shows the item intact' });
    expect(refused.body).toMatchObject({ status: 'REFUSE', refuseReason: 'The photo shows the item intact' });
    expect((await api.audit(first.body.serviceSn, { decision: 'PASS' })).status).toBe(409);

    const again = await api.apply(body, `ref-3-${order.orderSn}`);
    expect(again.status).toBe(201);
    expect((await api.withdraw(again.body.serviceSn)).body).toMatchObject({ status: 'CLOSED', closedReason: 'changed my mind' });
    // A replay of an application whose first answer was never stored (the API died before it), asked
    // once the workflow has finished: it was opened, then withdrawn, so the answer is still the 201.
    await afterSaleWorkflowDone(system, again.body.serviceSn);
    await system.dataSource.query('UPDATE after_sale SET response_json = NULL WHERE service_sn = ?', [again.body.serviceSn]);
    expect(await api.apply(body, `ref-3-${order.orderSn}`)).toMatchObject({ status: 201, body: { serviceSn: again.body.serviceSn, status: 'CLOSED', opening: 'ACCEPTED' } });
    const third = await api.apply(body, `ref-4-${order.orderSn}`);
    expect(third.status).toBe(201);
    expect(await afterSaleStatus(system, third.body.serviceSn)).toBe('APPLY');
    // No money moved for any of them.
    expect((await system.sim.moneyMoved(order.outTradeNo)).refunds).toBe(0);
    await eventually(async () => ((await system.temporal.workflow.getHandle(`after-sale-${first.body.serviceSn}`).describe()).status.name === 'COMPLETED' ? true : undefined), 20_000, 'refused after-sale workflow finished');
    await afterSaleWorkflowDone(system, first.body.serviceSn);
    await recordHistory(system.temporal.workflow.getHandle(`after-sale-${first.body.serviceSn}`), 'after-sale-refused');
  });

  it('refuses an application on an order that has not shipped, and on lines it does not have', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const api = afterSaleApi(system, order);
    expect((await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: 999_999_999, num: 1 }], reason: 'x' }, `bad-line-${order.orderSn}`)).body).toMatchObject({ code: 'LINE_NOT_YOURS', detail: expect.stringMatching(/has no line/) });
    expect((await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: order.lines[0].orderItemId, num: 1 }], reason: 'x' }, 'k', system.token('buyer', order.buyerId + 3))).status).toBe(404);
    const unshipped = await system.http('POST', '/trades', { token: system.token('buyer', order.buyerId), body: { items: [{ skuId: order.lines[0].skuId, quantity: 1 }], paymentType: 'ONLINE' } });
    const sn = unshipped.body.orders[0].orderSn;
    const [item] = await system.dataSource.query('SELECT id FROM order_item WHERE order_sn = ?', [sn]);
    const refused = await system.http('POST', `/orders/${sn}/after-sales`, { token: system.token('buyer', order.buyerId), headers: { 'idempotency-key': `unshipped-${sn}` }, body: { serviceType: 'REFUND_ONLY', lines: [{ orderItemId: Number(item.id), num: 1 }], reason: 'x' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'AFTER_SALE_NOT_ALLOWED', detail: expect.stringMatching(/cancel/) });
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM after_sale WHERE order_sn = ?', [sn]);
    expect(Number(n)).toBe(0);
  });
});
