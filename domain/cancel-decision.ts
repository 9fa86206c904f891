/**
 * Whether a cancel is a plain CANCEL (nothing was paid: close the payment orders, release stock) or a
 * SERVICE_CANCEL (money was captured: refund it, restore stock, take back sales), and whether the
 * table allows it. The order workflow decides with it (the authority, on its own state); the API
 * pre-checks with it on the row, for a fast 409.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { Actor, OrderOperate, OrderStatus } from './enums';
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
