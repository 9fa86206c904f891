import { OrderStatus, chinaDateOf } from '../../domain';
import type { ProviderName } from '../../payments';
import type { ReconciliationResult } from '../../workflows/reconciliation.contract';
import { recordHistory } from '../support/fixtures';
import { placeOrder, startPayment, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The stranded payment — paid at the provider, but the notification never arrived — found in the
 * day's bill and fixed automatically through the order's own payment path, on real order flows:
 * an unpaid order becomes paid; a second payment by another route, and a payment for an order whose
 * workflow has been terminated, go back to the buyer through the late-payment workflow. The
 * simulator's ledger proves no money moved twice, also after a re-run.
 */
describe('stranded payments found by reconciliation', () => {
  let system: TestSystem;
  let support: string;
  beforeAll(async () => {
    system = await startTestSystem({}, { ownDatabase: true });
    support = system.token('support', 1);
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function reconcile(provider: ProviderName, billDate: string, record?: string): Promise<ReconciliationResult> {
    const started = await system.http('POST', '/reconciliation/runs', { token: support, body: { provider, billDate } });
    expect(started.status).toBe(202);
    const handle = system.temporal.workflow.getHandle(started.body.workflowId, started.body.runId);
    const result = (await handle.result()) as ReconciliationResult;
    if (record) await recordHistory(handle, record);
    return result;
  }

  /** The buyer pays at the provider and the provider's notification is lost on the way. */
  async function payWithLostNotification(outTradeNo: string, provider: ProviderName): Promise<void> {
    await system.sim.controlNotifications({ mode: 'drop', provider, kind: 'payment', count: 1 });
    await system.sim.payTrade(outTradeNo, provider);
    await system.sim.waitForNotifications((log) => log.some((n) => n.outTradeNo === outTradeNo && n.dropped === true));
  }

  it.each(['wechatpay', 'alipay'] as const)('%s: each stranded payment is handed over once — paid, or refunded by the existing rules', async (provider) => {
    const other: ProviderName = provider === 'wechatpay' ? 'alipay' : 'wechatpay';
    const today = chinaDateOf(Date.now());

    // (a) An unpaid order whose payment notification was lost.
    const unpaid = await placeOrder(system);
    const unpaidTrade = await startPayment(system, unpaid, provider);
    await payWithLostNotification(unpaidTrade, provider);

    // (b) Paid with the other provider first; the second payment (this provider) was never notified.
    const twice = await placeOrder(system);
    const firstTrade = await startPayment(system, twice, other);
    const secondTrade = await startPayment(system, twice, provider);
    await system.sim.payTrade(firstTrade, other);
    await waitForStatus(system, twice.orderSn, OrderStatus.PAID_OFF);
    await payWithLostNotification(secondTrade, provider);

    // (c) An order whose workflow an operator terminated; its buyer paid anyway, the notification was lost.
    const orphan = await placeOrder(system);
    const orphanTrade = await startPayment(system, orphan, provider);
    await system.temporal.workflow.getHandle(`order-${orphan.orderSn}`).terminate('operator stopped it');
    await payWithLostNotification(orphanTrade, provider);

    const first = await reconcile(provider, today, provider === 'wechatpay' ? 'reconciliation-stranded-wechatpay' : undefined);
    expect(first.differences).toEqual({ STRANDED_PAYMENT: 3 });
    expect(first.handedOver).toBe(3);

    await waitForStatus(system, unpaid.orderSn, OrderStatus.PAID_OFF, 60_000);
    for (const trade of [secondTrade, orphanTrade]) {
      await eventually(async () => ((await system.sim.moneyMoved(trade, provider)).refunds === 1 ? true : undefined), 60_000, `${trade} refunded`);
    }
    const cases = await system.dataSource.query(`SELECT id, out_trade_no, status, auto_fix FROM reconciliation_difference WHERE provider = ? AND bill_date = ? ORDER BY out_trade_no`, [provider, today]);
    expect(cases.map((c: { out_trade_no: string; status: string }) => [c.out_trade_no, c.status])).toEqual([unpaidTrade, secondTrade, orphanTrade].sort().map((t) => [t, 'AUTO_FIXED']));
    expect(cases.find((c: { out_trade_no: string }) => c.out_trade_no === orphanTrade).auto_fix).toContain(`late-payment-${orphanTrade}`);
    expect(cases.find((c: { out_trade_no: string }) => c.out_trade_no === unpaidTrade).auto_fix).toContain(`order ${unpaid.orderSn}'s workflow`);
    for (const c of cases) {
      const log = await system.dataSource.query('SELECT action, actor FROM reconciliation_case_log WHERE difference_id = ? ORDER BY id', [c.id]);
      expect(log).toEqual([{ action: 'OPENED', actor: 'system:reconciliation' }, { action: 'AUTO_FIXED', actor: 'system:reconciliation' }]);
    }
    const [paidRow] = await system.dataSource.query('SELECT order_status, paid_fen, pay_order_no FROM orders WHERE order_sn = ?', [unpaid.orderSn]);
    expect(paidRow).toMatchObject({ order_status: 'PAID_OFF', paid_fen: unpaid.orderFen });

    // The ledger: each payment captured once; the unwanted ones refunded once; the wanted one not at all.
    const moneyOf = async () => ({
      unpaid: await system.sim.moneyMoved(unpaidTrade, provider),
      second: await system.sim.moneyMoved(secondTrade, provider),
      first: await system.sim.moneyMoved(firstTrade, other),
      orphan: await system.sim.moneyMoved(orphanTrade, provider),
    });
    const expected = {
      unpaid: { capturedFen: unpaid.orderFen, refundedFen: 0, refunds: 0 },
      second: { capturedFen: twice.orderFen, refundedFen: twice.orderFen, refunds: 1 },
      first: { capturedFen: twice.orderFen, refundedFen: 0, refunds: 0 },
      orphan: { capturedFen: orphan.orderFen, refundedFen: orphan.orderFen, refunds: 1 },
    };
    expect(await moneyOf()).toEqual(expected);

    // A re-run of the day: the same three cases, nothing handed over again, no money moves. The two
    // refunds the fixes caused are today's bill lines now, and they match our refund rows.
    const logLines = Number((await system.dataSource.query('SELECT COUNT(*) AS n FROM reconciliation_case_log')).at(0).n);
    const again = await reconcile(provider, today);
    expect(again.differences).toEqual({ STRANDED_PAYMENT: 3 });
    expect(again.handedOver).toBe(0);
    expect(again.billRefunds).toBe(first.billRefunds + 2);
    expect(again.matched).toBe(first.matched + 2);
    expect(Number((await system.dataSource.query('SELECT COUNT(*) AS n FROM reconciliation_case_log')).at(0).n)).toBe(logLines);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await moneyOf()).toEqual(expected);
    expect(await system.dataSource.query('SELECT out_trade_no, status FROM reconciliation_difference WHERE provider = ? AND bill_date = ? ORDER BY out_trade_no', [provider, today])).toEqual(
      cases.map((c: { out_trade_no: string; status: string }) => ({ out_trade_no: c.out_trade_no, status: c.status })),
    );
  });
});
