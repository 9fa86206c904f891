/**
 * Reconciliation rules: how a row of a provider's daily bill compares with our own record of the
 * same payment or refund, and what a "day" is. Pure: used by the reconciliation activities, the
 * workflow (to pick yesterday) and the API (to validate a requested day).
 */

/** What can differ between the provider's bill and our books. */
export const DifferenceKind = {
  /** Paid at the provider, but unknown or unpaid here: money we hold without an order knowing. Fixed automatically. */
  STRANDED_PAYMENT: 'STRANDED_PAYMENT',
  /** Paid here, but the provider's bill for that day has no such payment. */
  PAYMENT_MISSING_AT_PROVIDER: 'PAYMENT_MISSING_AT_PROVIDER',
  /** Refunded here (SUCCESS), but not in the provider's bill. */
  REFUND_MISSING_AT_PROVIDER: 'REFUND_MISSING_AT_PROVIDER',
  /** Refunded at the provider, but unknown here or not SUCCESS here. */
  REFUND_NOT_RECORDED: 'REFUND_NOT_RECORDED',
  /** Both sides know it, for different amounts. */
  AMOUNT_MISMATCH: 'AMOUNT_MISMATCH',
  /** The same payment or refund appears more than once in the bill. */
  DUPLICATE: 'DUPLICATE',
} as const;
export type DifferenceKind = (typeof DifferenceKind)[keyof typeof DifferenceKind];

/** A difference is a support case: open until support resolves it; a stranded payment is fixed by the system. */
export const DifferenceStatus = {
  OPEN: 'OPEN',
  /** Handed to the order's payment path (the order becomes paid, or the late-payment workflow refunds it). */
  AUTO_FIXED: 'AUTO_FIXED',
  RESOLVED: 'RESOLVED',
} as const;
export type DifferenceStatus = (typeof DifferenceStatus)[keyof typeof DifferenceStatus];

export type BillEntryKind = 'PAYMENT' | 'REFUND';

/** Our side of one bill row, as stored (payment or refund row), or nothing when we have no record. */
export interface OurRecord {
  /** payment: CREATED | PAID | CLOSED | REFUNDED; refund: APPLY | PROCESSING | SUCCESS | ABNORMAL | CLOSED | ... */
  status: string;
  amountFen: number;
}

/** Payment statuses meaning "the money arrived here" (a later full refund keeps the payment real). */
const PAID_HERE = new Set(['PAID', 'REFUNDED']);

/**
 * Compares one bill row with our record of it. `undefined` = they agree (a match).
 * A stranded payment is checked before the amount: an unpaid record cannot "match" any amount.
 */
export function compareBillEntry(kind: BillEntryKind, billFen: number, ours: OurRecord | undefined): DifferenceKind | undefined {
  if (kind === 'PAYMENT') {
    if (!ours || !PAID_HERE.has(ours.status)) return DifferenceKind.STRANDED_PAYMENT;
  } else if (!ours || ours.status !== 'SUCCESS') {
    return DifferenceKind.REFUND_NOT_RECORDED;
  }
  return ours.amountFen === billFen ? undefined : DifferenceKind.AMOUNT_MISMATCH;
}

/** The providers' zone: both bills cut their days at 00:00 China time (UTC+8, no daylight saving). */
export const PROVIDER_ZONE_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;
const BILL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written yyyy-MM-dd. */
export function isBillDate(value: unknown): value is string {
  if (typeof value !== 'string' || !BILL_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** The UTC instants [start, end) of one China-time day. */
export function chinaDayWindow(billDate: string): { start: Date; end: Date } {
  if (!isBillDate(billDate)) throw new RangeError(`bill date must be yyyy-MM-dd, got ${billDate}`);
  const start = new Date(Date.parse(`${billDate}T00:00:00Z`) - PROVIDER_ZONE_OFFSET_MS);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

/** The China-time calendar date of an instant. */
export function chinaDateOf(ms: number): string {
  return new Date(ms + PROVIDER_ZONE_OFFSET_MS).toISOString().slice(0, 10);
}

/** The bill the providers published this morning: the day before `nowMs`, in China time. */
export function previousChinaDay(nowMs: number): string {
  return chinaDateOf(nowMs - DAY_MS);
}
