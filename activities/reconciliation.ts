import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { ProviderInbox } from '../apps/shared/provider-inbox';
import { DifferenceKind, DifferenceStatus, isBillDate } from '../domain';
import { BillIntegrityError, BillRow, PaymentProvider, ProviderError, ProviderName } from '../payments';
import { ComparePageRequest, OurSidePageRequest, ReconciliationCompare, SYSTEM_ACTOR } from './reconciliation-compare';
import { runStep } from '../db/business-events';
import { autoFixReconciliationCase, noteOpenReconciliationCase } from '../db/reconciliation-cases';
import {
  analyzeBillRows,
  beginReconciliationRun,
  countDifferencesByKind,
  deleteBillRowsBatch,
  finishReconciliationRun,
  insertBillRows,
  readStrandedPaymentCases,
  setRunBillTotals,
} from '../db/reconciliation';
import { askProvider, toActivityFailure } from './provider-failures';
import { ErrorCode } from '../domain/error-codes';

/** Bill rows per INSERT while loading: big enough to be fast, small enough for one packet. */
const LOAD_BATCH = 1000;
/** Stranded payments handed over per activity call (each one a provider query and a signal). */
const HANDOVER_PAGE = 50;

export interface BillLoaded {
  payments: number;
  paymentFen: number;
  refunds: number;
  refundFen: number;
  digest?: string;
}

export interface ReconciliationDay {
  runId: number;
  provider: ProviderName;
  billDate: string;
}

/**
 * The effects of a reconciliation run. The run row (provider, bill_date) is the day's one record:
 * begin() finds it on a re-run, loadBill() replaces the downloaded bill, the comparison pages record
 * each difference once, the stranded payments are handed to the order's own payment path, and
 * finish() writes the counts. Every step can run twice.
 */
export class ReconciliationActivities {
  readonly compare: ReconciliationCompare;

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: Record<ProviderName, PaymentProvider>,
    private readonly inbox: ProviderInbox | undefined,
  ) {
    this.compare = new ReconciliationCompare(dataSource);
  }

  async beginReconciliation(request: { provider: ProviderName; billDate: string }): Promise<ReconciliationDay> {
    if (!this.providers[request.provider]) throw ApplicationFailure.nonRetryable(`unknown provider ${request.provider}`, ErrorCode.BadReconciliationRequest);
    if (!isBillDate(request.billDate)) throw ApplicationFailure.nonRetryable(`bill date must be yyyy-MM-dd, got ${request.billDate}`, ErrorCode.BadReconciliationRequest);
    const execution = Context.current().info.workflowExecution;
    if (!execution) throw ApplicationFailure.nonRetryable('a reconciliation run is begun by its workflow', ErrorCode.BadReconciliationRequest);
    // run_count counts executions, not attempts: a retried begin() of the same execution adds nothing.
    const runId = await beginReconciliationRun(this.dataSource, { provider: request.provider, billDate: request.billDate, workflowId: execution.workflowId, executionId: execution.runId });
    return { runId, provider: request.provider, billDate: request.billDate };
  }

  /** Downloads and verifies the bill, streaming its rows into reconciliation_bill_row (replacing a previous download). */
  async loadBill(day: ReconciliationDay): Promise<BillLoaded> {
    const bill = await askProvider(() => this.providers[day.provider].fetchTradeBill(day.billDate));
    for (;;) {
      if ((await deleteBillRowsBatch(this.dataSource, day.runId)) === 0) break;
    }
    let batch: BillRow[] = [];
    let loaded = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await insertBillRows(this.dataSource, day.runId, batch);
      loaded += batch.length;
      batch = [];
      Context.current().heartbeat(loaded);
    };
    try {
      for await (const row of bill.rows) {
        batch.push(row);
        if (batch.length >= LOAD_BATCH) await flush();
      }
    } catch (err) {
      // A file that did not arrive whole is downloaded again (the rows loaded so far are replaced).
      if (err instanceof BillIntegrityError) throw ApplicationFailure.retryable(err.message, ErrorCode.BillIntegrity);
      throw toActivityFailure(err);
    }
    await flush();
    // The table just grew by a whole bill: fresh index statistics keep the comparison pages' correlated
    // lookups on their indexes (with stale ones the first day's pages ran ten times slower).
    await analyzeBillRows(this.dataSource);
    const t = bill.totals;
    await setRunBillTotals(this.dataSource, day.runId, bill.digest ?? null, t);
    log.info('bill loaded', { provider: day.provider, billDate: day.billDate, rows: loaded });
    return { ...t, ...(bill.digest ? { digest: bill.digest } : {}) };
  }

  compareBillPage(request: ComparePageRequest) {
    return this.compare.compareBillPage(request);
  }

  compareOurSidePage(request: OurSidePageRequest) {
    return this.compare.compareOurSidePage(request);
  }

  /**
   * The automatic fix for money we hold without an order knowing: each open stranded payment of a
   * known order is confirmed with the provider's own query (the source of truth) and handed to the
   * order's payment path exactly as a verified notification is — the order becomes paid, or its
   * late-payment workflow refunds the money, by the existing rules. Unknown orders stay open for support.
   */
  async handOverStrandedPayments(request: ReconciliationDay & { afterId: number }): Promise<{ lastId: number; exhausted: boolean; handedOver: number }> {
    if (!this.inbox) throw ApplicationFailure.nonRetryable('this worker was built without a Temporal client for reconciliation', ErrorCode.ReconciliationNotConfigured);
    const rows = await readStrandedPaymentCases(this.dataSource, { runId: request.runId, kind: DifferenceKind.STRANDED_PAYMENT, status: DifferenceStatus.OPEN, afterId: request.afterId, limit: HANDOVER_PAGE });
    let handedOver = 0;
    for (const row of rows) {
      // A trade payment is handed to its trade's orders (the inbox gives each its share).
      const owner = row.order_sn ? `order ${row.order_sn}` : row.trade_sn ? `trade ${row.trade_sn}` : undefined;
      if (!owner) {
        await this.note(row.id, 'no order of ours has this out_trade_no: support must find the buyer and refund');
        continue;
      }
      let paid;
      try {
        paid = await this.providers[request.provider].queryPayment(row.out_trade_no);
      } catch (err) {
        if (err instanceof ProviderError && !err.retryable) {
          await this.note(row.id, `provider query refused: ${err.code}`);
          continue;
        }
        throw toActivityFailure(err);
      }
      if (paid.state !== 'PAID' || !paid.transactionId || paid.amountFen !== Number(row.amount_fen)) {
        await this.note(row.id, `provider query says ${paid.state}${paid.amountFen !== undefined ? ` ${paid.amountFen} fen` : ''}, our payment is ${row.amount_fen} fen: not handed over`);
        continue;
      }
      // Exactly the path a verified notification takes (amount check, inbox dedupe, delivery). The
      // inbox id names the day, so a re-run of the same day delivers nothing twice.
      const outcome = await this.inbox.accept({
        provider: request.provider,
        kind: 'payment',
        notificationId: `reconciliation:${request.provider}:${request.billDate}:${row.out_trade_no}`,
        outTradeNo: row.out_trade_no,
        transactionId: paid.transactionId,
        state: 'PAID',
        amountFen: paid.amountFen,
        ...(paid.paidAt ? { paidAt: paid.paidAt } : {}),
      });
      if (!outcome.accepted) {
        await this.note(row.id, `not handed over: ${outcome.reason}`);
        continue;
      }
      const how = row.trade_sn
        ? `handed to trade ${row.trade_sn}'s orders, each with its share${outcome.deliveredTo === 'late-payment' ? ' (a finished order\'s share is refunded by its late-payment workflow)' : ''}`
        : outcome.deliveredTo === 'late-payment'
          ? `order ${row.order_sn}'s workflow has finished: handed to late-payment-${row.out_trade_no}, which refunds it`
          : `handed to order ${row.order_sn}'s workflow as a verified payment`;
      await runStep(this.dataSource, (manager) => autoFixReconciliationCase(manager, Number(row.id), how, SYSTEM_ACTOR));
      handedOver += 1;
    }
    const last = rows[rows.length - 1];
    return { lastId: last ? Number(last.id) : request.afterId, exhausted: rows.length < HANDOVER_PAGE, handedOver };
  }

  async finishReconciliation(request: ReconciliationDay & { matched: number; matchedFen: number }): Promise<{ differences: Partial<Record<DifferenceKind, number>>; differenceCount: number }> {
    const rows = (await countDifferencesByKind(this.dataSource, request.provider, request.billDate)) as { kind: DifferenceKind; n: number | string }[];
    const differences: Partial<Record<DifferenceKind, number>> = {};
    let differenceCount = 0;
    for (const row of rows) {
      differences[row.kind] = Number(row.n);
      differenceCount += Number(row.n);
    }
    await finishReconciliationRun(this.dataSource, request.runId, { matched: request.matched, matchedFen: request.matchedFen, differenceCount });
    return { differences, differenceCount };
  }

  /** Why an open stranded payment was not handed over, for the support case (kept OPEN). */
  private async note(differenceId: number, why: string): Promise<void> {
    await noteOpenReconciliationCase(this.dataSource, differenceId, why);
  }
}
