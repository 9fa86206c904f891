import { allHandlersFinished, condition, log, setHandler } from '@temporalio/workflow';
import { DurableSteps } from './durable-steps';
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
import { refusalFailure } from './refusals';
import { groupFailedSignal, groupFormedSignal, memberPaidSignal } from './group-buy.contract';
import {
  ActorRef,
  OrderState,
  OrderWorkflowInput,
  ShipRequest,
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
 * queue that a single loop executes, so a timer racing a user action resolves to exactly one
 * transition (the loser is re-checked against the table and refused). Cancellations are in
 * order-cancel.ts, after-sales (which hold the timers while goods come back) in order-after-sales.ts.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  const run = new OrderRun(input);
  const { state, at, queue } = run;
  // Each needs the other's answer: a running cancellation refuses after-sales, an open after-sale refuses a cancel.
  const cancels: OrderCancellations = new OrderCancellations(run, (): string | undefined => afterSales.cancelBlockedBy());
  const afterSales: OrderAfterSales = new OrderAfterSales(run, (): string | undefined => cancels.busyReason());

  const refusalOf = (operation: OrderOperate, actor: Actor): Refusal | undefined => {
    const busy = cancels.busyReason();
    if (busy) return { code: ErrorCode.CANCELLATION_IN_PROGRESS, message: busy };
    const check = checkOperation({ flow: input.flow, status: state.status, operation, actor });
    return check.allowed ? undefined : { code: check.code, message: check.reason };
  };
  // Update validators: refuse fast, before anything enters history, when the table says no.
  const validate = <Args extends unknown[]>(operation: OrderOperate, actor: Actor) => (..._args: Args) => {
    const refusal = refusalOf(operation, actor);
    if (refusal) throw refusalFailure(refusal.code, refusal.message);
  };

  const paymentWatches = new OrderPaymentWatches(input.orderSn, state);

  setHandler(orderStateQuery, () => state);
  setHandler(paymentStartedSignal, (started) => paymentWatches.start(started));
  setHandler(paymentConfirmedSignal, (payment) => {
    // Providers deliver at least once; the same transaction is one payment.
    if (payment.transactionId === state.transactionId || run.refundedPayments.has(payment.transactionId)) return;
    if (queue.some((c) => c.payment?.transactionId === payment.transactionId)) return;
    queue.push({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, payment, message: `paid ${formatFen(payment.amountFen)} CNY via ${payment.provider} (${payment.transactionId})` });
  });
  setHandler(groupFormedSignal, () => {
    queue.push({ operation: OrderOperate.FORM_GROUP, actor: Actor.SYSTEM_TIMER, message: `group ${input.groupId} formed` });
  });
  setHandler(groupFailedSignal, ({ reason }) => {
    queue.push({ operation: OrderOperate.CANCEL, actor: Actor.SYSTEM_TIMER, message: reason, cancellation: { reason } });
  });
  setHandler(sweepOverdueSignal, (overdue) => {
    // The database says this order's timer is overdue; the timer's own command goes through the table.
    const rule = timerRuleFor(input.flow, state.status);
    if (!rule || rule.task !== overdue.task || queue.some((c) => c.actor === Actor.SYSTEM_TIMER)) return;
    // Held by an open return: the timer fires when the after-sale closes (the row cannot show the hold).
    if (afterSales.holdingTimers().length > 0) return;
    const timer = nextTimer()!;
    queue.push({ ...timer, message: `${timer.message}; found overdue by sweep ${overdue.sweepId}` });
  });
  // Each person's step an Update, which the API can also send durably as a Signal (durable-steps.ts).
  const steps = new DurableSteps();
  steps.register(
    shipUpdate,
    (request) => run.submit({ operation: OrderOperate.SHIP, actor: Actor.SELLER, actorId: request.sellerId, shipment: { carrier: request.carrier, trackingNo: request.trackingNo }, message: `shipped with ${request.carrier} ${request.trackingNo}` }),
    validate<[ShipRequest]>(OrderOperate.SHIP, Actor.SELLER),
  );
  steps.register(
    confirmReceiptUpdate,
    (request) => run.submit({ operation: OrderOperate.ROG, actor: Actor.BUYER, actorId: request.actorId, message: 'buyer confirmed receipt' }),
    validate<[ActorRef]>(OrderOperate.ROG, Actor.BUYER),
  );
  steps.register(
    collectCashUpdate,
    (request) => run.submit({ operation: OrderOperate.PAY, actor: Actor.SELLER, actorId: request.actorId, message: `seller collected ${formatFen(input.orderFen)} CNY cash on delivery` }),
    validate<[ActorRef]>(OrderOperate.PAY, Actor.SELLER),
  );
  steps.register(
    completeUpdate,
    (request) => run.submit({ operation: OrderOperate.COMPLETE, actor: Actor.ADMIN, actorId: request.actorId, message: 'completed by admin' }),
    validate<[ActorRef]>(OrderOperate.COMPLETE, Actor.ADMIN),
  );
  steps.open();
  cancels.registerHandler();
  afterSales.registerHandlers();

  const execute = async (command: Command): Promise<void> => {
    try {
      if (command.afterSale) {
        await afterSales.execute(command);
        return;
      }
      if (command.payment && state.status === OrderStatus.CANCELLED) {
        await run.refundUnwantedPayment(command.payment, 'the order was cancelled');
        return;
      }
      if (command.cancellation) {
        await cancels.execute(command);
        return;
      }
      const operation = command.operation as OrderOperate;
      const refusal = refusalOf(operation, command.actor);
      if (refusal) {
        command.refusal = refusal.message;
        command.refusalCode = refusal.code;
        // Money the order cannot take (a second payment by another route) goes back to the buyer. The
        // order's own transaction told twice (a notification and the payment watch's query racing the
        // first PAY) is the same money, not a second payment: never refunded.
        const samePayment = command.payment?.transactionId === state.transactionId;
        if (command.payment && state.paidFen > 0 && !samePayment) await run.refundUnwantedPayment(command.payment, `the order was already paid (${state.transactionId})`);
        return;
      }
      if (command.payment && command.payment.amountFen !== input.orderFen) {
        command.refusal = `payment of ${command.payment.amountFen} fen does not match the order's ${input.orderFen} fen`;
        log.error('payment amount mismatch', { orderSn: input.orderSn, transactionId: command.payment.transactionId });
        return;
      }
      const to = (checkOperation({ flow: input.flow, status: state.status, operation, actor: command.actor }) as { to: OrderStatus }).to;
      const from = state.status;
      const payment = command.payment
        ? { provider: command.payment.provider, outTradeNo: command.payment.outTradeNo, transactionId: command.payment.transactionId, amountFen: command.payment.amountFen, paidAt: command.payment.paidAt }
        : operation === OrderOperate.PAY
          ? { provider: 'cod', amountFen: input.orderFen, paidAt: new Date().toISOString() }
          : undefined;
      const result = await run.db.applyTransition.executeWithOptions({ summary: `${command.message} (${from} → ${to})` }, [{
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
        ...(afterSales.openCount() > 0 ? { keepServiceStatus: true } : {}),
      }]);
      if (!result.applied) {
        // The row moved without us (an operator's hand edit): follow the database, refuse the command.
        command.refusal = result.reason;
        run.moveTo(result.status);
        return;
      }
      if (payment) {
        state.paidFen = payment.amountFen;
        state.transactionId = command.payment?.transactionId;
        if (input.groupId) await run.tellGroup(memberPaidSignal);
      }
      state.payStatus = impliedStatuses(operation).payStatus ?? state.payStatus;
      run.record(operation, from, to, command.actor);
      run.moveTo(to);
    } finally {
      command.done = true;
    }
  };

  /**
   * After completion the comment, complaint and after-sale windows close on their own timers
   * (javashop's commentTask, complainTask and serviceTask, per order); after-sales keep being served.
   */
  const closeWindows = async (): Promise<void> => {
    const clocks = { completedAtMs: at[OrderStatus.COMPLETE] ?? Date.now(), shippedAtMs: at[OrderStatus.SHIPPED] };
    const windows = ORDER_WINDOW_RULES.map((rule) => ({ window: rule.window, atMs: windowClosesAtMs(rule, input.settings, clocks) }));
    for (const { window, atMs } of windows.sort((a, b) => a.atMs - b.atMs)) {
      await serveUntil(atMs);
      await run.db.closeOrderWindow.executeWithOptions({ summary: `Close the ${window} window` }, [{ orderSn: input.orderSn, window }]);
    }
  };

  /**
   * Waits until `untilMs` (for ever if undefined) or until `done()` in a finished order: payments that
   * still arrive are refunded (execute sends them to the late-payment workflow), after-sales are
   * opened (if the window allows) and closed, anything else is refused.
   */
  const serveUntil = async (untilMs: number | undefined, done: () => boolean = () => false): Promise<void> => {
    while (!done()) {
      const wake = () => queue.length > 0 || done();
      const woken = untilMs === undefined ? (await condition(wake), true) : await condition(wake, Math.max(untilMs - Date.now(), 1));
      if (!woken) return;
      if (!queue.length) continue;
      const command = queue.shift()!;
      if (command.payment || command.afterSale) await execute(command);
      else {
        command.refusal = `order is already ${state.status}`;
        command.done = true;
      }
    }
  };

  /**
   * The timer that applies in the current status (domain/order-timers.ts): the per-order replacement
   * of the daily sweep. A hoisted function declaration: a signal that arrives with the workflow's
   * start (signal-with-start) is delivered as soon as its handler is registered, before the rest of
   * this body has run.
   */
  function nextTimer(): (Command & { atMs: number }) | undefined {
    const rule = timerRuleFor(input.flow, state.status);
    if (!rule) return undefined;
    const clockStartMs = at[CLOCK_STARTED_BY[rule.clock]] ?? Date.now();
    return {
      operation: rule.operation,
      actor: TIMER_ACTOR,
      message: rule.message,
      ...(rule.operation === OrderOperate.CANCEL ? { cancellation: { reason: rule.message } } : {}),
      atMs: timerDueAtMs(rule, input.settings, clockStartMs),
    };
  }

  if (!input.resume) await execute({ operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM, message: 'stock reserved, order confirmed' });

  while (!isTerminalOrderStatus(state.status)) {
    const timer = nextTimer();
    // An open after-sale that returns goods holds the timer: no timer runs until it closes, then the
    // loop comes round and the timer fires at once if its time has passed.
    const heldBy = timer ? afterSales.holdingTimers() : [];
    state.nextTimer = timer && { operation: timer.operation, atIso: new Date(timer.atMs).toISOString(), ...(heldBy.length ? { heldBy } : {}) };
    // A payment query due before the timer shortens the wait (one timer either way).
    const timerAtMs = timer && heldBy.length === 0 ? timer.atMs : undefined;
    const queryAtMs = paymentWatches.nextDue()?.atMs;
    const wakeAtMs = queryAtMs !== undefined && (timerAtMs === undefined || queryAtMs < timerAtMs) ? queryAtMs : timerAtMs;
    const watchesBefore = paymentWatches.version;
    const wake = () => queue.length > 0 || paymentWatches.version !== watchesBefore;
    const woken = wakeAtMs !== undefined ? await condition(wake, Math.max(wakeAtMs - Date.now(), 1)) : (await condition(wake), true);
    if (woken && queue.length > 0) await execute(queue.shift()!);
    else if (woken) continue; // a payment was started: work out the wait again
    else if (wakeAtMs === queryAtMs) await paymentWatches.queryDue();
    else await execute(timer!);
  }
  paymentWatches.endUnlessAwaitingPayment();
  state.nextTimer = undefined;

  // Cancelled here: payments landing meanwhile are refunded while the cancellation workflow runs.
  if (cancels.running) await cancels.settle(serveUntil);
  // Cancelled: stay a while so payments already in flight are refunded by this workflow (R8).
  if (state.status === OrderStatus.CANCELLED) await serveUntil(Date.now() + input.latePaymentWindowMs);
  run.refuseQueued(`order is already ${state.status}`);
  if (state.status === OrderStatus.COMPLETE) {
    await closeWindows();
    // An after-sale still open when its window closed is served until it closes.
    await serveUntil(undefined, () => afterSales.openCount() === 0);
  }
  run.close(`order is already ${state.status}`);
  await condition(allHandlersFinished);
  return state;
}
