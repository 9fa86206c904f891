import { ComplainStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `complaint` table: the API files a complaint (NEW); every later status is the complaint
 * workflow's step (db/complaint-steps.ts). The rest reads.
 */

/** The open-line key of a complaint while it is open (`{orderSn}:{skuId}`; unique, NULL once closed). */
export function openLineKey(orderSn: string, skuId: number): string {
  return `${orderSn}:${skuId}`;
}

/** The complaint still open on this order line, if any (its unique open-line key). */
export async function findOpenComplaintOfLine(manager: Queryable, orderSn: string, skuId: number): Promise<{ id: number | string; topic: string } | undefined> {
  const [open] = await manager.query('SELECT id, topic FROM complaint WHERE open_line_key = ?', [openLineKey(orderSn, skuId)]);
  return open;
}

/** A new complaint, NEW, holding its line's open key; returns its id. */
export async function insertComplaint(
  manager: Queryable,
  complaint: { orderSn: string; skuId: number; buyerId: number | string; sellerId: number | string; topic: string; content: string },
): Promise<number> {
  const inserted = await manager.query(
    `INSERT INTO complaint (order_sn, sku_id, buyer_id, seller_id, topic, content, status, open_line_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [complaint.orderSn, complaint.skuId, complaint.buyerId, complaint.sellerId, complaint.topic, complaint.content, ComplainStatus.NEW, openLineKey(complaint.orderSn, complaint.skuId)],
  );
  return Number(inserted.insertId);
}

/** How many complaints of the line have ended (cancelled or completed). */
export async function countClosedComplaintsOfLine(db: Queryable, orderSn: string, skuId: number): Promise<{ n: number | string }> {
  const [closed] = await db.query(`SELECT COUNT(*) AS n FROM complaint WHERE order_sn = ? AND sku_id = ? AND status IN (?, ?)`, [orderSn, skuId, ComplainStatus.CANCEL, ComplainStatus.COMPLETE]);
  return closed;
}

/** Whether the line has an open complaint. */
export async function lineHasOpenComplaint(db: Queryable, orderSn: string, skuId: number): Promise<boolean> {
  return (await db.query('SELECT 1 FROM complaint WHERE open_line_key = ?', [openLineKey(orderSn, skuId)])).length > 0;
}
