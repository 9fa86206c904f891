import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { DEFAULT_REFUND_SPACING, RefundSpacing, nextRefundSlot, refundCountRefusal } from '../domain';
import { ErrorCode } from '../domain/error-codes';
import { countPriorSubmittedRefunds, lockPaymentRefundClock, lockRefundForSlot, readRefundSlot, recordRefundRefusedBeforeSubmit, recordRefundSlot } from '../db/refund-slots';

export interface RefundSlotRequest {
  refundSn: string;
  /** 1 for the refund's first submit, n for its n-th; the same number again returns the same slot. */
  claim: number;
  /** The provider answered "too frequent": the new slot is a full spacing from now. */
  afterTooFrequent?: boolean;
}

export type RefundSlot =
  | {
      kind: 'slot';
      /** The slot's instant (ISO) and how long from now (at the database's clock) until it. */
      slotAtIso: string;
      waitMs: number;
      /** The refund's position among its payment's refunds (WeChat Pay takes 50). */
      paymentRefundNo: number;
      spacingMs: number;
    }
  | { kind: 'refused'; reason: string };

/**
 * Gives a refund its submit slot: the payment's next free instant, taken under the payment row's
 * lock (`SELECT … FOR UPDATE`), so two refunds of one payment never get slots closer than the
 * provider's spacing, and its number among the payment's refunds, unique per payment, so the count
 * limit holds however many refunds race. A claim is remembered by its number: a retried activity
 * (or a replay) gets the slot it already has.
 */
export class RefundSlotActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly spacing: RefundSpacing = DEFAULT_REFUND_SPACING,
  ) {}

  async claimRefundSlot(request: RefundSlotRequest): Promise<RefundSlot> {
    return this.dataSource.transaction(async (manager) => {
      // Locking reads only until the payment row is ours: InnoDB's snapshot for plain reads starts at
      // the first plain read, which must come after the lock, or it would miss the claim committed just before.
      const mine = await lockRefundForSlot(manager, request.refundSn);
      if (!mine) throw ApplicationFailure.nonRetryable(`refund ${request.refundSn} does not exist`, ErrorCode.RefundNotFound);
      const refund = { provider: mine.provider as keyof RefundSpacing, out_trade_no: mine.out_trade_no as string };
      const spacingMs = this.spacing[refund.provider];
      // The payment row's lock orders every claim of this payment (refund row, then payment row: the order recordRefundOutcome locks them in too).
      const payment = await lockPaymentRefundClock(manager, refund.out_trade_no);
      if (!payment) throw ApplicationFailure.nonRetryable(`payment ${refund.out_trade_no} of refund ${request.refundSn} does not exist`, ErrorCode.NothingToRefund);
      if (Number(mine.slot_claims) >= request.claim && mine.submit_slot_at) return this.describe(manager, request.refundSn, spacingMs);

      let paymentRefundNo = mine.payment_refund_no === null ? null : Number(mine.payment_refund_no);
      if (paymentRefundNo === null) {
        // Refunds submitted before numbering existed count too (submitted_at set, no number).
        const prior = await countPriorSubmittedRefunds(manager, refund.out_trade_no, request.refundSn);
        const refusal = refundCountRefusal(refund.provider, Number(prior));
        if (refusal) {
          // Recorded on the row (it stays APPLY: never sent), so support sees why and may pay it offline.
          await recordRefundRefusedBeforeSubmit(manager, request.refundSn, refusal);
          return { kind: 'refused', reason: refusal };
        }
        paymentRefundNo = Number(prior) + 1;
      }
      // The database's clock decides, so every worker's claims agree whatever their own clocks say.
      const nextFreeAt = payment.next_refund_at;
      const slot = nextRefundSlot({ nowMs: new Date(payment.now).getTime(), nextFreeAtMs: nextFreeAt ? new Date(nextFreeAt).getTime() : undefined, spacingMs, afterTooFrequent: request.afterTooFrequent });
      await recordRefundSlot(manager, { refundSn: request.refundSn, outTradeNo: refund.out_trade_no, slotAt: new Date(slot.slotAtMs), claim: request.claim, paymentRefundNo, nextFreeAt: new Date(slot.nextFreeAtMs) });
      return this.describe(manager, request.refundSn, spacingMs);
    });
  }

  private async describe(manager: { query: DataSource['query'] }, refundSn: string, spacingMs: number): Promise<RefundSlot> {
    const row = await readRefundSlot(manager, refundSn);
    const slotAtMs = new Date(row.submit_slot_at).getTime();
    return { kind: 'slot', slotAtIso: new Date(slotAtMs).toISOString(), waitMs: Math.max(0, slotAtMs - new Date(row.now).getTime()), paymentRefundNo: Number(row.payment_refund_no), spacingMs };
  }
}
