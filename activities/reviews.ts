import type { EntityManager } from 'typeorm';
import { AUTOMATIC_REVIEW, ReviewKind } from '../domain';

/**
 * The automatic positive review (javashop autoGoodComments) for every line of the order that has no
 * review when the comment window closes. The (order, sku, kind) unique key makes it idempotent and
 * means it can never replace a buyer's own review; it runs in the window-closing transaction, after
 * the order row is locked, so a buyer's review committing at the same moment is either seen or waits.
 */
export async function writeAutomaticReviews(manager: Pick<EntityManager, 'query'>, orderSn: string): Promise<number> {
  const result = await manager.query(
    `INSERT IGNORE INTO order_review (order_sn, sku_id, buyer_id, seller_id, kind, grade, content, automatic)
     SELECT i.order_sn, i.sku_id, o.buyer_id, o.seller_id, ?, ?, ?, 1
       FROM order_item i JOIN orders o ON o.order_sn = i.order_sn
      WHERE i.order_sn = ?`,
    [ReviewKind.INITIAL, AUTOMATIC_REVIEW.grade, AUTOMATIC_REVIEW.content, orderSn],
  );
  return result.affectedRows;
}
