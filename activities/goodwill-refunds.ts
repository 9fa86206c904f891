import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { REFUND_REFUSAL_CODES, formatFen } from '../domain';
import { appendOrderLog } from '../db/order-log';
import { createRefundIn, RefundRecord } from './refunds';

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
const REFUSALS = [...REFUND_REFUSAL_CODES, 'OrderNotFound'];

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
      const refund = await this.dataSource.transaction(async (manager) => {
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
        await manager.query(`UPDATE goodwill_refund SET status = 'REFUNDING', refund_sn = ? WHERE id = ? AND status IN ('RECEIVED', 'REFUNDING')`, [created.refundSn, request.requestId]);
        return created;
      });
      return { kind: 'recorded', refund };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || !REFUSALS.includes(err.type ?? '')) throw err;
      await this.dataSource.query(`UPDATE goodwill_refund SET status = 'REFUSED', refusal = ? WHERE id = ? AND status = 'RECEIVED'`, [err.message.slice(0, 255), request.requestId]);
      return { kind: 'refused', reason: err.message, code: err.type! };
    }
  }

  async finishGoodwillRefund(request: { requestId: number; refundSn: string }): Promise<void> {
    await this.dataSource.query(`UPDATE goodwill_refund SET status = 'REFUNDED', refund_sn = ? WHERE id = ? AND status = 'REFUNDING'`, [request.refundSn, request.requestId]);
  }
}
