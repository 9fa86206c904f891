import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { DataSource, EntityManager } from 'typeorm';
import { startOrderWorkflow } from '../apps/shared/start-workflows';
import { InsufficientStockError, recordStockMovement } from '../db/stock-ledger';
import { newSn } from '../db/serial-numbers';
import { appendOrderLog } from '../db/order-log';
import { runStep } from '../db/business-events';
import { copyOrderMeta, insertLinkedOrder } from '../db/orders';
import { insertOrderOutWait } from '../db/order-out-status';
import { findLinkedOrderRow, readLinkedOrderSource } from '../db/order-reads';
import { insertLinkedTrade } from '../db/trades';
import { findGoodsNameAndSeller } from '../db/goods';
import { insertFreeOrderItem } from '../db/order-items';
import { OrderLine, businessEvent, eventActor } from '../domain/events';
import { OrderOutType, OrderStatus, OrderType, PaymentType, flowOf } from '../domain';
import { buildOrderWorkflowInput, orderWorkflowId } from '../workflows/order.contract';
import type { SweepDependencies } from './sweeps';
import { ErrorCode } from '../domain/error-codes';
import { workPriority } from '../domain';

export interface LinkedOrderRequest {
  /** The after-sale that asks for the replacement: at most one linked order per after-sale. */
  serviceSn: string;
  sourceOrderSn: string;
  orderType: 'CHANGE' | 'SUPPLY_AGAIN';
  lines: { skuId: number; num: number }[];
}

/** The failure type when the replacement's goods are out of stock (non-retryable: a person must decide). */
export const LINKED_ORDER_OUT_OF_STOCK = ErrorCode.LinkedOrderOutOfStock;

/** Order meta a replacement takes over from the order it replaces: where the goods go. */
const INHERITED_META = ['ADDRESS', 'DELIVERY_TIME'];

/**
 * Replacement orders for after-sale exchanges and re-ships (issue 10, point 7): a free order of type
 * CHANGE or SUPPLY_AGAIN, for the same buyer, seller and address as the order it replaces, that runs
 * its own order workflow (flow REPLACEMENT: ship → receive → complete, never paid or refunded).
 */
export class LinkedOrderActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deps: () => SweepDependencies | undefined,
  ) {}

  /**
   * Creates the order (rows, stock reserved through the ledger, log) in one transaction, once per
   * serviceSn (unique key orders.source_service_sn), then starts `order-{orderSn}`. Running twice
   * finds the first order and its workflow: same answer, nothing reserved twice.
   */
  async createLinkedOrder(request: LinkedOrderRequest): Promise<{ orderSn: string }> {
    const deps = this.deps();
    if (!deps) throw ApplicationFailure.nonRetryable('this worker was built without a Temporal client to start orders with', ErrorCode.NoTemporalClient);
    if (request.orderType !== OrderType.CHANGE && request.orderType !== OrderType.SUPPLY_AGAIN) {
      throw ApplicationFailure.nonRetryable(`a linked order is CHANGE or SUPPLY_AGAIN, not ${String(request.orderType)}`, ErrorCode.BadLinkedOrder);
    }
    if (!request.lines.length || request.lines.some((l) => !Number.isSafeInteger(l.num) || l.num <= 0)) {
      throw ApplicationFailure.nonRetryable('a linked order needs at least one line with a positive quantity', ErrorCode.BadLinkedOrder);
    }
    const order = (await this.findLinkedOrder(request.serviceSn)) ?? (await this.insertOnce(request));
    try {
      await startOrderWorkflow(deps.temporal, deps.taskQueue, buildOrderWorkflowInput(order, deps), {
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A finished replacement's id is never reused: that refusal means its workflow already ran.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${request.orderType === OrderType.CHANGE ? 'Exchange' : 'Re-ship'} for after-sale ${request.serviceSn} of order ${request.sourceOrderSn}`,
        memo: { sourceOrderSn: request.sourceOrderSn, serviceSn: request.serviceSn },
        priority: workPriority('linked-order', deps.workPriorities !== false),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { orderSn: order.orderSn };
  }

  private async findLinkedOrder(serviceSn: string) {
    const row = await findLinkedOrderRow(this.dataSource, serviceSn);
    if (!row) return undefined;
    return { orderSn: row.order_sn as string, sellerId: row.seller_id, buyerId: row.buyer_id, flow: flowOf(row.payment_type, row.order_type), orderFen: Number(row.order_fen), createdAt: new Date(row.created_at) };
  }

  private async insertOnce(request: LinkedOrderRequest) {
    try {
      await runStep(this.dataSource, (manager) => this.insert(manager, request));
    } catch (err) {
      // A concurrent attempt won the unique key: its order is the answer.
      if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
    }
    const order = await this.findLinkedOrder(request.serviceSn);
    if (!order) throw ApplicationFailure.retryable(`linked order for ${request.serviceSn} not found after creating it`, ErrorCode.LinkedOrderMissing);
    return order;
  }

  private async insert(manager: EntityManager, request: LinkedOrderRequest): Promise<void> {
    const source = await readLinkedOrderSource(manager, request.sourceOrderSn);
    if (!source) throw ApplicationFailure.nonRetryable(`order ${request.sourceOrderSn} does not exist`, ErrorCode.OrderNotFound);
    const orderSn = newSn('O');
    const tradeSn = newSn('T');
    // Whole seconds, like checkout's orders: the workflow's clock and the row's agree exactly.
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const paymentType = source.payment_type as PaymentType;
    // Its own trade, so a replayed checkout of the source's trade never sees (or restarts) it.
    await insertLinkedTrade(manager, { tradeSn, buyerId: source.buyer_id, paymentType });
    await insertLinkedOrder(manager, {
      orderSn, tradeSn, sellerId: source.seller_id, buyerId: source.buyer_id, paymentType, orderType: request.orderType,
      sourceOrderSn: request.sourceOrderSn, serviceSn: request.serviceSn, createdAt,
    });
    await insertOrderOutWait(manager, orderSn, OrderOutType.GOODS);
    const lines = [...request.lines].sort((a, b) => a.skuId - b.skuId);
    const items: OrderLine[] = [];
    for (const line of lines) {
      const goods = await findGoodsNameAndSeller(manager, line.skuId);
      if (!goods || String(goods.seller_id) !== String(source.seller_id)) {
        throw ApplicationFailure.nonRetryable(`SKU ${line.skuId} is not sold by the seller of order ${request.sourceOrderSn}`, ErrorCode.BadLinkedOrder);
      }
      const orderItemId = await insertFreeOrderItem(manager, orderSn, { skuId: line.skuId, name: goods.name, num: line.num });
      items.push({ orderItemId, skuId: line.skuId, name: goods.name, num: line.num, priceFen: 0, paidFen: 0 });
    }
    await copyOrderMeta(manager, orderSn, request.sourceOrderSn, INHERITED_META);
    // Stock last, in SKU order (the hot goods rows, locked as late as possible), as at checkout.
    for (const line of lines) {
      try {
        await recordStockMovement(manager, orderSn, line.skuId, line.num, 'RESERVE');
      } catch (err) {
        if (err instanceof InsufficientStockError) {
          throw ApplicationFailure.nonRetryable(`not enough stock for SKU ${line.skuId} to send ${line.num} for after-sale ${request.serviceSn}`, LINKED_ORDER_OUT_OF_STOCK);
        }
        throw err;
      }
    }
    await appendOrderLog(manager, {
      orderSn,
      eventKey: `linked:${request.serviceSn}`,
      operation: 'CREATE',
      actorRole: 'SYSTEM',
      message: `${request.orderType} order for after-sale ${request.serviceSn} of order ${request.sourceOrderSn}: stock reserved, nothing to pay`,
    }, 'fail', businessEvent(
      { type: 'order', id: orderSn, sellerId: source.seller_id, orderSn },
      {
        type: 'order.created',
        key: 'created',
        payload: {
          orderSn, tradeSn, buyerId: String(source.buyer_id), orderType: request.orderType, paymentType, status: OrderStatus.NEW,
          orderFen: 0, goodsFen: 0, shippingFen: 0, discountFen: 0, groupId: null,
          source: { orderSn: request.sourceOrderSn, serviceSn: request.serviceSn }, lines: items, actor: eventActor('SYSTEM'),
        },
      },
    ));
    await appendOrderLog(manager, {
      orderSn: request.sourceOrderSn,
      eventKey: `linked:${request.serviceSn}`,
      operation: 'AFTER_SALE',
      actorRole: 'SYSTEM',
      message: `${request.orderType} order ${orderSn} created for after-sale ${request.serviceSn}`,
    }, 'ignore');
  }
}
