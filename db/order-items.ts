import type { Queryable } from './queryable';

/** The `order_item` table: written when a trade creates its orders (db/trades.ts); these read and lock it. */

/** The order's lines, locked, for an after-sale application's per-line limits. */
export function lockOrderItemsForAfterSale(manager: Queryable, orderSn: string): Promise<{ id: number; sku_id: number; name: string; num: number; paid_fen: number }[]> {
  return manager.query('SELECT id, sku_id, name, num, paid_fen FROM order_item WHERE order_sn = ? ORDER BY id FOR UPDATE', [orderSn]);
}
