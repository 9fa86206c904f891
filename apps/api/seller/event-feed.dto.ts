import { ApiProperty } from '@nestjs/swagger';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../../../domain/events';

const ENTITY_TYPES = [...new Set(Object.values(EVENT_CATALOGUE).map((entry) => entry.entity))];

/** One business event as the feed (and webhooks) carry it: the outbox row (docs/events.md). */
export class FeedEvent {
  @ApiProperty({ example: 42, description: "The event's number in the seller's stream (1, 2, 3, … without gaps, in commit order): the cursor" })
  sellerSeq!: number;

  @ApiProperty({ example: 'order:O2026120700001:SERVICE_CANCEL:PAID_OFF->CANCELLED', description: 'Unique and stable for the transition: deduplicate by it' })
  eventId!: string;

  @ApiProperty({
    enum: EVENT_TYPES,
    description: `What happened (catalogue version 1, docs/events.md):\n\n${EVENT_TYPES.map((type) => `- \`${type}\`: ${EVENT_CATALOGUE[type].summary}`).join('\n')}`,
  })
  eventType!: string;

  @ApiProperty({ enum: ENTITY_TYPES, example: 'order' })
  entityType!: string;

  @ApiProperty({ example: 'O2026120700001', description: 'The entity\'s id: order sn, out_trade_no, refund sn, request or row id' })
  entityId!: string;

  @ApiProperty({ type: String, nullable: true, example: 'O2026120700001', description: 'The order the event concerns, when there is one' })
  orderSn!: string | null;

  @ApiProperty({ example: 1, description: 'Ignore versions you do not know; fields may be added within a version' })
  payloadVersion!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The payload of `eventType` (fields per type: docs/events.md#catalogue-version-1). Money is integer fen; every payload has `actor {role, id}` — an API key acting for a seller is `{ role: SELLER, id: "key:{keyId}" }`.',
    example: { orderSn: 'O2026120700001', operation: 'SERVICE_CANCEL', from: 'PAID_OFF', to: 'CANCELLED', actor: { role: 'SELLER', id: 'key:17' } },
  })
  payload!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time', description: 'When it committed (database time); order by sellerSeq, not by this' })
  occurredAt!: string;
}

export class EventFeedPage {
  @ApiProperty({ type: [FeedEvent], description: 'In sellerSeq order; empty when nothing follows the cursor (after waiting, with `wait`)' })
  events!: FeedEvent[];

  @ApiProperty({ example: '42', description: 'Pass as `after` to read on: the last sellerSeq returned, or the `after` you sent when nothing came' })
  next!: string;

  @ApiProperty({ description: 'More events follow `next` already: ask again at once' })
  hasMore!: boolean;
}
