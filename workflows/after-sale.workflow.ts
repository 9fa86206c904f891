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
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  Actor,
  REFUND_REFUSAL_CODES,
  AfterSaleAction,
  AfterSaleStatus,
  agreedRefundRefusal,
  checkAfterSaleAction,
  describeRefund,
  formatFen,
  isAfterSaleFinal,
  linkedOrderType,
  receiptComplete,
  receiptRefusal,
  refundsMoney,
  returnsGoods,
  splitRefundOverLines,
} from '../domain';
import {
  AfterSaleState,
  AfterSaleWorkflowInput,
  AFTER_SALE_STEP_REFUSED,
  ReceiptLine,
  afterSaleOverdueSignal,
  afterSaleStateQuery,
  auditAfterSaleUpdate,
  awaitOpeningUpdate,
  decideAfterSaleUpdate,
  recordReceiptUpdate,
  shipReturnUpdate,
  withdrawAfterSaleUpdate,
} from './after-sale.contract';
import type { AfterSaleStepRecord } from '../activities/after-sales';
import { refundWorkflow } from './refund.workflow';
import { refundWorkflowId } from './refund.contract';
import { OPERATION_REFUSED } from './order.contract';
import { DATABASE_STEP_RETRY, DATABASE_STEP_TIMEOUT } from './retry-policies';
import { DurableSteps } from './durable-steps';
import { ErrorCode } from '../domain/error-codes';
import { refusalFailure } from './refusals';
import { acceptAttentionMarks } from './support-overdue.contract';

const NOT_RETRYABLE = [ErrorCode.AfterSaleNotFound, ErrorCode.AfterSaleMoved, ErrorCode.AfterSaleLineNotFound, ErrorCode.OrderNotFound, ...REFUND_REFUSAL_CODES];
const acts = proxyActivities<Activities>({ startToCloseTimeout: DATABASE_STEP_TIMEOUT, retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: NOT_RETRYABLE } });
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
 * after the 30 s start-to-close and a growing backoff.
 */
const orderAnswer = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: [OPERATION_REFUSED, ErrorCode.OrderNotFound] },
});

/** A step to execute: from a person (an Update) or from a deadline. */
interface Command {
  action: AfterSaleAction;
  actor: Actor;
  actorId?: string;
  refundFen?: number;
  reason?: string;
  returnShipment?: { carrier: string; trackingNo: string };
  receipt?: ReceiptLine[];
  done?: boolean;
  refusal?: string;
}

const LABEL: Record<AfterSaleAction, string> = {
  OPEN: 'the order accepted the application',
  ORDER_REFUSED: 'the order refused the application',
  AUDIT_PASS: 'passed',
  AUDIT_REFUSE: 'refused',
  SHIP_RETURN: 'return shipped',
  RECEIVE: 'receipt recorded',
  RECEIVE_SHORT: 'receipt recorded with units missing; support decides',
  RECEIPT_OVERDUE: 'no receipt recorded in time; support decides',
  WITHDRAW: 'withdrawn',
  EXPIRE: 'closed: the goods were not shipped back in time',
  SUPPORT_REFUND: 'support decided a refund',
  SUPPORT_CLOSE: 'support closed it',
  START_REFUND: 'refund recorded',
  REFUND_BLOCKED: 'the refund could not be recorded; support decides',
  LINKED_ORDER_BLOCKED: 'the replacement order could not be created; support decides',
  COMPLETE: 'completed',
};

const isRefused = (err: unknown): err is ActivityFailure =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === OPERATION_REFUSED;

/**
 * One after-sale application (`after-sale-{serviceSn}`), javashop's ServiceStatusEnum as a workflow:
 * the order workflow accepts it → the seller audits (PASS with the agreed refund, or REFUSE) → for
 * returns and exchanges the buyer ships the goods back → the seller records receipt per line (good
 * and damaged units; fewer than sent goes to support) → the refund runs as a child refund workflow,
 * or the exchange / re-ship order is created → COMPLETED. Every step is an Update whose validator
 * refuses fast with the flow table's reason; one queue executes them in order; each leaves an
 * after-sale log row and an order log row. Deadlines are timers; the order workflow is told when the
 * after-sale closes (only it writes the order's statuses).
 */
export async function afterSaleWorkflow(input: AfterSaleWorkflowInput): Promise<AfterSaleState> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  const state: AfterSaleState = { serviceSn: input.serviceSn, orderSn: input.orderSn, serviceType: input.serviceType, status: AfterSaleStatus.APPLY, steps: [] };
  const queue: Command[] = [];
  /** Set when the loop has stopped: steps from then on are refused with it. */
  let closedReason: string | undefined;
  const linesFen = input.lines.reduce((sum, line) => sum + line.amountFen, 0);
  const money = refundsMoney(input.serviceType);
  const goodsBack = returnsGoods(input.serviceType);
  let waitingSince = Date.now();
  let overdue = false;
  /** The order accepted the application (the audit deadline runs from then). */
  let accepted = false;

  const refusalOf = (command: Command): string | undefined => {
    const check = checkAfterSaleAction({ status: state.status, action: command.action, actor: command.actor, serviceType: input.serviceType });
    if (!check.allowed) return check.reason;
    if (command.action === AfterSaleAction.AUDIT_PASS && money && command.refundFen !== undefined) return agreedRefundRefusal(command.refundFen, linesFen);
    if (command.action === AfterSaleAction.AUDIT_PASS && !money && command.refundFen) return `a ${input.serviceType} after-sale refunds nothing; pass it without refundFen`;
    if (command.action === AfterSaleAction.SUPPORT_REFUND) return agreedRefundRefusal(command.refundFen, linesFen);
    if ((command.action === AfterSaleAction.AUDIT_REFUSE || command.action === AfterSaleAction.WITHDRAW || command.action === AfterSaleAction.SUPPORT_CLOSE) && command.actor !== Actor.SYSTEM_TIMER && !/\S/.test(command.reason ?? '')) return 'reason must not be empty';
    if (command.action === AfterSaleAction.SHIP_RETURN && !(/\S/.test(command.returnShipment?.carrier ?? '') && /\S/.test(command.returnShipment?.trackingNo ?? ''))) return 'carrier and trackingNo are required';
    if (command.action === AfterSaleAction.RECEIVE) return receiptRefusal(input.lines, command.receipt ?? []) ?? (command.receipt?.length ? undefined : 'the receipt needs at least one line');
    return undefined;
  };

  // Each step an Update, which the API can also send durably as a Signal (durable-steps.ts).
  const steps = new DurableSteps();
  const register = <A>(update: UpdateDefinition<AfterSaleStatus, [A]>, toCommand: (request: A) => Command) => {
    steps.register(
      update,
      async (request: A) => {
        const command = toCommand(request);
        // Handlers run after the barrier that puts their Update in history, so one can come after the
        // loop's last drain: refused then, never queued to wait for ever.
        if (closedReason !== undefined) throw ApplicationFailure.nonRetryable(closedReason, AFTER_SALE_STEP_REFUSED);
        queue.push(command);
        await condition(() => command.done === true);
        if (command.refusal) throw ApplicationFailure.nonRetryable(command.refusal, AFTER_SALE_STEP_REFUSED);
        return state.status;
      },
      (request: A) => {
        const refusal = refusalOf(toCommand(request));
        if (refusal) throw refusalFailure(AFTER_SALE_STEP_REFUSED, refusal);
      },
    );
  };

  setHandler(afterSaleStateQuery, () => state);
  setHandler(awaitOpeningUpdate, async () => {
    await condition(() => state.opening !== undefined);
    return state;
  });
  setHandler(afterSaleOverdueSignal, ({ sweepId }) => {
    state.sweptBy = sweepId;
    overdue = true;
  });
  register(auditAfterSaleUpdate, (r: { actorId: string; decision: 'PASS' | 'REFUSE'; refundFen?: number; reason?: string }) => ({
    action: r.decision === 'PASS' ? AfterSaleAction.AUDIT_PASS : AfterSaleAction.AUDIT_REFUSE,
    actor: Actor.SELLER,
    actorId: r.actorId,
    refundFen: r.refundFen,
    reason: r.reason,
  }));
  register(shipReturnUpdate, (r: { actorId: string; carrier: string; trackingNo: string }) => ({ action: AfterSaleAction.SHIP_RETURN, actor: Actor.BUYER, actorId: r.actorId, returnShipment: { carrier: r.carrier, trackingNo: r.trackingNo } }));
  register(recordReceiptUpdate, (r: { actorId: string; lines: ReceiptLine[]; note?: string }) => ({ action: AfterSaleAction.RECEIVE, actor: Actor.SELLER, actorId: r.actorId, receipt: r.lines, reason: r.note }));
  register(withdrawAfterSaleUpdate, (r: { actorId: string; reason: string }) => ({ action: AfterSaleAction.WITHDRAW, actor: Actor.BUYER, actorId: r.actorId, reason: r.reason }));
  register(decideAfterSaleUpdate, (r: { actorId: string; action: 'REFUND' | 'CLOSE'; refundFen?: number; reason: string }) => ({
    action: r.action === 'REFUND' ? AfterSaleAction.SUPPORT_REFUND : AfterSaleAction.SUPPORT_CLOSE,
    actor: Actor.SUPPORT,
    actorId: r.actorId,
    refundFen: r.refundFen,
    reason: r.reason,
  }));
  steps.open();

  /** The deadline that runs in a status, from `sinceMs`. */
  const deadlineIn = (status: AfterSaleStatus, sinceMs: number): (Command & { atMs: number }) | undefined => {
    if (status === AfterSaleStatus.APPLY && accepted) {
      return { action: AfterSaleAction.AUDIT_PASS, actor: Actor.SYSTEM_TIMER, reason: 'the seller did not audit in time (AFTER_SALE_AUDIT_DEADLINE): passed at the requested amount', atMs: sinceMs + input.settings.sellerAuditMs };
    }
    if (status === AfterSaleStatus.PASS && goodsBack) {
      return { action: AfterSaleAction.EXPIRE, actor: Actor.SYSTEM_TIMER, reason: 'the goods were not shipped back in time (AFTER_SALE_RETURN_DEADLINE)', atMs: sinceMs + input.settings.buyerReturnMs };
    }
    if (status === AfterSaleStatus.FULL_COURIER) {
      return { action: AfterSaleAction.RECEIPT_OVERDUE, actor: Actor.SYSTEM_TIMER, reason: 'the seller did not record the receipt in time (AFTER_SALE_RECEIPT_DEADLINE)', atMs: sinceMs + input.settings.sellerReceiptMs };
    }
    return undefined;
  };
  const waitingOnIn = (status: AfterSaleStatus): AfterSaleState['waitingOn'] =>
    status === AfterSaleStatus.APPLY || status === AfterSaleStatus.FULL_COURIER ? 'SELLER' : status === AfterSaleStatus.PASS && goodsBack ? 'BUYER' : status === AfterSaleStatus.WAIT_FOR_MANUAL ? 'SUPPORT' : undefined;

  const setStatus = (status: AfterSaleStatus) => {
    if (status !== state.status) upsertSearchAttributes({ AfterSaleStatus: [status] });
    state.status = status;
  };

  /** Records one step (row, logs, stock) and moves the state on. */
  const record = async (command: Command, extra: Partial<AfterSaleStepRecord> = {}): Promise<void> => {
    const check = checkAfterSaleAction({ status: state.status, action: command.action, actor: command.actor, serviceType: input.serviceType }) as { to: AfterSaleStatus };
    const seq = state.steps.length + 1;
    const from = state.status;
    const by = command.actor === Actor.SYSTEM_TIMER ? 'deadline' : command.actor === Actor.SYSTEM ? 'system' : command.actor.toLowerCase();
    const nowMs = Date.now();
    const next = deadlineIn(check.to, nowMs);
    const detail = [
      extra.agreedFen !== undefined && money ? `refund ${formatFen(extra.agreedFen)} CNY` : undefined,
      command.returnShipment ? `${command.returnShipment.carrier} ${command.returnShipment.trackingNo}` : undefined,
      command.receipt ? command.receipt.map((r) => `line ${r.orderItemId}: ${r.goodNum} good, ${r.damagedNum} damaged`).join('; ') : undefined,
      extra.refundSn ? `refund ${extra.refundSn}` : undefined,
      extra.linkedOrderSn ? `order ${extra.linkedOrderSn}` : undefined,
      command.reason,
    ].filter(Boolean).join('; ');
    const message = `after-sale ${input.serviceSn} (${input.serviceType}): ${LABEL[command.action]} (${by})${detail ? `: ${detail}` : ''}`;
    await acts.applyAfterSaleStep.executeWithOptions(
      { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `${LABEL[command.action]} by ${by}: ${from} → ${check.to}` },
      [{ serviceSn: input.serviceSn, orderSn: input.orderSn, serviceType: input.serviceType, seq, action: command.action, from, to: check.to, actor: command.actor, actorId: command.actorId, message, deadline: next ? { action: next.action, atIso: new Date(next.atMs).toISOString() } : null, ...extra }],
    );
    state.steps.push({ seq, action: command.action, actor: command.actor, from, to: check.to, atIso: new Date(nowMs).toISOString() });
    if (check.to !== from) waitingSince = nowMs;
    setStatus(check.to);
  };

  /** Records the refund (once per cause key, within what remains, lowering each line once) and its step. */
  const startRefund = async (command: Command, refundFen: number): Promise<string | undefined> => {
    const lines = splitRefundOverLines(input.lines, refundFen)!;
    try {
      const created = await acts.createRefund.executeWithOptions(
        { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record the after-sale refund of ${formatFen(refundFen)} CNY over ${lines.length} line(s)` },
        [{ causeKey: `after-sale:${input.serviceSn}:1`, orderSn: input.orderSn, reason: `after-sale ${input.serviceSn}`, refundFen, lines }],
      );
      await record(command, { refundSn: created.refundSn, agreedFen: refundFen });
      state.agreedFen = refundFen;
      state.refund = { refundSn: created.refundSn, refundFen: created.refundFen, provider: created.provider, status: created.status };
      return undefined;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      return err.cause?.message ?? err.message;
    }
  };

  const execute = async (command: Command): Promise<void> => {
    try {
      const refusal = refusalOf(command);
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      if (command.action === AfterSaleAction.AUDIT_PASS) {
        const agreedFen = money ? (command.refundFen ?? input.requestedFen) : 0;
        await record(command, { agreedFen });
        state.agreedFen = agreedFen;
      } else if (command.action === AfterSaleAction.AUDIT_REFUSE) {
        await record(command, { refuseReason: command.reason });
        state.closedReason = command.reason;
      } else if (command.action === AfterSaleAction.SHIP_RETURN) {
        await record(command, { returnShipment: command.returnShipment });
      } else if (command.action === AfterSaleAction.RECEIVE) {
        // Fewer units than were sent back: the same receipt is recorded, and support decides.
        const complete = receiptComplete(input.lines, command.receipt!);
        await record(complete ? command : { ...command, action: AfterSaleAction.RECEIVE_SHORT }, { receipt: command.receipt });
      } else if (command.action === AfterSaleAction.SUPPORT_REFUND) {
        const failed = await startRefund(command, command.refundFen!);
        if (failed) command.refusal = failed;
      } else {
        const closes = command.action === AfterSaleAction.WITHDRAW || command.action === AfterSaleAction.EXPIRE || command.action === AfterSaleAction.SUPPORT_CLOSE;
        await record(command, closes ? { closedReason: command.reason } : {});
        if (closes) state.closedReason = command.reason;
      }
    } finally {
      command.done = true;
    }
  };

  // 1. The order workflow accepts the application (its window and status rules), or refuses it.
  upsertSearchAttributes({ AfterSaleStatus: [AfterSaleStatus.APPLY] });
  try {
    await orderAnswer.openAfterSaleOnOrder.executeWithOptions({ startToCloseTimeout: '30s', summary: `Ask order ${input.orderSn} to open the after-sale` }, [
      input.orderSn,
      { serviceSn: input.serviceSn, serviceType: input.serviceType, returnsGoods: goodsBack, lines: input.lines.map((l) => ({ orderItemId: l.orderItemId, num: l.num })), buyerId: input.buyerId },
    ]);
    accepted = true;
  } catch (err) {
    if (!isRefused(err)) throw err;
    const reason = err.cause?.message ?? 'the order refused the after-sale';
    await record({ action: AfterSaleAction.ORDER_REFUSED, actor: Actor.SYSTEM, reason }, { closedReason: reason });
    state.closedReason = reason;
    state.opening = { accepted: false, reason };
  }
  // Answered only once the step is in the row, so the API's answer reads it.
  if (accepted) {
    await record({ action: AfterSaleAction.OPEN, actor: Actor.SYSTEM });
    state.opening = { accepted: true };
  }

  // 2. People's steps and deadlines until the after-sale is decided.
  for (;;) {
    if (isAfterSaleFinal(state.status)) break;
    const automatic =
      (state.status === AfterSaleStatus.PASS && !goodsBack) || state.status === AfterSaleStatus.STOCK_IN || state.status === AfterSaleStatus.REFUNDING;
    if (automatic) {
      if (state.status !== AfterSaleStatus.REFUNDING && money) {
        const failed = await startRefund({ action: AfterSaleAction.START_REFUND, actor: Actor.SYSTEM }, state.agreedFen ?? input.requestedFen);
        if (failed) await record({ action: AfterSaleAction.REFUND_BLOCKED, actor: Actor.SYSTEM, reason: failed });
        continue;
      }
      if (state.status === AfterSaleStatus.REFUNDING) {
        await runRefund();
        await record({ action: AfterSaleAction.COMPLETE, actor: Actor.SYSTEM }, { refundedFen: state.refund!.refundFen });
        continue;
      }
      // Exchange or re-ship: the zero-price linked order (created once per after-sale) ships the goods.
      const orderType = linkedOrderType(input.serviceType)!;
      let linked: { orderSn: string };
      try {
        linked = await orderSide.createLinkedOrder.executeWithOptions({ startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Create the ${orderType} order` }, [
          { serviceSn: input.serviceSn, sourceOrderSn: input.orderSn, orderType, lines: input.lines.map((l) => ({ skuId: l.skuId, num: l.num })) },
        ]);
      } catch (err) {
        // Out of stock (or the SKU gone): support decides instead of the workflow failing.
        if (!(err instanceof ActivityFailure)) throw err;
        await record({ action: AfterSaleAction.LINKED_ORDER_BLOCKED, actor: Actor.SYSTEM, reason: err.cause?.message ?? err.message });
        continue;
      }
      state.linkedOrderSn = linked.orderSn;
      await record({ action: AfterSaleAction.COMPLETE, actor: Actor.SYSTEM }, { linkedOrderSn: linked.orderSn, refundedFen: 0 });
      continue;
    }
    const deadline = deadlineIn(state.status, waitingSince);
    state.waitingOn = waitingOnIn(state.status);
    state.deadline = deadline && { action: deadline.action, atIso: new Date(deadline.atMs).toISOString() };
    overdue = false;
    const woken = deadline
      ? await condition(() => queue.length > 0 || overdue, Math.max(deadline.atMs - Date.now(), 1))
      : (await condition(() => queue.length > 0), true);
    if (woken && queue.length) await execute(queue.shift()!);
    else if (deadline && Date.now() >= deadline.atMs) await execute(deadline);
  }
  state.waitingOn = undefined;
  state.deadline = undefined;
  closedReason = `the after-sale is closed (${state.status})`;
  for (const command of queue.splice(0)) {
    command.refusal = closedReason;
    command.done = true;
  }

  // 3. The order workflow learns the outcome (its own timers wait while a return is open).
  if (state.opening?.accepted) {
    await orderAnswer.closeAfterSaleOnOrder.executeWithOptions({ startToCloseTimeout: '30s', summary: `Tell order ${input.orderSn} the after-sale is ${state.status}` }, [
      input.orderSn,
      { serviceSn: input.serviceSn, outcome: state.status === AfterSaleStatus.COMPLETED ? 'COMPLETED' : state.status === AfterSaleStatus.REFUSE ? 'REFUSED' : 'CLOSED', refundedFen: state.status === AfterSaleStatus.COMPLETED ? (state.refund?.refundFen ?? 0) : 0 },
    ]);
  }
  await condition(allHandlersFinished);
  return state;

  /**
   * The refund runs through the same refund workflow as cancellations and complaints (submit with the
   * stored number, poll, park ABNORMAL/CLOSED for support); a CLOSED one support re-issues gets a new
   * number under the next cause key.
   */
  async function runRefund(): Promise<void> {
    for (let attempt = 2; ; attempt += 1) {
      const refund = state.refund!;
      const outcome = await executeChild(refundWorkflow, {
        workflowId: refundWorkflowId(refund.refundSn),
        args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, pollScheduleMs: input.refundPollScheduleMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `After-sale ${input.serviceSn}: ${describeRefund(refund.refundFen, refund.provider)}`,
        searchAttributes: { OrderSn: [input.orderSn], ServiceSn: [input.serviceSn], RefundStatus: [refund.status] },
      });
      refund.status = outcome.status;
      if (outcome.status !== 'REISSUE') return;
      // The CLOSED refund gave its lines their money back: the new number takes the same amount from the same lines.
      const created = await acts.createRefund.executeWithOptions(
        { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `Record re-issued after-sale refund #${attempt} under a new number` },
        [{ causeKey: `after-sale:${input.serviceSn}:${attempt}`, orderSn: input.orderSn, reason: `after-sale ${input.serviceSn}`, refundFen: refund.refundFen, reissueOf: refund.refundSn }],
      );
      state.refund = { refundSn: created.refundSn, refundFen: created.refundFen, provider: created.provider, status: created.status };
    }
  }
}
