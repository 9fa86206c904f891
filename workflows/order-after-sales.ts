/**
 * The order workflow's side of after-sales (issue 10, points 7 and 9). An after-sale workflow asks
 * the order to take it on (openAfterSale) and tells it when it ends (closeAfterSale); the order
 * answers from its own state and alone writes what its statuses say about it:
 *
 * - order_status does not change (no AFTER_SERVICE: it keeps saying how far delivery got);
 * - service_status is APPLY while any after-sale is open, then EXPIRED once received / NOT_APPLY
 *   before (domain orderServiceStatusWithAfterSales), written with a log row by recordAfterSale;
 * - pay_status and ship_status stay as they are: per-line refunds live on refund rows;
 * - while one that returns goods is open, the order's own timers (auto-receive, auto-complete, COD
 *   auto-pay) wait, and fire when it closes if their time has passed; whole-order cancel is refused.
 *
 * Both Updates are idempotent per serviceSn: a retry (or a copy racing the first) gets the first answer.
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import { ErrorCode } from '../domain/error-codes';
import { refusalFailure } from './refusals';
import { Actor, OrderStatus, afterSaleApplyRefusal, formatFen, orderServiceStatusWithAfterSales } from '../domain';
import {
  AfterSaleClosing,
  AfterSaleOpened,
  AfterSaleOpening,
  OPERATION_REFUSED,
  closeAfterSaleUpdate,
  openAfterSaleUpdate,
} from './order.contract';
import { AFTER_SALE, Command, OrderRun } from './order-run';

const SERVICE_TYPES: readonly string[] = ['RETURN_GOODS', 'REFUND_ONLY', 'CHANGE_GOODS', 'SUPPLY_AGAIN_GOODS'];
const OUTCOMES: readonly string[] = ['COMPLETED', 'CLOSED', 'REFUSED'];

export class OrderAfterSales {
  /** The answer each serviceSn got when it opened (a retried Update gets it again). */
  private readonly opened = new Map<string, AfterSaleOpened>();
  /** The order status each serviceSn's close answered with. */
  private readonly closed = new Map<string, OrderStatus>();
  /** Commands queued and not yet executed, by serviceSn: a copy of the same Update waits for the first. */
  private readonly pendingOpen = new Map<string, Command>();
  private readonly pendingClose = new Map<string, Command>();

  constructor(
    private readonly run: OrderRun,
    /** Why the order takes nothing now (a cancellation running); undefined if nothing. */
    private readonly busy: () => string | undefined,
  ) {}

  openCount(): number {
    return this.run.state.afterSales.filter((a) => a.open).length;
  }

  /** The open after-sales that hold the order's timers (those returning goods), by serviceSn. */
  holdingTimers(): string[] {
    return this.run.state.afterSales.filter((a) => a.open && a.returnsGoods).map((a) => a.serviceSn);
  }

  /** Why whole-order cancel is refused now; undefined when no after-sale is open. */
  cancelBlockedBy(): string | undefined {
    const open = this.run.state.afterSales.filter((a) => a.open).map((a) => a.serviceSn);
    return open.length ? `order ${this.run.input.orderSn} has an open after-sale (${open.join(', ')}): it cannot be cancelled as a whole until that closes` : undefined;
  }

  /** Why no new after-sale may open now (domain/after-sale-window.ts, on the workflow's own state). */
  openRefusal(): string | undefined {
    const { input, state, at } = this.run;
    return this.busy() ?? afterSaleApplyRefusal({ flow: input.flow, status: state.status, completedAtMs: at[OrderStatus.COMPLETE], settings: input.settings, nowMs: Date.now() });
  }

  /** The one queued command for `serviceSn` (a copy of the same Update waits for the first), once it has run. */
  private async runOnce(pending: Map<string, Command>, serviceSn: string, make: () => Command): Promise<Command> {
    let command = pending.get(serviceSn);
    if (!command) {
      command = make();
      pending.set(serviceSn, command);
      this.run.loop.enqueue(command);
    }
    const waitFor = command;
    await condition(() => waitFor.done === true);
    return waitFor;
  }

  registerHandlers(): void {
    const { run } = this;
    setHandler(
      openAfterSaleUpdate,
      async (opening: AfterSaleOpening): Promise<AfterSaleOpened> => {
        const known = this.opened.get(opening.serviceSn);
        if (known) return known;
        const waitFor = await this.runOnce(this.pendingOpen, opening.serviceSn, () => ({ operation: AFTER_SALE, actor: Actor.BUYER, actorId: opening.buyerId, message: `after-sale ${opening.serviceSn} opened`, afterSale: { open: opening } }));
        if (waitFor.refusal) throw ApplicationFailure.nonRetryable(waitFor.refusal, OPERATION_REFUSED);
        return this.opened.get(opening.serviceSn)!;
      },
      {
        validator: (opening: AfterSaleOpening) => {
          const problem = malformedOpening(opening);
          if (problem) throw refusalFailure(ErrorCode.VALIDATION_FAILED, problem);
          if (this.opened.has(opening.serviceSn) || this.pendingOpen.has(opening.serviceSn)) return;
          const refusal = this.openRefusal();
          if (refusal) throw refusalFailure(this.busy() ? ErrorCode.CANCELLATION_IN_PROGRESS : ErrorCode.AFTER_SALE_NOT_ALLOWED, refusal);
        },
      },
    );
    setHandler(
      closeAfterSaleUpdate,
      async (closing: AfterSaleClosing): Promise<OrderStatus> => {
        const answered = this.closed.get(closing.serviceSn);
        if (answered) return answered;
        // A close sent while its open is still queued waits for the open first.
        const opening = this.pendingOpen.get(closing.serviceSn);
        if (opening) await condition(() => opening.done === true);
        if (!this.opened.has(closing.serviceSn)) {
          // Nothing to let go (its open was refused, or this run never saw it): nothing changes.
          log.warn('close of an after-sale this order does not hold', { orderSn: run.input.orderSn, serviceSn: closing.serviceSn });
          return run.state.status;
        }
        await this.runOnce(this.pendingClose, closing.serviceSn, () => ({ operation: AFTER_SALE, actor: Actor.SYSTEM, message: `after-sale ${closing.serviceSn} ${closing.outcome}`, afterSale: { close: closing } }));
        return this.closed.get(closing.serviceSn) ?? run.state.status;
      },
      {
        validator: (closing: AfterSaleClosing) => {
          if (!closing || typeof closing.serviceSn !== 'string' || closing.serviceSn === '') throw refusalFailure(ErrorCode.VALIDATION_FAILED, 'closing an after-sale needs its serviceSn');
          if (!OUTCOMES.includes(closing.outcome)) throw refusalFailure(ErrorCode.VALIDATION_FAILED, `unknown after-sale outcome "${String(closing.outcome)}"`);
          if (!Number.isSafeInteger(closing.refundedFen) || closing.refundedFen < 0) throw refusalFailure(ErrorCode.VALIDATION_FAILED, 'refundedFen must be a whole number of fen, 0 or more');
        },
      },
    );
  }

  /** Executes a queued after-sale command (the loop's turn): opens or closes, with the order's row. */
  async execute(command: Command): Promise<void> {
    const request = command.afterSale!;
    if ('open' in request) await this.open(command, request.open);
    else await this.close(request.close);
  }

  private async open(command: Command, opening: AfterSaleOpening): Promise<void> {
    const { run } = this;
    const { input, state } = run;
    try {
      if (this.opened.has(opening.serviceSn)) return;
      // Re-checked on the state now: the order may have moved since the validator said yes.
      const refusal = this.openRefusal();
      if (refusal) {
        command.refusal = refusal;
        return;
      }
      const firstOpen = this.openCount() === 0;
      const lines = opening.lines.map((l) => `${l.num} × item ${l.orderItemId}`).join(', ');
      await run.db.recordAfterSale.executeWithOptions(
        { summary: `After-sale ${opening.serviceSn} (${opening.serviceType}) opened${opening.returnsGoods ? ': the order\'s timers wait for the goods' : ''}` },
        [{
          orderSn: input.orderSn,
          serviceSn: opening.serviceSn,
          step: 'open',
          ...(firstOpen ? { serviceStatus: orderServiceStatusWithAfterSales({ flow: input.flow, status: state.status, openAfterSales: 1 }) } : {}),
          message: `after-sale ${opening.serviceSn} (${opening.serviceType}) opened for ${lines}${opening.returnsGoods ? '; the order\'s timers wait until it closes' : ''}`,
        }],
      );
      state.afterSales.push({ serviceSn: opening.serviceSn, returnsGoods: opening.returnsGoods, open: true });
      this.opened.set(opening.serviceSn, { serviceSn: opening.serviceSn, orderStatus: state.status });
    } finally {
      this.pendingOpen.delete(opening.serviceSn);
    }
  }

  private async close(closing: AfterSaleClosing): Promise<void> {
    const { run } = this;
    const { input, state } = run;
    const entry = state.afterSales.find((a) => a.serviceSn === closing.serviceSn);
    if (entry?.open) {
      const stillOpen = this.openCount() - 1;
      const resumesTimers = entry.returnsGoods && this.holdingTimers().length === 1;
      await run.db.recordAfterSale.executeWithOptions(
        { summary: `After-sale ${closing.serviceSn} ${closing.outcome}${resumesTimers ? ': the order\'s timers run again' : ''}` },
        [{
          orderSn: input.orderSn,
          serviceSn: closing.serviceSn,
          step: 'close',
          ...(stillOpen === 0 ? { serviceStatus: orderServiceStatusWithAfterSales({ flow: input.flow, status: state.status, openAfterSales: 0 }) } : {}),
          message: `after-sale ${closing.serviceSn} ${closing.outcome}${closing.refundedFen > 0 ? `, ${formatFen(closing.refundedFen)} CNY refunded` : ''}${resumesTimers ? '; the order\'s timers run again' : ''}`,
        }],
      );
      entry.open = false;
    }
    this.closed.set(closing.serviceSn, state.status);
    this.pendingClose.delete(closing.serviceSn);
  }
}

function malformedOpening(opening: AfterSaleOpening): string | undefined {
  if (!opening || typeof opening.serviceSn !== 'string' || opening.serviceSn === '') return 'an after-sale needs its serviceSn';
  if (!SERVICE_TYPES.includes(opening.serviceType)) return `unknown after-sale service type "${String(opening.serviceType)}"`;
  if (typeof opening.returnsGoods !== 'boolean') return 'returnsGoods must be true or false';
  if (!Array.isArray(opening.lines) || opening.lines.length === 0) return 'an after-sale names at least one order line';
  if (opening.lines.some((l) => !Number.isSafeInteger(l?.orderItemId) || !Number.isSafeInteger(l?.num) || l.num <= 0)) return 'each after-sale line needs an orderItemId and a positive quantity';
  return undefined;
}
