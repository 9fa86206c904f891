/**
 * The order workflow's cancellations: the cancel Update (asked by each cancellation workflow,
 * `cancel-{orderSn}`), the cancel's own compare-and-set, starting the cancellation workflow for a
 * cancel this order decided itself (timer, failed group), and settling its own pay status when the
 * cancellation has given the money and stock back.
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ApplicationFailure, ParentClosePolicy, SignalDefinition, condition, getExternalWorkflowHandle, log, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { Actor, CancelRefusal, CancelRefusalCode, CancellationStatus, OrderOperate, OrderStatus, REFUND_SETTLED, cancelRefusalFrom, decideCancel, formatFen, impliedStatuses } from '../domain';
import { ErrorCode } from '../domain/error-codes';
import { refusalFailure } from './refusals';
import { CancellationResult, cancelAnsweredSignal, cancellationWorkflowId, orderSettledSignal } from './cancellation.contract';
import { giveBackMoneyAndStock } from './cancellation-steps';
import { cancellationWorkflow } from './cancellation.workflow';
import { memberLeftSignal } from './group-buy.contract';
import {
  CancelAccepted,
  CancelRequest,
  CancellationInProgress,
  CancellationSettled,
  OPERATION_REFUSED,
  cancelAskedSignal,
  cancelUpdate,
  cancellationSettledToldSignal,
  cancellationSettledUpdate,
} from './order.contract';
import { Command, OrderRun, local } from './order-run';
import type { RefundRecord } from './refund.contract';

interface RunningCancellation {
  workflowId: string;
  refunding: boolean;
  cancellationId: number;
  /**
   * Its cancellation workflow gives the money and stock back, tells this order (cancellationSettled)
   * and closes the request; false when this order gives them back itself (giveBack).
   */
  byCancellationWorkflow: boolean;
  result?: CancellationResult;
  failed?: string;
}

export class OrderCancellations {
  /** The running cancellation; while it runs every other command waits (or is refused by validators). */
  running: RunningCancellation | undefined;
  /** The cancellation this order accepted: a retried request for it gets the same answer, not a refusal. */
  private accepted: CancelAccepted | undefined;
  /** The cancellation request whose compare-and-set is running: a retry of it waits for the answer. */
  private inFlight: number | undefined;
  /** Cancellations whose money and stock are back and whose pay status this order has settled. */
  private readonly settled = new Set<number>();

  constructor(
    private readonly run: OrderRun,
    /** Why nothing else may happen now (an open after-sale refuses a whole-order cancel); undefined if nothing. */
    private readonly blockedBy: () => string | undefined,
  ) {}

  busyReason(): string | undefined {
    return this.running ? `order ${this.run.input.orderSn} is being cancelled (${this.running.workflowId})` : undefined;
  }

  refusalOf(actor: Actor): CancelRefusal | undefined {
    const busy = this.busyReason();
    if (busy) return { code: CancelRefusalCode.ORDER_BEING_CANCELLED, reason: busy };
    const blocked = this.blockedBy();
    if (blocked) return { code: CancelRefusalCode.AFTER_SALE_OPEN, reason: blocked };
    const { input, state } = this.run;
    const decision = decideCancel({ flow: input.flow, status: state.status, paidFen: state.paidFen, actor });
    return decision.allowed ? undefined : { code: decision.code, reason: decision.reason };
  }

  registerHandler(): void {
    // Cancellations started before issue 26 ask by Update (their order-requests activities send it).
    setHandler(cancelUpdate, (request: CancelRequest) => this.answerCancel(request), { validator: (request: CancelRequest) => this.validateCancel(request) });
    setHandler(cancellationSettledUpdate, (settled: CancellationSettled) => this.settledStatus(settled), { validator: (settled: CancellationSettled) => this.validateSettled(settled) });
    // Cancellations started since ask by Signal and are answered by Signal (cancellation-run.ts).
    setHandler(cancelAskedSignal, async ({ replyTo, ...request }) => {
      const answer = await refusedOr(() => {
        this.validateCancel(request);
        return this.answerCancel(request);
      });
      const reply = 'failure' in answer ? { refused: cancelRefusalFrom(answer.failure.type, answer.failure.message) } : { accepted: answer.value };
      await this.reply(replyTo, cancelAnsweredSignal, { cancellationId: request.cancellationId, answer: reply });
    });
    setHandler(cancellationSettledToldSignal, async ({ replyTo, ...settled }) => {
      const answer = await refusedOr(() => {
        this.validateSettled(settled);
        return this.settledStatus(settled);
      });
      await this.reply(replyTo, orderSettledSignal, { cancellationId: settled.cancellationId, ...('failure' in answer ? { refusal: answer.failure.message } : { status: answer.value }) });
    });
  }

  private validateCancel(request: CancelRequest): void {
    if (this.accepted?.cancellationId === request.cancellationId || this.inFlight === request.cancellationId) return;
    const refusal = this.refusalOf(request.actor);
    if (refusal) throw refusalFailure(refusal.code, refusal.reason);
  }

  /** Queues the cancel and answers once it is applied (or refused when it runs). */
  private async answerCancel(request: CancelRequest): Promise<CancelAccepted> {
    const { run } = this;
    if (this.accepted?.cancellationId === request.cancellationId) return this.accepted;
    // The operation (CANCEL or SERVICE_CANCEL) is decided when the command runs, on the state then.
    const command: Command = { operation: OrderOperate.CANCEL, actor: request.actor, actorId: request.actorId, message: request.reason, cancellation: { id: request.cancellationId, reason: request.reason } };
    run.loop.enqueue(command);
    // Answered as soon as the cancel is applied: the money and stock steps are the cancellation
    // workflow's, whose id is known, so the caller need not wait for it to start.
    await condition(() => command.accepted !== undefined || command.done === true);
    if (command.accepted) return command.accepted;
    // The same request sent twice at once: the first copy was accepted, so is this one.
    if (this.accepted?.cancellationId === request.cancellationId) return this.accepted;
    throw refusalFailure(command.refusalCode ?? CancelRefusalCode.ORDER_NOT_CANCELLABLE, command.refusal ?? `order ${run.input.orderSn} was not cancelled`);
  }

  private validateSettled(settled: CancellationSettled): void {
    if (this.settled.has(settled.cancellationId)) return;
    if (this.running?.byCancellationWorkflow && this.running.cancellationId === settled.cancellationId) return;
    throw ApplicationFailure.create({ message: `cancellation ${settled.cancellationId} is not this order's running cancellation`, type: OPERATION_REFUSED, nonRetryable: true });
  }

  /** The cancellation workflow has given the money and stock back: settle this order's pay status (settle, in the run's loop). */
  private async settledStatus(settled: CancellationSettled): Promise<OrderStatus> {
    const running = this.running;
    if (!this.settled.has(settled.cancellationId) && running?.cancellationId === settled.cancellationId && running.result === undefined) {
      running.result = { cancellationId: settled.cancellationId, refunds: [], latePayments: settled.latePayments };
    }
    await condition(() => this.settled.has(settled.cancellationId));
    return this.run.state.status;
  }

  /** Signals an answer to the workflow that asked; one that has gone meanwhile (terminated by support) needs none. */
  private async reply<T>(workflowId: string, signal: SignalDefinition<[T]>, answer: T): Promise<void> {
    try {
      await getExternalWorkflowHandle(workflowId).signal(signal, answer);
    } catch (err) {
      log.warn('the asking workflow was not there for its answer', { orderSn: this.run.input.orderSn, workflowId, error: (err as Error).message });
    }
  }

  /** A cancel command from the queue: refused, or decided (CANCEL vs SERVICE_CANCEL) on the state now and applied. */
  async execute(command: Command): Promise<void> {
    // A cancel accepted before a payment landed becomes a refunding cancel, not a refusal.
    const refusal = this.refusalOf(command.actor);
    if (refusal) {
      command.refusal = refusal.reason;
      command.refusalCode = refusal.code;
      return;
    }
    const { input, state } = this.run;
    const decision = decideCancel({ flow: input.flow, status: state.status, paidFen: state.paidFen, actor: command.actor });
    await this.cancel(command, decision.allowed && decision.refunding, decision.operation);
  }

  /** The cancellation request's id: a person's was recorded by the API, the system's is recorded now (once). */
  private async cancellationIdOf(command: Command): Promise<number> {
    return (
      command.cancellation!.id ??
      (await this.run.db.recordSystemCancellation.executeWithOptions({ summary: 'Record the system cancellation request' }, [{ orderSn: this.run.input.orderSn, reason: command.cancellation!.reason }]))
    );
  }

  /**
   * The cancel itself: the same compare-and-set as every other transition, with the request's status
   * in its transaction. Only a won CAS hands money and stock over; a lost one refunds and restocks
   * nothing — the order follows the row and the command is refused.
   */
  private async cancel(command: Command, refunding: boolean, operation: OrderOperate): Promise<void> {
    const { run } = this;
    const { input, state } = run;
    const cancellationId = await this.cancellationIdOf(command);
    const from = state.status;
    this.inFlight = cancellationId;
    const { transition: result, refund } = await local.cancelOrder.executeWithOptions({ summary: `Cancel order ${input.orderSn} (${from} → CANCELLED)${refunding ? ' and record its refund' : ''}` }, [{
      orderSn: input.orderSn,
      operation,
      from,
      to: OrderStatus.CANCELLED,
      actor: command.actor,
      actorId: command.actorId,
      message: `cancelled: ${command.cancellation!.reason}`,
      // The request's status is its cancellation workflow's to write, not this CAS's.
      cancellation: { reason: command.cancellation!.reason, cancellationId, refunding },
    }]);
    if (!result.applied) {
      this.inFlight = undefined;
      command.refusal = result.reason;
      command.refusalCode = CancelRefusalCode.ORDER_CHANGED;
      run.moveTo(result.status);
      return;
    }
    run.record(operation, from, OrderStatus.CANCELLED, command.actor);
    if (impliedStatuses(operation).payStatus) state.payStatus = impliedStatuses(operation).payStatus;
    run.moveTo(OrderStatus.CANCELLED);
    await this.handToCancellationWorkflow(command, cancellationId, refunding, refund);
    this.inFlight = undefined;
    if (input.groupId) await run.tellGroup(memberLeftSignal);
  }

  /**
   * A won cancel: its cancellation workflow (`cancel-{orderSn}`) gives the money and stock
   * back. A person's cancel came from that workflow (the API started it), which gets this answer; a
   * cancel this order decided itself (timer, failed group) starts it now, as a child that outlives
   * this run, and it asks for the cancel too — the same answer, by the request's id. If another
   * request's cancellation workflow holds the id (it will be refused: the order is cancelled), this
   * order gives the money and stock back in its own steps instead, so nothing is left behind.
   */
  private async handToCancellationWorkflow(command: Command, cancellationId: number, refunding: boolean, refund?: RefundRecord): Promise<void> {
    const { input, state } = this.run;
    const workflowId = cancellationWorkflowId(input.orderSn);
    const accepted: CancelAccepted = { cancellationId, cancellationWorkflowId: workflowId, refunding, ...(refund ? { refund } : {}) };
    if (command.cancellation!.id === undefined) {
      try {
        await startChild(cancellationWorkflow, {
          workflowId,
          args: [{ orderSn: input.orderSn, cancellationId, actor: Actor.SYSTEM_TIMER, reason: command.cancellation!.reason, refundPollScheduleMs: input.refundPollScheduleMs, askBy: 'signal' }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: `Cancel order ${input.orderSn} (${command.cancellation!.reason})${refunding ? ` and refund ${formatFen(state.paidFen)} CNY` : ''}`,
          searchAttributes: { OrderSn: [input.orderSn], SellerId: [input.sellerId], CancellationStatus: [CancellationStatus.REQUESTED] },
        });
      } catch (err) {
        if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
        log.warn('cancellation workflow id taken by another request: the order gives back itself', { orderSn: input.orderSn, cancellationId });
        return this.giveBack(command, cancellationId, refunding, refund);
      }
    }
    this.running = { workflowId, refunding, cancellationId, byCancellationWorkflow: true };
    command.accepted = accepted;
    this.accepted = accepted;
    state.cancellation = { cancellationId, cancellationWorkflowId: workflowId, refunding, progress: 'RUNNING' };
  }

  /**
   * Money and stock go back in this workflow's own steps (cancellation-steps.ts), in the background:
   * the cancel is answered now, and the loop (settle) waits for the steps while refunding payments
   * that land meanwhile.
   */
  private giveBack(command: Command, cancellationId: number, refunding: boolean, refund?: RefundRecord): void {
    const { input, state } = this.run;
    const workflowId = workflowInfo().workflowId;
    const running: RunningCancellation = { workflowId, refunding, cancellationId, byCancellationWorkflow: false };
    this.running = running;
    command.accepted = { cancellationId, cancellationWorkflowId: workflowId, refunding };
    this.accepted = command.accepted;
    const progress: CancellationInProgress = { cancellationId, cancellationWorkflowId: workflowId, refunding, progress: 'RUNNING', steps: ['order cancelled'] };
    // No CancellationStatus search attribute: OrderStatus says CANCELLED, the state has the steps,
    // and each upsert is one more event and visibility write.
    state.cancellation = progress;
    giveBackMoneyAndStock(
      { orderSn: input.orderSn, cancellationId, reason: command.cancellation!.reason, paid: refunding, refundPollScheduleMs: input.refundPollScheduleMs, ...(refund ? { refund } : {}) },
      { step: (_status, done) => progress.steps!.push(done), refunding: (refundSn) => (progress.refundSn = refundSn) },
    ).then(
      (result) => (running.result = result),
      (err: Error) => (running.failed = err.message),
    );
  }

  /**
   * The cancellation workflow has given the money and stock back: the order closes the request and,
   * if money went back, records the refund as settled — its own statuses, in one transaction.
   * `serveUntil` keeps refunding payments that land meanwhile.
   */
  async settle(serveUntil: (untilMs: number | undefined, done: () => boolean) => Promise<void>): Promise<void> {
    const { run } = this;
    const current = this.running!;
    await serveUntil(undefined, () => current.result !== undefined || current.failed !== undefined);
    if (current.failed) {
      // Nothing more can move this order safely; support sees the failed cancellation in its history.
      log.error('cancellation failed', { orderSn: run.input.orderSn, error: current.failed });
      throw ApplicationFailure.nonRetryable(`cancellation ${current.workflowId} failed: ${current.failed}`, ErrorCode.CancellationFailed);
    }
    if (current.byCancellationWorkflow) {
      // The cancellation workflow closes its request; this order settles only its own pay status.
      if (current.refunding) await local.settleCancelledOrder.executeWithOptions({ summary: 'Refund settled: the order says so' }, [{ orderSn: run.input.orderSn, cancellationId: current.cancellationId }]);
    } else {
      await local.finishCancellation.executeWithOptions(
        { summary: current.refunding ? 'Refund settled: close the cancellation request' : 'Close the cancellation request' },
        [{ orderSn: run.input.orderSn, cancellationId: current.cancellationId, refunded: current.refunding }],
      );
    }
    if (current.refunding) run.state.payStatus = REFUND_SETTLED.payStatus;
    run.state.cancellation!.progress = 'COMPLETED';
    run.state.cancellation!.steps?.push('cancellation request closed');
    this.queueLatePayments(current.result!);
    this.settled.add(current.cancellationId);
    this.running = undefined;
  }

  private queueLatePayments(result: CancellationResult): void {
    for (const late of result.latePayments) {
      this.run.loop.enqueue({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, message: 'paid during cancellation', payment: { ...late, notificationId: `close:${late.outTradeNo}` } });
    }
  }
}

/** A handler's answer, or the ApplicationFailure it refused with (what an Update would have failed with). */
async function refusedOr<T>(answer: () => Promise<T>): Promise<{ value: T } | { failure: ApplicationFailure }> {
  try {
    return { value: await answer() };
  } catch (err) {
    if (err instanceof ApplicationFailure) return { failure: err };
    throw err;
  }
}
