import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CancellationRequest, Order, Refund } from '../../../db/entities';
import { runStep } from '../../../db/business-events';
import { insertCancellationRequest, readStoredCancellationAnswer, storeCancellationAnswer } from '../../../db/cancellation-requests';
import { CancellationStatus, DomainError, ErrorCode, OrderStatus, decideCancel, flowOf, type OrderType, type PaymentType } from '../../../domain';
import { CancellationProgress, cancellationProgressQuery, cancellationWorkflowId } from '../../../workflows/cancellation.contract';
import { CancelRequest, orderStateQuery, orderWorkflowId } from '../../../workflows/order.contract';
import { refundWorkflowId } from '../../../workflows/refund.contract';
import { actorIdOf, type Principal } from '../auth/principal';
import { requestHash } from '../common/idempotency';
import { StoredAnswer, refusedAnswer } from '../common/stored-answer';
import { queryOrUnavailable } from '../../shared/temporal';
import { OrderAccess } from '../orders/order-access';
import { OrderWorkflows } from '../orders/order-workflows';
import { ApiMetrics } from '../observability/business-metrics';

const ACTOR_OF: Record<string, CancelRequest['actor']> = { seller: 'SELLER', buyer: 'BUYER', support: 'SUPPORT' };

/**
 * Records cancel requests (the seed's req_order_ops) and hands each to its own cancellation workflow
 * (`cancel-{orderSn}`), which asks the order workflow: a seller's cancel never waits on a worker.
 */
@Injectable()
export class CancellationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: OrderAccess,
    private readonly workflows: OrderWorkflows,
    private readonly metrics: ApiMetrics,
  ) {}

  async request(principal: Principal, orderSn: string, reason: string, idempotencyKey: string): Promise<StoredAnswer> {
    const order = await this.access.load(principal, orderSn);
    const hash = requestHash({ orderSn, reason });
    const repo = this.dataSource.getRepository(CancellationRequest);
    // An API key's requests are its own (actor `key:{id}`): its idempotency keys, and the order log's attribution.
    const byKey = { actorRole: principal.role, actorId: actorIdOf(principal), idempotencyKey };
    // A retry finds its request first: a replay is answered from the row, without so much as an insert attempt.
    let request = await repo.findOneBy(byKey);
    if (!request) {
      try {
        // Recorded with its cancellation.received event, in one step (db/business-events.ts).
        request = await runStep(this.dataSource, async (manager) => {
          return insertCancellationRequest(manager, { ...byKey, orderSn, requestHash: hash, reason }, order.sellerId);
        });
      } catch (err) {
        if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
        request = await repo.findOneByOrFail(byKey);
      }
    }
    if (request.requestHash !== hash) throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used with a different request');
    if (request.response) return request.response as unknown as StoredAnswer;
    // Not answered yet: this is the first attempt, or one that recorded the request and never answered
    // (a crash, or a concurrent twin still running): finish it (decide sends the same Update again).
    request.id = Number(request.id); // a fresh insert reports its id as a string
    const answer = await this.decide(principal, request, order);
    // The first answer stored wins (a concurrent retry of the same key answers the same, see decide),
    // and only the request that stored it counts it and finalises it: a twin must not overwrite the
    // status with its own later view (the order already cancelled by the first). Only a request that
    // started nothing is finalised here (refused, or the order was already cancelled); an accepted
    // request's status belongs to its workflow.
    const final = answer.httpStatus >= 400 ? CancellationStatus.REFUSED : answer.body.alreadyCancelled ? CancellationStatus.ALREADY_CANCELLED : null;
    const refusal = answer.httpStatus >= 400 && typeof answer.body.code === 'string' ? { code: answer.body.code, reason: String(answer.body.detail) } : undefined;
    // An accepted request's answer is one guarded UPDATE with no event: no transaction around it.
    const store = (db: Pick<DataSource, 'query'>) => storeCancellationAnswer(db, request.id, answer, final, { role: principal.role.toUpperCase(), id: actorIdOf(principal) }, refusal);
    const storedFirst = final === null ? await store(this.dataSource) : await runStep(this.dataSource, store);
    if (storedFirst) this.metrics.cancellationRequests.inc({ outcome: cancellationOutcome(answer.httpStatus) });
    // Ours is the stored answer when we stored it (as its JSON reads back: no undefined members); else the twin's.
    return storedFirst ? (JSON.parse(JSON.stringify(answer)) as StoredAnswer) : readStoredCancellationAnswer<StoredAnswer>(this.dataSource, request.id);
  }

  /**
   * The one cancel rule on the row (an immediate 409 when it already says no), then `cancel-{orderSn}`
   * started for this request — durable at the server, no worker needed — and 202. The cancellation
   * asks the order workflow, which decides on its own state; a refusal found there ends the request
   * REFUSED with its code (GET …/cancellations/{id}). `order` is the row request() loaded (and
   * authorised) moments before: read once per request.
   */
  private async decide(principal: Principal, request: CancellationRequest, order: Order): Promise<StoredAnswer> {
    if (order.orderStatus === OrderStatus.CANCELLED) {
      const accepted = await this.acceptedCancellation(request.orderSn);
      return { httpStatus: 200, body: { alreadyCancelled: true, ...(accepted ? await this.describe(accepted) : { orderSn: request.orderSn, status: CancellationStatus.COMPLETED }) } };
    }
    const actor = ACTOR_OF[principal.role];
    // A fast 409 from the row, with the function the order workflow decides with (on its own state).
    const check = decideCancel({ flow: flowOf(order.paymentType as PaymentType, order.orderType as OrderType), status: order.orderStatus as OrderStatus, paidFen: order.paidFen, actor });
    if (!check.allowed) return refusedAnswer(new DomainError(check.code, check.reason));
    const accepted = (status: CancellationStatus, runId?: string): StoredAnswer => {
      const orderWorkflow = orderWorkflowId(request.orderSn);
      const cancellationWorkflow = cancellationWorkflowId(request.orderSn);
      return {
        httpStatus: 202,
        body: {
          cancellationId: request.id,
          orderSn: request.orderSn,
          status,
          // As the row says now; the order workflow decides on its own state when the cancellation asks.
          refunding: check.refunding,
          orderWorkflowId: orderWorkflow,
          cancellationWorkflowId: cancellationWorkflow,
          // This request's run of cancel-{orderSn} (a later request of the same order may run under the same id).
          ...(runId ? { cancellationRunId: runId } : {}),
          temporalUiUrl: this.workflows.uiLink(cancellationWorkflow),
          orderTemporalUiUrl: this.workflows.uiLink(orderWorkflow),
        },
      };
    };
    // Its cancellation already moved it (an answer lost before it was stored): never a second start.
    if (request.status !== CancellationStatus.RECEIVED) return accepted(request.status as CancellationStatus);
    const started = await this.workflows.startCancellation(
      { orderSn: request.orderSn, cancellationId: request.id, actor, actorId: actorIdOf(principal), reason: request.reason, refundPollScheduleMs: this.workflows.refundPollScheduleMs() },
      order.sellerId,
    );
    if (started.started || started.runningFor === request.id) return accepted(CancellationStatus.RECEIVED, started.runId);
    return refusedAnswer(new DomainError(ErrorCode.CANCELLATION_IN_PROGRESS, `order ${request.orderSn} is being cancelled (${cancellationWorkflowId(request.orderSn)}, cancellation ${started.runningFor ?? 'unknown'})`));
  }

  async get(principal: Principal, orderSn: string, id: string) {
    await this.access.load(principal, orderSn);
    const request = await this.dataSource.getRepository(CancellationRequest).findOneBy({ id: id as unknown as number, orderSn }); // BIGINT bound as its string
    if (!request) throw new NotFoundException(`cancellation ${id} of order ${orderSn} not found`);
    return this.describe(request);
  }

  private async describe(request: CancellationRequest) {
    const refunds = await this.dataSource.getRepository(Refund).find({ where: { orderSn: request.orderSn }, order: { id: 'ASC' } });
    const { workflowId, progress } = await this.progressOf(request);
    return {
      cancellationId: request.id,
      orderSn: request.orderSn,
      status: request.status,
      reason: request.reason,
      requestedBy: { role: request.actorRole, id: request.actorId },
      createdAt: request.createdAt,
      ...(request.refusalCode ? { refusal: { code: request.refusalCode, reason: request.refusalReason } } : {}),
      cancellationWorkflowId: workflowId,
      temporalUiUrl: this.workflows.uiLink(workflowId),
      progress,
      refunds: refunds.map((r) => ({ refundSn: r.refundSn, status: r.status, refundFen: r.refundFen, provider: r.provider, workflowId: refundWorkflowId(r.refundSn) })),
    };
  }

  /**
   * Each request accepted today has its own run of `cancel-{orderSn}` (its id in the stored answer),
   * whose progress query has the steps. Orders from before gave the money and stock back in the order
   * workflow (its state has the steps) or in a `cancel-{orderSn}` of theirs.
   */
  private async progressOf(request: CancellationRequest): Promise<{ workflowId: string; progress: CancellationProgress | { unavailable: string } }> {
    const workflowId = cancellationWorkflowId(request.orderSn);
    const runId = (request.response as { body?: { cancellationRunId?: string } } | null)?.body?.cancellationRunId;
    if (runId) return { workflowId, progress: await queryOrUnavailable(this.workflows.temporal.workflow.getHandle(workflowId, runId), cancellationProgressQuery) };
    const order = await queryOrUnavailable(this.workflows.handle(request.orderSn), orderStateQuery);
    const own = 'cancellation' in order ? order.cancellation : undefined;
    if (own?.steps && own.cancellationId === Number(request.id)) {
      const status = own.progress === 'COMPLETED' ? CancellationStatus.COMPLETED : own.refunding ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED;
      return { workflowId: own.cancellationWorkflowId, progress: { status, steps: own.steps, ...(own.refundSn ? { refundSn: own.refundSn } : {}) } };
    }
    return { workflowId, progress: await queryOrUnavailable(this.workflows.temporal.workflow.getHandle(workflowId), cancellationProgressQuery) };
  }

  private acceptedCancellation(orderSn: string): Promise<CancellationRequest | null> {
    return this.dataSource
      .getRepository(CancellationRequest)
      .createQueryBuilder('c')
      .where('c.order_sn = :orderSn AND c.status NOT IN (:...skip)', { orderSn, skip: [CancellationStatus.RECEIVED, CancellationStatus.REFUSED, CancellationStatus.ALREADY_CANCELLED] })
      .orderBy('c.id', 'ASC')
      .getOne();
  }
}

/** The metric label of a first answer: 202 handed to the workflow, 200 it was already cancelled, 4xx refused. */
function cancellationOutcome(httpStatus: number): string {
  return httpStatus === 202 ? 'accepted' : httpStatus === 200 ? 'already_cancelled' : httpStatus === 409 ? 'refused' : `http_${httpStatus}`;
}
