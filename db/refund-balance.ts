import type { EntityManager } from 'typeorm';
import { ErrorCode, RefundAllocation, RefundAsk, RefundBalance, RefundRefusal, RefundRefusalCode, RefundStatus, allocateRefund, describeRefund, isRefundRefused } from '../domain';
import { appendOrderLog } from './order-log';
import { newSn } from './serial-numbers';
import { RefundRow, insertRefund } from './refunds';
import { sellerOfOrder } from './business-events';
import { businessEvent, eventActor } from '../domain/events';

/**
 * The refundable balance's repository: every write to order_item.refundable_fen and every refund row
 * with its refund_line rows goes through here, under the order row's lock, so every refund cause
 * draws from the same balance (domain/refund-balance.ts decides; this module reads and writes).
 */

/** A refund the balance refused; nothing was written. `code` is one of domain RefundRefusal. */
export class RefundRefusedError extends Error {
  constructor(readonly code: RefundRefusalCode | typeof ErrorCode.OrderNotFound, message: string) {
    super(message);
    this.name = 'RefundRefusedError';
  }
}

export interface DrawRefundRequest {
  /** Names why this refund exists, e.g. cancel:{cancellationId}:1; one refund per cause, ever. */
  causeKey: string;
  orderSn: string;
  reason: string;
  /** Which payment to refund; defaults to the order's goods payment (the first captured). */
  outTradeNo?: string;
  /** What to take: everything that remains, or an amount, from named lines or from the order's remainder. */
  ask: RefundAsk;
}

export type { RefundRow } from './refunds';

/**
 * Reads the balance of an order's payment; with `lock`, under the order row's lock (the one lock
 * every refund of the order takes), to decide and write in the same transaction.
 */
export async function readRefundBalance(manager: EntityManager, orderSn: string, options: { outTradeNo?: string; lock: boolean }): Promise<(RefundBalance & { provider: 'wechatpay' | 'alipay'; paymentFen: number }) | undefined> {
  const [order] = await manager.query(`SELECT order_sn FROM orders WHERE order_sn = ?${options.lock ? ' FOR UPDATE' : ''}`, [orderSn]);
  if (!order) throw new RefundRefusedError(ErrorCode.OrderNotFound, `order ${orderSn} does not exist`);
  // The order's own payments, and the trade payments with a share for it (amount_fen: the share). Under
  // the lock a locking read: a trade payment may have been marked PAID by a sibling order's step that
  // committed after this transaction's snapshot.
  type Captured = { provider: 'wechatpay' | 'alipay'; out_trade_no: string; amount_fen: number; payment_fen: number; paid_at: Date; id: number; shared: number };
  const own: Captured[] = await manager.query(
    `SELECT provider, out_trade_no, amount_fen, amount_fen AS payment_fen, paid_at, id, 0 AS shared
         FROM payment WHERE order_sn = ? AND status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')`,
    [orderSn],
  );
  const shared: Captured[] = await manager.query(
    `SELECT p.provider, p.out_trade_no, s.amount_fen, p.amount_fen AS payment_fen, p.paid_at, p.id, 1 AS shared
         FROM payment_share s JOIN payment p ON p.out_trade_no = s.out_trade_no
        WHERE s.order_sn = ? AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')${options.lock ? ' LOCK IN SHARE MODE' : ''}`,
    [orderSn],
  );
  const captured = [...own, ...shared].sort((a, b) => new Date(a.paid_at).getTime() - new Date(b.paid_at).getTime() || Number(a.id) - Number(b.id));
  const payment = options.outTradeNo ? captured.find((p) => p.out_trade_no === options.outTradeNo) : captured[0];
  if (!payment) return undefined;
  // Under the lock this is a locking read: REPEATABLE READ would otherwise answer from the snapshot of the
  // transaction's first read, taken before the lock, and miss a refund another transaction committed meanwhile.
  const [{ committed }] = await manager.query(
    `SELECT COALESCE(SUM(refund_fen), 0) AS committed FROM refund WHERE order_sn = ? AND out_trade_no = ? AND status <> ?${options.lock ? ' LOCK IN SHARE MODE' : ''}`,
    [orderSn, payment.out_trade_no, RefundStatus.CLOSED],
  );
  // A share of a trade payment: the other orders' refunds of the same payment count against the whole.
  // (Each order's refunds are bounded by its share under its own order lock, and the shares add up to
  // the payment, so this only double-checks what the shares already guarantee.)
  let whole: RefundBalance['payment'];
  if (Number(payment.shared) === 1) {
    const [{ everyOrder }] = await manager.query(
      `SELECT COALESCE(SUM(refund_fen), 0) AS everyOrder FROM refund WHERE out_trade_no = ? AND status <> ?${options.lock ? ' LOCK IN SHARE MODE' : ''}`,
      [payment.out_trade_no, RefundStatus.CLOSED],
    );
    whole = { capturedFen: Number(payment.payment_fen), committedFen: Number(everyOrder) };
  }
  // Only the payment that paid for the goods carries the lines; an extra (duplicate, late) payment is refunded whole.
  const paysLines = payment.out_trade_no === captured[0].out_trade_no;
  const lines: { id: number | string; sku_id: number | string; refundable_fen: number }[] = paysLines
    ? await manager.query(`SELECT id, sku_id, refundable_fen FROM order_item WHERE order_sn = ? ORDER BY id${options.lock ? ' FOR UPDATE' : ''}`, [orderSn])
    : [];
  return {
    outTradeNo: payment.out_trade_no,
    provider: payment.provider,
    capturedFen: Number(payment.amount_fen),
    committedFen: Number(committed),
    paymentFen: Number(payment.payment_fen),
    ...(whole ? { payment: whole } : {}),
    lines: lines.map((l) => ({ orderItemId: Number(l.id), skuId: Number(l.sku_id), refundableFen: Number(l.refundable_fen) })),
  };
}

/**
 * Creates the refund for `causeKey` once (unique key) inside the caller's transaction: the balance
 * decides under the order row's lock, each line it takes from goes down by a guarded update (never
 * below zero, also a CHECK), and the refund, its lines, its log row and its refund.created event are
 * written together (the caller's transaction is a step: db/business-events.ts runStep). A retry
 * returns the row already written, with the same number.
 */
export async function drawRefund(manager: EntityManager, request: DrawRefundRequest): Promise<RefundRow> {
  const existing = await findRefundByCause(manager, request.causeKey);
  if (existing) return existing;
  const balance = await readRefundBalance(manager, request.orderSn, { outTradeNo: request.outTradeNo, lock: true });
  // A twin of this attempt (a retry while the first still ran) may have written it while we waited for the lock:
  // answer with its row, never with a refusal computed from the balance it already drew down.
  const written = await findRefundByCause(manager, request.causeKey, { latest: true });
  if (written) return written;
  if (!balance) throw new RefundRefusedError(RefundRefusal.NOTHING_TO_REFUND, `order ${request.orderSn} has no captured payment to refund`);
  const allocation = allocateRefund(balance, request.ask);
  if (isRefundRefused(allocation)) throw new RefundRefusedError(allocation.code, allocation.message);
  await takeFromLines(manager, request.orderSn, allocation);
  const refundSn = newSn('R');
  await insertRefund(manager, { refundSn, causeKey: request.causeKey, orderSn: request.orderSn, provider: balance.provider, outTradeNo: balance.outTradeNo, refundFen: allocation.refundFen, totalFen: balance.paymentFen, reason: request.reason });
  for (const line of allocation.lines) {
    await manager.query('INSERT INTO refund_line (refund_sn, order_item_id, refund_fen) VALUES (?, ?, ?)', [refundSn, line.orderItemId, line.refundFen]);
  }
  const lineNote = allocation.lines.length ? ` from line${allocation.lines.length > 1 ? 's' : ''} ${allocation.lines.map((l) => `${l.orderItemId} (${l.refundFen} fen)`).join(', ')}` : '';
  await appendOrderLog(manager, {
    orderSn: request.orderSn,
    eventKey: `refund:${refundSn}:created`,
    operation: 'REFUND',
    actorRole: 'SYSTEM',
    message: `refund ${refundSn} created: ${describeRefund(allocation.refundFen, balance.provider)}${lineNote}`,
  }, 'fail', businessEvent(
    { type: 'refund', id: refundSn, sellerId: await sellerOfOrder(manager, request.orderSn), orderSn: request.orderSn },
    {
      type: 'refund.created',
      key: 'created',
      payload: {
        refundSn,
        orderSn: request.orderSn,
        causeKey: request.causeKey,
        provider: balance.provider,
        outTradeNo: balance.outTradeNo,
        refundFen: allocation.refundFen,
        totalFen: balance.paymentFen,
        reason: request.reason.slice(0, 80),
        lines: allocation.lines.map((l) => ({ orderItemId: l.orderItemId, refundFen: l.refundFen })),
        actor: eventActor('SYSTEM'),
      },
    },
  ));
  return (await findRefundByCause(manager, request.causeKey, { latest: true }))!;
}

/** What a CLOSED refund took from each line, to re-issue the same money under a new number. */
export async function refundLinesOf(manager: Pick<EntityManager, 'query'>, refundSn: string): Promise<{ orderItemId: number; refundFen: number }[]> {
  const rows: { order_item_id: number | string; refund_fen: number }[] = await manager.query('SELECT order_item_id, refund_fen FROM refund_line WHERE refund_sn = ? ORDER BY order_item_id', [refundSn]);
  return rows.map((r) => ({ orderItemId: Number(r.order_item_id), refundFen: Number(r.refund_fen) }));
}

/**
 * A refund that ended CLOSED paid nothing: its lines get back what it took. Called in the
 * transaction whose compare-and-set moved the refund to CLOSED, so it runs exactly once per refund.
 */
export async function giveBackClosedRefund(manager: EntityManager, refundSn: string): Promise<void> {
  await manager.query(
    `UPDATE order_item i JOIN refund_line l ON l.order_item_id = i.id SET i.refundable_fen = i.refundable_fen + l.refund_fen WHERE l.refund_sn = ?`,
    [refundSn],
  );
}

/**
 * Support paid a CLOSED refund offline: its money counts again, so it takes from its payment and its
 * lines once more, if they still have it (another refund may have taken it meanwhile). Returns the
 * refusal, or undefined when taken. Called under the order row's lock, in the transaction that moves
 * the refund out of CLOSED.
 */
export async function takeAgainForOffline(manager: EntityManager, refund: RefundRow): Promise<RefundRefusedError | undefined> {
  const balance = await readRefundBalance(manager, refund.order_sn, { outTradeNo: refund.out_trade_no, lock: true });
  if (!balance) return new RefundRefusedError(RefundRefusal.NOTHING_TO_REFUND, `payment ${refund.out_trade_no} is not captured`);
  const allocation = allocateRefund(balance, { refundFen: refund.refund_fen });
  if (isRefundRefused(allocation)) return new RefundRefusedError(allocation.code, allocation.message);
  // A cancellation's lines cover less than its amount (the shipping fee), so each line is checked on its own.
  const lines = await refundLinesOf(manager, refund.refund_sn);
  for (const line of lines) {
    const left = balance.lines.find((l) => l.orderItemId === line.orderItemId)?.refundableFen ?? 0;
    if (line.refundFen > left) return new RefundRefusedError(RefundRefusal.EXCEEDS_REMAINING, `line ${line.orderItemId} has ${left} fen refundable left, not the ${line.refundFen} fen this refund took`);
  }
  await takeFromLines(manager, refund.order_sn, { refundFen: refund.refund_fen, lines });
  return undefined;
}

async function takeFromLines(manager: EntityManager, orderSn: string, allocation: RefundAllocation): Promise<void> {
  for (const line of allocation.lines) {
    const updated = await manager.query(
      'UPDATE order_item SET refundable_fen = refundable_fen - ? WHERE id = ? AND order_sn = ? AND refundable_fen >= ?',
      [line.refundFen, line.orderItemId, orderSn, line.refundFen],
    );
    // The allocation was decided under the same lock: a miss means the row changed outside this module.
    if (updated.affectedRows !== 1) throw new RefundRefusedError(RefundRefusal.EXCEEDS_REMAINING, `line ${line.orderItemId} no longer has ${line.refundFen} fen refundable`);
  }
}

/** `latest`: a locking read, which sees what other transactions committed after this one's snapshot. */
async function findRefundByCause(manager: Pick<EntityManager, 'query'>, causeKey: string, options: { latest?: boolean } = {}): Promise<RefundRow | undefined> {
  const [row] = await manager.query(`SELECT * FROM refund WHERE cause_key = ?${options.latest ? ' LOCK IN SHARE MODE' : ''}`, [causeKey]);
  return row;
}
