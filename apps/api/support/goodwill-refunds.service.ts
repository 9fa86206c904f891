import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { runStep } from '../../../db/business-events';
import { GoodwillRequestRow as GoodwillRow, findGoodwillRequest, findGoodwillRequestByKey, findGoodwillRequestOfOrder, insertGoodwillRequest, storeGoodwillAnswer } from '../../../db/goodwill-refunds';
import { readRefundBrief, readRefundProvider } from '../../../db/refunds';
import type { AppConfig } from '../../../config/app-config';
import { GOODWILL_REFUND_WORKFLOW, GoodwillRefundAnswer, goodwillRefundAnswerUpdate, goodwillRefundWorkflowId } from '../../../workflows/goodwill-refund.contract';
import { refundWorkflowId } from '../../../workflows/refund.contract';
import { executeUpdateWithStartWorkflow } from '../../shared/start-workflows';
import type { Principal } from '../auth/principal';
import { refusedAnswer } from '../common/stored-answer';
import { DomainError, ERROR_CATALOGUE, ErrorCode, isErrorCode } from '../../../domain/error-codes';
import { requestHash } from '../common/idempotency';
import { OrderAccess } from '../orders/order-access';
import { OrderWorkflows } from '../orders/order-workflows';
import { APP_CONFIG } from '../tokens';
import { workPriority } from '../../../domain';

export interface GoodwillAnswer {
  httpStatus: number;
  body: Record<string, unknown>;
}

/**
 * Support's goodwill refunds. The API records the request (its Idempotency-Key taken: the same key
 * replays the first answer, another body under it is a 422) and starts `goodwill-refund-{id}` with
 * an Update that answers once the workflow recorded the refund (202) or refused it (409: more than
 * remains refundable, or nothing was paid). The refund, its order-log row and every status are
 * written by workflows, never here.
 */
@Injectable()
export class GoodwillRefundsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: OrderAccess,
    private readonly workflows: OrderWorkflows,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async request(staff: Principal, orderSn: string, refundFen: number, reason: string, idempotencyKey: string): Promise<GoodwillAnswer> {
    await this.access.load(staff, orderSn);
    const hash = requestHash({ orderSn, refundFen, reason });
    const byKey = () => findGoodwillRequestByKey(this.dataSource, staff.role, staff.id, idempotencyKey);
    // A retry finds its request first: a replay is answered from the row, without so much as an insert attempt.
    let row = await byKey();
    if (!row) {
      try {
        const id = await runStep(this.dataSource, (manager) =>
          insertGoodwillRequest(manager, { orderSn, actorRole: staff.role, actorId: staff.id, idempotencyKey, requestHash: hash, refundFen, reason }),
        );
        row = (await findGoodwillRequest(this.dataSource, id))!;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
        row = (await byKey())!;
      }
    }
    if (row.request_hash !== hash) throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used with a different request');
    if (row.response_json) return parseJson(row.response_json) as GoodwillAnswer;
    // Not answered yet: the first attempt, or one recorded and never answered (a crash, or a concurrent
    // twin still waiting): ask the workflow, with the same Update id, so a twin's question is the same Update.
    const answer = await this.decide(staff, row);
    // The first answer stored wins, so concurrent retries of one key all answer the same.
    await storeGoodwillAnswer(this.dataSource, row.id, answer);
    const stored = (await findGoodwillRequest(this.dataSource, row.id))!;
    return parseJson(stored.response_json) as GoodwillAnswer;
  }

  private async decide(staff: Principal, row: GoodwillRow): Promise<GoodwillAnswer> {
    const workflowId = goodwillRefundWorkflowId(row.id);
    let answer: GoodwillRefundAnswer;
    try {
      answer = await executeUpdateWithStartWorkflow(this.workflows.temporal, GOODWILL_REFUND_WORKFLOW, goodwillRefundAnswerUpdate, {
        // One Update per request: a twin (or a retry after a crash) gets the same answer and adds nothing to the history.
        updateId: `goodwill-answer-${row.id}`,
        start: {
          workflowId,
          taskQueue: this.config.temporal.taskQueue,
          args: [{ requestId: Number(row.id), orderSn: row.order_sn, refundFen: row.refund_fen, reason: row.reason, supportId: `${staff.role}:${staff.id}`, pollScheduleMs: this.config.refund.pollScheduleMs }],
          // A retry attaches to the running workflow; a finished one is never started again (its row has the answer).
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          searchAttributes: { OrderSn: [row.order_sn] },
          priority: workPriority('goodwill-refund', this.config.workPriorities),
          staticSummary: `Goodwill refund ${row.id} of order ${row.order_sn} by ${staff.role} ${staff.id}`,
        },
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) && !(err instanceof WorkflowUpdateFailedError)) throw err;
      // Its workflow finished before this retry could ask it: the row it wrote is the answer.
      const done = (await findGoodwillRequest(this.dataSource, row.id))!;
      if (done.status === 'REFUSED') answer = { outcome: 'REFUSED', reason: done.refusal ?? 'refused', code: ErrorCode.CONFLICT };
      else if (done.refund_sn) {
        const refund = await readRefundProvider(this.dataSource, done.refund_sn);
        answer = { outcome: 'ACCEPTED', refundSn: done.refund_sn, refundFen: done.refund_fen, provider: refund.provider };
      } else throw err;
    }
    if (answer.outcome === 'REFUSED') return refusedAnswer(new DomainError(goodwillRefusalCode(answer.code), answer.reason));
    return {
      httpStatus: HttpStatus.ACCEPTED,
      body: {
        goodwillRefundId: Number(row.id),
        orderSn: row.order_sn,
        refundSn: answer.refundSn,
        refundFen: answer.refundFen,
        reason: row.reason,
        status: 'REFUNDING',
        workflowId,
        temporalUiUrl: this.workflows.uiLink(workflowId),
        refundWorkflowId: refundWorkflowId(answer.refundSn),
        refundTemporalUiUrl: this.workflows.uiLink(refundWorkflowId(answer.refundSn)),
      },
    };
  }

  /** One goodwill refund as support sees it: the request, its refund row, the workflow link. */
  async get(orderSn: string, id: string) {
    const row = await findGoodwillRequestOfOrder(this.dataSource, id, orderSn);
    if (!row) return undefined;
    const refund = row.refund_sn ? await readRefundBrief(this.dataSource, row.refund_sn) : undefined;
    const workflowId = goodwillRefundWorkflowId(row.id);
    return {
      goodwillRefundId: Number(row.id),
      orderSn: row.order_sn,
      refundFen: row.refund_fen,
      reason: row.reason,
      status: row.status,
      refusal: row.refusal,
      refund: refund ? { refundSn: refund.refund_sn, status: refund.status, refundFen: refund.refund_fen, provider: refund.provider, workflowId: refundWorkflowId(refund.refund_sn) } : null,
      workflowId,
      temporalUiUrl: this.workflows.uiLink(workflowId),
    };
  }
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** The workflow's refusal type as the answer's code: a refund refusal as is, a missing order NOT_FOUND, anything else CONFLICT. */
function goodwillRefusalCode(type: string): ErrorCode {
  if (type === ErrorCode.OrderNotFound) return ErrorCode.NOT_FOUND;
  return isErrorCode(type) && ERROR_CATALOGUE[type].status < 500 ? type : ErrorCode.CONFLICT;
}
