import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nextPaymentQueryDelay } from '../domain';
import type { PaymentWatchInput, PaymentWatchResult } from './payment-watch.contract';
import { PAYMENT_QUERY_RETRY } from './retry-policies';

const { checkUnpaidPayment } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: PAYMENT_QUERY_RETRY });

/**
 * The active payment query (`payment-watch-{outTradeNo}`) as the API started it before the order
 * workflow asked the provider itself (order-payment-watch.ts): still registered so those watches
 * finish and their histories replay. Both providers say a merchant must ask when no notification
 * arrives. Started with the payment; on a backoff it asks the provider whether
 * the buyer paid, until the payment expires or the order no longer awaits payment. A PAID answer goes
 * through the same inbox as a verified notification (amount check, dedupe, delivery to the order
 * workflow), so a notification that still arrives later is a duplicate and changes nothing.
 */
export async function paymentWatchWorkflow(input: PaymentWatchInput): Promise<PaymentWatchResult> {
  const expiresAtMs = Date.parse(input.expiresAtIso);
  for (let queries = 0; ; ) {
    const next = nextPaymentQueryDelay(input.queryScheduleMs, queries, Date.now(), expiresAtMs);
    if (!next) return { outcome: 'expired', queries };
    await sleep(Math.max(next.delayMs, 1));
    const check = await checkUnpaidPayment({ orderSn: input.orderSn, outTradeNo: input.outTradeNo });
    queries += 1;
    if (check.outcome !== 'waiting') return { outcome: check.outcome, queries, detail: check.detail };
    if (next.last) return { outcome: 'expired', queries, detail: check.detail };
  }
}
