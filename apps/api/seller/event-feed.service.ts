import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { lastSellerSeq, readSellerEvents, StoredBusinessEvent } from '../../../db/business-events';
import type { EventFeedPage, FeedEvent } from './event-feed.dto';

/** How often a waiting request looks for new events: one primary-key read of `seller_event_sequence`. */
export const FEED_POLL_INTERVAL_MS = 250;

/**
 * The seller's event feed: the outbox (`business_event`) read by `seller_seq` (db/business-events.ts).
 * A waiting request polls the seller's sequence row — bumped in the same transaction as the event, so
 * seeing a number means its event is committed and readable — and answers as soon as it moves.
 */
@Injectable()
export class EventFeedService {
  constructor(private readonly dataSource: DataSource) {}

  async read(sellerId: string, after: number, limit: number, waitMs: number, gone: () => boolean): Promise<EventFeedPage> {
    const deadline = Date.now() + waitMs;
    // Seller ids are ≥ 1 (the token's and the key's): the platform's own stream, seller 0, is never read here.
    while (waitMs > 0 && Date.now() < deadline && !gone() && (await lastSellerSeq(this.dataSource, sellerId)) <= after) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(FEED_POLL_INTERVAL_MS, Math.max(0, deadline - Date.now()))));
    }
    // One more than asked tells whether more follow, without a count.
    const rows = await readSellerEvents(this.dataSource, sellerId, after, limit + 1);
    const events = rows.slice(0, limit).map(feedEventOf);
    return { events, next: String(events.length ? events[events.length - 1].sellerSeq : after), hasMore: rows.length > limit };
  }
}

export function feedEventOf(event: StoredBusinessEvent): FeedEvent {
  return {
    sellerSeq: event.sellerSeq,
    eventId: event.eventId,
    eventType: event.eventType,
    entityType: event.entityType,
    entityId: event.entityId,
    orderSn: event.orderSn,
    payloadVersion: event.payloadVersion,
    payload: event.payload as unknown as Record<string, unknown>,
    occurredAt: event.occurredAt.toISOString(),
  };
}
