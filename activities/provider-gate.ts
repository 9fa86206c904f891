import { readLatestPaymentOf } from '../db/payments';
import { readRefundToProbe } from '../db/refunds';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { PaymentProvider, ProviderError, ProviderName } from '../payments';
import { GateFailureClass, GateFamily, GateOutcome, ProviderGateSettings, providerGateWorkflowId } from '../domain/provider-gate';
import { PROVIDER_GATE_OPEN, PROVIDER_GATE_WORKFLOW, ProviderGateState, gateOutcomesSignal, providerGateStateQuery } from '../workflows/provider-gate.contract';
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

  report(provider: ProviderName, family: GateFamily, failure?: GateFailureClass): void {
    const id = providerGateWorkflowId(provider, family);
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
          taskQueue: this.taskQueue,
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
    const id = providerGateWorkflowId(provider, family);
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
    const gateId = providerGateWorkflowId(provider, family);
    throw ApplicationFailure.create({
      message: `${what}: the ${provider} ${family} gate is open since ${state.openSinceIso} (${state.waiting} waiting); not sent`,
      type: PROVIDER_GATE_OPEN,
      nonRetryable: true,
      details: [{ gateId }],
    });
  }
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
