import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { CancelRefusal, CancelRefusalCode, OrderStatus, PayStatus, cancelRefusalFrom } from '../domain';
import { ErrorCode } from '../domain/error-codes';
import { readOrderPayStatus, readOrderStatus } from '../db/order-reads';
import {
  AfterSaleClosing,
  AfterSaleOpened,
  AfterSaleOpening,
  CancelRequest,
  CancellationSettled,
  OPERATION_REFUSED,
  cancelUpdate,
  cancellationSettledUpdate,
  closeAfterSaleUpdate,
  openAfterSaleUpdate,
  orderWorkflowId,
} from '../workflows/order.contract';
import type { CancelAnswer } from '../workflows/cancellation.contract';

/**
 * Requests other workflows make of an order. Workflows cannot send Updates to one another, so these
 * activities send them through the worker's Temporal client; the order workflow decides (its Update
 * validators and handlers) and writes its own statuses. A refusal comes back as a non-retryable
 * OPERATION_REFUSED failure carrying the order's reason, for the caller to act on (an after-sale
 * refused by the order closes, it does not retry).
 *
 * Running twice is harmless: both Updates are idempotent per serviceSn in the order workflow, so a
 * retry after a lost answer gets the first answer.
 */
export class OrderRequestActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: () => Client | undefined,
  ) {}

  private client(): Client {
    const client = this.temporal();
    if (!client) throw ApplicationFailure.nonRetryable('this worker was built without a Temporal client to message orders with', ErrorCode.NoTemporalClient);
    return client;
  }

  /**
   * Waits for the order's answer only while the activity runs: a worker shutting down cancels it, and
   * must not wait for an Update whose workflow task only this (stopping) worker would have run. The
   * retry then sends the Update again, under the same updateId, so it is the same Update.
   *
   * It heartbeats while it waits: the order's answer can take a while (the order workflow's own task
   * waits for a worker), and a worker SIGKILLed mid-wait is then noticed within the heartbeat timeout
   * (seconds) instead of the start-to-close timeout — the 1,000-order chaos run saw an after-sale's
   * opening take five minutes of such 30 s timeouts and backoffs.
   */
  private untilCancelled<T>(call: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client();
    const signal = activityCancellation();
    const beat = setInterval(heartbeat, HEARTBEAT_EVERY_MS);
    const answer = signal ? client.withAbortSignal(signal, () => call(client)) : call(client);
    return answer.finally(() => clearInterval(beat));
  }

  /** Asks `order-{orderSn}` to take the after-sale on (the order's statuses say so from then on). */
  async openAfterSaleOnOrder(orderSn: string, opening: AfterSaleOpening): Promise<AfterSaleOpened> {
    try {
      return await this.untilCancelled((client) => client.workflow.getHandle(orderWorkflowId(orderSn)).executeUpdate(openAfterSaleUpdate, { args: [opening], updateId: `open-after-sale-${opening.serviceSn}` }));
    } catch (err) {
      throw refusalOf(err, orderSn) ?? err;
    }
  }

  /**
   * Tells `order-{orderSn}` the after-sale ended. A workflow that has finished meanwhile can only
   * have finished after this after-sale closed on it (it waits for its open after-sales), so a retry
   * then answers with the row's status instead of a refusal.
   */
  async closeAfterSaleOnOrder(orderSn: string, closing: AfterSaleClosing): Promise<OrderStatus> {
    try {
      return await this.untilCancelled((client) => client.workflow.getHandle(orderWorkflowId(orderSn)).executeUpdate(closeAfterSaleUpdate, { args: [closing], updateId: `close-after-sale-${closing.serviceSn}` }));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const row = await readOrderStatus(this.dataSource, orderSn);
        if (row) return row.order_status as OrderStatus;
      }
      throw refusalOf(err, orderSn) ?? err;
    }
  }

  /**
   * The cancellation workflow asks `order-{orderSn}` to cancel: the order checks its table and runs
   * its own compare-and-set. One updateId per cancellation request, so a retry (or the order's own
   * child asking for a cancel it decided) gets the first answer. A refusal is an answer, not a failure.
   */
  async askOrderToCancel(request: CancelRequest & { orderSn: string }): Promise<CancelAnswer> {
    const { orderSn, ...ask } = request;
    try {
      return { accepted: await this.untilCancelled((client) => client.workflow.getHandle(orderWorkflowId(orderSn)).executeUpdate(cancelUpdate, { args: [ask], updateId: `cancellation-${ask.cancellationId}` })) };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) return { refused: cancelRefusalOf(err) };
      if (err instanceof WorkflowNotFoundError) return { refused: { code: CancelRefusalCode.ORDER_FINISHED, reason: `order ${orderSn} has no running workflow (it is finished)` } };
      throw err;
    }
  }

  /**
   * Tells `order-{orderSn}` that a won cancel's money and stock are back: it settles its own pay
   * status. The order waits for this before it finishes, so a finished workflow on a retry has
   * settled already (the row no longer says REFUNDING).
   */
  async tellOrderCancellationSettled(request: CancellationSettled & { orderSn: string }): Promise<void> {
    const { orderSn, ...settled } = request;
    try {
      await this.untilCancelled((client) => client.workflow.getHandle(orderWorkflowId(orderSn)).executeUpdate(cancellationSettledUpdate, { args: [settled], updateId: `cancellation-settled-${settled.cancellationId}` }));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const row = await readOrderPayStatus(this.dataSource, orderSn);
        if (row && row.pay_status !== PayStatus.REFUNDING) return;
      }
      throw refusalOf(err, orderSn) ?? err;
    }
  }
}

/** The catalogue code a refusal of the order's cancel Update carries (its failure type), else the table's. */
function cancelRefusalOf(err: WorkflowUpdateFailedError): CancelRefusal {
  const cause = err.cause as { message?: string; type?: string } | undefined;
  return cancelRefusalFrom(cause?.type, cause?.message ?? err.message);
}

/** The order said no (validator or handler), or has no running workflow: a non-retryable refusal with the reason. */
function refusalOf(err: unknown, orderSn: string): ApplicationFailure | undefined {
  if (err instanceof WorkflowUpdateFailedError) return ApplicationFailure.nonRetryable(err.cause?.message ?? err.message, OPERATION_REFUSED);
  if (err instanceof WorkflowNotFoundError) return ApplicationFailure.nonRetryable(`order ${orderSn} has no running workflow (it is finished)`, OPERATION_REFUSED);
  return undefined;
}

/** How often an activity waiting on another workflow says it is alive (its heartbeat timeout is a few times this). */
const HEARTBEAT_EVERY_MS = 2_000;

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // Called outside an activity (a test calling the method directly): nothing to tell.
  }
}

/** The running activity's cancellation signal; none when called outside an activity (a test calling the method directly). */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
