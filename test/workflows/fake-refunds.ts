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
