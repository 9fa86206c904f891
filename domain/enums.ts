/**
 * The order model's vocabulary. Values are plain strings (not TypeScript enums) so they can go
 * straight into SQL, Temporal search attributes and JSON without mapping, and so a value read back
 * from MySQL compares equal to the constant. Names follow javashop (reference/order-model.md §1.2)
 * because the seed documents and the support staff use them.
 *
 * This file is imported by workflow code: keep it free of imports and side effects.
 */

/** Where a shop order is in its life (es_order.order_status). */
export const OrderStatus = {
  NEW: 'NEW',
  /**
   * Stock could not be locked when the order went into the DB. Kept for reading javashop-era rows;
   * we refuse the whole trade up front on a shortfall, so no operation leads here.
   */
  INTODB_ERROR: 'INTODB_ERROR',
  /** Stock is reserved. Set by the system, never by the merchant (the name misleads: §1.4). */
  CONFIRM: 'CONFIRM',
  PAID_OFF: 'PAID_OFF',
  /** Group-buy only: the group filled, so the seller may ship. */
  FORMED: 'FORMED',
  SHIPPED: 'SHIPPED',
  /** Received by the buyer ("receipt of goods"). */
  ROG: 'ROG',
  COMPLETE: 'COMPLETE',
  CANCELLED: 'CANCELLED',
  AFTER_SERVICE: 'AFTER_SERVICE',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/**
 * Money state of an order (es_order.pay_status).
 *
 * REFUNDING and REFUNDED are ours, not javashop's: javashop leaves a cancelled-after-payment order
 * at PAY_YES and keeps the refund only in es_refund, so the order row cannot say whether the buyer
 * still waits for money. The order row is what support searches and the sweeps select on, so a
 * whole-order money return after cancellation is recorded here. Per-line after-sale refunds
 * (partial, R7) live on refund rows and leave this at PAY_YES.
 */
export const PayStatus = {
  PAY_NO: 'PAY_NO',
  PAY_PARTIAL: 'PAY_PARTIAL',
  PAY_YES: 'PAY_YES',
  /** Cancelled after payment; the refund is submitted but not yet confirmed by the provider. */
  REFUNDING: 'REFUNDING',
  /** Cancelled after payment and the money is back with the buyer (provider or offline). */
  REFUNDED: 'REFUNDED',
} as const;
export type PayStatus = (typeof PayStatus)[keyof typeof PayStatus];

export const ShipStatus = {
  SHIP_NO: 'SHIP_NO',
  SHIP_YES: 'SHIP_YES',
  /** Received: set together with OrderStatus.ROG (and on COD payment, which happens at the door). */
  SHIP_ROG: 'SHIP_ROG',
} as const;
export type ShipStatus = (typeof ShipStatus)[keyof typeof ShipStatus];

export const PaymentType = {
  /** Pay before shipping (款到发货); the default. */
  ONLINE: 'ONLINE',
  /** Cash on delivery (货到付款): shipped unpaid, paid at the door. */
  COD: 'COD',
} as const;
export type PaymentType = (typeof PaymentType)[keyof typeof PaymentType];

export const OrderType = {
  NORMAL: 'NORMAL',
  /** Group buy: paid orders wait for the group to form before they may ship. */
  PINTUAN: 'PINTUAN',
  /** Replacement order created by an after-sale exchange. */
  CHANGE: 'CHANGE',
  /** Re-shipment order created by an after-sale "send again". */
  SUPPLY_AGAIN: 'SUPPLY_AGAIN',
} as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/** Operations on an order; which are allowed when, and by whom, is the table in order-flow.ts. */
export const OrderOperate = {
  /** Stock reserved: NEW → CONFIRM. */
  CONFIRM: 'CONFIRM',
  PAY: 'PAY',
  /** Group-buy group filled: PAID_OFF → FORMED. javashop set this outside its table; we give it a row (R2). */
  FORM_GROUP: 'FORM_GROUP',
  SHIP: 'SHIP',
  /** Confirm receipt. */
  ROG: 'ROG',
  /** Cancel an unpaid order: nothing to refund, only the stock reservation to release. */
  CANCEL: 'CANCEL',
  /** Cancel a paid, unshipped order: goes through a refund; CANCELLED once the money is back. */
  SERVICE_CANCEL: 'SERVICE_CANCEL',
  /** Leave a review; does not change the order status. */
  COMMENT: 'COMMENT',
  COMPLETE: 'COMPLETE',
} as const;
export type OrderOperate = (typeof OrderOperate)[keyof typeof OrderOperate];

/**
 * Who performs an operation. System callers are actors too, with their own rows in the flow table:
 * javashop let its "client" permission skip the check entirely, which is how a late payment
 * notification could revive a CANCELLED order (R2, §1.7).
 */
export const Actor = {
  BUYER: 'BUYER',
  SELLER: 'SELLER',
  /** Support staff resolving stuck cases (Temporal UI / support API). */
  SUPPORT: 'SUPPORT',
  /** Platform operator. */
  ADMIN: 'ADMIN',
  /**
   * The order workflow acting on the result of its own step (stock reserved), not on a clock and
   * not on a person's request.
   */
  SYSTEM: 'SYSTEM',
  /** Workflow timers and the daily order-status sweep (the settings in order-settings.ts). */
  SYSTEM_TIMER: 'SYSTEM_TIMER',
  /** A provider payment result whose signature was verified (notification, or a verified query answer). */
  PAYMENT_CALLBACK: 'PAYMENT_CALLBACK',
} as const;
export type Actor = (typeof Actor)[keyof typeof Actor];

export const CommentStatus = {
  UNFINISHED: 'UNFINISHED',
  /** Reviewed once; a follow-up review is still possible. */
  WAIT_CHASE: 'WAIT_CHASE',
  FINISHED: 'FINISHED',
} as const;
export type CommentStatus = (typeof CommentStatus)[keyof typeof CommentStatus];

/**
 * Order-level after-sale status (es_order.service_status). It gates whole-order cancellation after
 * payment: a cancel may only be applied for at NOT_APPLY, and shipping is refused while APPLY/PASS
 * (javashop E455). javashop's display-only nodes (NEW, CONFIRM, PAID_OFF) are left out.
 */
export const ServiceStatus = {
  NOT_APPLY: 'NOT_APPLY',
  /** A cancel-after-payment was requested. */
  APPLY: 'APPLY',
  /** The cancel was accepted; the refund is under way. */
  PASS: 'PASS',
  /** javashop's name for "the cancel-after-payment finished" (已取消): the order is cancelled and refunded. */
  COMPLETE: 'COMPLETE',
  /** The after-sale window closed (on receipt for whole-order cancel; service_expired_day after completion). */
  EXPIRED: 'EXPIRED',
} as const;
export type ServiceStatus = (typeof ServiceStatus)[keyof typeof ServiceStatus];

/** The kind of stock an order takes (javashop OrderOutTypeEnum): normal goods, or a group buy's. */
export const OrderOutType = {
  GOODS: 'GOODS',
  GROUPBUY_GOODS: 'GROUPBUY_GOODS',
} as const;
export type OrderOutType = (typeof OrderOutType)[keyof typeof OrderOutType];

/** Whether the order's stock of one kind was taken (javashop OrderOutStatusEnum). */
export const OrderOutStatus = {
  WAIT: 'WAIT',
  SUCCESS: 'SUCCESS',
  FAIL: 'FAIL',
} as const;
export type OrderOutStatus = (typeof OrderOutStatus)[keyof typeof OrderOutStatus];

/** The out type of an order's stock: a group-buy order takes group-buy goods, every other order goods. */
export function outTypeOf(orderType: string): OrderOutType {
  return orderType === 'PINTUAN' ? OrderOutType.GROUPBUY_GOODS : OrderOutType.GOODS;
}

/** Status of a trade (one checkout that may hold several shop orders). */
export const TradeStatus = {
  NEW: 'NEW',
  /** Nothing is left to pay and something was paid: every order is paid (by the trade or one by one) or cancelled unpaid. */
  PAID_OFF: 'PAID_OFF',
  /** Every order was cancelled (or refused for stock) before it was paid. */
  CANCELLED: 'CANCELLED',
} as const;
export type TradeStatus = (typeof TradeStatus)[keyof typeof TradeStatus];

/** Buyer complaint about an order line (§1.2 complaint flow). */
export const ComplainStatus = {
  NEW: 'NEW',
  /** Withdrawn by the buyer. */
  CANCEL: 'CANCEL',
  /** Admin accepted it; waiting for the seller's appeal. */
  WAIT_APPEAL: 'WAIT_APPEAL',
  COMMUNICATION: 'COMMUNICATION',
  WAIT_ARBITRATION: 'WAIT_ARBITRATION',
  COMPLETE: 'COMPLETE',
} as const;
export type ComplainStatus = (typeof ComplainStatus)[keyof typeof ComplainStatus];

/** Whether an order may still be complained about (javashop ComplainSkuStatusEnum, kept per order here). */
export const ComplainWindowStatus = {
  NO_APPLY: 'NO_APPLY',
  APPLYING: 'APPLYING',
  COMPLETE: 'COMPLETE',
  /** complain_expired_day after completion: no new complaints. */
  EXPIRED: 'EXPIRED',
} as const;
export type ComplainWindowStatus = (typeof ComplainWindowStatus)[keyof typeof ComplainWindowStatus];

/** A group buy (pintuan): collects paid members until its size, or fails at its deadline. */
export const GroupBuyStatus = {
  FORMING: 'FORMING',
  FORMED: 'FORMED',
  /** The deadline passed first: every member's order is cancelled and paid ones refunded. */
  FAILED: 'FAILED',
} as const;
export type GroupBuyStatus = (typeof GroupBuyStatus)[keyof typeof GroupBuyStatus];

/**
 * A refund's state. PROCESSING, SUCCESS, ABNORMAL and CLOSED are the providers' states normalised
 * (WeChat Pay v3 uses exactly these; Alipay's answers are mapped onto them), so a provider answer is
 * stored without translation tables scattered around. The other two belong to our refund aggregate.
 */
export const RefundStatus = {
  /**
   * Created and committed with its refund number, not yet accepted by the provider. Stored before
   * the first provider call so every retry reuses the same number (R3a/b).
   */
  APPLY: 'APPLY',
  /** Accepted by the provider; the money is on its way. A timeout also leaves it here (R3e). */
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  /** The provider could not pay it out (e.g. the buyer's card was closed): support must act. */
  ABNORMAL: 'ABNORMAL',
  /** The provider closed it (e.g. merchant funds short for 7 days): support must act. */
  CLOSED: 'CLOSED',
  /** Support paid the buyer by another route and recorded it; as final as SUCCESS. */
  REFUNDED_OFFLINE: 'REFUNDED_OFFLINE',
} as const;
export type RefundStatus = (typeof RefundStatus)[keyof typeof RefundStatus];

/** The state of one cancellation (one cancellation workflow, `cancel-{orderSn}`). */
export const CancellationStatus = {
  /** Recorded by the API (its idempotency key is taken); the order workflow has not answered yet. */
  RECEIVED: 'RECEIVED',
  /** The order workflow refused it (shipped, already being cancelled, …); the answer is stored for replays. */
  REFUSED: 'REFUSED',
  /** Accepted by the order's flow check; nothing has moved yet. */
  REQUESTED: 'REQUESTED',
  /** The order was paid: waiting for the refund to finish before the order becomes CANCELLED. */
  REFUNDING: 'REFUNDING',
  /**
   * The refund ended ABNORMAL or CLOSED. Not "failed": the buyer is still owed money, so the
   * cancellation waits for support (retry with the same refund number, or an offline refund).
   */
  NEEDS_SUPPORT: 'NEEDS_SUPPORT',
  /** Order cancelled, money (if any) returned, stock restored, sales reversed, log written. */
  COMPLETED: 'COMPLETED',
  /** The order was already cancelled (by another request or a timer): this request changed nothing; its answer points at that cancellation. */
  ALREADY_CANCELLED: 'ALREADY_CANCELLED',
} as const;
export type CancellationStatus = (typeof CancellationStatus)[keyof typeof CancellationStatus];
