import { allHandlersFinished, condition, log, setHandler } from '@temporalio/workflow';
import {
  Actor,
  CLOCK_STARTED_BY,
  ORDER_WINDOW_RULES,
  OrderOperate,
  OrderStatus,
  TIMER_ACTOR,
  checkOperation,
  formatFen,
  impliedStatuses,
  isTerminalOrderStatus,
  timerDueAtMs,
  timerRuleFor,
  windowClosesAtMs,
} from '../domain';
import { ErrorCode, Refusal } from '../domain/error-codes';
import { groupFailedSignal, groupFormedSignal, memberPaidSignal } from './group-buy.contract';
import {
  OrderState,
  OrderWorkflowInput,
  PaymentConfirmed,
  collectCashUpdate,
  completeUpdate,
  confirmReceiptUpdate,
  orderStateQuery,
  paymentConfirmedSignal,
  paymentStartedSignal,
  shipUpdate,
  sweepOverdueSignal,
} from './order.contract';
import { OrderAfterSales } from './order-after-sales';
import { OrderCancellations } from './order-cancel';
import { OrderPaymentWatches } from './order-payment-watch';
import { Command, OrderRun } from './order-run';
import { acceptAttentionMarks } from './support-overdue.contract';

/**
 * The order's state machine (`order-{orderSn}`). It owns the order's statuses: every change,
 * cancellation included, is checked against the flow table and applied by the applyTransition
 * activity as a compare-and-set whose result decides what happens next. Messages and timers feed one
 * command loop (command-loop.ts), so a timer racing a user action resolves to exactly one transition
 * (the loser is re-checked against the table and refused). Cancellations are in order-cancel.ts,
 * after-sales (which hold the timers while goods come back) in order-after-sales.ts, payment queries
 * in order-payment-watch.ts.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  return new OrderMachine(input).run();
}

type TimerCommand = Command & { atMs: number };

class OrderMachine {
  private readonly order: OrderRun;
  private readonly cancels: OrderCancellations;
  private readonly afterSales: OrderAfterSales;
  private readonly paymentWatches: OrderPaymentWatches;

  constructor(private readonly input: OrderWorkflowInput) {
    this.order = new OrderRun(input);
    // Each needs the other's answer: a running cancellation refuses after-sales, an open after-sale refuses a cancel.
    this.cancels = new OrderCancellations(this.order, () => this.afterSales.cancelBlockedBy());
    this.afterSales = new OrderAfterSales(this.order, () => this.cancels.busyReason());
    this.paymentWatches = new OrderPaymentWatches(input.orderSn, this.order.state);
    this.registerMessages();
    this.registerSteps();
    this.cancels.registerHandler();
    this.afterSales.registerHandlers();
  }

  private get state(): OrderState {
    return this.order.state;
  }

  /** Providers' payments, the group buy and the sweep: each a command for the loop (or nothing, for a duplicate). */
  private registerMessages(): void {
    const { loop } = this.order;
    setHandler(orderStateQuery, () => this.state);
    setHandler(paymentStartedSignal, (started) => this.paymentWatches.start(started));
    setHandler(paymentConfirmedSignal, (payment) => {
      // Providers deliver at least once; the same transaction is one payment.
      if (payment.transactionId === this.state.transactionId || this.order.refundedPayments.has(payment.transactionId)) return;
      if (loop.has((c) => c.payment?.transactionId === payment.transactionId)) return;
      loop.enqueue({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, payment, message: `paid ${formatFen(payment.amountFen)} CNY via ${payment.provider} (${payment.transactionId})` });
    });
    setHandler(groupFormedSignal, () => {
      loop.enqueue({ operation: OrderOperate.FORM_GROUP, actor: Actor.SYSTEM_TIMER, message: `group ${this.input.groupId} formed` });
    });
    setHandler(groupFailedSignal, ({ reason }) => {
      loop.enqueue({ operation: OrderOperate.CANCEL, actor: Actor.SYSTEM_TIMER, message: reason, cancellation: { reason } });
    });
    setHandler(sweepOverdueSignal, (overdue) => {
      // The database says this order's timer is overdue; the timer's own command goes through the table.
      const timer = this.nextTimer();
      if (!timer || timerRuleFor(this.input.flow, this.state.status)?.task !== overdue.task || loop.has((c) => c.actor === Actor.SYSTEM_TIMER)) return;
      // Held by an open return: the timer fires when the after-sale closes (the row cannot show the hold).
      if (this.afterSales.holdingTimers().length > 0) return;
      loop.enqueue({ ...timer, message: `${timer.message}; found overdue by sweep ${overdue.sweepId}` });
    });
  }

  /** Each person's step: an Update the API can also send durably as a Signal, refused fast by the table. */
  private registerSteps(): void {
    const refusalOf = (command: Command) => this.refusalOf(command.operation as OrderOperate, command.actor);
    const status = () => this.state.status;
    this.order.loop
      .step(shipUpdate, (r) => ({ operation: OrderOperate.SHIP, actor: Actor.SELLER, actorId: r.sellerId, shipment: { carrier: r.carrier, trackingNo: r.trackingNo }, message: `shipped with ${r.carrier} ${r.trackingNo}` }), refusalOf, status)
      .step(confirmReceiptUpdate, (r) => ({ operation: OrderOperate.ROG, actor: Actor.BUYER, actorId: r.actorId, message: 'buyer confirmed receipt' }), refusalOf, status)
      .step(collectCashUpdate, (r) => ({ operation: OrderOperate.PAY, actor: Actor.SELLER, actorId: r.actorId, message: `seller collected ${formatFen(this.input.orderFen)} CNY cash on delivery` }), refusalOf, status)
      .step(completeUpdate, (r) => ({ operation: OrderOperate.COMPLETE, actor: Actor.ADMIN, actorId: r.actorId, message: 'completed by admin' }), refusalOf, status)
      .open();
  }

  private refusalOf(operation: OrderOperate, actor: Actor): Refusal | undefined {
    const busy = this.cancels.busyReason();
    if (busy) return { code: ErrorCode.CANCELLATION_IN_PROGRESS, message: busy };
    const check = checkOperation({ flow: this.input.flow, status: this.state.status, operation, actor });
    return check.allowed ? undefined : { code: check.code, message: check.reason };
  }

  async run(): Promise<OrderState> {
    const { state, order } = this;
    if (!this.input.resume) await this.execute({ operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM, message: 'stock reserved, order confirmed' });
    while (!isTerminalOrderStatus(state.status)) await this.nextStep();
    this.paymentWatches.endUnlessAwaitingPayment();
    state.nextTimer = undefined;
    // Cancelled here: payments landing meanwhile are refunded while the cancellation workflow runs.
    if (this.cancels.running) await this.cancels.settle((untilMs, done) => this.serveUntil(untilMs, done));
    // Cancelled: stay a while so payments already in flight are refunded by this workflow (R8).
    if (state.status === OrderStatus.CANCELLED) await this.serveUntil(Date.now() + this.input.latePaymentWindowMs);
    order.loop.refuseQueued(`order is already ${state.status}`);
    if (state.status === OrderStatus.COMPLETE) {
      await this.closeWindows();
      // An after-sale still open when its window closed is served until it closes.
      await this.serveUntil(undefined, () => this.afterSales.openCount() === 0);
    }
    order.loop.close(`order is already ${state.status}`);
    await condition(allHandlersFinished);
    return state;
  }

  /** Waits for the next command, the status's timer or a payment query due, whichever comes first, and runs it. */
  private async nextStep(): Promise<void> {
    const { loop } = this.order;
    const timer = this.nextTimer();
    // An open after-sale that returns goods holds the timer: no timer runs until it closes, then the
    // loop comes round and the timer fires at once if its time has passed.
    const heldBy = timer ? this.afterSales.holdingTimers() : [];
    this.state.nextTimer = timer && { operation: timer.operation, atIso: new Date(timer.atMs).toISOString(), ...(heldBy.length ? { heldBy } : {}) };
    // A payment query due before the timer shortens the wait (one timer either way).
    const timerAtMs = timer && heldBy.length === 0 ? timer.atMs : undefined;
    const queryAtMs = this.paymentWatches.nextDue()?.atMs;
    const wakeAtMs = queryAtMs !== undefined && (timerAtMs === undefined || queryAtMs < timerAtMs) ? queryAtMs : timerAtMs;
    const watchesBefore = this.paymentWatches.version;
    const wake = () => loop.hasWork() || this.paymentWatches.version !== watchesBefore;
    const woken = wakeAtMs !== undefined ? await condition(wake, Math.max(wakeAtMs - Date.now(), 1)) : (await condition(wake), true);
    if (woken && loop.hasWork()) await this.execute(loop.take()!);
    else if (woken) return; // a payment was started: work out the wait again
    else if (wakeAtMs === queryAtMs) await this.paymentWatches.queryDue();
    else await this.execute(timer!);
  }

  /** One command: an after-sale, a payment for a cancelled order, a cancel, or a transition of the table. */
  private execute(command: Command): Promise<void> {
    return this.order.loop.execute(command, async () => {
      if (command.afterSale) return this.afterSales.execute(command);
      if (command.payment && this.state.status === OrderStatus.CANCELLED) return this.order.refundUnwantedPayment(command.payment, 'the order was cancelled');
      if (command.cancellation) return this.cancels.execute(command);
      return this.transition(command);
    });
  }

  private async transition(command: Command): Promise<void> {
    const { input, state, order } = this;
    const operation = command.operation as OrderOperate;
    const refusal = this.refusalOf(operation, command.actor);
    if (refusal) return this.refuse(command, refusal);
    if (command.payment && command.payment.amountFen !== input.orderFen) {
      command.refusal = `payment of ${command.payment.amountFen} fen does not match the order's ${input.orderFen} fen`;
      log.error('payment amount mismatch', { orderSn: input.orderSn, transactionId: command.payment.transactionId });
      return;
    }
    const to = (checkOperation({ flow: input.flow, status: state.status, operation, actor: command.actor }) as { to: OrderStatus }).to;
    const from = state.status;
    const payment = this.paymentOf(command);
    const result = await order.db.applyTransition.executeWithOptions({ summary: `${command.message} (${from} → ${to})` }, [{
      orderSn: input.orderSn,
      operation,
      from,
      to,
      actor: command.actor,
      actorId: command.actorId,
      message: command.message,
      payment,
      shipment: command.shipment,
      // An open after-sale's APPLY stays on the row until the last one closes.
      ...(this.afterSales.openCount() > 0 ? { keepServiceStatus: true } : {}),
    }]);
    if (!result.applied) {
      // The row moved without us (an operator's hand edit): follow the database, refuse the command.
      command.refusal = result.reason;
      order.moveTo(result.status);
      return;
    }
    if (payment) {
      state.paidFen = payment.amountFen;
      state.transactionId = command.payment?.transactionId;
      if (input.groupId) await order.tellGroup(memberPaidSignal);
    }
    state.payStatus = impliedStatuses(operation).payStatus ?? state.payStatus;
    order.record(operation, from, to, command.actor);
    order.moveTo(to);
  }

  /**
   * A refused command. Money the order cannot take (a second payment by another route) goes back to
   * the buyer. The order's own transaction told twice (a notification and the payment watch's query
   * racing the first PAY) is the same money, not a second payment: never refunded.
   */
  private async refuse(command: Command, refusal: Refusal): Promise<void> {
    command.refusal = refusal.message;
    command.refusalCode = refusal.code;
    const { state } = this;
    if (command.payment && state.paidFen > 0 && command.payment.transactionId !== state.transactionId) {
      await this.order.refundUnwantedPayment(command.payment, `the order was already paid (${state.transactionId})`);
    }
  }

  /** What the transition records as paid: the provider's payment, or the cash a COD seller collected. */
  private paymentOf(command: Command): { provider: string; outTradeNo?: string; transactionId?: string; amountFen: number; paidAt: string } | undefined {
    const paid: PaymentConfirmed | undefined = command.payment;
    if (paid) return { provider: paid.provider, outTradeNo: paid.outTradeNo, transactionId: paid.transactionId, amountFen: paid.amountFen, paidAt: paid.paidAt };
    return command.operation === OrderOperate.PAY ? { provider: 'cod', amountFen: this.input.orderFen, paidAt: new Date().toISOString() } : undefined;
  }

  /**
   * After completion the comment, complaint and after-sale windows close on their own timers
   * (javashop's commentTask, complainTask and serviceTask, per order); after-sales keep being served.
   */
  private async closeWindows(): Promise<void> {
    const { at } = this.order;
    const clocks = { completedAtMs: at[OrderStatus.COMPLETE] ?? Date.now(), shippedAtMs: at[OrderStatus.SHIPPED] };
    const windows = ORDER_WINDOW_RULES.map((rule) => ({ window: rule.window, atMs: windowClosesAtMs(rule, this.input.settings, clocks) }));
    for (const { window, atMs } of windows.sort((a, b) => a.atMs - b.atMs)) {
      await this.serveUntil(atMs);
      await this.order.db.closeOrderWindow.executeWithOptions({ summary: `Close the ${window} window` }, [{ orderSn: this.input.orderSn, window }]);
    }
  }

  /**
   * Waits until `untilMs` (for ever if undefined) or until `done()` in a finished order: payments that
   * still arrive are refunded (execute sends them to the late-payment workflow), after-sales are
   * opened (if the window allows) and closed, anything else is refused.
   */
  private async serveUntil(untilMs: number | undefined, done: () => boolean = () => false): Promise<void> {
    const { loop } = this.order;
    while (!done()) {
      const wake = () => loop.hasWork() || done();
      const woken = untilMs === undefined ? (await condition(wake), true) : await condition(wake, Math.max(untilMs - Date.now(), 1));
      if (!woken) return;
      const command = loop.take();
      if (!command) continue;
      if (command.payment || command.afterSale) await this.execute(command);
      else await loop.execute(command, async () => void (command.refusal = `order is already ${this.state.status}`));
    }
  }

  /** The timer that applies in the current status (domain/order-timers.ts): the per-order replacement of the daily sweep. */
  private nextTimer(): TimerCommand | undefined {
    const rule = timerRuleFor(this.input.flow, this.state.status);
    if (!rule) return undefined;
    const clockStartMs = this.order.at[CLOCK_STARTED_BY[rule.clock]] ?? Date.now();
    return {
      operation: rule.operation,
      actor: TIMER_ACTOR,
      message: rule.message,
      ...(rule.operation === OrderOperate.CANCEL ? { cancellation: { reason: rule.message } } : {}),
      atMs: timerDueAtMs(rule, this.input.settings, clockStartMs),
    };
  }
}
