/**
 * The providers' daily trade bills as typed rows. Both clients (wechatpay/trade-bill.ts,
 * alipay/trade-bill.ts) fetch and verify the bill and stream its rows one at a time, so a bill of a
 * million rows never sits in memory; integrity (the WeChat hash, both providers' summary lines) is
 * checked when the last row has been read, and a failed check throws BillIntegrityError instead of
 * ending the stream normally.
 */
import { yuanStringToFen } from '../domain/money';

/** The same names as provider.ts's ProviderName (kept here so provider.ts can import this module without a cycle). */
type ProviderName = 'wechatpay' | 'alipay';

export interface BillRow {
  /** 1-based line number of the detail row in the file: stable for the same bill. */
  lineNo: number;
  kind: 'PAYMENT' | 'REFUND';
  outTradeNo: string;
  /** The provider's transaction id (WeChat transaction_id, Alipay trade_no). */
  transactionId: string;
  /** Refund rows: our refund number (out_refund_no / out_request_no). */
  outRefundNo?: string;
  /** Refund rows, WeChat: refund_id. */
  providerRefundId?: string;
  /** Payments: the order amount; refunds: the refunded amount (positive). */
  amountFen: number;
  /** When the provider booked it (payment success / refund time), as an ISO instant (the bill writes China time). */
  bookedAt: string;
}

export interface BillTotals {
  payments: number;
  paymentFen: number;
  refunds: number;
  refundFen: number;
}

/** The bill for one day: read `rows` once; `totals` and `digest` are final after the last row. */
export interface TradeBill {
  provider: ProviderName;
  billDate: string;
  rows: AsyncIterable<BillRow>;
  totals: BillTotals;
  /** WeChat: the verified SHA1 of the file; Alipay: the SHA1 we computed of the zip (for the run record). */
  digest?: string;
}

export interface TradeBillSource {
  /** Fetches and verifies the day's trade bill (yyyy-MM-dd, China time). */
  fetchTradeBill(billDate: string): Promise<TradeBill>;
}

/** The bill did not arrive whole: wrong hash, summary not matching the rows, malformed line. Retry the download. */
export class BillIntegrityError extends Error {
  constructor(readonly provider: ProviderName, message: string) {
    super(`${provider} bill: ${message}`);
    this.name = 'BillIntegrityError';
  }
}

export function emptyTotals(): BillTotals {
  return { payments: 0, paymentFen: 0, refunds: 0, refundFen: 0 };
}

export function addToTotals(totals: BillTotals, row: BillRow): void {
  if (row.kind === 'PAYMENT') {
    totals.payments += 1;
    totals.paymentFen += row.amountFen;
  } else {
    totals.refunds += 1;
    totals.refundFen += row.amountFen;
  }
}

/** A signed yuan amount from a bill ("-12.90", "129.00") as fen, keeping the sign. */
export function signedYuanToFen(value: string): number {
  const v = value.trim();
  return v.startsWith('-') ? -yuanStringToFen(v.slice(1)) : yuanStringToFen(v);
}

/** Column positions by header name (the providers say the order may change: read it from the header). */
export function columnIndex(header: string[], provider: ProviderName, wanted: Record<string, string[]>): Record<string, number> {
  const index: Record<string, number> = {};
  for (const [key, names] of Object.entries(wanted)) {
    const at = header.findIndex((h) => names.includes(h));
    if (at < 0) throw new BillIntegrityError(provider, `header has no column ${names.join(' / ')}`);
    index[key] = at;
  }
  return index;
}
