/**
 * The comparison pages of a reconciliation run: the downloaded bill (reconciliation_bill_row) against
 * our payment and refund rows, one bounded query per page, each difference recorded once as a support
 * case (unique per provider, day, kind and payment/refund, with its OPENED line in the case log).
 */
import type { DataSource } from 'typeorm';
import { DifferenceKind, chinaDayWindow, compareBillEntry, formatFen } from '../domain';
import { runStep } from '../db/business-events';
import { NewCase, openReconciliationCases } from '../db/reconciliation-cases';

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

interface BillRowJoined {
  line_no: number;
  kind: 'PAYMENT' | 'REFUND';
  out_trade_no: string;
  out_refund_no: string;
  transaction_id: string;
  amount_fen: number | string;
  payment_status: string | null;
  payment_fen: number | null;
  payment_order: string | null;
  refund_status: string | null;
  refund_fen: number | null;
  refund_order: string | null;
  first_line: number;
  recorded_kind: string | null;
}

/** P:{out_trade_no} for payments, R:{out_refund_no} for refunds: what a case is about. */
export const refKeyOf = (kind: 'PAYMENT' | 'REFUND', outTradeNo: string, outRefundNo: string) => (kind === 'PAYMENT' ? `P:${outTradeNo}` : `R:${outRefundNo}`);

export class ReconciliationCompare {
  constructor(private readonly dataSource: DataSource) {}

  /** One page of bill rows, each matched against our record by out_trade_no / refund number. */
  async compareBillPage(request: ComparePageRequest): Promise<ComparePageResult> {
    const rows: BillRowJoined[] = await this.dataSource.query(
      `SELECT b.line_no, b.kind, b.out_trade_no, b.out_refund_no, b.transaction_id, b.amount_fen,
              p.status AS payment_status, p.amount_fen AS payment_fen, p.order_sn AS payment_order,
              r.status AS refund_status, r.refund_fen AS refund_fen, r.order_sn AS refund_order,
              CASE WHEN b.kind = 'PAYMENT'
                THEN (SELECT MIN(d.line_no) FROM reconciliation_bill_row d WHERE d.run_id = b.run_id AND d.kind = 'PAYMENT' AND d.out_trade_no = b.out_trade_no)
                ELSE (SELECT MIN(d.line_no) FROM reconciliation_bill_row d WHERE d.run_id = b.run_id AND d.kind = 'REFUND' AND d.out_refund_no = b.out_refund_no)
              END AS first_line,
              (SELECT x.kind FROM reconciliation_difference x
                WHERE x.provider = ? AND x.bill_date = ? AND x.kind <> 'DUPLICATE'
                  AND x.ref_key = IF(b.kind = 'PAYMENT', CONCAT('P:', b.out_trade_no), CONCAT('R:', b.out_refund_no)) LIMIT 1) AS recorded_kind
         FROM reconciliation_bill_row b
         LEFT JOIN payment p ON b.kind = 'PAYMENT' AND p.out_trade_no = b.out_trade_no AND p.provider = ?
         LEFT JOIN refund r ON b.kind = 'REFUND' AND r.refund_sn = b.out_refund_no AND r.provider = ?
        WHERE b.run_id = ? AND b.line_no > ?
        ORDER BY b.line_no
        LIMIT ?`,
      [request.provider, request.billDate, request.provider, request.provider, request.runId, request.afterLineNo, request.pageSize],
    );
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
    const rows: { id: number; at: Date; out_trade_no: string; refund_sn?: string; order_sn: string; amount_fen: number; transaction_id: string | null; on_bill: number }[] = await this.dataSource.query(
      payments
        ? `SELECT p.id, p.paid_at AS at, p.out_trade_no, p.order_sn, p.amount_fen, p.transaction_id,
                  EXISTS (SELECT 1 FROM reconciliation_bill_row b WHERE b.run_id = ? AND b.kind = 'PAYMENT' AND b.out_trade_no = p.out_trade_no) AS on_bill
             FROM payment p
            WHERE p.provider = ? AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') AND p.paid_at >= ? AND p.paid_at < ? AND (p.paid_at > ? OR p.id > ?)
            ORDER BY p.paid_at, p.id LIMIT ?`
        : `SELECT r.id, r.succeeded_at AS at, r.out_trade_no, r.refund_sn, r.order_sn, r.refund_fen AS amount_fen, r.provider_refund_id AS transaction_id,
                  EXISTS (SELECT 1 FROM reconciliation_bill_row b WHERE b.run_id = ? AND b.kind = 'REFUND' AND b.out_refund_no = r.refund_sn) AS on_bill
             FROM refund r
            WHERE r.provider = ? AND r.status = 'SUCCESS' AND r.succeeded_at >= ? AND r.succeeded_at < ? AND (r.succeeded_at > ? OR r.id > ?)
            ORDER BY r.succeeded_at, r.id LIMIT ?`,
      [request.runId, request.provider, afterAt < start ? start : afterAt, end, afterAt, after.id, request.pageSize],
    );
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
