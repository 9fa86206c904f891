/**
 * The payload shapes of the business events, version 1 (the catalogue and the function that builds an
 * event: events.ts). Ids of rows are numbers, serial numbers and people's ids strings, money integer
 * fen, times ISO 8601; every payload says who made the change (`actor`).
 *
 * Pure types: relative imports only.
 */
import type { Actor, CancellationStatus, ComplainStatus, OrderOperate, OrderStatus, OrderType, PaymentType, PayStatus, ServiceStatus, ShipStatus } from './enums';
import type { AfterSaleAction, AfterSaleStatus, ServiceType } from './after-sale-flow';
import type { ComplaintAction } from './complaint-flow';
import type { PaymentStatus } from './payment-status';
import type { DifferenceKind, DifferenceStatus } from './reconciliation';
import type { ReviewGrade, ReviewKind } from './review-rules';

/** A goodwill refund request's status (goodwill_refund.status). */
export type GoodwillRefundStatus = 'RECEIVED' | 'REFUNDING' | 'REFUSED' | 'REFUNDED';

/** Who made the change: a role (BUYER, SELLER, SUPPORT, SYSTEM, SYSTEM_TIMER, PAYMENT_CALLBACK…) and, for people, their id. */
export interface EventActor {
  role: Actor | string;
  id: string | null;
}

export interface OrderLine {
  orderItemId: number | null;
  skuId: number;
  name: string;
  num: number;
  priceFen: number;
  paidFen: number;
}

export interface OrderCreatedPayload {
  orderSn: string;
  tradeSn: string;
  buyerId: string;
  orderType: OrderType;
  paymentType: PaymentType;
  status: OrderStatus;
  orderFen: number;
  goodsFen: number;
  shippingFen: number;
  discountFen: number;
  groupId: string | null;
  /** A replacement order: the order and after-sale it was created for. */
  source: { orderSn: string; serviceSn: string } | null;
  lines: OrderLine[];
  actor: EventActor;
}

/** An order status change through the order flow table (the order workflow's compare-and-set). */
export interface OrderTransitionPayload {
  orderSn: string;
  operation: OrderOperate;
  from: OrderStatus;
  to: OrderStatus;
  /** The pay / ship / service statuses set with it (null: unchanged). */
  payStatus: PayStatus | null;
  shipStatus: ShipStatus | null;
  serviceStatus: ServiceStatus | null;
  actor: EventActor;
  message: string;
}

export interface OrderPaidPayload extends OrderTransitionPayload {
  payment: { provider: string; outTradeNo: string | null; transactionId: string | null; amountFen: number; paidAt: string };
}

export interface OrderShippedPayload extends OrderTransitionPayload {
  shipment: { carrier: string; trackingNo: string };
}

export interface OrderCancelledPayload extends OrderTransitionPayload {
  cancellation: { reason: string; cancellationId: number | null; refunding: boolean };
}

export interface OrderWindowClosedPayload {
  orderSn: string;
  window: 'comment' | 'complaint' | 'after-sale';
  /** The order row's column and its values: comment_status UNFINISHED → FINISHED, complain_status NO_APPLY → EXPIRED, service_status NOT_APPLY → EXPIRED. */
  column: string;
  from: string;
  to: string;
  actor: EventActor;
}

export interface OrderAfterSaleRecordPayload {
  orderSn: string;
  serviceSn: string;
  /** The order's service status from now on; null when this step did not change it. */
  serviceStatus: ServiceStatus | null;
  actor: EventActor;
  message: string;
}

export interface OrderRefundSettledPayload {
  orderSn: string;
  cancellationId: number;
  payStatus: PayStatus;
  serviceStatus: ServiceStatus;
  actor: EventActor;
}

export interface PaymentCreatedPayload {
  outTradeNo: string;
  orderSn: string;
  provider: string;
  amountFen: number;
  /** A trade payment (one per order it pays for, on that order's seller stream): the trade, and this order's share of amountFen. */
  tradeSn?: string;
  shareFen?: number;
  actor: EventActor;
}

export interface PaymentClosedPayload {
  outTradeNo: string;
  orderSn: string;
  provider: string;
  from: PaymentStatus;
  /** A trade payment attempt superseded by the trade's next one (one event per order it paid for). */
  tradeSn?: string;
  actor: EventActor;
}

export interface PaymentPaidPayload {
  outTradeNo: string;
  orderSn: string;
  provider: string;
  amountFen: number;
  transactionId: string | null;
  paidAt: string;
  /** false: the order could not take it (cancelled, or paid already): it is refunded automatically (refund.created follows). */
  acceptedByOrder: boolean;
  /** Why it was not accepted. */
  note: string | null;
  actor: EventActor;
}

export interface PaymentRefundedPayload {
  outTradeNo: string;
  orderSn: string;
  from: PaymentStatus;
  to: PaymentStatus;
  amountFen: number;
  /** Σ of the payment's refunds the provider paid out. */
  refundedFen: number;
  actor: EventActor;
}

export interface RefundCreatedPayload {
  refundSn: string;
  orderSn: string;
  /** Why the refund exists: cancel:{id}:n, after-sale:{sn}, complaint:{id}, goodwill:{id}:n, late-payment:{outTradeNo}… */
  causeKey: string;
  provider: string;
  outTradeNo: string;
  refundFen: number;
  totalFen: number;
  reason: string;
  /** What it takes from each order line (empty: from the order's remainder). */
  lines: { orderItemId: number; refundFen: number }[];
  actor: EventActor;
}

export interface RefundSubmittedPayload {
  refundSn: string;
  orderSn: string;
  provider: string;
  refundFen: number;
  providerRefundId: string | null;
  actor: EventActor;
}

export interface RefundOutcomePayload {
  refundSn: string;
  orderSn: string;
  provider: string;
  refundFen: number;
  from: string;
  to: string;
  detail: string | null;
  actor: EventActor;
}

export interface RefundOfflinePayload {
  refundSn: string;
  orderSn: string;
  refundFen: number;
  from: string;
  reference: string;
  note: string | null;
  actor: EventActor;
}

export interface CancellationPayload {
  cancellationId: number;
  orderSn: string;
  from: CancellationStatus | null;
  to: CancellationStatus;
  reason: string;
  /** Who asked for the cancel (the request's actor), whoever moved it now (actor). */
  requestedBy: { role: string; id: string };
  actor: EventActor;
}

export interface AfterSaleAppliedPayload {
  serviceSn: string;
  orderSn: string;
  serviceType: ServiceType;
  status: AfterSaleStatus;
  reason: string;
  requestedFen: number;
  lines: { orderItemId: number; skuId: number; name: string; num: number; amountFen: number }[];
  actor: EventActor;
}

export interface AfterSaleStepPayload {
  serviceSn: string;
  orderSn: string;
  serviceType: ServiceType;
  /** The step's number in the after-sale's log. */
  seq: number;
  action: AfterSaleAction;
  from: AfterSaleStatus;
  to: AfterSaleStatus;
  agreedFen: number | null;
  refuseReason: string | null;
  closedReason: string | null;
  returnShipment: { carrier: string; trackingNo: string } | null;
  receipt: { orderItemId: number; goodNum: number; damagedNum: number }[] | null;
  refundSn: string | null;
  refundedFen: number | null;
  linkedOrderSn: string | null;
  /** The deadline that runs from now on, if any. */
  deadline: { action: AfterSaleAction; at: string } | null;
  actor: EventActor;
  message: string;
}

export interface ComplaintFiledPayload {
  complaintId: number;
  orderSn: string;
  skuId: number;
  buyerId: string;
  status: ComplainStatus;
  topic: string;
  actor: EventActor;
}

export interface ComplaintStepPayload {
  complaintId: number;
  orderSn: string;
  seq: number;
  action: ComplaintAction;
  from: ComplainStatus;
  to: ComplainStatus;
  /** MESSAGE: the message; APPEAL: the seller's answer; ARBITRATE: the result; WITHDRAW: why. */
  content: string | null;
  refund: { refundSn: string; refundFen: number } | null;
  actor: EventActor;
  message: string;
}

export interface ReviewCreatedPayload {
  orderSn: string;
  skuId: number;
  kind: ReviewKind;
  grade: ReviewGrade | null;
  /** The window's automatic positive review (no buyer wrote it). */
  automatic: boolean;
  buyerId: string;
  actor: EventActor;
}

export interface CouponCreatedPayload {
  couponId: number;
  title: string;
  thresholdFen: number;
  valueFen: number;
  validFrom: string;
  validUntil: string;
  totalCount: number;
  actor: EventActor;
}

export interface MemberCouponPayload {
  memberCouponId: number;
  couponId: number;
  buyerId: string;
  /** coupon.used / coupon.released: the order. */
  orderSn: string | null;
  actor: EventActor;
}

export interface GoodwillRefundPayload {
  goodwillRefundId: number;
  orderSn: string;
  refundFen: number;
  reason: string;
  from: GoodwillRefundStatus | null;
  to: GoodwillRefundStatus;
  refundSn: string | null;
  /** refunding: 1 for the first refund, n after support re-issued a CLOSED one. */
  attempt: number | null;
  refusal: string | null;
  actor: EventActor;
}

export interface ReconciliationCasePayload {
  caseId: number;
  provider: string;
  billDate: string;
  kind: DifferenceKind;
  outTradeNo: string;
  outRefundNo: string | null;
  orderSn: string | null;
  providerFen: number | null;
  ourFen: number | null;
  from: DifferenceStatus | null;
  to: DifferenceStatus;
  /** opened: what differs; auto_fixed: how it was fixed; resolved: support's note. */
  note: string;
  actor: EventActor;
}

export interface TradeStatusPayload {
  tradeSn: string;
  from: string;
  to: string;
  /** Each order of the trade as it stood when the trade moved. */
  orders: { orderSn: string; orderStatus: string; payStatus: string }[];
  /** The order whose transition settled the trade. */
  causedBy: string;
  actor: EventActor;
}

/** group_buy_activity.created / .ended: the activity's terms and where it stands. */
export interface GroupBuyActivityPayload {
  activityId: number;
  skuId: number;
  groupPriceFen: number;
  groupSize: number;
  startsAt: string;
  endsAt: string;
  formWithinMs: number;
  quotaUnits: number;
  takenUnits: number;
  limitPerBuyer: number;
  autoForm: boolean;
  status: string;
  actor: EventActor;
}

/** group_buy_activity.quota_taken / .quota_returned: one order's units of the activity's quota. */
export interface GroupBuyQuotaPayload {
  activityId: number;
  orderSn: string;
  buyerId: string;
  units: number;
  /** The activity's taken units after this change. */
  takenUnits: number;
  quotaUnits: number;
  actor: EventActor;
}
