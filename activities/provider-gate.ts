import { readLatestPaymentOf } from '../db/payments';
import { readRefundToProbe } from '../db/refunds';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { ErrorCode } from '../domain/error-codes';
import { systemTaskQueues } from '../domain/task-queues';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { PaymentProvider, ProviderError, ProviderName } from '../payments';
import { CallSlot, afterNextProbeMs, callSlotSpacingMs, GateFailureClass, GateFamily, GateOutcome, ProviderGateSettings, providerGateWorkflowId } from '../domain/provider-gate';
import { PROVIDER_GATE_OPEN, PROVIDER_GATE_WORKFLOW, ProviderGateState, gateOutcomesSignal, providerGateStateQuery, reserveCallSlotUpdate } from '../workflows/provider-gate.contract';
import { signalWithStartWorkflow } from '../apps/shared/start-workflows';

/** How old the gate's known state may be before one query refreshes it (at most one a second per gate and worker). */
const STATE_TTL_MS = 1_000;
/** The first ask of a worker waits this long for the gate's answer; without one it counts as closed. */
const QUERY_TIMEOUT_MS = 2_000;
/** Outcomes are sent to the gate in batches, at most this often per gate and worker. */
const FLUSH_MS = 500;

/**
 * The worker's side of the provider gates (workflows/provider-gate.workflow.ts): activities report
 * every provider call's outcome (batched into one signal-with-start per gate and half second) and ask
 * whether a gate is open (its query, cached for a second). Built only when PROVIDER_GATE=on and the
 * worker has a Temporal client; otherwise the activities behave as before the gate.
 */
export class ProviderGate {
  private readonly pending = new Map<string, { provider: ProviderName; family: GateFamily; outcomes: GateOutcome[] }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly states = new Map<string, KnownState>();

  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    readonly settings: ProviderGateSettings,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** Runs one provider call and reports its outcome by failure class; the call's result or error passes through. */
  async call<T>(provider: ProviderName, family: GateFamily, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.report(provider, family);
      return result;
    } catch (err) {
      if (err instanceof ProviderError) this.report(provider, family, err.errorClass);
      throw err;
    }
  }

  /** This system's gate (its id carries the task queue: systems sharing a namespace have their own gates). */
  gateId(provider: ProviderName, family: GateFamily): string {
    return providerGateWorkflowId(provider, family, this.taskQueue);
  }

  /**
   * A provider call of work the gate released: it first takes a call slot from the gate (one per call,
   * so a refund that asks and then submits takes two) and waits for it, so the released work's calls
   * stay within PROVIDER_GATE_RELEASE_PER_SECOND in every second. A slot too far ahead is not waited
   * for: the activity fails PROVIDER_CALL_PACED and Temporal retries it when the queue has drained.
   * A gate that is not running has released nothing still queued: the call goes at once.
   */
  async paced<T>(provider: ProviderName, family: GateFamily, run: () => Promise<T>): Promise<T> {
    // A slot that reached us a whole spacing past its instant (a busy gate answered late) is traded once
    // for a fresh one: late slots used together would bunch the calls the spacing keeps apart. The
    // second is used however late, so a slow gate slows the release but never stops it.
    let slot = await this.reserveSlot(provider, family);
    if (slot?.kind === 'slot' && Date.now() - slot.atMs > callSlotSpacingMs(this.settings.releaseCallsPerSecond)) slot = await this.reserveSlot(provider, family);
    if (slot?.kind === 'later') {
      throw ApplicationFailure.create({
        message: `no ${provider} ${family} call slot within the pace of released work; asking again in ${slot.retryAfterMs} ms`,
        type: ErrorCode.ProviderCallPaced,
        nextRetryDelay: slot.retryAfterMs,
      });
    }
    if (slot && slot.atMs > Date.now()) await Context.current().sleep(slot.atMs - Date.now());
    return this.call(provider, family, run);
  }

  private async reserveSlot(provider: ProviderName, family: GateFamily): Promise<CallSlot | undefined> {
    try {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      return await this.temporal.workflow.getHandle(this.gateId(provider, family)).executeUpdate(reserveCallSlotUpdate, { args: [{ workflowId }] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  report(provider: ProviderName, family: GateFamily, failure?: GateFailureClass): void {
    const id = this.gateId(provider, family);
    const batch = this.pending.get(id) ?? { provider, family, outcomes: [] };
    batch.outcomes.push({ atMs: Date.now(), ...(failure ? { failure } : {}) });
    this.pending.set(id, batch);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Sends what is pending, one signal-with-start per gate (a gate that ended, or never ran, starts). */
  async flush(): Promise<void> {
    this.flushTimer = undefined;
    const batches = [...this.pending.entries()];
    this.pending.clear();
    await Promise.all(batches.map(async ([workflowId, batch]) => {
      try {
        await signalWithStartWorkflow(this.temporal, PROVIDER_GATE_WORKFLOW, {
          workflowId,
          // Its own queue and Worker: a gate must answer within seconds under a backlog of the work it gates (domain/task-queues.ts).
          taskQueue: systemTaskQueues(this.taskQueue).providerGates,
          args: [{ provider: batch.provider, family: batch.family, settings: this.settings }],
          signal: gateOutcomesSignal,
          signalArgs: [batch.outcomes],
          staticSummary: `Provider gate: ${batch.provider} ${batch.family}`,
          searchAttributes: { ProviderGateState: ['CLOSED', `${batch.provider}-${batch.family}`] },
        });
      } catch (err) {
        // Counting is advice: a lost batch only delays opening the gate.
        this.warn(`provider gate ${workflowId}: ${batch.outcomes.length} outcomes not reported: ${(err as Error).message}`);
      }
    }));
  }

  /**
   * The gate's state; undefined when it is not running (closed). Stale-while-revalidate: after the first
   * answer every call gets the last one at once and, when it is older than a second, one query refreshes
   * it in the background. A busy gate answers its query late; its last known state stands meanwhile
   * (an open gate is not taken for closed because its query was slow).
   */
  async state(provider: ProviderName, family: GateFamily): Promise<ProviderGateState | undefined> {
    const id = this.gateId(provider, family);
    let known = this.states.get(id);
    if (!known) {
      known = { at: 0, state: undefined };
      this.states.set(id, known);
    }
    if (Date.now() - known.at >= STATE_TTL_MS && !known.refreshing) {
      const entry = known;
      entry.refreshing = this.refresh(id, entry);
      // Only the first ask waits (at most QUERY_TIMEOUT_MS); later ones answer with what is known.
      if (entry.at === 0) await Promise.race([entry.refreshing, new Promise((resolve) => setTimeout(resolve, QUERY_TIMEOUT_MS).unref())]);
    }
    return known.state;
  }

  private async refresh(id: string, entry: KnownState): Promise<void> {
    try {
      entry.state = await this.temporal.workflow.getHandle(id).query(providerGateStateQuery);
    } catch (err) {
      // Not running: closed. Any other failure keeps the last known state.
      if (err instanceof WorkflowNotFoundError) entry.state = undefined;
    } finally {
      entry.at = Date.now();
      entry.refreshing = undefined;
    }
  }

  /** Throws the failure that makes a gated workflow wait on the gate, when the gate is open. */
  async holdIfOpen(provider: ProviderName, family: GateFamily, what: string): Promise<void> {
    const state = await this.state(provider, family);
    if (state?.status !== 'OPEN') return;
    const gateId = this.gateId(provider, family);
    // A held payment query asks again after the gate's next probe (the refunds register and wait for a release).
    const lastProbeMs = state.lastProbe ? Date.parse(state.lastProbe.atIso) : undefined;
    const askAgainAtIso = new Date(afterNextProbeMs(Date.parse(state.openSinceIso ?? new Date().toISOString()), lastProbeMs, state.settings.probeIntervalMs, Date.now())).toISOString();
    throw ApplicationFailure.create({
      message: `${what}: the ${provider} ${family} gate is open since ${state.openSinceIso} (${state.waiting} waiting); not sent`,
      type: PROVIDER_GATE_OPEN,
      nonRetryable: true,
      details: [{ gateId, askAgainAtIso } satisfies GateHold],
    });
  }
}

/** What a PROVIDER_GATE_OPEN failure carries: the gate to wait on, and when a held query should ask again. */
export interface GateHold {
  gateId: string;
  askAgainAtIso: string;
}

interface KnownState {
  /** When the last query answered (0: never). */
  at: number;
  state: ProviderGateState | undefined;
  refreshing?: Promise<void>;
}

/** A probe's answer: no failure means the provider answered. */
export interface ProbeAnswer {
  failure?: GateFailureClass;
  detail: string;
}

/**
 * The gate's probe: one read call at the provider (a refund query of the refund waiting longest, or of
 * the provider's latest refund; a payment query of its latest payment), never a submission.
 */
export function probeProviderActivity(dataSource: DataSource, providers: Record<ProviderName, PaymentProvider>) {
  return async (request: { provider: ProviderName; family: GateFamily; refundSn?: string }): Promise<ProbeAnswer> => {
    const client = providers[request.provider];
    try {
      if (request.family === 'refunds') {
        const row = await readRefundToProbe(dataSource, request.provider, request.refundSn);
        if (!row) return { detail: 'no refund to ask about' };
        const answer = await client.queryRefund(row.out_trade_no, row.refund_sn);
        return { detail: `refund ${row.refund_sn}: ${answer.status}` };
      }
      const row = await readLatestPaymentOf(dataSource, request.provider);
      if (!row) return { detail: 'no payment to ask about' };
      const answer = await client.queryPayment(row.out_trade_no);
      return { detail: `payment ${row.out_trade_no}: ${answer.state}` };
    } catch (err) {
      if (err instanceof ProviderError) return { failure: err.errorClass, detail: `${err.code}: ${err.message}` };
      throw err;
    }
  };
}
