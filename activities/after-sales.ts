import { ApplicationFailure } from '@temporalio/common';
import { DataSource, EntityManager } from 'typeorm';
import { AfterSaleAction, AfterSaleStatus, ServiceType, refundsMoney } from '../domain';
import { appendEntityStepLog } from '../db/order-log';
import { runStep } from '../db/business-events';
import { AFTER_SALE_ACTION_EVENTS, eventActor } from '../domain/events';
import { recordStockMovement } from '../db/stock-ledger';
import { afterSaleStepLogged, insertAfterSaleLog, lockAfterSaleStatus, readAfterSaleLineQuantities, readAfterSaleLineSku, recordAfterSaleLineReceipt, writeAfterSaleStep } from '../db/after-sales';
import { ErrorCode } from '../domain/error-codes';

/** One after-sale step, decided by its workflow (which consulted the after-sale flow table). */
export interface AfterSaleStepRecord {
  serviceSn: string;
  orderSn: string;
  serviceType: ServiceType;
  /** The step's number in the workflow: names the log rows, so a retry is a no-op. */
  seq: number;
  action: AfterSaleAction;
  from: AfterSaleStatus;
  to: AfterSaleStatus;
  actor: string;
  actorId?: string;
  /** The after-sale and order log line for this step. */
  message: string;
  /** The deadline that runs once the step is done (the sweep's safety net reads it); null: none. */
  deadline: { action: AfterSaleAction; atIso: string } | null;
  agreedFen?: number;
  refuseReason?: string;
  closedReason?: string;
  returnShipment?: { carrier: string; trackingNo: string };
  receipt?: { orderItemId: number; goodNum: number; damagedNum: number }[];
  refundSn?: string;
  /** COMPLETE: the money refunded, and the linked order created. */
  refundedFen?: number;
  linkedOrderSn?: string;
}

const cause = (serviceSn: string) => `after-sale:${serviceSn}`;

/**
 * After-sale effects: each step is the after_sale row's compare-and-set (status = from), the step's
 * own fields, its stock/sales ledger rows, its after-sale log row, its order log row and its business
 * event (after_sale.*), in one transaction. The log row's key (service_sn, seq) makes a retry after a commit report the step as
 * done without repeating it; the ledger's key (order, sku, kind, after-sale) moves stock once.
 */
export class AfterSaleActivities {
  constructor(private readonly dataSource: DataSource) {}

  async applyAfterSaleStep(step: AfterSaleStepRecord): Promise<{ replayed: boolean; status: AfterSaleStatus }> {
    return runStep(this.dataSource, async (manager) => {
      const row = await lockAfterSaleStatus(manager, step.serviceSn);
      if (!row) throw ApplicationFailure.nonRetryable(`after-sale ${step.serviceSn} does not exist`, ErrorCode.AfterSaleNotFound);
      if (await afterSaleStepLogged(manager, step.serviceSn, step.seq)) return { replayed: true, status: row.status };
      if (row.status !== step.from) {
        // Only this after-sale's workflow writes the row: a mismatch is a hand edit it must not paper over.
        throw ApplicationFailure.nonRetryable(`after-sale ${step.serviceSn} is ${row.status}, expected ${step.from}`, ErrorCode.AfterSaleMoved);
      }
      await writeAfterSaleStep(manager, step);
      if (step.receipt) await this.recordReceipt(manager, step);
      if (step.action === AfterSaleAction.COMPLETE && refundsMoney(step.serviceType) && (step.refundedFen ?? 0) > 0) await this.returnSales(manager, step);
      await insertAfterSaleLog(manager, step);
      await appendEntityStepLog(
        manager,
        { ...step, eventKey: `after-sale:${step.serviceSn}:${step.seq}:${step.action}`, operation: 'AFTER_SALE' },
        { type: 'after_sale', id: step.serviceSn },
        {
          type: AFTER_SALE_ACTION_EVENTS[step.action],
          key: `${step.seq}:${step.action}`,
          payload: {
            serviceSn: step.serviceSn,
            orderSn: step.orderSn,
            serviceType: step.serviceType,
            seq: step.seq,
            action: step.action,
            from: step.from,
            to: step.to,
            agreedFen: step.agreedFen ?? null,
            refuseReason: step.refuseReason ?? null,
            closedReason: step.closedReason ?? null,
            returnShipment: step.returnShipment ?? null,
            receipt: step.receipt ?? null,
            refundSn: step.refundSn ?? null,
            refundedFen: step.refundedFen ?? null,
            linkedOrderSn: step.linkedOrderSn ?? null,
            deadline: step.deadline ? { action: step.deadline.action, at: step.deadline.atIso } : null,
            actor: eventActor(step.actor, step.actorId),
            message: step.message,
          },
        },
      );
      return { replayed: false, status: step.to };
    });
  }

  /** The seller's count per line, and the good units back on the shelf (once per after-sale and line). */
  private async recordReceipt(manager: EntityManager, step: AfterSaleStepRecord): Promise<void> {
    for (const entry of step.receipt ?? []) {
      const item = await readAfterSaleLineSku(manager, step.serviceSn, entry.orderItemId);
      if (!item) throw ApplicationFailure.nonRetryable(`after-sale ${step.serviceSn} has no line ${entry.orderItemId}`, ErrorCode.AfterSaleLineNotFound);
      await recordAfterSaleLineReceipt(manager, step.serviceSn, entry);
      if (entry.goodNum > 0) await recordStockMovement(manager, step.orderSn, item.sku_id, entry.goodNum, 'RETURN_RESTOCK', cause(step.serviceSn));
    }
  }

  /** Sales taken back for every unit the after-sale refunded (returned or not). */
  private async returnSales(manager: EntityManager, step: AfterSaleStepRecord): Promise<void> {
    const items = await readAfterSaleLineQuantities(manager, step.serviceSn);
    for (const item of items) await recordStockMovement(manager, step.orderSn, item.sku_id, item.num, 'SALE_RETURN', cause(step.serviceSn));
  }
}
