import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Actor,
  ComplainStatus,
  ComplaintAction,
  REFUND_REFUSAL_CODES,
  checkComplaintAction,
  complaintWaitingOn,
  describeRefund,
  formatFen,
  isComplaintClosed,
} from '../domain';
import {
  COMPLAINT_STEP_UPDATES,
  ComplaintState,
  ComplaintStepRequest,
  ComplaintWorkflowInput,
  complaintStateQuery,
} from './complaint.contract';
import { refundWorkflow } from './refund.workflow';
import { ErrorCode } from '../domain/error-codes';
import { refusalFailure } from './refusals';
import { refundWorkflowId } from './refund.contract';
import { DATABASE_STEP_RETRY, DATABASE_STEP_TIMEOUT } from './retry-policies';
import { DurableSteps } from './durable-steps';
import { acceptAttentionMarks } from './support-overdue.contract';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: DATABASE_STEP_TIMEOUT,
  // MySQL outages are retried until the database is back; the steps are idempotent.
  retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: [ErrorCode.ComplaintNotFound, ErrorCode.ComplaintMoved, ErrorCode.OrderNotFound, ...REFUND_REFUSAL_CODES] },
});

/** A step to execute: from a person (an Update) or from a deadline. */
interface Command {
  action: ComplaintAction;
  actor: Actor;
  actorId?: string;
  content: string;
  refundFen?: number;
  done?: boolean;
  refusal?: string;
}

const LABEL: Record<ComplaintAction, string> = {
  REVIEW: 'support reviewed the complaint; waiting for the seller',
  APPEAL: 'seller answered',
  MESSAGE: 'message',
  REQUEST_ARBITRATION: 'arbitration requested',
  ARBITRATE: 'arbitrated',
  WITHDRAW: 'complaint withdrawn',
};

/**
 * One buyer complaint about an order line (`complaint-{id}`): support reviews it → the seller
 * answers → buyer, seller and support talk → either side (or the seller's silence) asks for
 * arbitration → support decides, possibly ordering a partial refund that runs as a child refund
 * workflow bounded by what remains refundable. The buyer may withdraw until the decision; a buyer
 * who stops answering lets it close. Every step is an Update (its validator refuses fast with the
 * flow table's reason), one queue executes them in order, and each leaves an order-log row.
 */
export async function complaintWorkflow(input: ComplaintWorkflowInput): Promise<ComplaintState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  const state: ComplaintState = { complaintId: input.complaintId, orderSn: input.orderSn, skuId: input.skuId, status: ComplainStatus.NEW, steps: [] };
  const queue: Command[] = [];
  /** Set when the loop has stopped: steps from then on are refused with it. */
  let closedReason: string | undefined;
  /** Since when the current wait (and so its deadline) runs. */
  let waitingSince = Date.now();
  let lastParty: 'BUYER' | 'SELLER' | undefined;

  const refusalOf = (command: Pick<Command, 'action' | 'actor' | 'content' | 'refundFen'>): string | undefined => {
    const check = checkComplaintAction(state.status, command.action, command.actor);
    if (!check.allowed) return check.reason;
    if (command.actor !== Actor.SYSTEM_TIMER && !/\S/.test(command.content)) return 'content must not be empty';
    if (command.refundFen !== undefined && command.refundFen !== 0) {
      if (command.action !== ComplaintAction.ARBITRATE) return 'only an arbitration can order a refund';
      if (!Number.isSafeInteger(command.refundFen) || command.refundFen < 0) return 'refundFen must be a whole number of fen';
      if (command.refundFen > input.lineFen) return `a refund of ${formatFen(command.refundFen)} CNY exceeds the line's ${formatFen(input.lineFen)} CNY`;
    }
    return undefined;
  };

  setHandler(complaintStateQuery, () => state);
  // Each step an Update, which the API can also send durably as a Signal (durable-steps.ts).
  const steps = new DurableSteps();
  for (const [action, update] of Object.entries(COMPLAINT_STEP_UPDATES) as [ComplaintAction, (typeof COMPLAINT_STEP_UPDATES)[ComplaintAction]][]) {
    steps.register(
      update,
      async (request: ComplaintStepRequest) => {
        const command: Command = { action, actor: request.actor, actorId: request.actorId, content: request.content, refundFen: request.refundFen };
        // Handlers run after the barrier that puts their Update in history, so one can come after the
        // loop's last drain: refused then, never queued to wait for ever (two arbitrations racing).
        if (closedReason !== undefined) throw ApplicationFailure.nonRetryable(closedReason, ErrorCode.ComplaintStepRefused);
        queue.push(command);
        await condition(() => command.done === true);
        if (command.refusal) throw ApplicationFailure.nonRetryable(command.refusal, ErrorCode.ComplaintStepRefused);
        return state.status;
      },
      (request: ComplaintStepRequest) => {
        const refusal = refusalOf({ action, actor: request.actor, content: request.content ?? '', refundFen: request.refundFen });
        if (refusal) throw refusalFailure(ErrorCode.ComplaintStepRefused, refusal);
      },
    );
  }
  steps.open();

  const moveTo = (status: ComplainStatus) => {
    state.status = status;
    upsertSearchAttributes({ ComplaintStatus: [status] });
  };

  /** The deadline that runs now: the seller's silence → arbitration, the buyer's silence → closed. */
  const deadlineOf = (): (Command & { atMs: number }) | undefined => {
    const waitingOn = complaintWaitingOn(state.status, lastParty);
    state.waitingOn = waitingOn;
    if (waitingOn === 'SELLER') {
      return { action: ComplaintAction.REQUEST_ARBITRATION, actor: Actor.SYSTEM_TIMER, content: 'the seller did not answer in time (COMPLAINT_SELLER_REPLY_DEADLINE)', atMs: waitingSince + input.settings.sellerReplyMs };
    }
    if (waitingOn === 'BUYER') {
      return { action: ComplaintAction.WITHDRAW, actor: Actor.SYSTEM_TIMER, content: 'closed: the buyer did not answer in time (COMPLAINT_BUYER_IDLE_DEADLINE)', atMs: waitingSince + input.settings.buyerIdleMs };
    }
    return undefined;
  };

  const execute = async (command: Command): Promise<void> => {
    try {
      const refusal = refusalOf(command);
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      const check = checkComplaintAction(state.status, command.action, command.actor) as { to: ComplainStatus };
      let refund: ComplaintState['refund'];
      if (command.action === ComplaintAction.ARBITRATE && command.refundFen) {
        // Created once per complaint (cause key), drawn from the line's refundable balance under the order row's lock:
        // the validator only knows the line's price; what other refunds already took is decided here.
        try {
          const created = await acts.createRefund.executeWithOptions(
            { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record the arbitration refund of ${formatFen(command.refundFen)} CNY` },
            [{ causeKey: `complaint:${input.complaintId}:1`, orderSn: input.orderSn, reason: `complaint ${input.complaintId} arbitration`, refundFen: command.refundFen, lines: [{ skuId: input.skuId, refundFen: command.refundFen }] }],
          );
          refund = { refundSn: created.refundSn, refundFen: created.refundFen, provider: created.provider, status: created.status };
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          command.refusal = err.cause?.message ?? err.message;
          return;
        }
      }
      const seq = state.steps.length + 1;
      const from = state.status;
      const by = command.actor === Actor.SYSTEM_TIMER ? 'deadline' : command.actor.toLowerCase();
      const message = `complaint ${input.complaintId}: ${LABEL[command.action]} (${by})${command.content ? `: ${command.content}` : ''}${refund ? `; refund ${formatFen(refund.refundFen)} CNY (${refund.refundSn})` : ''}`;
      await acts.applyComplaintStep.executeWithOptions(
        { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `${LABEL[command.action]} by ${by}: ${from} → ${check.to}` },
        [{ complaintId: input.complaintId, orderSn: input.orderSn, seq, action: command.action, from, to: check.to, actor: command.actor, actorId: command.actorId, content: command.content, refund, message }],
      );
      state.steps.push({ seq, action: command.action, actor: command.actor, from, to: check.to, atIso: new Date().toISOString() });
      if (refund) state.refund = refund;
      const waitedFor = complaintWaitingOn(from, lastParty);
      if (command.actor === Actor.BUYER || command.actor === Actor.SELLER) lastParty = command.actor;
      if (check.to !== from) moveTo(check.to);
      // The deadline restarts when the complaint waits for someone else; support's messages and a
      // party's second message in a row leave it running.
      state.waitingOn = complaintWaitingOn(state.status, lastParty);
      if (check.to !== from || waitedFor !== state.waitingOn) waitingSince = Date.now();
    } finally {
      command.done = true;
    }
  };

  while (!isComplaintClosed(state.status)) {
    const deadline = deadlineOf();
    state.deadline = deadline && { action: deadline.action, atIso: new Date(deadline.atMs).toISOString() };
    const woken = deadline
      ? await condition(() => queue.length > 0, Math.max(deadline.atMs - Date.now(), 1))
      : (await condition(() => queue.length > 0), true);
    await execute(woken ? queue.shift()! : deadline!);
  }
  state.waitingOn = undefined;
  state.deadline = undefined;
  closedReason = `the complaint is closed (${state.status})`;
  for (const command of queue.splice(0)) {
    command.refusal = closedReason;
    command.done = true;
  }

  // The arbitration's refund runs through the same refund workflow as cancellations (submit with the
  // stored number, poll, park ABNORMAL/CLOSED for support); a CLOSED one that support re-issues gets
  // a new number under the next cause key.
  for (let attempt = 2; state.refund; attempt += 1) {
    const refund: NonNullable<ComplaintState['refund']> = state.refund;
    const outcome = await executeChild(refundWorkflow, {
      workflowId: refundWorkflowId(refund.refundSn),
      args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, pollScheduleMs: input.refundPollScheduleMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Complaint ${input.complaintId}: ${describeRefund(refund.refundFen, refund.provider)}`,
      searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
    });
    refund.status = outcome.status;
    if (outcome.status !== 'REISSUE') break;
    const created = await acts.createRefund.executeWithOptions(
      { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record re-issued arbitration refund #${attempt} under a new number` },
      [{ causeKey: `complaint:${input.complaintId}:${attempt}`, orderSn: input.orderSn, reason: `complaint ${input.complaintId} arbitration`, refundFen: refund.refundFen, reissueOf: refund.refundSn }],
    );
    state.refund = { refundSn: created.refundSn, refundFen: created.refundFen, provider: created.provider, status: created.status };
  }
  await condition(allHandlersFinished);
  return state;
}
