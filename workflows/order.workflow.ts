import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Actor,
  FlowType,
  OrderOperate,
  OrderSettings,
  OrderStatus,
  checkOperation,
  formatFen,
  isTerminalOrderStatus,
} from '../domain';
import { CancellationResult, cancellationWorkflow } from './cancellation.workflow';
import { groupFailedSignal, groupFormedSignal, memberLeftSignal, memberPaidSignal } from './group-buy-messages';
import { latePaymentWorkflow } from './late-payment.workflow';
import { cancellationWorkflowId, groupBuyWorkflowId, latePaymentWorkflowId } from './workflow-ids';
import {
  ActorRef,
  CancelAccepted,
  CancelRequest,
  OrderState,
  PaymentConfirmed,
  ShipRequest,
  SweepTask,
  cancelUpdate,
  collectCashUpdate,
  completeUpdate,
  confirmReceiptUpdate,
  orderStateQuery,
  paymentConfirmedSignal,
  shipUpdate,
  sweepOverdueSignal,
} from './order-messages';

export interface OrderWorkflowInput {
  orderSn: string;
  sellerId: string;
  buyerId: string;
  flow: FlowType;
  /** What the buyer must pay, in fen. */
  orderFen: number;
  createdAtIso: string;
  settings: OrderSettings;
  /** How long a cancelled order's workflow stays to refund payments that land after the cancellation. */
  latePaymentWindowMs: number;
  refundPollScheduleMs: number[];
  /**
   * Set when the order already exists in the database in a later status (a legacy order, or one whose
   * workflow was lost) and the sweep starts a workflow for it: it resumes from that status instead of
   * confirming a new order.
   */
  resume?: { status: OrderStatus; sinceIso: string; paidFen: number; transactionId?: string };
  /** Group-buy orders: the group (`group-{groupId}`) this order joined. */
  groupId?: string;
}

/** Which sweep task a timer's operation belongs to (javashop's cancelTask, rogTask, completeTask, payTask). */
const SWEEP_TASK_OF: Partial<Record<OrderOperate, SweepTask>> = {
  [OrderOperate.CANCEL]: 'cancel',
  [OrderOperate.ROG]: 'rog',
  [OrderOperate.COMPLETE]: 'complete',
  [OrderOperate.PAY]: 'pay',
};

const { applyTransition, recordSystemCancellation, closeOrderWindow } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderNotFound', 'BadTransition'] },
});

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
 * The order's state machine (`order-{orderSn}`). It owns the order's status: every change is
 * checked against the flow table and applied by the applyTransition activity as a compare-and-set.
 * Messages and timers feed one queue that a single loop executes, so a timer racing a user action
 * resolves to exactly one transition (the loser is re-checked against the table and refused).
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const state: OrderState = { orderSn: input.orderSn, flow: input.flow, status: OrderStatus.NEW, paidFen: 0, history: [] };
  const at: Partial<Record<OrderStatus, number>> = { [OrderStatus.NEW]: Date.parse(input.createdAtIso) };
  if (input.resume) {
    state.status = input.resume.status;
    state.paidFen = input.resume.paidFen;
    state.transactionId = input.resume.transactionId;
    at[input.resume.status] = Date.parse(input.resume.sinceIso);
  }
  const queue: Command[] = [];
  /** The running cancellation; while it runs every other command waits (or is refused by validators). */
  let cancelling: { workflowId: string; result?: CancellationResult; failed?: string } | undefined;
  /** The cancellation this order accepted: a retried request for it gets the same answer, not a refusal. */
  let acceptedCancellation: CancelAccepted | undefined;
  const refundedPayments = new Set<string>();

  const cancelOperation = () => (state.paidFen > 0 ? OrderOperate.SERVICE_CANCEL : OrderOperate.CANCEL);
  const refusalOf = (operation: OrderOperate, actor: Actor): string | undefined => {
    if (cancelling) return `order ${input.orderSn} is being cancelled (${cancelling.workflowId})`;
    const check = checkOperation({ flow: input.flow, status: state.status, operation, actor });
    return check.allowed ? undefined : check.reason;
  };
  // Update validators: refuse fast, before anything enters history, when the table says no.
  const validate = <Args extends unknown[]>(operation: OrderOperate, actor: Actor) => (..._args: Args) => {
    const refusal = refusalOf(operation, actor);
    if (refusal) throw new Error(refusal);
  };
  const submit = async (command: Command): Promise<OrderStatus> => {
    queue.push(command);
    await condition(() => command.done === true);
    if (command.refusal) throw ApplicationFailure.nonRetryable(command.refusal, 'OperationRefused');
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
    const timer = nextTimer();
    const task = timer && SWEEP_TASK_OF[timer.operation];
    if (!timer || task !== overdue.task || queue.some((c) => c.actor === Actor.SYSTEM_TIMER)) return;
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
      const command: Command = { operation: cancelOperation(), actor: request.actor, actorId: request.actorId, message: request.reason, cancellation: { id: request.cancellationId, reason: request.reason } };
      try {
        await submit(command);
      } catch (err) {
        // The same request sent twice at once: the first copy was accepted, so is this one.
        if (acceptedCancellation?.cancellationId === request.cancellationId) return acceptedCancellation;
        throw err;
      }
      return command.accepted!;
    },
    {
      validator: (request: CancelRequest) => {
        if (acceptedCancellation?.cancellationId === request.cancellationId) return;
        validate<[]>(cancelOperation(), request.actor)();
      },
    },
  );

  const moveTo = (status: OrderStatus) => {
    if (status === state.status) return;
    state.status = status;
    at[status] = Date.now();
    upsertSearchAttributes({ OrderStatus: [status] });
    upsertMemo({ status });
  };

  /** Hands the order to its cancellation workflow; the loop waits for it before anything else. */
  const startCancellation = async (command: Command, operation: OrderOperate): Promise<void> => {
    const cancellationId = command.cancellation!.id ?? (await recordSystemCancellation({ orderSn: input.orderSn, reason: command.cancellation!.reason }));
    const workflowId = cancellationWorkflowId(input.orderSn);
    const paid = operation === OrderOperate.SERVICE_CANCEL;
    const child = await startChild(cancellationWorkflow, {
      workflowId,
      args: [{
        orderSn: input.orderSn,
        cancellationId,
        from: state.status,
        operation: paid ? 'SERVICE_CANCEL' : 'CANCEL',
        actor: command.actor,
        actorId: command.actorId,
        reason: command.cancellation!.reason,
        paid,
        refundPollScheduleMs: input.refundPollScheduleMs,
      }],
      // The cancellation must finish even if an operator terminates this order workflow.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Cancel order ${input.orderSn}${paid ? ` and refund ${formatFen(state.paidFen)} CNY` : ''}`,
      searchAttributes: { OrderSn: [input.orderSn], SellerId: [input.sellerId] },
    });
    cancelling = { workflowId };
    child.result().then(
      (result) => (cancelling!.result = result),
      (err: Error) => (cancelling!.failed = err.message),
    );
    command.accepted = { cancellationId, cancellationWorkflowId: workflowId, refunding: paid };
    acceptedCancellation = command.accepted;
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
      // A cancel accepted before a payment landed becomes a refunding cancel, not a refusal.
      const operation = command.cancellation ? cancelOperation() : command.operation;
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
      if (command.cancellation) {
        await startCancellation(command, operation);
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
      const result = await applyTransition({
        orderSn: input.orderSn,
        operation,
        from,
        to,
        actor: command.actor,
        actorId: command.actorId,
        message: command.message,
        payment,
        shipment: command.shipment,
      });
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
      state.history.push({ operation, from, to, actor: command.actor, atIso: new Date().toISOString() });
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
      await closeOrderWindow({ orderSn: input.orderSn, window });
    }
  };

  /**
   * Waits until `untilMs` in a finished order: payments that still arrive are refunded (execute sends
   * them to the late-payment workflow), anything else is refused.
   */
  const serveUntil = async (untilMs: number): Promise<void> => {
    while (await condition(() => queue.length > 0, Math.max(untilMs - Date.now(), 1))) {
      const command = queue.shift()!;
      if (command.payment) await execute(command);
      else {
        command.refusal = `order is already ${state.status}`;
        command.done = true;
      }
    }
  };

  /**
   * The timer that applies in the current status: the per-order replacement of the daily sweep.
   * A hoisted function declaration: a signal that arrives with the workflow's start (signal-with-start)
   * is delivered as soon as its handler is registered, before the rest of this body has run.
   */
  function nextTimer(): (Command & { atMs: number }) | undefined {
    const since = (status: OrderStatus) => at[status] ?? Date.now();
    const s = input.settings;
    switch (state.status) {
      case OrderStatus.NEW:
      case OrderStatus.CONFIRM:
        // The table has no SYSTEM_TIMER cancel for COD: a COD order is unpaid by design until the door.
        return input.flow === FlowType.COD
          ? undefined
          : { operation: OrderOperate.CANCEL, actor: Actor.SYSTEM_TIMER, message: 'unpaid in time (cancel_order_day)', cancellation: { reason: 'not paid in time (cancel_order_day)' }, atMs: since(OrderStatus.NEW) + s.cancelOrderMs };
      case OrderStatus.SHIPPED:
        return { operation: OrderOperate.ROG, actor: Actor.SYSTEM_TIMER, message: 'received automatically (rog_order_day)', atMs: since(OrderStatus.SHIPPED) + s.rogOrderMs };
      case OrderStatus.ROG:
        return input.flow === FlowType.COD
          ? { operation: OrderOperate.PAY, actor: Actor.SYSTEM_TIMER, message: 'cash on delivery marked paid (complete_order_pay)', atMs: since(OrderStatus.ROG) + s.completeOrderPayMs }
          : { operation: OrderOperate.COMPLETE, actor: Actor.SYSTEM_TIMER, message: 'completed automatically (complete_order_day)', atMs: since(OrderStatus.ROG) + s.completeOrderMs };
      case OrderStatus.PAID_OFF:
        return input.flow === FlowType.COD
          ? { operation: OrderOperate.COMPLETE, actor: Actor.SYSTEM_TIMER, message: 'completed automatically (complete_order_day)', atMs: since(OrderStatus.PAID_OFF) + s.completeOrderMs }
          : undefined;
      default:
        return undefined;
    }
  }

  if (!input.resume) await execute({ operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM, message: 'stock reserved, order confirmed' });

  while (!isTerminalOrderStatus(state.status)) {
    if (cancelling) {
      await condition(() => cancelling!.result !== undefined || cancelling!.failed !== undefined);
      if (cancelling.failed) {
        // Nothing more can move this order safely; support sees the failed cancellation in its history.
        log.error('cancellation failed', { orderSn: input.orderSn, error: cancelling.failed });
        throw ApplicationFailure.nonRetryable(`cancellation ${cancelling.workflowId} failed: ${cancelling.failed}`, 'CancellationFailed');
      }
      state.history.push({ operation: 'CANCEL', from: state.status, to: OrderStatus.CANCELLED, actor: 'CANCELLATION', atIso: new Date().toISOString() });
      for (const late of cancelling.result!.latePayments) {
        queue.push({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, message: 'paid during cancellation', payment: { ...late, notificationId: `close:${late.outTradeNo}` } });
      }
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
