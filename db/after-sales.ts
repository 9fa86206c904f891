import { AFTER_SALE_RELEASED, Actor, AfterSaleAction, AfterSaleStatus, ServiceType } from '../domain';
import type { Queryable } from './queryable';

/**
 * Every write of `after_sale`, `after_sale_item` and `after_sale_log`: the API records an application
 * (APPLY, its lines, log row 0) and its stored answer; every later status is a step of the after-sale's
 * workflow (activities/after-sales.ts, inside its runStep: the row's lock, its columns, the seller's
 * receipt count, the log row). Reads of the application (db/after-sale-reads.ts has the pages' reads).
 */

/** The application already recorded under this buyer's idempotency key, if any. */
export async function findAfterSaleByIdempotencyKey(manager: Queryable, buyerId: string, idempotencyKey: string): Promise<{ service_sn: string; request_hash: string; response_json: unknown } | undefined> {
  const [existing] = await manager.query('SELECT service_sn, request_hash, response_json FROM after_sale WHERE buyer_id = ? AND idempotency_key = ?', [buyerId, idempotencyKey]);
  return existing;
}

/** Units of each order line held by after-sales that have not released them (the per-line quantity limit). */
export function readUnitsHeldByAfterSales(manager: Queryable, orderSn: string): Promise<{ order_item_id: number; n: number | string }[]> {
  return manager.query(
    `SELECT i.order_item_id, SUM(i.num) AS n FROM after_sale_item i JOIN after_sale a ON a.service_sn = i.service_sn
       WHERE i.order_sn = ? AND a.status NOT IN (?) GROUP BY i.order_item_id`,
    [orderSn, AFTER_SALE_RELEASED],
  );
}

export interface AfterSaleApplication {
  serviceSn: string;
  orderSn: string;
  sellerId: string | number;
  buyerId: string | number;
  serviceType: ServiceType;
  reason: string;
  description: string | null;
  requestedFen: number;
  idempotencyKey: string;
  requestHash: string;
}

/** The application at APPLY, then its lines, then its log row 0 (the buyer's APPLY), in that order. */
export async function insertAfterSaleApplication(
  manager: Queryable,
  app: AfterSaleApplication,
  lines: { orderItemId: number; skuId: number; name: string; num: number; amountFen: number }[],
  message: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO after_sale (service_sn, order_sn, seller_id, buyer_id, service_type, status, reason, description, requested_fen, idempotency_key, request_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [app.serviceSn, app.orderSn, app.sellerId, app.buyerId, app.serviceType, AfterSaleStatus.APPLY, app.reason, app.description, app.requestedFen, app.idempotencyKey, app.requestHash],
  );
  for (const line of lines) {
    await manager.query('INSERT INTO after_sale_item (service_sn, order_sn, order_item_id, sku_id, name, num, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      app.serviceSn, app.orderSn, line.orderItemId, line.skuId, line.name, line.num, line.amountFen,
    ]);
  }
  await manager.query('INSERT INTO after_sale_log (service_sn, seq, action, old_status, new_status, actor_role, actor_id, message) VALUES (?, 0, ?, NULL, ?, ?, ?, ?)', [
    app.serviceSn, 'APPLY', AfterSaleStatus.APPLY, Actor.BUYER, app.buyerId, message.slice(0, 500),
  ]);
}

/** The row and its lines the after-sale workflow's input is built from. */
export async function readAfterSaleForInput(manager: Queryable, serviceSn: string): Promise<{ row: Record<string, any>; items: Record<string, any>[] }> {
  const [row] = await manager.query('SELECT * FROM after_sale WHERE service_sn = ?', [serviceSn]);
  const items = await manager.query('SELECT order_item_id, sku_id, name, num, amount_fen FROM after_sale_item WHERE service_sn = ? ORDER BY order_item_id', [serviceSn]);
  return { row, items };
}

/** Keeps the first final answer of an application (a retry replays it) and returns the one stored. */
export async function storeAfterSaleAnswer<T>(db: Queryable, serviceSn: string, answer: T): Promise<T> {
  await db.query('UPDATE after_sale SET response_json = COALESCE(response_json, ?) WHERE service_sn = ?', [JSON.stringify(answer), serviceSn]);
  const [stored] = await db.query('SELECT response_json FROM after_sale WHERE service_sn = ?', [serviceSn]);
  return (typeof stored.response_json === 'string' ? JSON.parse(stored.response_json) : stored.response_json) as T;
}

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
