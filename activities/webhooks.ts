import { Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { StoredBusinessEvent } from '../db/business-events';
import { lastSellerSeq } from '../db/business-events';
import { readUnsettledEvents, recordWebhookAttempt } from '../db/webhook-deliveries';
import { WebhookEndpointRow, advanceWebhookCursor, findWebhookEndpoint, markWebhookEndpointFailing, pauseWebhookEndpoint } from '../db/webhook-endpoints';
import { WebhookAttemptOutcome, WebhookRetrySchedule, WebhookSettings, attemptOutcome, deliveryPartition } from '../domain/webhooks';
import type { WebhookBatchInput, WebhookBatchResult } from '../workflows/webhook-endpoint.contract';
import { webhookHeaders } from '../apps/shared/webhook-signing';
import type { Resolve } from '../apps/shared/webhook-target';
import { postWebhook } from './webhook-http';

/**
 * The endpoint workflow's activities (workflows/webhook-endpoint.workflow.ts). One batch: read the
 * seller's events after the endpoint's cursor that it has not settled, deliver them — one order's events
 * strictly in sequence, several orders at once (WEBHOOK_CONCURRENCY) — record every attempt, and move
 * the cursor past what is settled. A retried batch skips what an earlier try delivered (the message
 * rows), so a message is sent again only if the worker died between the receiver's 2xx and the record
 * (at least once: receivers deduplicate by webhook-id).
 */
export class WebhookActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: WebhookSettings,
    /** Tests play a DNS change with their own resolver; the system's otherwise. */
    private readonly resolve?: Resolve,
  ) {}

  async deliverWebhookBatch(input: WebhookBatchInput): Promise<WebhookBatchResult> {
    const schedule: WebhookRetrySchedule = { initialMs: this.settings.initialMs, maxIntervalMs: this.settings.maxIntervalMs, retryForMs: this.settings.retryForMs, idlePollMs: this.settings.idlePollMs };
    const endpoint = await findWebhookEndpoint(this.dataSource, input.endpointId);
    const empty = { delivered: 0, failed: 0, retried: 0, more: false, schedule };
    if (!endpoint) return { ...empty, status: 'DELETED', cursor: 0 };
    if (endpoint.status !== 'ENABLED') return { ...empty, status: endpoint.status, cursor: endpoint.cursorSeq };

    // The last number first: every event up to it has committed, so if all unsettled ones up to it are settled below, the cursor may move to it.
    const last = await lastSellerSeq(this.dataSource, endpoint.sellerId);
    const events = await readUnsettledEvents(this.dataSource, endpoint.id, endpoint.sellerId, endpoint.cursorSeq, this.settings.batchSize);
    // Its types only — except a message queued again at or below the cursor: the seller asked for that one (a re-send of any of its events).
    const wanted = events.filter((e) => endpoint.eventTypes === null || endpoint.eventTypes.includes(e.eventType) || e.sellerSeq <= endpoint.cursorSeq);
    const settled = new Set(events.filter((e) => !wanted.includes(e)).map((e) => e.sellerSeq));
    const tally = { delivered: 0, failed: 0, retried: 0, lastError: undefined as string | undefined };
    let stopping = false;
    const deliverOne = async (event: StoredBusinessEvent): Promise<WebhookAttemptOutcome> => {
      const outcome = await this.deliver(endpoint, event);
      if (outcome.outcome === 'RETRY') {
        tally.retried += 1;
        tally.lastError ??= outcome.error;
        // A failing endpoint gets no new requests from this batch: the ones under way finish, the workflow backs off.
        stopping = true;
      } else {
        settled.add(event.sellerSeq);
        if (outcome.outcome === 'DELIVERED') tally.delivered += 1;
        else tally.failed += 1;
      }
      Context.current().heartbeat({ delivered: tally.delivered, failed: tally.failed });
      return outcome.outcome;
    };

    const partitions = partition(wanted);
    if (input.probe && wanted.length > 0) {
      // A failing endpoint is probed with one message (its oldest) before anything else is sent.
      const first = wanted[0];
      const queue = partitions.get(deliveryPartition(first))!;
      if ((await deliverOne(first)) === 'RETRY') return this.finish(endpoint, events, settled, last, tally, schedule);
      queue.shift();
    }
    const queues = [...partitions.values()].filter((q) => q.length > 0);
    const lane = async () => {
      for (let queue = queues.shift(); queue && !stopping; queue = queues.shift()) {
        for (const event of queue) {
          if (stopping || (await deliverOne(event)) === 'RETRY') break;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, queues.length) }, lane));
    return this.finish(endpoint, events, settled, last, tally, schedule);
  }

  /** The workflow pauses an endpoint that failed for WEBHOOK_RETRY_FOR; false if the seller changed it meanwhile. */
  async pauseWebhookEndpoint(input: { endpointId: number; reason: string }): Promise<boolean> {
    return pauseWebhookEndpoint(this.dataSource, input.endpointId, input.reason);
  }

  private async deliver(endpoint: WebhookEndpointRow, event: StoredBusinessEvent): Promise<{ outcome: WebhookAttemptOutcome; error?: string }> {
    const attemptedAt = new Date();
    const body = JSON.stringify(webhookBody(event));
    const headers = webhookHeaders(signingSecrets(endpoint, attemptedAt), event.eventId, attemptedAt, body);
    const { allowHttp, allowPrivateTargets, requestTimeoutMs } = this.settings;
    const answer = await postWebhook(endpoint.url, body, headers, { allowHttp, allowPrivateTargets, timeoutMs: requestTimeoutMs, resolve: this.resolve });
    const outcome = attemptOutcome(answer.statusCode);
    const error = answer.error ?? (outcome === 'DELIVERED' ? undefined : `HTTP ${answer.statusCode}${answer.statusCode && answer.statusCode >= 300 && answer.statusCode < 400 ? ' (redirects are not followed)' : ''}`);
    await recordWebhookAttempt(this.dataSource, {
      endpointId: endpoint.id,
      sellerSeq: event.sellerSeq,
      eventId: event.eventId,
      attemptedAt,
      statusCode: answer.statusCode ?? null,
      latencyMs: answer.latencyMs,
      outcome,
      error: error?.slice(0, 500) ?? null,
      responseExcerpt: answer.excerpt ?? null,
    });
    return { outcome, error };
  }

  /** Moves the cursor over the settled prefix after it, keeps the failing mark, and reports the batch. */
  private async finish(endpoint: WebhookEndpointRow, events: StoredBusinessEvent[], settled: Set<number>, last: number, tally: { delivered: number; failed: number; retried: number; lastError?: string }, schedule: WebhookRetrySchedule): Promise<WebhookBatchResult> {
    const full = events.length >= this.settings.batchSize;
    const blocked = events.find((e) => !settled.has(e.sellerSeq));
    // Re-sent and replayed messages sit at or below the cursor and do not move it. After it: every
    // unsettled event up to `last` was in the batch (unless it was full), so with all of them settled the cursor reaches `last`.
    const after = events.filter((e) => e.sellerSeq > endpoint.cursorSeq);
    const blockedAfter = after.find((e) => !settled.has(e.sellerSeq));
    const cursor = blockedAfter ? blockedAfter.sellerSeq - 1 : full ? Math.max(after.at(-1)?.sellerSeq ?? 0, endpoint.cursorSeq) : Math.max(last, after.at(-1)?.sellerSeq ?? 0, endpoint.cursorSeq);
    if (cursor > endpoint.cursorSeq) await advanceWebhookCursor(this.dataSource, endpoint.id, cursor);
    if (tally.retried > 0) await markWebhookEndpointFailing(this.dataSource, endpoint.id, new Date());
    else if (tally.delivered + tally.failed > 0) await markWebhookEndpointFailing(this.dataSource, endpoint.id, null);
    return {
      status: 'ENABLED',
      delivered: tally.delivered,
      failed: tally.failed,
      retried: tally.retried,
      ...(tally.lastError ? { lastError: tally.lastError } : {}),
      cursor: Math.max(cursor, endpoint.cursorSeq),
      // More waits now: a full page, or settled events past a blocked one will be read again after the backoff.
      more: full && !blocked,
      schedule,
    };
  }
}

/** The Standard Webhooks body: type, timestamp (when it happened), data (the event's ids, number and payload). */
export function webhookBody(event: StoredBusinessEvent) {
  return {
    type: event.eventType,
    timestamp: event.occurredAt.toISOString(),
    data: {
      eventId: event.eventId,
      sellerId: event.sellerId,
      sellerSeq: event.sellerSeq,
      entityType: event.entityType,
      entityId: event.entityId,
      orderSn: event.orderSn,
      payloadVersion: event.payloadVersion,
      payload: event.payload,
    },
  };
}

/** The current secret, and the previous one while its rotation overlap lasts. */
function signingSecrets(endpoint: WebhookEndpointRow, at: Date): string[] {
  const overlap = endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > at;
  return overlap ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
}

/** Events by delivery partition (an order, or an entity without one), each in sequence order; partitions by their first event. */
function partition(events: StoredBusinessEvent[]): Map<string, StoredBusinessEvent[]> {
  const partitions = new Map<string, StoredBusinessEvent[]>();
  for (const event of events) {
    const key = deliveryPartition(event);
    const queue = partitions.get(key) ?? [];
    queue.push(event);
    partitions.set(key, queue);
  }
  return partitions;
}
