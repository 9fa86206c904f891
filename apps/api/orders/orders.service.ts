import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Order, OrderItem, OrderLog, Refund } from '../../../db/entities';
import { readAfterSaleSummariesOfOrder } from '../../../db/after-sale-reads';
import { readOrderOutStatus } from '../../../db/order-out-status';
import { Actor, OrderOperate, OrderStatus, checkOperation, flowOf, type OrderType, type PaymentType } from '../../../domain';
import { confirmReceiptUpdate, collectCashUpdate, completeUpdate, orderStateQuery, orderWorkflowId, shipUpdate } from '../../../workflows/order.contract';
import { afterSaleWorkflowId } from '../../../workflows/after-sale.contract';
import { refundWorkflowId } from '../../../workflows/refund.contract';
import { actorIdOf, type Principal } from '../auth/principal';
import { queryOrUnavailable } from '../../shared/temporal';
import type { UpdateDefinition } from '@temporalio/common';
import { orderFinished, sendStep } from '../common/refused-update';
import { OrderAccess } from './order-access';
import { OrderWorkflows } from './order-workflows';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { listOrdersPage } from '../../../db/order-reads';
import { afterId, pageOf, type Page, type PageRequest } from '../common/pagination';

/** Reads orders from MySQL and hands operations to the order's workflow (never writes order state itself). */
@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: OrderAccess,
    private readonly workflows: OrderWorkflows,
  ) {}

  async get(principal: Principal, orderSn: string) {
    const order = await this.access.load(principal, orderSn);
    const [items, log, afterSales, refunds, outStatus] = await Promise.all([
      this.dataSource.getRepository(OrderItem).find({ where: { orderSn }, order: { skuId: 'ASC' } }),
      this.dataSource.getRepository(OrderLog).find({ where: { orderSn }, order: { id: 'ASC' } }),
      readAfterSaleSummariesOfOrder(this.dataSource, orderSn),
      this.dataSource.getRepository(Refund).find({ where: { orderSn }, order: { id: 'ASC' } }),
      readOrderOutStatus(this.dataSource, orderSn),
    ]);
    const workflowId = orderWorkflowId(orderSn);
    return {
      order,
      items,
      /** Whether the order's stock was taken, per kind (WAIT / SUCCESS / FAIL with the reason). */
      outStatus,
      log,
      afterSales: afterSales.map((a: Record<string, any>) => ({
        serviceSn: a.service_sn,
        serviceType: a.service_type,
        status: a.status,
        requestedFen: a.requested_fen,
        agreedFen: a.agreed_fen,
        refundedFen: a.refunded_fen,
        linkedOrderSn: a.linked_order_sn,
        createdAt: a.created_at,
        workflowId: afterSaleWorkflowId(a.service_sn),
        temporalUiUrl: this.workflows.uiLink(afterSaleWorkflowId(a.service_sn)),
      })),
      refunds: refunds.map((r) => ({ refundSn: r.refundSn, causeKey: r.causeKey, status: r.status, refundFen: r.refundFen, provider: r.provider, createdAt: r.createdAt, workflowId: refundWorkflowId(r.refundSn), temporalUiUrl: this.workflows.uiLink(refundWorkflowId(r.refundSn)) })),
      workflow: { workflowId, temporalUiUrl: this.workflows.uiLink(workflowId), state: await queryOrUnavailable(this.workflows.handle(orderSn), orderStateQuery) },
    };
  }

  /** Lists from MySQL, not from Temporal visibility, which is eventually consistent. Newest first, by cursor (common/pagination.ts). */
  async list(principal: Principal, filter: { status?: string; sellerId?: string }, page: PageRequest): Promise<Page<Order>> {
    if (filter.status !== undefined && !(Object.values(OrderStatus) as string[]).includes(filter.status)) {
      throw new BadRequestException(`status must be one of ${Object.values(OrderStatus).join(', ')}`);
    }
    const party =
      principal.role === 'seller' ? { sellerId: principal.id } : principal.role === 'buyer' ? { buyerId: principal.id } : { sellerId: filter.sellerId };
    const rows = await listOrdersPage(this.dataSource, { ...party, status: filter.status }, { beforeId: afterId(page), take: page.limit + 1 });
    return pageOf(rows, page, (order) => [Number(order.id)]);
  }

  async ship(principal: Principal, orderSn: string, carrier: string, trackingNo: string) {
    await this.precheck(principal, orderSn, OrderOperate.SHIP, Actor.SELLER);
    return this.update(orderSn, shipUpdate, [{ sellerId: actorIdOf(principal), carrier, trackingNo }]);
  }

  async confirmReceipt(principal: Principal, orderSn: string) {
    await this.precheck(principal, orderSn, OrderOperate.ROG, Actor.BUYER);
    return this.update(orderSn, confirmReceiptUpdate, [{ actorId: principal.id }]);
  }

  async collectCash(principal: Principal, orderSn: string) {
    await this.precheck(principal, orderSn, OrderOperate.PAY, Actor.SELLER);
    return this.update(orderSn, collectCashUpdate, [{ actorId: actorIdOf(principal) }]);
  }

  async complete(principal: Principal, orderSn: string) {
    await this.precheck(principal, orderSn, OrderOperate.COMPLETE, Actor.ADMIN);
    return this.update(orderSn, completeUpdate, [{ actorId: principal.id }]);
  }

  /** Ownership, then a fast 409 from the flow table on the stored status; the workflow stays the authority. */
  private async precheck(principal: Principal, orderSn: string, operation: OrderOperate, actor: Actor): Promise<Order> {
    const order = await this.access.load(principal, orderSn);
    const check = checkOperation({ flow: flowOf(order.paymentType as PaymentType, order.orderType as OrderType), status: order.orderStatus as OrderStatus, operation, actor });
    if (!check.allowed) throw new DomainError(check.code, check.reason);
    return order;
  }

  private async update<Args extends any[]>(orderSn: string, update: UpdateDefinition<OrderStatus, Args>, args: Args) {
    const status = await sendStep(this.workflows.handle(orderSn), update, args, orderFinished(orderSn));
    return { orderSn, status };
  }

}
