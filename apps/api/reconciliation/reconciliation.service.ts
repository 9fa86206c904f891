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
import { temporalUiLink } from '../../shared/temporal';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { workPriority } from '../../../domain';

const PROVIDERS = ['wechatpay', 'alipay'];
const DIFFERENCE_COLUMNS = `id, provider, DATE_FORMAT(bill_date, '%Y-%m-%d') AS billDate, kind, out_trade_no AS outTradeNo, out_refund_no AS outRefundNo,
  transaction_id AS transactionId, order_sn AS orderSn, provider_fen AS providerFen, our_fen AS ourFen, detail, status, auto_fix AS autoFix,
  resolution_note AS resolutionNote, resolved_by AS resolvedBy, resolved_at AS resolvedAt, created_at AS createdAt`;

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

  async runs(provider?: string, from?: string, to?: string) {
    if (provider !== undefined && !PROVIDERS.includes(provider)) throw new BadRequestException('provider must be wechatpay or alipay');
    for (const [name, value] of [['from', from], ['to', to]] as const) if (value !== undefined && !isBillDate(value)) throw new BadRequestException(`${name} must be a yyyy-MM-dd date`);
    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (provider) filter('provider = ?', provider);
    if (from) filter('bill_date >= ?', from);
    if (to) filter('bill_date <= ?', to);
    const rows = await this.dataSource.query(
      `SELECT id, provider, DATE_FORMAT(bill_date, '%Y-%m-%d') AS billDate, status, workflow_id AS workflowId, run_count AS runCount,
              bill_payments AS billPayments, bill_payment_fen AS billPaymentFen, bill_refunds AS billRefunds, bill_refund_fen AS billRefundFen,
              matched_count AS matched, matched_fen AS matchedFen, difference_count AS differences,
              (SELECT COUNT(*) FROM reconciliation_difference d WHERE d.provider = r.provider AND d.bill_date = r.bill_date AND d.status = 'OPEN') AS openDifferences,
              started_at AS startedAt, finished_at AS finishedAt
         FROM reconciliation_run r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY bill_date DESC, provider LIMIT 100`,
      params,
    );
    return rows.map((r: Record<string, unknown>) => ({ ...numbers(r, ['billPayments', 'billPaymentFen', 'billRefunds', 'billRefundFen', 'matched', 'matchedFen', 'differences', 'openDifferences']), temporalUiUrl: temporalUiLink(this.config.temporal, String(r.workflowId)) }));
  }

  /** Starts (or joins, if it is running) the on-demand run of one provider and day. */
  async start(provider: 'wechatpay' | 'alipay', billDate: string) {
    if (!isBillDate(billDate)) throw new BadRequestException('billDate must be a real yyyy-MM-dd date');
    if (billDate > chinaDateOf(Date.now())) throw new BadRequestException(`no bill exists yet for ${billDate}`);
    const input: ReconciliationInput = { provider, billDate };
    const workflowId = reconciliationWorkflowId(provider, billDate);
    const handle = await startWorkflow(this.temporal, RECONCILIATION_WORKFLOW, {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      // A run in progress is joined; a finished day may be run again (it reports the same).
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Reconcile the ${provider} bill of ${billDate}`,
      priority: workPriority('reconciliation', this.config.workPriorities),
    });
    return { workflowId, runId: handle.firstExecutionRunId, temporalUiUrl: temporalUiLink(this.config.temporal, workflowId) };
  }

  async differences(filter: DifferenceFilter) {
    const status = filter.status ?? DifferenceStatus.OPEN;
    if (!(Object.values(DifferenceStatus) as string[]).includes(status)) throw new BadRequestException(`status must be one of ${Object.values(DifferenceStatus).join(', ')}`);
    if (filter.provider !== undefined && !PROVIDERS.includes(filter.provider)) throw new BadRequestException('provider must be wechatpay or alipay');
    if (filter.billDate !== undefined && !isBillDate(filter.billDate)) throw new BadRequestException('billDate must be a yyyy-MM-dd date');
    if (filter.kind !== undefined && !(Object.values(DifferenceKind) as string[]).includes(filter.kind)) throw new BadRequestException(`kind must be one of ${Object.values(DifferenceKind).join(', ')}`);
    const where = ['status = ?'];
    const params: unknown[] = [status];
    for (const [column, value] of [['provider', filter.provider], ['bill_date', filter.billDate], ['kind', filter.kind]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = await this.dataSource.query(`SELECT ${DIFFERENCE_COLUMNS} FROM reconciliation_difference WHERE ${where.join(' AND ')} ORDER BY id LIMIT 500`, params);
    return rows.map((r: Record<string, unknown>) => numbers(r, ['id', 'providerFen', 'ourFen']));
  }

  async difference(id: number) {
    const [row] = await this.dataSource.query(`SELECT ${DIFFERENCE_COLUMNS} FROM reconciliation_difference WHERE id = ?`, [id]);
    if (!row) throw new NotFoundException(`difference ${id} not found`);
    const log = await this.dataSource.query('SELECT action, actor, note, created_at AS at FROM reconciliation_case_log WHERE difference_id = ? ORDER BY id', [id]);
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

/** mysql2 returns BIGINT sums and counts as strings: the API answers numbers. */
function numbers(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...row };
  for (const k of keys) if (out[k] !== null && out[k] !== undefined) out[k] = Number(out[k]);
  return out;
}
