import type { EntityManager } from 'typeorm';
import { readOrderEvents, StoredBusinessEvent } from './business-events';

/**
 * The reads behind support's order timeline and order search. Nothing is copied: each source table is
 * read by order number when asked.
 */

type Queryable = Pick<EntityManager, 'query'>;

export interface OrderHeader {
  orderSn: string;
  tradeSn: string;
  sellerId: number;
  buyerId: number;
  orderStatus: string;
  payStatus: string;
  shipStatus: string;
  serviceStatus: string;
  orderFen: number;
  paidFen: number;
  refundedFen: number;
  createdAt: Date;
}

export interface LogRow {
  id: number;
  eventKey: string;
  operation: string;
  oldStatus: string | null;
  newStatus: string | null;
  actorRole: string;
  actorId: string | null;
  message: string;
  createdAt: Date;
}

export interface NotificationRow {
  id: number;
  provider: string;
  notificationId: string;
  kind: string;
  outTradeNo: string;
  outRefundNo: string | null;
  payload: Record<string, unknown>;
  receivedAt: Date;
  deliveredAt: Date | null;
}

export interface StockMovementRow {
  skuId: number;
  kind: string;
  quantity: number;
  createdAt: Date;
}

export interface AfterSaleDeadline {
  serviceSn: string;
  status: string;
  deadlineAction: string;
  deadlineAt: Date;
}

export interface TimelineSources {
  order: OrderHeader;
  events: StoredBusinessEvent[];
  log: LogRow[];
  notifications: NotificationRow[];
  stock: StockMovementRow[];
  afterSaleDeadlines: AfterSaleDeadline[];
  /** Ids of the order's complaints (their workflows hold the complaint deadlines). */
  openComplaintIds: number[];
}

const HEADER = `order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status, order_fen, paid_fen, refunded_fen, created_at`;

function toHeader(r: Record<string, any>): OrderHeader {
  return {
    orderSn: r.order_sn,
    tradeSn: r.trade_sn,
    sellerId: Number(r.seller_id),
    buyerId: Number(r.buyer_id),
    orderStatus: r.order_status,
    payStatus: r.pay_status,
    shipStatus: r.ship_status,
    serviceStatus: r.service_status,
    orderFen: Number(r.order_fen),
    paidFen: Number(r.paid_fen),
    refundedFen: Number(r.refunded_fen),
    createdAt: new Date(r.created_at),
  };
}

/** Everything the timeline shows of one order, or null when there is no such order. */
export async function readTimelineSources(db: Queryable, orderSn: string): Promise<TimelineSources | null> {
  const [row] = await db.query(`SELECT ${HEADER} FROM orders WHERE order_sn = ?`, [orderSn]);
  if (!row) return null;
  const events = await readOrderEvents(db, orderSn);
  const log = (await db.query('SELECT id, event_key, operation, old_status, new_status, actor_role, actor_id, message, created_at FROM order_log WHERE order_sn = ? ORDER BY id', [orderSn])).map((r: Record<string, any>) => ({
    id: Number(r.id),
    eventKey: r.event_key,
    operation: r.operation,
    oldStatus: r.old_status,
    newStatus: r.new_status,
    actorRole: r.actor_role,
    actorId: r.actor_id,
    message: r.message,
    createdAt: new Date(r.created_at),
  }));
  // The inbox: every verified provider notification about the order's payments and their refunds.
  const notifications = (
    await db.query(
      `SELECT n.id, n.provider, n.notification_id, n.kind, n.out_trade_no, n.out_refund_no, n.payload_json, n.received_at, n.delivered_at
       FROM provider_notification n JOIN payment p ON p.out_trade_no = n.out_trade_no
      WHERE p.order_sn = ? OR EXISTS (SELECT 1 FROM payment_share s WHERE s.out_trade_no = p.out_trade_no AND s.order_sn = ?) ORDER BY n.id`,
      [orderSn, orderSn],
    )
  ).map((r: Record<string, any>) => ({
    id: Number(r.id),
    provider: r.provider,
    notificationId: r.notification_id,
    kind: r.kind,
    outTradeNo: r.out_trade_no,
    outRefundNo: r.out_refund_no,
    payload: typeof r.payload_json === 'string' ? JSON.parse(r.payload_json) : r.payload_json,
    receivedAt: new Date(r.received_at),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
  }));
  const stock = (await db.query('SELECT sku_id, kind, quantity, created_at FROM stock_movement WHERE order_sn = ? ORDER BY id', [orderSn])).map((r: Record<string, any>) => ({
    skuId: Number(r.sku_id),
    kind: r.kind,
    quantity: Number(r.quantity),
    createdAt: new Date(r.created_at),
  }));
  const afterSaleDeadlines = (
    await db.query("SELECT service_sn, status, deadline_action, deadline_at FROM after_sale WHERE order_sn = ? AND deadline_at IS NOT NULL AND status NOT IN ('COMPLETED', 'CLOSED') ORDER BY id", [orderSn])
  ).map((r: Record<string, any>) => ({ serviceSn: r.service_sn, status: r.status, deadlineAction: r.deadline_action, deadlineAt: new Date(r.deadline_at) }));
  const openComplaintIds = (await db.query("SELECT id FROM complaint WHERE order_sn = ? AND status NOT IN ('COMPLETE', 'CANCEL') ORDER BY id", [orderSn])).map((r: Record<string, any>) => Number(r.id));
  return { order: toHeader(row), events, log, notifications, stock, afterSaleDeadlines, openComplaintIds };
}

/** Orders by number (exact), buyer or seller id, newest first (id descending): ids below `beforeId`, at most `take`. */
export async function searchOrders(db: Queryable, query: { orderSn?: string; buyerId?: number; sellerId?: number }, page: { beforeId?: string; take: number }): Promise<(OrderHeader & { id: number })[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.orderSn) (where.push('order_sn = ?'), params.push(query.orderSn));
  if (query.buyerId !== undefined) (where.push('buyer_id = ?'), params.push(query.buyerId));
  if (query.sellerId !== undefined) (where.push('seller_id = ?'), params.push(query.sellerId));
  if (where.length === 0) return [];
  if (page.beforeId !== undefined) (where.push('id < ?'), params.push(page.beforeId));
  const rows = await db.query(`SELECT id, ${HEADER} FROM orders WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, [...params, page.take]);
  return rows.map((row: Record<string, any>) => ({ id: Number(row.id), ...toHeader(row) }));
}
