import { walkPages } from '../support/pages';
import { applySchedules, reconciliationScheduleIdOf } from '../../apps/worker/schedules';
import { chinaDateOf, previousChinaDay } from '../../domain';
import type { ProviderName } from '../../payments';
import type { ReconciliationResult } from '../../workflows/reconciliation.contract';
import { seedBillDay } from '../support/bill-day';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Daily reconciliation on a real Temporal server, MariaDB and the simulator's bills: a clean day of
 * 500 payments and 60 refunds (a few from real order flows, the rest booked on both sides), each
 * injected difference reported exactly once, re-runs that change nothing, the cases API, the schedules.
 */
describe('daily reconciliation against the providers’ bills', () => {
  let system: TestSystem;
  let support: string;
  let scheduleIds: string[] = [];
  beforeAll(async () => {
    // Reconciliation compares the whole day of the database: this file gets a database of its own.
    system = await startTestSystem({}, { ownDatabase: true });
    scheduleIds = (await applySchedules(system.temporal, system.config)).map((s) => s.scheduleId);
    support = system.token('support', 1);
  });
  afterAll(async () => {
    if (system) {
      for (const id of scheduleIds) await system.temporal.schedule.getHandle(id).delete().catch(() => undefined);
      await system.stop();
    }
  });

  async function reconcile(provider: ProviderName, billDate: string): Promise<ReconciliationResult> {
    const started = await system.http('POST', '/reconciliation/runs', { token: support, body: { provider, billDate } });
    expect(started.status).toBe(202);
    return (await system.temporal.workflow.getHandle(started.body.workflowId, started.body.runId).result()) as ReconciliationResult;
  }

  const differencesOf = (provider: ProviderName, billDate: string) =>
    system.dataSource.query('SELECT id, kind, ref_key, status, detail FROM reconciliation_difference WHERE provider = ? AND bill_date = ? ORDER BY id', [provider, billDate]);
  const caseLogCount = async () => Number((await system.dataSource.query('SELECT COUNT(*) AS n FROM reconciliation_case_log'))[0].n);

  it('a day of 500 payments and 60 refunds, some from real order flows, reconciles with 0 differences; a re-run changes nothing', async () => {
    const today = chinaDateOf(Date.now());
    // Real flows: three orders paid through the simulator's signed notifications, one cancelled and refunded.
    const orders = await Promise.all([1, 2, 3].map(() => placePaidOrder(system, 'wechatpay')));
    const cancelled = await system.http('POST', `/orders/${orders[0].orderSn}/cancellations`, { token: system.token('seller', orders[0].sellerId), headers: { 'idempotency-key': 'reconcile-c1' }, body: { reason: 'out of stock' } });
    expect(cancelled.status).toBe(202);
    await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT status FROM refund WHERE order_sn = ? AND status = 'SUCCESS'`, [orders[0].orderSn]);
      return row ? true : undefined;
    }, 60_000, 'the real refund succeeded');
    // The rest of the day booked on both sides at once.
    const seeded = await seedBillDay(system.dataSource, system.sim, { provider: 'wechatpay', billDate: today, prefix: 'RW', payments: 497, refunds: 59, notAfter: new Date() });
    const realFen = orders.reduce((sum, o) => sum + o.orderFen, 0);

    const first = await reconcile('wechatpay', today);
    expect(first).toMatchObject({
      billPayments: 500,
      billRefunds: 60,
      matched: 560,
      matchedFen: seeded.paymentFen + seeded.refundFen + realFen + orders[0].orderFen,
      differenceCount: 0,
      differences: {},
      handedOver: 0,
    });
    const logBefore = await caseLogCount();
    const again = await reconcile('wechatpay', today);
    expect({ ...again, runId: first.runId }).toEqual(first);
    expect(await differencesOf('wechatpay', today)).toEqual([]);
    expect(await caseLogCount()).toBe(logBefore);

    const runs = await system.http('GET', `/reconciliation/runs?provider=wechatpay&from=${today}&to=${today}`, { token: support });
    expect(runs.status).toBe(200);
    expect(runs.body.items).toEqual([expect.objectContaining({ billDate: today, provider: 'wechatpay', status: 'DONE', runCount: 2, billPayments: 500, billRefunds: 60, matched: 560, differences: 0, openDifferences: 0 })]);
  });

  it.each(['wechatpay', 'alipay'] as const)('%s: each injected kind of difference is reported exactly once, and a re-run reports the same', async (provider) => {
    const billDate = provider === 'wechatpay' ? '2026-11-20' : '2026-11-21';
    const prefix = provider === 'wechatpay' ? 'IW' : 'IA';
    const day = await seedBillDay(system.dataSource, system.sim, { provider, billDate, prefix, payments: 20, refunds: 3 });
    // Paid here, never at the provider.
    const ourOnly = await seedBillDay(system.dataSource, system.sim, { provider, billDate, prefix: `${prefix}O`, payments: 1, refunds: 0, sides: { provider: false, ours: true } });
    const base = { provider, billDate };
    const stranger = await system.sim.injectBillDifference({ ...base, kind: 'unknown-payment', amountFen: 4321 });
    const extraRefund = await system.sim.injectBillDifference({ ...base, kind: 'unknown-refund', outTradeNo: day.payments[10].outTradeNo, amountFen: 50 });
    await system.sim.injectBillDifference({ ...base, kind: 'missing-refund', outRefundNo: day.refunds[0].refundSn });
    await system.sim.injectBillDifference({ ...base, kind: 'amount-off', outTradeNo: day.payments[1].outTradeNo });
    await system.sim.injectBillDifference({ ...base, kind: 'duplicate-row', outTradeNo: day.payments[2].outTradeNo });

    const first = await reconcile(provider, billDate);
    expect(first.differences).toEqual({
      STRANDED_PAYMENT: 1,
      REFUND_NOT_RECORDED: 1,
      REFUND_MISSING_AT_PROVIDER: 1,
      AMOUNT_MISMATCH: 1,
      DUPLICATE: 1,
      PAYMENT_MISSING_AT_PROVIDER: 1,
    });
    // Bill: 20 + stranger + duplicate payment lines, 3 - missing + extra refund lines; matched: 19 payments (one is off), 2 refunds.
    expect(first).toMatchObject({ billPayments: 22, billRefunds: 3, matched: 21, differenceCount: 6, handedOver: 0 });
    const found = await differencesOf(provider, billDate);
    expect(found.map((d: { kind: string; ref_key: string; status: string }) => [d.kind, d.ref_key, d.status]).sort()).toEqual(
      [
        ['AMOUNT_MISMATCH', `P:${day.payments[1].outTradeNo}`, 'OPEN'],
        ['DUPLICATE', `P:${day.payments[2].outTradeNo}`, 'OPEN'],
        ['PAYMENT_MISSING_AT_PROVIDER', `P:${ourOnly.payments[0].outTradeNo}`, 'OPEN'],
        ['REFUND_MISSING_AT_PROVIDER', `R:${day.refunds[0].refundSn}`, 'OPEN'],
        ['REFUND_NOT_RECORDED', `R:${extraRefund.outRefundNo}`, 'OPEN'],
        ['STRANDED_PAYMENT', `P:${stranger.outTradeNo}`, 'OPEN'],
      ].sort(),
    );
    const mismatch = found.find((d: { kind: string }) => d.kind === 'AMOUNT_MISMATCH');
    expect(mismatch.detail).toContain(`the bill says`);

    // The same cases, in the API support uses.
    const open = await system.http('GET', `/reconciliation/differences?provider=${provider}&billDate=${billDate}`, { token: support });
    expect(open.status).toBe(200);
    expect(open.body.items.map((d: { id: number }) => d.id).sort()).toEqual(found.map((d: { id: number }) => d.id).sort());
    // Page by page (two a page): the same differences, oldest first, each once.
    expect((await walkPages(system, `/v1/reconciliation/differences?provider=${provider}&billDate=${billDate}`, support, 2)).map((d) => d.id)).toEqual(open.body.items.map((d: { id: number }) => d.id));
    const strangerCase = open.body.items.find((d: { kind: string }) => d.kind === 'STRANDED_PAYMENT');
    expect(strangerCase).toMatchObject({ outTradeNo: stranger.outTradeNo, providerFen: 4321, ourFen: null, orderSn: null, autoFix: expect.stringContaining('no order of ours') });

    const logBefore = await caseLogCount();
    const again = await reconcile(provider, billDate);
    expect({ ...again, runId: first.runId }).toEqual(first);
    expect(await differencesOf(provider, billDate)).toEqual(found);
    expect(await caseLogCount()).toBe(logBefore);

    // Support resolves one case with a note: audited; a second resolution is a conflict; a re-run does not reopen it.
    const resolved = await system.http('POST', `/reconciliation/differences/${mismatch.id}/resolution`, { token: support, body: { note: 'provider confirmed a 1 fen rounding error on their side' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'RESOLVED', resolvedBy: 'support:1', resolutionNote: 'provider confirmed a 1 fen rounding error on their side' });
    expect(resolved.body.caseLog.map((l: { action: string; actor: string }) => [l.action, l.actor])).toEqual([
      ['OPENED', 'system:reconciliation'],
      ['RESOLVED', 'support:1'],
    ]);
    expect((await system.http('POST', `/reconciliation/differences/${mismatch.id}/resolution`, { token: support, body: { note: 'again' } })).status).toBe(409);
    const third = await reconcile(provider, billDate);
    expect(third.differences).toEqual(first.differences);
    const [after] = await system.dataSource.query('SELECT status FROM reconciliation_difference WHERE id = ?', [mismatch.id]);
    expect(after.status).toBe('RESOLVED');
  });

  it('bad requests get a clear 4xx, never a 500', async () => {
    const cases: [string, string, unknown, number][] = [
      ['POST', '/reconciliation/runs', { provider: 'paypal', billDate: '2026-11-20' }, 400],
      ['POST', '/reconciliation/runs', { provider: 'alipay', billDate: '2026-02-30' }, 400],
      ['POST', '/reconciliation/runs', { provider: 'alipay', billDate: '2099-01-01' }, 400],
      ['GET', '/reconciliation/differences?status=WHATEVER', undefined, 400],
      ['GET', '/reconciliation/differences?kind=NOPE', undefined, 400],
      ['GET', '/reconciliation/runs?from=yesterday', undefined, 400],
      ['GET', '/reconciliation/differences/abc', undefined, 400],
      ['GET', '/reconciliation/differences/999999', undefined, 404],
      ['POST', '/reconciliation/differences/999999/resolution', { note: 'x' }, 404],
      ['POST', '/reconciliation/differences/1/resolution', { note: '   ' }, 400],
      ['POST', '/reconciliation/differences/1/resolution', {}, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await system.http(method, path, { token: support, body });
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
    }
    expect((await system.http('GET', '/reconciliation/runs', { token: system.token('buyer', 7) })).status).toBe(403);
  });

  it('a daily schedule per provider, at 10:00 China time, starts the run of yesterday', async () => {
    for (const provider of ['wechatpay', 'alipay'] as const) {
      const description = await system.temporal.schedule.getHandle(reconciliationScheduleIdOf(system.config, provider)).describe();
      expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', args: [{ provider }] });
      expect(description.spec.timezone).toBe('Asia/Shanghai');
      expect(description.policies.overlap).toBe('SKIP');
      const next = description.info.nextActionTimes[0];
      expect(next.getUTCHours()).toBe(2);
      expect(next.getUTCMinutes()).toBe(0);
    }
    await system.temporal.schedule.getHandle(reconciliationScheduleIdOf(system.config, 'alipay')).trigger();
    const yesterday = previousChinaDay(Date.now());
    const run = await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT status, workflow_id FROM reconciliation_run WHERE provider = 'alipay' AND bill_date = ? AND status = 'DONE'`, [yesterday]);
      return row;
    }, 60_000, 'the scheduled run of yesterday');
    expect(run.workflow_id).toMatch(new RegExp(`^${reconciliationScheduleIdOf(system.config, 'alipay')}-`));
  });
});
