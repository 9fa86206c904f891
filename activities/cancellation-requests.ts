import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { CancellationStatus } from '../domain';

/** The cancellation request's status (what GET /orders/{sn}/cancellations/{id} reports), set idempotently. */
export async function setCancellationStatus(manager: { query: DataSource['query'] }, id: number, status: CancellationStatus): Promise<void> {
  const result = await manager.query('UPDATE cancellation_request SET status = ? WHERE id = ?', [status, id]);
  if (result.affectedRows === 0) {
    const found = await manager.query('SELECT 1 FROM cancellation_request WHERE id = ?', [id]);
    if (!found.length) throw ApplicationFailure.nonRetryable(`cancellation request ${id} does not exist`, 'CancellationNotFound');
  }
}
