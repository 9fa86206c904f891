import type { Queryable } from './queryable';

/** Read-only: the after-sale pages' and the deadline sweep's reads of `after_sale` (its writes: db/after-sales.ts). */

/** One after-sale row, narrowed to its buyer or seller when given; undefined when not found or not theirs. */
export async function findAfterSale(db: Queryable, serviceSn: string, party: { buyerId?: string; sellerId?: string }): Promise<Record<string, any> | undefined> {
  const where = ['service_sn = ?'];
  const params: unknown[] = [serviceSn];
  if (party.buyerId !== undefined) (where.push('buyer_id = ?'), params.push(party.buyerId));
  if (party.sellerId !== undefined) (where.push('seller_id = ?'), params.push(party.sellerId));
  const [row] = await db.query(`SELECT * FROM after_sale WHERE ${where.join(' AND ')}`, params);
  return row;
}

/** One page of an order's after-sales, oldest first (id ascending): ids above `afterId`, at most `take`. */
export async function listAfterSalesOfOrder(db: Queryable, orderSn: string, page: { afterId: number; take: number }): Promise<{ id: number; serviceSn: string }[]> {
  const rows: { id: number | string; service_sn: string }[] = await db.query('SELECT id, service_sn FROM after_sale WHERE order_sn = ? AND id > ? ORDER BY id LIMIT ?', [orderSn, page.afterId, page.take]);
  return rows.map((r) => ({ id: Number(r.id), serviceSn: r.service_sn }));
}

/** One page of the after-sales in a status, newest first (id descending): ids below `beforeId`, at most `take` (support's list). */
export async function listAfterSalesByStatus(db: Queryable, status: string, page: { beforeId?: string; take: number }): Promise<{ id: number; serviceSn: string }[]> {
  const rows: { id: number | string; service_sn: string }[] = page.beforeId === undefined
    ? await db.query('SELECT id, service_sn FROM after_sale WHERE status = ? ORDER BY id DESC LIMIT ?', [status, page.take])
    : await db.query('SELECT id, service_sn FROM after_sale WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?', [status, page.beforeId, page.take]);
  return rows.map((r) => ({ id: Number(r.id), serviceSn: r.service_sn }));
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

/** One keyset page of after-sales past their deadline and not in a final status (the after-sale sweep). */
export function readOverdueAfterSales(db: Queryable, asOf: Date, finalStatuses: string[], afterId: number, limit: number): Promise<{ id: number; service_sn: string; order_sn: string; status: string; deadline_action: string }[]> {
  return db.query(
    'SELECT id, service_sn, order_sn, status, deadline_action FROM after_sale WHERE deadline_at < ? AND status NOT IN (?) AND id > ? ORDER BY id LIMIT ?',
    [asOf, finalStatuses, afterId, limit],
  );
}
