/**
 * Quantity and money rules of after-sales, per order line. Pure: the API (applying, under the order
 * row's lock), the workflow (audit, support decision) and the refund activity use the same functions.
 *
 * Money rule: a line's units are worth what the buyer paid for the line (paid_fen, after its share
 * of shop discounts), spread over its units so that the units' shares always add up to paid_fen:
 * units t+1…t+k of a line are worth floor(paid × (t+k) / num) − floor(paid × t / num), where t are
 * the units earlier after-sales already took. Returning every unit, in any number of applications,
 * refunds exactly paid_fen.
 *
 * Shipping fee rule: after-sales never refund the shipping fee. It is a per-shop fee not allocated
 * to lines (domain/checkout-pricing.ts) and goes back only with a whole-order cancellation; even an
 * after-sale that returns the last unit refunds the goods only. Support's goodwill refund can cover
 * it when a shop agrees.
 */
import { ErrorCode } from './error-codes';

export interface AfterSaleLineFacts {
  orderItemId: number;
  skuId: number;
  name: string;
  num: number;
  paidFen: number;
  refundableFen: number;
  /** Units other after-sales of this line hold (open ones, and those that completed). */
  takenNum: number;
}

export interface AfterSaleLineRequest {
  orderItemId: number;
  num: number;
}

export interface AfterSaleLinePlan {
  orderItemId: number;
  skuId: number;
  name: string;
  num: number;
  /** What these units are worth (the requested refund for money-back types). */
  amountFen: number;
}

/** What units t+1…t+k of a line are worth (see the money rule above). */
export function unitsShareFen(paidFen: number, lineNum: number, takenNum: number, num: number): number {
  return Math.floor((paidFen * (takenNum + num)) / lineNum) - Math.floor((paidFen * takenNum) / lineNum);
}

type AfterSaleLinesRefusalCode = typeof ErrorCode.LINE_NOT_YOURS | typeof ErrorCode.AFTER_SALE_LINES_INVALID;
const invalidLines = (refusal: string) => ({ refusal, code: ErrorCode.AFTER_SALE_LINES_INVALID }) as const;

/**
 * Checks an application's lines against the order's and returns the plan, or the human reason it
 * is refused (a line unknown, listed twice, a quantity above what remains once other after-sales are
 * counted). Amounts are capped by what remains refundable on the line and on the payment.
 */
export function planAfterSaleLines(
  lines: readonly AfterSaleLineFacts[],
  requests: readonly AfterSaleLineRequest[],
  /** What remains refundable on the payment (goodwill may have taken from it without naming a line). */
  paymentRemainingFen = Number.POSITIVE_INFINITY,
): { plan: AfterSaleLinePlan[] } | { refusal: string; code: AfterSaleLinesRefusalCode } {
  if (!requests.length) return invalidLines('an after-sale needs at least one line');
  const seen = new Set<number>();
  const plan: AfterSaleLinePlan[] = [];
  for (const request of requests) {
    if (seen.has(request.orderItemId)) return invalidLines(`line ${request.orderItemId} is listed twice`);
    seen.add(request.orderItemId);
    const line = lines.find((l) => l.orderItemId === request.orderItemId);
    if (!line) return { refusal: `the order has no line ${request.orderItemId}`, code: ErrorCode.LINE_NOT_YOURS };
    if (!Number.isSafeInteger(request.num) || request.num < 1) return invalidLines(`quantity for line ${request.orderItemId} must be a whole number from 1`);
    const remaining = line.num - line.takenNum;
    if (request.num > remaining) {
      return invalidLines(`line ${request.orderItemId} (${line.name}) has ${remaining} of ${line.num} units left for an after-sale once the open and completed ones are counted; ${request.num} asked`);
    }
    const share = unitsShareFen(line.paidFen, line.num, line.takenNum, request.num);
    plan.push({ orderItemId: line.orderItemId, skuId: line.skuId, name: line.name, num: request.num, amountFen: Math.min(share, line.refundableFen) });
  }
  // Within the payment's remainder too: the later lines give way first, as with an agreed refund.
  let left = paymentRemainingFen;
  for (const line of plan) {
    line.amountFen = Math.max(0, Math.min(line.amountFen, left));
    left -= line.amountFen;
  }
  return { plan };
}

/**
 * Splits an agreed refund over the after-sale's lines: each line in order takes up to its own amount,
 * so a seller who agrees to less than was asked lowers the later lines first. Σ = refundFen exactly;
 * refused (undefined) when refundFen is not a whole number of fen from 1 to the lines' total.
 */
export function splitRefundOverLines(lines: readonly { orderItemId: number; amountFen: number }[], refundFen: number): { orderItemId: number; refundFen: number }[] | undefined {
  const total = lines.reduce((sum, l) => sum + l.amountFen, 0);
  if (!Number.isSafeInteger(refundFen) || refundFen < 1 || refundFen > total) return undefined;
  let left = refundFen;
  const split: { orderItemId: number; refundFen: number }[] = [];
  for (const line of lines) {
    const take = Math.min(line.amountFen, left);
    left -= take;
    if (take > 0) split.push({ orderItemId: line.orderItemId, refundFen: take });
  }
  return split;
}

/** Why an agreed refund cannot stand, or undefined: a whole number of fen, at least 1, at most the lines' amount. */
export function agreedRefundRefusal(refundFen: unknown, linesFen: number): string | undefined {
  if (typeof refundFen !== 'number' || !Number.isSafeInteger(refundFen) || refundFen < 1) return 'refundFen must be a whole number of fen, at least 1';
  if (refundFen > linesFen) return `a refund of ${refundFen} fen exceeds the ${linesFen} fen the after-sale's lines are worth`;
  return undefined;
}

/** What a receipt says about one line: refused when it names a line not in the after-sale or more units than were sent. */
export function receiptRefusal(lines: readonly { orderItemId: number; num: number }[], receipt: readonly { orderItemId: number; goodNum: number; damagedNum: number }[]): string | undefined {
  const seen = new Set<number>();
  for (const entry of receipt) {
    const line = lines.find((l) => l.orderItemId === entry.orderItemId);
    if (!line) return `the after-sale has no line ${entry.orderItemId}`;
    if (seen.has(entry.orderItemId)) return `line ${entry.orderItemId} is listed twice`;
    seen.add(entry.orderItemId);
    for (const [name, value] of [['goodNum', entry.goodNum], ['damagedNum', entry.damagedNum]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) return `${name} for line ${entry.orderItemId} must be a whole number from 0`;
    }
    if (entry.goodNum + entry.damagedNum > line.num) return `line ${entry.orderItemId}: ${entry.goodNum + entry.damagedNum} units received but only ${line.num} were sent back`;
  }
  return undefined;
}

/** Whether everything sent back arrived (good or damaged): otherwise support decides. */
export function receiptComplete(lines: readonly { orderItemId: number; num: number }[], receipt: readonly { orderItemId: number; goodNum: number; damagedNum: number }[]): boolean {
  return lines.every((line) => {
    const entry = receipt.find((r) => r.orderItemId === line.orderItemId);
    return entry !== undefined && entry.goodNum + entry.damagedNum === line.num;
  });
}
