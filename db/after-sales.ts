import { AFTER_SALE_RELEASED, Actor, AfterSaleStatus, ServiceType } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `after_sale`, `after_sale_item` and `after_sale_log` tables: the API records an application here
 * (APPLY, its lines, log row 0) and its stored answer; every later status is the after-sale workflow's
 * step (db/after-sale-steps.ts). The rest reads.
 */

/** The application already recorded under this buyer's idempotency key, if any. */
export async function findAfterSaleByIdempotencyKey(manager: Queryable, buyerId: string, idempotencyKey: string): Promise<{ service_sn: string; request_hash: string; response_json: unknown } | undefined> {
  const [existing] = await manager.query('SELECT service_sn, request_hash, response_json FROM after_sale WHERE buyer_id = ? AND idempotency_key = ?', [buyerId, idempotencyKey]);
  return existing;
}

/** Units of each order line held by after-sales that have not released them (the per-line quantity limit). */
export function readUnitsHeldByAfterSales(manager: Queryable, orderSn: string): Promise<{ order_item_id: number; n: number | string }[]> {
  return manager.query(
    `SELECT i.order_item_id, SUM(i.num) AS n FROM after_sale_item i JOIN after_sale a ON a.service_sn = i.service_sn
       WHERE i.order_sn = ? AND a.status NOT IN (?) GROUP BY i.order_item_id`,
    [orderSn, AFTER_SALE_RELEASED],
  );
}

export interface AfterSaleApplication {
  serviceSn: string;
  orderSn: string;
  sellerId: string | number;
  buyerId: string | number;
  serviceType: ServiceType;
  reason: string;
  description: string | null;
  requestedFen: number;
  idempotencyKey: string;
  requestHash: string;
}

/** The application at APPLY, then its lines, then its log row 0 (the buyer's APPLY), in that order. */
export async function insertAfterSaleApplication(
  manager: Queryable,
  app: AfterSaleApplication,
  lines: { orderItemId: number; skuId: number; name: string; num: number; amountFen: number }[],
  message: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO after_sale (service_sn, order_sn, seller_id, buyer_id, service_type, status, reason, description, requested_fen, idempotency_key, request_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [app.serviceSn, app.orderSn, app.sellerId, app.buyerId, app.serviceType, AfterSaleStatus.APPLY, app.reason, app.description, app.requestedFen, app.idempotencyKey, app.requestHash],
  );
  for (const line of lines) {
    await manager.query('INSERT INTO after_sale_item (service_sn, order_sn, order_item_id, sku_id, name, num, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      app.serviceSn, app.orderSn, line.orderItemId, line.skuId, line.name, line.num, line.amountFen,
    ]);
  }
  await manager.query('INSERT INTO after_sale_log (service_sn, seq, action, old_status, new_status, actor_role, actor_id, message) VALUES (?, 0, ?, NULL, ?, ?, ?, ?)', [
    app.serviceSn, 'APPLY', AfterSaleStatus.APPLY, Actor.BUYER, app.buyerId, message.slice(0, 500),
  ]);
}

/** The row and its lines the after-sale workflow's input is built from. */
export async function readAfterSaleForInput(manager: Queryable, serviceSn: string): Promise<{ row: Record<string, any>; items: Record<string, any>[] }> {
  const [row] = await manager.query('SELECT * FROM after_sale WHERE service_sn = ?', [serviceSn]);
  const items = await manager.query('SELECT order_item_id, sku_id, name, num, amount_fen FROM after_sale_item WHERE service_sn = ? ORDER BY order_item_id', [serviceSn]);
  return { row, items };
}

/** Keeps the first final answer of an application (a retry replays it) and returns the one stored. */
export async function storeAfterSaleAnswer<T>(db: Queryable, serviceSn: string, answer: T): Promise<T> {
  await db.query('UPDATE after_sale SET response_json = COALESCE(response_json, ?) WHERE service_sn = ?', [JSON.stringify(answer), serviceSn]);
  const [stored] = await db.query('SELECT response_json FROM after_sale WHERE service_sn = ?', [serviceSn]);
  return (typeof stored.response_json === 'string' ? JSON.parse(stored.response_json) : stored.response_json) as T;
}

/** One after-sale row, narrowed to its buyer or seller when given; undefined when not found or not theirs. */
export async function findAfterSale(db: Queryable, serviceSn: string, party: { buyerId?: string; sellerId?: string }): Promise<Record<string, any> | undefined> {
  const where = ['service_sn = ?'];
  const params: unknown[] = [serviceSn];
  if (party.buyerId !== undefined) (where.push('buyer_id = ?'), params.push(party.buyerId));
  if (party.sellerId !== undefined) (where.push('seller_id = ?'), params.push(party.sellerId));
  const [row] = await db.query(`SELECT * FROM after_sale WHERE ${where.join(' AND ')}`, params);
  return row;
}

/** The after-sales of an order, oldest first. */
export async function listAfterSaleSnsOfOrder(db: Queryable, orderSn: string): Promise<string[]> {
  const rows: { service_sn: string }[] = await db.query('SELECT service_sn FROM after_sale WHERE order_sn = ? ORDER BY id', [orderSn]);
  return rows.map((r) => r.service_sn);
}

/** The newest 100 after-sales in a status (support's list). */
export async function listAfterSaleSnsByStatus(db: Queryable, status: string): Promise<string[]> {
  const rows: { service_sn: string }[] = await db.query('SELECT service_sn FROM after_sale WHERE status = ? ORDER BY id DESC LIMIT 100', [status]);
  return rows.map((r) => r.service_sn);
}

/** An order's after-sales in brief (the order's page). */
export function readAfterSaleSummariesOfOrder(db: Queryable, orderSn: string): Promise<Record<string, any>[]> {
  return db.query('SELECT service_sn, service_type, status, requested_fen, agreed_fen, refunded_fen, linked_order_sn, created_at FROM after_sale WHERE order_sn = ? ORDER BY id', [orderSn]);
}

/** An after-sale as described: its row, then (at once) its lines, its log and its refunds. */
export async function readAfterSaleDetail(db: Queryable, serviceSn: string): Promise<{ row: Record<string, any>; items: any[]; log: any[]; refunds: any[] }> {
  const [row] = await db.query('SELECT * FROM after_sale WHERE service_sn = ?', [serviceSn]);
  const [items, log, refunds] = await Promise.all([
    db.query('SELECT order_item_id, sku_id, name, num, amount_fen, good_num, damaged_num FROM after_sale_item WHERE service_sn = ? ORDER BY order_item_id', [serviceSn]),
    db.query('SELECT seq, action, old_status, new_status, actor_role, actor_id, message, created_at FROM after_sale_log WHERE service_sn = ? ORDER BY seq', [serviceSn]),
    db.query('SELECT refund_sn, status, refund_fen, provider, created_at FROM refund WHERE cause_key LIKE ? ORDER BY id', [`after-sale:${serviceSn}:%`]),
  ]);
  return { row, items, log, refunds };
}
