import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { WebhookEndpointHealth, retryDelayMs, shouldPause } from '../domain/webhooks';
import { DATABASE_RETRY } from './retry-policies';
import {
  WebhookEndpointInput,
  WebhookEndpointState,
  WebhookFailing,
  webhookEndpointChangedSignal,
  webhookEndpointStateQuery,
  webhookEventsCommittedSignal,
} from './webhook-endpoint.contract';

/**
 * One batch delivers up to WEBHOOK_BATCH_SIZE events, each request at most WEBHOOK_REQUEST_TIMEOUT (≤ 20 s):
 * it heartbeats after every delivery, so a worker that died is noticed after 30 s and the batch runs again
 * (skipping what it already delivered). Database trouble is retried like every database activity.
 */
const { deliverWebhookBatch } = proxyActivities<Activities>({ startToCloseTimeout: '15m', heartbeatTimeout: '30s', retry: DATABASE_RETRY });
const { pauseWebhookEndpoint } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/** Events in history before the workflow continues as new (a batch with its wake is about ten). */
const HISTORY_LIMIT = 2_000;

/**
 * `webhook-endpoint-{id}`: delivers its seller's outbox to one endpoint, batch after batch, for as long
 * as the endpoint is ENABLED (a disabled, deleted or paused endpoint ends it; enabling starts it again
 * from the endpoint's cursor). Between batches it waits for a wake — the commit notifier's signal, a
 * seller's change — or its idle poll (WEBHOOK_IDLE_POLL, 60 s by default), so an idle endpoint costs a
 * timer a minute. When a batch has a retryable failure (no answer, 5xx, 408/409/429, a 3xx) the endpoint
 * is FAILING: it waits an exponential backoff with jitter and probes with its oldest message; the first
 * delivery ends it. Failing for WEBHOOK_RETRY_FOR (3 days) pauses the endpoint (never deletes it).
 */
export async function webhookEndpointWorkflow(input: WebhookEndpointInput): Promise<void> {
  const { endpointId } = input;
  let failing: WebhookFailing | undefined = input.failing;
  let delivered = input.delivered ?? 0;
  let failed = input.failed ?? 0;
  let cursor = 0;
  let health: WebhookEndpointHealth = failing ? 'FAILING' : 'HEALTHY';
  let nextTryMs: number | undefined;
  let woken = false;
  let changed = false;

  setHandler(webhookEventsCommittedSignal, () => void (woken = true));
  setHandler(webhookEndpointChangedSignal, () => void (changed = true));
  setHandler(webhookEndpointStateQuery, (): WebhookEndpointState => ({
    endpointId,
    health,
    cursor,
    ...(failing ? { failingSinceIso: new Date(failing.sinceMs).toISOString(), ...(failing.lastError ? { lastError: failing.lastError } : {}) } : {}),
    failedTries: failing?.tries ?? 0,
    ...(nextTryMs !== undefined ? { nextTryIso: new Date(nextTryMs).toISOString() } : {}),
    delivered,
    failed,
  }));
  // The Temporal UI finds failing and paused endpoints: WebhookEndpointHealth = "FAILING".
  let indexed: WebhookEndpointHealth | undefined;
  const index = () => {
    if (indexed === health) return;
    indexed = health;
    upsertSearchAttributes({ WebhookEndpointHealth: [health] });
  };

  for (;;) {
    index();
    if (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof webhookEndpointWorkflow>({ endpointId, ...(failing ? { failing } : {}), delivered, failed });
    }
    // Signals that arrive while the batch runs wake the next wait at once.
    woken = false;
    changed = false;
    const batch = await deliverWebhookBatch({ endpointId, probe: failing !== undefined });
    delivered += batch.delivered;
    failed += batch.failed;
    cursor = batch.cursor;
    if (batch.status !== 'ENABLED') {
      health = batch.status === 'PAUSED' ? 'PAUSED' : 'STOPPED';
      index();
      return;
    }
    if (batch.retried === 0) {
      failing = undefined;
      health = 'HEALTHY';
      if (batch.more) continue;
      await condition(() => woken || changed, batch.schedule.idlePollMs);
      continue;
    }
    failing = { sinceMs: failing?.sinceMs ?? Date.now(), tries: (failing?.tries ?? 0) + 1, ...(batch.lastError ? { lastError: batch.lastError } : {}) };
    health = 'FAILING';
    if (shouldPause(failing.sinceMs, Date.now(), batch.schedule)) {
      const reason = `failing since ${new Date(failing.sinceMs).toISOString()} (${failing.tries} tries): ${failing.lastError ?? 'no answer'}`;
      if (await pauseWebhookEndpoint({ endpointId, reason })) {
        health = 'PAUSED';
        index();
        return;
      }
      continue;
    }
    index();
    const wait = retryDelayMs(failing.tries, batch.schedule, Math.random());
    nextTryMs = Date.now() + wait;
    // New events do not cut the backoff short; a seller's change (re-enable, replay, re-send) does.
    await condition(() => changed, wait);
    nextTryMs = undefined;
  }
}
