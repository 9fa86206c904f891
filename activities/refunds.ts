import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { DataSource, EntityManager } from 'typeorm';
import { PaymentProvider, ProviderError, ProviderName, RefundStatus as ProviderRefundStatus, isRefundTooFrequent } from '../payments';
import { RefundLineAsk, RefundStatus, describeRefund } from '../domain';
import { RefundRefusedError, drawRefund, giveBackClosedRefund, refundLinesOf, takeAgainForOffline } from '../db/refund-balance';
import { REFUND_TOO_FREQUENT, type RefundRecord } from '../workflows/refund.contract';
import { appendOrderLog } from '../db/order-log';
import { emitEvent, runStep, sellerOfOrder } from '../db/business-events';
import { findRefundRow, markRefundOutcome, markRefundPaidOffline, markRefundSubmitted, readRefundStatus, readRefundStatusUnlocked } from '../db/refunds';
import { addOrderRefundedFen } from '../db/orders';
import { PaymentRefundChange, emitPaymentRefunded, settlePaymentAfterRefunds } from '../db/payments';
import { REFUND_STATUS_EVENTS, businessEvent, eventActor } from '../domain/events';
import { toActivityFailure } from './provider-failures';
import type { ProviderGate } from './provider-gate';
import { ErrorCode } from '../domain/error-codes';

export type { RefundRecord };

export interface CreateRefundRequest {
  /** Names why this refund exists, e.g. cancel:{cancellationId}:1; one refund per cause, ever. */
  causeKey: string;
  orderSn: string;
  reason: string;
  /** Which payment to refund; defaults to the order's paid payment. */
  outTradeNo?: string;
  /** A partial refund of exactly this many fen (an after-sale's agreed amount, a complaint's arbitration, goodwill); absent: all that is not refunded yet. */
  refundFen?: number;
  /**
   * What the refund takes from each order line, by line id or (a complaint) by SKU; Σ must equal
   * refundFen. Each line's refundable amount goes down in the refund's own transaction, so once per
   * refund; without lines the refund takes only from the order's remainder (goodwill).
   */
  lines?: RefundLineAsk[];
  /** Re-issues a CLOSED refund under a new number: the same amount from the same lines (the CLOSED one gave them back). */
  reissueOf?: string;
}

export type RefundProgress = RefundStatus | 'NOT_FOUND';

export interface SubmitRefundOptions {
  /** Throw REFUND_TOO_FREQUENT (not retried) when the provider says refunds of this payment come too fast; older workflows leave it unset and keep retrying in the activity. */
  reportTooFrequent?: boolean;
  /** Ask the provider before submitting (a resubmit after "too frequent": WeChat may have accepted it). */
  queryFirst?: boolean;
  /**
   * The workflow waits on the provider gate (patched 'provider-gate'): while the gate is open nothing is
   * sent and the failure is PROVIDER_GATE_OPEN, also after a retryable failure that finds it open.
   */
  gate?: boolean;
  /** The gate released this workflow: each provider call takes a call slot from the gate first (ProviderGate.paced). */
  paced?: boolean;
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
    /** PROVIDER_GATE=on: calls are counted by the refunds gate and, for workflows that ask, held while it is open. */
    private readonly gate?: ProviderGate,
  ) {}

  /** Runs one provider call, counted by the refunds gate when there is one, and paced when the gate released the workflow. */
  private call<T>(provider: ProviderName, run: () => Promise<T>, paced?: boolean): Promise<T> {
    if (!this.gate) return run();
    return paced ? this.gate.paced(provider, 'refunds', run) : this.gate.call(provider, 'refunds', run);
  }

  /** A retryable provider failure of a gated call becomes PROVIDER_GATE_OPEN when the gate is open now. */
  private async holdOrFail(err: unknown, refund: RefundRecord, gated: boolean | undefined, what: string): Promise<never> {
    if (gated && this.gate && err instanceof ProviderError && err.errorClass === 'retryable') await this.gate.holdIfOpen(refund.provider, 'refunds', what);
    throw toActivityFailure(err);
  }

  /** Creates the refund for `causeKey` once, in its own transaction (createRefundIn). */
  async createRefund(request: CreateRefundRequest): Promise<RefundRecord> {
    return runStep(this.dataSource, (manager) => createRefundIn(manager, request));
  }

  async getRefund(refundSn: string): Promise<RefundRecord> {
    const row = await findRefundRow(this.dataSource, refundSn);
    if (!row) throw ApplicationFailure.nonRetryable(`refund ${refundSn} does not exist`, ErrorCode.RefundNotFound);
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
    // Nothing is sent while the gate is open: the workflow waits for its release, then submits this same number.
    if (options.gate) await this.gate?.holdIfOpen(refund.provider, 'refunds', `refund ${refundSn}`);
    try {
      if (Context.current().info.attempt > 1 || refund.status === RefundStatus.PROCESSING || options.queryFirst) {
        const known = await this.call(refund.provider, () => provider.queryRefund(refund.outTradeNo, refund.refundSn), options.paced);
        if (known.status !== 'NOT_FOUND') return this.recordSubmission(refund, known.status, known.providerRefundId);
      }
      const result = await this.call(refund.provider, () => provider.submitRefund({
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.refundSn,
        refundFen: refund.refundFen,
        totalFen: refund.totalFen,
        reason: refund.reason,
        notifyUrl: `${this.notifyBaseUrl}/notify/${refund.provider}`,
      }), options.paced);
      return this.recordSubmission(refund, result.status, result.providerRefundId);
    } catch (err) {
      if (options.reportTooFrequent && err instanceof ProviderError && isRefundTooFrequent(err.provider, err.code)) {
        // Not retried here: the workflow waits for a new submit slot of the payment, then resubmits this number.
        throw ApplicationFailure.create({ message: err.message, type: REFUND_TOO_FREQUENT, nonRetryable: true, details: [{ provider: err.provider, code: err.code }] });
      }
      return this.holdOrFail(err, refund, options.gate, `refund ${refundSn}`);
    }
  }

  /** Asks the provider how the refund stands (the source of truth when a notification is lost); `gate` as for submitRefund. */
  async queryRefund(refundSn: string, options: { gate?: boolean; paced?: boolean } = {}): Promise<RefundProgress> {
    const refund = await this.getRefund(refundSn);
    if (options.gate) await this.gate?.holdIfOpen(refund.provider, 'refunds', `refund query ${refundSn}`);
    try {
      const result = await this.call(refund.provider, () => this.providers[refund.provider].queryRefund(refund.outTradeNo, refund.refundSn), options.paced);
      return result.status;
    } catch (err) {
      return this.holdOrFail(err, refund, options.gate, `refund query ${refundSn}`);
    }
  }

  /**
   * Moves the refund to a provider-reported final state, forward only (APPLY/PROCESSING → final),
   * with its log row and, on SUCCESS, the order's refunded amount, in one transaction.
   */
  async recordRefundOutcome(request: { refundSn: string; status: ProviderRefundStatus; detail?: string }): Promise<RefundStatus> {
    const refund = await this.getRefund(request.refundSn);
    if (request.status === 'PROCESSING') return refund.status;
    return runStep(this.dataSource, async (manager) => {
      const before = await readRefundStatus(manager, refund.refundSn);
      if (await markRefundOutcome(manager, refund.refundSn, request.status, request.detail)) {
        // The compare-and-set above moves a refund to CLOSED once, so its lines get their money back once.
        if (request.status === 'CLOSED') await giveBackClosedRefund(manager, refund.refundSn);
        let paymentMoved: PaymentRefundChange | undefined;
        if (request.status === 'SUCCESS') {
          await addOrderRefundedFen(manager, refund.orderSn, refund.refundFen);
          paymentMoved = await settlePaymentAfterRefunds(manager, refund.outTradeNo, refund.orderSn);
        }
        await appendOrderLog(manager, {
          orderSn: refund.orderSn,
          eventKey: `refund:${refund.refundSn}:${request.status}`,
          operation: 'REFUND',
          actorRole: 'PAYMENT_CALLBACK',
          message: `refund ${refund.refundSn} ${request.status}: ${describeRefund(refund.refundFen, refund.provider, request.status === 'SUCCESS' ? 'refunded' : 'refund of')}${request.detail ? ` (${request.detail})` : ''}`,
        }, 'ignore');
        // The compare-and-set won, so the change is new. (The seller is read only now: a plain read before
        // the payment row's lock would fix this transaction's snapshot too early for settlePaymentAfterRefunds's sum.)
        const sellerId = await sellerOfOrder(manager, refund.orderSn);
        emitEvent(manager, businessEvent(
          { type: 'refund', id: refund.refundSn, sellerId, orderSn: refund.orderSn },
          {
            type: REFUND_STATUS_EVENTS[request.status],
            key: request.status,
            payload: { refundSn: refund.refundSn, orderSn: refund.orderSn, provider: refund.provider, refundFen: refund.refundFen, from: before ?? refund.status, to: request.status, detail: request.detail ?? null, actor: eventActor('PAYMENT_CALLBACK') },
          },
        ));
        if (paymentMoved) emitPaymentRefunded(manager, paymentMoved, sellerId, eventActor('PAYMENT_CALLBACK'));
      }
      return readRefundStatusUnlocked(manager, refund.refundSn);
    });
  }

  /** Support paid the buyer another way (bank transfer…) for an ABNORMAL/CLOSED refund, or one the provider's count limit refused before it was sent: audited, final. */
  async markRefundedOffline(request: { refundSn: string; reference: string; supportId: string; note?: string }): Promise<RefundStatus> {
    const refund = await this.getRefund(request.refundSn);
    return runStep(this.dataSource, async (manager) => {
      const before = await readRefundStatus(manager, refund.refundSn);
      if (refund.status === RefundStatus.CLOSED) {
        // A CLOSED refund gave its money back to the balance: paid offline, it takes it again, if still there.
        const row = await findRefundRow(manager, refund.refundSn);
        const refused = await takeAgainForOffline(manager, row!);
        if (refused) {
          await appendOrderLog(manager, {
            orderSn: refund.orderSn,
            eventKey: `refund:${refund.refundSn}:offline-refused`,
            operation: 'REFUND',
            actorRole: 'SUPPORT',
            actorId: request.supportId,
            message: `refund ${refund.refundSn} cannot be marked paid offline: ${refused.message}`,
          }, 'ignore');
          return RefundStatus.CLOSED;
        }
      }
      if (await markRefundPaidOffline(manager, refund.refundSn, request.reference, request.supportId)) {
        await addOrderRefundedFen(manager, refund.orderSn, refund.refundFen);
        await appendOrderLog(manager, {
          orderSn: refund.orderSn,
          eventKey: `refund:${refund.refundSn}:offline`,
          operation: 'REFUND',
          actorRole: 'SUPPORT',
          actorId: request.supportId,
          message: `refund ${refund.refundSn} paid offline by support (reference ${request.reference})${request.note ? `: ${request.note}` : ''}`,
        }, 'ignore');
        emitEvent(manager, businessEvent(
          { type: 'refund', id: refund.refundSn, sellerId: await sellerOfOrder(manager, refund.orderSn), orderSn: refund.orderSn },
          {
            type: 'refund.refunded_offline',
            key: RefundStatus.REFUNDED_OFFLINE,
            payload: { refundSn: refund.refundSn, orderSn: refund.orderSn, refundFen: refund.refundFen, from: before ?? refund.status, reference: request.reference, note: request.note ?? null, actor: eventActor('SUPPORT', request.supportId) },
          },
        ));
      }
      return readRefundStatusUnlocked(manager, refund.refundSn);
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
    await runStep(this.dataSource, async (manager) => markRefundSubmitted(manager, refund, providerRefundId ?? null));
    if (status !== 'PROCESSING') return this.recordRefundOutcome({ refundSn: refund.refundSn, status });
    return RefundStatus.PROCESSING;
  }
}


/**
 * Creates the refund for `causeKey` once, inside the caller's transaction, drawn from the one
 * refundable balance (db/refund-balance.ts: under the order row's lock, never more than a line or the
 * payment has left). A retry returns the same row and number; a refusal is a non-retryable failure
 * whose type is the balance's code.
 */
export async function createRefundIn(manager: EntityManager, request: CreateRefundRequest): Promise<RefundRecord> {
  try {
    const lines = request.reissueOf ? await refundLinesOf(manager, request.reissueOf) : request.lines;
    const row = await drawRefund(manager, {
      causeKey: request.causeKey,
      orderSn: request.orderSn,
      reason: request.reason,
      outTradeNo: request.outTradeNo,
      ask: request.refundFen === undefined ? { everything: true } : { refundFen: request.refundFen, ...(lines?.length ? { lines } : {}) },
    });
    return toRecord(row);
  } catch (err) {
    if (err instanceof RefundRefusedError) throw ApplicationFailure.nonRetryable(err.message, err.code);
    throw err;
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
