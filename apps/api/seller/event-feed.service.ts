import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { lastSellerSeq, readSellerEvents, StoredBusinessEvent } from '../../../db/business-events';
import type { EventFeedPage, FeedEvent } from './event-feed.dto';

/** How often a waiting request looks for new events: one primary-key read of `seller_event_sequence` per seller. */
export const FEED_POLL_INTERVAL_MS = 250;
/** Waiting requests one API process holds at most; beyond, a request answers at once (empty: the client asks again). */
export const FEED_MAX_WAITING = 1000;

/**
 * The seller's event feed: the outbox (`business_event`) read by `seller_seq` (db/business-events.ts).
 * A waiting request polls the seller's sequence row — bumped in the same transaction as the event, so
 * seeing a number means its event is committed and readable — and answers as soon as it moves. All
 * requests waiting for one seller share one read per interval, so the database sees at most four reads
 * a second per waiting seller, however many of its requests wait.
 */
@Injectable()
export class EventFeedService {
  private waiting = 0;
  private readonly latest = new Map<string, { at: number; seq: Promise<number> }>();

  constructor(private readonly dataSource: DataSource) {}

  async read(sellerId: string, after: number, limit: number, waitMs: number, gone: () => boolean): Promise<EventFeedPage> {
    if (waitMs > 0 && this.waiting < FEED_MAX_WAITING) {
      this.waiting++;
      try {
        const deadline = Date.now() + waitMs;
        // Seller ids are ≥ 1 (the token's and the key's): the platform's own stream, seller 0, is never read here.
        while (Date.now() < deadline && !gone() && (await this.latestSeq(sellerId)) <= after) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(FEED_POLL_INTERVAL_MS, Math.max(0, deadline - Date.now()))));
        }
      } finally {
        this.waiting--;
      }
    }
    // One more than asked tells whether more follow, without a count.
    const rows = await readSellerEvents(this.dataSource, sellerId, after, limit + 1);
    const events = rows.slice(0, limit).map(feedEventOf);
    return { events, next: String(events.length ? events[events.length - 1].sellerSeq : after), hasMore: rows.length > limit };
  }

  /** The seller's last number, read at most once per interval for all its waiting requests. */
  private latestSeq(sellerId: string): Promise<number> {
    const now = Date.now();
    const known = this.latest.get(sellerId);
    if (known && now - known.at < FEED_POLL_INTERVAL_MS) return known.seq;
    const seq = lastSellerSeq(this.dataSource, sellerId);
    this.latest.set(sellerId, { at: now, seq });
    // Forget it once stale (and on failure), so the map holds only sellers being waited for.
    const forget = () => setTimeout(() => this.latest.get(sellerId)?.seq === seq && this.latest.delete(sellerId), FEED_POLL_INTERVAL_MS).unref();
    seq.then(forget, forget);
    return seq;
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
