import { EntityManager } from 'typeorm';

/**
 * Stock and sales effects, each recorded in the stock_movement ledger under the unique key
 * (order_sn, sku_id, kind, cause). The counter changes only when the ledger row is new, in the same
 * transaction, so an effect applied twice is applied once. The order's own movements have cause ''
 * (one per order, line and kind); an after-sale's carry `after-sale:{serviceSn}`, so each of several
 * after-sales of one line moves it once.
 *
 *   RESERVE        available −n   (trade created)
 *   RELEASE        available +n   (unpaid order cancelled)
 *   RESTORE        available +n   (paid order cancelled before shipping)
 *   SHIP           on hand  −n    (shipped)
 *   SALE           sales    +n    (payment confirmed)
 *   SALE_REVERSAL  sales    −n    (paid order cancelled)
 *   RETURN_RESTOCK on hand and available +n  (after-sale: units the seller received in good condition)
 *   SALE_RETURN    sales    −n    (after-sale: units returned or refunded)
 */
export type StockMovementKind = 'RESERVE' | 'RELEASE' | 'RESTORE' | 'SHIP' | 'SALE' | 'SALE_REVERSAL' | 'RETURN_RESTOCK' | 'SALE_RETURN';

const COUNTER_CHANGE: Record<StockMovementKind, { columns: string[]; sign: 1 | -1 }> = {
  RESERVE: { columns: ['available_quantity'], sign: -1 },
  RELEASE: { columns: ['available_quantity'], sign: 1 },
  RESTORE: { columns: ['available_quantity'], sign: 1 },
  SHIP: { columns: ['quantity'], sign: -1 },
  SALE: { columns: ['sales_count'], sign: 1 },
  SALE_REVERSAL: { columns: ['sales_count'], sign: -1 },
  // A returned unit was shipped (on hand −1, and never given back to available): it is back on the shelf.
  RETURN_RESTOCK: { columns: ['quantity', 'available_quantity'], sign: 1 },
  SALE_RETURN: { columns: ['sales_count'], sign: -1 },
};

/** Applies `kind` to every item of the order; returns how many items were newly applied (0 on a replay). */
export async function recordStockMovements(manager: EntityManager, orderSn: string, kind: StockMovementKind): Promise<number> {
  const items: { sku_id: number; num: number }[] = await manager.query(
    'SELECT sku_id, num FROM order_item WHERE order_sn = ? ORDER BY sku_id',
    [orderSn],
  );
  let applied = 0;
  for (const item of items) {
    if (await recordStockMovement(manager, orderSn, item.sku_id, item.num, kind)) applied += 1;
  }
  return applied;
}

/** One SKU's effect. Returns false when the ledger already holds it (nothing changed). */
export async function recordStockMovement(
  manager: EntityManager,
  orderSn: string,
  skuId: number,
  num: number,
  kind: StockMovementKind,
  cause = '',
): Promise<boolean> {
  const { columns, sign } = COUNTER_CHANGE[kind];
  const inserted = await manager.query(
    'INSERT IGNORE INTO stock_movement (order_sn, sku_id, kind, cause, quantity) VALUES (?, ?, ?, ?, ?)',
    [orderSn, skuId, kind, cause, sign * num],
  );
  if (inserted.affectedRows === 0) return false;
  // Decrements are guarded so a counter can never go negative; a miss means the books disagree.
  const set = columns.map((column) => `${column} = ${column} ${sign < 0 ? '-' : '+'} ?`).join(', ');
  const guard = sign < 0 ? columns.map((column) => ` AND ${column} >= ?`).join('') : '';
  const params = [...columns.map(() => num), skuId, ...(sign < 0 ? columns.map(() => num) : [])];
  const updated = await manager.query(`UPDATE goods SET ${set} WHERE id = ?${guard}`, params);
  if (updated.affectedRows !== 1) {
    throw new InsufficientStockError(skuId, kind, num);
  }
  return true;
}

export class InsufficientStockError extends Error {
  constructor(
    readonly skuId: number,
    readonly kind: StockMovementKind,
    readonly quantity: number,
  ) {
    super(`SKU ${skuId}: cannot apply ${kind} of ${quantity} (not enough on the counter, or unknown SKU)`);
    this.name = 'InsufficientStockError';
  }
}

/** Whether the order's sales were counted (a SALE movement exists), so there is something to reverse. */
export async function salesCounted(manager: Pick<EntityManager, 'query'>, orderSn: string): Promise<boolean> {
  const counted = await manager.query(`SELECT 1 FROM stock_movement WHERE order_sn = ? AND kind = 'SALE' LIMIT 1`, [orderSn]);
  return counted.length > 0;
}
