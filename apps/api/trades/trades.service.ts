import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import type { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../tokens';
import { GroupBuys } from './group-buys';
import { DataSource, EntityManager } from 'typeorm';
import { recordStockMovement, InsufficientStockError } from '../../../db/stock-ledger';
import {
  OrderOutType,
  OrderStatus,
  OrderType,
  PaymentType,
  MemberCouponStatus,
  MAX_AMOUNT_FEN,
  flowOf,
  outTypeOf,
} from '../../../domain';
import { newSn } from '../../../db/serial-numbers';
import { findTradeByIdempotencyKey, insertTrade, setTradeTotals, settleTradeStatus } from '../../../db/trades';
import { failOrderOutStatus, insertOrderOutWait, readOrderOutStatus } from '../../../db/order-out-status';
import { insertNewOrder, insertOrderMeta } from '../../../db/orders';
import { readOrdersOfTrade } from '../../../db/order-reads';
import { insertOrderItem } from '../../../db/order-items';
import { appendOrderLog } from '../../../db/order-log';
import { activityOfCheckout, joinActivityGroup } from './group-buy-checkout';
import { emitEvent, runStep } from '../../../db/business-events';
import { useCoupon as markCouponUsed } from '../../../db/coupons';
import { OrderLine, businessEvent, eventActor } from '../../../domain/events';
import { NewOrder, OrderWorkflows } from '../orders/order-workflows';
import { GroupBuyDto } from './create-trade.dto';
import { ApiMetrics } from '../observability/business-metrics';
import { CheckoutItem, ShopQuote, quoteCheckout } from '../checkout/checkout-pricer';
import { DomainError, ErrorCode, type Refusal } from '../../../domain/error-codes';

export interface TradeAnswer {
  tradeSn: string;
  paymentType: PaymentType;
  totalFen: number;
  orders: { orderSn: string; sellerId: string | number; orderFen: number; workflowId: string; temporalUiUrl: string; groupId?: string }[];
}

/**
 * The writer's answer and whether it is a replay: the answer stored for the Idempotency-Key (a
 * retry, or the loser of two concurrent first submissions), in which case the caller must have no
 * effect of its own either (checkout leaves the cart alone).
 */
export interface TradeOutcome {
  answer: TradeAnswer;
  replayed: boolean;
}

/** What either door (POST /trades with items, POST /checkout from the cart) asks the one writer for. */
export interface TradeRequest {
  buyerId: string;
  items: CheckoutItem[];
  paymentType: PaymentType;
  groupBuy?: GroupBuyDto;
  /** POST /trades' consignee, kept on the trade row as before. */
  consignee?: Record<string, unknown>;
  /** Checkout's address, invoice title, delivery time…: order_meta rows of every order (never workflow input). */
  orderMeta?: Record<string, string>;
  /** The coupon chosen per shop: sellerId → memberCouponId. */
  couponsBySeller?: Map<number, number>;
  idempotencyKey?: string;
  /** Hash of the request as the client sent it, to tell a replay from a different request under the same key. */
  requestHash: string;
}



/**
 * The one trade writer: one trade, one order per seller, prices and promotions from MySQL (through
 * the checkout pricer), each line's share of the discount stored with it, coupons marked used by a
 * guarded update and stock reserved through the ledger, all in one transaction (any refusal writes
 * nothing), then one order workflow per order.
 */
@Injectable()
export class TradesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: OrderWorkflows,
    private readonly groupBuys: GroupBuys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
  ) {}

  async createTrade(request: TradeRequest): Promise<TradeOutcome> {
    const { buyerId, idempotencyKey, requestHash: hash, paymentType } = request;
    if (idempotencyKey) {
      const replay = await this.replay(buyerId, idempotencyKey, hash);
      if (replay) return { answer: replay, replayed: true };
    }
    if (request.groupBuy) {
      if (request.items.length !== 1) throw new UnprocessableEntityException('a group buy holds exactly one item');
      if (paymentType !== PaymentType.ONLINE) throw new UnprocessableEntityException('a group buy is paid online (members pay before the group forms)');
    }
    let orders: NewOrder[];
    let tradeSn: string;
    let refused: RefusedOrder | undefined;
    try {
      ({ tradeSn, orders, refused } = await runStep(this.dataSource, (manager) => this.insertTrade(manager, request)));
    } catch (err) {
      if (isDuplicateKey(err) && idempotencyKey) {
        // A concurrent request with the same key claimed it first (and rolled this one back before it
        // used a coupon or reserved stock): answer as its replay.
        const replay = await this.replay(buyerId, idempotencyKey, hash);
        if (replay) return { answer: replay, replayed: true };
      }
      throw err;
    }
    // Committed with its out-status FAIL and its reason, so the buyer finds it; the answer is the refusal.
    if (refused) throw refusedOrderError(tradeSn, refused.orderSn, refused.refusal);
    this.metrics.ordersCreated.inc({ payment_type: paymentType }, orders.length);
    return { answer: await this.startWorkflows(tradeSn, paymentType, orders), replayed: false };
  }

  private async insertTrade(manager: EntityManager, request: TradeRequest): Promise<{ tradeSn: string; orders: NewOrder[]; refused?: RefusedOrder }> {
    const { buyerId, paymentType } = request;
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const activity = request.groupBuy ? await activityOfCheckout(manager, request.groupBuy) : undefined;
    const groupPrices = activity ? new Map([[activity.skuId, activity.groupPriceFen]]) : undefined;
    const shops = await quoteCheckout(manager, buyerId, request.items, request.couponsBySeller ?? new Map(), createdAt, { strict: true, groupPrices });

    const tradeSn = newSn('T');
    // The trade row first: its (buyer, Idempotency-Key) unique key makes a concurrent twin of this
    // request wait here and then fail as a duplicate, before it uses a coupon or reserves stock
    // (it would otherwise be refused for the coupon this request used, instead of replaying it).
    // The amounts are filled in once every order is priced.
    await insertTrade(manager, { tradeSn, buyerId, paymentType, consigneeJson: request.consignee ? JSON.stringify(request.consignee) : null, idempotencyKey: request.idempotencyKey ?? null, requestHash: request.requestHash });
    const orderType = request.groupBuy ? OrderType.PINTUAN : OrderType.NORMAL;
    const flow = flowOf(paymentType, orderType);
    // A group buy is one order of one line: its number is needed first, for the quota it takes. Its
    // rules see the clock to the millisecond (createdAt is whole seconds: an activity that started
    // this second would look not yet started).
    const firstOrderSn = newSn('O');
    const join = activity
      ? await joinActivityGroup(manager, { activityId: activity.id, groupId: request.groupBuy!.groupId, skuId: request.items[0].skuId, units: request.items[0].quantity, buyerId, orderSn: firstOrderSn, now: new Date() })
      : undefined;
    const group = join?.group;
    const refused = join?.refusal ? { orderSn: firstOrderSn, refusal: join.refusal } : undefined;
    const orders: NewOrder[] = [];
    const reservations: { orderSn: string; skuId: number; num: number; name: string }[] = [];
    const sum = { payable: 0, goods: 0, shipping: 0, discount: 0 };
    for (const [index, shop] of shops.entries()) {
      const { totals } = shop;
      const orderSn = index === 0 ? firstOrderSn : newSn('O');
      sum.payable += totals.payableFen;
      sum.goods += totals.goodsFen;
      sum.shipping += totals.shippingFen;
      sum.discount += totals.discountFen;
      // Checked before the INSERT: the amount columns are INT, and the transaction rolls back the rest.
      if (sum.payable > MAX_AMOUNT_FEN) throw new UnprocessableEntityException(`the trade total of ${sum.payable} fen exceeds the largest amount an order can hold (${MAX_AMOUNT_FEN} fen)`);
      await insertNewOrder(manager, {
        orderSn, tradeSn, sellerId: shop.sellerId, buyerId, paymentType, orderType, orderFen: totals.payableFen, goodsFen: totals.goodsFen,
        shippingFen: totals.shippingFen, discountFen: totals.discountFen, groupId: group?.groupId ?? null, createdAt,
        ...(refused ? { orderStatus: OrderStatus.INTODB_ERROR } : {}),
      });
      await insertOrderOutWait(manager, orderSn, outTypeOf(orderType));
      if (refused) await failOrderOutStatus(manager, orderSn, OrderOutType.GROUPBUY_GOODS, refused.refusal.message);
      // The order's event first, so a consumer reads the order before the coupon it used. Its lines are
      // filled in below: events are written at the end of the step (db/business-events.ts).
      const lines: OrderLine[] = [];
      const created = businessEvent(
        { type: 'order', id: orderSn, sellerId: shop.sellerId, orderSn },
        {
          type: 'order.created',
          key: 'created',
          payload: {
            orderSn, tradeSn, buyerId: String(buyerId), orderType, paymentType, status: refused ? OrderStatus.INTODB_ERROR : OrderStatus.NEW,
            orderFen: totals.payableFen, goodsFen: totals.goodsFen, shippingFen: totals.shippingFen, discountFen: totals.discountFen,
            groupId: group?.groupId ?? null, source: null, lines, actor: eventActor('BUYER', buyerId),
          },
        },
      );
      emitEvent(manager, created);
      if (shop.coupon && !refused) await useCoupon(manager, buyerId, { memberCouponId: shop.coupon.memberCouponId, couponId: shop.coupon.couponId, sellerId: shop.sellerId }, orderSn);
      for (const line of totals.lines) {
        const row = shop.goods.find((g) => g.id === line.skuId)!;
        const orderItemId = await insertOrderItem(manager, orderSn, { skuId: line.skuId, name: row.name, num: line.num, priceFen: line.priceFen, discountFen: line.discountFen, paidFen: line.paidFen });
        lines.push({ orderItemId, skuId: line.skuId, name: row.name, num: line.num, priceFen: line.priceFen, paidFen: line.paidFen });
        if (!refused) reservations.push({ orderSn, skuId: line.skuId, num: line.num, name: row.name });
      }
      await insertOrderMeta(manager, orderSn, { ...(request.orderMeta ?? {}), ...promotionMeta(shop) });
      if (!refused) orders.push({ orderSn, sellerId: shop.sellerId, buyerId, flow, orderFen: totals.payableFen, createdAt, groupId: group?.groupId });
    }
    await setTradeTotals(manager, tradeSn, sum);
    if (refused) {
      // Kept, not rolled back: no stock reserved, no workflow; its log says why and its trade closes unpaid.
      await appendOrderLog(manager, { orderSn: refused.orderSn, eventKey: 'INTODB_ERROR', operation: 'INTODB_ERROR', newStatus: OrderStatus.INTODB_ERROR, actorRole: 'SYSTEM', message: `stock not taken: ${refused.refusal.message}` }, 'fail');
      await settleTradeStatus(manager, tradeSn, { orderSn: refused.orderSn, actorRole: 'SYSTEM' });
      return { tradeSn, orders, refused };
    }
    // Stock last, in SKU order: the goods rows are the hot rows every checkout of them locks, so they
    // are locked as late and in as fixed an order as possible (short waits, no lock-order deadlocks).
    for (const r of reservations.sort((a, b) => a.skuId - b.skuId)) {
      try {
        await recordStockMovement(manager, r.orderSn, r.skuId, r.num, 'RESERVE');
      } catch (err) {
        if (err instanceof InsufficientStockError) throw new DomainError(ErrorCode.OUT_OF_STOCK, `not enough stock for SKU ${r.skuId} (${r.name}): ${r.num} requested`);
        throw err;
      }
    }
    return { tradeSn, orders };
  }

  /**
   * Same key + same body → the first answer; other body → 422. The workflows are re-attached, in case
   * the first request stopped between its commit and their start: attaching to a running one (or
   * finding it finished) adds nothing to its history, and the group is signalled only if the order
   * is not yet among its members.
   */
  private async replay(buyerId: string, key: string, hash: string): Promise<TradeAnswer | undefined> {
    const trade = await findTradeByIdempotencyKey(this.dataSource, buyerId, key);
    if (!trade) return undefined;
    if (trade.request_hash !== hash) {
      throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used with a different request body');
    }
    const rows = await readOrdersOfTrade(this.dataSource, trade.trade_sn);
    // The first answer was the refusal of an order kept for its out-status: so is the replay's.
    const kept = rows.find((row: Record<string, any>) => row.order_status === OrderStatus.INTODB_ERROR);
    if (kept) {
      const [out] = await readOrderOutStatus(this.dataSource, kept.order_sn);
      throw refusedOrderError(trade.trade_sn, kept.order_sn, { code: ErrorCode.GROUP_BUY_QUOTA_EXHAUSTED, message: out?.reason ?? 'stock not taken' });
    }
    const orders: NewOrder[] = rows.map((row: Record<string, any>) => ({
      orderSn: row.order_sn,
      sellerId: row.seller_id,
      buyerId: row.buyer_id,
      flow: flowOf(row.payment_type, row.order_type),
      orderFen: row.order_fen,
      createdAt: new Date(row.created_at),
      groupId: row.group_id ?? undefined,
    }));
    return this.startWorkflows(trade.trade_sn, trade.payment_type as PaymentType, orders, true);
  }

  /** On a replay the workflows may have finished long ago: the stored answer is still the answer. */
  private async startWorkflows(tradeSn: string, paymentType: PaymentType, orders: NewOrder[], replay = false): Promise<TradeAnswer> {
    const started = [];
    for (const order of orders) {
      const workflowId = await this.workflows.start(order);
      if (order.groupId) await this.groupBuys.join(order.groupId, order.orderSn, { replay });
      started.push({ orderSn: order.orderSn, sellerId: order.sellerId, orderFen: order.orderFen, workflowId, temporalUiUrl: this.workflows.uiLink(workflowId), ...(order.groupId ? { groupId: order.groupId } : {}) });
    }
    return { tradeSn, paymentType, totalFen: orders.reduce((sum, o) => sum + o.orderFen, 0), orders: started };
  }
}

/** An order kept with its out-status FAIL because its stock could not be taken (the activity's quota). */
interface RefusedOrder {
  orderSn: string;
  refusal: Refusal;
}

/** The answer to a checkout whose order was kept refused: the refusal's code, and where to read the order. */
function refusedOrderError(tradeSn: string, orderSn: string, refusal: Refusal): DomainError {
  return DomainError.of(refusal, { orderSn, tradeSn });
}

/** The coupon copy goes UNUSED → USED for this order; a second checkout racing for it updates nothing and is refused. */
async function useCoupon(manager: EntityManager, buyerId: string, coupon: { memberCouponId: number; couponId: number; sellerId: number }, orderSn: string): Promise<void> {
  const used = await markCouponUsed(manager, { buyerId, memberCouponId: coupon.memberCouponId, couponId: coupon.couponId, sellerId: coupon.sellerId, orderSn });
  if (!used) throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `coupon ${coupon.memberCouponId} has already been used`);
}

/** What the order got off, in javashop's order meta keys (COUPON, COUPON_PRICE, FULL_MINUS). */
function promotionMeta(shop: ShopQuote): Record<string, string> {
  const meta: Record<string, string> = {};
  const { totals } = shop;
  if (shop.coupon) {
    meta.COUPON = JSON.stringify({ memberCouponId: shop.coupon.memberCouponId, couponId: shop.coupon.couponId, title: shop.coupon.title, valueFen: shop.coupon.valueFen });
    meta.COUPON_PRICE = String(totals.couponFen);
  }
  if (totals.fullReductionFen > 0) meta.FULL_MINUS = JSON.stringify({ fullReductionId: totals.fullReductionId, discountFen: totals.fullReductionFen });
  return meta;
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ER_DUP_ENTRY';
}

