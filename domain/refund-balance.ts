/**
 * The one refundable balance. Every refund cause (cancellation, after-sale, complaint, goodwill,
 * late payment) asks this rule how much it may take and from which lines, with the balance read
 * under the order row's lock in the transaction that creates the refund:
 *
 * - a payment's refunds that are not CLOSED never add up to more than it captured;
 * - a line's refunds that are not CLOSED never add up to more than was paid for it: each line keeps
 *   what remains refundable (order_item.refundable_fen), drawn down by the refund that takes from it
 *   and given back once if that refund ends CLOSED;
 * - a refund that names no line (goodwill, the shipping fee) takes only from the payment's remainder,
 *   so it never lets the lines be refunded past what was paid;
 * - "everything" (a cancellation, an unusable late payment) takes the payment's remainder and leaves
 *   every line it paid for at zero;
 * - a trade payment (one provider payment for several orders) is drawn per share: an order's refunds
 *   never add up to more than its share, and all the orders' refunds never to more than the payment.
 *
 * Pure: the API's pre-checks, the workflows' offers and the refund activity use the same function.
 */
import { ErrorCode } from './error-codes';

export interface RefundBalance {
  /** The payment the refund is drawn from. */
  outTradeNo: string;
  /** What this order was paid by the payment: all of it, or its share of a trade payment. */
  capturedFen: number;
  /** Σ refunds of this order against this payment that are not CLOSED. */
  committedFen: number;
  /** A trade payment: the whole payment's amount and Σ of every order's refunds of it not CLOSED. */
  payment?: { capturedFen: number; committedFen: number };
  /** The order's lines this payment paid for, with what remains refundable on each; empty for an extra payment. */
  lines: readonly { orderItemId: number; skuId: number; refundableFen: number }[];
}

/** A line named by its id (after-sales) or by its SKU (a complaint is about one SKU of the order). */
export interface RefundLineAsk {
  orderItemId?: number;
  skuId?: number;
  refundFen: number;
}

/** Everything that remains, or an amount, optionally taken from named lines (Σ lines = amount). */
export type RefundAsk = { everything: true } | { refundFen: number; lines?: readonly RefundLineAsk[] };

export interface RefundAllocation {
  refundFen: number;
  /** What the refund takes from each line (refund_line rows); Σ ≤ refundFen (the rest is shipping or goodwill). */
  lines: { orderItemId: number; refundFen: number }[];
}

/** Stable codes of a refused refund (the ApplicationFailure type and the API's `code`; domain/error-codes.ts). */
export const RefundRefusal = {
  NOTHING_TO_REFUND: ErrorCode.NothingToRefund,
  EXCEEDS_REMAINING: ErrorCode.RefundExceedsRemaining,
  LINES_MISMATCH: ErrorCode.RefundLinesMismatch,
  UNKNOWN_LINE: ErrorCode.RefundLineUnknown,
} as const;
export type RefundRefusalCode = (typeof RefundRefusal)[keyof typeof RefundRefusal];
/** For retry lists: a refused refund is an answer, never retried. */
export const REFUND_REFUSAL_CODES: readonly string[] = Object.values(RefundRefusal);

export interface RefundRefused {
  code: RefundRefusalCode;
  message: string;
}

/** What remains refundable on the payment for this order (captured − refunds not CLOSED; for a share, within what the whole payment has left). */
export function paymentRemainingFen(balance: RefundBalance): number {
  const own = balance.capturedFen - balance.committedFen;
  const whole = balance.payment ? balance.payment.capturedFen - balance.payment.committedFen : own;
  return Math.max(0, Math.min(own, whole));
}

/** What a refund of one line can still be: what remains on the line, within what remains on the payment. */
export function lineOfferFen(balance: RefundBalance, line: { orderItemId?: number; skuId?: number }): number {
  const found = findLine(balance, line);
  return found ? Math.min(found.refundableFen, paymentRemainingFen(balance)) : 0;
}

/** Decides what a refund takes, or why it is refused; never more than a line or the payment has left. */
export function allocateRefund(balance: RefundBalance, ask: RefundAsk): RefundAllocation | RefundRefused {
  const remaining = paymentRemainingFen(balance);
  if (remaining <= 0) return { code: RefundRefusal.NOTHING_TO_REFUND, message: `payment ${balance.outTradeNo} is already fully refunded` };
  if ('everything' in ask) {
    return {
      refundFen: remaining,
      lines: balance.lines.filter((line) => line.refundableFen > 0).map((line) => ({ orderItemId: line.orderItemId, refundFen: line.refundableFen })),
    };
  }
  const { refundFen } = ask;
  if (!Number.isSafeInteger(refundFen) || refundFen <= 0) {
    return { code: RefundRefusal.LINES_MISMATCH, message: `a refund must be a whole number of fen from 1, not ${refundFen}` };
  }
  if (refundFen > remaining) {
    return { code: RefundRefusal.EXCEEDS_REMAINING, message: `a refund of ${refundFen} fen exceeds the ${remaining} fen that remain refundable on payment ${balance.outTradeNo}` };
  }
  const lines: RefundAllocation['lines'] = [];
  for (const asked of ask.lines ?? []) {
    const line = findLine(balance, asked);
    if (!line) return { code: RefundRefusal.UNKNOWN_LINE, message: `the order has no line ${asked.orderItemId ?? `for SKU ${asked.skuId}`}` };
    if (!Number.isSafeInteger(asked.refundFen) || asked.refundFen <= 0) {
      return { code: RefundRefusal.LINES_MISMATCH, message: `line ${line.orderItemId}'s refund must be a whole number of fen from 1` };
    }
    if (lines.some((l) => l.orderItemId === line.orderItemId)) return { code: RefundRefusal.LINES_MISMATCH, message: `line ${line.orderItemId} is named twice` };
    if (asked.refundFen > line.refundableFen) {
      return { code: RefundRefusal.EXCEEDS_REMAINING, message: `a refund of ${asked.refundFen} fen exceeds the ${line.refundableFen} fen that remain refundable on line ${line.orderItemId}` };
    }
    lines.push({ orderItemId: line.orderItemId, refundFen: asked.refundFen });
  }
  const linesFen = lines.reduce((sum, l) => sum + l.refundFen, 0);
  if (ask.lines && linesFen !== refundFen) {
    return { code: RefundRefusal.LINES_MISMATCH, message: `the lines' refunds add up to ${linesFen} fen, not the refund's ${refundFen} fen` };
  }
  return { refundFen, lines };
}

function findLine(balance: RefundBalance, line: { orderItemId?: number; skuId?: number }) {
  return balance.lines.find((l) => (line.orderItemId !== undefined ? l.orderItemId === line.orderItemId : l.skuId === line.skuId));
}

export function isRefundRefused(result: RefundAllocation | RefundRefused): result is RefundRefused {
  return 'code' in result;
}
