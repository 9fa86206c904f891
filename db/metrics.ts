import { DifferenceStatus } from '../domain';
import type { Queryable } from './queryable';

/** Read-only report queries behind the API's and the worker's metrics and readiness probes (written by no one here). */

/** The database answers (readiness probes). */
export function pingDatabase(db: Queryable): Promise<unknown> {
  return db.query('SELECT 1');
}

export function countRefundsByProviderStatus(db: Queryable): Promise<{ provider: string; status: string; n: string | number }[]> {
  return db.query('SELECT provider, status, COUNT(*) AS n FROM refund GROUP BY provider, status');
}

export function countAfterSalesByTypeStatus(db: Queryable): Promise<{ service_type: string; status: string; n: string | number }[]> {
  return db.query('SELECT service_type, status, COUNT(*) AS n FROM after_sale GROUP BY service_type, status');
}

export function countComplaintsByStatus(db: Queryable): Promise<{ status: string; n: string | number }[]> {
  return db.query('SELECT status, COUNT(*) AS n FROM complaint GROUP BY status');
}

/** Refunds parked for support (ABNORMAL, or CLOSED and not re-issued): how many, and the oldest's age in seconds since its last change. */
export async function readRefundsWaitingForSupport(db: Queryable): Promise<{ n: string | number; age: string | number }> {
  const [row] = await db.query(
    `SELECT COUNT(*) AS n, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(r.updated_at), CURRENT_TIMESTAMP(3)), 0) / 1000000 AS age
       FROM refund r
       WHERE r.status = 'ABNORMAL'
          OR (r.status = 'CLOSED' AND NOT EXISTS (SELECT 1 FROM order_log l WHERE l.order_sn = r.order_sn AND l.event_key = CONCAT('refund:', r.refund_sn, ':reissue')))`,
  );
  return row;
}

/** Verified provider notifications of the last `windowHours` not yet delivered to their workflow, per provider, with the oldest's age in seconds. */
export function readUndeliveredNotifications(db: Queryable, windowHours: number): Promise<{ provider: string; n: string | number; age: string | number | null }[]> {
  return db.query(
    `SELECT provider, COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(received_at), CURRENT_TIMESTAMP(3)) / 1000000 AS age
       FROM provider_notification
       WHERE delivered_at IS NULL AND received_at > CURRENT_TIMESTAMP(3) - INTERVAL ${windowHours} HOUR
       GROUP BY provider`,
  );
}

export function countOpenDifferencesByProviderKind(db: Queryable): Promise<{ provider: string; kind: string; n: string | number }[]> {
  return db.query('SELECT provider, kind, COUNT(*) AS n FROM reconciliation_difference WHERE status = ? GROUP BY provider, kind', [DifferenceStatus.OPEN]);
}
