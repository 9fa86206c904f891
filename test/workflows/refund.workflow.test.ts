import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CancellationStatus, RefundStatus } from '../../domain';
import {
  REFUND_TOO_FREQUENT,
  REFUND_WORKFLOW,
  RefundRecord,
  RefundState,
  RefundWorkflowInput,
  refundNotifiedSignal,
  resolveRefundUpdate,
} from '../../workflows/refund.contract';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, activitiesRun, queryUntil, startLocalWorkflows, timersStarted } from './local-env';

/**
 * The refund workflow alone, its provider and database steps replaced: submit once under one number,
 * notification or polling, the payment's submit slot, "too frequent", and support's resolutions.
 */
describe('refund workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  function input(extra: Partial<RefundWorkflowInput> = {}): RefundWorkflowInput {
    const refundSn = `R${randomUUID().slice(0, 8)}`;
    const refund: RefundRecord = { refundSn, orderSn: 'O1', provider: 'wechatpay', outTradeNo: 'P1W', refundFen: 1200, totalFen: 5000, reason: 'test', status: RefundStatus.APPLY };
    return { refundSn, orderSn: 'O1', refund, pollScheduleMs: [60_000], ...extra };
  }

  const start = (taskQueue: string, args: RefundWorkflowInput) =>
    local.env.client.workflow.start(REFUND_WORKFLOW.workflowType, { taskQueue, workflowId: `refund-${args.refundSn}`, args: [args] });

  it('submits once, takes the provider notification and ends SUCCESS without polling', async () => {
    const { calls, activities } = fakeRefunds({});
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      await queryUntil<RefundState>(handle, 'refundState', (state) => state.status === RefundStatus.PROCESSING);
      await handle.signal(refundNotifiedSignal, { status: 'SUCCESS', notificationId: 'n1' });
      expect(await handle.result()).toMatchObject({ status: 'SUCCESS' });
      expect(await activitiesRun(handle)).toEqual(['claimRefundSlot', 'submitRefund', 'recordRefundOutcome']);
    });
    expect(calls).toMatchObject({ submits: [[expect.any(String), { reportTooFrequent: true, queryFirst: false }]], queries: 0, outcomes: ['SUCCESS'] });
  });

  it('polls on its schedule while PROCESSING until the provider answers SUCCESS', async () => {
    const { calls, activities } = fakeRefunds({ query: (call) => (call < 3 ? RefundStatus.PROCESSING : RefundStatus.SUCCESS) });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ pollScheduleMs: [50, 100] }));
      expect(await handle.result()).toMatchObject({ status: 'SUCCESS' });
      expect((await handle.query<RefundState>('refundState')).polls).toBe(3);
    });
    expect(calls).toMatchObject({ queries: 3, outcomes: ['SUCCESS'] });
  });

  it("waits for the payment's submit slot on a timer before it submits", async () => {
    const { calls, activities } = fakeRefunds({ slots: [{ kind: 'slot', slotAtIso: new Date(Date.now() + 400).toISOString(), waitMs: 400, paymentRefundNo: 2, spacingMs: 60_000 }] });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      const waiting = await queryUntil<RefundState>(handle, 'refundState', (state) => state.waitingForSlotUntil !== undefined || state.status === RefundStatus.PROCESSING);
      expect(waiting.waitingForSlotUntil).toBeDefined();
      await queryUntil<RefundState>(handle, 'refundState', (state) => state.status === RefundStatus.PROCESSING);
      // The slot's wait, then the first poll's (the notification's deadline).
      expect(await timersStarted(handle)).toEqual([400, 60_000]);
      await handle.signal(refundNotifiedSignal, { status: 'SUCCESS', notificationId: 'n1' });
      await handle.result();
    });
    expect(calls.submits).toHaveLength(1);
  });

  it('"too frequent": claims a later slot a full spacing away and resubmits the same number, asking the provider first', async () => {
    const { calls, activities } = fakeRefunds({
      submit: (call) => {
        if (call === 1) throw ApplicationFailure.nonRetryable('refunds of this payment come too fast', REFUND_TOO_FREQUENT);
        return RefundStatus.SUCCESS;
      },
    });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      expect(await handle.result()).toMatchObject({ status: 'SUCCESS' });
      expect((await handle.query<RefundState>('refundState')).slotClaims).toBe(2);
    });
    expect(calls.claims.map((c) => [c.claim, c.afterTooFrequent])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(calls.submits.map((args) => args[1])).toEqual([
      // gate: new runs let the provider gate hold the call (patched 'provider-gate'; the activity ignores it with PROVIDER_GATE=off).
      { reportTooFrequent: true, queryFirst: false, gate: true },
      { reportTooFrequent: true, queryFirst: true, gate: true },
    ]);
    expect(new Set(calls.submits.map((args) => args[0])).size).toBe(1);
  });

  it('ABNORMAL parks it for support (and its cancellation); a retry under the same number is refused; marked refunded offline it ends', async () => {
    const { calls, activities } = fakeRefunds({ query: () => RefundStatus.ABNORMAL });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ pollScheduleMs: [20], cancellationId: 7 }));
      const parked = await queryUntil<RefundState>(handle, 'refundState', (state) => state.waitingForSupport !== undefined);
      expect(parked).toMatchObject({ status: RefundStatus.ABNORMAL, waitingForSupport: 'refund ended ABNORMAL at the provider' });
      await expect(handle.executeUpdate(resolveRefundUpdate, { args: [{ action: 'RETRY', supportId: 's1' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(handle.executeUpdate(resolveRefundUpdate, { args: [{ action: 'MARK_REFUNDED_OFFLINE', reference: ' ', supportId: 's1' }] })).rejects.toMatchObject({ cause: { message: 'reference is required' } });
      expect(await handle.executeUpdate(resolveRefundUpdate, { args: [{ action: 'MARK_REFUNDED_OFFLINE', reference: 'bank transfer 88', supportId: 's1' }] })).toBe(RefundStatus.REFUNDED_OFFLINE);
      expect(await handle.result()).toMatchObject({ status: 'REFUNDED_OFFLINE' });
    });
    expect(calls).toMatchObject({ submits: [expect.anything()], offline: 1, cancellation: [CancellationStatus.NEEDS_SUPPORT, CancellationStatus.REFUNDING] });
  });

  it('CLOSED at the provider may be re-issued under a new number: the workflow hands it back as REISSUE', async () => {
    const { calls, activities } = fakeRefunds({ submit: () => RefundStatus.CLOSED });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      await queryUntil<RefundState>(handle, 'refundState', (state) => state.waitingForSupport !== undefined);
      await handle.executeUpdate(resolveRefundUpdate, { args: [{ action: 'REISSUE_WITH_NEW_NUMBER', supportId: 's1', note: 'card closed' }] });
      expect(await handle.result()).toMatchObject({ status: 'REISSUE' });
    });
    expect(calls).toMatchObject({ reissues: 1, queries: 0 });
  });

  it("the provider's count limit refuses the slot: nothing is sent, and support may pay it offline", async () => {
    const { calls, activities } = fakeRefunds({ slots: [{ kind: 'refused', reason: 'this payment already has 50 refunds' }] });
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      const parked = await queryUntil<RefundState>(handle, 'refundState', (state) => state.waitingForSupport !== undefined);
      expect(parked).toMatchObject({ status: RefundStatus.APPLY, waitingForSupport: 'this payment already has 50 refunds' });
      await handle.executeUpdate(resolveRefundUpdate, { args: [{ action: 'MARK_REFUNDED_OFFLINE', reference: 'cash', supportId: 's1' }] });
      expect(await handle.result()).toMatchObject({ status: 'REFUNDED_OFFLINE' });
    });
    expect(calls.submits).toHaveLength(0);
  });
});
