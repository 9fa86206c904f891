import type { BillRow } from '../payments';
import type { Queryable } from './queryable';

/**
 * The reconciliation run (`reconciliation_run`: RUNNING → DONE, written only here) and its downloaded
 * bill (`reconciliation_bill_row`), and the comparison's page reads of the bill against our `payment`
 * and `refund` rows (read only). Differences are written by db/reconciliation-cases.ts.
 */

/** Starts (or restarts) the day's run; run_count counts executions, not attempts. Returns its id. */
export async function beginReconciliationRun(db: Queryable, run: { provider: string; billDate: string; workflowId: string; executionId: string }): Promise<number> {
  await db.query(
    `INSERT INTO reconciliation_run (provider, bill_date, status, workflow_id, last_execution_id) VALUES (?, ?, 'RUNNING', ?, ?)
       ON DUPLICATE KEY UPDATE run_count = run_count + IF(last_execution_id = VALUES(last_execution_id), 0, 1),
         last_execution_id = VALUES(last_execution_id), workflow_id = VALUES(workflow_id), status = 'RUNNING', finished_at = NULL`,
    [run.provider, run.billDate, run.workflowId, run.executionId],
  );
  const [row] = await db.query('SELECT id FROM reconciliation_run WHERE provider = ? AND bill_date = ?', [run.provider, run.billDate]);
  return Number(row.id);
}

/** Deletes up to 10,000 of the run's bill rows (a previous download); returns how many went. */
export async function deleteBillRowsBatch(db: Queryable, runId: number): Promise<number> {
  const deleted = await db.query('DELETE FROM reconciliation_bill_row WHERE run_id = ? LIMIT 10000', [runId]);
  return deleted.affectedRows;
}

/** A batch of the bill's rows. */
export async function insertBillRows(db: Queryable, runId: number, batch: BillRow[]): Promise<void> {
  await db.query(
    `INSERT INTO reconciliation_bill_row (run_id, line_no, kind, out_trade_no, out_refund_no, transaction_id, provider_refund_id, amount_fen, booked_at) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    batch.flatMap((r) => [runId, r.lineNo, r.kind, r.outTradeNo, r.outRefundNo ?? '', r.transactionId, r.providerRefundId ?? null, r.amountFen, new Date(r.bookedAt)]),
  );
}

/** Fresh index statistics of the bill rows (the table just grew by a whole bill). */
export async function analyzeBillRows(db: Queryable): Promise<void> {
  await db.query('ANALYZE TABLE reconciliation_bill_row');
}

/** The bill's digest and totals on the run. */
export async function setRunBillTotals(db: Queryable, runId: number, digest: string | null, t: { payments: number; paymentFen: number; refunds: number; refundFen: number }): Promise<void> {
  await db.query(
    'UPDATE reconciliation_run SET bill_digest = ?, bill_payments = ?, bill_payment_fen = ?, bill_refunds = ?, bill_refund_fen = ? WHERE id = ?',
    [digest, t.payments, t.paymentFen, t.refunds, t.refundFen, runId],
  );
}

/** How many differences of the day there are, per kind. */
export function countDifferencesByKind(db: Queryable, provider: string, billDate: string): Promise<{ kind: string; n: number | string }[]> {
  return db.query('SELECT kind, COUNT(*) AS n FROM reconciliation_difference WHERE provider = ? AND bill_date = ? GROUP BY kind ORDER BY kind', [provider, billDate]);
}

/** The run is DONE with its counts. */
export async function finishReconciliationRun(db: Queryable, runId: number, counts: { matched: number; matchedFen: number; differenceCount: number }): Promise<void> {
  await db.query(
    `UPDATE reconciliation_run SET status = 'DONE', matched_count = ?, matched_fen = ?, difference_count = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE id = ?`,
    [counts.matched, counts.matchedFen, counts.differenceCount, runId],
  );
}

/** One page of the run's open stranded-payment cases with our payment (if any). */
export function readStrandedPaymentCases(db: Queryable, page: { runId: number; kind: string; status: string; afterId: number; limit: number }): Promise<{ id: number; out_trade_no: string; order_sn: string | null; trade_sn: string | null; amount_fen: number | null }[]> {
  return db.query(
    `SELECT d.id, d.out_trade_no, p.order_sn, p.trade_sn, p.amount_fen
         FROM reconciliation_difference d LEFT JOIN payment p ON p.out_trade_no = d.out_trade_no AND p.provider = d.provider
        WHERE d.run_id = ? AND d.kind = ? AND d.status = ? AND d.id > ? ORDER BY d.id LIMIT ?`,
    [page.runId, page.kind, page.status, page.afterId, page.limit],
  );
}

export interface BillRowJoined {
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

/** One page of bill rows, each joined with our payment / refund, its first line and the case already recorded for it. */
export function readBillPage(db: Queryable, page: { provider: string; billDate: string; runId: number; afterLineNo: number; pageSize: number }): Promise<BillRowJoined[]> {
  return db.query(
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
    [page.provider, page.billDate, page.provider, page.provider, page.runId, page.afterLineNo, page.pageSize],
  );
}

export interface OurSideRow {
  id: number;
  at: Date;
  out_trade_no: string;
  refund_sn?: string;
  order_sn: string;
  amount_fen: number;
  transaction_id: string | null;
  on_bill: number;
}

/** One keyset page of our payments (or successful refunds) of the day's window, each with whether the bill lists it. */
export function readOurSidePage(
  db: Queryable,
  page: { payments: boolean; runId: number; provider: string; from: Date; end: Date; afterAt: Date; afterId: number; pageSize: number },
): Promise<OurSideRow[]> {
  return db.query(
    page.payments
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
    [page.runId, page.provider, page.from, page.end, page.afterAt, page.afterId, page.pageSize],
  );
}
