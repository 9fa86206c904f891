/**
 * Support's work queue on the real system (own database, so the queue holds exactly what this test
 * made): one item of each waiting kind appears once with its age, money and resolving endpoint; past
 * its service level the `support-overdue` schedule's run escalates it once in its order's log and marks
 * its workflow NeedsAttention (found by a visibility query, as in the Temporal UI), and the metric
 * counts it per kind and age bucket.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { LatePaymentActivities } from '../../activities/late-payments';
import { registerSupportQueueMetrics } from '../../apps/worker/support-queue-metrics';
import { supportOverdueScheduleIdOf, supportOverdueScheduleOptions } from '../../apps/worker/support-overdue-schedule';
import { runStep } from '../../db/business-events';
import { openReconciliationCases } from '../../db/reconciliation-cases';
import { DifferenceKind, WORK_KINDS, WorkKind } from '../../domain';
import type { SupportOverdueResult } from '../../workflows/support-overdue.contract';
import { launchChromium } from '../support/chromium';
import { walkPages } from '../support/pages';
import { afterSaleApi, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { listWorkflowIds, waitForComplaint } from '../support/complaints';
import { recordHistory } from '../support/fixtures';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const SERVICE_LEVEL = '3s';
const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

describe('support work queue', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem(
      Object.fromEntries([...WORK_KINDS.map((kind) => [`SUPPORT_SLA_${kind}`, SERVICE_LEVEL]), ['SUPPORT_OVERDUE_CHECK_INTERVAL', '1h']]),
      { ownDatabase: true },
    );
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('lists each waiting kind once with its age; past its service level it is escalated once, marked NeedsAttention and counted', async () => {
    const support = system.token('support', 5);

    // 1. A refund the provider parks ABNORMAL (a paid order cancelled by its seller).
    const cancelled = await placePaidOrder(system, 'wechatpay');
    expect((await system.http('POST', `/orders/${cancelled.orderSn}/cancellations`, { token: system.token('seller', cancelled.sellerId), headers: { 'idempotency-key': `wq-${cancelled.orderSn}` }, body: { reason: 'out of stock' } })).status).toBe(202);
    const refundSn: string = await eventually(async () => (await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn = ?', [cancelled.orderSn]))[0]?.refund_sn, 30_000, 'refund row');
    await system.sim.scriptRefund(refundSn, { processingMs: 0, then: 'ABNORMAL' }, 'wechatpay');
    await eventually(async () => ((await system.dataSource.query('SELECT status FROM refund WHERE refund_sn = ?', [refundSn]))[0]?.status === 'ABNORMAL' ? true : undefined), 30_000, 'refund ABNORMAL');

    // 2. An after-sale in WAIT_FOR_MANUAL: of two units returned, one came back damaged and one never arrived.
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a, b] = order.lines;
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: b.orderItemId, num: 2 }], reason: 'Chipped' }, `wq-${order.orderSn}`);
    const serviceSn: string = applied.body.serviceSn;
    expect((await api.audit(serviceSn, { decision: 'PASS' })).status).toBe(200);
    expect((await api.shipBack(serviceSn)).status).toBe(200);
    expect((await api.receipt(serviceSn, [{ orderItemId: b.orderItemId, goodNum: 0, damagedNum: 1 }])).status).toBe(200);
    await waitForAfterSale(system, serviceSn, 'WAIT_FOR_MANUAL');

    // 3. A complaint at arbitration.
    const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: api.buyer, body: { skuId: a.skuId, topic: 'Short weight', content: 'Lighter than stated.' } });
    const complaintId: number = filed.body.id;
    await system.http('POST', `/support/complaints/${complaintId}/review`, { token: support, body: { content: 'accepted' } });
    await system.http('POST', `/complaints/${complaintId}/appeal`, { token: api.seller, body: { content: 'It was weighed.' } });
    await system.http('POST', `/complaints/${complaintId}/arbitration-request`, { token: api.buyer, body: { content: 'Please decide.' } });
    await waitForComplaint(system, complaintId, 'WAIT_ARBITRATION');

    // 4. A reconciliation case about the order, opened as the daily comparison opens them.
    await runStep(system.dataSource, (manager) =>
      openReconciliationCases(manager, { runId: 1, provider: 'alipay', billDate: '2026-12-06', actor: 'SYSTEM' }, [
        { kind: DifferenceKind.AMOUNT_MISMATCH, refKey: `wq-${order.orderSn}`, outTradeNo: order.outTradeNo, orderSn: order.orderSn, providerFen: order.orderFen + 100, ourFen: order.orderFen, detail: 'bill says 1.00 CNY more' },
      ]),
    );
    const [{ id: caseId }] = await system.dataSource.query('SELECT id FROM reconciliation_difference WHERE ref_key = ?', [`wq-${order.orderSn}`]);

    // 5. A late payment the provider did not confirm, logged for support by the late-payment workflow's step.
    await new LatePaymentActivities(system.dataSource, {} as never).recordUnconfirmedLatePayment({
      orderSn: order.orderSn,
      payment: { provider: 'alipay', outTradeNo: order.outTradeNo, transactionId: `T-WQ-${order.orderSn}`, amountFen: order.orderFen, paidAt: new Date().toISOString() } as never,
      reason: 'the provider does not know this transaction',
    });

    const expected: Record<WorkKind, { id: string; orderSn: string; path: string; workflowId: string }> = {
      PARKED_REFUND: { id: refundSn, orderSn: cancelled.orderSn, path: `/support/refunds/${refundSn}/resolution`, workflowId: `refund-${refundSn}` },
      MANUAL_AFTER_SALE: { id: serviceSn, orderSn: order.orderSn, path: `/support/after-sales/${serviceSn}/decision`, workflowId: `after-sale-${serviceSn}` },
      COMPLAINT_ARBITRATION: { id: String(complaintId), orderSn: order.orderSn, path: `/support/complaints/${complaintId}/arbitration`, workflowId: `complaint-${complaintId}` },
      RECONCILIATION_CASE: { id: String(caseId), orderSn: order.orderSn, path: `/reconciliation/differences/${caseId}/resolution`, workflowId: `order-${order.orderSn}` },
      LATE_PAYMENT: { id: order.outTradeNo, orderSn: order.orderSn, path: `/support/orders/${order.orderSn}/goodwill-refunds`, workflowId: `order-${order.orderSn}` },
    };

    const queue = await system.http('GET', '/support/work-queue', { token: support });
    expect(queue.status).toBe(200);
    expect((await system.http('GET', '/support/work-queue', { token: api.seller })).status).toBe(403);
    expect(queue.body.items.map((i: { kind: string }) => i.kind).sort()).toEqual([...WORK_KINDS].sort());
    for (const item of queue.body.items) {
      const want = expected[item.kind as WorkKind];
      expect(item).toMatchObject({ id: want.id, orderSn: want.orderSn, resolution: { method: 'POST', path: want.path }, workflowId: want.workflowId, serviceLevelMs: 3000, escalated: false });
      expect(item.ageMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(item.since)).toBeLessThanOrEqual(Date.now() + 1000);
      expect(Number.isInteger(item.amountFen) && item.amountFen > 0).toBe(true);
    }
    expect(queue.body.items.find((i: { kind: string }) => i.kind === 'PARKED_REFUND').amountFen).toBe(cancelled.orderFen);
    expect(queue.body.items.find((i: { kind: string }) => i.kind === 'RECONCILIATION_CASE').amountFen).toBe(100);
    expect(queue.body.items.find((i: { kind: string }) => i.kind === 'LATE_PAYMENT').amountFen).toBe(order.orderFen);
    // Page by page (one item a page), the same items in the same order, each once.
    expect((await walkPages(system, '/v1/support/work-queue', support, 1)).map((i) => `${i.kind}:${i.id}`)).toEqual(queue.body.items.map((i: { kind: string; id: string }) => `${i.kind}:${i.id}`));

    // Past the service level: the schedule's run escalates and marks each item once.
    await eventually(async () => {
      const { items } = (await system.http('GET', '/support/work-queue', { token: support })).body;
      return items.every((i: { overdue: boolean }) => i.overdue) ? true : undefined;
    }, 15_000, 'every item past its service level');
    await system.temporal.schedule.create(supportOverdueScheduleOptions(system.config));
    const schedule = system.temporal.schedule.getHandle(supportOverdueScheduleIdOf(system.config));
    const runOnce = async (previous: number): Promise<SupportOverdueResult> => {
      await schedule.trigger();
      const workflowId = await eventually(async () => {
        const actions = (await schedule.describe()).info.recentActions;
        return actions.length > previous ? actions[actions.length - 1].action.workflow.workflowId : undefined;
      }, 20_000, 'the schedule started a run');
      const handle = system.temporal.workflow.getHandle(workflowId);
      const result: SupportOverdueResult = await handle.result();
      if (previous === 0) await recordHistory(handle, 'support-overdue-escalates');
      return result;
    };
    expect(await runOnce(0)).toEqual({ found: 5, escalated: 5, marked: 5 });
    expect(await runOnce(1)).toEqual({ found: 0, escalated: 0, marked: 0 });

    const escalations = await system.dataSource.query("SELECT order_sn, event_key FROM order_log WHERE event_key LIKE 'support-escalation:%' ORDER BY event_key");
    expect(escalations.map((r: { event_key: string }) => r.event_key).sort()).toEqual(WORK_KINDS.map((kind) => `support-escalation:${kind}:${expected[kind].id}`).sort());
    const after = (await system.http('GET', '/support/work-queue', { token: support })).body.items;
    expect(after.every((i: { escalated: boolean; overdue: boolean }) => i.escalated && i.overdue)).toBe(true);

    // The search attribute finds each item's workflow, as the Temporal UI's query box does.
    for (const kind of WORK_KINDS) {
      expect(await listWorkflowIds(system, `NeedsAttention = "${kind}"`, (ids) => ids.includes(expected[kind].workflowId))).toContain(expected[kind].workflowId);
    }
    await recordHistory(system.temporal.workflow.getHandle(`complaint-${complaintId}`), 'complaint-needs-attention');
    await recordHistory(system.temporal.workflow.getHandle(`refund-${refundSn}`), 'refund-needs-attention');
    await recordHistory(system.temporal.workflow.getHandle(`order-${order.orderSn}`), 'order-needs-attention');

    // The metric counts each kind once, past its service level, and escalated.
    const registry = new Registry();
    registerSupportQueueMetrics(registry, system.dataSource, system.config.supportQueue.serviceLevelsMs);
    const text = await registry.metrics();
    for (const kind of WORK_KINDS) {
      const count = (bucket: string) => Number(new RegExp(`^orders_support_work_items\\{kind="${kind}",age_bucket="${bucket}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      expect({ kind, within: count('within'), overdue: count('overdue') + count('overdue_2x') }).toEqual({ kind, within: 0, overdue: 1 });
      expect(new RegExp(`^orders_support_work_escalated\\{kind="${kind}"\\} 1$`, 'm').test(text)).toBe(true);
      expect(Number(new RegExp(`^orders_support_work_oldest_age_seconds\\{kind="${kind}"\\} ([\\d.]+)$`, 'm').exec(text)?.[1])).toBeGreaterThan(3);
    }
    await schedule.delete();

    // The order's timeline carries the case, the late payment and each escalation once, as steps of their own.
    const timeline = (await system.http('GET', `/support/orders/${order.orderSn}/timeline`, { token: support })).body;
    const kinds = timeline.entries.map((e: { kind: string }) => e.kind);
    expect(kinds.filter((k: string) => k === 'reconciliation_case.opened')).toHaveLength(1);
    expect(kinds.filter((k: string) => k === 'log.SUPPORT')).toHaveLength(4);
    expect(timeline.entries.filter((e: { key: string }) => e.key.startsWith('log:late-payment-unconfirmed:'))).toHaveLength(1);
    expect(timeline.waiting.map((i: { kind: string }) => i.kind).sort()).toEqual(['COMPLAINT_ARBITRATION', 'LATE_PAYMENT', 'MANUAL_AFTER_SALE', 'RECONCILIATION_CASE']);

    // The console's work queue, overdue rows highlighted (screenshot looked at in review).
    mkdirSync(SHOTS, { recursive: true });
    const { context, close } = await launchChromium({ width: 1500, height: 700 });
    try {
      const page = await context.newPage();
      await page.goto(`${system.apiUrl}/support/console#token=${support}`);
      await page.locator('body[data-state="ready"]').waitFor();
      expect(await page.locator('#queue-rows tr.overdue').count()).toBe(5);
      expect(await page.locator('#queue-count').textContent()).toBe('5');
      await page.screenshot({ path: join(SHOTS, 'support-console-work-queue.png'), fullPage: true });
    } finally {
      await close();
    }
  });
});
