import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { mainTaskQueueOf, systemTaskQueues } from '../domain/task-queues';
import { GateBucket, addOutcomes, afterUnslottedCall, probeCloses, releaseBatch, releasesPerSecond, reserveCallSlot, shouldOpen, windowCounts } from '../domain/provider-gate';
import {
  GateCarry,
  GateProbe,
  GateWaiter,
  ProviderGateInput,
  ProviderGateState,
  gateOutcomesSignal,
  gateReleasedSignal,
  gateWaitSignal,
  providerGateStateQuery,
  reserveCallSlotUpdate,
} from './provider-gate.contract';

/** One probe call, never retried by Temporal: the next probe is the retry. */
const probe = proxyActivities<Activities>({ startToCloseTimeout: '15s', retry: { maximumAttempts: 1 } });

/** A closed gate with nothing waiting and no call reported for this long ends; the next report starts it again. */
const IDLE_END_MS = 60 * 60_000;
/** Events before the gate continues as new (each release is a signal, each batch a timer). */
const HISTORY_LIMIT = 4_000;

/**
 * `provider-gate-{provider}-{family}-{taskQueue}`: counts the family's provider calls by failure class (the
 * reports of activities/provider-gate.ts); when the window's share of retryable failures crosses the
 * threshold it opens. While open, calls are not sent: their workflows register here and wait; every
 * probe interval one probe asks the provider about a waiting refund (a read: nothing is submitted). The
 * first answer closes it, and the waiting workflows are released in batches a second apart
 * (releasesPerSecond: the call rate over the two calls a refund makes); each resubmits its own refund
 * number after asking the provider first, and every one of its provider calls takes a slot from this
 * gate (reserveCallSlot) so the calls never exceed PROVIDER_GATE_RELEASE_PER_SECOND in any second.
 */
export async function providerGateWorkflow(input: ProviderGateInput): Promise<void> {
  const { provider, family, settings } = input;
  const carried: GateCarry = input.carried ?? { buckets: [], waiting: [], probes: 0, released: 0, opened: 0 };
  let buckets: GateBucket[] = carried.buckets;
  let openSinceMs = carried.openSinceMs;
  const waiting = new Map<string, GateWaiter>(carried.waiting.map((w) => [w.workflowId, w]));
  let lastProbe: GateProbe | undefined = carried.lastProbe;
  let probes = carried.probes;
  let released = carried.released;
  let opened = carried.opened;
  let pacedCalls = carried.pacedCalls ?? 0;
  let nextFreeSlotMs = carried.nextFreeSlotMs ?? 0;
  let lastReportMs = Date.now();
  const gateId = workflowInfo().workflowId;

  const state = (): ProviderGateState => {
    const amounts = [...waiting.values()].reduce((sum, w) => sum + w.amountFen, 0);
    return {
      provider,
      family,
      status: openSinceMs === undefined ? 'CLOSED' : 'OPEN',
      ...(openSinceMs !== undefined ? { openSinceIso: new Date(openSinceMs).toISOString() } : {}),
      waiting: waiting.size,
      waitingFen: amounts,
      ...(lastProbe ? { lastProbe } : {}),
      probes,
      released,
      opened,
      pacedCalls,
      window: windowCounts(buckets, Date.now(), settings.windowMs),
      settings,
    };
  };
  // The Temporal UI finds an open gate (ProviderGateState="OPEN") and how much waits behind it.
  let indexed = '';
  const index = () => {
    const s = state();
    const key = `${s.status}/${s.waiting}/${s.openSinceIso ?? ''}`;
    if (key === indexed) return;
    indexed = key;
    upsertSearchAttributes({ ProviderGateState: [s.status, `${provider}-${family}`], ProviderGateWaiting: [s.waiting], ProviderGateOpenSince: s.openSinceIso ? [new Date(s.openSinceIso)] : [] });
  };

  setHandler(providerGateStateQuery, state);
  setHandler(gateOutcomesSignal, (outcomes) => {
    lastReportMs = Date.now();
    buckets = addOutcomes(buckets, outcomes, Date.now(), settings.windowMs);
    if (openSinceMs === undefined && shouldOpen(windowCounts(buckets, Date.now(), settings.windowMs), settings)) {
      openSinceMs = Date.now();
      opened += 1;
      log.warn('provider gate opened', { provider, family, window: windowCounts(buckets, Date.now(), settings.windowMs) });
    }
  });
  // Every provider call of released work takes a slot here: the gate is the one place that sees them all.
  setHandler(reserveCallSlotUpdate, () => {
    const slot = reserveCallSlot(nextFreeSlotMs, Date.now(), settings.releaseCallsPerSecond);
    if (slot.kind === 'slot') {
      nextFreeSlotMs = slot.nextFreeMs;
      pacedCalls += 1;
    }
    return slot;
  });
  setHandler(gateWaitSignal, (waiter) => {
    lastReportMs = Date.now();
    waiting.set(waiter.workflowId, waiter);
  });

  for (;;) {
    index();
    if (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const carry: GateCarry = { buckets, ...(openSinceMs !== undefined ? { openSinceMs } : {}), waiting: [...waiting.values()], ...(lastProbe ? { lastProbe } : {}), probes, released, opened, pacedCalls, nextFreeSlotMs };
      // On the gates' own queue (domain/task-queues.ts): a gate started on the main queue before it existed moves there now.
      const gatesQueue = systemTaskQueues(mainTaskQueueOf(workflowInfo().taskQueue)).providerGates;
      return makeContinueAsNewFunc<typeof providerGateWorkflow>({ taskQueue: gatesQueue })({ provider, family, settings, carried: carry });
    }
    if (openSinceMs !== undefined) {
      await sleep(settings.probeIntervalMs, { summary: `Gate open since ${new Date(openSinceMs).toISOString()}: wait to probe ${provider} ${family}` });
      const target = waiting.values().next().value as GateWaiter | undefined;
      probes += 1;
      const answer = await probe.probeProvider.executeWithOptions(
        { startToCloseTimeout: '15s', retry: { maximumAttempts: 1 }, summary: `Probe ${provider} ${family}${target ? ` (ask about ${target.refundSn})` : ''}` },
        [{ provider, family, refundSn: target?.refundSn }],
      ).catch((err: Error) => ({ failure: 'retryable' as const, detail: `probe failed: ${err.message}` }));
      // The probe reached the provider before now: released calls keep a slot's distance from it.
      nextFreeSlotMs = afterUnslottedCall(nextFreeSlotMs, Date.now(), settings.releaseCallsPerSecond);
      lastProbe = { atIso: new Date().toISOString(), answered: probeCloses({ atMs: Date.now(), failure: answer.failure }), detail: answer.detail };
      if (lastProbe.answered) {
        log.info('provider gate closed: the provider answered a probe', { provider, family, openForMs: Date.now() - openSinceMs, waiting: waiting.size });
        openSinceMs = undefined;
        // Old failures would open it again at once: the window starts over with the provider's answer.
        buckets = [];
      }
      continue;
    }
    if (waiting.size > 0) {
      // A batch of at most the rate, then a second's pause: no one-second window holds more than the rate.
      const batch = releaseBatch([...waiting.values()], settings.releaseCallsPerSecond);
      for (const w of batch) waiting.delete(w.workflowId);
      released += batch.length;
      const signals = batch.map((w) =>
        getExternalWorkflowHandle(w.workflowId)
          .signal(gateReleasedSignal, { gateId })
          // It finished meanwhile (support resolved it): nothing to release.
          .catch((err: Error) => log.info('waiting workflow is gone', { workflowId: w.workflowId, error: err.message })),
      );
      await Promise.all([sleep(1000, { summary: `Released ${batch.length}; ${waiting.size} still waiting (${releasesPerSecond(settings.releaseCallsPerSecond)} a second)` }), ...signals]);
      continue;
    }
    const woke = await condition(() => openSinceMs !== undefined || waiting.size > 0, IDLE_END_MS);
    if (!woke && Date.now() - lastReportMs >= IDLE_END_MS) {
      await condition(allHandlersFinished);
      return;
    }
  }
}
