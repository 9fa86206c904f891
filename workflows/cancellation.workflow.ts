import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { CancellationStatus } from '../domain';
import { CancellationProgress, CancellationRequestInput, CancellationResult, cancellationProgressQuery } from './cancellation.contract';
import { runCancellation } from './cancellation-run';

/**
 * A cancellation (`cancel-{orderSn}`), one per cancel request: started by the API for a person's
 * cancel or by the order workflow for a cancel it decided itself (timer, failed group). It asks the
 * order to cancel, gives back after a won cancel and closes the request (cancellation-run.ts).
 */
export async function cancellationWorkflow(input: CancellationRequestInput): Promise<CancellationResult> {
  const progress: CancellationProgress = { status: CancellationStatus.RECEIVED, steps: [] };
  setHandler(cancellationProgressQuery, () => progress);
  const step = (status: CancellationStatus, done: string) => {
    // Started with its status as a search attribute: only a change is upserted.
    const changed = status !== progress.status;
    progress.status = status;
    progress.steps.push(done);
    if (changed) upsertSearchAttributes({ CancellationStatus: [status] });
  };
  return runCancellation(input, progress, step);
}
