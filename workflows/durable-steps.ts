/**
 * A person's step (an Update the API sends: ship, receipt, audit, arbitration, refund resolution)
 * that also arrives durably when no worker accepts the Update in time.
 *
 * An Update is durable only once a workflow task has accepted it; under a worker outage the server
 * may drop one it never accepted, so the API cannot say "done later" for it. A Signal is written to
 * history at once, worker or not. So when the API's wait ends with the Update not even accepted, it
 * sends the same step as `durableStep` (the same step id, the same arguments) and answers 202; the
 * workflow runs it through the same validator and handler, once, and keeps its outcome for the
 * `stepOutcome` query (GET /steps/{ref}). Whichever copy of a step comes second, the Update or the
 * Signal, is answered from the first one's outcome instead of running again.
 *
 * Registering handlers adds no command: histories recorded before this replay unchanged.
 * Workflow code: imports only @temporalio/workflow and pure modules (and a type from @temporalio/common, erased).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, condition, currentUpdateInfo, setHandler } from '@temporalio/workflow';
import { DurableStep, StepOutcome, durableStepSignal, stepOutcomeQuery } from './durable-steps.contract';
import { ErrorCode } from '../domain/error-codes';

type Step = { handler: (...args: any[]) => Promise<unknown>; validator?: (...args: any[]) => void };

export class DurableSteps {
  private readonly steps = new Map<string, Step>();
  /** Steps that came as a Signal, by step id. */
  private readonly outcomes = new Map<string, StepOutcome>();
  /** Update ids whose Update ran: a Signal twin of one is not run again. */
  private readonly updatesRun = new Set<string>();

  constructor() {
    setHandler(stepOutcomeQuery, (stepId) => this.outcomes.get(stepId));
  }

  /**
   * Starts taking steps sent as Signals, once every step is registered: buffered Signals are
   * delivered as soon as their handler is set, so one set earlier would find its step unknown.
   */
  open(): void {
    setHandler(durableStepSignal, (step) => this.deliver(step));
  }

  /** setHandler for a step's Update, which the same step sent as a Signal can also reach. */
  register<Ret, Args extends any[]>(update: UpdateDefinition<Ret, Args>, handler: (...args: Args) => Promise<Ret>, validator?: (...args: Args) => void): this {
    this.steps.set(update.name, { handler, validator } as Step);
    setHandler(
      update,
      async (...args: Args) => {
        const id = currentUpdateInfo()!.id;
        if (this.outcomes.has(id)) {
          // Its Signal copy came first: the Update gets that outcome (once it is there).
          await condition(() => this.outcomes.get(id)!.status !== 'RUNNING');
          return answerOf(this.outcomes.get(id)!) as Ret;
        }
        this.updatesRun.add(id);
        return handler(...args);
      },
      {
        validator: (...args: Args) => {
          // The Signal copy ran (or runs) already: the Update is answered from it, not validated again.
          if (this.twinOfCurrentUpdate()) return;
          validator?.(...args);
        },
      },
    );
    return this;
  }

  private twinOfCurrentUpdate(): StepOutcome | undefined {
    const id = currentUpdateInfo()?.id;
    return id === undefined ? undefined : this.outcomes.get(id);
  }

  private async deliver(step: DurableStep): Promise<void> {
    if (this.outcomes.has(step.stepId) || this.updatesRun.has(step.stepId)) return;
    const registered = this.steps.get(step.update);
    if (!registered) {
      this.outcomes.set(step.stepId, { status: 'REFUSED', code: ErrorCode.CONFLICT, message: `${step.update} is not a step of this workflow` });
      return;
    }
    this.outcomes.set(step.stepId, { status: 'RUNNING' });
    try {
      registered.validator?.(...step.args);
      this.outcomes.set(step.stepId, { status: 'DONE', result: await registered.handler(...step.args) });
    } catch (err) {
      this.outcomes.set(step.stepId, refusalOf(err));
    }
  }
}

function refusalOf(err: unknown): StepOutcome {
  if (err instanceof ApplicationFailure) return { status: 'REFUSED', code: err.type ?? ErrorCode.CONFLICT, message: err.message };
  return { status: 'REFUSED', code: ErrorCode.CONFLICT, message: err instanceof Error ? err.message : String(err) };
}

/** An Update answered from its Signal twin's outcome: the result, or the same refusal. */
function answerOf(outcome: StepOutcome): unknown {
  if (outcome.status === 'REFUSED') throw ApplicationFailure.create({ type: outcome.code, message: outcome.message, nonRetryable: true });
  return outcome.status === 'DONE' ? outcome.result : undefined;
}
