import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Actor,
  CLOCK_STARTED_BY,
  CancellationStatus,
  OrderOperate,
  OrderStatus,
  PayStatus,
  REFUND_SETTLED,
  TIMER_ACTOR,
  checkOperation,
  decideCancel,
  formatFen,
  impliedStatuses,
  isTerminalOrderStatus,
  timerDueAtMs,
  timerRuleFor,
} from '../domain';
import { CancellationResult, cancellationWorkflowId } from './cancellation.contract';
import { cancellationWorkflow } from './cancellation.workflow';
import { groupBuyWorkflowId, groupFailedSignal, groupFormedSignal, memberLeftSignal, memberPaidSignal } from './group-buy.contract';
import { latePaymentWorkflowId } from './late-payment.contract';
import { latePaymentWorkflow } from './late-payment.workflow';
import {
  ActorRef,
  CancelAccepted,
  CancelRequest,
  OPERATION_REFUSED,
  OrderState,
  OrderWorkflowInput,
  PaymentConfirmed,
  ShipRequest,
  cancelUpdate,
  collectCashUpdate,
  completeUpdate,
  confirmReceiptUpdate,
  orderStateQuery,
  paymentConfirmedSignal,
  shipUpdate,
  sweepOverdueSignal,
} from './order.contract';
import type { RefundRecord } from './refund.contract';
import { DATABASE_RETRY, LOCAL_DATABASE_RETRY } from './retry-policies';

/**
 * Histories recorded before this patch ran every database step as a normal activity and let the
 * cancellation workflow mark the order CANCELLED; they replay on that path. New runs apply their
 * transitions as local activities (no server round trip of their own) and own the cancel CAS.
 */
export const ORDER_OWNS_CANCEL_PATCH = 'order-owns-cancel-local-db-steps';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/** A request to change the order, from a person, a provider or a timer; executed one at a time. */
interface Command {
  operation: OrderOperate;
  actor: Actor;
  actorId?: string;
  message: string;
  payment?: PaymentConfirmed;
  shipment?: { carrier: string; trackingNo: string };
  /** Set for CANCEL / SERVICE_CANCEL: the recorded request (absent for the auto-cancel timer). */
  cancellation?: { id?: number; reason: string };
  accepted?: CancelAccepted;
  done?: boolean;
  refusal?: string;
}

/**
 * The order's state machine (`order-{orderSn}`). It owns the order's statuses: every change,
 * cancellation included, is checked against the flow table and applied by the applyTransition
 * activity as a compare-and-set whose result decides what happens next. Messages and timers feed one
 * queue that a single loop executes, so a timer racing a user action resolves to exactly one
 * transition (the loser is re-checked against the table and refused).
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const ownsCancel = patched(ORDER_OWNS_CANCEL_PATCH);
  const db = ownsCancel ? local : remote;
  const state: OrderState = { orderSn: input.orderSn, flow: input.flow, status: OrderStatus.NEW, payStatus: PayStatus.PAY_NO, paidFen: 0, afterSales: [], history: [] };
  const at: Partial<Record<OrderStatus, number>> = { [OrderStatus.NEW]: Date.parse(input.createdAtIso) };
  if (input.resume) {
    state.status = input.resume.status;
    state.paidFen = input.resume.paidFen;
    state.payStatus = input.resume.paidFen > 0 ? PayStatus.PAY_YES : PayStatus.PAY_NO;
    state.transactionId = input.resume.transactionId;
    at[input.resume.status] = Date.parse(input.resume.sinceIso);
  }
  const queue: Command[] = [];
  /** The running cancellation; while it runs every other command waits (or is refused by validators). */
  let cancelling: { workflowId: string; refunding: boolean; cancellationId: number; result?: CancellationResult; failed?: string } | undefined;
  /** The cancellation this order accepted: a retried request for it gets the same answer, not a refusal. */
  let acceptedCancellation: CancelAccepted | undefined;
  /** The cancellation request whose compare-and-set is running: a retry of it waits for the answer. */
  let cancellationInFlight: number | undefined;
  const refundedPayments = new Set<string>();

  const refusalOf = (operation: OrderOperate, actor: Actor): string | undefined => {
    if (cancelling) return `order ${input.orderSn} is being cancelled (${cancelling.workflowId})`;
    const check = checkOperation({ flow: input.flow, status: state.status, operation, actor });
    return check.allowed ? undefined : check.reason;
  };
  const cancelRefusalOf = (actor: Actor): string | undefined => {
    if (cancelling) return `order ${input.orderSn} is being cancelled (${cancelling.workflowId})`;
    const decision = decideCancel({ flow: input.flow, status: state.status, paidFen: state.paidFen, actor });
    return decision.allowed ? undefined : decision.reason;
  };
  // Update validators: refuse fast, before anything enters history, when the table says no.
  const validate = <Args extends unknown[]>(operation: OrderOperate, actor: Actor) => (..._args: Args) => {
    const refusal = refusalOf(operation, actor);
    if (refusal) throw new Error(refusal);
  };
  const submit = async (command: Command): Promise<OrderStatus> => {
    queue.push(command);
    await condition(() => command.done === true);
    if (command.refusal) throw ApplicationFailure.nonRetryable(command.refusal, OPERATION_REFUSED);
    return state.status;
  };

  setHandler(orderStateQuery, () => state);
  setHandler(paymentConfirmedSignal, (payment) => {
    // Providers deliver at least once; the same transaction is one payment.
    if (payment.transactionId === state.transactionId || refundedPayments.has(payment.transactionId)) return;
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
    const timer = nextTimer()!;
    queue.push({ ...timer, message: `${timer.message}; found overdue by sweep ${overdue.sweepId}` });
  });
  setHandler(
    shipUpdate,
    (request) => submit({ operation: OrderOperate.SHIP, actor: Actor.SELLER, actorId: request.sellerId, shipment: { carrier: request.carrier, trackingNo: request.trackingNo }, message: `shipped with ${request.carrier} ${request.trackingNo}` }),
    { validator: validate<[ShipRequest]>(OrderOperate.SHIP, Actor.SELLER) },
  );
  setHandler(
    confirmReceiptUpdate,
    (request) => submit({ operation: OrderOperate.ROG, actor: Actor.BUYER, actorId: request.actorId, message: 'buyer confirmed receipt' }),
    { validator: validate<[ActorRef]>(OrderOperate.ROG, Actor.BUYER) },
  );
  setHandler(
    collectCashUpdate,
    (request) => submit({ operation: OrderOperate.PAY, actor: Actor.SELLER, actorId: request.actorId, message: `seller collected ${formatFen(input.orderFen)} CNY cash on delivery` }),
    { validator: validate<[ActorRef]>(OrderOperate.PAY, Actor.SELLER) },
  );
  setHandler(
    completeUpdate,
    (request) => submit({ operation: OrderOperate.COMPLETE, actor: Actor.ADMIN, actorId: request.actorId, message: 'completed by admin' }),
    { validator: validate<[ActorRef]>(OrderOperate.COMPLETE, Actor.ADMIN) },
  );
  setHandler(
    cancelUpdate,
    async (request: CancelRequest) => {
      if (acceptedCancellation?.cancellationId === request.cancellationId) return acceptedCancellation;
      // The operation (CANCEL or SERVICE_CANCEL) is decided when the command runs, on the state then.
      const command: Command = { operation: OrderOperate.CANCEL, actor: request.actor, actorId: request.actorId, message: request.reason, cancellation: { id: request.cancellationId, reason: request.reason } };
      queue.push(command);
      // Answered as soon as the cancel is applied: the money and stock steps are the cancellation
      // workflow's, whose id is known, so the caller need not wait for it to start.
      await condition(() => command.accepted !== undefined || command.done === true);
      if (command.accepted) return command.accepted;
      // The same request sent twice at once: the first copy was accepted, so is this one.
      if (acceptedCancellation?.cancellationId === request.cancellationId) return acceptedCancellation;
      throw ApplicationFailure.nonRetryable(command.refusal ?? `order ${input.orderSn} was not cancelled`, OPERATION_REFUSED);
    },
    {
      validator: (request: CancelRequest) => {
        if (acceptedCancellation?.cancellationId === request.cancellationId || cancellationInFlight === request.cancellationId) return;
        const refusal = cancelRefusalOf(request.actor);
        if (refusal) throw new Error(refusal);
      },
    },
  );

  const moveTo = (status: OrderStatus) => {
    if (status === state.status) return;
    state.status = status;
    at[status] = Date.now();
    upsertSearchAttributes({ OrderStatus: [status] });
    // The search attribute already says it; older histories also wrote the memo (one more event each).
    if (!ownsCancel) upsertMemo({ status });
  };
  const record = (operation: OrderOperate | 'CANCEL', from: OrderStatus, to: OrderStatus, actor: string) => {
    state.history.push({ operation, from, to, actor, atIso: new Date().toISOString() });
  };

  /** The cancellation request's id: a person's was recorded by the API, the system's is recorded now (once). */
  const cancellationIdOf = async (command: Command): Promise<number> =>
    command.cancellation!.id ??
    (await db.recordSystemCancellation.executeWithOptions({ summary: 'Record the system cancellation request' }, [{ orderSn: input.orderSn, reason: command.cancellation!.reason }]));

  /** Money and stock go to the cancellation workflow; the loop waits for it before anything else. */
  const startCancellationWorkflow = async (command: Command, cancellationId: number, from: OrderStatus, refunding: boolean, refund?: RefundRecord): Promise<void> => {
    const workflowId = cancellationWorkflowId(input.orderSn);
    const child = await startChild(cancellationWorkflow, {
      workflowId,
      args: [{
        orderSn: input.orderSn,
        cancellationId,
        from,
        operation: refunding ? 'SERVICE_CANCEL' : 'CANCEL',
        actor: command.actor,
        actorId: command.actorId,
        reason: command.cancellation!.reason,
        paid: refunding,
        refundPollScheduleMs: input.refundPollScheduleMs,
        ...(ownsCancel ? { orderCancelled: true as const } : {}),
        ...(refund ? { refund } : {}),
      }],
      // The cancellation must finish even if an operator terminates this order workflow.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: ownsCancel
        ? refunding ? `Refund ${formatFen(state.paidFen)} CNY, restore stock and sales of cancelled order ${input.orderSn}` : `Close the payment orders and release the stock of cancelled order ${input.orderSn}`
        : `Cancel order ${input.orderSn}${refunding ? ` and refund ${formatFen(state.paidFen)} CNY` : ''}`,
      searchAttributes: {
        OrderSn: [input.orderSn],
        SellerId: [input.sellerId],
        // Set at the start, so the cancellation needs no upsert of its own until it completes.
        ...(ownsCancel ? { CancellationStatus: [refunding ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED] } : {}),
      },
    });
    cancelling = { workflowId, refunding, cancellationId };
    child.result().then(
      (result) => (cancelling!.result = result),
      (err: Error) => (cancelling!.failed = err.message),
    );
    command.accepted = { cancellationId, cancellationWorkflowId: workflowId, refunding };
    acceptedCancellation = command.accepted;
    if (ownsCancel) state.cancellation = { cancellationId, cancellationWorkflowId: workflowId, refunding, progress: 'RUNNING' };
  };

  /**
   * The cancel itself: the same compare-and-set as every other transition, with the request's status
   * in its transaction. Only a won CAS hands money and stock over; a lost one refunds and restocks
   * nothing — the order follows the row and the command is refused.
   */
  const cancel = async (command: Command, refunding: boolean, operation: OrderOperate): Promise<void> => {
    const cancellationId = await cancellationIdOf(command);
    const from = state.status;
    if (!ownsCancel) return startCancellationWorkflow(command, cancellationId, from, refunding);
    cancellationInFlight = cancellationId;
    const { transition: result, refund } = await local.cancelOrder.executeWithOptions({ summary: `Cancel order ${input.orderSn} (${from} → CANCELLED)${refunding ? ' and record its refund' : ''}` }, [{
      orderSn: input.orderSn,
      operation,
      from,
      to: OrderStatus.CANCELLED,
      actor: command.actor,
      actorId: command.actorId,
      message: `cancelled: ${command.cancellation!.reason}`,
      cancellation: { reason: command.cancellation!.reason, cancellationId, refunding },
    }]);
    if (!result.applied) {
      cancellationInFlight = undefined;
      command.refusal = result.reason;
      moveTo(result.status);
      return;
    }
    record(operation, from, OrderStatus.CANCELLED, command.actor);
    if (impliedStatuses(operation).payStatus) state.payStatus = impliedStatuses(operation).payStatus;
    moveTo(OrderStatus.CANCELLED);
    command.accepted = { cancellationId, cancellationWorkflowId: cancellationWorkflowId(input.orderSn), refunding };
    acceptedCancellation = command.accepted;
    await startCancellationWorkflow(command, cancellationId, from, refunding, refund);
    cancellationInFlight = undefined;
    if (input.groupId) await tellGroup(memberLeftSignal);
  };

  /**
   * A payment the order cannot take — it was cancelled, or is already paid by another route — is
   * recorded and refunded by the late-payment workflow, never applied (R8).
   */
  const refundUnwantedPayment = async (payment: PaymentConfirmed, why: string): Promise<void> => {
    if (refundedPayments.has(payment.transactionId)) return;
    refundedPayments.add(payment.transactionId);
    const late = { provider: payment.provider as 'wechatpay' | 'alipay', outTradeNo: payment.outTradeNo, transactionId: payment.transactionId, amountFen: payment.amountFen, paidAt: payment.paidAt };
    try {
      await startChild(latePaymentWorkflow, {
        workflowId: latePaymentWorkflowId(payment.outTradeNo),
        args: [{ orderSn: input.orderSn, payment: late, why, refundPollScheduleMs: input.refundPollScheduleMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Refund payment ${payment.transactionId}: ${why}`,
        searchAttributes: { OrderSn: [input.orderSn] },
      });
    } catch (err) {
      // Already started for this payment (by the API after a restart): it is being refunded.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  };

  const execute = async (command: Command): Promise<void> => {
    try {
      if (command.payment && state.status === OrderStatus.CANCELLED) {
        await refundUnwantedPayment(command.payment, 'the order was cancelled');
        return;
      }
      if (command.cancellation) {
        // A cancel accepted before a payment landed becomes a refunding cancel, not a refusal.
        const refusal = cancelRefusalOf(command.actor);
        if (refusal) {
          command.refusal = refusal;
          return;
        }
        const decision = decideCancel({ flow: input.flow, status: state.status, paidFen: state.paidFen, actor: command.actor });
        await cancel(command, decision.allowed && decision.refunding, decision.operation);
        return;
      }
      const operation = command.operation;
      const refusal = refusalOf(operation, command.actor);
      if (refusal) {
        command.refusal = refusal;
        // Money the order cannot take (a second payment by another route) goes back to the buyer. The
        // order's own transaction told twice (a notification and the payment watch's query racing the
        // first PAY) is the same money, not a second payment: never refunded.
        const samePayment = command.payment?.transactionId === state.transactionId && patched('same-transaction-is-not-a-second-payment');
        if (command.payment && state.paidFen > 0 && !samePayment) await refundUnwantedPayment(command.payment, `the order was already paid (${state.transactionId})`);
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
      const result = await db.applyTransition.executeWithOptions({ summary: `${command.message} (${from} → ${to})` }, [{
        orderSn: input.orderSn,
        operation,
        from,
        to,
        actor: command.actor,
        actorId: command.actorId,
        message: command.message,
        payment,
        shipment: command.shipment,
      }]);
      if (!result.applied) {
        // The row moved without us (an operator's hand edit): follow the database, refuse the command.
        command.refusal = result.reason;
        moveTo(result.status);
        return;
      }
      if (payment) {
        state.paidFen = payment.amountFen;
        state.transactionId = command.payment?.transactionId;
        if (input.groupId) await tellGroup(memberPaidSignal);
      }
      state.payStatus = impliedStatuses(operation).payStatus ?? state.payStatus;
      record(operation, from, to, command.actor);
      moveTo(to);
    } finally {
      command.done = true;
    }
  };

  /** Keeps the group buy's member list in step with this order; a finished group no longer listens. */
  const tellGroup = async (signal: typeof memberPaidSignal): Promise<void> => {
    try {
      await getExternalWorkflowHandle(groupBuyWorkflowId(input.groupId!)).signal(signal, { orderSn: input.orderSn });
    } catch (err) {
      log.warn('group buy not signalled', { groupId: input.groupId, error: (err as Error).message });
    }
  };

  /**
   * After completion the comment, complaint and after-sale windows close on their own timers
   * (javashop's commentTask, complainTask and serviceTask, per order).
   */
  const closeWindows = async (): Promise<void> => {
    const completedAt = at[OrderStatus.COMPLETE] ?? Date.now();
    const s = input.settings;
    const windows: { window: 'comment' | 'complaint' | 'after-sale'; atMs: number }[] = [
      { window: 'comment', atMs: (at[OrderStatus.SHIPPED] ?? completedAt) + s.commentOrderMs },
      { window: 'complaint', atMs: completedAt + s.complainExpiredMs },
      { window: 'after-sale', atMs: completedAt + s.serviceExpiredMs },
    ];
    for (const { window, atMs } of windows.sort((a, b) => a.atMs - b.atMs)) {
      await serveUntil(atMs);
      await db.closeOrderWindow.executeWithOptions({ summary: `Close the ${window} window` }, [{ orderSn: input.orderSn, window }]);
    }
  };

  /**
   * Waits until `untilMs` (for ever if undefined) or until `done()` in a finished order: payments that still arrive are
   * refunded (execute sends them to the late-payment workflow), anything else is refused.
   */
  const serveUntil = async (untilMs: number | undefined, done: () => boolean = () => false): Promise<void> => {
    while (!done()) {
      const wake = () => queue.length > 0 || done();
      const woken = untilMs === undefined ? (await condition(wake), true) : await condition(wake, Math.max(untilMs - Date.now(), 1));
      if (!woken) return;
      if (!queue.length) continue;
      const command = queue.shift()!;
      if (command.payment) await execute(command);
      else {
        command.refusal = `order is already ${state.status}`;
        command.done = true;
      }
    }
  };

  /**
   * The cancellation workflow has given the money and stock back: the order closes the request and,
   * if money went back, records the refund as settled — its own statuses, in one transaction.
   */
  const settleCancellation = async (): Promise<void> => {
    const current = cancelling!;
    await serveUntil(undefined, () => current.result !== undefined || current.failed !== undefined);
    if (current.failed) {
      // Nothing more can move this order safely; support sees the failed cancellation in its history.
      log.error('cancellation failed', { orderSn: input.orderSn, error: current.failed });
      throw ApplicationFailure.nonRetryable(`cancellation ${current.workflowId} failed: ${current.failed}`, 'CancellationFailed');
    }
    await local.finishCancellation.executeWithOptions(
      { summary: current.refunding ? 'Refund settled: close the cancellation request' : 'Close the cancellation request' },
      [{ orderSn: input.orderSn, cancellationId: current.cancellationId, refunded: current.refunding }],
    );
    if (current.refunding) state.payStatus = REFUND_SETTLED.payStatus;
    state.cancellation!.progress = 'COMPLETED';
    queueLatePayments(current.result!);
    cancelling = undefined;
  };

  const queueLatePayments = (result: CancellationResult) => {
    for (const late of result.latePayments) {
      queue.push({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, message: 'paid during cancellation', payment: { ...late, notificationId: `close:${late.outTradeNo}` } });
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
    if (cancelling) {
      // Histories from before the patch: the order turns CANCELLED when its cancellation workflow ends.
      await condition(() => cancelling!.result !== undefined || cancelling!.failed !== undefined);
      if (cancelling.failed) {
        log.error('cancellation failed', { orderSn: input.orderSn, error: cancelling.failed });
        throw ApplicationFailure.nonRetryable(`cancellation ${cancelling.workflowId} failed: ${cancelling.failed}`, 'CancellationFailed');
      }
      state.history.push({ operation: 'CANCEL', from: state.status, to: OrderStatus.CANCELLED, actor: 'CANCELLATION', atIso: new Date().toISOString() });
      queueLatePayments(cancelling.result!);
      cancelling = undefined;
      moveTo(OrderStatus.CANCELLED);
      if (input.groupId) await tellGroup(memberLeftSignal);
      break;
    }
    const timer = nextTimer();
    state.nextTimer = timer && { operation: timer.operation, atIso: new Date(timer.atMs).toISOString() };
    const woken = timer
      ? await condition(() => queue.length > 0, Math.max(timer.atMs - Date.now(), 1))
      : (await condition(() => queue.length > 0), true);
    await execute(woken ? queue.shift()! : timer!);
  }
  state.nextTimer = undefined;

  // Cancelled here: payments landing meanwhile are refunded while the cancellation workflow runs.
  if (cancelling) await settleCancellation();
  // Cancelled: stay a while so payments already in flight are refunded by this workflow (R8).
  if (state.status === OrderStatus.CANCELLED) await serveUntil(Date.now() + input.latePaymentWindowMs);
  for (const command of queue.splice(0)) {
    command.refusal = `order is already ${state.status}`;
    command.done = true;
  }
  // Histories recorded before the windows existed end at COMPLETE; the patch keeps them replayable.
  if (state.status === OrderStatus.COMPLETE && patched('after-sale-windows')) await closeWindows();
  await condition(allHandlersFinished);
  return state;
}
