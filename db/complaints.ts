import { ComplaintAction, ComplainStatus, isComplaintClosed } from '../domain';
import type { EntityManager } from 'typeorm';
import { Complaint } from './entities/complaint.entity';
import type { Queryable } from './queryable';

/**
 * Every write of `complaint` and `complaint_message`: the API files a complaint (NEW, holding its
 * line's open key); every later status is a step of the complaint's workflow (activities/complaints.ts,
 * inside its runStep). And the reads of its open-line key and counts.
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

/** The complaint's status, locked for the step; undefined when there is no such complaint. */
export async function lockComplaintStatus(manager: Queryable, complaintId: number): Promise<{ status: ComplainStatus } | undefined> {
  const [row] = await manager.query('SELECT status FROM complaint WHERE id = ? FOR UPDATE', [complaintId]);
  return row;
}

/** The step's status and its action's fields on the complaint row (after its compare against the locked status), then a MESSAGE's message. */
export async function writeComplaintStep(
  manager: Queryable,
  step: { complaintId: number; seq: number; action: ComplaintAction; to: ComplainStatus; actor: string; actorId?: string; content?: string; refund?: { refundSn: string; refundFen: number } },
): Promise<void> {
  const set: Record<string, unknown> = { status: step.to };
  // A closed complaint frees its line for a new one (the unique open_line_key goes NULL).
  if (isComplaintClosed(step.to)) set.open_line_key = null;
  if (step.action === ComplaintAction.APPEAL) set.appeal_content = step.content ?? '';
  if (step.action === ComplaintAction.ARBITRATE) {
    set.arbitration_result = step.content ?? '';
    set.refund_fen = step.refund?.refundFen ?? null;
    set.refund_sn = step.refund?.refundSn ?? null;
  }
  if (step.action === ComplaintAction.WITHDRAW) set.closed_reason = (step.content ?? '').slice(0, 255);
  await manager.query(`UPDATE complaint SET ${Object.keys(set).map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...Object.values(set), step.complaintId]);
  if (step.action === ComplaintAction.MESSAGE) {
    await manager.query(
      'INSERT INTO complaint_message (complaint_id, message_key, owner_role, owner_id, content) VALUES (?, ?, ?, ?, ?)',
      [step.complaintId, String(step.seq), step.actor, Number(step.actorId ?? 0), step.content ?? ''],
    );
  }
}

/**
 * One page of complaints, newest first (id descending): ids below `beforeId`, at most `take`. The
 * party filters are the caller's visibility (a buyer's filed, a seller's received, support's choice).
 */
export function listComplaintsPage(
  db: Pick<EntityManager, 'getRepository'>,
  filter: { buyerId?: string; sellerId?: string | number; statuses?: string[] },
  page: { beforeId?: string; take: number },
): Promise<Complaint[]> {
  const query = db.getRepository(Complaint).createQueryBuilder('c').orderBy('c.id', 'DESC').take(page.take);
  if (filter.buyerId !== undefined) query.andWhere('c.buyer_id = :buyerId', { buyerId: filter.buyerId });
  if (filter.sellerId !== undefined) query.andWhere('c.seller_id = :sellerId', { sellerId: filter.sellerId });
  if (filter.statuses?.length) query.andWhere('c.status IN (:...statuses)', { statuses: filter.statuses });
  if (page.beforeId !== undefined) query.andWhere('c.id < :beforeId', { beforeId: page.beforeId });
  return query.getMany();
}
