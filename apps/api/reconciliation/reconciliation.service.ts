import { afterNumber, pageOf, type PageRequest } from '../common/pagination';
import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { DifferenceKind, DifferenceStatus, chinaDateOf, isBillDate } from '../../../domain';
import type { ReconciliationInput } from '../../../workflows/reconciliation.contract';
import { RECONCILIATION_WORKFLOW, reconciliationWorkflowId } from '../../../workflows/reconciliation.contract';
import { startWorkflow } from '../../shared/start-workflows';
import { runStep } from '../../../db/business-events';
import { resolveReconciliationCase } from '../../../db/reconciliation-cases';
import { readCaseLog, readDifference, readDifferences, readReconciliationRuns } from '../../../db/reconciliation-reports';
import { temporalUiLink } from '../../shared/temporal';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { workPriority } from '../../../domain';

const PROVIDERS = ['wechatpay', 'alipay'];

export interface DifferenceFilter {
  status?: string;
  provider?: string;
  billDate?: string;
  kind?: string;
}

/** Reconciliation for support and finance: the runs, the open differences (support cases), resolving one with a note. */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async runs(page: PageRequest, provider?: string, from?: string, to?: string) {
    if (provider !== undefined && !PROVIDERS.includes(provider)) throw new BadRequestException('provider must be wechatpay or alipay');
    for (const [name, value] of [['from', from], ['to', to]] as const) if (value !== undefined && !isBillDate(value)) throw new BadRequestException(`${name} must be a yyyy-MM-dd date`);
    const rows = await readReconciliationRuns(this.dataSource, { provider, from, to }, { after: runAfter(page), take: page.limit + 1 });
    return pageOf(rows, page, (r) => [String(r.billDate), String(r.provider)], (r: Record<string, unknown>) => ({ ...numbers(r, ['billPayments', 'billPaymentFen', 'billRefunds', 'billRefundFen', 'matched', 'matchedFen', 'differences', 'openDifferences']), temporalUiUrl: temporalUiLink(this.config.temporal, String(r.workflowId)) }));
  }

  /** Starts (or joins, if it is running) the on-demand run of one provider and day. */
  async start(provider: 'wechatpay' | 'alipay', billDate: string) {
    if (!isBillDate(billDate)) throw new BadRequestException('billDate must be a real yyyy-MM-dd date');
    if (billDate > chinaDateOf(Date.now())) throw new BadRequestException(`no bill exists yet for ${billDate}`);
    const input: ReconciliationInput = { provider, billDate };
    const workflowId = reconciliationWorkflowId(provider, billDate);
    const handle = await startWorkflow(this.temporal, RECONCILIATION_WORKFLOW, {
      workflowId,
      // Batch work: the batch Worker runs it, behind nobody's request (domain/task-queues.ts).
      taskQueue: this.config.temporal.taskQueues.batch,
      args: [input],
      // A run in progress is joined; a finished day may be run again (it reports the same).
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Reconcile the ${provider} bill of ${billDate}`,
      priority: workPriority('reconciliation', this.config.workPriorities),
    });
    return { workflowId, runId: handle.firstExecutionRunId, temporalUiUrl: temporalUiLink(this.config.temporal, workflowId) };
  }

  async differences(filter: DifferenceFilter, page: PageRequest) {
    const status = filter.status ?? DifferenceStatus.OPEN;
    if (!(Object.values(DifferenceStatus) as string[]).includes(status)) throw new BadRequestException(`status must be one of ${Object.values(DifferenceStatus).join(', ')}`);
    if (filter.provider !== undefined && !PROVIDERS.includes(filter.provider)) throw new BadRequestException('provider must be wechatpay or alipay');
    if (filter.billDate !== undefined && !isBillDate(filter.billDate)) throw new BadRequestException('billDate must be a yyyy-MM-dd date');
    if (filter.kind !== undefined && !(Object.values(DifferenceKind) as string[]).includes(filter.kind)) throw new BadRequestException(`kind must be one of ${Object.values(DifferenceKind).join(', ')}`);
    const rows = await readDifferences(this.dataSource, { status, provider: filter.provider, billDate: filter.billDate, kind: filter.kind }, { afterId: afterNumber(page), take: page.limit + 1 });
    return pageOf(rows, page, (r) => [Number(r.id)], (r: Record<string, unknown>) => numbers(r, ['id', 'providerFen', 'ourFen']));
  }

  async difference(id: number) {
    const row = await readDifference(this.dataSource, id);
    if (!row) throw new NotFoundException(`difference ${id} not found`);
    const log = await readCaseLog(this.dataSource, id);
    return { ...numbers(row, ['id', 'providerFen', 'ourFen']), caseLog: log };
  }

  /** Closes an open case with support's note: a conditional update and its case-log line, in one transaction. */
  async resolve(staff: Principal, id: number, note: string) {
    const actor = `${staff.role}:${staff.id}`;
    const text = note.trim();
    const outcome = await runStep(this.dataSource, (manager) => resolveReconciliationCase(manager, id, actor, text));
    if (outcome.kind === 'not-found') throw new NotFoundException(`difference ${id} not found`);
    if (outcome.kind === 'not-open') throw new ConflictException(`difference ${id} is ${outcome.status}, not OPEN`);
    return this.difference(id);
  }
}

/** The runs' cursor: the last page's day and provider. */
function runAfter(page: PageRequest): { billDate: string; provider: string } | undefined {
  if (!page.after) return undefined;
  const [billDate, provider] = page.after;
  if (page.after.length !== 2 || typeof billDate !== 'string' || !isBillDate(billDate) || typeof provider !== 'string' || !PROVIDERS.includes(provider)) {
    throw new BadRequestException('cursor is not one this list gave (pass nextCursor back unchanged)');
  }
  return { billDate, provider };
}

/** mysql2 returns BIGINT sums and counts as strings: the API answers numbers. */
function numbers(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...row };
  for (const k of keys) if (out[k] !== null && out[k] !== undefined) out[k] = Number(out[k]);
  return out;
}
