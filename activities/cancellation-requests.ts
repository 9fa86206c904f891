import { ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from 'typeorm';
import { CancellationStatus } from '../domain';
import type { EventActor } from '../domain/events';
import { setCancellationStatus as writeCancellationStatus } from '../db/cancellation-requests';
import { ErrorCode } from '../domain/error-codes';

/**
 * The cancellation request's status (what GET /orders/{sn}/cancellations/{id} reports), set
 * idempotently, with its business event when it changed. `manager` must be a step's (runStep).
 */
export async function setCancellationStatus(manager: Pick<EntityManager, 'query'>, id: number, status: CancellationStatus, actor: EventActor = { role: 'SYSTEM', id: null }): Promise<void> {
  const result = await writeCancellationStatus(manager, id, status, actor);
  if (!result) throw ApplicationFailure.nonRetryable(`cancellation request ${id} does not exist`, ErrorCode.CancellationNotFound);
}
