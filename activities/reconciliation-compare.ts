/**
 * The comparison pages of a reconciliation run: the downloaded bill (reconciliation_bill_row) against
 * our payment and refund rows, one bounded query per page, each difference recorded once as a support
 * case (unique per provider, day, kind and payment/refund, with its OPENED line in the case log).
 */
import type { DataSource } from 'typeorm';
import { DifferenceKind, chinaDayWindow, compareBillEntry, formatFen } from '../domain';
import { runStep } from '../db/business-events';
import { NewCase, openReconciliationCases } from '../db/reconciliation-cases';
import { readBillPage, readOurSidePage } from '../db/reconciliation';

export const SYSTEM_ACTOR = 'system:reconciliation';

export interface ComparePageRequest {
  runId: number;
  provider: string;
  billDate: string;
  afterLineNo: number;
  pageSize: number;
}

export interface ComparePageResult {
  lastLineNo: number;
  exhausted: boolean;
  matched: number;
  matchedFen: number;
  differences: number;
}

/** Keyset position in our own rows of the day: (time, id). */
export interface OurSideCursor {
  atIso: string;
  id: number;
}

export interface OurSidePageRequest {
  runId: number;
  provider: string;
  billDate: string;
  side: 'payments' | 'refunds';
  after?: OurSideCursor;
  pageSize: number;
}

export interface OurSidePageResult {
  next: OurSideCursor;
  exhausted: boolean;
  differences: number;
}

export type NewDifference = NewCase;

/** P:{out_trade_no} for payments, R:{out_refund_no} for refunds: what a case is about. */
export const refKeyOf = (kind: 'PAYMENT' | 'REFUND', outTradeNo: string, outRefundNo: string) => (kind === 'PAYMENT' ? `P:${outTradeNo}` : `R:${outRefundNo}`);

export class ReconciliationCompare {
  constructor(private readonly dataSource: DataSource) {}

  /** One page of bill rows, each matched against our record by out_trade_no / refund number. */
  async compareBillPage(request: ComparePageRequest): Promise<ComparePageResult> {
    const rows = await readBillPage(this.dataSource, request);
    let matched = 0;
    let matchedFen = 0;
    let differences = 0;
    const found: NewDifference[] = [];
    for (const row of rows) {
      const billFen = Number(row.amount_fen);
      const refKey = refKeyOf(row.kind, row.out_trade_no, row.out_refund_no);
      const base = { refKey, outTradeNo: row.out_trade_no, transactionId: row.transaction_id, ...(row.kind === 'REFUND' ? { outRefundNo: row.out_refund_no } : {}), providerFen: billFen };
      const what = row.kind === 'PAYMENT' ? `payment ${row.out_trade_no}` : `refund ${row.out_refund_no} of ${row.out_trade_no}`;
      if (Number(row.first_line) < row.line_no) {
        differences += 1;
        found.push({ ...base, kind: DifferenceKind.DUPLICATE, detail: `${what} is listed again on bill line ${row.line_no} (first on line ${row.first_line})` });
        continue;
      }
      // Once a day's row is a case, it stays one: a re-run reports it the same way even after a fix.
      if (row.recorded_kind) {
        differences += 1;
        continue;
      }
      const ours = row.kind === 'PAYMENT'
        ? row.payment_status === null ? undefined : { status: row.payment_status, amountFen: Number(row.payment_fen) }
        : row.refund_status === null ? undefined : { status: row.refund_status, amountFen: Number(row.refund_fen) };
      const kind = compareBillEntry(row.kind, billFen, ours);
      if (kind === undefined) {
        matched += 1;
        matchedFen += billFen;
        continue;
      }
      differences += 1;
      const orderSn = (row.kind === 'PAYMENT' ? row.payment_order : row.refund_order) ?? undefined;
      found.push({
        ...base,
        kind,
        ...(orderSn ? { orderSn } : {}),
        ...(ours ? { ourFen: ours.amountFen } : {}),
        detail: describe(kind, what, billFen, ours),
      });
    }
    await this.record(request.runId, request.provider, request.billDate, found);
    const last = rows[rows.length - 1];
    return { lastLineNo: last ? last.line_no : request.afterLineNo, exhausted: rows.length < request.pageSize, matched, matchedFen, differences };
  }

  /** One page of our own payments (or successful refunds) of the day, looking for those the bill lacks. */
  async compareOurSidePage(request: OurSidePageRequest): Promise<OurSidePageResult> {
    const window = chinaDayWindow(request.billDate);
    const start = new Date(window.startMs);
    const end = new Date(window.endMs);
    const after = request.after ?? { atIso: start.toISOString(), id: 0 };
    const afterAt = new Date(after.atIso);
    const payments = request.side === 'payments';
    const rows = await readOurSidePage(this.dataSource, { payments, runId: request.runId, provider: request.provider, from: afterAt < start ? start : afterAt, end, afterAt, afterId: after.id, pageSize: request.pageSize });
    const found: NewDifference[] = rows
      .filter((row) => !Number(row.on_bill))
      .map((row) =>
        payments
          ? { kind: DifferenceKind.PAYMENT_MISSING_AT_PROVIDER, refKey: refKeyOf('PAYMENT', row.out_trade_no, ''), outTradeNo: row.out_trade_no, orderSn: row.order_sn, ourFen: row.amount_fen, ...(row.transaction_id ? { transactionId: row.transaction_id } : {}), detail: `payment ${row.out_trade_no} of ${formatFen(row.amount_fen)} CNY is paid here but not in the bill` }
          : { kind: DifferenceKind.REFUND_MISSING_AT_PROVIDER, refKey: refKeyOf('REFUND', row.out_trade_no, row.refund_sn!), outTradeNo: row.out_trade_no, outRefundNo: row.refund_sn, orderSn: row.order_sn, ourFen: row.amount_fen, detail: `refund ${row.refund_sn} of ${formatFen(row.amount_fen)} CNY succeeded here but is not in the bill` },
      );
    await this.record(request.runId, request.provider, request.billDate, found);
    const last = rows[rows.length - 1];
    return { next: last ? { atIso: new Date(last.at).toISOString(), id: Number(last.id) } : after, exhausted: rows.length < request.pageSize, differences: found.length };
  }

  /** Each difference once (INSERT IGNORE on its unique key), with its OPENED line in the case log and its event, in one transaction. */
  async record(runId: number, provider: string, billDate: string, differences: NewDifference[]): Promise<void> {
    if (differences.length === 0) return;
    await runStep(this.dataSource, (manager) => openReconciliationCases(manager, { runId, provider, billDate, actor: SYSTEM_ACTOR }, differences));
  }
}

function describe(kind: DifferenceKind, what: string, billFen: number, ours: { status: string; amountFen: number } | undefined): string {
  switch (kind) {
    case DifferenceKind.STRANDED_PAYMENT:
      return `${what} of ${formatFen(billFen)} CNY is paid at the provider but ${ours ? `${ours.status} here` : 'unknown here'}`;
    case DifferenceKind.REFUND_NOT_RECORDED:
      return `${what} of ${formatFen(billFen)} CNY is refunded at the provider but ${ours ? `${ours.status} here` : 'unknown here'}`;
    case DifferenceKind.AMOUNT_MISMATCH:
      return `${what}: the bill says ${formatFen(billFen)} CNY, we have ${formatFen(ours!.amountFen)} CNY`;
    default:
      return `${what}: ${kind}`;
  }
}
