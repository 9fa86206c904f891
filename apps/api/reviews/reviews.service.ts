import { afterId, pageOf, type PageRequest } from '../common/pagination';
import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { appendOrderLog } from '../../../db/order-log';
import { runStep } from '../../../db/business-events';
import { ReviewRow, insertBuyerReview, readGoodsReviews, readLineReviews, readOrderReviews, reviewCreatedEvent } from '../../../db/reviews';
import { lockBuyerOrderForReview } from '../../../db/order-reads';
import { findOrderLine, readOrderLineNames } from '../../../db/order-items';
import { findGoodsBrief } from '../../../db/goods';
import {
  Actor,
  CommentStatus,
  OrderOperate,
  ReviewKind,
  checkOperation,
  flowOf,
  lineCommentStatus,
  reviewRefusal,
  type OrderStatus,
  type OrderType,
  type PaymentType,
  type ReviewGrade,
} from '../../../domain';
import type { Principal } from '../auth/principal';
import { OrderAccess } from '../orders/order-access';
import { DomainError, ErrorCode } from '../../../domain/error-codes';

/**
 * Reviews need no workflow: a review changes no order status. The order workflow's state is read
 * from the order row (its status, written only by that workflow, and comment_status, which its
 * window timer closes), under the row's lock, and the review is a guarded insert: one INITIAL and
 * one FOLLOW_UP per line (unique key), so a third attempt or a race is refused, never doubled.
 */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: OrderAccess,
  ) {}

  async write(buyer: Principal, orderSn: string, review: { kind: ReviewKind; skuId: number; grade?: ReviewGrade; content: string }) {
    try {
      await runStep(this.dataSource, async (manager) => {
        const order = await lockBuyerOrderForReview(manager, orderSn, buyer.id);
        if (!order) throw new NotFoundException(`order ${orderSn} not found`);
        const line = await findOrderLine(manager, orderSn, review.skuId);
        if (!line) throw new NotFoundException(`order ${orderSn} has no line for SKU ${review.skuId}`);
        const existing = await readLineReviews(manager, orderSn, review.skuId);
        const check = checkOperation({ flow: flowOf(order.payment_type as PaymentType, order.order_type as OrderType), status: order.order_status as OrderStatus, operation: OrderOperate.COMMENT, actor: Actor.BUYER });
        const refusal = reviewRefusal({
          kind: review.kind,
          lineStatus: lineCommentStatus(existing.map((r) => ({ kind: r.kind, automatic: r.automatic === 1 }))),
          orderRefusal: check.allowed ? undefined : check.reason,
          windowClosed: order.comment_status === CommentStatus.FINISHED,
        });
        if (refusal) throw new DomainError(ErrorCode.REVIEW_NOT_ALLOWED, refusal);
        await insertBuyerReview(manager, { orderSn, skuId: review.skuId, buyerId: order.buyer_id, sellerId: order.seller_id, kind: review.kind, grade: review.grade ?? null, content: review.content.trim() });
        await appendOrderLog(manager, {
          orderSn,
          eventKey: `review:${review.skuId}:${review.kind}`,
          operation: OrderOperate.COMMENT,
          actorRole: Actor.BUYER,
          actorId: buyer.id,
          message: review.kind === ReviewKind.INITIAL ? `buyer reviewed ${line.name}: ${review.grade}` : `buyer followed up the review of ${line.name}`,
        }, 'fail', reviewCreatedEvent({ orderSn, skuId: Number(review.skuId), kind: review.kind, grade: review.grade ?? null, automatic: false, buyerId: order.buyer_id, sellerId: order.seller_id }));
      });
    } catch (err) {
      // The same review sent twice at once: the unique key let the first one in.
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') throw new DomainError(ErrorCode.REVIEW_NOT_ALLOWED, `SKU ${review.skuId} of order ${orderSn} already has its ${review.kind === ReviewKind.INITIAL ? 'review' : 'follow-up review'}`);
      throw err;
    }
    return this.forOrder(buyer, orderSn);
  }

  /** Every line of an order with its review status and reviews (the order's buyer, seller, or support). */
  async forOrder(principal: Principal, orderSn: string) {
    const order = await this.access.load(principal, orderSn);
    const [lines, reviews]: [{ sku_id: number; name: string }[], ReviewRow[]] = await Promise.all([
      readOrderLineNames(this.dataSource, orderSn),
      readOrderReviews(this.dataSource, orderSn),
    ]);
    return {
      orderSn,
      commentWindow: order.commentStatus === CommentStatus.FINISHED ? 'CLOSED' : 'OPEN',
      lines: lines.map((line) => {
        const own = reviews.filter((r) => Number(r.sku_id) === Number(line.sku_id));
        return {
          skuId: Number(line.sku_id),
          name: line.name,
          commentStatus: lineCommentStatus(own.map((r) => ({ kind: r.kind, automatic: r.automatic === 1 }))),
          reviews: own.map(present),
        };
      }),
    };
  }

  /** A goods' reviews, newest first, by cursor. Sellers read only their own goods' (another's is a 404). */
  async forGoods(principal: Principal, skuId: number, page: PageRequest) {
    const goods = await findGoodsBrief(this.dataSource, skuId);
    if (!goods || (principal.role === 'seller' && String(goods.seller_id) !== principal.id)) throw new NotFoundException(`goods ${skuId} not found`);
    const reviews = await readGoodsReviews(this.dataSource, skuId, { beforeId: afterId(page), take: page.limit + 1 });
    return pageOf(reviews, page, (r) => [Number(r.id)], present);
  }
}

function present(r: ReviewRow) {
  return { id: Number(r.id), orderSn: r.order_sn, kind: r.kind, grade: r.grade, content: r.content, automatic: r.automatic === 1, createdAt: r.created_at };
}
