import type { WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../activities';
import { OrderStatus } from '../../domain';
import { ServiceLevels, WorkItem, escalationKey, isOverdue, workflowOfItem } from '../../domain/support-work';
import type { OrderState } from '../../workflows/order.contract';
import { SUPPORT_OVERDUE_WORKFLOW, SupportOverdueWorkflow, needsAttentionSignal } from '../../workflows/support-overdue.contract';
import { fakeOrderTable, startOrder } from './fake-orders';
import { LocalWorkflows, queryUntil, startLocalWorkflows } from './local-env';

/**
 * The overdue marker alone, support's work queue in memory: only items past their kind's service
 * level and not yet escalated are escalated, each once, with its kind's level; the mark goes to the
 * item's workflow when it runs (a real order workflow here, whose NeedsAttention attribute lists each
 * kind once) and is counted; a second run finds nothing new.
 */
describe('support-overdue workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  const HOUR = 3_600_000;
  const levels: ServiceLevels = { PARKED_REFUND: 8 * HOUR, MANUAL_AFTER_SALE: 24 * HOUR, COMPLAINT_ARBITRATION: 48 * HOUR, RECONCILIATION_CASE: 72 * HOUR, LATE_PAYMENT: 8 * HOUR };

  /** The work queue and its escalation rows in memory; marks are real signals to the item's workflow. */
  function fakeWorkQueue(items: WorkItem[]) {
    const escalations = new Set<string>();
    const calls = { escalated: [] as { id: string; serviceLevelMs: number; marked: string | null }[] };
    const activities: Partial<Activities> = {
      async listOverdueWorkItems(serviceLevels) {
        return items.filter((item) => !item.escalated && isOverdue(item, serviceLevels));
      },
      async escalateWorkItem({ item, serviceLevelMs }) {
        const first = !escalations.has(escalationKey(item));
        escalations.add(escalationKey(item));
        items.find((i) => i.kind === item.kind && i.id === item.id)!.escalated = true;
        const workflowId = workflowOfItem(item);
        const marked = workflowId ? await local.env.client.workflow.getHandle(workflowId).signal(needsAttentionSignal, { kind: item.kind, itemId: item.id }).then(() => workflowId, () => null) : null;
        calls.escalated.push({ id: item.id, serviceLevelMs, marked });
        return { escalated: first, markedWorkflowId: marked };
      },
    };
    return { calls, activities };
  }

  /** The workflow's NeedsAttention attribute once it lists `count` kinds (the marks are signals it applies in its own time). */
  async function needsAttention(handle: WorkflowHandle, count: number): Promise<readonly unknown[]> {
    for (const deadline = Date.now() + 10_000; ; ) {
      const kinds = (await handle.describe()).searchAttributes.NeedsAttention ?? [];
      if (kinds.length >= count || Date.now() > deadline) return kinds;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("escalates each overdue item once with its kind's level, marks the running workflows, and a second run finds nothing", async () => {
    const table = fakeOrderTable();
    const orderSn = `OS${Date.now()}`;
    const item = (kind: WorkItem['kind'], id: string, ageMs: number, extra: Partial<WorkItem> = {}): WorkItem => ({ kind, id, orderSn, sellerId: 42, buyerId: 7, since: new Date(Date.now() - ageMs).toISOString(), ageMs, amountFen: 2500, summary: `${kind} ${id}`, escalated: false, ...extra });
    const queue = fakeWorkQueue([
      item('LATE_PAYMENT', `${orderSn}P2W`, 9 * HOUR),
      item('RECONCILIATION_CASE', '31', 73 * HOUR),
      item('LATE_PAYMENT', `${orderSn}P3W`, 10 * HOUR),
      // A parked refund whose refund workflow has finished: escalated, nothing to mark.
      item('PARKED_REFUND', 'RF-gone', 9 * HOUR),
      // Within its level, and one escalated by an earlier run: left alone.
      item('COMPLAINT_ARBITRATION', '12', 47 * HOUR),
      item('MANUAL_AFTER_SALE', 'S1', 30 * HOUR, { escalated: true }),
    ]);
    await local.withWorker({ ...table.activities, ...queue.activities }, async (taskQueue) => {
      const { handle: order } = await startOrder(local.env.client, taskQueue, {}, { orderSn });
      await queryUntil<OrderState>(order, 'state', (state) => state.status === OrderStatus.CONFIRM);
      const run = () => local.env.client.workflow.execute<SupportOverdueWorkflow>(SUPPORT_OVERDUE_WORKFLOW.workflowType, { taskQueue, workflowId: `support-overdue-${Date.now()}`, args: [{ serviceLevelsMs: levels }] });

      expect(await run()).toEqual({ found: 4, escalated: 4, marked: 3 });
      // Each kind once, however many of its items the order holds.
      expect(await needsAttention(order, 2)).toEqual(['LATE_PAYMENT', 'RECONCILIATION_CASE']);
      expect(await order.fetchHistory().then((h) => h.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === needsAttentionSignal.name).length)).toBe(3);
      expect(await run()).toEqual({ found: 0, escalated: 0, marked: 0 });
      await order.terminate('test done');
    });
    expect(queue.calls.escalated).toEqual([
      { id: `${orderSn}P2W`, serviceLevelMs: 8 * HOUR, marked: `order-${orderSn}` },
      { id: '31', serviceLevelMs: 72 * HOUR, marked: `order-${orderSn}` },
      { id: `${orderSn}P3W`, serviceLevelMs: 8 * HOUR, marked: `order-${orderSn}` },
      { id: 'RF-gone', serviceLevelMs: 8 * HOUR, marked: null },
    ]);
  });
});
