import type { Activities } from '../../activities';
import { RefundStatus } from '../../domain';
import { GOODWILL_REFUND_WORKFLOW, GoodwillRefundInput, goodwillRefundAnswerUpdate } from '../../workflows/goodwill-refund.contract';
import { RefundRecord, RefundState, refundWorkflowId, resolveRefundUpdate } from '../../workflows/refund.contract';
import { executeUpdateWithStartWorkflow } from '../../apps/shared/start-workflows';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, queryUntil, startLocalWorkflows } from './local-env';

/**
 * Support's goodwill refund alone, its database steps and the provider replaced: refused before any
 * money moves, paid out through its child refund workflow, and re-issued under a new number after a
 * CLOSED refund.
 */
describe('goodwill refund workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  /** As the API starts it: update-with-start, the answer as the Update's result. */
  async function startAndAsk(taskQueue: string, args: GoodwillRefundInput) {
    const workflowId = `goodwill-refund-${args.requestId}`;
    const answer = await executeUpdateWithStartWorkflow(local.env.client, GOODWILL_REFUND_WORKFLOW, goodwillRefundAnswerUpdate, { start: { taskQueue, workflowId, args: [args], workflowIdConflictPolicy: 'FAIL' } });
    return { answer, handle: local.env.client.workflow.getHandle(workflowId) };
  }

  let requestId = 0;
  const input = (): GoodwillRefundInput => ({ requestId: ++requestId + Date.now(), orderSn: 'O1', refundFen: 800, reason: 'late delivery', supportId: 'support:1', pollScheduleMs: [60_000] });

  /** The goodwill table in memory: each recording gets the next refund number, or the refusal given. */
  function fakeGoodwill(refusal?: { reason: string; code: string }) {
    const calls = { recorded: [] as number[], finished: [] as string[] };
    const activities: Partial<Activities> = {
      async recordGoodwillRefund({ requestId: id, refundFen, attempt }) {
        calls.recorded.push(attempt);
        if (refusal) return { kind: 'refused', ...refusal };
        const refund: RefundRecord = { refundSn: `RG${id}-${attempt}`, orderSn: 'O1', provider: 'alipay', outTradeNo: 'P1A', refundFen, totalFen: 5000, reason: 'goodwill', status: RefundStatus.APPLY };
        return { kind: 'recorded', refund };
      },
      async finishGoodwillRefund({ refundSn }) {
        calls.finished.push(refundSn);
      },
    };
    return { calls, activities };
  }

  it('refused when the order has nothing left to refund: answers REFUSED with the code, no refund workflow', async () => {
    const goodwill = fakeGoodwill({ reason: 'exceeds the 300 fen the order has left', code: 'RefundExceedsRemaining' });
    const refunds = fakeRefunds({});
    await local.withWorker({ ...refunds.activities, ...goodwill.activities }, async (taskQueue) => {
      const args = input();
      const { answer, handle } = await startAndAsk(taskQueue, args);
      expect(answer).toEqual({ outcome: 'REFUSED', reason: 'exceeds the 300 fen the order has left', code: 'RefundExceedsRemaining' });
      expect(await handle.result()).toEqual({ status: 'REFUSED', reason: 'exceeds the 300 fen the order has left' });
    });
    expect(refunds.calls.submits).toHaveLength(0);
    expect(goodwill.calls.finished).toHaveLength(0);
  });

  it('answers once the refund is recorded, pays it through the refund workflow and marks the goodwill refund paid', async () => {
    const goodwill = fakeGoodwill();
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...refunds.activities, ...goodwill.activities }, async (taskQueue) => {
      const args = input();
      const { answer, handle } = await startAndAsk(taskQueue, args);
      expect(answer).toEqual({ outcome: 'ACCEPTED', refundSn: `RG${args.requestId}-1`, refundFen: 800, provider: 'alipay' });
      expect(await handle.result()).toEqual({ status: 'REFUNDED', refunds: [{ status: 'SUCCESS', refundSn: `RG${args.requestId}-1` }] });
      expect(goodwill.calls.finished).toEqual([`RG${args.requestId}-1`]);
    });
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it('a refund CLOSED at the provider that support re-issues is recorded again under a new number and paid', async () => {
    const goodwill = fakeGoodwill();
    const refunds = fakeRefunds({ submit: (call) => (call === 1 ? RefundStatus.CLOSED : RefundStatus.SUCCESS) });
    await local.withWorker({ ...refunds.activities, ...goodwill.activities }, async (taskQueue) => {
      const args = input();
      const { handle } = await startAndAsk(taskQueue, args);
      const first = local.env.client.workflow.getHandle(refundWorkflowId(`RG${args.requestId}-1`));
      await queryUntil<RefundState>(first, 'refundState', (state) => state.waitingForSupport !== undefined);
      await first.executeUpdate(resolveRefundUpdate, { args: [{ action: 'REISSUE_WITH_NEW_NUMBER', supportId: 'support:1' }] });
      expect(await handle.result()).toEqual({
        status: 'REFUNDED',
        refunds: [
          { status: 'REISSUE', refundSn: `RG${args.requestId}-1` },
          { status: 'SUCCESS', refundSn: `RG${args.requestId}-2` },
        ],
      });
      expect(goodwill.calls).toEqual({ recorded: [1, 2], finished: [`RG${args.requestId}-2`] });
    });
  });
});
