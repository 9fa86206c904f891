import { Actor } from './enums';
import { ErrorCode } from './error-codes';
import { TransitionCheck, TransitionRule, TransitionTable, checkTransition } from './transition-table';

/**
 * The after-sale service (javashop ServiceTypeEnum / ServiceStatusEnum, reference/order-model.md §1.2,
 * §1.3 after_sale_flow.xml) as data: the service types, the states, and one table of which step may
 * be taken from which state by whom. The API (fast 409) and the after-sale workflow (the authority)
 * both consult it. Pure: imported by workflow code.
 */
export const ServiceType = {
  /** The buyer sends goods back; the refund follows the seller's receipt. */
  RETURN_GOODS: 'RETURN_GOODS',
  /** Money back without a return (not received, missing, not as described). */
  REFUND_ONLY: 'REFUND_ONLY',
  /** The buyer sends goods back; a zero-price CHANGE order ships the replacement. */
  CHANGE_GOODS: 'CHANGE_GOODS',
  /** Missing items are sent again as a zero-price SUPPLY_AGAIN order; nothing comes back. */
  SUPPLY_AGAIN_GOODS: 'SUPPLY_AGAIN_GOODS',
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** One after-sale's state (javashop ServiceStatusEnum; ERROR_EXCEPTION is WAIT_FOR_MANUAL here). */
export const AfterSaleStatus = {
  APPLY: 'APPLY',
  /** The seller agreed (with the refund amount, for money-back types). */
  PASS: 'PASS',
  REFUSE: 'REFUSE',
  /** The buyer shipped the goods back (carrier and tracking number entered). */
  FULL_COURIER: 'FULL_COURIER',
  /** The seller recorded what came back, per line (good and damaged units). */
  STOCK_IN: 'STOCK_IN',
  /** Support must decide: less came back than was sent, or the receipt deadline passed. */
  WAIT_FOR_MANUAL: 'WAIT_FOR_MANUAL',
  /** The refund runs as a child refund workflow. */
  REFUNDING: 'REFUNDING',
  COMPLETED: 'COMPLETED',
  /** Withdrawn by the buyer, closed by support, refused by the order, or a buyer deadline passed. */
  CLOSED: 'CLOSED',
} as const;
export type AfterSaleStatus = (typeof AfterSaleStatus)[keyof typeof AfterSaleStatus];

export const AfterSaleAction = {
  /** The order workflow accepted the application (or refused it: CLOSED). */
  OPEN: 'OPEN',
  AUDIT_PASS: 'AUDIT_PASS',
  AUDIT_REFUSE: 'AUDIT_REFUSE',
  SHIP_RETURN: 'SHIP_RETURN',
  RECEIVE: 'RECEIVE',
  /** Receipt recorded with fewer units than were sent: support decides. */
  RECEIVE_SHORT: 'RECEIVE_SHORT',
  /** The receipt deadline passed. */
  RECEIPT_OVERDUE: 'RECEIPT_OVERDUE',
  WITHDRAW: 'WITHDRAW',
  /** A deadline on the buyer passed (return shipping). */
  EXPIRE: 'EXPIRE',
  /** Support decides a WAIT_FOR_MANUAL case: refund this amount… */
  SUPPORT_REFUND: 'SUPPORT_REFUND',
  /** …or close it. */
  SUPPORT_CLOSE: 'SUPPORT_CLOSE',
  /** The refund was recorded and its workflow starts. */
  START_REFUND: 'START_REFUND',
  /** The refund could not be recorded (the payment has less left than agreed): support decides. */
  REFUND_BLOCKED: 'REFUND_BLOCKED',
  /** The exchange / re-ship order could not be created (out of stock): support decides. */
  LINKED_ORDER_BLOCKED: 'LINKED_ORDER_BLOCKED',
  /** The order refused the application (not shipped, window closed, cancelled…). */
  ORDER_REFUSED: 'ORDER_REFUSED',
  /** Money back (or the linked order created): done. */
  COMPLETE: 'COMPLETE',
} as const;
export type AfterSaleAction = (typeof AfterSaleAction)[keyof typeof AfterSaleAction];

export interface AfterSaleFlowRule extends TransitionRule<AfterSaleStatus, AfterSaleAction> {
  to: AfterSaleStatus;
  /** Only for these service types (absent: all). */
  types?: readonly ServiceType[];
}

const { APPLY, PASS, REFUSE, FULL_COURIER, STOCK_IN, WAIT_FOR_MANUAL, REFUNDING, COMPLETED, CLOSED } = AfterSaleStatus;
const RETURNS: readonly ServiceType[] = [ServiceType.RETURN_GOODS, ServiceType.CHANGE_GOODS];
const MONEY: readonly ServiceType[] = [ServiceType.RETURN_GOODS, ServiceType.REFUND_ONLY];
const SYSTEM: readonly Actor[] = [Actor.SYSTEM];

export const AFTER_SALE_FLOW: readonly AfterSaleFlowRule[] = [
  { from: [APPLY], action: AfterSaleAction.OPEN, to: APPLY, actors: SYSTEM },
  { from: [APPLY], action: AfterSaleAction.ORDER_REFUSED, to: CLOSED, actors: SYSTEM },
  // The audit deadline passes the application at the requested amount (javashop auto-audit).
  { from: [APPLY], action: AfterSaleAction.AUDIT_PASS, to: PASS, actors: [Actor.SELLER, Actor.SYSTEM_TIMER] },
  { from: [APPLY], action: AfterSaleAction.AUDIT_REFUSE, to: REFUSE, actors: [Actor.SELLER] },
  { from: [PASS], action: AfterSaleAction.SHIP_RETURN, to: FULL_COURIER, actors: [Actor.BUYER], types: RETURNS },
  { from: [FULL_COURIER], action: AfterSaleAction.RECEIVE, to: STOCK_IN, actors: [Actor.SELLER], types: RETURNS },
  { from: [FULL_COURIER], action: AfterSaleAction.RECEIVE_SHORT, to: WAIT_FOR_MANUAL, actors: [Actor.SELLER], types: RETURNS },
  { from: [FULL_COURIER], action: AfterSaleAction.RECEIPT_OVERDUE, to: WAIT_FOR_MANUAL, actors: [Actor.SYSTEM_TIMER], types: RETURNS },
  // Goods on their way back cannot be withdrawn: the seller may already hold them.
  { from: [APPLY, PASS], action: AfterSaleAction.WITHDRAW, to: CLOSED, actors: [Actor.BUYER] },
  { from: [PASS], action: AfterSaleAction.EXPIRE, to: CLOSED, actors: [Actor.SYSTEM_TIMER], types: RETURNS },
  { from: [WAIT_FOR_MANUAL], action: AfterSaleAction.SUPPORT_REFUND, to: REFUNDING, actors: [Actor.SUPPORT], types: MONEY },
  { from: [WAIT_FOR_MANUAL], action: AfterSaleAction.SUPPORT_CLOSE, to: CLOSED, actors: [Actor.SUPPORT] },
  { from: [PASS, STOCK_IN], action: AfterSaleAction.START_REFUND, to: REFUNDING, actors: SYSTEM, types: MONEY },
  { from: [PASS, STOCK_IN], action: AfterSaleAction.REFUND_BLOCKED, to: WAIT_FOR_MANUAL, actors: SYSTEM, types: MONEY },
  { from: [PASS, STOCK_IN], action: AfterSaleAction.LINKED_ORDER_BLOCKED, to: WAIT_FOR_MANUAL, actors: SYSTEM, types: [ServiceType.CHANGE_GOODS, ServiceType.SUPPLY_AGAIN_GOODS] },
  { from: [REFUNDING, PASS, STOCK_IN], action: AfterSaleAction.COMPLETE, to: COMPLETED, actors: SYSTEM },
];

export type AfterSaleCheck = TransitionCheck<AfterSaleStatus, typeof ErrorCode.AfterSaleStepRefused>;

/** Each service type's table: the rows for all types and for it. */
const TABLES = new Map(
  Object.values(ServiceType).map((type): [ServiceType, TransitionTable<AfterSaleStatus, AfterSaleAction, typeof ErrorCode.AfterSaleStepRefused>] => [
    type,
    {
      rules: AFTER_SALE_FLOW.filter((rule) => !rule.types || rule.types.includes(type)),
      refuse: ({ state, action, actor }, why) => ({
        code: ErrorCode.AfterSaleStepRefused,
        reason:
          why.kind === 'NO_SUCH_STEP'
            ? `a ${type} after-sale has no ${action} step`
            : why.kind === 'NOT_FROM_STATE'
              ? `the after-sale is ${state}: ${action} is allowed only from ${why.rules.flatMap((r) => r.from).join(' / ')}`
              : `${action} is not for ${actor}`,
      }),
    },
  ]),
);

export function checkAfterSaleAction(input: { status: AfterSaleStatus; action: AfterSaleAction; actor: Actor; serviceType: ServiceType }): AfterSaleCheck {
  const table = TABLES.get(input.serviceType);
  if (!table) return { allowed: false, code: ErrorCode.AfterSaleStepRefused, reason: `unknown after-sale type "${String(input.serviceType)}"` };
  return checkTransition(table, { state: input.status, action: input.action, actor: input.actor });
}

export const isAfterSaleFinal = (status: AfterSaleStatus): boolean => status === COMPLETED || status === CLOSED || status === REFUSE;

/** Statuses whose units still count against the line (all but those that gave the units up). */
export const AFTER_SALE_RELEASED: readonly AfterSaleStatus[] = [CLOSED, REFUSE];

/** Whether the type sends goods back (the order's completing timers wait while it is open). */
export const returnsGoods = (type: ServiceType): boolean => RETURNS.includes(type);
/** Whether the type gives money back. */
export const refundsMoney = (type: ServiceType): boolean => MONEY.includes(type);
/** Whether the type creates a linked order, and which. */
export const linkedOrderType = (type: ServiceType): 'CHANGE' | 'SUPPLY_AGAIN' | undefined =>
  type === ServiceType.CHANGE_GOODS ? 'CHANGE' : type === ServiceType.SUPPLY_AGAIN_GOODS ? 'SUPPLY_AGAIN' : undefined;
