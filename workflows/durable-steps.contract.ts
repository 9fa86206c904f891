/**
 * The contract of a person's step sent durably (workflows/durable-steps.ts): the Signal the API sends
 * when no worker accepted the step's Update in time, and the query that answers its outcome.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface DurableStep {
  /** The Update id the API sent the step under. */
  stepId: string;
  /** The Update's name: which step. */
  update: string;
  args: unknown[];
}

export type StepOutcome = { status: 'RUNNING' } | { status: 'DONE'; result: unknown } | { status: 'REFUSED'; code: string; message: string };

export const durableStepSignal = defineSignal<[DurableStep]>('durableStep');
export const stepOutcomeQuery = defineQuery<StepOutcome | undefined, [string]>('stepOutcome');
