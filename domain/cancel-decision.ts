/**
 * Whether a cancel is a plain CANCEL (nothing was paid: close the payment orders, release stock) or a
 * SERVICE_CANCEL (money was captured: refund it, restore stock, take back sales), and whether the
 * table allows it. The order workflow decides with it (the authority, on its own state); the API
 * pre-checks with it on the row, for a fast 409.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { Actor, OrderOperate, OrderStatus } from './enums';
import { ErrorCode, isErrorCode } from './error-codes';
import { FlowType, OrderRefusalCode, checkOperation } from './order-flow';

export interface CancelCase {
  flow: FlowType;
  status: OrderStatus;
  /** What the order has captured, in fen (the row's paid_fen, the workflow's paidFen). */
  paidFen: number;
  actor: Actor;
}

export type CancelDecision =
  | { allowed: true; operation: typeof OrderOperate.CANCEL | typeof OrderOperate.SERVICE_CANCEL; refunding: boolean }
  | { allowed: false; operation: typeof OrderOperate.CANCEL | typeof OrderOperate.SERVICE_CANCEL; reason: string; code: OrderRefusalCode };

export function decideCancel(cancel: CancelCase): CancelDecision {
  const refunding = cancel.paidFen > 0;
  const operation = refunding ? OrderOperate.SERVICE_CANCEL : OrderOperate.CANCEL;
  const check = checkOperation({ flow: cancel.flow, status: cancel.status, operation, actor: cancel.actor });
  return check.allowed ? { allowed: true, operation, refunding } : { allowed: false, operation, reason: check.reason, code: check.code };
}

/**
 * Why a cancel was refused, as a stable code from the error catalogue (domain/error-codes.ts) that a
 * seller backend can act on: the API's immediate 409 and a REFUSED cancellation request
 * (`refusal_code`) carry one of these (or the flow table's own code, CancelDecision.code).
 */
export const CancelRefusalCode = {
  /** Another cancellation of this order is running. */
  ORDER_BEING_CANCELLED: ErrorCode.CANCELLATION_IN_PROGRESS,
  /** An open after-sale refuses a whole-order cancel. */
  AFTER_SALE_OPEN: ErrorCode.AFTER_SALE_OPEN,
  /** The order's row moved under the cancel's compare-and-set. */
  ORDER_CHANGED: ErrorCode.CONFLICT,
  /** The order has no running workflow any more (it is finished). */
  ORDER_FINISHED: ErrorCode.WORKFLOW_FINISHED,
  /** Refused, with no more specific code. */
  ORDER_NOT_CANCELLABLE: ErrorCode.ORDER_NOT_CANCELLABLE_IN_STATE,
} as const;

export interface CancelRefusal {
  code: ErrorCode;
  reason: string;
}

/**
 * The order's refusal of a cancel, from the failure that carries it (its type is the code, its
 * message the reason): the order workflow's own, or its Update's as the asking activity sees it.
 * A type that is not a catalogue code reads as ORDER_NOT_CANCELLABLE.
 */
export function cancelRefusalFrom(type: string | null | undefined, reason: string): CancelRefusal {
  return { code: isErrorCode(type) ? type : CancelRefusalCode.ORDER_NOT_CANCELLABLE, reason };
}
