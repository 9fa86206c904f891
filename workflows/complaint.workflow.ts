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
 * flow table's reason), one command loop executes them in order, and each leaves an order-log row.
 */
export async function complaintWorkflow(input: ComplaintWorkflowInput): Promise<ComplaintState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  return new ComplaintMachine(input).run();
}

class ComplaintMachine {
  private readonly state: ComplaintState;
  private readonly loop = new CommandLoop<Command>(ErrorCode.ComplaintStepRefused);
  /** Since when the current wait (and so its deadline) runs. */
  private waitingSince = Date.now();
  private lastParty: 'BUYER' | 'SELLER' | undefined;
  /** The arbitration's refund as recorded (its workflow runs once the complaint is closed). */
  private refundRecord: RefundRecord | undefined;

  constructor(private readonly input: ComplaintWorkflowInput) {
    const state: ComplaintState = { complaintId: input.complaintId, orderSn: input.orderSn, skuId: input.skuId, status: ComplainStatus.NEW, steps: [] };
    this.state = state;
    setHandler(complaintStateQuery, () => state);
    // Each step an Update, which the API can also send durably as a Signal (command-loop.ts).
    for (const [action, update] of Object.entries(COMPLAINT_STEP_UPDATES) as [ComplaintAction, (typeof COMPLAINT_STEP_UPDATES)[ComplaintAction]][]) {
      this.loop.step(
        update,
        (request: ComplaintStepRequest): Command => ({ action, actor: request.actor, actorId: request.actorId, content: request.content ?? '', refundFen: request.refundFen }),
        (command) => {
          const refusal = this.refusalOf(command);
          return refusal === undefined ? undefined : { code: ErrorCode.ComplaintStepRefused, message: refusal };
        },
        () => state.status,
      );
    }
    this.loop.open();
  }

  async run(): Promise<ComplaintState> {
    const { state, loop } = this;
    while (!isComplaintClosed(state.status)) {
      const deadline = this.deadline();
      state.deadline = deadline && { action: deadline.action, atIso: new Date(deadline.atMs).toISOString() };
      const woken = deadline
        ? await condition(() => loop.hasWork(), Math.max(deadline.atMs - Date.now(), 1))
        : (await condition(() => loop.hasWork()), true);
      await this.execute(woken ? loop.take()! : deadline!);
    }
    state.waitingOn = undefined;
    state.deadline = undefined;
    loop.close(`the complaint is closed (${state.status})`);
    if (this.refundRecord) await this.runRefund(this.refundRecord);
    await condition(allHandlersFinished);
    return state;
  }

  /** Why the step cannot be taken now (the flow table, then the step's own rules), or undefined. */
  private refusalOf(command: Pick<Command, 'action' | 'actor' | 'content' | 'refundFen'>): string | undefined {
    const check = checkComplaintAction(this.state.status, command.action, command.actor);
    if (!check.allowed) return check.reason;
    if (command.actor !== Actor.SYSTEM_TIMER && !/\S/.test(command.content)) return 'content must not be empty';
    if (command.refundFen !== undefined && command.refundFen !== 0) {
      if (command.action !== ComplaintAction.ARBITRATE) return 'only an arbitration can order a refund';
      if (!Number.isSafeInteger(command.refundFen) || command.refundFen < 0) return 'refundFen must be a whole number of fen';
      if (command.refundFen > this.input.lineFen) return `a refund of ${formatFen(command.refundFen)} CNY exceeds the line's ${formatFen(this.input.lineFen)} CNY`;
    }
    return undefined;
  }

  /** The deadline that runs now: the seller's silence → arbitration, the buyer's silence → closed. */
  private deadline(): (Command & { atMs: number }) | undefined {
    const { state, input } = this;
    const waitingOn = complaintWaitingOn(state.status, this.lastParty);
    state.waitingOn = waitingOn;
    if (waitingOn === 'SELLER') {
      return { action: ComplaintAction.REQUEST_ARBITRATION, actor: Actor.SYSTEM_TIMER, content: 'the seller did not answer in time (COMPLAINT_SELLER_REPLY_DEADLINE)', atMs: this.waitingSince + input.settings.sellerReplyMs };
    }
    if (waitingOn === 'BUYER') {
      return { action: ComplaintAction.WITHDRAW, actor: Actor.SYSTEM_TIMER, content: 'closed: the buyer did not answer in time (COMPLAINT_BUYER_IDLE_DEADLINE)', atMs: this.waitingSince + input.settings.buyerIdleMs };
    }
    return undefined;
  }

  private execute(command: Command): Promise<void> {
    return this.loop.execute(command, async () => {
      const refusal = this.refusalOf(command);
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      let refund: RefundRecord | undefined;
      if (command.action === ComplaintAction.ARBITRATE && command.refundFen) {
        try {
          refund = await this.recordRefund(command.refundFen);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          command.refusal = err.cause?.message ?? err.message;
          return;
        }
      }
      await this.record(command, refund);
    });
  }

  /**
   * The arbitration's refund, created once per complaint (cause key), drawn from the line's
   * refundable balance under the order row's lock: the validator only knows the line's price; what
   * other refunds already took is decided here.
   */
  private recordRefund(refundFen: number): Promise<RefundRecord> {
    const { input } = this;
    return acts.createRefund.executeWithOptions(
      { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record the arbitration refund of ${formatFen(refundFen)} CNY` },
      [{ causeKey: `complaint:${input.complaintId}:1`, orderSn: input.orderSn, reason: `complaint ${input.complaintId} arbitration`, refundFen, lines: [{ skuId: input.skuId, refundFen }] }],
    );
  }

  /** Records one step (row, message, order-log row) and moves the state and its deadline on. */
  private async record(command: Command, refund: RefundRecord | undefined): Promise<void> {
    const { state, input } = this;
    const check = checkComplaintAction(state.status, command.action, command.actor) as { to: ComplainStatus };
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
      this.refundRecord = refund;
    }
    const waitedFor = complaintWaitingOn(from, this.lastParty);
    if (command.actor === Actor.BUYER || command.actor === Actor.SELLER) this.lastParty = command.actor;
    if (check.to !== from) {
      state.status = check.to;
      upsertSearchAttributes({ ComplaintStatus: [check.to] });
    }
    // The deadline restarts when the complaint waits for someone else; support's messages and a
    // party's second message in a row leave it running.
    state.waitingOn = complaintWaitingOn(state.status, this.lastParty);
    if (check.to !== from || waitedFor !== state.waitingOn) this.waitingSince = Date.now();
  }

  /** The arbitration's refund through the one refund loop; a CLOSED one support re-issues gets a new number under the next cause key. */
  private async runRefund(first: RefundRecord): Promise<void> {
    const { state, input } = this;
    const outcomes = await refundUntilSettled(first, {
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
}
