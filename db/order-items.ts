import type { Queryable } from './queryable';

/** The `order_item` table: written when a trade creates its orders (db/trades.ts); these read and lock it. */

/** The order's lines, locked, for an after-sale application's per-line limits. */
export function lockOrderItemsForAfterSale(manager: Queryable, orderSn: string): Promise<{ id: number; sku_id: number; name: string; num: number; paid_fen: number }[]> {
  return manager.query('SELECT id, sku_id, name, num, paid_fen FROM order_item WHERE order_sn = ? ORDER BY id FOR UPDATE', [orderSn]);
}

/** One line of a new order; returns its id. refundable_fen starts at what the line paid. */
export async function insertOrderItem(
  manager: Queryable,
  orderSn: string,
  line: { skuId: number; name: string; num: number; priceFen: number; discountFen: number; paidFen: number },
): Promise<number> {
  const item = await manager.query(
    'INSERT INTO order_item (order_sn, sku_id, name, num, price_fen, discount_fen, paid_fen, refundable_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [orderSn, line.skuId, line.name, line.num, line.priceFen, line.discountFen, line.paidFen, line.paidFen],
  );
  return Number(item.insertId);
}

/** The line of the order for this SKU (its name), or undefined. */
export async function findOrderLine(manager: Queryable, orderSn: string, skuId: number): Promise<{ name: string } | undefined> {
  const [line] = await manager.query('SELECT name FROM order_item WHERE order_sn = ? AND sku_id = ?', [orderSn, skuId]);
  return line;
}

/** The order's lines (SKU and name), by SKU. */
export function readOrderLineNames(db: Queryable, orderSn: string): Promise<{ sku_id: number; name: string }[]> {
  return db.query('SELECT sku_id, name FROM order_item WHERE order_sn = ? ORDER BY sku_id', [orderSn]);
}

/** The line of the order for this SKU with its quantities and amounts (a complaint's line), or undefined. */
export async function findOrderLineAmounts(manager: Queryable, orderSn: string, skuId: number): Promise<{ sku_id: number; name: string; num: number; price_fen: number; paid_fen: number } | undefined> {
  const [line] = await manager.query('SELECT sku_id, name, num, price_fen, paid_fen FROM order_item WHERE order_sn = ? AND sku_id = ?', [orderSn, skuId]);
  return line;
}

/** A free line of a linked order (nothing to pay or refund); returns its id. */
export async function insertFreeOrderItem(manager: Queryable, orderSn: string, line: { skuId: number; name: string; num: number }): Promise<number> {
  const item = await manager.query(
    'INSERT INTO order_item (order_sn, sku_id, name, num, price_fen, discount_fen, paid_fen, refundable_fen) VALUES (?, ?, ?, ?, 0, 0, 0, 0)',
    [orderSn, line.skuId, line.name, line.num],
  );
  return Number(item.insertId);
}
