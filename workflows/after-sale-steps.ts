/**
 * What the after-sale workflow does with one step: the rules a step must pass beyond the flow table,
 * the deadline that runs in each status, and the step recorded (row, after-sale log, order log,
 * stock) with the words support reads in the logs. Workflow code: imports only @temporalio/workflow
 * and pure relative modules.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AfterSaleStepRecord } from '../activities/after-sales';
import {
  Actor,
  AfterSaleAction,
  AfterSaleStatus,
  REFUND_REFUSAL_CODES,
  agreedRefundRefusal,
  checkAfterSaleAction,
  formatFen,
  receiptRefusal,
  refundsMoney,
  returnsGoods,
} from '../domain';
import { ErrorCode } from '../domain/error-codes';
import type { AfterSaleState, AfterSaleWorkflowInput, ReceiptLine } from './after-sale.contract';
import type { LoopCommand } from './command-loop';
import { DATABASE_STEP_RETRY, DATABASE_STEP_TIMEOUT } from './retry-policies';

const NOT_RETRYABLE = [ErrorCode.AfterSaleNotFound, ErrorCode.AfterSaleMoved, ErrorCode.AfterSaleLineNotFound, ErrorCode.OrderNotFound, ...REFUND_REFUSAL_CODES];
export const afterSaleActs = proxyActivities<Activities>({ startToCloseTimeout: DATABASE_STEP_TIMEOUT, retry: { ...DATABASE_STEP_RETRY, nonRetryableErrorTypes: NOT_RETRYABLE } });

/** A step to execute: from a person (an Update) or from a deadline. */
export interface Command extends LoopCommand {
  action: AfterSaleAction;
  actor: Actor;
  actorId?: string;
  refundFen?: number;
  reason?: string;
  returnShipment?: { carrier: string; trackingNo: string };
  receipt?: ReceiptLine[];
}

export type Deadline = Command & { atMs: number };

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

/** One after-sale's state and the steps that change it. */
export class AfterSaleSteps {
  readonly state: AfterSaleState;
  readonly linesFen: number;
  readonly money: boolean;
  readonly goodsBack: boolean;
  /** Since when the current status (and so its deadline) runs. */
  waitingSince = Date.now();
  /** The order accepted the application (the audit deadline runs from then). */
  accepted = false;

  constructor(readonly input: AfterSaleWorkflowInput) {
    this.state = { serviceSn: input.serviceSn, orderSn: input.orderSn, serviceType: input.serviceType, status: AfterSaleStatus.APPLY, steps: [] };
    this.linesFen = input.lines.reduce((sum, line) => sum + line.amountFen, 0);
    this.money = refundsMoney(input.serviceType);
    this.goodsBack = returnsGoods(input.serviceType);
  }

  /** Why the step cannot be taken now (the flow table, then the step's own rules), or undefined. */
  refusalOf(command: Command): string | undefined {
    const { input } = this;
    const check = checkAfterSaleAction({ status: this.state.status, action: command.action, actor: command.actor, serviceType: input.serviceType });
    if (!check.allowed) return check.reason;
    switch (command.action) {
      case AfterSaleAction.AUDIT_PASS:
        if (!this.money) return command.refundFen ? `a ${input.serviceType} after-sale refunds nothing; pass it without refundFen` : undefined;
        return command.refundFen === undefined ? undefined : agreedRefundRefusal(command.refundFen, this.linesFen);
      case AfterSaleAction.SUPPORT_REFUND:
        return agreedRefundRefusal(command.refundFen, this.linesFen);
      case AfterSaleAction.AUDIT_REFUSE:
      case AfterSaleAction.WITHDRAW:
      case AfterSaleAction.SUPPORT_CLOSE:
        return command.actor !== Actor.SYSTEM_TIMER && !/\S/.test(command.reason ?? '') ? 'reason must not be empty' : undefined;
      case AfterSaleAction.SHIP_RETURN:
        return /\S/.test(command.returnShipment?.carrier ?? '') && /\S/.test(command.returnShipment?.trackingNo ?? '') ? undefined : 'carrier and trackingNo are required';
      case AfterSaleAction.RECEIVE:
        return receiptRefusal(input.lines, command.receipt ?? []) ?? (command.receipt?.length ? undefined : 'the receipt needs at least one line');
      default:
        return undefined;
    }
  }

  /** The deadline that runs in `status` from `sinceMs`: the seller's audit, the buyer's return, the seller's receipt. */
  deadlineIn(status: AfterSaleStatus, sinceMs: number): Deadline | undefined {
    const { settings } = this.input;
    if (status === AfterSaleStatus.APPLY && this.accepted) {
      return { action: AfterSaleAction.AUDIT_PASS, actor: Actor.SYSTEM_TIMER, reason: 'the seller did not audit in time (AFTER_SALE_AUDIT_DEADLINE): passed at the requested amount', atMs: sinceMs + settings.sellerAuditMs };
    }
    if (status === AfterSaleStatus.PASS && this.goodsBack) {
      return { action: AfterSaleAction.EXPIRE, actor: Actor.SYSTEM_TIMER, reason: 'the goods were not shipped back in time (AFTER_SALE_RETURN_DEADLINE)', atMs: sinceMs + settings.buyerReturnMs };
    }
    if (status === AfterSaleStatus.FULL_COURIER) {
      return { action: AfterSaleAction.RECEIPT_OVERDUE, actor: Actor.SYSTEM_TIMER, reason: 'the seller did not record the receipt in time (AFTER_SALE_RECEIPT_DEADLINE)', atMs: sinceMs + settings.sellerReceiptMs };
    }
    return undefined;
  }

  /** Who the after-sale waits for in its status. */
  waitingOn(): AfterSaleState['waitingOn'] {
    const { status } = this.state;
    if (status === AfterSaleStatus.APPLY || status === AfterSaleStatus.FULL_COURIER) return 'SELLER';
    if (status === AfterSaleStatus.PASS && this.goodsBack) return 'BUYER';
    return status === AfterSaleStatus.WAIT_FOR_MANUAL ? 'SUPPORT' : undefined;
  }

  /** Records one step (row, logs, stock) and moves the state on. */
  async record(command: Command, extra: Partial<AfterSaleStepRecord> = {}): Promise<void> {
    const { input, state } = this;
    const check = checkAfterSaleAction({ status: state.status, action: command.action, actor: command.actor, serviceType: input.serviceType }) as { to: AfterSaleStatus };
    const seq = state.steps.length + 1;
    const from = state.status;
    const by = command.actor === Actor.SYSTEM_TIMER ? 'deadline' : command.actor === Actor.SYSTEM ? 'system' : command.actor.toLowerCase();
    const nowMs = Date.now();
    const next = this.deadlineIn(check.to, nowMs);
    await afterSaleActs.applyAfterSaleStep.executeWithOptions(
      { startToCloseTimeout: DATABASE_STEP_TIMEOUT, summary: `${LABEL[command.action]} by ${by}: ${from} → ${check.to}` },
      [{ serviceSn: input.serviceSn, orderSn: input.orderSn, serviceType: input.serviceType, seq, action: command.action, from, to: check.to, actor: command.actor, actorId: command.actorId, message: this.message(command, by, extra), deadline: next ? { action: next.action, atIso: new Date(next.atMs).toISOString() } : null, ...extra }],
    );
    state.steps.push({ seq, action: command.action, actor: command.actor, from, to: check.to, atIso: new Date(nowMs).toISOString() });
    if (check.to !== from) this.waitingSince = nowMs;
    if (check.to !== state.status) upsertSearchAttributes({ AfterSaleStatus: [check.to] });
    state.status = check.to;
  }

  /** The log line support reads: the step, who took it, and what it carried. */
  private message(command: Command, by: string, extra: Partial<AfterSaleStepRecord>): string {
    const detail = [
      extra.agreedFen !== undefined && this.money ? `refund ${formatFen(extra.agreedFen)} CNY` : undefined,
      command.returnShipment ? `${command.returnShipment.carrier} ${command.returnShipment.trackingNo}` : undefined,
      command.receipt ? command.receipt.map((r) => `line ${r.orderItemId}: ${r.goodNum} good, ${r.damagedNum} damaged`).join('; ') : undefined,
      extra.refundSn ? `refund ${extra.refundSn}` : undefined,
      extra.linkedOrderSn ? `order ${extra.linkedOrderSn}` : undefined,
      command.reason,
    ].filter(Boolean).join('; ');
    return `after-sale ${this.input.serviceSn} (${this.input.serviceType}): ${LABEL[command.action]} (${by})${detail ? `: ${detail}` : ''}`;
  }
}
