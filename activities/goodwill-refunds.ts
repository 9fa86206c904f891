import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { REFUND_REFUSAL_CODES, formatFen } from '../domain';
import { appendOrderLog } from '../db/order-log';
import { runStep } from '../db/business-events';
import { markGoodwillRefunded, markGoodwillRefunding, markGoodwillRefused } from '../db/goodwill-refunds';
import { createRefundIn, RefundRecord } from './refunds';
import { ErrorCode } from '../domain/error-codes';

export interface GoodwillRefundRecording {
  requestId: number;
  orderSn: string;
  refundFen: number;
  reason: string;
  supportId: string;
  /** 1 for the first refund, n for the n-th after support re-issued a CLOSED one. */
  attempt: number;
}

/** Refusals that are answers (409 to support), not failures: nothing was recorded. */
const REFUSALS = [...REFUND_REFUSAL_CODES, ErrorCode.OrderNotFound];

export type GoodwillRecorded = { kind: 'recorded'; refund: RefundRecord } | { kind: 'refused'; reason: string; code: string };

/**
 * Support's goodwill refunds (workflows/goodwill-refund.workflow.ts). The refund is an ordinary one
 * (createRefundIn: cause key `goodwill:{requestId}:{attempt}`, Σ refunds not CLOSED ≤ paid under the
 * order row's lock), recorded in one transaction with the order-log row that names support and the
 * reason, and the request row's progress. Running twice changes nothing (unique cause and log keys).
 */
export class GoodwillRefundActivities {
  constructor(private readonly dataSource: DataSource) {}

  async recordGoodwillRefund(request: GoodwillRefundRecording): Promise<GoodwillRecorded> {
    try {
      const refund = await runStep(this.dataSource, async (manager) => {
        const created = await createRefundIn(manager, {
          causeKey: `goodwill:${request.requestId}:${request.attempt}`,
          orderSn: request.orderSn,
          reason: `goodwill: ${request.reason}`.slice(0, 80),
          refundFen: request.refundFen,
        });
        await appendOrderLog(manager, {
          orderSn: request.orderSn,
          eventKey: `goodwill:${request.requestId}:${request.attempt}`,
          operation: 'REFUND',
          actorRole: 'SUPPORT',
          actorId: request.supportId,
          message: `goodwill refund of ${formatFen(request.refundFen)} CNY by ${request.supportId} (refund ${created.refundSn}${request.attempt > 1 ? `, re-issue #${request.attempt}` : ''}): ${request.reason}`,
        }, 'ignore');
        await markGoodwillRefunding(manager, { requestId: request.requestId, refundSn: created.refundSn, attempt: request.attempt, supportId: request.supportId });
        return created;
      });
      return { kind: 'recorded', refund };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || !REFUSALS.includes(err.type ?? '')) throw err;
      await runStep(this.dataSource, (manager) => markGoodwillRefused(manager, { requestId: request.requestId, refusal: err.message }));
      return { kind: 'refused', reason: err.message, code: err.type! };
    }
  }

  async finishGoodwillRefund(request: { requestId: number; refundSn: string }): Promise<void> {
    await runStep(this.dataSource, (manager) => markGoodwillRefunded(manager, request));
  }
}
