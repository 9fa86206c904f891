import type { Client } from '@temporalio/client';

/**
 * The skeleton's activities (bench/skeleton-workflows/index.ts): no work of their own. `step` (a local
 * activity, as the real database steps) tells the driver in this process where a flow has got to;
 * the refund's submit
 * answers after the simulator's processing time, with the provider's notification as a signal.
 */
export interface SkeletonActivities {
  step(flowId: string, what: string): Promise<void>;
  submitRefund(flowId: string, refundWorkflowId: string): Promise<void>;
}

export type StepListener = (flowId: string, what: string) => void;

export function skeletonActivities(client: Client, onStep: StepListener, refundProcessingMs: number): SkeletonActivities {
  return {
    async step(flowId, what) {
      onStep(flowId, what);
    },
    async submitRefund(_flowId, refundWorkflowId) {
      setTimeout(() => void client.workflow.getHandle(refundWorkflowId).signal('refundNotified').catch(() => undefined), refundProcessingMs);
    },
  };
}
