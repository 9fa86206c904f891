import { ParentClosePolicy, allHandlersFinished, condition, executeChild, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { describeRefund, formatFen } from '../domain';
import {
  GoodwillRefundAnswer,
  GoodwillRefundInput,
  GoodwillRefundResult,
  GoodwillRefundState,
  goodwillRefundAnswerUpdate,
  goodwillRefundStateQuery,
} from './goodwill-refund.contract';
import { RefundOutcome, refundWorkflowId } from './refund.contract';
import { refundWorkflow } from './refund.workflow';
import { LOCAL_DATABASE_RETRY } from './retry-policies';

const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/**
 * Support's goodwill refund of one order (`goodwill-refund-{requestId}`). Records the refund under
 * the order row's lock (Σ refunds not CLOSED ≤ paid, the one check every refund passes) with an
 * order-log row naming support and the reason, answers the API's Update, then follows the refund
 * workflow to the end; a CLOSED refund support re-issues gets the next cause key and a new number.
 * It never touches the order's statuses: the order workflow owns them.
 */
export async function goodwillRefundWorkflow(input: GoodwillRefundInput): Promise<GoodwillRefundResult> {
  const state: GoodwillRefundState = { requestId: input.requestId, orderSn: input.orderSn, step: 'RECORDING' };
  let answer: GoodwillRefundAnswer | undefined;
  setHandler(goodwillRefundStateQuery, () => state);
  // The API's update-with-start (and any retry of it) waits here until the refund is recorded or refused.
  setHandler(goodwillRefundAnswerUpdate, async () => {
    await condition(() => answer !== undefined);
    return answer!;
  });

  const refunds: RefundOutcome[] = [];
  for (let attempt = 1; ; attempt += 1) {
    const recorded = await local.recordGoodwillRefund.executeWithOptions(
      { summary: attempt === 1 ? `Record a goodwill refund of ${formatFen(input.refundFen)} CNY` : `Record re-issued goodwill refund #${attempt} under a new number` },
      [{ requestId: input.requestId, orderSn: input.orderSn, refundFen: input.refundFen, reason: input.reason, supportId: input.supportId, attempt }],
    );
    if (recorded.kind === 'refused') {
      state.step = 'REFUSED';
      state.refusal = recorded.reason;
      answer ??= { outcome: 'REFUSED', reason: recorded.reason, code: recorded.code };
      await condition(allHandlersFinished);
      return { status: 'REFUSED', reason: recorded.reason };
    }
    const refund = recorded.refund;
    state.step = 'REFUNDING';
    state.refundSn = refund.refundSn;
    answer ??= { outcome: 'ACCEPTED', refundSn: refund.refundSn, refundFen: refund.refundFen, provider: refund.provider };
    const outcome = await executeChild(refundWorkflow, {
      workflowId: refundWorkflowId(refund.refundSn),
      args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, pollScheduleMs: input.pollScheduleMs, refund }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Goodwill: ${describeRefund(refund.refundFen, refund.provider)}`,
      searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
    });
    refunds.push(outcome);
    if (outcome.status !== 'REISSUE') break;
  }
  await local.finishGoodwillRefund.executeWithOptions({ summary: 'Goodwill refund paid out' }, [{ requestId: input.requestId, refundSn: state.refundSn! }]);
  state.step = 'REFUNDED';
  await condition(allHandlersFinished);
  return { status: 'REFUNDED', refunds };
}
