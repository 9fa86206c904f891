import type { EntityManager } from 'typeorm';
import { DifferenceKind, DifferenceStatus } from '../domain';
import { PLATFORM_SELLER_ID, RECONCILIATION_CASE_EVENTS, businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';

/**
 * Reconciliation cases (`reconciliation_difference`) and their case log: opened by a comparison page,
 * fixed automatically (a stranded payment handed over) or resolved by support. Each status change
 * writes its case-log line and its business event (reconciliation_case.*, on the marketplace's own
 * stream, seller 0) in the caller's step (db/business-events.ts runStep).
 */

type Queryable = Pick<EntityManager, 'query'>;

export interface NewCase {
  kind: DifferenceKind;
  refKey: string;
  outTradeNo: string;
  outRefundNo?: string;
  transactionId?: string;
  orderSn?: string;
  providerFen?: number;
  ourFen?: number;
  detail: string;
}

interface CaseRow {
  id: number | string;
  provider: string;
  bill_date: string;
  kind: DifferenceKind;
  out_trade_no: string;
  out_refund_no: string | null;
  order_sn: string | null;
  provider_fen: number | string | null;
  our_fen: number | string | null;
  detail: string;
  status: DifferenceStatus;
}

const CASE_COLUMNS = "id, provider, DATE_FORMAT(bill_date, '%Y-%m-%d') AS bill_date, kind, out_trade_no, out_refund_no, order_sn, provider_fen, our_fen, detail, status";

/** Each difference once (INSERT IGNORE on its unique key), with its OPENED line in the case log and its event when the line is new. */
export async function openReconciliationCases(manager: Queryable, run: { runId: number; provider: string; billDate: string; actor: string }, differences: NewCase[]): Promise<void> {
  if (differences.length === 0) return;
  const { runId, provider, billDate } = run;
  await manager.query(
    `INSERT IGNORE INTO reconciliation_difference (run_id, provider, bill_date, kind, ref_key, out_trade_no, out_refund_no, transaction_id, order_sn, provider_fen, our_fen, detail, status) VALUES ${differences.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    differences.flatMap((d) => [runId, provider, billDate, d.kind, d.refKey, d.outTradeNo, d.outRefundNo ?? null, d.transactionId ?? null, d.orderSn ?? null, d.providerFen ?? null, d.ourFen ?? null, d.detail.slice(0, 500), DifferenceStatus.OPEN]),
  );
  for (const kind of new Set(differences.map((d) => d.kind))) {
    const keys = differences.filter((d) => d.kind === kind).map((d) => d.refKey);
    const cases: CaseRow[] = await manager.query(`SELECT ${CASE_COLUMNS} FROM reconciliation_difference WHERE provider = ? AND bill_date = ? AND kind = ? AND ref_key IN (?) ORDER BY id`, [provider, billDate, kind, keys]);
    for (const row of cases) {
      const logged = await manager.query(`INSERT IGNORE INTO reconciliation_case_log (difference_id, action, actor, note) VALUES (?, 'OPENED', ?, ?)`, [row.id, run.actor, row.detail]);
      if (logged.affectedRows === 1) emitCaseEvent(manager, row, null, DifferenceStatus.OPEN, row.detail, run.actor);
    }
  }
}

/** An open stranded payment was handed over: OPEN → AUTO_FIXED, its AUTO_FIXED line and event, once. */
export async function autoFixReconciliationCase(manager: Queryable, id: number, how: string, actor: string): Promise<boolean> {
  const updated = await manager.query(
    `UPDATE reconciliation_difference SET status = ?, auto_fix = ?, resolved_by = ?, resolved_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status = ?`,
    [DifferenceStatus.AUTO_FIXED, how, actor, id, DifferenceStatus.OPEN],
  );
  if (updated.affectedRows !== 1) return false;
  const logged = await manager.query(`INSERT IGNORE INTO reconciliation_case_log (difference_id, action, actor, note) VALUES (?, 'AUTO_FIXED', ?, ?)`, [id, actor, how]);
  if (logged.affectedRows === 1) emitCaseEvent(manager, await caseRow(manager, id), DifferenceStatus.OPEN, DifferenceStatus.AUTO_FIXED, how, actor);
  return true;
}

/** Support closes an open case with a note: OPEN → RESOLVED, its RESOLVED line and event. */
export async function resolveReconciliationCase(manager: Queryable, id: number, actor: string, note: string): Promise<{ kind: 'resolved' } | { kind: 'not-found' } | { kind: 'not-open'; status: DifferenceStatus }> {
  const [row] = await manager.query('SELECT status FROM reconciliation_difference WHERE id = ? FOR UPDATE', [id]);
  if (!row) return { kind: 'not-found' };
  if (row.status !== DifferenceStatus.OPEN) return { kind: 'not-open', status: row.status };
  await manager.query('UPDATE reconciliation_difference SET status = ?, resolution_note = ?, resolved_by = ?, resolved_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status = ?', [DifferenceStatus.RESOLVED, note, actor, id, DifferenceStatus.OPEN]);
  await manager.query(`INSERT INTO reconciliation_case_log (difference_id, action, actor, note) VALUES (?, 'RESOLVED', ?, ?)`, [id, actor, note]);
  emitCaseEvent(manager, await caseRow(manager, id), DifferenceStatus.OPEN, DifferenceStatus.RESOLVED, note, actor);
  return { kind: 'resolved' };
}

async function caseRow(manager: Queryable, id: number): Promise<CaseRow> {
  const [row] = await manager.query(`SELECT ${CASE_COLUMNS} FROM reconciliation_difference WHERE id = ?`, [id]);
  return row;
}

function emitCaseEvent(manager: Queryable, row: CaseRow, from: DifferenceStatus | null, to: DifferenceStatus, note: string, actor: string): void {
  const [role, ...rest] = actor.split(':');
  const money = (v: number | string | null) => (v === null ? null : Number(v));
  emitEvent(manager, businessEvent(
    { type: 'reconciliation_case', id: Number(row.id), sellerId: PLATFORM_SELLER_ID, orderSn: row.order_sn },
    {
      type: RECONCILIATION_CASE_EVENTS[to],
      key: to,
      payload: {
        caseId: Number(row.id),
        provider: row.provider,
        billDate: row.bill_date,
        kind: row.kind,
        outTradeNo: row.out_trade_no,
        outRefundNo: row.out_refund_no,
        orderSn: row.order_sn,
        providerFen: money(row.provider_fen),
        ourFen: money(row.our_fen),
        from,
        to,
        note,
        actor: eventActor(role.toUpperCase(), rest.length ? rest.join(':') : null),
      },
    },
  ));
}

/** Why an open case was not fixed automatically, on the case (it stays OPEN for support). */
export async function noteOpenReconciliationCase(db: Queryable, differenceId: number, why: string): Promise<void> {
  await db.query('UPDATE reconciliation_difference SET auto_fix = ? WHERE id = ? AND status = ?', [why.slice(0, 255), differenceId, DifferenceStatus.OPEN]);
}
