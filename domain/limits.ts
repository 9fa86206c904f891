/**
 * Bounds on what a request may ask for, checked before anything is written, so an out-of-range
 * value is a 4xx with a reason instead of a database error.
 */

/** Money columns (order_fen, goods_fen, paid_fen, total_fen, refund_fen) are signed 32-bit INT. */
export const MAX_AMOUNT_FEN = 2_147_483_647;

/** At most this many units of one SKU per order, however many lines name it. */
export const MAX_QUANTITY_PER_SKU = 999;

/** Ids are BIGINT columns; anything larger cannot name a row. */
export const MAX_ID = 9_223_372_036_854_775_807n;

/** An id as the API accepts it: decimal digits, 1 ≤ id ≤ BIGINT's maximum. Kept as a string end to end. */
export function isValidId(text: unknown): boolean {
  return typeof text === 'string' && /^[1-9][0-9]{0,18}$/.test(text) && BigInt(text) <= MAX_ID;
}

/**
 * Merges repeated lines of one SKU and checks the merged quantity, so two lines of 999 cannot add up
 * to 1,998. Returns the quantities by SKU, or the reason the request is refused.
 */
export function mergeQuantities(items: readonly { skuId: number; quantity: number }[]): Map<number, number> | string {
  const merged = new Map<number, number>();
  for (const item of items) merged.set(item.skuId, (merged.get(item.skuId) ?? 0) + item.quantity);
  for (const [skuId, quantity] of merged) {
    if (quantity > MAX_QUANTITY_PER_SKU) return `SKU ${skuId} is ordered ${quantity} times across its lines; at most ${MAX_QUANTITY_PER_SKU} per SKU`;
  }
  return merged;
}
