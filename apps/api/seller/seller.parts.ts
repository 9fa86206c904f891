import { ApiKeysController } from './api-keys.controller';
import { EventFeedController } from './event-feed.controller';
import { EventFeedService } from './event-feed.service';

/** What a seller's backend integrates with: its API keys and its event feed (docs/seller-integration.md). */
export const SELLER_CONTROLLERS = [ApiKeysController, EventFeedController];
export const SELLER_PROVIDERS = [EventFeedService];
