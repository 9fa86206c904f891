import { afterId, pageOf, type PageRequest } from '../common/pagination';
import { listComplaintsPage } from '../../../db/complaints';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { Complaint, ComplaintMessage } from '../../../db/entities';
import { appendOrderLog } from '../../../db/order-log';
import { runStep } from '../../../db/business-events';
import { countClosedComplaintsOfLine, findOpenComplaintOfLine, insertComplaint, lineHasOpenComplaint } from '../../../db/complaints';
import { lockBuyerOrderForComplaint, readOrderComplainStatus } from '../../../db/order-reads';
import { findOrderLineAmounts } from '../../../db/order-items';
import { businessEvent, eventActor } from '../../../domain/events';
import {
  Actor,
  ComplainStatus,
  ComplainWindowStatus,
  ComplaintAction,
  OrderStatus,
  checkComplaintAction,
  complaintFilingRefusal,
  isComplaintClosed,
  lineComplainStatus,
  lineOfferFen,
  RefundRefusal,
} from '../../../domain';
import { readRefundBalance } from '../../../db/refund-balance';
import {
  COMPLAINT_STEP_UPDATES,
  COMPLAINT_WORKFLOW,
  ComplaintWorkflowInput,
  complaintStateQuery,
  complaintWorkflowId,
} from '../../../workflows/complaint.contract';
import type { Principal } from '../auth/principal';
import { queryOrUnavailable, temporalUiLink } from '../../shared/temporal';
import { startWorkflow } from '../../shared/start-workflows';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { sendStep } from '../common/refused-update';
import { OrderWorkflows } from '../orders/order-workflows';
import { APP_CONFIG } from '../tokens';
import { workPriority } from '../../../domain';

const ACTOR_OF: Record<string, 'BUYER' | 'SELLER' | 'SUPPORT'> = { buyer: 'BUYER', seller: 'SELLER', support: 'SUPPORT', admin: 'SUPPORT' };
const OPEN_STATUSES = Object.values(ComplainStatus).filter((s) => !isComplaintClosed(s));

/**
 * Files complaints and hands every later step to the complaint's workflow through its Update; the
 * workflow owns the complaint's status. Ownership is checked in SQL first: another party's
 * complaint is a 404 and nothing is signalled.
 */
@Injectable()
export class ComplaintsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: OrderWorkflows,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Records the complaint (status NEW) under the order row's lock, where the window rule and the
   * one-open-complaint-per-line key are checked, then starts `complaint-{id}`. A line that already
   * has an open complaint is a 409; its workflow is (re)started first, idempotently, so a retry after
   * a crash between the insert and the start leaves a running complaint, not a stranded row.
   */
  async file(buyer: Principal, orderSn: string, dto: { skuId: number; topic: string; content: string }) {
    const filed = await runStep(this.dataSource, async (manager) => {
      const order = await lockBuyerOrderForComplaint(manager, orderSn, buyer.id);
      if (!order) throw new NotFoundException(`order ${orderSn} not found`);
      const line = await findOrderLineAmounts(manager, orderSn, dto.skuId);
      if (!line) throw new NotFoundException(`order ${orderSn} has no line for SKU ${dto.skuId}`);
      const refusal = complaintFilingRefusal({
        orderStatus: order.order_status as OrderStatus,
        windowStatus: order.complain_status as ComplainWindowStatus,
        completedAtMs: order.completed_at ? new Date(order.completed_at).getTime() : undefined,
        nowMs: Date.now(),
        complainExpiredMs: this.config.orderSettings.complainExpiredMs,
      });
      if (refusal) throw new DomainError(ErrorCode.COMPLAINT_NOT_ALLOWED, refusal);
      const open = await findOpenComplaintOfLine(manager, orderSn, dto.skuId);
      if (open) return { id: Number(open.id), topic: open.topic as string, order, line, alreadyOpen: true };
      const topic = dto.topic.trim();
      const id = await insertComplaint(manager, { orderSn, skuId: dto.skuId, buyerId: order.buyer_id, sellerId: order.seller_id, topic, content: dto.content.trim() });
      await appendOrderLog(manager, { orderSn, eventKey: `complaint:${id}:filed`, operation: 'COMPLAINT', newStatus: ComplainStatus.NEW, actorRole: Actor.BUYER, actorId: buyer.id, message: `complaint ${id} filed about ${line.name}: ${topic}` }, 'fail', businessEvent(
        { type: 'complaint', id, sellerId: order.seller_id, orderSn },
        { type: 'complaint.filed', key: 'filed', payload: { complaintId: id, orderSn, skuId: Number(dto.skuId), buyerId: String(order.buyer_id), status: ComplainStatus.NEW, topic, actor: eventActor(Actor.BUYER, buyer.id) } },
      ));
      return { id, topic, order, line, alreadyOpen: false };
    }).catch((err) => {
      // Two requests for the same line at once: the unique open-line key let one in.
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') throw new DomainError(ErrorCode.COMPLAINT_ALREADY_OPEN, `SKU ${dto.skuId} of order ${orderSn} already has an open complaint`);
      throw err;
    });
    const input: ComplaintWorkflowInput = {
      complaintId: filed.id,
      orderSn,
      skuId: dto.skuId,
      buyerId: String(filed.order.buyer_id),
      sellerId: String(filed.order.seller_id),
      topic: filed.topic,
      // What the buyer paid for the line (its share of shop discounts taken off), not its list price.
      lineFen: filed.line.paid_fen,
      settings: this.config.complaints,
      refundPollScheduleMs: this.config.refund.pollScheduleMs,
    };
    // USE_EXISTING: starting an already running complaint attaches to it instead of failing.
    await startWorkflow(this.workflows.temporal, COMPLAINT_WORKFLOW, {
      workflowId: complaintWorkflowId(filed.id),
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      searchAttributes: { OrderSn: [orderSn], SellerId: [input.sellerId], BuyerId: [input.buyerId], ComplaintStatus: [ComplainStatus.NEW] },
      priority: workPriority('complaint', this.config.workPriorities),
      staticSummary: `Complaint ${filed.id} about ${filed.line.name} in order ${orderSn}: ${filed.topic}`,
    }).catch((err) => {
      // A finished complaint whose row is still open cannot be restarted; the 409 below still holds.
      if (!(filed.alreadyOpen && err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    });
    if (filed.alreadyOpen) {
      throw new DomainError(ErrorCode.COMPLAINT_ALREADY_OPEN, `SKU ${dto.skuId} of order ${orderSn} already has an open complaint (${filed.id}); withdraw it or wait until it is complete`);
    }
    return this.get(buyer, filed.id);
  }

  /** One complaint as its buyer, its seller or support may see it; anyone else gets a 404. */
  async load(principal: Principal, id: number): Promise<Complaint> {
    const where: Record<string, unknown> = { id };
    if (principal.role === 'buyer') where.buyerId = principal.id;
    if (principal.role === 'seller') where.sellerId = principal.id;
    const complaint = await this.dataSource.getRepository(Complaint).findOneBy(where);
    if (!complaint) throw new NotFoundException(`complaint ${id} not found`);
    return complaint;
  }

  /** A step (answer, message, arbitration request, withdrawal, review, decision): the workflow's validator decides. */
  async step(principal: Principal, id: number, action: ComplaintAction, content: string, refundFen?: number) {
    const complaint = await this.load(principal, id);
    const actor = ACTOR_OF[principal.role];
    // Fast refusal from the row; the workflow re-checks against its own state.
    const check = checkComplaintAction(complaint.status as ComplainStatus, action, actor);
    if (!check.allowed) throw new DomainError(ErrorCode.ComplaintStepRefused, check.reason);
    if (action === ComplaintAction.ARBITRATE && refundFen) {
      // Fast refusal from the one refundable balance; the refund activity decides again under the order's lock.
      const offerFen = await this.refundableFen(complaint.orderSn, complaint.skuId);
      if (refundFen > offerFen) throw new DomainError(RefundRefusal.EXCEEDS_REMAINING, `a refund of ${refundFen} fen exceeds the ${offerFen} fen that remain refundable on this line`);
    }
    await sendStep(
      this.workflows.temporal.workflow.getHandle(complaintWorkflowId(id)),
      COMPLAINT_STEP_UPDATES[action],
      [{ actor, actorId: principal.id, content: content.trim(), refundFen }],
      `complaint ${id} is ${complaint.status} and its workflow has finished`,
    );
    return this.get(principal, id);
  }

  async get(principal: Principal, id: number) {
    const complaint = await this.load(principal, id);
    const workflowId = complaintWorkflowId(id);
    const [messages, order, closed] = await Promise.all([
      this.dataSource.getRepository(ComplaintMessage).find({ where: { complaintId: id }, order: { id: 'ASC' } }),
      readOrderComplainStatus(this.dataSource, complaint.orderSn),
      countClosedComplaintsOfLine(this.dataSource, complaint.orderSn, complaint.skuId),
    ]);
    const lineOpen = await lineHasOpenComplaint(this.dataSource, complaint.orderSn, complaint.skuId);
    return {
      ...complaint,
      id: Number(complaint.id),
      messages: messages.map((m) => ({ id: Number(m.id), role: m.ownerRole, ownerId: String(m.ownerId), content: m.content, createdAt: m.createdAt })),
      // What an arbitration can still refund: the line's balance after every other refund of it, within the payment's.
      refundableFen: await this.refundableFen(complaint.orderSn, complaint.skuId),
      lineComplainStatus: lineComplainStatus({ openComplaint: lineOpen, closedComplaints: Number(closed.n), windowStatus: order.complain_status }),
      workflowId,
      temporalUiUrl: temporalUiLink(this.config.temporal, workflowId),
      workflow: await queryOrUnavailable(this.workflows.temporal.workflow.getHandle(workflowId), complaintStateQuery),
    };
  }

  private async refundableFen(orderSn: string, skuId: number): Promise<number> {
    const balance = await readRefundBalance(this.dataSource.manager, orderSn, { lock: false });
    return balance ? lineOfferFen(balance, { skuId: Number(skuId) }) : 0;
  }

  /** Complaints from MySQL, newest first, by cursor: a buyer's or seller's own; support filters by status and seller (default: the open ones). */
  async list(principal: Principal, filter: { status?: ComplainStatus; sellerId?: number }, page: PageRequest) {
    const party = principal.role === 'buyer' ? { buyerId: principal.id } : principal.role === 'seller' ? { sellerId: principal.id } : { sellerId: filter.sellerId };
    const statuses = filter.status ? [filter.status] : principal.role === 'support' || principal.role === 'admin' ? [...OPEN_STATUSES] : undefined;
    const rows = await listComplaintsPage(this.dataSource, { ...party, statuses }, { beforeId: afterId(page), take: page.limit + 1 });
    return pageOf(rows, page, (c) => [Number(c.id)], (c) => ({ ...c, id: Number(c.id), workflowId: complaintWorkflowId(c.id), temporalUiUrl: temporalUiLink(this.config.temporal, complaintWorkflowId(c.id)) }));
  }

}
