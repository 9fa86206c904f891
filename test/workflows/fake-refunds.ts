import type { Activities } from '../../activities';
import type { RefundSlot, RefundSlotRequest } from '../../activities/refund-slots';
import { RefundStatus } from '../../domain';

export type RefundScript = {
  slots?: RefundSlot[];
  submit?: (call: number) => RefundStatus;
  query?: (call: number) => RefundStatus | 'NOT_FOUND';
};

/** A provider and a refund table in memory: each step records its call and answers from `script`. */
export function fakeRefunds(script: RefundScript) {
  const calls = { claims: [] as RefundSlotRequest[], submits: [] as unknown[][], queries: 0, outcomes: [] as string[], cancellation: [] as string[], offline: 0, reissues: 0 };
  const activities: Partial<Activities> = {
    // A refund started without its row (a complaint's, a restarted one) reads it first.
    async getRefund(refundSn: string) {
      return { refundSn, orderSn: 'O1', provider: 'wechatpay', outTradeNo: 'P1W', refundFen: 500, totalFen: 5000, reason: 'test', status: RefundStatus.APPLY };
    },
    async claimRefundSlot(request) {
      calls.claims.push(request);
      return script.slots?.[calls.claims.length - 1] ?? { kind: 'slot', slotAtIso: new Date().toISOString(), waitMs: 0, paymentRefundNo: calls.claims.length, spacingMs: 1000 };
    },
    async submitRefund(...args: unknown[]) {
      calls.submits.push(args);
      return (script.submit ?? (() => RefundStatus.PROCESSING))(calls.submits.length);
    },
    async queryRefund() {
      calls.queries += 1;
      return (script.query ?? (() => RefundStatus.PROCESSING))(calls.queries) as never;
    },
    async recordRefundOutcome({ status }) {
      calls.outcomes.push(status);
      return status as RefundStatus;
    },
    async setCancellationStatus({ status }) {
      calls.cancellation.push(status);
    },
    async markRefundedOffline() {
      calls.offline += 1;
      return RefundStatus.REFUNDED_OFFLINE;
    },
    async logRefundReissue() {
      calls.reissues += 1;
    },
  } as Partial<Activities>;
  return { calls, activities };
}
