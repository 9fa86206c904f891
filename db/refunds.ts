import type { EntityManager } from 'typeorm';
import { Refund } from './entities/refund.entity';
import { RefundStatus } from '../domain';
import type { ProviderName } from '../payments/provider';
import { businessEvent, eventActor } from '../domain/events';
import { emitEvent, sellerOfOrder } from './business-events';

/**
 * Every write of `refund`'s status: created at APPLY (inside the balance draw, db/refund-balance.ts
 * drawRefund, under the order's lock), then submitted, final, or paid offline. Its slot columns are
 * db/refund-slots.ts's; its lines (refund_line) db/refund-balance.ts's.
 */

export interface RefundRow {
  refund_sn: string;
  order_sn: string;
  provider: 'wechatpay' | 'alipay';
  out_trade_no: string;
  refund_fen: number;
  total_fen: number;
  reason: string;
  status: RefundStatus;
}

/** A new refund at APPLY, its number stored before any provider call (the reason cut to 80 characters). */
export async function insertRefund(
  manager: Pick<EntityManager, 'query'>,
  refund: { refundSn: string; causeKey: string; orderSn: string; provider: string; outTradeNo: string; refundFen: number; totalFen: number; reason: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO refund (refund_sn, cause_key, order_sn, provider, out_trade_no, refund_fen, total_fen, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [refund.refundSn, refund.causeKey, refund.orderSn, refund.provider, refund.outTradeNo, refund.refundFen, refund.totalFen, refund.reason.slice(0, 80), RefundStatus.APPLY],
  );
}

/**
 * A refund's status, read with the refund row's lock (the lock its compare-and-set takes anyway, so
 * the refund → order → payment lock order holds). A locking read leaves the transaction's snapshot
 * where it was: later plain reads (a payment's refund sum under its lock) still see the latest commits.
 */
export async function readRefundStatus(manager: Pick<EntityManager, 'query'>, refundSn: string): Promise<RefundStatus | undefined> {
  const [row] = await manager.query('SELECT status FROM refund WHERE refund_sn = ? FOR UPDATE', [refundSn]);
  return row?.status;
}

/**
 * The provider accepted the refund: APPLY → PROCESSING with its id, once, and refund.submitted (inside
 * a step: db/business-events.ts runStep). Returns whether this call moved it.
 */
export async function markRefundSubmitted(
  manager: Pick<EntityManager, 'query'>,
  refund: { refundSn: string; orderSn: string; provider: string; refundFen: number },
  providerRefundId: string | null,
): Promise<boolean> {
  const submitted = await manager.query(
    `UPDATE refund SET status = ?, provider_refund_id = COALESCE(?, provider_refund_id), submitted_at = COALESCE(submitted_at, CURRENT_TIMESTAMP(3))
     WHERE refund_sn = ? AND status = ?`,
    [RefundStatus.PROCESSING, providerRefundId, refund.refundSn, RefundStatus.APPLY],
  );
  if (submitted.affectedRows !== 1) return false;
  emitEvent(manager, businessEvent(
    { type: 'refund', id: refund.refundSn, sellerId: await sellerOfOrder(manager, refund.orderSn), orderSn: refund.orderSn },
    { type: 'refund.submitted', key: RefundStatus.PROCESSING, payload: { refundSn: refund.refundSn, orderSn: refund.orderSn, provider: refund.provider, refundFen: refund.refundFen, providerRefundId, actor: eventActor('SYSTEM') } },
  ));
  return true;
}

/** The provider a refund went to. */
export async function readRefundProvider(db: Pick<EntityManager, 'query'>, refundSn: string): Promise<{ provider: ProviderName }> {
  const [refund] = await db.query('SELECT provider FROM refund WHERE refund_sn = ?', [refundSn]);
  return refund;
}

/** A refund in brief (number, status, amount, provider), or undefined. */
export async function readRefundBrief(db: Pick<EntityManager, 'query'>, refundSn: string): Promise<{ refund_sn: string; status: string; refund_fen: number; provider: string } | undefined> {
  const [refund] = await db.query('SELECT refund_sn, status, refund_fen, provider FROM refund WHERE refund_sn = ?', [refundSn]);
  return refund;
}

/** The refund's whole row, or undefined. */
export async function findRefundRow(db: Pick<EntityManager, 'query'>, refundSn: string): Promise<(RefundRow & Record<string, any>) | undefined> {
  const [row] = await db.query('SELECT * FROM refund WHERE refund_sn = ?', [refundSn]);
  return row;
}

/** The refund's status, a plain read (no lock). */
export async function readRefundStatusUnlocked(manager: Pick<EntityManager, 'query'>, refundSn: string): Promise<RefundStatus> {
  const [row] = await manager.query('SELECT status FROM refund WHERE refund_sn = ?', [refundSn]);
  return row.status as RefundStatus;
}

/**
 * A provider-reported final state, forward only (APPLY / PROCESSING → final), with the failure reason
 * (none on SUCCESS) and the success time. Returns whether this call moved it.
 */
export async function markRefundOutcome(manager: Pick<EntityManager, 'query'>, refundSn: string, status: string, detail: string | undefined): Promise<boolean> {
  const updated = await manager.query(
    `UPDATE refund SET status = ?, failure_reason = ?, succeeded_at = IF(? = 'SUCCESS', CURRENT_TIMESTAMP(3), succeeded_at)
         WHERE refund_sn = ? AND status IN (?, ?)`,
    [status, status === 'SUCCESS' ? null : (detail ?? `provider reported ${status}`), status, refundSn, RefundStatus.APPLY, RefundStatus.PROCESSING],
  );
  return updated.affectedRows === 1;
}

/**
 * Support paid it another way: ABNORMAL / CLOSED (or APPLY refused by the provider's count limit before
 * it was sent) → REFUNDED_OFFLINE with the reference and who, once. Returns whether this call moved it.
 */
export async function markRefundPaidOffline(manager: Pick<EntityManager, 'query'>, refundSn: string, reference: string, supportId: string): Promise<boolean> {
  const updated = await manager.query(
    `UPDATE refund SET status = ?, offline_reference = ?, resolved_by = ?, succeeded_at = CURRENT_TIMESTAMP(3)
          WHERE refund_sn = ? AND (status IN (?, ?) OR (status = ? AND submitted_at IS NULL AND payment_refund_no IS NULL AND failure_reason IS NOT NULL))`,
    [RefundStatus.REFUNDED_OFFLINE, reference, supportId, refundSn, RefundStatus.ABNORMAL, RefundStatus.CLOSED, RefundStatus.APPLY],
  );
  return updated.affectedRows === 1;
}

/** The refund a provider gate's probe asks about: the one named, or the provider's latest. */
export async function readRefundToProbe(db: Pick<EntityManager, 'query'>, provider: ProviderName, refundSn?: string): Promise<{ refund_sn: string; out_trade_no: string } | undefined> {
  const [row] = refundSn
    ? await db.query('SELECT refund_sn, out_trade_no FROM refund WHERE refund_sn = ?', [refundSn])
    : await db.query('SELECT refund_sn, out_trade_no FROM refund WHERE provider = ? ORDER BY id DESC LIMIT 1', [provider]);
  return row;
}

/** One page of refunds in any of `statuses`, newest first (id descending): ids below `beforeId`, at most `take` (support's list). */
export function listRefundsByStatus(db: Pick<EntityManager, 'getRepository'>, statuses: string[], page: { beforeId?: string; take: number }): Promise<Refund[]> {
  const query = db.getRepository(Refund).createQueryBuilder('r').where('r.status IN (:...statuses)', { statuses }).orderBy('r.id', 'DESC').take(page.take);
  if (page.beforeId !== undefined) query.andWhere('r.id < :beforeId', { beforeId: page.beforeId });
  return query.getMany();
}
