import { arrayOf, dateTime, integer, nullable, object, oneOf, string, named } from '../common/answer-schemas';

/** The answers of the webhook endpoint routes, in OpenAPI (common/answer-schemas.ts). */

const ENDPOINT_STATUSES = ['ENABLED', 'DISABLED', 'PAUSED'];

const ENDPOINT = object({
  id: integer(),
  url: string(),
  description: string(),
  eventTypes: nullable(arrayOf(string(), 'null: every event type')),
  status: oneOf(ENDPOINT_STATUSES),
  statusReason: nullable(string()),
  cursor: integer('the seller_seq of the last event handed to the endpoint'),
  failingSince: nullable(dateTime()),
  deliveredCount: integer(),
  failedCount: integer(),
  failedAttemptCount: integer(),
  previousSecretExpiresAt: nullable(dateTime('while a rotated secret still signs beside the new one')),
  createdAt: dateTime(),
  updatedAt: dateTime(),
  workflowId: string(),
  temporalUiUrl: string(),
});

export const WEBHOOK_ENDPOINT = named('WebhookEndpoint', ENDPOINT);

export const CREATED_WEBHOOK_ENDPOINT = named('CreatedWebhookEndpoint', { ...ENDPOINT, required: [...(ENDPOINT.required ?? []), 'secret'], properties: { ...ENDPOINT.properties, secret: string('whsec_…, shown this once') } });

export const ROTATED_SECRET = object({ id: integer(), secret: string('whsec_…, shown this once'), previousSecretExpiresAt: nullable(dateTime()) });

export const RESENT_MESSAGE = object({ endpointId: integer(), eventId: string(), sellerSeq: integer(), status: oneOf(['PENDING']), endpointStatus: oneOf(ENDPOINT_STATUSES) });

export const REPLAY_QUEUED = object({ endpointId: integer(), after: integer(), queued: integer('messages queued again'), cursor: integer(), endpointStatus: oneOf(ENDPOINT_STATUSES) });

export const WEBHOOK_ATTEMPT = named('WebhookAttempt', object({
  id: integer(),
  eventId: string(),
  sellerSeq: integer(),
  attemptNo: integer(),
  attemptedAt: dateTime(),
  statusCode: nullable(integer()),
  latencyMs: nullable(integer()),
  outcome: string(),
  error: nullable(string()),
  responseExcerpt: nullable(string()),
}));

export const WEBHOOK_MESSAGE = named('WebhookMessage', object({
  sellerSeq: integer(),
  eventId: string(),
  status: oneOf(['PENDING', 'DELIVERED', 'FAILED']),
  attempts: integer(),
  lastAttemptAt: nullable(dateTime()),
  lastStatusCode: nullable(integer()),
  lastError: nullable(string()),
  deliveredAt: nullable(dateTime()),
}));
