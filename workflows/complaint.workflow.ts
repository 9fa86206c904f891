import { ActivityFailure, allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Actor,
  ComplainStatus,
  ComplaintAction,
  REFUND_REFUSAL_CODES,
  checkComplaintAction,
  complaintWaitingOn,
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
import { refundUntilSettled } from './refund-loop';
import { ErrorCode } from '../domain/error-codes';
import type { RefundRecord } from './refund.contract';
import { DATABASE_STEP_RETRY, DATABASE_STEP_TIMEOUT } from './retry-policies';
import { CommandLoop, type LoopCommand } from './command-loop';
import { acceptAttentionMarks } from './support-overdue.contract';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: DATABASE_STEP_TIMEOUT,
  // MySQL outages are retried until the database is back; the steps are idempotent.
  retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: [ErrorCode.ComplaintNotFound, ErrorCode.ComplaintMoved, ErrorCode.OrderNotFound, ...REFUND_REFUSAL_CODES] },
});

/** A step to execute: from a person (an Update) or from a deadline. */
interface Command extends LoopCommand {
  action: ComplaintAction;
  actor: Actor;
  actorId?: string;
  content: string;
  refundFen?: number;
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
  const loop = new CommandLoop<Command>(ErrorCode.ComplaintStepRefused);
  /** Since when the current wait (and so its deadline) runs. */
  let waitingSince = Date.now();
  let lastParty: 'BUYER' | 'SELLER' | undefined;
  /** The arbitration's refund as recorded (its workflow runs once the complaint is closed). */
  let refundRecord: RefundRecord | undefined;

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
  // Each step an Update, which the API can also send durably as a Signal (command-loop.ts).
  for (const [action, update] of Object.entries(COMPLAINT_STEP_UPDATES) as [ComplaintAction, (typeof COMPLAINT_STEP_UPDATES)[ComplaintAction]][]) {
    loop.step(
      update,
      (request: ComplaintStepRequest): Command => ({ action, actor: request.actor, actorId: request.actorId, content: request.content ?? '', refundFen: request.refundFen }),
      (command) => {
        const refusal = refusalOf(command);
        return refusal === undefined ? undefined : { code: ErrorCode.ComplaintStepRefused, message: refusal };
      },
      () => state.status,
    );
  }
  loop.open();

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

  const execute = (command: Command): Promise<void> => loop.execute(command, async () => {
      const refusal = refusalOf(command);
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      const check = checkComplaintAction(state.status, command.action, command.actor) as { to: ComplainStatus };
      let refund: RefundRecord | undefined;
      if (command.action === ComplaintAction.ARBITRATE && command.refundFen) {
        // Created once per complaint (cause key), drawn from the line's refundable balance under the order row's lock:
        // the validator only knows the line's price; what other refunds already took is decided here.
        try {
          refund = await acts.createRefund.executeWithOptions(
            { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record the arbitration refund of ${formatFen(command.refundFen)} CNY` },
            [{ causeKey: `complaint:${input.complaintId}:1`, orderSn: input.orderSn, reason: `complaint ${input.complaintId} arbitration`, refundFen: command.refundFen, lines: [{ skuId: input.skuId, refundFen: command.refundFen }] }],
          );
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
      const shown: ComplaintState['refund'] = refund && { refundSn: refund.refundSn, refundFen: refund.refundFen, provider: refund.provider, status: refund.status };
      await acts.applyComplaintStep.executeWithOptions(
        { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `${LABEL[command.action]} by ${by}: ${from} → ${check.to}` },
        [{ complaintId: input.complaintId, orderSn: input.orderSn, seq, action: command.action, from, to: check.to, actor: command.actor, actorId: command.actorId, content: command.content, refund: shown, message }],
      );
      state.steps.push({ seq, action: command.action, actor: command.actor, from, to: check.to, atIso: new Date().toISOString() });
      if (refund) {
        state.refund = shown;
        refundRecord = refund;
      }
      const waitedFor = complaintWaitingOn(from, lastParty);
      if (command.actor === Actor.BUYER || command.actor === Actor.SELLER) lastParty = command.actor;
      if (check.to !== from) moveTo(check.to);
      // The deadline restarts when the complaint waits for someone else; support's messages and a
      // party's second message in a row leave it running.
      state.waitingOn = complaintWaitingOn(state.status, lastParty);
      if (check.to !== from || waitedFor !== state.waitingOn) waitingSince = Date.now();
  });

  while (!isComplaintClosed(state.status)) {
    const deadline = deadlineOf();
    state.deadline = deadline && { action: deadline.action, atIso: new Date(deadline.atMs).toISOString() };
    const woken = deadline
      ? await condition(() => loop.hasWork(), Math.max(deadline.atMs - Date.now(), 1))
      : (await condition(() => loop.hasWork()), true);
    await execute(woken ? loop.take()! : deadline!);
  }
  state.waitingOn = undefined;
  state.deadline = undefined;
  loop.close(`the complaint is closed (${state.status})`);

  // The arbitration's refund runs through the one refund loop (refund-loop.ts); a CLOSED one that
  // support re-issues gets a new number under the next cause key.
  if (refundRecord) {
    const outcomes = await refundUntilSettled(refundRecord, {
      orderSn: input.orderSn,
      pollScheduleMs: input.refundPollScheduleMs,
      summaryPrefix: `Complaint ${input.complaintId}: `,
      reissue: (attempt, closed) =>
        acts.createRefund.executeWithOptions(
          { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record re-issued arbitration refund #${attempt} under a new number` },
          [{ causeKey: `complaint:${input.complaintId}:${attempt}`, orderSn: input.orderSn, reason: `complaint ${input.complaintId} arbitration`, refundFen: closed.refundFen, reissueOf: closed.refundSn }],
        ),
      started: (refund) => (state.refund = { refundSn: refund.refundSn, refundFen: refund.refundFen, provider: refund.provider, status: refund.status }),
    });
    state.refund!.status = outcomes[outcomes.length - 1].status;
  }
  await condition(allHandlersFinished);
  return state;
}
