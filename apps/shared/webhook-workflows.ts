import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { enabledWebhookEndpointIds, findWebhookEndpoint } from '../../db/webhook-endpoints';
import { WEBHOOK_ENDPOINT_WORKFLOW, webhookEndpointChangedSignal, webhookEndpointWorkflowId, webhookEventsCommittedSignal } from '../../workflows/webhook-endpoint.contract';
import { signalWithStartWorkflow } from './start-workflows';

/**
 * Starts `webhook-endpoint-{id}` if it is not running, or signals the running one, in one call
 * (signal-with-start): `changed` for a seller's change (a failing endpoint tries again at once), else
 * the wake of new events. The API calls it after an endpoint is created, enabled, replayed or re-sent;
 * the worker at start for every enabled endpoint (one whose start was lost gets its workflow).
 */
export async function runWebhookEndpointWorkflow(client: Client, taskQueue: string, endpoint: { id: number; sellerId: number }, wake: 'changed' | 'events'): Promise<string> {
  const workflowId = webhookEndpointWorkflowId(endpoint.id);
  await signalWithStartWorkflow(client, WEBHOOK_ENDPOINT_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ endpointId: endpoint.id }],
    signal: wake === 'changed' ? webhookEndpointChangedSignal : webhookEventsCommittedSignal,
    signalArgs: [],
    searchAttributes: { SellerId: [String(endpoint.sellerId)], WebhookEndpointHealth: ['HEALTHY'] },
    staticSummary: `Webhook endpoint ${endpoint.id} of seller ${endpoint.sellerId}`,
  });
  return workflowId;
}

/** Tells a running endpoint workflow that its endpoint changed (disabled, deleted): it looks at once and ends. */
export async function tellWebhookEndpointChanged(client: Client, endpointId: number): Promise<void> {
  await client.workflow.getHandle(webhookEndpointWorkflowId(endpointId)).signal(webhookEndpointChangedSignal).catch(() => undefined);
}

/** Every enabled endpoint has its workflow (the worker calls it when it starts); answers how many. */
export async function ensureWebhookEndpointWorkflows(client: Client, dataSource: DataSource, taskQueue: string): Promise<number> {
  const ids = await enabledWebhookEndpointIds(dataSource);
  for (const id of ids) {
    const endpoint = await findWebhookEndpoint(dataSource, id);
    if (endpoint?.status === 'ENABLED') await runWebhookEndpointWorkflow(client, taskQueue, endpoint, 'events');
  }
  return ids.length;
}
