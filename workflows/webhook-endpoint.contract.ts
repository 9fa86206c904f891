/**
 * The webhook endpoint workflow's contract (`webhook-endpoint-{id}`, issue 22 item 3; docs/webhooks.md):
 * one long-running workflow per enabled endpoint delivers the seller's outbox to it. The API starts it
 * (create, enable, replay) and wakes it; the commit notifier (apps/shared/webhook-notifier.ts) wakes it
 * when the seller's events commit.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WebhookEndpointHealth, WebhookEndpointStatus, WebhookRetrySchedule } from '../domain/webhooks';
import { workflowRef } from './workflow-ref';

export { webhookEndpointWorkflowId } from '../domain/webhooks';

/** What a failing endpoint carries into its next run (continue-as-new), so its backoff and 3-day clock go on. */
export interface WebhookFailing {
  sinceMs: number;
  /** Failed batches (tries) in a row. */
  tries: number;
  lastError?: string;
}

export interface WebhookEndpointInput {
  endpointId: number;
  failing?: WebhookFailing;
  /** Totals of earlier runs (continue-as-new), for the query. */
  delivered?: number;
  failed?: number;
}

export interface WebhookBatchInput {
  endpointId: number;
  /** The endpoint is failing: try its oldest message alone first, and go on only if that one is delivered. */
  probe: boolean;
}

export interface WebhookBatchResult {
  /** The endpoint's status as the batch found it; anything but ENABLED ends the workflow. */
  status: WebhookEndpointStatus;
  delivered: number;
  /** Messages failed for good (a 4xx other than 408/409/429). */
  failed: number;
  /** Attempts that failed and will be retried (their messages stay PENDING). */
  retried: number;
  lastError?: string;
  /** The endpoint's cursor after the batch. */
  cursor: number;
  /** More events wait right now (a full page): the next batch starts at once. */
  more: boolean;
  /** The worker's WEBHOOK_RETRY_* and idle poll settings (so a changed setting applies without restarting workflows). */
  schedule: WebhookRetrySchedule;
}

/** The endpoint as its workflow sees it (query; the API's GET shows it). */
export interface WebhookEndpointState {
  endpointId: number;
  health: WebhookEndpointHealth;
  cursor: number;
  failingSinceIso?: string;
  failedTries: number;
  lastError?: string;
  nextTryIso?: string;
  delivered: number;
  failed: number;
}

/** New events of the endpoint's seller committed (coalesced by the notifier): read the outbox now. */
export const webhookEventsCommittedSignal = defineSignal('webhookEventsCommitted');
/** The seller changed the endpoint (disabled, deleted, re-enabled, replay, re-send): look at once, and a failing endpoint tries again now. */
export const webhookEndpointChangedSignal = defineSignal('webhookEndpointChanged');
export const webhookEndpointStateQuery = defineQuery<WebhookEndpointState>('webhookEndpointState');

export type WebhookEndpointWorkflow = (input: WebhookEndpointInput) => Promise<void>;
export const WEBHOOK_ENDPOINT_WORKFLOW = workflowRef<WebhookEndpointWorkflow>('webhookEndpointWorkflow');
