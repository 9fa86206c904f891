import { ConflictException, Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import type { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../tokens';
import { GroupBuys } from './group-buys';
import { DataSource, EntityManager } from 'typeorm';
import { recordStockMovement, InsufficientStockError } from '../../../db/stock-ledger';
import {
  CommentStatus,
  ComplainWindowStatus,
  GroupBuyStatus,
  OrderStatus,
  OrderType,
  PayStatus,
  PaymentType,
  ServiceStatus,
  ShipStatus,
  TradeStatus,
  flowOf,
} from '../../../domain';
import { requestHash } from '../common/idempotency';
import { newSn } from '../../../db/serial-numbers';
import { NewOrder, OrderWorkflows } from '../orders/order-workflows';
import { CreateTradeDto, GroupBuyDto } from './create-trade.dto';

export interface TradeAnswer {
  tradeSn: string;
  paymentType: PaymentType;
  totalFen: number;
  orders: { orderSn: string; sellerId: number; orderFen: number; workflowId: string; temporalUiUrl: string; groupId?: string }[];
}

interface GroupBuyRow {
  groupId: string;
  skuId: number;
  size: number;
  status: string;
  deadlineAt: Date;
}

interface GoodsRow {
  id: number;
  seller_id: number;
  name: string;
  price_fen: number;
}

/**
 * Checkout: one trade, one order per seller, prices from the goods table, stock reserved through the
 * ledger in the same transaction (a shortfall anywhere reserves nothing), then one order workflow
 * per order.
 */
@Injectable()
export class TradesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: OrderWorkflows,
    private readonly groupBuys: GroupBuys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async createTrade(buyerId: number, dto: CreateTradeDto, idempotencyKey?: string): Promise<TradeAnswer> {
    const hash = requestHash(dto);
    if (idempotencyKey) {
      const replay = await this.replay(buyerId, idempotencyKey, hash);
      if (replay) return replay;
    }
    const paymentType = dto.paymentType ?? PaymentType.ONLINE;
    if (dto.groupBuy) {
      if (dto.items.length !== 1) throw new UnprocessableEntityException('a group buy holds exactly one item');
      if (paymentType !== PaymentType.ONLINE) throw new UnprocessableEntityException('a group buy is paid online (members pay before the group forms)');
    }
    let orders: NewOrder[];
    let tradeSn: string;
    try {
      ({ tradeSn, orders } = await this.dataSource.transaction((manager) => this.insertTrade(manager, buyerId, dto, paymentType, idempotencyKey, hash)));
    } catch (err) {
      if (isDuplicateKey(err) && idempotencyKey) {
        // A concurrent request with the same key won the insert; answer as its replay.
        const replay = await this.replay(buyerId, idempotencyKey, hash);
        if (replay) return replay;
      }
      throw err;
    }
    return this.startWorkflows(tradeSn, paymentType, orders);
  }

  private async insertTrade(
    manager: EntityManager,
    buyerId: number,
    dto: CreateTradeDto,
    paymentType: PaymentType,
    idempotencyKey: string | undefined,
    hash: string,
  ): Promise<{ tradeSn: string; orders: NewOrder[] }> {
    const quantities = new Map<number, number>();
    for (const item of dto.items) quantities.set(item.skuId, (quantities.get(item.skuId) ?? 0) + item.quantity);
    const skuIds = [...quantities.keys()].sort((a, b) => a - b);
    const goods: GoodsRow[] = await manager.query('SELECT id, seller_id, name, price_fen FROM goods WHERE id IN (?)', [skuIds]);
    const missing = skuIds.filter((id) => !goods.some((g) => g.id === id));
    if (missing.length) throw new UnprocessableEntityException(`unknown SKU: ${missing.join(', ')}`);

    const bySeller = new Map<number, GoodsRow[]>();
    for (const row of goods) bySeller.set(row.seller_id, [...(bySeller.get(row.seller_id) ?? []), row]);

    const tradeSn = newSn('T');
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const orderType = dto.groupBuy ? OrderType.PINTUAN : OrderType.NORMAL;
    const flow = flowOf(paymentType, orderType);
    const group = dto.groupBuy ? await this.joinOrOpenGroup(manager, dto.groupBuy, skuIds[0], createdAt) : undefined;
    const orders: NewOrder[] = [];
    let totalFen = 0;
    for (const [sellerId, rows] of [...bySeller.entries()].sort(([a], [b]) => a - b)) {
      const orderSn = newSn('O');
      const orderFen = rows.reduce((sum, row) => sum + row.price_fen * quantities.get(row.id)!, 0);
      totalFen += orderFen;
      await manager.query(
        `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status,
           comment_status, complain_status, payment_type, order_type, order_fen, goods_fen, group_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [orderSn, tradeSn, sellerId, buyerId, OrderStatus.NEW, PayStatus.PAY_NO, ShipStatus.SHIP_NO, ServiceStatus.NOT_APPLY,
          CommentStatus.UNFINISHED, ComplainWindowStatus.NO_APPLY, paymentType, orderType, orderFen, orderFen, group?.groupId ?? null, createdAt],
      );
      for (const row of rows) {
        const num = quantities.get(row.id)!;
        await manager.query(
          'INSERT INTO order_item (order_sn, sku_id, name, num, price_fen, refundable_fen) VALUES (?, ?, ?, ?, ?, ?)',
          [orderSn, row.id, row.name, num, row.price_fen, row.price_fen * num],
        );
        try {
          await recordStockMovement(manager, orderSn, row.id, num, 'RESERVE');
        } catch (err) {
          if (err instanceof InsufficientStockError) {
            throw new ConflictException(`not enough stock for SKU ${row.id} (${row.name}): ${num} requested`);
          }
          throw err;
        }
      }
      orders.push({ orderSn, sellerId, buyerId, flow, orderFen, createdAt, groupId: group?.groupId });
    }
    await manager.query(
      `INSERT INTO trade (trade_sn, buyer_id, payment_type, trade_status, total_fen, goods_fen, consignee_json, idempotency_key, request_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [tradeSn, buyerId, paymentType, TradeStatus.NEW, totalFen, totalFen, dto.consignee ? JSON.stringify(dto.consignee) : null, idempotencyKey ?? null, hash],
    );
    return { tradeSn, orders };
  }

  /** Joins an open group for the same SKU, or opens a new one (its row locked for the rest of the checkout). */
  private async joinOrOpenGroup(manager: EntityManager, request: GroupBuyDto, skuId: number, now: Date): Promise<GroupBuyRow> {
    if (request.groupId) {
      const [group]: GroupBuyRow[] = await manager.query(
        'SELECT group_id AS groupId, sku_id AS skuId, size, status, deadline_at AS deadlineAt FROM group_buy WHERE group_id = ? FOR UPDATE',
        [request.groupId],
      );
      if (!group) throw new UnprocessableEntityException(`group ${request.groupId} does not exist`);
      if (group.skuId !== skuId) throw new UnprocessableEntityException(`group ${request.groupId} is buying SKU ${group.skuId}, not ${skuId}`);
      if (group.status !== GroupBuyStatus.FORMING || new Date(group.deadlineAt) <= now) throw new ConflictException(`group ${request.groupId} is no longer open (${group.status})`);
      return group;
    }
    const group: GroupBuyRow = { groupId: newSn('G'), skuId, size: request.size ?? 2, status: GroupBuyStatus.FORMING, deadlineAt: new Date(now.getTime() + this.config.groupBuyDeadlineMs) };
    await manager.query('INSERT INTO group_buy (group_id, sku_id, size, status, deadline_at) VALUES (?, ?, ?, ?, ?)', [group.groupId, skuId, group.size, group.status, group.deadlineAt]);
    return group;
  }

  /** Same key + same body → the first answer (workflows re-attached, never duplicated); other body → 422. */
  private async replay(buyerId: number, key: string, hash: string): Promise<TradeAnswer | undefined> {
    const [trade] = await this.dataSource.query('SELECT trade_sn, payment_type, request_hash FROM trade WHERE buyer_id = ? AND idempotency_key = ?', [buyerId, key]);
    if (!trade) return undefined;
    if (trade.request_hash !== hash) {
      throw new UnprocessableEntityException('Idempotency-Key was already used with a different request body');
    }
    const rows = await this.dataSource.query(
      'SELECT order_sn, seller_id, buyer_id, payment_type, order_type, order_fen, group_id, created_at FROM orders WHERE trade_sn = ? ORDER BY seller_id',
      [trade.trade_sn],
    );
    const orders: NewOrder[] = rows.map((row: Record<string, any>) => ({
      orderSn: row.order_sn,
      sellerId: row.seller_id,
      buyerId: row.buyer_id,
      flow: flowOf(row.payment_type, row.order_type),
      orderFen: row.order_fen,
      createdAt: new Date(row.created_at),
      groupId: row.group_id ?? undefined,
    }));
    return this.startWorkflows(trade.trade_sn, trade.payment_type, orders);
  }

  private async startWorkflows(tradeSn: string, paymentType: PaymentType, orders: NewOrder[]): Promise<TradeAnswer> {
    const started = [];
    for (const order of orders) {
      const workflowId = await this.workflows.start(order);
      if (order.groupId) await this.groupBuys.join(order.groupId, order.orderSn);
      started.push({ orderSn: order.orderSn, sellerId: order.sellerId, orderFen: order.orderFen, workflowId, temporalUiUrl: this.workflows.uiLink(workflowId), ...(order.groupId ? { groupId: order.groupId } : {}) });
    }
    return { tradeSn, paymentType, totalFen: orders.reduce((sum, o) => sum + o.orderFen, 0), orders: started };
  }
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ER_DUP_ENTRY';
}

