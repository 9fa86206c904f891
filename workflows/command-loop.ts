/**
 * The one command loop of the entity workflows (order, after-sale, complaint). People's steps — each
 * an Update, which the API can also send durably as a Signal (durable-steps.ts) — and the entity's own
 * signals and timers become commands in one queue, which the entity's loop executes one at a time: a
 * timer racing a person resolves to exactly one transition, and the loser is checked again against the
 * table and refused. This module owns the queue, the validators' fast refusals, the handlers' wait for
 * their command's outcome, and the guard that refuses steps arriving after the loop has stopped.
 * Workflow code: imports only @temporalio/workflow and pure modules (and a type from @temporalio/common, erased).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { condition } from '@temporalio/workflow';
import type { ErrorCode, Refusal } from '../domain/error-codes';
import { DurableSteps } from './durable-steps';
import { refusalFailure } from './refusals';

/** What every queued command carries back to whoever waits for it: done, or refused and why. */
export interface LoopCommand {
  done?: boolean;
  refusal?: string;
  /** The refusal's catalogue code, when the rule that refused it names one (else the loop's own). */
  refusalCode?: ErrorCode;
}

export class CommandLoop<C extends LoopCommand> {
  private readonly queue: C[] = [];
  private readonly steps = new DurableSteps();
  /** Why commands are refused from now on: set once the loop has stopped executing commands. */
  private closedReason?: string;

  constructor(
    /** The code of a refusal that names none (the entity's "step refused"). */
    private readonly refusedCode: ErrorCode,
  ) {}

  /**
   * A person's step: the Update's validator refuses fast, before anything enters history, when
   * `refusalOf` says no; its handler queues the command, waits for the loop to execute it and answers
   * `answer()` — or the refusal the loop found when it ran (the state may have moved meanwhile).
   */
  step<Req, Ret>(update: UpdateDefinition<Ret, [Req]>, toCommand: (request: Req) => C, refusalOf: (command: C) => Refusal | undefined, answer: () => Ret): this {
    this.steps.register(
      update,
      async (request: Req) => {
        await this.submit(toCommand(request));
        return answer();
      },
      (request: Req) => {
        const refusal = refusalOf(toCommand(request));
        if (refusal) throw refusalFailure(refusal.code, refusal.message);
      },
    );
    return this;
  }

  /** Starts taking steps sent as Signals: after every step is registered (durable-steps.ts). */
  open(): void {
    this.steps.open();
  }

  /**
   * Queues a command, or refuses it at once when the loop has stopped. An Update's handler runs only
   * after the barrier that puts it in history (update-durability.ts), so it can come after the last
   * drain of the queue; queued then, it would wait for ever and hold the workflow open (the money
   * soak's racing arbitrations hung this way).
   */
  enqueue(command: C): void {
    if (this.closedReason !== undefined) {
      command.refusal = this.closedReason;
      command.done = true;
      return;
    }
    this.queue.push(command);
  }

  /** Queues a command and waits for the loop to execute it; a refusal becomes the caller's failure. */
  async submit(command: C): Promise<void> {
    this.enqueue(command);
    await condition(() => command.done === true);
    if (command.refusal) throw refusalFailure(command.refusalCode ?? this.refusedCode, command.refusal);
  }

  /** Runs one command through `run`; whatever happens, whoever waits for it is released. */
  async execute(command: C, run: (command: C) => Promise<void>): Promise<void> {
    try {
      await run(command);
    } finally {
      command.done = true;
    }
  }

  /** Whether a command is waiting (for `condition`). */
  hasWork(): boolean {
    return this.queue.length > 0;
  }

  /** The next command, in arrival order. */
  take(): C | undefined {
    return this.queue.shift();
  }

  /** Whether a waiting command matches (a duplicate notification, a timer already queued). */
  has(matches: (command: C) => boolean): boolean {
    return this.queue.some(matches);
  }

  /** Refuses every waiting command with `reason` (they will not run). */
  refuseQueued(reason: string): void {
    for (const command of this.queue.splice(0)) {
      command.refusal = reason;
      command.done = true;
    }
  }

  /** The loop has stopped for good: refuses what waits and everything queued from now on. */
  close(reason: string): void {
    this.closedReason = reason;
    this.refuseQueued(reason);
  }
}
