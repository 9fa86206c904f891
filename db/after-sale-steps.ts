import type { AfterSaleAction, AfterSaleStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The after-sale workflow's steps on `after_sale` (every status after APPLY: this is its one writer),
 * `after_sale_item` (the seller's receipt count) and `after_sale_log`; and the deadline sweep's read.
 * Call them inside the step's transaction (db/business-events.ts runStep).
 */

/** The after-sale's status, locked for the step; undefined when there is no such after-sale. */
export async function lockAfterSaleStatus(manager: Queryable, serviceSn: string): Promise<{ status: AfterSaleStatus } | undefined> {
  const [row] = await manager.query('SELECT status FROM after_sale WHERE service_sn = ? FOR UPDATE', [serviceSn]);
  return row;
}

/** Whether the step (its number) is already in the after-sale's log. */
export async function afterSaleStepLogged(manager: Queryable, serviceSn: string, seq: number): Promise<boolean> {
  const logged = await manager.query('SELECT 1 FROM after_sale_log WHERE service_sn = ? AND seq = ?', [serviceSn, seq]);
  return logged.length > 0;
}

/** What a step writes on the after-sale row besides its status and deadline (each only when given). */
export interface AfterSaleStepColumns {
  serviceSn: string;
  to: AfterSaleStatus;
  deadline: { action: AfterSaleAction; atIso: string } | null;
  agreedFen?: number;
  refuseReason?: string;
  closedReason?: string;
  returnShipment?: { carrier: string; trackingNo: string };
  refundSn?: string;
  refundedFen?: number;
  linkedOrderSn?: string;
}

/** The step's status, deadline and fields on the after-sale row (after its compare against the locked status). */
export async function writeAfterSaleStep(manager: Queryable, step: AfterSaleStepColumns): Promise<void> {
  const set: Record<string, unknown> = {
    status: step.to,
    deadline_action: step.deadline?.action ?? null,
    deadline_at: step.deadline ? new Date(step.deadline.atIso) : null,
  };
  if (step.agreedFen !== undefined) set.agreed_fen = step.agreedFen;
  if (step.refuseReason !== undefined) set.refuse_reason = step.refuseReason.slice(0, 255);
  if (step.closedReason !== undefined) set.closed_reason = step.closedReason.slice(0, 255);
  if (step.returnShipment) {
    set.return_carrier = step.returnShipment.carrier;
    set.return_tracking_no = step.returnShipment.trackingNo;
  }
  if (step.refundSn !== undefined) set.refund_sn = step.refundSn;
  if (step.refundedFen !== undefined) set.refunded_fen = step.refundedFen;
  if (step.linkedOrderSn !== undefined) set.linked_order_sn = step.linkedOrderSn;
  await manager.query(`UPDATE after_sale SET ${Object.keys(set).map((c) => `${c} = ?`).join(', ')} WHERE service_sn = ?`, [...Object.values(set), step.serviceSn]);
}

/** The SKU of one of the after-sale's lines, or undefined. */
export async function readAfterSaleLineSku(manager: Queryable, serviceSn: string, orderItemId: number): Promise<{ sku_id: number } | undefined> {
  const [item] = await manager.query('SELECT sku_id FROM after_sale_item WHERE service_sn = ? AND order_item_id = ?', [serviceSn, orderItemId]);
  return item;
}

/** The seller's count of a returned line: good and damaged units. */
export async function recordAfterSaleLineReceipt(manager: Queryable, serviceSn: string, entry: { orderItemId: number; goodNum: number; damagedNum: number }): Promise<void> {
  await manager.query('UPDATE after_sale_item SET good_num = ?, damaged_num = ? WHERE service_sn = ? AND order_item_id = ?', [entry.goodNum, entry.damagedNum, serviceSn, entry.orderItemId]);
}

/** The after-sale's lines (SKU and quantity), by order line. */
export function readAfterSaleLineQuantities(manager: Queryable, serviceSn: string): Promise<{ sku_id: number; num: number }[]> {
  return manager.query('SELECT sku_id, num FROM after_sale_item WHERE service_sn = ? ORDER BY order_item_id', [serviceSn]);
}

/** The step's row in the after-sale log; its (service_sn, seq) key refuses a second. */
export async function insertAfterSaleLog(
  manager: Queryable,
  step: { serviceSn: string; seq: number; action: AfterSaleAction; from: AfterSaleStatus; to: AfterSaleStatus; actor: string; actorId?: string; message: string },
): Promise<void> {
  await manager.query(
    'INSERT INTO after_sale_log (service_sn, seq, action, old_status, new_status, actor_role, actor_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [step.serviceSn, step.seq, step.action, step.from, step.to, step.actor, step.actorId ?? null, step.message.slice(0, 500)],
  );
}

/** One keyset page of after-sales past their deadline and not in a final status (the after-sale sweep). */
export function readOverdueAfterSales(db: Queryable, asOf: Date, finalStatuses: string[], afterId: number, limit: number): Promise<{ id: number; service_sn: string; order_sn: string; status: string; deadline_action: string }[]> {
  return db.query(
    'SELECT id, service_sn, order_sn, status, deadline_action FROM after_sale WHERE deadline_at < ? AND status NOT IN (?) AND id > ? ORDER BY id LIMIT ?',
    [asOf, finalStatuses, afterId, limit],
  );
}
