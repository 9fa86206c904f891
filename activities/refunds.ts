import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { DataSource, EntityManager } from 'typeorm';
import { PaymentProvider, ProviderError, ProviderName, RefundStatus as ProviderRefundStatus, isRefundTooFrequent } from '../payments';
import { PaymentStatus, RefundStatus, describeRefund, paymentStatusAfterRefunds } from '../domain';
import { REFUND_TOO_FREQUENT, type RefundRecord } from '../workflows/refund.contract';
import { appendOrderLog } from '../db/order-log';
import { newSn } from '../db/serial-numbers';
import { toActivityFailure } from './provider-failures';

export type { RefundRecord };

export interface CreateRefundRequest {
  /** Names why this refund exists, e.g. cancel:{cancellationId}:1; one refund per cause, ever. */
  causeKey: string;
  orderSn: string;
  reason: string;
  /** Which payment to refund; defaults to the order's paid payment. */
  outTradeNo?: string;
  /** A partial refund of exactly this many fen (one line's paid share, a complaint's arbitration); absent: all that is not refunded yet. */
  refundFen?: number;
  /**
   * What the refund takes from each order line (an after-sale's lines). Σ must equal refundFen; each
   * line's refundable_fen goes down by its amount in the refund's own transaction, so once per refund.
   */
  lines?: { orderItemId: number; refundFen: number }[];
}

export type RefundProgress = RefundStatus | 'NOT_FOUND';

export interface SubmitRefundOptions {
  /** Throw REFUND_TOO_FREQUENT (not retried) when the provider says refunds of this payment come too fast; older workflows leave it unset and keep retrying in the activity. */
  reportTooFrequent?: boolean;
  /** Ask the provider before submitting (a resubmit after "too frequent": WeChat may have accepted it). */
  queryFirst?: boolean;
}

/**
 * Refund effects. The refund row (and its number) is committed before any provider call; every call
 * sends that number with the body rebuilt from the row, so retries are byte-for-byte the same request
 * and the provider's idempotency turns a repeat into the same refund.
 */
export class RefundActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: Record<ProviderName, PaymentProvider>,
    private readonly notifyBaseUrl: string,
  ) {}

  /** Creates the refund for `causeKey` once, in its own transaction (createRefundIn). */
  async createRefund(request: CreateRefundRequest): Promise<RefundRecord> {
    return this.dataSource.transaction((manager) => createRefundIn(manager, request));
  }

  async getRefund(refundSn: string): Promise<RefundRecord> {
    const [row] = await this.dataSource.query('SELECT * FROM refund WHERE refund_sn = ?', [refundSn]);
    if (!row) throw ApplicationFailure.nonRetryable(`refund ${refundSn} does not exist`, 'RefundNotFound');
    return toRecord(row);
  }

  /**
   * Submits the refund. After a failed attempt the outcome may be unknown (a timeout after the
   * provider committed), so later attempts ask the provider first and submit only if it has never
   * heard of this refund number.
   */
  async submitRefund(refundSn: string, options: SubmitRefundOptions = {}): Promise<RefundProgress> {
    const refund = await this.getRefund(refundSn);
    if (refund.status !== RefundStatus.APPLY && refund.status !== RefundStatus.PROCESSING) return refund.status;
    const provider = this.providers[refund.provider];
    try {
      if (Context.current().info.attempt > 1 || refund.status === RefundStatus.PROCESSING || options.queryFirst) {
        const known = await provider.queryRefund(refund.outTradeNo, refund.refundSn);
        if (known.status !== 'NOT_FOUND') return this.recordSubmission(refund, known.status, known.providerRefundId);
      }
      const result = await provider.submitRefund({
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.refundSn,
        refundFen: refund.refundFen,
        totalFen: refund.totalFen,
        reason: refund.reason,
        notifyUrl: `${this.notifyBaseUrl}/notify/${refund.provider}`,
      });
      return this.recordSubmission(refund, result.status, result.providerRefundId);
    } catch (err) {
      if (options.reportTooFrequent && err instanceof ProviderError && isRefundTooFrequent(err.provider, err.code)) {
        // Not retried here: the workflow waits for a new submit slot of the payment, then resubmits this number.
        throw ApplicationFailure.create({ message: err.message, type: REFUND_TOO_FREQUENT, nonRetryable: true, details: [{ provider: err.provider, code: err.code }] });
      }
      throw toActivityFailure(err);
    }
  }

  /** Asks the provider how the refund stands (the source of truth when a notification is lost). */
  async queryRefund(refundSn: string): Promise<RefundProgress> {
    const refund = await this.getRefund(refundSn);
    try {
      const result = await this.providers[refund.provider].queryRefund(refund.outTradeNo, refund.refundSn);
      return result.status;
    } catch (err) {
      throw toActivityFailure(err);
    }
  }

  /**
   * Moves the refund to a provider-reported final state, forward only (APPLY/PROCESSING → final),
   * with its log row and, on SUCCESS, the order's refunded amount, in one transaction.
   */
  async recordRefundOutcome(request: { refundSn: string; status: ProviderRefundStatus; detail?: string }): Promise<RefundStatus> {
    const refund = await this.getRefund(request.refundSn);
    if (request.status === 'PROCESSING') return refund.status;
    return this.dataSource.transaction(async (manager) => {
      const updated = await manager.query(
        `UPDATE refund SET status = ?, failure_reason = ?, succeeded_at = IF(? = 'SUCCESS', CURRENT_TIMESTAMP(3), succeeded_at)
         WHERE refund_sn = ? AND status IN (?, ?)`,
        [request.status, request.status === 'SUCCESS' ? null : (request.detail ?? `provider reported ${request.status}`), request.status, refund.refundSn, RefundStatus.APPLY, RefundStatus.PROCESSING],
      );
      if (updated.affectedRows === 1) {
        if (request.status === 'SUCCESS') {
          await manager.query('UPDATE orders SET refunded_fen = refunded_fen + ? WHERE order_sn = ?', [refund.refundFen, refund.orderSn]);
          await this.settlePaymentStatus(manager, refund.outTradeNo);
        }
        await appendOrderLog(manager, {
          orderSn: refund.orderSn,
          eventKey: `refund:${refund.refundSn}:${request.status}`,
          operation: 'REFUND',
          actorRole: 'PAYMENT_CALLBACK',
          message: `refund ${refund.refundSn} ${request.status}: ${describeRefund(refund.refundFen, refund.provider, request.status === 'SUCCESS' ? 'refunded' : 'refund of')}${request.detail ? ` (${request.detail})` : ''}`,
        }, 'ignore');
      }
      const [row] = await manager.query('SELECT status FROM refund WHERE refund_sn = ?', [refund.refundSn]);
      return row.status as RefundStatus;
    });
  }

  /**
   * The payment's status from its provider refunds that succeeded (PARTIALLY_REFUNDED until they add
   * up to its amount, then REFUNDED), under the payment row's lock so two refunds settling at once
   * both count.
   */
  private async settlePaymentStatus(manager: EntityManager, outTradeNo: string): Promise<void> {
    const [payment] = await manager.query('SELECT amount_fen, status FROM payment WHERE out_trade_no = ? FOR UPDATE', [outTradeNo]);
    if (!payment) return;
    const [{ refunded }] = await manager.query('SELECT COALESCE(SUM(refund_fen), 0) AS refunded FROM refund WHERE out_trade_no = ? AND status = ?', [outTradeNo, RefundStatus.SUCCESS]);
    await manager.query('UPDATE payment SET status = ? WHERE out_trade_no = ? AND status IN (?, ?, ?)', [
      paymentStatusAfterRefunds(Number(payment.amount_fen), Number(refunded)),
      outTradeNo,
      PaymentStatus.PAID,
      PaymentStatus.PARTIALLY_REFUNDED,
      PaymentStatus.REFUNDED,
    ]);
  }

  /** Support paid the buyer another way (bank transfer…) for an ABNORMAL/CLOSED refund, or one the provider's count limit refused before it was sent: audited, final. */
  async markRefundedOffline(request: { refundSn: string; reference: string; supportId: string; note?: string }): Promise<RefundStatus> {
    const refund = await this.getRefund(request.refundSn);
    return this.dataSource.transaction(async (manager) => {
      const updated = await manager.query(
        `UPDATE refund SET status = ?, offline_reference = ?, resolved_by = ?, succeeded_at = CURRENT_TIMESTAMP(3)
          WHERE refund_sn = ? AND (status IN (?, ?) OR (status = ? AND submitted_at IS NULL AND payment_refund_no IS NULL AND failure_reason IS NOT NULL))`,
        [RefundStatus.REFUNDED_OFFLINE, request.reference, request.supportId, refund.refundSn, RefundStatus.ABNORMAL, RefundStatus.CLOSED, RefundStatus.APPLY],
      );
      if (updated.affectedRows === 1) {
        await manager.query('UPDATE orders SET refunded_fen = refunded_fen + ? WHERE order_sn = ?', [refund.refundFen, refund.orderSn]);
        await appendOrderLog(manager, {
          orderSn: refund.orderSn,
          eventKey: `refund:${refund.refundSn}:offline`,
          operation: 'REFUND',
          actorRole: 'SUPPORT',
          actorId: request.supportId,
          message: `refund ${refund.refundSn} paid offline by support (reference ${request.reference})${request.note ? `: ${request.note}` : ''}`,
        }, 'ignore');
      }
      const [row] = await manager.query('SELECT status FROM refund WHERE refund_sn = ?', [refund.refundSn]);
      return row.status as RefundStatus;
    });
  }

  /** Records that support asked for a CLOSED refund to be re-issued under a new number. */
  async logRefundReissue(request: { refundSn: string; supportId: string; note?: string }): Promise<void> {
    const refund = await this.getRefund(request.refundSn);
    await appendOrderLog(this.dataSource.manager, {
      orderSn: refund.orderSn,
      eventKey: `refund:${refund.refundSn}:reissue`,
      operation: 'REFUND',
      actorRole: 'SUPPORT',
      actorId: request.supportId,
      message: `refund ${refund.refundSn} was CLOSED; support re-issues it under a new refund number${request.note ? `: ${request.note}` : ''}`,
    }, 'ignore');
  }

  private async recordSubmission(refund: RefundRecord, status: ProviderRefundStatus, providerRefundId?: string): Promise<RefundProgress> {
    await this.dataSource.query(
      `UPDATE refund SET status = ?, provider_refund_id = COALESCE(?, provider_refund_id), submitted_at = COALESCE(submitted_at, CURRENT_TIMESTAMP(3))
       WHERE refund_sn = ? AND status = ?`,
      [RefundStatus.PROCESSING, providerRefundId ?? null, refund.refundSn, RefundStatus.APPLY],
    );
    if (status !== 'PROCESSING') return this.recordRefundOutcome({ refundSn: refund.refundSn, status });
    return RefundStatus.PROCESSING;
  }
}


/**
 * Creates the refund for `causeKey` once (unique key), with Σ(refunds not CLOSED) ≤ paid enforced
 * under the order row's lock, inside the caller's transaction; a retry returns the same row and number.
 */
export async function createRefundIn(manager: EntityManager, request: CreateRefundRequest): Promise<RefundRecord> {
  const existing = await manager.query('SELECT * FROM refund WHERE cause_key = ?', [request.causeKey]);
  if (existing.length) return toRecord(existing[0]);
  const [order] = await manager.query('SELECT order_sn FROM orders WHERE order_sn = ? FOR UPDATE', [request.orderSn]);
  if (!order) throw ApplicationFailure.nonRetryable(`order ${request.orderSn} does not exist`, 'OrderNotFound');
  const payments = await manager.query(
    `SELECT provider, out_trade_no, amount_fen FROM payment WHERE order_sn = ? AND status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') ${request.outTradeNo ? 'AND out_trade_no = ?' : ''} ORDER BY paid_at LIMIT 1`,
    request.outTradeNo ? [request.orderSn, request.outTradeNo] : [request.orderSn],
  );
  if (!payments.length) throw ApplicationFailure.nonRetryable(`order ${request.orderSn} has no captured payment to refund`, 'NothingToRefund');
  const payment = payments[0];
  const [{ committed }] = await manager.query(
    `SELECT COALESCE(SUM(refund_fen), 0) AS committed FROM refund WHERE out_trade_no = ? AND status <> ?`,
    [payment.out_trade_no, RefundStatus.CLOSED],
  );
  const remainingFen = payment.amount_fen - Number(committed);
  if (remainingFen <= 0) throw ApplicationFailure.nonRetryable(`payment ${payment.out_trade_no} is already fully refunded`, 'NothingToRefund');
  if (request.refundFen !== undefined && (!Number.isSafeInteger(request.refundFen) || request.refundFen <= 0 || request.refundFen > remainingFen)) {
    throw ApplicationFailure.nonRetryable(`a refund of ${request.refundFen} fen exceeds the ${remainingFen} fen that remain refundable on payment ${payment.out_trade_no}`, 'RefundExceedsRemaining');
  }
  const refundFen = request.refundFen ?? remainingFen;
  if (request.lines) await lowerRefundableLines(manager, request.orderSn, request.lines, refundFen);
  await manager.query(
    `INSERT INTO refund (refund_sn, cause_key, order_sn, provider, out_trade_no, refund_fen, total_fen, reason, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [newSn('R'), request.causeKey, request.orderSn, payment.provider, payment.out_trade_no, refundFen, payment.amount_fen, request.reason.slice(0, 80), RefundStatus.APPLY],
  );
  const [row] = await manager.query('SELECT * FROM refund WHERE cause_key = ?', [request.causeKey]);
  for (const line of request.lines ?? []) {
    await manager.query('INSERT INTO refund_line (refund_sn, order_item_id, refund_fen) VALUES (?, ?, ?)', [row.refund_sn, line.orderItemId, line.refundFen]);
  }
  await appendOrderLog(manager, {
    orderSn: request.orderSn,
    eventKey: `refund:${row.refund_sn}:created`,
    operation: 'REFUND',
    actorRole: 'SYSTEM',
    message: `refund ${row.refund_sn} created: ${describeRefund(row.refund_fen, row.provider)}`,
  }, 'ignore');
  return toRecord(row);
}

/**
 * Lowers each line's refundable amount by what this refund takes from it, guarded so it never goes
 * below zero (a line refunded more than it was paid is refused, and the whole refund with it).
 */
async function lowerRefundableLines(manager: EntityManager, orderSn: string, lines: { orderItemId: number; refundFen: number }[], refundFen: number): Promise<void> {
  const sum = lines.reduce((total, line) => total + line.refundFen, 0);
  if (sum !== refundFen || lines.some((line) => !Number.isSafeInteger(line.refundFen) || line.refundFen <= 0)) {
    throw ApplicationFailure.nonRetryable(`the lines' refunds add up to ${sum} fen, not the refund's ${refundFen} fen`, 'RefundLinesMismatch');
  }
  for (const line of lines) {
    const updated = await manager.query(
      'UPDATE order_item SET refundable_fen = refundable_fen - ? WHERE id = ? AND order_sn = ? AND refundable_fen >= ?',
      [line.refundFen, line.orderItemId, orderSn, line.refundFen],
    );
    if (updated.affectedRows !== 1) {
      const [item] = await manager.query('SELECT refundable_fen FROM order_item WHERE id = ? AND order_sn = ?', [line.orderItemId, orderSn]);
      throw ApplicationFailure.nonRetryable(
        item ? `a refund of ${line.refundFen} fen exceeds the ${item.refundable_fen} fen that remain refundable on line ${line.orderItemId}` : `order ${orderSn} has no line ${line.orderItemId}`,
        'RefundExceedsRemaining',
      );
    }
  }
}

function toRecord(row: Record<string, any>): RefundRecord {
  return {
    refundSn: row.refund_sn,
    orderSn: row.order_sn,
    provider: row.provider,
    outTradeNo: row.out_trade_no,
    refundFen: row.refund_fen,
    totalFen: row.total_fen,
    reason: row.reason,
    status: row.status,
  };
}
