/**
 * Reconciliation rules: how a row of a provider's daily bill compares with our own record of the
 * same payment or refund, and what a "day" is. Pure: used by the reconciliation activities, the
 * workflow (to pick yesterday) and the API (to validate a requested day).
 */

import { CAPTURED_PAYMENT_STATUSES } from './payment-status';

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
  /** payment: CREATED | PAID | CLOSED | PARTIALLY_REFUNDED | REFUNDED; refund: APPLY | PROCESSING | SUCCESS | ABNORMAL | CLOSED | ... */
  status: string;
  amountFen: number;
}

/** Payment statuses meaning "the money arrived here" (a later refund, partial or full, keeps the payment real). */
const PAID_HERE = new Set<string>(CAPTURED_PAYMENT_STATUSES);

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

// Calendar arithmetic on plain integers (H. Hinnant's civil-date algorithms): workflow code may import
// this module, and the domain guard keeps clocks (and so Date) out of it.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** True for a real calendar date written yyyy-MM-dd. */
export function isBillDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = BILL_DATE.exec(value);
  if (!m) return false;
  return civilFromDays(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]))) === value;
}

/** The instants (epoch ms) [startMs, endMs) of one China-time day. */
export function chinaDayWindow(billDate: string): { startMs: number; endMs: number } {
  if (!isBillDate(billDate)) throw new RangeError(`bill date must be yyyy-MM-dd, got ${billDate}`);
  const [y, m, d] = billDate.split('-').map(Number);
  const startMs = daysFromCivil(y, m, d) * DAY_MS - PROVIDER_ZONE_OFFSET_MS;
  return { startMs, endMs: startMs + DAY_MS };
}

/** The China-time calendar date of an instant (epoch ms). */
export function chinaDateOf(ms: number): string {
  return civilFromDays(Math.floor((ms + PROVIDER_ZONE_OFFSET_MS) / DAY_MS));
}

/** The bill the providers published this morning: the day before `nowMs`, in China time. */
export function previousChinaDay(nowMs: number): string {
  return chinaDateOf(nowMs - DAY_MS);
}
