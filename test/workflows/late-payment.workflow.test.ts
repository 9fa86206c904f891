import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { RefundStatus } from '../../domain';
import { LATE_PAYMENT_WORKFLOW, LatePaymentInput } from '../../workflows/late-payment.contract';
import type { RefundRecord } from '../../workflows/refund.contract';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, startLocalWorkflows } from './local-env';

/**
 * A late payment alone, the provider and the database replaced: refunded in full only once the
 * provider confirms it; an unconfirmed one (or a provider that refuses the question) is logged for
 * support and nothing moves.
 */
describe('late-payment workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  let n = 0;
  const input = (): LatePaymentInput => {
    n += 1;
    return { orderSn: 'O1', why: 'the order was cancelled', refundPollScheduleMs: [60_000], payment: { provider: 'wechatpay', outTradeNo: `P${Date.now()}${n}W`, transactionId: `T${n}`, amountFen: 2500, paidAt: new Date().toISOString() } };
  };

  /** The provider's word and the late-payment table in memory. */
  function fakeLatePayments(confirm: () => { confirmed: true } | { confirmed: false; reason: string }) {
    const calls = { asked: 0, recorded: [] as string[], unconfirmed: [] as string[] };
    const activities: Partial<Activities> = {
      async confirmLatePayment() {
        calls.asked += 1;
        return confirm();
      },
      async recordLatePaymentRefund({ payment }) {
        calls.recorded.push(payment.transactionId);
        const refund: RefundRecord = { refundSn: `RL-${payment.outTradeNo}`, orderSn: 'O1', provider: payment.provider, outTradeNo: payment.outTradeNo, refundFen: payment.amountFen, totalFen: payment.amountFen, reason: 'late', status: RefundStatus.APPLY };
        return refund;
      },
      async recordUnconfirmedLatePayment({ reason }) {
        calls.unconfirmed.push(reason);
      },
    };
    return { calls, activities };
  }

  const run = (taskQueue: string, args: LatePaymentInput) =>
    local.env.client.workflow.execute(LATE_PAYMENT_WORKFLOW.workflowType, { taskQueue, workflowId: `late-payment-${args.payment.outTradeNo}`, args: [args] });

  it('confirmed by the provider: recorded and refunded in full through its refund workflow', async () => {
    const late = fakeLatePayments(() => ({ confirmed: true }));
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...refunds.activities, ...late.activities }, async (taskQueue) => {
      const args = input();
      expect(await run(taskQueue, args)).toEqual({ status: 'SUCCESS', refundSn: `RL-${args.payment.outTradeNo}` });
    });
    expect(late.calls).toMatchObject({ asked: 1, recorded: [expect.any(String)], unconfirmed: [] });
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it('not confirmed (another amount, not paid): logged for support, nothing recorded or refunded', async () => {
    const late = fakeLatePayments(() => ({ confirmed: false, reason: 'the provider says 2400 fen, not 2500' }));
    const refunds = fakeRefunds({});
    await local.withWorker({ ...refunds.activities, ...late.activities }, async (taskQueue) => {
      expect(await run(taskQueue, input())).toEqual({ status: 'NOT_CONFIRMED', reason: 'the provider says 2400 fen, not 2500' });
    });
    expect(late.calls).toMatchObject({ recorded: [], unconfirmed: ['the provider says 2400 fen, not 2500'] });
    expect(refunds.calls.submits).toHaveLength(0);
  });

  it('a provider that refuses the question for good: not refunded, support told why', async () => {
    const late = fakeLatePayments(() => {
      throw ApplicationFailure.nonRetryable('invalid signature', 'ProviderFinal');
    });
    const refunds = fakeRefunds({});
    await local.withWorker({ ...refunds.activities, ...late.activities }, async (taskQueue) => {
      const outcome = await run(taskQueue, input());
      expect(outcome).toMatchObject({ status: 'NOT_CONFIRMED', reason: expect.stringMatching(/could not confirm payment T\d+ with wechatpay: invalid signature/) });
    });
    expect(late.calls.recorded).toHaveLength(0);
    expect(refunds.calls.submits).toHaveLength(0);
  });
});
