import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { Actor, AfterSaleAction, AfterSaleStatus, formatFen, isAfterSaleFinal, linkedOrderType, receiptComplete, splitRefundOverLines } from '../domain';
import { orderRequestsQueueOf } from '../domain/task-queues';
import { ErrorCode } from '../domain/error-codes';
import {
  AFTER_SALE_STEP_REFUSED,
  AfterSaleState,
  AfterSaleWorkflowInput,
  afterSaleOverdueSignal,
  afterSaleStateQuery,
  auditAfterSaleUpdate,
  awaitOpeningUpdate,
  decideAfterSaleUpdate,
  recordReceiptUpdate,
  shipReturnUpdate,
  withdrawAfterSaleUpdate,
} from './after-sale.contract';
import { AfterSaleSteps, Command, afterSaleActs as acts } from './after-sale-steps';
import type { Activities } from '../activities';
import { CommandLoop } from './command-loop';
import { OPERATION_REFUSED } from './order.contract';
import type { RefundRecord } from './refund.contract';
import { refundUntilSettled } from './refund-loop';
import { DATABASE_STEP_RETRY, DATABASE_STEP_TIMEOUT } from './retry-policies';
import { acceptAttentionMarks } from './support-overdue.contract';

/**
 * The order workflow's side (activities/order-requests.ts, linked-orders.ts): only the order workflow
 * writes the order's statuses, so the after-sale asks it; a refusal is a non-retryable OPERATION_REFUSED.
 */
const orderSide = proxyActivities<Activities>({
  startToCloseTimeout: DATABASE_STEP_TIMEOUT,
  retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: [OPERATION_REFUSED, ErrorCode.OrderNotFound, ErrorCode.BadLinkedOrder] },
});
/**
 * Opening and closing on the order: these activities heartbeat while they wait for the order's
 * answer, so a killed worker's attempt is retried after 10 s, and soon (at most 5 s apart), not
 * after the 30 s start-to-close and a growing backoff. They run on the order-requests task queue, as
 * a cancellation's asks do (workflows/cancellation-run.ts): waiting, they must not hold a slot the
 * order's updateAccepted barrier needs.
 */
const orderAnswer = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: [OPERATION_REFUSED, ErrorCode.OrderNotFound] },
});

const isRefused = (err: unknown): err is ActivityFailure =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === OPERATION_REFUSED;

/**
 * One after-sale application (`after-sale-{serviceSn}`), javashop's ServiceStatusEnum as a workflow,
 * started by the API together with its awaitOpening Update (update-with-start): the order workflow
 * accepts it → the seller audits (PASS with the agreed refund, or REFUSE) → for returns and exchanges
 * the buyer ships the goods back → the seller records receipt per line (good and damaged units; fewer
 * than sent goes to support) → the refund runs through the refund loop, or the exchange / re-ship
 * order is created → COMPLETED. Every step is an Update whose validator refuses fast with the flow
 * table's reason; one command loop executes them in order; each leaves an after-sale log row and an
 * order log row (after-sale-steps.ts). Deadlines are timers; the order workflow is told when the
 * after-sale closes (only it writes the order's statuses).
 */
export async function afterSaleWorkflow(input: AfterSaleWorkflowInput): Promise<AfterSaleState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  return new AfterSaleMachine(input).run();
}

class AfterSaleMachine {
  private readonly steps: AfterSaleSteps;
  private readonly loop = new CommandLoop<Command>(AFTER_SALE_STEP_REFUSED);
  private overdue = false;
  /** The refund as recorded (its workflow runs when the after-sale reaches REFUNDING). */
  private refund?: RefundRecord;

  constructor(private readonly input: AfterSaleWorkflowInput) {
    this.steps = new AfterSaleSteps(input);
    const { state } = this.steps;
    setHandler(afterSaleStateQuery, () => state);
    setHandler(awaitOpeningUpdate, async () => {
      await condition(() => state.opening !== undefined);
      return state;
    });
    setHandler(afterSaleOverdueSignal, ({ sweepId }) => {
      state.sweptBy = sweepId;
      this.overdue = true;
    });
    const refusalOf = (command: Command) => {
      const refusal = this.steps.refusalOf(command);
      return refusal === undefined ? undefined : { code: AFTER_SALE_STEP_REFUSED, message: refusal };
    };
    const status = () => state.status;
    // Each step an Update, which the API can also send durably as a Signal (command-loop.ts).
    this.loop
      .step(auditAfterSaleUpdate, (r): Command => ({ action: r.decision === 'PASS' ? AfterSaleAction.AUDIT_PASS : AfterSaleAction.AUDIT_REFUSE, actor: Actor.SELLER, actorId: r.actorId, refundFen: r.refundFen, reason: r.reason }), refusalOf, status)
      .step(shipReturnUpdate, (r): Command => ({ action: AfterSaleAction.SHIP_RETURN, actor: Actor.BUYER, actorId: r.actorId, returnShipment: { carrier: r.carrier, trackingNo: r.trackingNo } }), refusalOf, status)
      .step(recordReceiptUpdate, (r): Command => ({ action: AfterSaleAction.RECEIVE, actor: Actor.SELLER, actorId: r.actorId, receipt: r.lines, reason: r.note }), refusalOf, status)
      .step(withdrawAfterSaleUpdate, (r): Command => ({ action: AfterSaleAction.WITHDRAW, actor: Actor.BUYER, actorId: r.actorId, reason: r.reason }), refusalOf, status)
      .step(decideAfterSaleUpdate, (r): Command => ({ action: r.action === 'REFUND' ? AfterSaleAction.SUPPORT_REFUND : AfterSaleAction.SUPPORT_CLOSE, actor: Actor.SUPPORT, actorId: r.actorId, refundFen: r.refundFen, reason: r.reason }), refusalOf, status)
      .open();
  }

  async run(): Promise<AfterSaleState> {
    const { state } = this.steps;
    await this.open();
    // People's steps, deadlines and the automatic steps until the after-sale is decided.
    while (!isAfterSaleFinal(state.status)) await this.nextStep();
    state.waitingOn = undefined;
    state.deadline = undefined;
    this.loop.close(`the after-sale is closed (${state.status})`);
    // The order workflow learns the outcome (its own timers wait while a return is open).
    if (state.opening?.accepted) {
      await orderAnswer.closeAfterSaleOnOrder.executeWithOptions({ startToCloseTimeout: '30s', taskQueue: orderRequestsQueueOf(workflowInfo().taskQueue), summary: `Tell order ${this.input.orderSn} the after-sale is ${state.status}` }, [
        this.input.orderSn,
        { serviceSn: this.input.serviceSn, outcome: state.status === AfterSaleStatus.COMPLETED ? 'COMPLETED' : state.status === AfterSaleStatus.REFUSE ? 'REFUSED' : 'CLOSED', refundedFen: state.status === AfterSaleStatus.COMPLETED ? (state.refund?.refundFen ?? 0) : 0 },
      ]);
    }
    await condition(allHandlersFinished);
    return state;
  }

  /** The order workflow accepts the application (its window and status rules), or refuses it; answered once in the row. */
  private async open(): Promise<void> {
    const { input, steps } = this;
    try {
      await orderAnswer.openAfterSaleOnOrder.executeWithOptions({ startToCloseTimeout: '30s', taskQueue: orderRequestsQueueOf(workflowInfo().taskQueue), summary: `Ask order ${input.orderSn} to open the after-sale` }, [
        input.orderSn,
        { serviceSn: input.serviceSn, serviceType: input.serviceType, returnsGoods: steps.goodsBack, lines: input.lines.map((l) => ({ orderItemId: l.orderItemId, num: l.num })), buyerId: input.buyerId },
      ]);
    } catch (err) {
      if (!isRefused(err)) throw err;
      const reason = err.cause?.message ?? 'the order refused the after-sale';
      await steps.record({ action: AfterSaleAction.ORDER_REFUSED, actor: Actor.SYSTEM, reason }, { closedReason: reason });
      steps.state.closedReason = reason;
      steps.state.opening = { accepted: false, reason };
      return;
    }
    steps.accepted = true;
    await steps.record({ action: AfterSaleAction.OPEN, actor: Actor.SYSTEM });
    steps.state.opening = { accepted: true };
  }

  private async nextStep(): Promise<void> {
    const { steps, loop } = this;
    const { state } = steps;
    if (state.status === AfterSaleStatus.REFUNDING) return this.runRefund();
    if ((state.status === AfterSaleStatus.PASS && !steps.goodsBack) || state.status === AfterSaleStatus.STOCK_IN) {
      return steps.money ? this.startRefund({ action: AfterSaleAction.START_REFUND, actor: Actor.SYSTEM }, state.agreedFen ?? this.input.requestedFen, true) : this.createLinkedOrder();
    }
    const deadline = steps.deadlineIn(state.status, steps.waitingSince);
    state.waitingOn = steps.waitingOn();
    state.deadline = deadline && { action: deadline.action, atIso: new Date(deadline.atMs).toISOString() };
    this.overdue = false;
    const woken = deadline
      ? await condition(() => loop.hasWork() || this.overdue, Math.max(deadline.atMs - Date.now(), 1))
      : (await condition(() => loop.hasWork()), true);
    if (woken && loop.hasWork()) await this.execute(loop.take()!);
    else if (deadline && Date.now() >= deadline.atMs) await this.execute(deadline);
  }

  private execute(command: Command): Promise<void> {
    const { steps } = this;
    return this.loop.execute(command, async () => {
      const refusal = steps.refusalOf(command);
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      switch (command.action) {
        case AfterSaleAction.AUDIT_PASS: {
          const agreedFen = steps.money ? (command.refundFen ?? this.input.requestedFen) : 0;
          await steps.record(command, { agreedFen });
          steps.state.agreedFen = agreedFen;
          return;
        }
        case AfterSaleAction.AUDIT_REFUSE:
          await steps.record(command, { refuseReason: command.reason });
          steps.state.closedReason = command.reason;
          return;
        case AfterSaleAction.SHIP_RETURN:
          return steps.record(command, { returnShipment: command.returnShipment });
        case AfterSaleAction.RECEIVE:
          // Fewer units than were sent back: the same receipt is recorded, and support decides.
          return steps.record(receiptComplete(this.input.lines, command.receipt!) ? command : { ...command, action: AfterSaleAction.RECEIVE_SHORT }, { receipt: command.receipt });
        case AfterSaleAction.SUPPORT_REFUND:
          return this.startRefund(command, command.refundFen!, false);
        default: {
          const closes = command.action === AfterSaleAction.WITHDRAW || command.action === AfterSaleAction.EXPIRE || command.action === AfterSaleAction.SUPPORT_CLOSE;
          await steps.record(command, closes ? { closedReason: command.reason } : {});
          if (closes) steps.state.closedReason = command.reason;
        }
      }
    });
  }

  /**
   * Records the refund (once per cause key, within what remains, lowering each line once) and its
   * step. One that cannot be recorded is the person's refusal (support's decision), or, for the
   * automatic step, a REFUND_BLOCKED step that hands the after-sale to support.
   */
  private async startRefund(command: Command, refundFen: number, automatic: boolean): Promise<void> {
    const { input, steps } = this;
    const lines = splitRefundOverLines(input.lines, refundFen)!;
    try {
      const created = await acts.createRefund.executeWithOptions(
        { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record the after-sale refund of ${formatFen(refundFen)} CNY over ${lines.length} line(s)` },
        [{ causeKey: `after-sale:${input.serviceSn}:1`, orderSn: input.orderSn, reason: `after-sale ${input.serviceSn}`, refundFen, lines }],
      );
      await steps.record(command, { refundSn: created.refundSn, agreedFen: refundFen });
      steps.state.agreedFen = refundFen;
      this.showRefund(created);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const reason = err.cause?.message ?? err.message;
      if (automatic) await steps.record({ action: AfterSaleAction.REFUND_BLOCKED, actor: Actor.SYSTEM, reason });
      else command.refusal = reason;
    }
  }

  /** The refund through the one refund loop; a CLOSED one support re-issues gets a new number under the next cause key. */
  private async runRefund(): Promise<void> {
    const { input, steps } = this;
    const outcomes = await refundUntilSettled(this.refund!, {
      orderSn: input.orderSn,
      pollScheduleMs: input.refundPollScheduleMs,
      summaryPrefix: `After-sale ${input.serviceSn}: `,
      searchAttributes: { ServiceSn: [input.serviceSn] },
      // The CLOSED refund gave its lines their money back: the new number takes the same amount from the same lines.
      reissue: (attempt, closed) =>
        acts.createRefund.executeWithOptions(
          { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record re-issued after-sale refund #${attempt} under a new number` },
          [{ causeKey: `after-sale:${input.serviceSn}:${attempt}`, orderSn: input.orderSn, reason: `after-sale ${input.serviceSn}`, refundFen: closed.refundFen, reissueOf: closed.refundSn }],
        ),
      started: (refund) => this.showRefund(refund),
    });
    steps.state.refund!.status = outcomes[outcomes.length - 1].status;
    await steps.record({ action: AfterSaleAction.COMPLETE, actor: Actor.SYSTEM }, { refundedFen: steps.state.refund!.refundFen });
  }

  private showRefund(refund: RefundRecord): void {
    this.refund = refund;
    this.steps.state.refund = { refundSn: refund.refundSn, refundFen: refund.refundFen, provider: refund.provider, status: refund.status };
  }

  /** Exchange or re-ship: the zero-price linked order (created once per after-sale) ships the goods. */
  private async createLinkedOrder(): Promise<void> {
    const { input, steps } = this;
    const orderType = linkedOrderType(input.serviceType)!;
    let linked: { orderSn: string };
    try {
      linked = await orderSide.createLinkedOrder.executeWithOptions({ startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Create the ${orderType} order` }, [
        { serviceSn: input.serviceSn, sourceOrderSn: input.orderSn, orderType, lines: input.lines.map((l) => ({ skuId: l.skuId, num: l.num })) },
      ]);
    } catch (err) {
      // Out of stock (or the SKU gone): support decides instead of the workflow failing.
      if (!(err instanceof ActivityFailure)) throw err;
      await steps.record({ action: AfterSaleAction.LINKED_ORDER_BLOCKED, actor: Actor.SYSTEM, reason: err.cause?.message ?? err.message });
      return;
    }
    steps.state.linkedOrderSn = linked.orderSn;
    await steps.record({ action: AfterSaleAction.COMPLETE, actor: Actor.SYSTEM }, { linkedOrderSn: linked.orderSn, refundedFen: 0 });
  }
}
