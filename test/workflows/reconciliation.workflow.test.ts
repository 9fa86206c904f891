import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { OurSidePageRequest } from '../../activities/reconciliation-compare';
import { BillEntryKind, DifferenceKind, OurRecord, compareBillEntry, previousChinaDay } from '../../domain';
import { ErrorCode } from '../../domain/error-codes';
import {
  RECONCILIATION_WORKFLOW,
  ReconciliationInput,
  ReconciliationProgress,
  ReconciliationWorkflow,
  reconciliationProgressQuery,
} from '../../workflows/reconciliation.contract';
import { LocalWorkflows, activitiesRun, queryUntil, startLocalWorkflows } from './local-env';

/**
 * A reconciliation run alone, the bill and our payment and refund rows in memory (each bill line
 * compared by the domain's rule): the bill page by page, then our own payments and refunds the bill
 * lacks, then the stranded payments handed over, with the counts summed across pages, the progress
 * query on the way, yesterday (China time) as the default day, and a bad request failing at once.
 */
describe('reconciliation workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  type BillLine = { kind: BillEntryKind; ref: string; fen: number };
  type OurRow = OurRecord & { side: 'payments' | 'refunds'; ref: string };

  /**
   * The provider's bill and our rows in memory; each difference is a case recorded once. `holdHandover`
   * keeps the first hand-over page waiting until `release()`; `loadFailures` download attempts fail first.
   */
  function fakeBooks(bill: BillLine[], ours: OurRow[], options: { holdHandover?: boolean; loadFailures?: number; refuseBegin?: string } = {}) {
    const cases = new Map<string, { id: number; kind: DifferenceKind; ref: string; handedOver: boolean }>();
    const calls = { begun: [] as { provider: string; billDate: string }[], loads: 0, billPages: [] as { afterLineNo: number; pageSize: number }[], ourPages: [] as Pick<OurSidePageRequest, 'side' | 'after'>[], handovers: [] as number[], finished: [] as { matched: number; matchedFen: number }[] };
    const note = (kind: DifferenceKind, ref: string) => {
      if (!cases.has(`${kind}:${ref}`)) cases.set(`${kind}:${ref}`, { id: cases.size + 1, kind, ref, handedOver: false });
    };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const activities: Partial<Activities> = {
      async beginReconciliation({ provider, billDate }) {
        calls.begun.push({ provider, billDate });
        if (options.refuseBegin) throw ApplicationFailure.nonRetryable(options.refuseBegin, ErrorCode.BadReconciliationRequest);
        return { runId: 5, provider, billDate };
      },
      async loadBill() {
        calls.loads += 1;
        if (calls.loads <= (options.loadFailures ?? 0)) throw new Error('the provider did not answer');
        const sum = (kind: BillEntryKind) => bill.filter((l) => l.kind === kind);
        return { payments: sum('PAYMENT').length, paymentFen: sum('PAYMENT').reduce((t, l) => t + l.fen, 0), refunds: sum('REFUND').length, refundFen: sum('REFUND').reduce((t, l) => t + l.fen, 0) };
      },
      async compareBillPage({ afterLineNo, pageSize }) {
        calls.billPages.push({ afterLineNo, pageSize });
        const lines = bill.map((line, i) => ({ ...line, lineNo: i + 1 })).filter((l) => l.lineNo > afterLineNo).slice(0, pageSize);
        let matched = 0;
        let matchedFen = 0;
        const before = cases.size;
        for (const line of lines) {
          const difference = compareBillEntry(line.kind, line.fen, ours.find((o) => o.ref === line.ref));
          if (difference) {
            note(difference, line.ref);
          } else {
            matched += 1;
            matchedFen += line.fen;
          }
        }
        return { lastLineNo: lines.at(-1)?.lineNo ?? afterLineNo, exhausted: lines.length < pageSize, matched, matchedFen, differences: cases.size - before };
      },
      async compareOurSidePage({ side, after, pageSize }) {
        calls.ourPages.push({ side, after });
        const rows = ours.map((row, i) => ({ ...row, id: i + 1 })).filter((r) => r.side === side && r.id > (after?.id ?? 0)).slice(0, pageSize);
        const before = cases.size;
        for (const row of rows.filter((r) => !bill.some((l) => l.ref === r.ref))) note(side === 'payments' ? DifferenceKind.PAYMENT_MISSING_AT_PROVIDER : DifferenceKind.REFUND_MISSING_AT_PROVIDER, row.ref);
        const last = rows.at(-1);
        return { next: last ? { atIso: '2026-12-06T10:00:00.000Z', id: last.id } : after ?? { atIso: '', id: 0 }, exhausted: rows.length < pageSize, differences: cases.size - before };
      },
      async handOverStrandedPayments({ afterId }) {
        calls.handovers.push(afterId);
        if (options.holdHandover && calls.handovers.length === 1) await held;
        const next = [...cases.values()].find((c) => c.kind === DifferenceKind.STRANDED_PAYMENT && !c.handedOver && c.id > afterId);
        if (!next) return { lastId: afterId, exhausted: true, handedOver: 0 };
        next.handedOver = true;
        return { lastId: next.id, exhausted: false, handedOver: 1 };
      },
      async finishReconciliation({ matched, matchedFen }) {
        calls.finished.push({ matched, matchedFen });
        const differences: Partial<Record<DifferenceKind, number>> = {};
        for (const c of cases.values()) differences[c.kind] = (differences[c.kind] ?? 0) + 1;
        return { differences, differenceCount: cases.size };
      },
    };
    return { calls, cases, activities, release: () => release() };
  }

  let n = 0;
  const start = (taskQueue: string, input: ReconciliationInput) =>
    local.env.client.workflow.start<ReconciliationWorkflow>(RECONCILIATION_WORKFLOW.workflowType, { taskQueue, workflowId: `reconcile-test-${Date.now()}-${++n}`, args: [input] });

  it('compares the bill page by page, then our payments and refunds, hands the stranded payment over and reports the day', async () => {
    const bill: BillLine[] = [
      { kind: 'PAYMENT', ref: 'P1', fen: 100 },
      { kind: 'PAYMENT', ref: 'P2', fen: 200 },
      { kind: 'PAYMENT', ref: 'P3', fen: 300 },
      { kind: 'REFUND', ref: 'R1', fen: 50 },
      { kind: 'REFUND', ref: 'R2', fen: 60 },
    ];
    const ours: OurRow[] = [
      { side: 'payments', ref: 'P1', status: 'PAID', amountFen: 100 },
      { side: 'payments', ref: 'P2', status: 'PAID', amountFen: 250 },
      { side: 'payments', ref: 'P4', status: 'PAID', amountFen: 400 },
      { side: 'refunds', ref: 'R1', status: 'SUCCESS', amountFen: 50 },
      { side: 'refunds', ref: 'R3', status: 'SUCCESS', amountFen: 70 },
    ];
    const books = fakeBooks(bill, ours, { holdHandover: true });
    await local.withWorker(books.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { provider: 'alipay', billDate: '2026-12-06', pageSize: 2 });
      // Three bill pages (the last short), two of our payments, two of our refunds (the last empty).
      const during = await queryUntil<ReconciliationProgress>(handle, reconciliationProgressQuery.name, (p) => p.step === 'handing over');
      expect(during).toEqual({ provider: 'alipay', billDate: '2026-12-06', step: 'handing over', pagesDone: 7, matched: 2, differencesFound: 5 });
      books.release();
      expect(await handle.result()).toEqual({
        runId: 5,
        provider: 'alipay',
        billDate: '2026-12-06',
        billPayments: 3,
        billPaymentFen: 600,
        billRefunds: 2,
        billRefundFen: 110,
        matched: 2,
        matchedFen: 150,
        differences: { AMOUNT_MISMATCH: 1, STRANDED_PAYMENT: 1, REFUND_NOT_RECORDED: 1, PAYMENT_MISSING_AT_PROVIDER: 1, REFUND_MISSING_AT_PROVIDER: 1 },
        differenceCount: 5,
        handedOver: 1,
      });
      expect((await handle.query(reconciliationProgressQuery)).step).toBe('done');
      expect(await activitiesRun(handle)).toEqual(['beginReconciliation', 'loadBill', ...Array(3).fill('compareBillPage'), ...Array(4).fill('compareOurSidePage'), 'handOverStrandedPayments', 'handOverStrandedPayments', 'finishReconciliation']);
    });
    // Each page starts where the last one stopped.
    expect(books.calls.billPages.map((p) => p.afterLineNo)).toEqual([0, 2, 4]);
    expect(books.calls.ourPages).toEqual([
      { side: 'payments', after: undefined },
      { side: 'payments', after: { atIso: '2026-12-06T10:00:00.000Z', id: 2 } },
      { side: 'refunds', after: undefined },
      { side: 'refunds', after: { atIso: '2026-12-06T10:00:00.000Z', id: 5 } },
    ]);
    expect(books.calls.handovers).toEqual([0, books.cases.get('STRANDED_PAYMENT:P3')!.id]);
    expect(books.calls.finished).toEqual([{ matched: 2, matchedFen: 150 }]);
  });

  it("without a day it reconciles yesterday, China time, as of its start, at the default page size; a failed download is retried", async () => {
    const books = fakeBooks([{ kind: 'PAYMENT', ref: 'P1', fen: 100 }], [{ side: 'payments', ref: 'P1', status: 'PAID', amountFen: 100 }], { loadFailures: 1 });
    await local.withWorker(books.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { provider: 'wechatpay' });
      const done = await handle.result();
      const startedAt = (await handle.describe()).startTime.getTime();
      expect(done).toMatchObject({ billDate: previousChinaDay(startedAt), matched: 1, matchedFen: 100, differenceCount: 0, handedOver: 0 });
    });
    expect(books.calls.begun).toEqual([{ provider: 'wechatpay', billDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);
    expect(books.calls.loads).toBe(2);
    expect(books.calls.billPages).toEqual([{ afterLineNo: 0, pageSize: 2000 }]);
  });

  it('a request the activity refuses (a bad day) fails the run at once, with its code, before any download', async () => {
    const books = fakeBooks([], [], { refuseBegin: 'bill date must be yyyy-MM-dd, got 2026-02-30' });
    await local.withWorker(books.activities, async (taskQueue) => {
      const handle = await start(taskQueue, { provider: 'alipay', billDate: '2026-02-30' });
      const failure = await handle.result().then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = ((failure as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
      expect(cause).toMatchObject({ type: ErrorCode.BadReconciliationRequest, message: 'bill date must be yyyy-MM-dd, got 2026-02-30' });
    });
    expect(books.calls).toMatchObject({ begun: [{ provider: 'alipay', billDate: '2026-02-30' }], loads: 0, billPages: [] });
  });
});
