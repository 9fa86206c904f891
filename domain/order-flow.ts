/**
 * Which operation may happen to an order in which status, and who may perform it.
 *
 * The table (ORDER_FLOW) is data, consulted before every operation by every caller, people and
 * system alike (R2). It is javashop's order_flow.xml (reference/order-model.md §1.3) with actors
 * added and a few deliberate changes, each explained next to its row.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { Actor, OrderOperate, OrderStatus, OrderType, PaymentType } from './enums';
import { ErrorCode } from './error-codes';
import { TransitionCheck, TransitionTable, checkTransition } from './transition-table';

/**
 * The flow an order follows. Like javashop: the payment type for NORMAL orders, and PINTUAN for
 * group-buy orders whatever their payment type (joining a group means paying up front, and the order
 * must wait for the group before it ships). Unlike javashop, CHANGE and SUPPLY_AGAIN orders (the
 * free replacement an after-sale exchange or re-ship sends) follow REPLACEMENT, not their source's
 * payment type: nothing is owed, so they ship → receive → complete and can never be paid or refunded.
 */
export const FlowType = {
  ONLINE: 'ONLINE',
  COD: 'COD',
  PINTUAN: 'PINTUAN',
  REPLACEMENT: 'REPLACEMENT',
} as const;
export type FlowType = (typeof FlowType)[keyof typeof FlowType];

export function flowOf(paymentType: PaymentType, orderType: OrderType): FlowType {
  if (orderType === OrderType.PINTUAN) return FlowType.PINTUAN;
  if (orderType === OrderType.CHANGE || orderType === OrderType.SUPPLY_AGAIN) return FlowType.REPLACEMENT;
  return paymentType === PaymentType.COD ? FlowType.COD : FlowType.ONLINE;
}

/**
 * One row of the table: in each of `flows`, from each of `from`, `operation` by one of `actors`
 * moves the order to `to`. Rows group flows and statuses only where the rule and its reason are the
 * same; after expansion each (flow, from, operation) must appear exactly once (validateFlowTable).
 */
export interface OrderFlowRule {
  readonly flows: readonly FlowType[];
  readonly from: readonly OrderStatus[];
  readonly operation: OrderOperate;
  readonly to: OrderStatus;
  readonly actors: readonly Actor[];
}

/** One expanded (flow, from, operation) entry of the table. */
export interface OrderFlowTransition {
  readonly flow: FlowType;
  readonly from: OrderStatus;
  readonly operation: OrderOperate;
  readonly to: OrderStatus;
  readonly actors: readonly Actor[];
}

const { ONLINE, COD, PINTUAN, REPLACEMENT } = FlowType;
const ALL_FLOWS = [ONLINE, COD, PINTUAN, REPLACEMENT] as const;
const { NEW, CONFIRM, PAID_OFF, FORMED, SHIPPED, ROG, COMPLETE, CANCELLED, AFTER_SERVICE } = OrderStatus;
const { BUYER, SELLER, SUPPORT, ADMIN, SYSTEM, SYSTEM_TIMER, PAYMENT_CALLBACK } = Actor;

export const ORDER_FLOW: readonly OrderFlowRule[] = [
  // Stock reserved by the order workflow. A shortfall refuses the trade before any order exists,
  // so NEW → INTODB_ERROR is not an operation here.
  { flows: ALL_FLOWS, from: [NEW], operation: OrderOperate.CONFIRM, to: CONFIRM, actors: [SYSTEM] },

  // Unpaid cancel: nothing to refund, only the reservation to release. The timer is the
  // cancel_order_day auto-cancel, and for group buys also the group deadline passing unpaid.
  { flows: [ONLINE, PINTUAN], from: [NEW, CONFIRM], operation: OrderOperate.CANCEL, to: CANCELLED, actors: [BUYER, SELLER, SUPPORT, SYSTEM_TIMER] },
  // COD orders are unpaid by design until the door, so "cancel unpaid after N days" must not touch
  // them (javashop's cancelTask also selects payment_type ≠ COD). People may still cancel.
  { flows: [COD], from: [NEW, CONFIRM], operation: OrderOperate.CANCEL, to: CANCELLED, actors: [BUYER, SELLER, SUPPORT] },
  // A replacement is unpaid by design (it is free): no timer cancels it. The seller (cannot supply)
  // or support may call it off before it ships, which only releases its reservation; the buyer asked
  // for it through the after-sale, which is where they withdraw.
  { flows: [REPLACEMENT], from: [NEW, CONFIRM], operation: OrderOperate.CANCEL, to: CANCELLED, actors: [SELLER, SUPPORT] },

  // Only a verified provider result makes an online order paid; no person can, and neither can a
  // timer (javashop's unchecked "client" permission is how CANCELLED → PAID_OFF happened, §1.7).
  { flows: [ONLINE, PINTUAN], from: [CONFIRM], operation: OrderOperate.PAY, to: PAID_OFF, actors: [PAYMENT_CALLBACK] },

  // Pay before shipping.
  { flows: [ONLINE], from: [PAID_OFF], operation: OrderOperate.SHIP, to: SHIPPED, actors: [SELLER] },
  // Cash on delivery ships unpaid, straight from the reservation.
  { flows: [COD], from: [CONFIRM], operation: OrderOperate.SHIP, to: SHIPPED, actors: [SELLER] },
  // A replacement ships straight from the reservation too: there is nothing to pay, ever.
  { flows: [REPLACEMENT], from: [CONFIRM], operation: OrderOperate.SHIP, to: SHIPPED, actors: [SELLER] },
  // The group workflow marks the group formed when it fills; javashop did this outside its table,
  // we give it a row so nothing bypasses the check.
  { flows: [PINTUAN], from: [PAID_OFF], operation: OrderOperate.FORM_GROUP, to: FORMED, actors: [SYSTEM_TIMER] },
  // A group-buy order ships only once its group formed: if the group fails, it is refunded instead.
  { flows: [PINTUAN], from: [FORMED], operation: OrderOperate.SHIP, to: SHIPPED, actors: [SELLER] },

  // Cancel after payment, before shipping: the cancellation workflow refunds first and the order
  // becomes CANCELLED only once the money is back (R6). Not from SHIPPED, unlike javashop ONLINE: a
  // shipped order's goods must come back first, which is an after-sale return. Support may act for
  // either party on a stuck case.
  { flows: [ONLINE], from: [PAID_OFF], operation: OrderOperate.SERVICE_CANCEL, to: CANCELLED, actors: [BUYER, SELLER, SUPPORT] },
  // Group still forming: the group workflow also cancels (and so refunds) paid orders when the
  // group deadline passes without the group filling (javashop cancelPintuanOrder).
  { flows: [PINTUAN], from: [PAID_OFF], operation: OrderOperate.SERVICE_CANCEL, to: CANCELLED, actors: [BUYER, SELLER, SUPPORT, SYSTEM_TIMER] },
  // A formed group's order is paid and unshipped, the same position as ONLINE PAID_OFF; javashop
  // only allowed SHIP here, which left a buyer no way out before shipment.
  { flows: [PINTUAN], from: [FORMED], operation: OrderOperate.SERVICE_CANCEL, to: CANCELLED, actors: [BUYER, SELLER, SUPPORT] },

  // Receipt: the buyer confirms, or rog_order_day after shipping the timer does it for them.
  { flows: ALL_FLOWS, from: [SHIPPED], operation: OrderOperate.ROG, to: ROG, actors: [BUYER, SYSTEM_TIMER] },

  // COD is paid at the door: the seller reports the cash collected, or complete_order_pay days after
  // receipt the timer assumes it was (javashop payTask).
  { flows: [COD], from: [ROG], operation: OrderOperate.PAY, to: PAID_OFF, actors: [SELLER, SYSTEM_TIMER] },

  // Completion is the platform's call (complete_order_day after receipt, or after COD payment), not
  // a party's: it closes the window in which the buyer can still dispute receipt.
  { flows: [ONLINE, PINTUAN, REPLACEMENT], from: [ROG], operation: OrderOperate.COMPLETE, to: COMPLETE, actors: [SYSTEM_TIMER, ADMIN] },
  { flows: [COD], from: [PAID_OFF], operation: OrderOperate.COMPLETE, to: COMPLETE, actors: [SYSTEM_TIMER, ADMIN] },
  { flows: ALL_FLOWS, from: [AFTER_SERVICE], operation: OrderOperate.COMPLETE, to: COMPLETE, actors: [SYSTEM_TIMER, ADMIN] },

  // Reviews leave the status alone and are allowed once the buyer holds the goods. javashop listed
  // COMMENT only at ONLINE ROG, but its comment window (comment_order_day, 15 days from shipping)
  // outlives completion (complete_order_day, 7 days after receipt), so COMPLETE must accept it too;
  // the window itself is enforced through CommentStatus, not here.
  { flows: ALL_FLOWS, from: [ROG], operation: OrderOperate.COMMENT, to: ROG, actors: [BUYER] },
  { flows: [COD], from: [PAID_OFF], operation: OrderOperate.COMMENT, to: PAID_OFF, actors: [BUYER] },
  { flows: ALL_FLOWS, from: [COMPLETE], operation: OrderOperate.COMMENT, to: COMPLETE, actors: [BUYER] },

  // CANCELLED and INTODB_ERROR have no rows at all; COMPLETE only the status-keeping COMMENT.
];

/** Statuses no operation leaves (COMPLETE still accepts COMMENT, which keeps the status). */
export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = [CANCELLED, OrderStatus.INTODB_ERROR, COMPLETE];

export function isTerminalOrderStatus(status: OrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.includes(status);
}

/** The table expanded to one entry per (flow, from, operation), in table order. */
export function listFlowTransitions(table: readonly OrderFlowRule[] = ORDER_FLOW): OrderFlowTransition[] {
  const transitions: OrderFlowTransition[] = [];
  for (const rule of table) {
    for (const flow of rule.flows) {
      for (const from of rule.from) {
        transitions.push({ flow, from, operation: rule.operation, to: rule.to, actors: rule.actors });
      }
    }
  }
  return transitions;
}

function transitionKey(flow: FlowType, from: OrderStatus, operation: OrderOperate): string {
  return `${flow}|${from}|${operation}`;
}

// Built once at load; first row wins on a duplicate key, which validateFlowTable reports.
const ALL_TRANSITIONS: readonly OrderFlowTransition[] = listFlowTransitions(ORDER_FLOW);
const TRANSITIONS = new Map<string, OrderFlowTransition>();
for (const transition of ALL_TRANSITIONS) {
  const key = transitionKey(transition.flow, transition.from, transition.operation);
  if (!TRANSITIONS.has(key)) TRANSITIONS.set(key, transition);
}

/** The table's entry for (flow, status, operation), whoever asks; undefined if nobody may. */
export function findFlowTransition(
  flow: FlowType,
  status: OrderStatus,
  operation: OrderOperate,
): OrderFlowTransition | undefined {
  return TRANSITIONS.get(transitionKey(flow, status, operation));
}

export type OperationCheck = TransitionCheck<OrderStatus, OrderRefusalCode>;
/** A cancel the table refuses is ORDER_NOT_CANCELLABLE_IN_STATE; any other operation ORDER_OPERATION_NOT_ALLOWED. */
export type OrderRefusalCode = typeof ErrorCode.ORDER_OPERATION_NOT_ALLOWED | typeof ErrorCode.ORDER_NOT_CANCELLABLE_IN_STATE;

export interface OperationRequest {
  flow: FlowType;
  status: OrderStatus;
  operation: OrderOperate;
  actor: Actor;
}

const FLOW_VALUES: readonly string[] = Object.values(FlowType);
const STATUS_VALUES: readonly string[] = Object.values(OrderStatus);
const OPERATION_VALUES: readonly OrderOperate[] = Object.values(OrderOperate);
const ACTOR_VALUES: readonly string[] = Object.values(Actor);

/**
 * May `actor` perform `operation` on an order in `status` following `flow`? On refusal the reason
 * is a sentence fit for an HTTP 409 body or an Update validator error.
 */
export function checkOperation(request: OperationRequest): OperationCheck {
  const { flow, status, operation, actor } = request;
  // Values arrive from HTTP bodies and DB rows; an unknown one must be refused, not crash a lookup.
  if (!FLOW_VALUES.includes(flow)) return refuse(operation, `unknown order flow "${String(flow)}"`);
  if (!STATUS_VALUES.includes(status)) return refuse(operation, `unknown order status "${String(status)}"`);
  if (!OPERATION_VALUES.includes(operation)) return refuse(operation, `unknown operation "${String(operation)}"`);
  if (!ACTOR_VALUES.includes(actor)) return refuse(operation, `unknown actor "${String(actor)}"`);

  return checkTransition(ORDER_TABLES[flow], { state: status, action: operation, actor });
}

/** Each flow's table: the rows of ORDER_FLOW for it, refused in the words of explainRefusal. */
const ORDER_TABLES = Object.fromEntries(
  ALL_FLOWS.map((flow): [FlowType, TransitionTable<OrderStatus, OrderOperate, OrderRefusalCode>] => [
    flow,
    {
      rules: ORDER_FLOW.filter((rule) => rule.flows.includes(flow)).map((rule) => ({ from: rule.from, action: rule.operation, to: rule.to, actors: rule.actors })),
      refuse: ({ state, action, actor }, why) =>
        refuse(action, why.kind === 'NOT_FOR_ACTOR' ? `${actor} may not ${action} an order that is ${state} (only ${why.rules[0].actors.join(', ')} may)` : explainRefusal(flow, state, action)),
    },
  ]),
) as Record<FlowType, TransitionTable<OrderStatus, OrderOperate, OrderRefusalCode>>;

/** The operations `actor` may perform now, in OrderOperate order. */
export function allowedOperations(flow: FlowType, status: OrderStatus, actor: Actor): OrderOperate[] {
  return OPERATION_VALUES.filter((operation) => checkOperation({ flow, status, operation, actor }).allowed);
}

const CANCEL_OPERATIONS: readonly OrderOperate[] = [OrderOperate.CANCEL, OrderOperate.SERVICE_CANCEL];

function refuse(operation: OrderOperate, reason: string): { allowed: false; reason: string; code: OrderRefusalCode } {
  return { allowed: false, reason, code: CANCEL_OPERATIONS.includes(operation) ? ErrorCode.ORDER_NOT_CANCELLABLE_IN_STATE : ErrorCode.ORDER_OPERATION_NOT_ALLOWED };
}

/** Why nobody may perform `operation` now, in the words a seller or support agent would use. */
function explainRefusal(flow: FlowType, status: OrderStatus, operation: OrderOperate): string {
  if (status === OrderStatus.INTODB_ERROR) {
    return 'order is INTODB_ERROR: its stock could never be reserved, so no operation is possible';
  }
  if (isTerminalOrderStatus(status)) return `order is already ${status}`;

  if (CANCEL_OPERATIONS.includes(operation)) {
    if (status === SHIPPED) return 'order is SHIPPED: cancelling a shipped order needs an after-sale return';
    if (status === AFTER_SERVICE) return 'order is AFTER_SERVICE: an after-sale case is already open for it';
    if (goodsAreWithBuyer(flow, status)) {
      return `order is ${status}: the goods were delivered, so cancelling needs an after-sale return`;
    }
    const other = operation === OrderOperate.CANCEL ? OrderOperate.SERVICE_CANCEL : OrderOperate.CANCEL;
    if (findFlowTransition(flow, status, other)) {
      return other === OrderOperate.SERVICE_CANCEL
        ? `order is ${status} and paid: cancel it with SERVICE_CANCEL, which refunds the buyer`
        : `order is ${status} and unpaid: cancel it with CANCEL, there is nothing to refund`;
    }
  }

  if (flow === FlowType.REPLACEMENT && (operation === OrderOperate.PAY || operation === OrderOperate.SERVICE_CANCEL)) {
    return `a REPLACEMENT order (exchange or re-ship) is free: it is never paid, so nothing is refunded by cancelling it`;
  }

  if (flow === FlowType.PINTUAN && status === PAID_OFF && operation === OrderOperate.SHIP) {
    return 'order is PAID_OFF: a group-buy order ships only after its group has formed';
  }

  // Asking for the step that led here (PAY on PAID_OFF, SHIP on SHIPPED …): a retry or a duplicate.
  if (ALL_TRANSITIONS.some((t) => t.flow === flow && t.operation === operation && t.to === status && t.from !== status)) {
    return `order is already ${status}`;
  }

  const possible = OPERATION_VALUES.filter((op) => findFlowTransition(flow, status, op));
  const hint = possible.length > 0 ? `only ${possible.join(', ')} is possible now` : `a ${flow} order never reaches ${status}`;
  return `order is ${status}: ${operation} is not allowed on a ${flow} order (${hint})`;
}

/** After shipping in every flow; for COD also PAID_OFF, which is reached only at delivery. */
function goodsAreWithBuyer(flow: FlowType, status: OrderStatus): boolean {
  if (status === ROG) return true;
  return flow === FlowType.COD && status === PAID_OFF;
}

/**
 * Consistency checks on a flow table; returns the problems found (empty when sound). Run by the
 * unit tests, and cheap enough for a worker to run at start-up (Vendure validates its merged order
 * process the same way).
 */
export function validateFlowTable(table: readonly OrderFlowRule[] = ORDER_FLOW): string[] {
  const problems: string[] = [];

  table.forEach((rule, index) => {
    const where = `row ${index} (${rule.operation})`;
    if (rule.flows.length === 0) problems.push(`${where} names no flow`);
    if (rule.from.length === 0) problems.push(`${where} names no from-status`);
    if (rule.actors.length === 0) problems.push(`${where} names no actor, so nobody could perform it`);
    if (new Set(rule.actors).size !== rule.actors.length) problems.push(`${where} repeats an actor`);
    if (rule.to === NEW || rule.to === OrderStatus.INTODB_ERROR) {
      problems.push(`${where} leads to ${rule.to}, which only order creation may set`);
    }
  });

  const transitions = listFlowTransitions(table);
  const seen = new Set<string>();
  for (const t of transitions) {
    const key = transitionKey(t.flow, t.from, t.operation);
    if (seen.has(key)) problems.push(`${t.flow} ${t.from} ${t.operation} appears more than once`);
    seen.add(key);
    if (isTerminalOrderStatus(t.from) && t.to !== t.from) {
      problems.push(`${t.flow} ${t.from} ${t.operation} leaves the terminal status ${t.from}`);
    }
  }

  for (const flow of ALL_FLOWS) {
    const reachable = reachableStatuses(transitions, flow, NEW);
    if (!reachable.has(COMPLETE)) problems.push(`${flow}: COMPLETE is not reachable from NEW`);
    if (!reachable.has(CANCELLED)) problems.push(`${flow}: CANCELLED is not reachable from NEW`);
    // Every status an order can actually be in must have a way onward, or orders would get stuck,
    // and that way must still lead to COMPLETE: only a terminal status may end an order's life.
    for (const status of reachable) {
      if (isTerminalOrderStatus(status)) continue;
      const onward = transitions.some((t) => t.flow === flow && t.from === status && t.to !== status);
      if (!onward) problems.push(`${flow}: ${status} is reachable but has no way onward`);
      else if (!reachableStatuses(transitions, flow, status).has(COMPLETE)) {
        problems.push(`${flow}: COMPLETE is not reachable from ${status}`);
      }
    }
  }
  return problems;
}

function reachableStatuses(
  transitions: readonly OrderFlowTransition[],
  flow: FlowType,
  start: OrderStatus,
): Set<OrderStatus> {
  const reached = new Set<OrderStatus>([start]);
  const queue: OrderStatus[] = [start];
  while (queue.length > 0) {
    const current = queue.shift() as OrderStatus;
    for (const t of transitions) {
      if (t.flow === flow && t.from === current && !reached.has(t.to)) {
        reached.add(t.to);
        queue.push(t.to);
      }
    }
  }
  return reached;
}
