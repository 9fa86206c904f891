import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { onEventsCommitted } from '../../db/event-commit-listeners';
import { enabledWebhookEndpointsOf } from '../../db/webhook-endpoints';
import { PLATFORM_SELLER_ID } from '../../domain/events';
import { webhookEndpointWorkflowId, webhookEventsCommittedSignal } from '../../workflows/webhook-endpoint.contract';

/**
 * Wakes webhook endpoint workflows when their seller's events commit, so a delivery starts within
 * milliseconds instead of at the workflow's idle poll. Commits are gathered for WAKE_DELAY_MS and the
 * sellers' enabled endpoints signalled once each: a burst of events is one signal per endpoint, however
 * many steps committed. Best effort — a wake lost with its process is made up by the workflow's poll.
 * One per DataSource (the API's and the worker's pools each have one; a worker restarted in the same
 * process reuses it with its new client).
 */
const WAKE_DELAY_MS = 20;

const notifiers = new WeakMap<DataSource, { client: Client }>();

export function installWebhookNotifier(dataSource: DataSource, client: Client, warn: (message: string) => void = () => undefined): void {
  const installed = notifiers.get(dataSource);
  if (installed) {
    installed.client = client;
    return;
  }
  const state = { client };
  notifiers.set(dataSource, state);
  const sellers = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  const wake = async () => {
    timer = undefined;
    const ids = [...sellers];
    sellers.clear();
    if (!dataSource.isInitialized) return;
    const endpoints = await enabledWebhookEndpointsOf(dataSource, ids);
    // A workflow that is not running (its endpoint was just disabled) has nothing to wake: ignored.
    await Promise.all(endpoints.map((e) => state.client.workflow.getHandle(webhookEndpointWorkflowId(e.id)).signal(webhookEventsCommittedSignal).catch(() => undefined)));
  };
  onEventsCommitted(dataSource, (events) => {
    for (const event of events) if (event.sellerId !== PLATFORM_SELLER_ID) sellers.add(event.sellerId);
    if (sellers.size > 0 && !timer) {
      timer = setTimeout(() => void wake().catch((err: Error) => warn(`webhook wake-up failed (the endpoints' poll delivers anyway): ${err.message}`)), WAKE_DELAY_MS);
      timer.unref();
    }
  });
}
