import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks secrets and signatures, made by the specification's own library (`standardwebhooks`),
 * so any receiver verifies them with an off-the-shelf one (docs/webhooks.md).
 */

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the specification's format). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` header: one `v1,<base64>` per secret, space-separated (during a rotation's
 * overlap the new and the old secret both sign; a receiver with either verifies).
 */
export function webhookSignature(secrets: readonly string[], messageId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body)).join(' ');
}

/** The three Standard Webhooks headers of one attempt (its timestamp is the attempt's: receivers reject stale ones). */
export function webhookHeaders(secrets: readonly string[], messageId: string, timestamp: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': webhookSignature(secrets, messageId, timestamp, body),
  };
}
