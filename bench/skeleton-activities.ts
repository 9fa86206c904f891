import type { Client } from '@temporalio/client';

/**
 * The skeleton's activities (bench/skeleton-workflows/index.ts): no work of their own. `step` (a local
 * activity, as the real database steps) tells the driver in this process where a flow has got to;
 * the Update senders are what the real ones are (an Update from an activity); the refund's submit
 * answers after the simulator's processing time, with the provider's notification as a signal.
 */
export interface SkeletonActivities {
  step(flowId: string, what: string): Promise<void>;
  updateAccepted(): Promise<void>;
  askOrderToCancel(flowId: string): Promise<void>;
  tellOrderSettled(flowId: string): Promise<void>;
  submitRefund(flowId: string, refundWorkflowId: string): Promise<void>;
}

export type StepListener = (flowId: string, what: string) => void;

export function skeletonActivities(client: Client, onStep: StepListener, refundProcessingMs: number): SkeletonActivities {
  const order = (flowId: string) => client.workflow.getHandle(`skeleton-order-${flowId}`);
  return {
    async step(flowId, what) {
      onStep(flowId, what);
    },
    async updateAccepted() {},
    async askOrderToCancel(flowId) {
      await order(flowId).executeUpdate('cancel', { updateId: `cancel-${flowId}` });
    },
    async tellOrderSettled(flowId) {
      await order(flowId).executeUpdate('cancellationSettled', { updateId: `settled-${flowId}` });
    },
    async submitRefund(_flowId, refundWorkflowId) {
      setTimeout(() => void client.workflow.getHandle(refundWorkflowId).signal('refundNotified').catch(() => undefined), refundProcessingMs);
    },
  };
}
