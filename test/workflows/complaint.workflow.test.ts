import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { CreateRefundRequest } from '../../activities/refunds';
import { ComplainStatus, RefundStatus } from '../../domain';
import {
  COMPLAINT_STEP_UPDATES,
  COMPLAINT_WORKFLOW,
  ComplaintState,
  ComplaintWorkflowInput,
} from '../../workflows/complaint.contract';
import { durableStepSignal, stepOutcomeQuery } from '../../workflows/durable-steps.contract';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, queryUntil, startLocalWorkflows } from './local-env';

/**
 * A complaint alone, its database steps and the provider replaced: the seller's silence and the
 * buyer's idleness on their deadlines, an arbitration's refund through a child refund workflow, and
 * refusals (the validator's, and the refundable balance's) that change nothing.
 */
describe('complaint workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  /** The complaint and refund tables in memory; `refuseRefund` makes the balance say no. */
  function fakeComplaints(refuseRefund?: string) {
    const calls = { steps: [] as { action: string; actor: string; to: string }[], refunds: [] as CreateRefundRequest[] };
    const activities: Partial<Activities> = {
      async applyComplaintStep(step) {
        calls.steps.push({ action: step.action, actor: step.actor, to: step.to });
        return { replayed: false, status: step.to };
      },
      async createRefund(request) {
        calls.refunds.push(request);
        if (refuseRefund) throw ApplicationFailure.nonRetryable(refuseRefund, 'RefundExceedsRemaining');
        return { refundSn: `RC-${request.causeKey}`, orderSn: request.orderSn, provider: 'wechatpay', outTradeNo: 'P1W', refundFen: request.refundFen!, totalFen: 5000, reason: request.reason, status: RefundStatus.APPLY };
      },
    };
    return { calls, activities };
  }

  let complaintId = 0;
  const start = (taskQueue: string, settings: ComplaintWorkflowInput['settings']) => {
    const input: ComplaintWorkflowInput = { complaintId: ++complaintId + Date.now(), orderSn: 'O1', skuId: 9, buyerId: '7', sellerId: '42', topic: 'broken', lineFen: 1000, settings, refundPollScheduleMs: [60_000] };
    return local.env.client.workflow.start(COMPLAINT_WORKFLOW.workflowType, { taskQueue, workflowId: `complaint-${input.complaintId}`, args: [input] });
  };
  const support = { actor: 'SUPPORT' as const, actorId: '1' };

  it("the seller's silence goes to arbitration on its deadline; support's refund runs as a child refund workflow", async () => {
    const complaints = fakeComplaints();
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...refunds.activities, ...complaints.activities }, async (taskQueue) => {
      const handle = await start(taskQueue, { sellerReplyMs: 600, buyerIdleMs: 60_000 });
      expect(await handle.executeUpdate(COMPLAINT_STEP_UPDATES.REVIEW, { args: [{ ...support, content: 'looks real' }] })).toBe(ComplainStatus.WAIT_APPEAL);
      await queryUntil<ComplaintState>(handle, 'complaintState', (state) => state.status === ComplainStatus.WAIT_ARBITRATION);
      expect(await handle.executeUpdate(COMPLAINT_STEP_UPDATES.ARBITRATE, { args: [{ ...support, content: 'refund half', refundFen: 500 }] })).toBe(ComplainStatus.COMPLETE);
      const done = (await handle.result()) as ComplaintState;
      expect(done.refund).toMatchObject({ refundFen: 500, status: 'SUCCESS' });
    });
    expect(complaints.calls.steps).toEqual([
      { action: 'REVIEW', actor: 'SUPPORT', to: ComplainStatus.WAIT_APPEAL },
      { action: 'REQUEST_ARBITRATION', actor: 'SYSTEM_TIMER', to: ComplainStatus.WAIT_ARBITRATION },
      { action: 'ARBITRATE', actor: 'SUPPORT', to: ComplainStatus.COMPLETE },
    ]);
    expect(complaints.calls.refunds).toMatchObject([{ causeKey: expect.stringMatching(/^complaint:\d+:1$/), refundFen: 500, lines: [{ skuId: 9, refundFen: 500 }] }]);
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it("a buyer who stops answering lets it close on the buyer's deadline", async () => {
    const complaints = fakeComplaints();
    await local.withWorker(complaints.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { sellerReplyMs: 60_000, buyerIdleMs: 600 });
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.REVIEW, { args: [{ ...support, content: 'looks real' }] });
      expect(await handle.executeUpdate(COMPLAINT_STEP_UPDATES.APPEAL, { args: [{ actor: 'SELLER', actorId: '42', content: 'it was fine when shipped' }] })).toBe(ComplainStatus.COMMUNICATION);
      expect(((await handle.result()) as ComplaintState).status).toBe(ComplainStatus.CANCEL);
    });
    expect(complaints.calls.steps.map((s) => `${s.action}/${s.actor}`)).toEqual(['REVIEW/SUPPORT', 'APPEAL/SELLER', 'WITHDRAW/SYSTEM_TIMER']);
  });

  it('refusals change nothing: more than the line, an empty message, a step out of turn, a refund the balance no longer has', async () => {
    const complaints = fakeComplaints('the line has 200 fen left to refund');
    await local.withWorker(complaints.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { sellerReplyMs: 60_000, buyerIdleMs: 60_000 });
      const refused = (update: (typeof COMPLAINT_STEP_UPDATES)[keyof typeof COMPLAINT_STEP_UPDATES], request: object) =>
        handle.executeUpdate(update, { args: [request as never] }).then(
          () => 'accepted',
          (err) => (err instanceof WorkflowUpdateFailedError ? String(err.cause?.message) : `unexpected ${err}`),
        );
      expect(await refused(COMPLAINT_STEP_UPDATES.ARBITRATE, { ...support, content: 'x', refundFen: 100 })).toMatch(/NEW/);
      expect(await refused(COMPLAINT_STEP_UPDATES.REVIEW, { ...support, content: '  ' })).toBe('content must not be empty');
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.REVIEW, { args: [{ ...support, content: 'ok' }] });
      expect(await refused(COMPLAINT_STEP_UPDATES.REQUEST_ARBITRATION, { actor: 'BUYER', actorId: '7', content: 'too early' })).toMatch(/WAIT_APPEAL/);
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.APPEAL, { args: [{ actor: 'SELLER', actorId: '42', content: 'it was fine' }] });
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.REQUEST_ARBITRATION, { args: [{ actor: 'BUYER', actorId: '7', content: 'no answer' }] });
      expect(await refused(COMPLAINT_STEP_UPDATES.ARBITRATE, { ...support, content: 'all of it', refundFen: 1001 })).toMatch(/exceeds the line's 10.00 CNY/);
      // The balance is decided when the refund is recorded: refused there, the complaint still waits for arbitration.
      expect(await refused(COMPLAINT_STEP_UPDATES.ARBITRATE, { ...support, content: 'half', refundFen: 500 })).toBe('the line has 200 fen left to refund');
      expect((await handle.query<ComplaintState>('complaintState')).status).toBe(ComplainStatus.WAIT_ARBITRATION);
      expect(await handle.executeUpdate(COMPLAINT_STEP_UPDATES.ARBITRATE, { args: [{ ...support, content: 'no refund then' }] })).toBe(ComplainStatus.COMPLETE);
      expect(((await handle.result()) as ComplaintState).refund).toBeUndefined();
    });
    expect(complaints.calls.steps.map((s) => s.action)).toEqual(['REVIEW', 'APPEAL', 'REQUEST_ARBITRATION', 'ARBITRATE']);
    expect(complaints.calls.refunds).toHaveLength(1);
  });

  it('a step sent durably as a Signal (no worker accepted its Update) runs once; its Update twin is answered from it', async () => {
    const complaints = fakeComplaints();
    await local.withWorker(complaints.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { sellerReplyMs: 60_000, buyerIdleMs: 60_000 });
      await handle.signal(durableStepSignal, { stepId: 'review-1', update: COMPLAINT_STEP_UPDATES.REVIEW.name, args: [{ ...support, content: 'looks real' }] });
      await handle.signal(durableStepSignal, { stepId: 'appeal-empty', update: COMPLAINT_STEP_UPDATES.APPEAL.name, args: [{ actor: 'SELLER', actorId: '42', content: ' ' }] });
      expect(await queryUntil(handle, 'stepOutcome', (outcome: { status: string } | undefined) => outcome?.status === 'DONE', 10_000, ['review-1'])).toEqual({ status: 'DONE', result: ComplainStatus.WAIT_APPEAL });
      // Checked on delivery, as an Update's validator is: the complaint is still NEW then.
      expect(await handle.query(stepOutcomeQuery, 'appeal-empty')).toMatchObject({ status: 'REFUSED', code: 'ComplaintStepRefused', message: expect.stringMatching(/NEW/) });
      // The same step's Update, delivered after all: the same answer, nothing applied twice.
      expect(await handle.executeUpdate(COMPLAINT_STEP_UPDATES.REVIEW, { args: [{ ...support, content: 'looks real' }], updateId: 'review-1' })).toBe(ComplainStatus.WAIT_APPEAL);
      // And a Signal twin of an Update that ran is not run again.
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.APPEAL, { args: [{ actor: 'SELLER', actorId: '42', content: 'fine when shipped' }], updateId: 'appeal-1' });
      await handle.signal(durableStepSignal, { stepId: 'appeal-1', update: COMPLAINT_STEP_UPDATES.APPEAL.name, args: [{ actor: 'SELLER', actorId: '42', content: 'fine when shipped' }] });
      await handle.executeUpdate(COMPLAINT_STEP_UPDATES.WITHDRAW, { args: [{ actor: 'BUYER', actorId: '7', content: 'settled' }] });
      expect(((await handle.result()) as ComplaintState).status).toBe(ComplainStatus.CANCEL);
      expect(await handle.query(stepOutcomeQuery, 'appeal-1')).toBeUndefined();
    });
    expect(complaints.calls.steps.map((s) => s.action)).toEqual(['REVIEW', 'APPEAL', 'WITHDRAW']);
  });
});
