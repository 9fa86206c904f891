/**
 * Whether a cancel is a plain CANCEL (nothing was paid: close the payment orders, release stock) or a
 * SERVICE_CANCEL (money was captured: refund it, restore stock, take back sales), and whether the
 * table allows it. The order workflow decides with it (the authority, on its own state); the API
 * pre-checks with it on the row, for a fast 409.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { Actor, OrderOperate, OrderStatus } from './enums';
import { FlowType, checkOperation } from './order-flow';

export interface CancelCase {
  flow: FlowType;
  status: OrderStatus;
  /** What the order has captured, in fen (the row's paid_fen, the workflow's paidFen). */
  paidFen: number;
  actor: Actor;
}

export type CancelDecision =
  | { allowed: true; operation: typeof OrderOperate.CANCEL | typeof OrderOperate.SERVICE_CANCEL; refunding: boolean }
  | { allowed: false; operation: typeof OrderOperate.CANCEL | typeof OrderOperate.SERVICE_CANCEL; reason: string };

export function decideCancel(cancel: CancelCase): CancelDecision {
  const refunding = cancel.paidFen > 0;
  const operation = refunding ? OrderOperate.SERVICE_CANCEL : OrderOperate.CANCEL;
  const check = checkOperation({ flow: cancel.flow, status: cancel.status, operation, actor: cancel.actor });
  return check.allowed ? { allowed: true, operation, refunding } : { allowed: false, operation, reason: check.reason };
}

/**
 * Why a cancel was refused, as a stable code a seller backend can act on: the API's immediate 409
 * and a REFUSED cancellation request (`refusal_code`) carry one of these.
 */
export const CancelRefusalCode = {
  /** The flow table does not allow a cancel in the order's status (shipped, received, …). */
  ORDER_NOT_CANCELLABLE: 'ORDER_NOT_CANCELLABLE',
  /** Another cancellation of this order is running. */
  ORDER_BEING_CANCELLED: 'ORDER_BEING_CANCELLED',
  /** An open after-sale refuses a whole-order cancel. */
  AFTER_SALE_OPEN: 'AFTER_SALE_OPEN',
  /** The order's row moved under the cancel's compare-and-set. */
  ORDER_CHANGED: 'ORDER_CHANGED',
  /** The order has no running workflow any more (it is finished). */
  ORDER_FINISHED: 'ORDER_FINISHED',
} as const;
export type CancelRefusalCode = (typeof CancelRefusalCode)[keyof typeof CancelRefusalCode];

export interface CancelRefusal {
  code: CancelRefusalCode;
  reason: string;
}
