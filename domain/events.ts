/**
 * The catalogue of business events: every event the outbox (`business_event`, written by
 * db/business-events.ts) can hold, its entity, and its payload shape (version 1). Each business state
 * change of an order, payment, refund, cancellation request, after-sale, complaint, review, coupon,
 * goodwill refund or reconciliation case is one event, written in the transaction that makes the
 * change; docs/events.md is the consumer's description of this file.
 *
 * `businessEvent(entity, transition)` is the one function from an entity and one of its transitions
 * to the event. Its id is `{entityType}:{entityId}:{transitionKey}`: a retried step builds the same
 * id, so the outbox's unique key keeps it once.
 *
 * Pure: relative imports only, no I/O, no clock (the time is the database's, at insert). The payload
 * shapes are in event-payloads.ts (re-exported here).
 */
import type { CancellationStatus, OrderOperate } from './enums';
import type { AfterSaleAction } from './after-sale-flow';
import type { ComplaintAction } from './complaint-flow';
import type { PaymentStatus } from './payment-status';
import type { DifferenceStatus } from './reconciliation';
import type {
  AfterSaleAppliedPayload,
  AfterSaleStepPayload,
  CancellationPayload,
  ComplaintFiledPayload,
  ComplaintStepPayload,
  CouponCreatedPayload,
  EventActor,
  GoodwillRefundPayload,
  GoodwillRefundStatus,
  MemberCouponPayload,
  OrderAfterSaleRecordPayload,
  OrderCancelledPayload,
  OrderCreatedPayload,
  OrderPaidPayload,
  OrderRefundSettledPayload,
  OrderShippedPayload,
  OrderTransitionPayload,
  OrderWindowClosedPayload,
  PaymentClosedPayload,
  PaymentCreatedPayload,
  PaymentPaidPayload,
  PaymentRefundedPayload,
  ReconciliationCasePayload,
  RefundCreatedPayload,
  RefundOfflinePayload,
  RefundOutcomePayload,
  RefundSubmittedPayload,
  ReviewCreatedPayload,
  TradeStatusPayload,
  GroupBuyActivityPayload,
  GroupBuyQuotaPayload,
} from './event-payloads';

export type * from './event-payloads';

/** The version every payload below has. A change that is not purely additive is a new version. */
export const EVENT_PAYLOAD_VERSION = 1 as const;

/**
 * The marketplace's own stream: events that belong to no seller (reconciliation cases are the
 * marketplace's books against the provider's). Seller ids start at 1, so no seller's feed shows it.
 */
export const PLATFORM_SELLER_ID = 0;

export type EntityType =
  | 'order'
  | 'payment'
  | 'refund'
  | 'cancellation'
  | 'after_sale'
  | 'complaint'
  | 'review'
  | 'coupon'
  | 'member_coupon'
  | 'goodwill_refund'
  | 'reconciliation_case'
  | 'trade'
  | 'group_buy_activity';

/** Every event type, the entity it is about, and what it means. */
export const EVENT_CATALOGUE = {
  'order.created': { entity: 'order', summary: 'An order was placed (checkout), or a replacement order created for an after-sale exchange / re-ship.' },
  'order.confirmed': { entity: 'order', summary: 'Stock is reserved: NEW → CONFIRM.' },
  'order.paid': { entity: 'order', summary: "The buyer's payment was accepted by the order (verified provider result)." },
  'order.group_formed': { entity: 'order', summary: 'Group buy: the group filled, so the order may ship (PAID_OFF → FORMED).' },
  'order.shipped': { entity: 'order', summary: 'The seller shipped the order (carrier and tracking number).' },
  'order.received': { entity: 'order', summary: 'The buyer confirmed receipt, or the auto-receive timer did (→ ROG).' },
  'order.commented': { entity: 'order', summary: 'The order moved by its COMMENT operation (the flow table has none today; reviews are review.created).' },
  'order.completed': { entity: 'order', summary: 'The order completed (→ COMPLETE).' },
  'order.cancelled': { entity: 'order', summary: 'The order was cancelled (CANCEL unpaid, SERVICE_CANCEL paid: its refund follows).' },
  'order.window_closed': { entity: 'order', summary: "One of the order's windows closed: comment (automatic reviews follow), complaint or after-sale." },
  'order.after_sale_opened': { entity: 'order', summary: 'The order took on an after-sale (its service status may change).' },
  'order.after_sale_closed': { entity: 'order', summary: 'An after-sale of the order ended (its service status may change).' },
  'order.refund_settled': { entity: 'order', summary: "A cancelled, paid order's money is back: pay status REFUNDED, service status COMPLETE." },

  'payment.created': { entity: 'payment', summary: 'A payment attempt was started at a provider (QR code / cashier form).' },
  'payment.closed': { entity: 'payment', summary: 'An unpaid payment attempt was closed at the provider (the order was cancelled, or a trade payment attempt was superseded by the trade\'s next one).' },
  'payment.paid': { entity: 'payment', summary: 'Money arrived for the payment; acceptedByOrder false: the order could not take it (refunded automatically).' },
  'payment.partially_refunded': { entity: 'payment', summary: 'Part of the payment went back through the provider.' },
  'payment.refunded': { entity: 'payment', summary: 'All of the payment went back through the provider.' },

  'refund.created': { entity: 'refund', summary: 'A refund was recorded with its number, drawn from the refundable balance (not yet sent).' },
  'refund.submitted': { entity: 'refund', summary: 'The provider accepted the refund; the money is on its way (→ PROCESSING).' },
  'refund.succeeded': { entity: 'refund', summary: 'The provider paid the refund out (→ SUCCESS).' },
  'refund.abnormal': { entity: 'refund', summary: 'The provider could not pay the refund out (→ ABNORMAL): support acts.' },
  'refund.closed': { entity: 'refund', summary: 'The provider closed the refund (→ CLOSED): its money is refundable again; support acts.' },
  'refund.refunded_offline': { entity: 'refund', summary: 'Support paid the buyer another way (→ REFUNDED_OFFLINE), final.' },

  'cancellation.received': { entity: 'cancellation', summary: 'A cancel request was recorded (its idempotency key taken).' },
  'cancellation.refused': { entity: 'cancellation', summary: 'The cancel request was refused (the order cannot be cancelled in its state).' },
  'cancellation.already_cancelled': { entity: 'cancellation', summary: 'The order was already cancelled; this request changed nothing.' },
  'cancellation.requested': { entity: 'cancellation', summary: 'The cancel was accepted (or the system decided it: unpaid timeout, failed group).' },
  'cancellation.refunding': { entity: 'cancellation', summary: 'The order was paid: the cancellation waits for its refund.' },
  'cancellation.needs_support': { entity: 'cancellation', summary: "The cancellation's refund ended ABNORMAL/CLOSED: support decides." },
  'cancellation.completed': { entity: 'cancellation', summary: 'The cancellation finished: money (if any) back, stock and coupons returned.' },

  'after_sale.applied': { entity: 'after_sale', summary: 'The buyer applied for an after-sale (APPLY).' },
  'after_sale.opened': { entity: 'after_sale', summary: 'The order accepted the application; the seller audits it.' },
  'after_sale.passed': { entity: 'after_sale', summary: 'The seller agreed (with the amount, for money-back types).' },
  'after_sale.refused': { entity: 'after_sale', summary: 'The seller refused the after-sale.' },
  'after_sale.return_shipped': { entity: 'after_sale', summary: 'The buyer shipped the goods back.' },
  'after_sale.received': { entity: 'after_sale', summary: 'The seller recorded what came back.' },
  'after_sale.received_short': { entity: 'after_sale', summary: 'Fewer units came back than were sent: support decides.' },
  'after_sale.receipt_overdue': { entity: 'after_sale', summary: "The seller's receipt deadline passed: support decides." },
  'after_sale.withdrawn': { entity: 'after_sale', summary: 'The buyer withdrew the after-sale.' },
  'after_sale.expired': { entity: 'after_sale', summary: "A deadline on the buyer passed (return shipping): closed." },
  'after_sale.support_refunded': { entity: 'after_sale', summary: 'Support decided a manual case: refund this amount.' },
  'after_sale.support_closed': { entity: 'after_sale', summary: 'Support decided a manual case: close it.' },
  'after_sale.refund_started': { entity: 'after_sale', summary: "The after-sale's refund was recorded and runs." },
  'after_sale.refund_blocked': { entity: 'after_sale', summary: 'The refund could not be recorded (less left than agreed): support decides.' },
  'after_sale.linked_order_blocked': { entity: 'after_sale', summary: 'The exchange / re-ship order could not be created (out of stock): support decides.' },
  'after_sale.order_refused': { entity: 'after_sale', summary: 'The order refused the application (not shipped, window closed, cancelled…): closed.' },
  'after_sale.completed': { entity: 'after_sale', summary: 'Money back, or the linked order created: done.' },

  'complaint.filed': { entity: 'complaint', summary: 'The buyer filed a complaint about an order line.' },
  'complaint.reviewed': { entity: 'complaint', summary: "Support accepted the complaint for the seller's answer." },
  'complaint.appealed': { entity: 'complaint', summary: 'The seller answered; the dialogue is open.' },
  'complaint.message_posted': { entity: 'complaint', summary: 'A message in the dialogue (buyer, seller or support).' },
  'complaint.arbitration_requested': { entity: 'complaint', summary: 'The case went to support for arbitration.' },
  'complaint.arbitrated': { entity: 'complaint', summary: 'Support decided, possibly with a refund.' },
  'complaint.withdrawn': { entity: 'complaint', summary: 'The buyer withdrew it, or the buyer-idle deadline closed it.' },

  'review.created': { entity: 'review', summary: "A review of an order line: the buyer's, a follow-up, or the automatic positive one." },

  'coupon.created': { entity: 'coupon', summary: 'The seller created a coupon.' },
  'coupon.claimed': { entity: 'member_coupon', summary: 'A buyer claimed a copy of the coupon.' },
  'coupon.used': { entity: 'member_coupon', summary: "The buyer's copy was used by an order at checkout." },
  'coupon.released': { entity: 'member_coupon', summary: 'A cancelled, unpaid order gave the copy back to the buyer.' },

  'goodwill_refund.received': { entity: 'goodwill_refund', summary: 'Support asked for a goodwill refund.' },
  'goodwill_refund.refunding': { entity: 'goodwill_refund', summary: 'Its refund was recorded (again, after support re-issued a CLOSED one).' },
  'goodwill_refund.refused': { entity: 'goodwill_refund', summary: 'Refused: more than remains refundable, or nothing was paid.' },
  'goodwill_refund.refunded': { entity: 'goodwill_refund', summary: 'Its refund was paid out.' },

  'reconciliation_case.opened': { entity: 'reconciliation_case', summary: "A difference between the provider's bill and our books (platform stream)." },
  'reconciliation_case.auto_fixed': { entity: 'reconciliation_case', summary: 'A stranded payment was handed to its order (platform stream).' },
  'reconciliation_case.resolved': { entity: 'reconciliation_case', summary: "Support closed the case with a note (platform stream)." },

  'trade.paid_off': { entity: 'trade', summary: 'No order of the trade awaits payment and at least one was paid: NEW → PAID_OFF (platform stream).' },
  'trade.cancelled': { entity: 'trade', summary: 'Every order of the trade closed unpaid: NEW → CANCELLED (platform stream).' },

  'group_buy_activity.created': { entity: 'group_buy_activity', summary: 'The seller set up a group-buy activity for a SKU (group price, size, quota, limit per buyer, auto-form).' },
  'group_buy_activity.ended': { entity: 'group_buy_activity', summary: 'The seller ended the activity early: no new groups or members.' },
  'group_buy_activity.quota_taken': { entity: 'group_buy_activity', summary: "A buyer's checkout took units of the activity's quota for its order." },
  'group_buy_activity.quota_returned': { entity: 'group_buy_activity', summary: "The order's units went back to the quota (the order was cancelled, or its group failed)." },
} as const satisfies Record<string, { entity: EntityType; summary: string }>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EntityOf<T extends EventType> = (typeof EVENT_CATALOGUE)[T]['entity'];
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

// ---------------------------------------------------------------------------------------------------
// Transition → event type

export const ORDER_OPERATION_EVENTS = {
  CONFIRM: 'order.confirmed',
  PAY: 'order.paid',
  FORM_GROUP: 'order.group_formed',
  SHIP: 'order.shipped',
  ROG: 'order.received',
  CANCEL: 'order.cancelled',
  SERVICE_CANCEL: 'order.cancelled',
  COMMENT: 'order.commented',
  COMPLETE: 'order.completed',
} as const satisfies Record<OrderOperate, EventType>;
export type OrderOperationEventType = (typeof ORDER_OPERATION_EVENTS)[OrderOperate];

export const PAYMENT_STATUS_EVENTS = {
  CREATED: 'payment.created',
  CLOSED: 'payment.closed',
  PAID: 'payment.paid',
  PARTIALLY_REFUNDED: 'payment.partially_refunded',
  REFUNDED: 'payment.refunded',
} as const satisfies Record<PaymentStatus, EventType>;

/** A refund's status → its event (APPLY is refund.created, written with the row). */
export const REFUND_STATUS_EVENTS = {
  PROCESSING: 'refund.submitted',
  SUCCESS: 'refund.succeeded',
  ABNORMAL: 'refund.abnormal',
  CLOSED: 'refund.closed',
  REFUNDED_OFFLINE: 'refund.refunded_offline',
} as const satisfies Record<'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED' | 'REFUNDED_OFFLINE', EventType>;
export type RefundOutcomeEventType = 'refund.succeeded' | 'refund.abnormal' | 'refund.closed';

export const CANCELLATION_STATUS_EVENTS = {
  RECEIVED: 'cancellation.received',
  REFUSED: 'cancellation.refused',
  ALREADY_CANCELLED: 'cancellation.already_cancelled',
  REQUESTED: 'cancellation.requested',
  REFUNDING: 'cancellation.refunding',
  NEEDS_SUPPORT: 'cancellation.needs_support',
  COMPLETED: 'cancellation.completed',
} as const satisfies Record<CancellationStatus, EventType>;
export type CancellationEventType = (typeof CANCELLATION_STATUS_EVENTS)[CancellationStatus];

export const AFTER_SALE_ACTION_EVENTS = {
  OPEN: 'after_sale.opened',
  AUDIT_PASS: 'after_sale.passed',
  AUDIT_REFUSE: 'after_sale.refused',
  SHIP_RETURN: 'after_sale.return_shipped',
  RECEIVE: 'after_sale.received',
  RECEIVE_SHORT: 'after_sale.received_short',
  RECEIPT_OVERDUE: 'after_sale.receipt_overdue',
  WITHDRAW: 'after_sale.withdrawn',
  EXPIRE: 'after_sale.expired',
  SUPPORT_REFUND: 'after_sale.support_refunded',
  SUPPORT_CLOSE: 'after_sale.support_closed',
  START_REFUND: 'after_sale.refund_started',
  REFUND_BLOCKED: 'after_sale.refund_blocked',
  LINKED_ORDER_BLOCKED: 'after_sale.linked_order_blocked',
  ORDER_REFUSED: 'after_sale.order_refused',
  COMPLETE: 'after_sale.completed',
} as const satisfies Record<AfterSaleAction, EventType>;
export type AfterSaleStepEventType = (typeof AFTER_SALE_ACTION_EVENTS)[AfterSaleAction];

export const COMPLAINT_ACTION_EVENTS = {
  REVIEW: 'complaint.reviewed',
  APPEAL: 'complaint.appealed',
  MESSAGE: 'complaint.message_posted',
  REQUEST_ARBITRATION: 'complaint.arbitration_requested',
  ARBITRATE: 'complaint.arbitrated',
  WITHDRAW: 'complaint.withdrawn',
} as const satisfies Record<ComplaintAction, EventType>;
export type ComplaintStepEventType = (typeof COMPLAINT_ACTION_EVENTS)[ComplaintAction];

export const GOODWILL_STATUS_EVENTS = {
  RECEIVED: 'goodwill_refund.received',
  REFUNDING: 'goodwill_refund.refunding',
  REFUSED: 'goodwill_refund.refused',
  REFUNDED: 'goodwill_refund.refunded',
} as const satisfies Record<GoodwillRefundStatus, EventType>;
export type GoodwillEventType = (typeof GOODWILL_STATUS_EVENTS)[GoodwillRefundStatus];

export const RECONCILIATION_CASE_EVENTS = {
  OPEN: 'reconciliation_case.opened',
  AUTO_FIXED: 'reconciliation_case.auto_fixed',
  RESOLVED: 'reconciliation_case.resolved',
} as const satisfies Record<DifferenceStatus, EventType>;
export type ReconciliationCaseEventType = (typeof RECONCILIATION_CASE_EVENTS)[DifferenceStatus];

type Each<K extends string, P> = { [T in K]: P };

/** The payload of each event type. */
export type EventPayloads = {
  'order.created': OrderCreatedPayload;
  'order.paid': OrderPaidPayload;
  'order.shipped': OrderShippedPayload;
  'order.cancelled': OrderCancelledPayload;
  'order.window_closed': OrderWindowClosedPayload;
  'order.refund_settled': OrderRefundSettledPayload;
  'payment.created': PaymentCreatedPayload;
  'payment.closed': PaymentClosedPayload;
  'payment.paid': PaymentPaidPayload;
  'refund.created': RefundCreatedPayload;
  'refund.submitted': RefundSubmittedPayload;
  'refund.refunded_offline': RefundOfflinePayload;
  'after_sale.applied': AfterSaleAppliedPayload;
  'complaint.filed': ComplaintFiledPayload;
  'review.created': ReviewCreatedPayload;
  'coupon.created': CouponCreatedPayload;
} & Each<'order.confirmed' | 'order.group_formed' | 'order.received' | 'order.commented' | 'order.completed', OrderTransitionPayload>
  & Each<'order.after_sale_opened' | 'order.after_sale_closed', OrderAfterSaleRecordPayload>
  & Each<'payment.partially_refunded' | 'payment.refunded', PaymentRefundedPayload>
  & Each<RefundOutcomeEventType, RefundOutcomePayload>
  & Each<CancellationEventType, CancellationPayload>
  & Each<AfterSaleStepEventType, AfterSaleStepPayload>
  & Each<ComplaintStepEventType, ComplaintStepPayload>
  & Each<'coupon.claimed' | 'coupon.used' | 'coupon.released', MemberCouponPayload>
  & Each<GoodwillEventType, GoodwillRefundPayload>
  & Each<ReconciliationCaseEventType, ReconciliationCasePayload>
  & Each<'trade.paid_off' | 'trade.cancelled', TradeStatusPayload>
  & Each<'group_buy_activity.created' | 'group_buy_activity.ended', GroupBuyActivityPayload>
  & Each<'group_buy_activity.quota_taken' | 'group_buy_activity.quota_returned', GroupBuyQuotaPayload>;

// Every catalogue entry has exactly one payload type, and every payload type an entry (compile-time).
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const payloadsMatchCatalogue: Exactly<keyof EventPayloads, EventType> = true;
void payloadsMatchCatalogue;

// ---------------------------------------------------------------------------------------------------
// (entity, transition) → event

/** The entity an event is about, as the outbox stores it. */
export interface EventEntity<E extends EntityType = EntityType> {
  type: E;
  /** The entity's own id: order sn, out_trade_no, refund sn, row id… */
  id: string | number;
  /** The seller whose stream it goes to (PLATFORM_SELLER_ID: the marketplace's own). */
  sellerId: number | string;
  /** The order it concerns, when there is one (support's per-order timeline reads by it). */
  orderSn: string | null;
}

/** One transition of the entity: its event type, the key that names it among the entity's transitions, and its payload. */
export interface EventTransition<T extends EventType> {
  type: T;
  /** Unique among the entity's transitions, and the same when the step runs again (e.g. `SHIP:PAID_OFF->SHIPPED`, `3:AUDIT_PASS`, `SUCCESS`). */
  key: string;
  payload: EventPayloads[T];
}

export interface BusinessEvent<T extends EventType = EventType> {
  eventId: string;
  eventType: T;
  entityType: EntityOf<T>;
  entityId: string;
  sellerId: number;
  orderSn: string | null;
  payloadVersion: typeof EVENT_PAYLOAD_VERSION;
  payload: EventPayloads[T];
}

/** The longest event id the outbox stores. */
export const MAX_EVENT_ID_LENGTH = 255;

/** The event of one transition of one entity. Throws on a catalogue mismatch (a programming error). */
export function businessEvent<T extends EventType>(entity: EventEntity<EntityOf<T>>, transition: EventTransition<T>): BusinessEvent<T> {
  const entry = EVENT_CATALOGUE[transition.type];
  if (!entry) throw new Error(`unknown business event type ${String(transition.type)}`);
  if (entry.entity !== entity.type) throw new Error(`${transition.type} is about a ${entry.entity}, not a ${entity.type}`);
  const sellerId = Number(entity.sellerId);
  if (!Number.isSafeInteger(sellerId) || sellerId < 0) throw new Error(`${transition.type}: seller id ${String(entity.sellerId)} is not a seller`);
  const entityId = String(entity.id);
  if (!entityId || !transition.key) throw new Error(`${transition.type}: an event needs its entity id and transition key`);
  const eventId = `${entity.type}:${entityId}:${transition.key}`;
  if (eventId.length > MAX_EVENT_ID_LENGTH) throw new Error(`event id ${eventId.slice(0, 80)}… is longer than ${MAX_EVENT_ID_LENGTH} characters`);
  return {
    eventId,
    eventType: transition.type,
    entityType: entry.entity as EntityOf<T>,
    entityId,
    sellerId,
    orderSn: entity.orderSn,
    payloadVersion: EVENT_PAYLOAD_VERSION,
    payload: transition.payload,
  };
}

/** The actor of a change, from a role and an optional id (ids are strings in every payload). */
export function eventActor(role: string, id?: string | number | null): EventActor {
  return { role, id: id === undefined || id === null ? null : String(id) };
}
