import { OrderOutStatus, type OrderOutType } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `order_out_status` table: whether the order's stock of one kind was taken. Inserted WAIT in the
 * transaction that writes the order and reserves its stock (checkout, a linked order); moved once,
 * WAIT → SUCCESS / FAIL, by the order workflow's confirming step (activities/order-transitions.ts).
 */

/** The order's out-status row of its kind, WAIT, once. */
export async function insertOrderOutWait(manager: Queryable, orderSn: string, outType: OrderOutType): Promise<void> {
  await manager.query('INSERT IGNORE INTO order_out_status (order_sn, out_type, out_status) VALUES (?, ?, ?)', [orderSn, outType, OrderOutStatus.WAIT]);
}

/**
 * WAIT → SUCCESS when every line of the order has its RESERVE in the stock ledger, else FAIL with the
 * lines that have none. Only from WAIT, so a retried step changes nothing.
 */
export async function settleOrderOutStatus(manager: Queryable, orderSn: string): Promise<void> {
  const missing: { sku_id: number; num: number }[] = await manager.query(
    `SELECT i.sku_id, i.num FROM order_item i
      WHERE i.order_sn = ? AND NOT EXISTS (SELECT 1 FROM stock_movement m WHERE m.order_sn = i.order_sn AND m.sku_id = i.sku_id AND m.kind = 'RESERVE')`,
    [orderSn],
  );
  const status = missing.length === 0 ? OrderOutStatus.SUCCESS : OrderOutStatus.FAIL;
  const reason = missing.length === 0 ? null : `no stock reserved for ${missing.map((m) => `SKU ${m.sku_id} × ${m.num}`).join(', ')}`.slice(0, 255);
  await moveFromWait(manager, orderSn, undefined, status, reason);
}

/** The one move of the table: WAIT → SUCCESS / FAIL (one kind, or every kind of the order), never back. */
async function moveFromWait(manager: Queryable, orderSn: string, outType: OrderOutType | undefined, status: OrderOutStatus, reason: string | null): Promise<void> {
  await manager.query(
    `UPDATE order_out_status SET out_status = ?, reason = ? WHERE order_sn = ? ${outType ? 'AND out_type = ?' : ''} AND out_status = ?`,
    outType ? [status, reason, orderSn, outType, OrderOutStatus.WAIT] : [status, reason, orderSn, OrderOutStatus.WAIT],
  );
}

/**
 * WAIT → FAIL with the reason, for an order whose stock of this kind could not be taken where it is
 * taken outside the ledger (a group-buy activity's quota, db/group-buy-activities.ts). Only from WAIT.
 */
export async function failOrderOutStatus(manager: Queryable, orderSn: string, outType: OrderOutType, reason: string): Promise<void> {
  await moveFromWait(manager, orderSn, outType, OrderOutStatus.FAIL, reason.slice(0, 255));
}

/** The order's out-status rows, for GET /orders/{sn}. */
export async function readOrderOutStatus(db: Queryable, orderSn: string): Promise<{ outType: string; outStatus: string; reason: string | null; updatedAt: Date }[]> {
  const rows: { out_type: string; out_status: string; reason: string | null; updated_at: Date }[] = await db.query(
    'SELECT out_type, out_status, reason, updated_at FROM order_out_status WHERE order_sn = ? ORDER BY out_type',
    [orderSn],
  );
  return rows.map((r) => ({ outType: r.out_type, outStatus: r.out_status, reason: r.reason, updatedAt: r.updated_at }));
}
