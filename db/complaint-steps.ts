import { ComplaintAction, ComplainStatus, isComplaintClosed } from '../domain';
import type { Queryable } from './queryable';

/**
 * The complaint workflow's steps on `complaint` (every status after NEW: this is its one writer) and
 * `complaint_message`. Call them inside the step's transaction (db/business-events.ts runStep).
 */

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
