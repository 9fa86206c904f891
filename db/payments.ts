import type { EntityManager } from 'typeorm';
import { OrderStatus, PayStatus, PaymentStatus, RefundStatus, paymentStatusAfterRefunds } from '../domain';
import type { ProviderName } from '../payments/provider';
import { EventActor, PAYMENT_STATUS_EVENTS, businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';
import { PaymentShare, insertPaymentShares } from './payment-shares';

/** Status writes of `payment` the business steps make, each with its business event (payment.*), inside a step (db/business-events.ts runStep). */

type Queryable = Pick<EntityManager, 'query'>;

/**
 * The payment attempt of an order at one provider, at CREATED, once (unique out_trade_no): a second
 * call finds it and changes nothing. A new attempt emits payment.created (inside a step:
 * db/business-events.ts runStep). Returns whether this call created it.
 */
export async function insertPaymentAttempt(
  manager: Queryable,
  payment: { orderSn: string; sellerId: number | string; buyerId: number | string; provider: string; outTradeNo: string; amountFen: number },
): Promise<boolean> {
  const inserted = await manager.query(
    `INSERT IGNORE INTO payment (order_sn, provider, out_trade_no, amount_fen, status) VALUES (?, ?, ?, ?, 'CREATED')`,
    [payment.orderSn, payment.provider, payment.outTradeNo, payment.amountFen],
  );
  if (inserted.affectedRows !== 1) return false;
  emitEvent(manager, businessEvent(
    { type: 'payment', id: payment.outTradeNo, sellerId: payment.sellerId, orderSn: payment.orderSn },
    { type: 'payment.created', key: 'CREATED', payload: { outTradeNo: payment.outTradeNo, orderSn: payment.orderSn, provider: payment.provider, amountFen: payment.amountFen, actor: eventActor('BUYER', payment.buyerId) } },
  ));
  return true;
}

/**
 * A trade payment attempt (one out_trade_no for several orders of one trade) at CREATED with its
 * shares, once: a second call finds it and changes nothing. Each order's seller is told
 * (payment.created on its stream, with the order's share). Returns whether this call created it.
 */
export async function insertTradePaymentAttempt(
  manager: Queryable,
  payment: { tradeSn: string; buyerId: number | string; provider: string; outTradeNo: string; shares: readonly (PaymentShare & { sellerId: number })[]; idempotencyKey: string | null; requestHash: string | null },
): Promise<boolean> {
  const amountFen = payment.shares.reduce((sum, s) => sum + s.amountFen, 0);
  const inserted = await manager.query(
    `INSERT IGNORE INTO payment (trade_sn, provider, out_trade_no, amount_fen, status, idempotency_key, request_hash) VALUES (?, ?, ?, ?, 'CREATED', ?, ?)`,
    [payment.tradeSn, payment.provider, payment.outTradeNo, amountFen, payment.idempotencyKey, payment.requestHash],
  );
  if (inserted.affectedRows !== 1) return false;
  await insertPaymentShares(manager, payment.outTradeNo, payment.shares);
  for (const share of payment.shares) {
    emitEvent(manager, businessEvent(
      { type: 'payment', id: payment.outTradeNo, sellerId: share.sellerId, orderSn: share.orderSn },
      { type: 'payment.created', key: `CREATED:${share.orderSn}`, payload: { outTradeNo: payment.outTradeNo, orderSn: share.orderSn, provider: payment.provider, amountFen, tradeSn: payment.tradeSn, shareFen: share.amountFen, actor: eventActor('BUYER', payment.buyerId) } },
    ));
  }
  return true;
}

/** The trade payment attempt a buyer's Idempotency-Key created, if any. */
export async function findTradePaymentByIdempotencyKey(db: Queryable, tradeSn: string, key: string): Promise<{ out_trade_no: string; provider: string; request_hash: string | null } | undefined> {
  const [row] = await db.query('SELECT out_trade_no, provider, request_hash FROM payment WHERE trade_sn = ? AND idempotency_key = ?', [tradeSn, key]);
  return row;
}

/** A trade's payment attempts, oldest first (what its status page shows). */
export function readTradePayments(db: Queryable, tradeSn: string): Promise<{ provider: string; out_trade_no: string; status: string; amount_fen: number; transaction_id: string | null; code_url: string | null; paid_at: Date | null }[]> {
  return db.query('SELECT provider, out_trade_no, status, amount_fen, transaction_id, code_url, paid_at FROM payment WHERE trade_sn = ? ORDER BY id', [tradeSn]);
}

export interface CapturedPayment {
  orderSn: string;
  sellerId: number;
  provider: string;
  outTradeNo: string;
  transactionId: string | null;
  amountFen: number;
  paidAt: string;
  actor: EventActor;
}

/**
 * The payment is PAID (a verified provider result): CREATED / CLOSED → PAID, once; a refunded one keeps
 * its refunded status. `notAccepted`: the order could not take it (cancelled, paid already), so it is
 * marked paid after cancel and refunded. Emits payment.paid when the status moved.
 */
export async function markPaymentPaid(manager: Queryable, payment: CapturedPayment, notAccepted?: { why: string }): Promise<boolean> {
  const paid = notAccepted
    ? await manager.query(
        `UPDATE payment SET status = 'PAID', paid_after_cancel = 1, transaction_id = ?, paid_at = ? WHERE out_trade_no = ? AND (order_sn = ? OR trade_sn IS NOT NULL) AND status IN ('CREATED', 'CLOSED')`,
        [payment.transactionId, new Date(payment.paidAt), payment.outTradeNo, payment.orderSn],
      )
    : await manager.query(
        `UPDATE payment SET status = 'PAID', transaction_id = ?, paid_at = ? WHERE out_trade_no = ? AND status IN ('CREATED', 'CLOSED')`,
        [payment.transactionId, new Date(payment.paidAt), payment.outTradeNo],
      );
  if (paid.affectedRows !== 1) return false;
  emitEvent(manager, businessEvent(
    { type: 'payment', id: payment.outTradeNo, sellerId: payment.sellerId, orderSn: payment.orderSn },
    {
      type: 'payment.paid',
      key: PaymentStatus.PAID,
      payload: {
        outTradeNo: payment.outTradeNo,
        orderSn: payment.orderSn,
        provider: payment.provider,
        amountFen: payment.amountFen,
        transactionId: payment.transactionId,
        paidAt: payment.paidAt,
        acceptedByOrder: !notAccepted,
        note: notAccepted?.why ?? null,
        actor: payment.actor,
      },
    },
  ));
  return true;
}

/** An unpaid attempt closed at the provider: CREATED → CLOSED, once, with payment.closed. */
export async function markPaymentClosed(manager: Queryable, payment: { orderSn: string; sellerId: number; provider: string; outTradeNo: string; actor: EventActor }): Promise<boolean> {
  const closed = await manager.query(`UPDATE payment SET status = 'CLOSED' WHERE out_trade_no = ? AND status = 'CREATED'`, [payment.outTradeNo]);
  if (closed.affectedRows !== 1) return false;
  emitEvent(manager, businessEvent(
    { type: 'payment', id: payment.outTradeNo, sellerId: payment.sellerId, orderSn: payment.orderSn },
    { type: 'payment.closed', key: PaymentStatus.CLOSED, payload: { outTradeNo: payment.outTradeNo, orderSn: payment.orderSn, provider: payment.provider, from: PaymentStatus.CREATED, actor: payment.actor } },
  ));
  return true;
}

/** A trade's payment attempts still open (CREATED), oldest first: what a new attempt may supersede. */
export function readOpenTradePaymentAttempts(db: Queryable, tradeSn: string): Promise<{ provider: ProviderName; out_trade_no: string }[]> {
  return db.query(`SELECT provider, out_trade_no FROM payment WHERE trade_sn = ? AND status = 'CREATED' ORDER BY id`, [tradeSn]);
}

/**
 * A superseded trade payment attempt closed at the provider: CREATED → CLOSED, once, with
 * payment.closed on each share's seller stream (as its payment.created was). A second call (a retried
 * close) finds it CLOSED and changes nothing.
 */
export async function markTradePaymentClosed(
  manager: Queryable,
  payment: { tradeSn: string; provider: string; outTradeNo: string; shares: readonly { orderSn: string; sellerId: number }[]; actor: EventActor },
): Promise<boolean> {
  const closed = await manager.query(`UPDATE payment SET status = 'CLOSED' WHERE out_trade_no = ? AND trade_sn = ? AND status = 'CREATED'`, [payment.outTradeNo, payment.tradeSn]);
  if (closed.affectedRows !== 1) return false;
  for (const share of payment.shares) {
    emitEvent(manager, businessEvent(
      { type: 'payment', id: payment.outTradeNo, sellerId: share.sellerId, orderSn: share.orderSn },
      { type: 'payment.closed', key: `${PaymentStatus.CLOSED}:${share.orderSn}`, payload: { outTradeNo: payment.outTradeNo, orderSn: share.orderSn, provider: payment.provider, from: PaymentStatus.CREATED, tradeSn: payment.tradeSn, actor: payment.actor } },
    ));
  }
  return true;
}

/** A payment's status moved by a refund that succeeded. */
export interface PaymentRefundChange {
  outTradeNo: string;
  orderSn: string;
  from: PaymentStatus;
  to: typeof PaymentStatus.PARTIALLY_REFUNDED | typeof PaymentStatus.REFUNDED;
  amountFen: number;
  refundedFen: number;
}

/**
 * The payment's status from its provider refunds that succeeded (PARTIALLY_REFUNDED until they add up
 * to its amount, then REFUNDED), under the payment row's lock so two refunds settling at once both
 * count. Returns the change when the status moved (a second partial refund leaves it
 * PARTIALLY_REFUNDED: its refund.succeeded says it), for `emitPaymentRefunded` once the caller has
 * written the refund's own event.
 */
export async function settlePaymentAfterRefunds(manager: Queryable, outTradeNo: string, refundOrderSn?: string): Promise<PaymentRefundChange | undefined> {
  const [payment] = await manager.query('SELECT order_sn, amount_fen, status FROM payment WHERE out_trade_no = ? FOR UPDATE', [outTradeNo]);
  if (!payment) return undefined;
  const [{ refunded }] = await manager.query('SELECT COALESCE(SUM(refund_fen), 0) AS refunded FROM refund WHERE out_trade_no = ? AND status = ?', [outTradeNo, RefundStatus.SUCCESS]);
  const status = paymentStatusAfterRefunds(Number(payment.amount_fen), Number(refunded));
  const updated = await manager.query('UPDATE payment SET status = ? WHERE out_trade_no = ? AND status IN (?, ?, ?)', [
    status,
    outTradeNo,
    PaymentStatus.PAID,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
  ]);
  if (updated.affectedRows !== 1 || payment.status === status || (status !== PaymentStatus.PARTIALLY_REFUNDED && status !== PaymentStatus.REFUNDED)) return undefined;
  // A trade payment names no order: the change is told as the refunded order's.
  return { outTradeNo, orderSn: payment.order_sn ?? refundOrderSn ?? '', from: payment.status, to: status, amountFen: Number(payment.amount_fen), refundedFen: Number(refunded) };
}

/** payment.partially_refunded / payment.refunded for a change settlePaymentAfterRefunds made. */
export function emitPaymentRefunded(manager: Queryable, change: PaymentRefundChange, sellerId: number, actor: EventActor): void {
  emitEvent(manager, businessEvent(
    { type: 'payment', id: change.outTradeNo, sellerId, orderSn: change.orderSn },
    { type: PAYMENT_STATUS_EVENTS[change.to], key: change.to, payload: { ...change, actor } },
  ));
}

/** The QR code's URL of a native (QR) payment attempt, as the provider returned it. */
export async function setPaymentCodeUrl(db: Queryable, outTradeNo: string, codeUrl: string): Promise<void> {
  await db.query('UPDATE payment SET code_url = ? WHERE out_trade_no = ?', [codeUrl, outTradeNo]);
}

/** A payment attempt by its out_trade_no (what a provider's result is checked against), or undefined. */
export async function findPaymentByOutTradeNo(db: Queryable, outTradeNo: string): Promise<{ order_sn: string | null; trade_sn: string | null; provider: string; amount_fen: number; transaction_id: string | null } | undefined> {
  const [payment] = await db.query('SELECT order_sn, trade_sn, provider, amount_fen, transaction_id FROM payment WHERE out_trade_no = ?', [outTradeNo]);
  return payment;
}

/** The order's payment attempts still open (CREATED), to close at their providers. */
export function readOpenPaymentAttempts(db: Queryable, orderSn: string): Promise<{ provider: ProviderName; out_trade_no: string }[]> {
  return db.query(`SELECT provider, out_trade_no FROM payment WHERE order_sn = ? AND status = 'CREATED'`, [orderSn]);
}

/** A payment attempt of the order (its own, or its trade's with a share for it) with the order's statuses (the unpaid-payment check), or undefined. */
export async function readPaymentWithOrderStatus(db: Queryable, outTradeNo: string, orderSn: string): Promise<{ order_status: OrderStatus; pay_status: PayStatus; payment_status: string; provider: string } | undefined> {
  const [row] = await db.query(
    `SELECT o.order_status, o.pay_status, p.status AS payment_status, p.provider
         FROM payment p JOIN orders o ON o.order_sn = ?
        WHERE p.out_trade_no = ?
          AND (p.order_sn = o.order_sn OR EXISTS (SELECT 1 FROM payment_share s WHERE s.out_trade_no = p.out_trade_no AND s.order_sn = o.order_sn))`,
    [orderSn, outTradeNo],
  );
  return row;
}

/** The payment a provider gate's probe asks about: the provider's latest. */
export async function readLatestPaymentOf(db: Queryable, provider: ProviderName): Promise<{ out_trade_no: string } | undefined> {
  const [row] = await db.query('SELECT out_trade_no FROM payment WHERE provider = ? ORDER BY id DESC LIMIT 1', [provider]);
  return row;
}
