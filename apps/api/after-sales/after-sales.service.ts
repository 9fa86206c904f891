import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { appendOrderLog } from '../../../db/order-log';
import { runStep } from '../../../db/business-events';
import { businessEvent, eventActor } from '../../../domain/events';
import { newSn } from '../../../db/serial-numbers';
import { readRefundBalance } from '../../../db/refund-balance';
import { findAfterSaleByIdempotencyKey, insertAfterSaleApplication, readAfterSaleForInput, readUnitsHeldByAfterSales, storeAfterSaleAnswer } from '../../../db/after-sales';
import { findAfterSale, listAfterSalesByStatus, listAfterSalesOfOrder, readAfterSaleDetail } from '../../../db/after-sale-reads';
import { afterId, afterNumber, pageOf, type PageRequest } from '../common/pagination';
import { lockBuyerOrderForAfterSale } from '../../../db/order-reads';
import { lockOrderItemsForAfterSale } from '../../../db/order-items';
import {
  Actor,
  AFTER_SALE_RELEASED,
  AfterSaleAction,
  AfterSaleLineFacts,
  AfterSaleStatus,
  ServiceType,
  afterSaleApplyRefusal,
  checkAfterSaleAction,
  flowOf,
  formatFen,
  paymentRemainingFen,
  planAfterSaleLines,
  RefundRefusal,
  refundsMoney,
} from '../../../domain';
import {
  AFTER_SALE_WORKFLOW,
  AfterSaleWorkflowInput,
  afterSaleStateQuery,
  afterSaleWorkflowId,
  auditAfterSaleUpdate,
  awaitOpeningUpdate,
  decideAfterSaleUpdate,
  recordReceiptUpdate,
  shipReturnUpdate,
  withdrawAfterSaleUpdate,
} from '../../../workflows/after-sale.contract';
import { refundWorkflowId } from '../../../workflows/refund.contract';
import { actorIdOf, type Principal } from '../auth/principal';
import { queryOrUnavailable, temporalUiLink } from '../../shared/temporal';
import { StoredAnswer, refusedAnswer } from '../common/stored-answer';
import { workflowRefusal } from '../common/problem-details';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { requestHash } from '../common/idempotency';
import { WorkflowNotAnswering, sendStep, sendUpdateWithStartUntilAnswered } from '../common/refused-update';
import { OrderWorkflows } from '../orders/order-workflows';
import { APP_CONFIG } from '../tokens';
import type { ApplyAfterSaleDto, AuditAfterSaleDto, ReceiptDto, SupportDecisionDto } from './after-sale.dto';
import { workPriority } from '../../../domain';


/** How long an application waits for the order's answer before it answers 202 (recorded, opening pending). */
const OPENING_WAIT_MS = 20_000;

/** What an application answered; stored on the row so a retry with the same key replays it. */
/**
 * Records after-sale applications and hands every later step to the after-sale's workflow through
 * its Update; the workflow owns the after-sale's status, and the order workflow the order's.
 * Ownership is checked in SQL first: another party's after-sale is a 404 and nothing is signalled.
 */
@Injectable()
export class AfterSalesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: OrderWorkflows,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Records the application (APPLY) under the order row's and its lines' locks, where the per-line
   * quantity limit is checked against every other after-sale that still holds units — so concurrent
   * applications are serialised and can never over-commit a line (or, since units carry their share
   * of what was paid, the payment). Then starts `after-sale-{serviceSn}` and waits for the order
   * workflow's answer: a refusal is a 409 with its reason.
   */
  async apply(buyer: Principal, orderSn: string, dto: ApplyAfterSaleDto, idempotencyKey: string): Promise<StoredAnswer> {
    const body = { orderSn, serviceType: dto.serviceType, lines: dto.lines.map((l) => ({ orderItemId: l.orderItemId, num: l.num })), reason: dto.reason.trim(), description: dto.description?.trim() || undefined };
    const hash = requestHash(body);
    const recorded = await runStep(this.dataSource, (manager) => this.record(manager, buyer, body, hash, idempotencyKey));
    if ('answer' in recorded) return recorded.answer;
    const input = recorded.input;
    const answer = await this.openingAnswer(input, orderSn);
    // Pending is not an answer to keep: a replay of the application asks the workflow again.
    if (answer.httpStatus === 202) return answer;
    return storeAfterSaleAnswer(this.dataSource, input.serviceSn, answer);
  }

  /**
   * Starts `after-sale-{serviceSn}` and asks for the order workflow's answer in one call
   * (update-with-start; one Update id per after-sale: a concurrent twin of the application, or its
   * retry, attaches to the same workflow and waits on the same Update). No worker answering within
   * OPENING_WAIT_MS is not an error: the application is recorded and its workflow started (both
   * durable), so the answer is 202 with the after-sale as it stands, and the opening's outcome lands
   * on it (`opening` turns ACCEPTED, or the after-sale CLOSED with the reason).
   */
  private async openingAnswer(input: AfterSaleWorkflowInput, orderSn: string): Promise<StoredAnswer> {
    const { serviceSn } = input;
    try {
      const opened = await sendUpdateWithStartUntilAnswered(
        this.workflows.temporal,
        AFTER_SALE_WORKFLOW,
        awaitOpeningUpdate,
        {
          updateId: `opening-${serviceSn}`,
          start: {
            workflowId: afterSaleWorkflowId(serviceSn),
            taskQueue: this.config.temporal.taskQueue,
            args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            searchAttributes: { OrderSn: [orderSn], ServiceSn: [serviceSn], SellerId: [input.sellerId], BuyerId: [input.buyerId], AfterSaleStatus: [AfterSaleStatus.APPLY] },
            priority: workPriority('after-sale', this.config.workPriorities),
            staticSummary: `After-sale ${serviceSn} (${input.serviceType}) of order ${orderSn}: ${input.lines.map((l) => `${l.num} × ${l.name}`).join(', ')}${input.requestedFen ? `, ${formatFen(input.requestedFen)} CNY asked` : ''}`,
          },
        },
        OPENING_WAIT_MS,
      );
      return opened.opening?.accepted ? { httpStatus: 201, body: await this.describe(serviceSn) } : refused(opened.opening?.reason ?? 'the order refused the after-sale');
    } catch (err) {
      // Not answering in time, or finished (a replay after the after-sale closed, whose id is not
      // reused): the row tells. An after-sale opened and later withdrawn is CLOSED with a reason, yet
      // its opening was accepted.
      if (err instanceof WorkflowNotAnswering || err instanceof WorkflowExecutionAlreadyStartedError || workflowRefusal(err, `after-sale ${serviceSn} has finished`) !== undefined) {
        return this.openingFromRow(serviceSn);
      }
      throw err;
    }
  }

  /**
   * The opening's outcome as the row has it (the workflow records OPEN, or closes the after-sale with
   * the order's reason, before it answers the Update): 201, 409, or 202 while it is still pending.
   */
  private async openingFromRow(serviceSn: string): Promise<StoredAnswer> {
    const body = await this.describe(serviceSn, { live: false });
    if (body.opening === 'ACCEPTED') return { httpStatus: 201, body };
    if (body.opening === 'REFUSED') return refused(body.closedReason ?? 'the order refused the after-sale');
    return { httpStatus: 202, body };
  }

  private async record(
    manager: EntityManager,
    buyer: Principal,
    body: { orderSn: string; serviceType: ServiceType; lines: { orderItemId: number; num: number }[]; reason: string; description?: string },
    hash: string,
    idempotencyKey: string,
  ): Promise<{ answer: StoredAnswer } | { input: AfterSaleWorkflowInput }> {
    const { orderSn } = body;
    const order = await lockBuyerOrderForAfterSale(manager, orderSn, buyer.id);
    if (!order) throw new NotFoundException(`order ${orderSn} not found`);
    // A retry of the same application (same key) replays it, after the lock, so a concurrent twin waits for the first.
    const existing = await findAfterSaleByIdempotencyKey(manager, buyer.id, idempotencyKey);
    if (existing) {
      if (existing.request_hash !== hash) throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used with a different request');
      if (existing.response_json) return { answer: (typeof existing.response_json === 'string' ? JSON.parse(existing.response_json) : existing.response_json) as StoredAnswer };
      return { input: await this.inputOf(manager, existing.service_sn) };
    }
    // The fast 409 from the row, with the rule the order workflow's validator decides with.
    const refusal = afterSaleApplyRefusal({
      flow: flowOf(order.payment_type, order.order_type),
      status: order.order_status,
      serviceStatus: order.service_status,
      completedAtMs: order.completed_at ? new Date(order.completed_at).getTime() : undefined,
      settings: this.config.orderSettings,
      nowMs: Date.now(),
    });
    if (refusal) throw new DomainError(ErrorCode.AFTER_SALE_NOT_ALLOWED, refusal);
    if (refundsMoney(body.serviceType) && !(order.paid_fen > 0)) throw new DomainError(ErrorCode.NOT_PAID, `order ${orderSn} was not paid: there is nothing to refund`);
    const items = await lockOrderItemsForAfterSale(manager, orderSn);
    // What each line and the payment have left, after every refund of any cause (the one refundable balance).
    const balance = await readRefundBalance(manager, orderSn, { lock: false });
    const taken = await readUnitsHeldByAfterSales(manager, orderSn);
    const facts: AfterSaleLineFacts[] = items.map((item) => ({
      orderItemId: Number(item.id),
      skuId: Number(item.sku_id),
      name: item.name,
      num: item.num,
      paidFen: item.paid_fen,
      refundableFen: balance?.lines.find((l) => l.orderItemId === Number(item.id))?.refundableFen ?? 0,
      takenNum: Number(taken.find((t) => Number(t.order_item_id) === Number(item.id))?.n ?? 0),
    }));
    const planned = planAfterSaleLines(facts, body.lines, balance ? paymentRemainingFen(balance) : 0);
    if ('refusal' in planned) throw new DomainError(planned.code, planned.refusal);
    const money = refundsMoney(body.serviceType);
    const requestedFen = money ? planned.plan.reduce((sum, line) => sum + line.amountFen, 0) : 0;
    if (money && requestedFen <= 0) throw new DomainError(RefundRefusal.NOTHING_TO_REFUND, 'nothing remains refundable on these lines');
    const serviceSn = newSn('S');
    const message = `after-sale ${serviceSn} (${body.serviceType}) applied for ${planned.plan.map((l) => `${l.num} × ${l.name}`).join(', ')}${money ? `, ${formatFen(requestedFen)} CNY asked` : ''}: ${body.reason}`;
    await insertAfterSaleApplication(
      manager,
      { serviceSn, orderSn, sellerId: order.seller_id, buyerId: order.buyer_id, serviceType: body.serviceType, reason: body.reason, description: body.description ?? null, requestedFen, idempotencyKey, requestHash: hash },
      planned.plan.map((line) => ({ ...line, amountFen: money ? line.amountFen : 0 })),
      message,
    );
    await appendOrderLog(manager, { orderSn, eventKey: `after-sale:${serviceSn}:0:APPLY`, operation: 'AFTER_SALE', newStatus: AfterSaleStatus.APPLY, actorRole: Actor.BUYER, actorId: buyer.id, message }, 'fail', businessEvent(
      { type: 'after_sale', id: serviceSn, sellerId: order.seller_id, orderSn },
      {
        type: 'after_sale.applied',
        key: '0:APPLY',
        payload: {
          serviceSn,
          orderSn,
          serviceType: body.serviceType,
          status: AfterSaleStatus.APPLY,
          reason: body.reason,
          requestedFen,
          lines: planned.plan.map((l) => ({ orderItemId: l.orderItemId, skuId: l.skuId, name: l.name, num: l.num, amountFen: money ? l.amountFen : 0 })),
          actor: eventActor(Actor.BUYER, buyer.id),
        },
      },
    ));
    return { input: await this.inputOf(manager, serviceSn) };
  }

  /** The workflow input, always from the rows (a replay after a crash starts the same workflow). */
  private async inputOf(manager: EntityManager, serviceSn: string): Promise<AfterSaleWorkflowInput> {
    const { row, items } = await readAfterSaleForInput(manager, serviceSn);
    return {
      serviceSn,
      orderSn: row.order_sn,
      buyerId: String(row.buyer_id),
      sellerId: String(row.seller_id),
      serviceType: row.service_type,
      lines: items.map((i: Record<string, any>) => ({ orderItemId: Number(i.order_item_id), skuId: Number(i.sku_id), name: i.name, num: i.num, amountFen: i.amount_fen })),
      requestedFen: row.requested_fen,
      reason: row.reason,
      settings: this.config.afterSales,
      refundPollScheduleMs: this.config.refund.pollScheduleMs,
    };
  }

  /** One after-sale row as its buyer, its seller or support may see it; anyone else gets a 404. */
  private async load(principal: Principal, serviceSn: string): Promise<Record<string, any>> {
    const row = await findAfterSale(this.dataSource, serviceSn, {
      buyerId: principal.role === 'buyer' ? principal.id : undefined,
      sellerId: principal.role === 'seller' ? principal.id : undefined,
    });
    if (!row) throw new NotFoundException(`after-sale ${serviceSn} not found`);
    return row;
  }

  async get(principal: Principal, serviceSn: string) {
    await this.load(principal, serviceSn);
    return this.describe(serviceSn);
  }

  /** An order's after-sales, oldest first, by cursor (each as GET /after-sales/{sn} shows it, without the live workflow state). */
  async listForOrder(orderSn: string, page: PageRequest) {
    const rows = await listAfterSalesOfOrder(this.dataSource, orderSn, { afterId: afterNumber(page), take: page.limit + 1 });
    return this.describePage(rows, page);
  }

  /** Support's list: the after-sales in a status, newest first, by cursor. */
  async listByStatus(status: string, page: PageRequest) {
    const rows = await listAfterSalesByStatus(this.dataSource, status, { beforeId: afterId(page), take: page.limit + 1 });
    return this.describePage(rows, page);
  }

  private async describePage(rows: { id: number; serviceSn: string }[], page: PageRequest) {
    const { items, nextCursor } = pageOf(rows, page, (row) => [row.id]);
    return { items: await Promise.all(items.map((row) => this.describe(row.serviceSn, { live: false }))), nextCursor };
  }

  async describe(serviceSn: string, options: { live: boolean } = { live: true }) {
    const { row, items, log, refunds } = await readAfterSaleDetail(this.dataSource, serviceSn);
    const workflowId = afterSaleWorkflowId(serviceSn);
    return {
      serviceSn,
      orderSn: row.order_sn,
      serviceType: row.service_type,
      status: row.status,
      opening: openingOf(log),
      reason: row.reason,
      description: row.description,
      requestedFen: row.requested_fen,
      agreedFen: row.agreed_fen,
      refundedFen: row.refunded_fen,
      refuseReason: row.refuse_reason,
      closedReason: row.closed_reason,
      returnShipment: row.return_carrier ? { carrier: row.return_carrier, trackingNo: row.return_tracking_no } : null,
      linkedOrderSn: row.linked_order_sn,
      deadline: row.deadline_at ? { action: row.deadline_action, at: row.deadline_at } : null,
      createdAt: row.created_at,
      lines: items.map((i: Record<string, any>) => ({ orderItemId: Number(i.order_item_id), skuId: Number(i.sku_id), name: i.name, num: i.num, amountFen: i.amount_fen, goodNum: i.good_num, damagedNum: i.damaged_num })),
      log: log.map((l: Record<string, any>) => ({ seq: l.seq, action: l.action, from: l.old_status, to: l.new_status, actor: l.actor_role, actorId: l.actor_id, message: l.message, at: l.created_at })),
      refunds: refunds.map((r: Record<string, any>) => ({ refundSn: r.refund_sn, status: r.status, refundFen: r.refund_fen, provider: r.provider, workflowId: refundWorkflowId(r.refund_sn), temporalUiUrl: temporalUiLink(this.config.temporal, refundWorkflowId(r.refund_sn)) })),
      workflowId,
      temporalUiUrl: temporalUiLink(this.config.temporal, workflowId),
      ...(options.live ? { workflow: await queryOrUnavailable(this.workflows.temporal.workflow.getHandle(workflowId), afterSaleStateQuery) } : {}),
    };
  }

  audit(seller: Principal, serviceSn: string, dto: AuditAfterSaleDto) {
    const action = dto.decision === 'PASS' ? AfterSaleAction.AUDIT_PASS : AfterSaleAction.AUDIT_REFUSE;
    return this.step(seller, serviceSn, action, Actor.SELLER, (handle, finished) =>
      sendStep(handle, auditAfterSaleUpdate, [{ actorId: actorIdOf(seller), decision: dto.decision, refundFen: dto.refundFen, reason: dto.reason?.trim() }], finished));
  }

  shipReturn(buyer: Principal, serviceSn: string, carrier: string, trackingNo: string) {
    return this.step(buyer, serviceSn, AfterSaleAction.SHIP_RETURN, Actor.BUYER, (handle, finished) =>
      sendStep(handle, shipReturnUpdate, [{ actorId: buyer.id, carrier: carrier.trim(), trackingNo }], finished));
  }

  recordReceipt(seller: Principal, serviceSn: string, dto: ReceiptDto) {
    return this.step(seller, serviceSn, AfterSaleAction.RECEIVE, Actor.SELLER, (handle, finished) =>
      sendStep(handle, recordReceiptUpdate, [{ actorId: actorIdOf(seller), lines: dto.lines.map((l) => ({ orderItemId: l.orderItemId, goodNum: l.goodNum, damagedNum: l.damagedNum })), note: dto.note?.trim() || undefined }], finished));
  }

  withdraw(buyer: Principal, serviceSn: string, reason: string) {
    return this.step(buyer, serviceSn, AfterSaleAction.WITHDRAW, Actor.BUYER, (handle, finished) => sendStep(handle, withdrawAfterSaleUpdate, [{ actorId: buyer.id, reason: reason.trim() }], finished));
  }

  decide(staff: Principal, serviceSn: string, dto: SupportDecisionDto) {
    const action = dto.action === 'REFUND' ? AfterSaleAction.SUPPORT_REFUND : AfterSaleAction.SUPPORT_CLOSE;
    return this.step(staff, serviceSn, action, Actor.SUPPORT, (handle, finished) =>
      sendStep(handle, decideAfterSaleUpdate, [{ actorId: staff.id, action: dto.action, refundFen: dto.refundFen, reason: dto.reason.trim() }], finished));
  }

  /** Ownership (404), a fast 409 from the flow table on the row, then the workflow's Update (its validator decides). */
  private async step(
    principal: Principal,
    serviceSn: string,
    action: AfterSaleAction,
    actor: Actor,
    send: (handle: ReturnType<OrderWorkflows['temporal']['workflow']['getHandle']>, finished: string) => Promise<unknown>,
  ) {
    const row = await this.load(principal, serviceSn);
    const check = checkAfterSaleAction({ status: row.status as AfterSaleStatus, action, actor, serviceType: row.service_type as ServiceType });
    if (!check.allowed) throw new DomainError(ErrorCode.AfterSaleStepRefused, check.reason);
    await send(this.workflows.temporal.workflow.getHandle(afterSaleWorkflowId(serviceSn)), `after-sale ${serviceSn} is ${row.status} and its workflow has finished`);
    return this.describe(serviceSn);
  }
}

/** Whether the order took the after-sale on: the OPEN or ORDER_REFUSED step in its log, else still pending. */
function openingOf(log: { action: string }[]): 'PENDING' | 'ACCEPTED' | 'REFUSED' {
  if (log.some((l) => l.action === AfterSaleAction.OPEN)) return 'ACCEPTED';
  if (log.some((l) => l.action === AfterSaleAction.ORDER_REFUSED)) return 'REFUSED';
  return 'PENDING';
}

/** The order refused the after-sale (not shipped, window closed, being cancelled…). */
function refused(reason: string): StoredAnswer {
  return refusedAnswer(new DomainError(ErrorCode.AFTER_SALE_NOT_ALLOWED, reason));
}
