import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
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
import {
  ActorRef,
  OrderState,
  PaymentConfirmed,
  ShipRequest,
  collectCashUpdate,
  completeUpdate,
  confirmReceiptUpdate,
  orderStateQuery,
  paymentConfirmedSignal,
  shipUpdate,
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
}

const { applyTransition } = proxyActivities<Activities>({
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
  const queue: Command[] = [];

  const refusalOf = (operation: OrderOperate, actor: Actor): string | undefined => {
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
    if (payment.transactionId === state.transactionId || queue.some((c) => c.payment?.transactionId === payment.transactionId)) return;
    queue.push({ operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK, payment, message: `paid ${formatFen(payment.amountFen)} CNY via ${payment.provider} (${payment.transactionId})` });
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

  const execute = async (command: Command): Promise<void> => {
    try {
      const refusal = refusalOf(command.operation, command.actor);
      if (refusal) {
        command.refusal = refusal;
        if (command.payment) log.warn('payment not applied', { orderSn: input.orderSn, refusal, transactionId: command.payment.transactionId });
        return;
      }
      if (command.payment && command.payment.amountFen !== input.orderFen) {
        command.refusal = `payment of ${command.payment.amountFen} fen does not match the order's ${input.orderFen} fen`;
        log.error('payment amount mismatch', { orderSn: input.orderSn, transactionId: command.payment.transactionId });
        return;
      }
      const to = (checkOperation({ flow: input.flow, status: state.status, operation: command.operation, actor: command.actor }) as { to: OrderStatus }).to;
      const from = state.status;
      const payment = command.payment
        ? { provider: command.payment.provider, outTradeNo: command.payment.outTradeNo, transactionId: command.payment.transactionId, amountFen: command.payment.amountFen, paidAt: command.payment.paidAt }
        : command.operation === OrderOperate.PAY
          ? { provider: 'cod', amountFen: input.orderFen, paidAt: new Date().toISOString() }
          : undefined;
      const result = await applyTransition({
        orderSn: input.orderSn,
        operation: command.operation,
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
      }
      state.history.push({ operation: command.operation, from, to, actor: command.actor, atIso: new Date().toISOString() });
      moveTo(to);
    } finally {
      command.done = true;
    }
  };

  const moveTo = (status: OrderStatus) => {
    if (status === state.status) return;
    state.status = status;
    at[status] = Date.now();
    upsertSearchAttributes({ OrderStatus: [status] });
    upsertMemo({ status });
  };

  /** The timer that applies in the current status: the per-order replacement of the daily sweep. */
  const nextTimer = (): Command & { atMs: number } | undefined => {
    const since = (status: OrderStatus) => at[status] ?? Date.now();
    const s = input.settings;
    switch (state.status) {
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
  };

  await execute({ operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM, message: 'stock reserved, order confirmed' });

  while (!isTerminalOrderStatus(state.status)) {
    const timer = nextTimer();
    state.nextTimer = timer && { operation: timer.operation, atIso: new Date(timer.atMs).toISOString() };
    const woken = timer
      ? await condition(() => queue.length > 0, Math.max(timer.atMs - Date.now(), 1))
      : (await condition(() => queue.length > 0), true);
    await execute(woken ? queue.shift()! : timer!);
  }
  state.nextTimer = undefined;
  for (const command of queue.splice(0)) {
    command.refusal = `order is already ${state.status}`;
    command.done = true;
  }
  await condition(allHandlersFinished);
  return state;
}
