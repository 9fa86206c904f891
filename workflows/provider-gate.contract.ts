/**
 * The provider gate's contract (`provider-gate-{provider}-{family}-{taskQueue}`, issue 25 item 4): one long-running
 * workflow per provider and operation family. Activities report their provider calls' outcomes to it
 * (batched signals, signal-with-start); while it is open, refund workflows register with it and wait
 * for its release instead of retrying on their own.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CallSlot, GateBucket, GateCounts, GateFamily, GateOutcome, GateProvider, ProviderGateSettings } from '../domain/provider-gate';
import { workflowRef } from './workflow-ref';
import { ErrorCode } from '../domain/error-codes';

export { providerGateWorkflowId } from '../domain/provider-gate';

/** One call waiting behind the gate: the refund workflow to release and the money it carries. */
export interface GateWaiter {
  workflowId: string;
  /** The refund number it will resubmit (the same number: money safety does not change). */
  refundSn: string;
  amountFen: number;
}

/** What a gate carries into its next run (continue-as-new) so nothing waiting is forgotten. */
export interface GateCarry {
  buckets: GateBucket[];
  openSinceMs?: number;
  waiting: GateWaiter[];
  lastProbe?: GateProbe;
  probes: number;
  released: number;
  opened: number;
  /** Call slots handed out, and the next free instant (the pace survives continue-as-new). */
  pacedCalls?: number;
  nextFreeSlotMs?: number;
}

export interface ProviderGateInput {
  provider: GateProvider;
  family: GateFamily;
  settings: ProviderGateSettings;
  carried?: GateCarry;
}

export interface GateProbe {
  atIso: string;
  /** The provider answered (the gate closed on it). */
  answered: boolean;
  detail: string;
}

/** The gate as support sees it (query `providerGateState`, the support page, the metric). */
export interface ProviderGateState {
  provider: GateProvider;
  family: GateFamily;
  status: 'OPEN' | 'CLOSED';
  openSinceIso?: string;
  /** Calls waiting for the gate (open, or closed and not released yet). */
  waiting: number;
  waitingFen: number;
  lastProbe?: GateProbe;
  probes: number;
  /** Waiting calls released since the gate started (all runs). */
  released: number;
  /** Times it opened since it started. */
  opened: number;
  /** Provider calls of released work paced through `reserveCallSlot` (all runs). */
  pacedCalls: number;
  /** Outcomes in the window, by class. */
  window: GateCounts;
  settings: ProviderGateSettings;
}

/** Outcomes of provider calls, batched by the reporting worker (a second's worth per signal). */
export const gateOutcomesSignal = defineSignal<[GateOutcome[]]>('gateOutcomes');
/** A refund workflow found the gate open: it waits for `gateReleasedSignal`. */
export const gateWaitSignal = defineSignal<[GateWaiter]>('gateWait');
/** Sent by the gate to a waiting workflow when its turn to call the provider again has come. */
export const gateReleasedSignal = defineSignal<[{ gateId: string }]>('gateReleased');
/**
 * A released workflow's activity asks for the instant it may call the provider (domain reserveCallSlot):
 * it waits until then, or is told to ask again later. One update per provider call, so a workflow that
 * makes two calls takes two slots.
 */
export const reserveCallSlotUpdate = defineUpdate<CallSlot, [{ workflowId: string }]>('reserveCallSlot');
export const providerGateStateQuery = defineQuery<ProviderGateState>('providerGateState');

/** The failure type of a provider call the gate held back (not sent, or not retried): the workflow waits on the gate. */
export const PROVIDER_GATE_OPEN = ErrorCode.ProviderGateOpen;

export type ProviderGateWorkflow = (input: ProviderGateInput) => Promise<void>;
export const PROVIDER_GATE_WORKFLOW = workflowRef<ProviderGateWorkflow>('providerGateWorkflow');
