import { GroupBuyActivityStatus, type GroupBuyActivityTerms, type GroupBuyActivityView } from '../domain';
import { businessEvent, eventActor, type EventActor, type GroupBuyActivityPayload } from '../domain/events';
import { emitEvent } from './business-events';
import type { Queryable } from './queryable';

/**
 * The repository of `group_buy_activity` and its quota log `group_buy_activity_quota` (migration
 * 1732000001300): every write to either is here. A business change is one guarded path in the
 * caller's step (runStep): the conditional update of the activity row, the quota log row and the
 * business event, in one transaction.
 *
 * - The terms are written once (createActivity); only `status` (endActivity) and `taken_units` move.
 * - `taken_units` moves only by takeQuota (`taken_units + n <= quota_units` in the UPDATE itself, so
 *   concurrent joins never oversell) and returnQuota (once per order: `returned_at IS NULL` guards it).
 */

export interface GroupBuyActivity extends GroupBuyActivityView {
  id: number;
  sellerId: string;
  createdAt: Date;
}

const COLUMNS = `id, seller_id, sku_id, group_price_fen, group_size, starts_at, ends_at, form_within_ms, quota_units,
  taken_units, limit_per_buyer, auto_form, status, created_at`;

interface ActivityRow {
  id: string | number;
  seller_id: string | number;
  sku_id: string | number;
  group_price_fen: number;
  group_size: number;
  starts_at: Date;
  ends_at: Date;
  form_within_ms: number;
  quota_units: number;
  taken_units: number;
  limit_per_buyer: number;
  auto_form: number;
  status: string;
  created_at: Date;
}

function activityOf(row: ActivityRow): GroupBuyActivity {
  return {
    id: Number(row.id),
    sellerId: String(row.seller_id),
    skuId: Number(row.sku_id),
    groupPriceFen: row.group_price_fen,
    groupSize: row.group_size,
    startsAtMs: new Date(row.starts_at).getTime(),
    endsAtMs: new Date(row.ends_at).getTime(),
    formWithinMs: row.form_within_ms,
    quotaUnits: row.quota_units,
    takenUnits: row.taken_units,
    limitPerBuyer: row.limit_per_buyer,
    autoForm: Boolean(row.auto_form),
    status: row.status,
    createdAt: new Date(row.created_at),
  };
}

function activityPayload(activity: GroupBuyActivity, actor: EventActor): GroupBuyActivityPayload {
  return {
    activityId: activity.id, skuId: activity.skuId, groupPriceFen: activity.groupPriceFen, groupSize: activity.groupSize,
    startsAt: new Date(activity.startsAtMs).toISOString(), endsAt: new Date(activity.endsAtMs).toISOString(), formWithinMs: activity.formWithinMs,
    quotaUnits: activity.quotaUnits, takenUnits: activity.takenUnits, limitPerBuyer: activity.limitPerBuyer, autoForm: activity.autoForm, status: activity.status, actor,
  };
}

/** A new activity, ACTIVE, with its `group_buy_activity.created` event (in the caller's step). */
export async function createActivity(manager: Queryable, sellerId: string, terms: GroupBuyActivityTerms): Promise<GroupBuyActivity> {
  const inserted = await manager.query(
    `INSERT INTO group_buy_activity (seller_id, sku_id, group_price_fen, group_size, starts_at, ends_at, form_within_ms, quota_units, limit_per_buyer, auto_form, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [sellerId, terms.skuId, terms.groupPriceFen, terms.groupSize, new Date(terms.startsAtMs), new Date(terms.endsAtMs), terms.formWithinMs, terms.quotaUnits, terms.limitPerBuyer, terms.autoForm ? 1 : 0, GroupBuyActivityStatus.ACTIVE],
  );
  const activity = (await findActivity(manager, inserted.insertId))!;
  emitEvent(manager, businessEvent({ type: 'group_buy_activity', id: activity.id, sellerId, orderSn: null }, { type: 'group_buy_activity.created', key: 'created', payload: activityPayload(activity, eventActor('SELLER', sellerId)) }));
  return activity;
}

export async function findActivity(db: Queryable, activityId: number | string): Promise<GroupBuyActivity | undefined> {
  const [row]: ActivityRow[] = await db.query(`SELECT ${COLUMNS} FROM group_buy_activity WHERE id = ?`, [activityId]);
  return row && activityOf(row);
}

/** The activity, locked for the rest of the caller's transaction (a join decides its rules under this lock). */
export async function lockActivity(manager: Queryable, activityId: number | string): Promise<GroupBuyActivity | undefined> {
  const [row]: ActivityRow[] = await manager.query(`SELECT ${COLUMNS} FROM group_buy_activity WHERE id = ? FOR UPDATE`, [activityId]);
  return row && activityOf(row);
}

/** A seller's activities, newest first; `before` is the last id of the previous page. */
export async function listActivities(db: Queryable, sellerId: string, limit: number, before?: string): Promise<GroupBuyActivity[]> {
  const rows: ActivityRow[] = await db.query(
    `SELECT ${COLUMNS} FROM group_buy_activity WHERE seller_id = ? ${before ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
    before ? [sellerId, before, limit] : [sellerId, limit],
  );
  return rows.map(activityOf);
}

/** ACTIVE → ENDED by its seller (compare-and-set + event); false when it was ended already. */
export async function endActivity(manager: Queryable, activityId: number, sellerId: string): Promise<boolean> {
  const moved = await manager.query('UPDATE group_buy_activity SET status = ? WHERE id = ? AND seller_id = ? AND status = ?', [GroupBuyActivityStatus.ENDED, activityId, sellerId, GroupBuyActivityStatus.ACTIVE]);
  if (moved.affectedRows !== 1) return false;
  const activity = (await findActivity(manager, activityId))!;
  emitEvent(manager, businessEvent({ type: 'group_buy_activity', id: activityId, sellerId, orderSn: null }, { type: 'group_buy_activity.ended', key: 'ended', payload: activityPayload(activity, eventActor('SELLER', sellerId)) }));
  return true;
}

/**
 * Units the buyer holds in the activity (taken, not given back). A locking read, so under the
 * activity's lock it sees every committed join of the same buyer, not the transaction's snapshot.
 */
export async function buyerUnitsTaken(manager: Queryable, activityId: number, buyerId: string): Promise<number> {
  const [row] = await manager.query(
    'SELECT COALESCE(SUM(units), 0) AS units FROM group_buy_activity_quota WHERE activity_id = ? AND buyer_id = ? AND returned_at IS NULL LOCK IN SHARE MODE',
    [activityId, buyerId],
  );
  return Number(row.units);
}

/**
 * Takes `units` of the activity's quota for the order: `UPDATE … SET taken_units = taken_units + n
 * WHERE taken_units + n <= quota_units` (the row's own guard: two concurrent joins can never both take
 * the last unit), the order's quota log row and `group_buy_activity.quota_taken`. False when the quota
 * has fewer units left (nothing written).
 */
export async function takeQuota(manager: Queryable, request: { activityId: number; sellerId: string; orderSn: string; buyerId: string; units: number }): Promise<boolean> {
  const { activityId, orderSn, buyerId, units } = request;
  const moved = await manager.query(
    'UPDATE group_buy_activity SET taken_units = taken_units + ? WHERE id = ? AND status = ? AND taken_units + ? <= quota_units',
    [units, activityId, GroupBuyActivityStatus.ACTIVE, units],
  );
  if (moved.affectedRows !== 1) return false;
  await manager.query('INSERT INTO group_buy_activity_quota (order_sn, activity_id, buyer_id, units) VALUES (?, ?, ?, ?)', [orderSn, activityId, buyerId, units]);
  const [after] = await manager.query('SELECT taken_units, quota_units FROM group_buy_activity WHERE id = ?', [activityId]);
  emitEvent(manager, businessEvent(
    { type: 'group_buy_activity', id: activityId, sellerId: request.sellerId, orderSn },
    { type: 'group_buy_activity.quota_taken', key: `quota:${orderSn}:taken`, payload: { activityId, orderSn, buyerId: String(buyerId), units, takenUnits: after.taken_units, quotaUnits: after.quota_units, actor: eventActor('BUYER', buyerId) } },
  ));
  return true;
}

/**
 * Gives the order's units back to its activity, once: the quota log row's `returned_at IS NULL →
 * now` is the guard (a retried cancellation step, or a second cause, finds it set and changes
 * nothing), then `taken_units - n` and `group_buy_activity.quota_returned`. Returns the units given
 * back (0: the order took none, or gave them back already).
 */
export async function returnQuota(manager: Queryable, orderSn: string, actor: EventActor): Promise<number> {
  // The activity's row is locked before the quota row, the order every join takes them in (no lock-order cycle with a join of the same buyer).
  const [taken] = await manager.query('SELECT activity_id, buyer_id, units FROM group_buy_activity_quota WHERE order_sn = ?', [orderSn]);
  if (!taken) return 0;
  await manager.query('SELECT id FROM group_buy_activity WHERE id = ? FOR UPDATE', [taken.activity_id]);
  const marked = await manager.query('UPDATE group_buy_activity_quota SET returned_at = CURRENT_TIMESTAMP(3) WHERE order_sn = ? AND returned_at IS NULL', [orderSn]);
  if (marked.affectedRows !== 1) return 0;
  await manager.query('UPDATE group_buy_activity SET taken_units = taken_units - ? WHERE id = ? AND taken_units >= ?', [taken.units, taken.activity_id, taken.units]);
  const [after] = await manager.query('SELECT seller_id, taken_units, quota_units FROM group_buy_activity WHERE id = ?', [taken.activity_id]);
  const activityId = Number(taken.activity_id);
  emitEvent(manager, businessEvent(
    { type: 'group_buy_activity', id: activityId, sellerId: String(after.seller_id), orderSn },
    { type: 'group_buy_activity.quota_returned', key: `quota:${orderSn}:returned`, payload: { activityId, orderSn, buyerId: String(taken.buyer_id), units: taken.units, takenUnits: after.taken_units, quotaUnits: after.quota_units, actor } },
  ));
  return taken.units;
}

/** The order's quota row, for its page and the tests' books: units, and whether they went back. */
export async function readOrderQuota(db: Queryable, orderSn: string): Promise<{ activityId: number; units: number; returned: boolean } | undefined> {
  const [row] = await db.query('SELECT activity_id, units, returned_at FROM group_buy_activity_quota WHERE order_sn = ?', [orderSn]);
  return row && { activityId: Number(row.activity_id), units: row.units, returned: row.returned_at !== null };
}
