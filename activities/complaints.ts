import { ApplicationFailure } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { ComplaintAction, ComplainStatus, isComplaintClosed } from '../domain';
import { appendOrderLog } from '../db/order-log';
import { runStep, sellerOfOrder } from '../db/business-events';
import { COMPLAINT_ACTION_EVENTS, businessEvent, eventActor } from '../domain/events';
import { ErrorCode } from '../domain/error-codes';

/** One step of a complaint, decided by its workflow (which consulted the complaint flow table). */
export interface ComplaintStepRecord {
  complaintId: number;
  orderSn: string;
  /** The step's number in the workflow: names the log row and the message, so a retry is a no-op. */
  seq: number;
  action: ComplaintAction;
  from: ComplainStatus;
  to: ComplainStatus;
  actor: string;
  actorId?: string;
  /** MESSAGE: the message; APPEAL: the seller's answer; ARBITRATE: the result; WITHDRAW: why. */
  content?: string;
  refund?: { refundSn: string; refundFen: number };
  /** The order log's line for this step. */
  message: string;
}

/**
 * Complaint effects: each step is the complaint row's compare-and-set (status = from), its message
 * or result, its order-log row and its business event (complaint.*), in one transaction. The log row's key (complaint, step number)
 * makes a retry after a commit report the step as done without repeating it.
 */
export class ComplaintActivities {
  constructor(private readonly dataSource: DataSource) {}

  async applyComplaintStep(step: ComplaintStepRecord): Promise<{ replayed: boolean; status: ComplainStatus }> {
    const eventKey = `complaint:${step.complaintId}:${step.seq}:${step.action}`;
    return runStep(this.dataSource, async (manager) => {
      const [row] = await manager.query('SELECT status FROM complaint WHERE id = ? FOR UPDATE', [step.complaintId]);
      if (!row) throw ApplicationFailure.nonRetryable(`complaint ${step.complaintId} does not exist`, ErrorCode.ComplaintNotFound);
      const logged = await manager.query('SELECT 1 FROM order_log WHERE order_sn = ? AND event_key = ?', [step.orderSn, eventKey]);
      if (logged.length) return { replayed: true, status: row.status };
      if (row.status !== step.from) {
        // Only this complaint's workflow writes the row: a mismatch is a hand edit, which it must not paper over.
        throw ApplicationFailure.nonRetryable(`complaint ${step.complaintId} is ${row.status}, expected ${step.from}`, ErrorCode.ComplaintMoved);
      }
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
      await appendOrderLog(manager, {
        orderSn: step.orderSn,
        eventKey,
        operation: 'COMPLAINT',
        oldStatus: step.from,
        newStatus: step.to,
        actorRole: step.actor,
        actorId: step.actorId,
        message: step.message,
      }, 'fail', businessEvent(
        { type: 'complaint', id: step.complaintId, sellerId: await sellerOfOrder(manager, step.orderSn), orderSn: step.orderSn },
        {
          type: COMPLAINT_ACTION_EVENTS[step.action],
          key: `${step.seq}:${step.action}`,
          payload: {
            complaintId: step.complaintId,
            orderSn: step.orderSn,
            seq: step.seq,
            action: step.action,
            from: step.from,
            to: step.to,
            content: step.content ?? null,
            refund: step.refund ?? null,
            actor: eventActor(step.actor, step.actorId),
            message: step.message,
          },
        },
      ));
      return { replayed: false, status: step.to };
    });
  }
}
