import type { EntityManager } from 'typeorm';
import { AUTOMATIC_REVIEW, ReviewGrade, ReviewKind } from '../domain';
import { businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';

type Queryable = Pick<EntityManager, 'query'>;

/**
 * The automatic positive review (javashop autoGoodComments) for every line of the order that has no
 * review when the comment window closes. The (order, sku, kind) unique key makes it idempotent and
 * means it can never replace a buyer's own review; it runs in the window-closing transaction, after
 * the order row is locked, so a buyer's review committing at the same moment is either seen or waits.
 * Each review written emits review.created (inside a step: db/business-events.ts runStep). Returns how
 * many were written.
 */
export async function writeAutomaticReviews(manager: Queryable, orderSn: string): Promise<number> {
  const lines: { sku_id: number | string; buyer_id: number | string; seller_id: number | string }[] = await manager.query(
    'SELECT i.sku_id, o.buyer_id, o.seller_id FROM order_item i JOIN orders o ON o.order_sn = i.order_sn WHERE i.order_sn = ? ORDER BY i.sku_id',
    [orderSn],
  );
  let written = 0;
  for (const line of lines) {
    const result = await manager.query(
      `INSERT IGNORE INTO order_review (order_sn, sku_id, buyer_id, seller_id, kind, grade, content, automatic) VALUES (?, ?, ?, ?, ?, ?, ?, 1)`,
      [orderSn, line.sku_id, line.buyer_id, line.seller_id, ReviewKind.INITIAL, AUTOMATIC_REVIEW.grade, AUTOMATIC_REVIEW.content],
    );
    if (result.affectedRows !== 1) continue;
    written += 1;
    emitEvent(manager, reviewCreatedEvent({ orderSn, skuId: Number(line.sku_id), kind: ReviewKind.INITIAL, grade: AUTOMATIC_REVIEW.grade, automatic: true, buyerId: line.buyer_id, sellerId: line.seller_id }));
  }
  return written;
}

/** review.created for one review row (its entity id is the row's unique key: order, SKU, kind). */
export function reviewCreatedEvent(review: { orderSn: string; skuId: number; kind: ReviewKind; grade: ReviewGrade | null; automatic: boolean; buyerId: number | string; sellerId: number | string }) {
  return businessEvent(
    { type: 'review', id: `${review.orderSn}:${review.skuId}:${review.kind}`, sellerId: review.sellerId, orderSn: review.orderSn },
    {
      type: 'review.created',
      key: 'created',
      payload: {
        orderSn: review.orderSn,
        skuId: review.skuId,
        kind: review.kind,
        grade: review.grade,
        automatic: review.automatic,
        buyerId: String(review.buyerId),
        actor: review.automatic ? eventActor('SYSTEM_TIMER') : eventActor('BUYER', review.buyerId),
      },
    },
  );
}

export interface ReviewRow {
  id: number;
  order_sn: string;
  sku_id: number;
  kind: ReviewKind;
  grade: ReviewGrade | null;
  content: string;
  automatic: number;
  created_at: Date;
}

/** The reviews of one order line (kind and whether automatic), for the review rule. */
export function readLineReviews(manager: Queryable, orderSn: string, skuId: number): Promise<Pick<ReviewRow, 'kind' | 'automatic'>[]> {
  return manager.query('SELECT kind, automatic FROM order_review WHERE order_sn = ? AND sku_id = ?', [orderSn, skuId]);
}

/** A buyer's own review (or follow-up) of a line; the (order, sku, kind) unique key refuses a second. */
export async function insertBuyerReview(
  manager: Queryable,
  review: { orderSn: string; skuId: number; buyerId: number | string; sellerId: number | string; kind: ReviewKind; grade: ReviewGrade | null; content: string },
): Promise<void> {
  await manager.query(
    'INSERT INTO order_review (order_sn, sku_id, buyer_id, seller_id, kind, grade, content) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [review.orderSn, review.skuId, review.buyerId, review.sellerId, review.kind, review.grade, review.content],
  );
}

/** An order's reviews, oldest first. */
export function readOrderReviews(db: Queryable, orderSn: string): Promise<ReviewRow[]> {
  return db.query('SELECT * FROM order_review WHERE order_sn = ? ORDER BY id', [orderSn]);
}

/** One page of a goods' reviews, newest first (id descending): ids below `beforeId`, at most `take`. */
export function readGoodsReviews(db: Queryable, skuId: number, page: { beforeId?: string; take: number }): Promise<ReviewRow[]> {
  return page.beforeId === undefined
    ? db.query('SELECT * FROM order_review WHERE sku_id = ? ORDER BY id DESC LIMIT ?', [skuId, page.take])
    : db.query('SELECT * FROM order_review WHERE sku_id = ? AND id < ? ORDER BY id DESC LIMIT ?', [skuId, page.beforeId, page.take]);
}
