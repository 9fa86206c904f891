import { goodsRow } from '../support/fixtures';
import { afterSaleApi, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/** The after-sale's refund survives a worker SIGKILLed in the middle of the provider call. */
describe('after-sale under failure', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('worker SIGKILL during the refund step → exactly one refund, exact stock and sales', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 2 }], reason: 'Broken' }, `kill-${order.orderSn}`);
    expect(applied.status).toBe(201);
    await api.audit(applied.body.serviceSn, { decision: 'PASS' });
    await api.shipBack(applied.body.serviceSn);

    await system.stopWorker();
    const worker = system.spawnWorkerProcess();
    // The provider applies the refund, then the connection hangs: the worker dies inside that call.
    await system.sim.scriptFaults({ provider: 'alipay', operation: 'submitRefund', outcomes: ['commit-then-timeout'] });
    expect((await api.receipt(applied.body.serviceSn, [{ orderItemId: a.orderItemId, goodNum: 2, damagedNum: 0 }])).status).toBe(200);
    await eventually(async () => ((await system.sim.requests({ provider: 'alipay', operation: 'submitRefund' })).length > 0 ? true : undefined), 60_000, 'refund submitted');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));

    await system.startWorker();
    await waitForAfterSale(system, applied.body.serviceSn, 'COMPLETED', 90_000);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 2000, refunds: 1 });
    const submits = await system.sim.requests({ provider: 'alipay', operation: 'submitRefund' });
    expect(new Set(submits.map((r) => JSON.stringify(r.business))).size).toBe(1);
    expect(await goodsRow(system.dataSource, a.skuId)).toEqual({ quantity: 9, available_quantity: 9, sales_count: 1 });
    const [{ n }] = await system.dataSource.query(`SELECT COUNT(*) AS n FROM stock_movement WHERE order_sn = ? AND cause <> ''`, [order.orderSn]);
    expect(Number(n)).toBe(2);
    const [line] = await system.dataSource.query('SELECT refundable_fen FROM order_item WHERE id = ?', [a.orderItemId]);
    expect(line.refundable_fen).toBe(1000);
  });
});
