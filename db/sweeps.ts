import { FlowType, OrderStatus, OrderTimerRule, OrderType, PaymentType, TimerClock } from '../domain';
import type { Queryable } from './queryable';

/**
 * The sweeps' tables, `sweep_run` (its status: RUNNING → COMPLETED, written only here) and
 * `sweep_handover` (an order claimed by a run for a rule and day), and the sweeps' keyset page reads of
 * `orders` and `refund` (read only: the orders' and refunds' workflows write those).
 */

/** The order row's column for each timer clock (domain/order-timers.ts); legacy rows without it fall back to created_at. */
const CLOCK_COLUMN: Record<TimerClock, string> = {
  createdAt: 'created_at',
  shippedAt: 'shipped_at',
  receivedAt: 'received_at',
  paidAt: 'paid_at',
  completedAt: 'completed_at',
};

// The same rule as flowOf(), per flow: group buys are PINTUAN and replacements REPLACEMENT whatever
// their payment type; the rest follow the payment type.
const REPLACEMENT_TYPES_SQL = `('${OrderType.CHANGE}', '${OrderType.SUPPLY_AGAIN}')`;
const FLOW_SQL: Record<FlowType, string> = {
  PINTUAN: `order_type = '${OrderType.PINTUAN}'`,
  REPLACEMENT: `order_type IN ${REPLACEMENT_TYPES_SQL}`,
  COD: `(payment_type = '${PaymentType.COD}' AND order_type <> '${OrderType.PINTUAN}' AND order_type NOT IN ${REPLACEMENT_TYPES_SQL})`,
  ONLINE: `(payment_type <> '${PaymentType.COD}' AND order_type <> '${OrderType.PINTUAN}' AND order_type NOT IN ${REPLACEMENT_TYPES_SQL})`,
};

/** The rows of the flows a timer rule applies to (every flow: no filter). */
function flowFilterSql(flows: readonly FlowType[]): string {
  if (flows.length === Object.keys(FLOW_SQL).length) return '';
  return `AND (${flows.map((flow) => FLOW_SQL[flow]).join(' OR ')})`;
}

/** Records the run once per workflow execution (a retry finds its row) and returns it: id, instant, sweep day. */
export async function beginSweepRunRow(
  db: Queryable,
  run: { sweep: string; workflowId: string; firstRunId: string; dryRun: boolean; sweepDay: string; asOf: Date },
): Promise<{ id: number | string; as_of: Date; sweep_day: string }> {
  await db.query(
    `INSERT IGNORE INTO sweep_run (sweep_name, workflow_id, first_run_id, dry_run, sweep_day, as_of, status, counts_json) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', '{}')`,
    [run.sweep, run.workflowId, run.firstRunId, run.dryRun ? 1 : 0, run.sweepDay, run.asOf],
  );
  const [row] = await db.query('SELECT id, as_of, DATE_FORMAT(sweep_day, ?) AS sweep_day FROM sweep_run WHERE first_run_id = ?', ['%Y-%m-%d', run.firstRunId]);
  return row;
}

/** The run is COMPLETED with its final counts. */
export async function finishSweepRunRow(db: Queryable, sweepRunId: number, tasks: unknown): Promise<void> {
  await db.query(
    `UPDATE sweep_run SET status = 'COMPLETED', counts_json = ?, finished_at = COALESCE(finished_at, CURRENT_TIMESTAMP(3)) WHERE id = ?`,
    [JSON.stringify(tasks), sweepRunId],
  );
}

/** The run's counts so far (an overwrite, so a retried page is harmless). */
export async function writeSweepRunCounts(db: Queryable, sweepRunId: number, totals: unknown): Promise<void> {
  await db.query('UPDATE sweep_run SET counts_json = ? WHERE id = ?', [JSON.stringify(totals), sweepRunId]);
}

/** The latest runs of a sweep, newest first (the admin page). */
export function readRecentSweepRuns(db: Queryable, sweep: string, limit: number): Promise<Record<string, any>[]> {
  return db.query(
    `SELECT id, workflow_id, dry_run, DATE_FORMAT(sweep_day, '%Y-%m-%d') AS sweep_day, as_of, status, started_at, finished_at, counts_json
       FROM sweep_run WHERE sweep_name = ? ORDER BY id DESC LIMIT ?`,
    [sweep, limit],
  );
}

export interface OverdueOrderRow {
  id: number;
  order_sn: string;
  seller_id: number;
  buyer_id: number;
  order_status: OrderStatus;
  payment_type: PaymentType;
  order_type: OrderType;
  order_fen: number;
  paid_fen: number;
  pay_order_no: string | null;
  created_at: Date;
  since: Date;
}

/** One keyset page of orders a timer rule says are overdue (its status, its flows, its clock before the cutoff). */
export function readOverdueOrders(db: Queryable, rule: OrderTimerRule, afterId: number, cutoff: Date, limit: number): Promise<OverdueOrderRow[]> {
  const flowFilter = flowFilterSql(rule.flows);
  const since = `COALESCE(${CLOCK_COLUMN[rule.clock]}, created_at)`;
  return db.query(
    `SELECT id, order_sn, seller_id, buyer_id, order_status, payment_type, order_type, order_fen, paid_fen, pay_order_no, created_at, ${since} AS since
       FROM orders WHERE order_status = ? AND id > ? ${flowFilter} AND ${since} < ? ORDER BY id LIMIT ?`,
    [rule.status, afterId, cutoff, limit],
  );
}

/** One keyset page of completed orders whose window column still holds its open value after the cutoff (from the window's clock). */
export function readOrdersWithOverdueWindow(
  db: Queryable,
  page: { column: string; open: string; clock: TimerClock; afterId: number; cutoff: Date; limit: number },
): Promise<{ id: number; order_sn: string }[]> {
  const clock = `COALESCE(${CLOCK_COLUMN[page.clock]}, completed_at)`;
  return db.query(
    // A legacy row without completed_at is left alone: its windows run from a completion nobody recorded.
    `SELECT id, order_sn FROM orders WHERE order_status = ? AND id > ? AND ${page.column} = ? AND completed_at IS NOT NULL AND ${clock} < ? ORDER BY id LIMIT ?`,
    [OrderStatus.COMPLETE, page.afterId, page.open, page.cutoff, page.limit],
  );
}

/** Which of these orders are handed over today for the rule, and by which run. */
export function readHandovers(db: Queryable, sweepDay: string, ruleKey: string, orderSns: string[]): Promise<{ order_sn: string; sweep_run_id: number }[]> {
  return db.query('SELECT order_sn, sweep_run_id FROM sweep_handover WHERE sweep_day = ? AND rule_key = ? AND order_sn IN (?)', [sweepDay, ruleKey, orderSns]);
}

/** Claims orders for the run (INSERT IGNORE: a concurrent run that claimed first keeps the order). */
export async function claimHandovers(db: Queryable, sweepDay: string, ruleKey: string, sweepRunId: number, orders: { order_sn: string; id: number }[]): Promise<void> {
  await db.query('INSERT IGNORE INTO sweep_handover (sweep_day, rule_key, order_sn, order_id, sweep_run_id) VALUES ?', [orders.map((r) => [sweepDay, ruleKey, r.order_sn, r.id, sweepRunId])]);
}

/** Releases the run's claim of an order (the next run tries it again). */
export async function releaseHandover(db: Queryable, sweepDay: string, ruleKey: string, orderSn: string, sweepRunId: number): Promise<void> {
  await db.query('DELETE FROM sweep_handover WHERE sweep_day = ? AND rule_key = ? AND order_sn = ? AND sweep_run_id = ?', [sweepDay, ruleKey, orderSn, sweepRunId]);
}

/** How many orders the run handed over for the rule in an id range. */
export async function countHandedOverInRange(db: Queryable, sweepRunId: number, ruleKey: string, afterId: number, lastId: number): Promise<number | string> {
  const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM sweep_handover WHERE sweep_run_id = ? AND rule_key = ? AND order_id > ? AND order_id <= ?', [sweepRunId, ruleKey, afterId, lastId]);
  return n;
}

/** How many orders the run handed over for the rule are still in the rule's status (not yet moved on by their workflow). */
export async function countHandedOverNotMoved(db: Queryable, sweepRunId: number, rule: OrderTimerRule): Promise<number | string> {
  const [{ n }] = await db.query(
    'SELECT COUNT(*) AS n FROM sweep_handover h JOIN orders o ON o.order_sn = h.order_sn WHERE h.sweep_run_id = ? AND h.rule_key = ? AND o.order_status = ?',
    [sweepRunId, rule.key, rule.status],
  );
  return n;
}

/** One keyset page of refunds PROCESSING since before the cutoff (the refund-status check). */
export function readLongProcessingRefunds(db: Queryable, afterId: number, cutoff: Date, limit: number): Promise<{ id: number; refund_sn: string; order_sn: string; cause_key: string; status: string }[]> {
  return db.query(
    `SELECT id, refund_sn, order_sn, cause_key, status FROM refund
       WHERE status = 'PROCESSING' AND id > ? AND COALESCE(submitted_at, created_at) < ? ORDER BY id LIMIT ?`,
    [afterId, cutoff, limit],
  );
}
