import { allHandlersFinished, condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { formatFen } from '../domain';
import {
  GoodwillRefundAnswer,
  GoodwillRefundInput,
  GoodwillRefundResult,
  GoodwillRefundState,
  goodwillRefundAnswerUpdate,
  goodwillRefundStateQuery,
} from './goodwill-refund.contract';
import { refundUntilSettled } from './refund-loop';
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

  const record = (attempt: number) =>
    local.recordGoodwillRefund.executeWithOptions(
      { summary: attempt === 1 ? `Record a goodwill refund of ${formatFen(input.refundFen)} CNY` : `Record re-issued goodwill refund #${attempt} under a new number` },
      [{ requestId: input.requestId, orderSn: input.orderSn, refundFen: input.refundFen, reason: input.reason, supportId: input.supportId, attempt }],
    );
  const refused = async ({ reason, code }: { reason: string; code: string }): Promise<GoodwillRefundResult> => {
    state.step = 'REFUSED';
    state.refusal = reason;
    answer ??= { outcome: 'REFUSED', reason, code };
    await condition(allHandlersFinished);
    return { status: 'REFUSED', reason };
  };
  const first = await record(1);
  if (first.kind === 'refused') return refused(first);
  let reissueRefused: { reason: string; code: string } | undefined;
  const refunds = await refundUntilSettled(first.refund, {
    orderSn: input.orderSn,
    pollScheduleMs: input.pollScheduleMs,
    summaryPrefix: 'Goodwill: ',
    reissue: async (attempt) => {
      const recorded = await record(attempt);
      if (recorded.kind === 'refused') reissueRefused = recorded;
      return recorded.kind === 'recorded' ? recorded.refund : undefined;
    },
    started: (refund) => {
      state.step = 'REFUNDING';
      state.refundSn = refund.refundSn;
      answer ??= { outcome: 'ACCEPTED', refundSn: refund.refundSn, refundFen: refund.refundFen, provider: refund.provider };
    },
  });
  if (reissueRefused) return refused(reissueRefused);
  await local.finishGoodwillRefund.executeWithOptions({ summary: 'Goodwill refund paid out' }, [{ requestId: input.requestId, refundSn: state.refundSn! }]);
  state.step = 'REFUNDED';
  await condition(allHandlersFinished);
  return { status: 'REFUNDED', refunds };
}
