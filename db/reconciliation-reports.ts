import type { Queryable } from './queryable';

/**
 * Support's and finance's reads of the reconciliation tables (runs, differences, case logs). Read only:
 * runs and bill rows are written by db/reconciliation.ts, cases by db/reconciliation-cases.ts.
 */

const DIFFERENCE_COLUMNS = `id, provider, DATE_FORMAT(bill_date, '%Y-%m-%d') AS billDate, kind, out_trade_no AS outTradeNo, out_refund_no AS outRefundNo,
  transaction_id AS transactionId, order_sn AS orderSn, provider_fen AS providerFen, our_fen AS ourFen, detail, status, auto_fix AS autoFix,
  resolution_note AS resolutionNote, resolved_by AS resolvedBy, resolved_at AS resolvedAt, created_at AS createdAt`;

/**
 * One page of runs, newest day first then by provider (one run row per provider and day, so the
 * order is total): those after `after` (the previous page's last day and provider), at most `take`,
 * narrowed to a provider and a day range when given.
 */
export function readReconciliationRuns(
  db: Queryable,
  filter: { provider?: string; from?: string; to?: string },
  page: { after?: { billDate: string; provider: string }; take: number },
): Promise<Record<string, unknown>[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    where.push(condition);
    params.push(value);
  };
  if (filter.provider) add('provider = ?', filter.provider);
  if (filter.from) add('bill_date >= ?', filter.from);
  if (filter.to) add('bill_date <= ?', filter.to);
  if (page.after) {
    where.push('(bill_date < ? OR (bill_date = ? AND provider > ?))');
    params.push(page.after.billDate, page.after.billDate, page.after.provider);
  }
  return db.query(
    `SELECT id, provider, DATE_FORMAT(bill_date, '%Y-%m-%d') AS billDate, status, workflow_id AS workflowId, run_count AS runCount,
              bill_payments AS billPayments, bill_payment_fen AS billPaymentFen, bill_refunds AS billRefunds, bill_refund_fen AS billRefundFen,
              matched_count AS matched, matched_fen AS matchedFen, difference_count AS differences,
              (SELECT COUNT(*) FROM reconciliation_difference d WHERE d.provider = r.provider AND d.bill_date = r.bill_date AND d.status = 'OPEN') AS openDifferences,
              started_at AS startedAt, finished_at AS finishedAt
         FROM reconciliation_run r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY bill_date DESC, provider LIMIT ?`,
    [...params, page.take],
  );
}

/** One page of differences in a status, oldest first (id ascending): ids above `afterId`, at most `take`, narrowed to a provider, a day and a kind when given. */
export function readDifferences(db: Queryable, filter: { status: string; provider?: string; billDate?: string; kind?: string }, page: { afterId: number; take: number }): Promise<Record<string, unknown>[]> {
  const where = ['status = ?'];
  const params: unknown[] = [filter.status];
  for (const [column, value] of [['provider', filter.provider], ['bill_date', filter.billDate], ['kind', filter.kind]] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  return db.query(`SELECT ${DIFFERENCE_COLUMNS} FROM reconciliation_difference WHERE ${where.join(' AND ')} AND id > ? ORDER BY id LIMIT ?`, [...params, page.afterId, page.take]);
}

/** One difference, or undefined. */
export async function readDifference(db: Queryable, id: number): Promise<Record<string, unknown> | undefined> {
  const [row] = await db.query(`SELECT ${DIFFERENCE_COLUMNS} FROM reconciliation_difference WHERE id = ?`, [id]);
  return row;
}

/** A difference's case log, oldest first. */
export function readCaseLog(db: Queryable, id: number): Promise<Record<string, unknown>[]> {
  return db.query('SELECT action, actor, note, created_at AS at FROM reconciliation_case_log WHERE difference_id = ? ORDER BY id', [id]);
}
