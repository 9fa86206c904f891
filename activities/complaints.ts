import { ApplicationFailure } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { ComplaintAction, ComplainStatus } from '../domain';
import { appendEntityStepLog, orderLogHas } from '../db/order-log';
import { lockComplaintStatus, writeComplaintStep } from '../db/complaints';
import { runStep } from '../db/business-events';
import { COMPLAINT_ACTION_EVENTS, eventActor } from '../domain/events';
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
      const row = await lockComplaintStatus(manager, step.complaintId);
      if (!row) throw ApplicationFailure.nonRetryable(`complaint ${step.complaintId} does not exist`, ErrorCode.ComplaintNotFound);
      if (await orderLogHas(manager, step.orderSn, eventKey)) return { replayed: true, status: row.status };
      if (row.status !== step.from) {
        // Only this complaint's workflow writes the row: a mismatch is a hand edit, which it must not paper over.
        throw ApplicationFailure.nonRetryable(`complaint ${step.complaintId} is ${row.status}, expected ${step.from}`, ErrorCode.ComplaintMoved);
      }
      await writeComplaintStep(manager, step);
      await appendEntityStepLog(
        manager,
        { ...step, eventKey, operation: 'COMPLAINT' },
        { type: 'complaint', id: step.complaintId },
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
      );
      return { replayed: false, status: step.to };
    });
  }
}
