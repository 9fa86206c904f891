import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotificationAck, NotificationRejectedError, PaymentProvider, ProviderName, ProviderNotification } from '../../../payments';
import { ProviderInbox } from '../../shared/provider-inbox';
import { ApiMetrics } from '../observability/business-metrics';
import { PAYMENT_PROVIDERS } from '../tokens';

/** The outcome, for the controller: the provider's ack plus our own reason when we refuse. */
export interface NotificationOutcome {
  ack: NotificationAck;
  rejected?: string;
}

/**
 * Provider notifications: verified (signature over the raw body, decrypted, app/merchant checked),
 * then handed to the provider inbox, which checks them against our payment record, deduplicates and
 * delivers them to the workflow that owns the money. The provider is acked only once that is done,
 * so a failure here means the provider sends it again.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger('notifications');

  constructor(
    private readonly inbox: ProviderInbox,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: Record<ProviderName, PaymentProvider>,
    private readonly metrics: ApiMetrics,
  ) {}

  async receive(providerName: ProviderName, headers: Record<string, string | string[] | undefined>, rawBody: Buffer): Promise<NotificationOutcome> {
    const provider = this.providers[providerName];
    let notification: ProviderNotification;
    try {
      notification = provider.verifyNotification(headers, rawBody);
    } catch (err) {
      if (err instanceof NotificationRejectedError) return this.reject(provider, err.reason);
      throw err;
    }
    const outcome = await this.inbox.accept(notification);
    if (!outcome.accepted) return this.reject(provider, outcome.reason);
    this.metrics.notifications.inc({ provider: notification.provider, outcome: outcome.duplicate ? 'duplicate' : 'accepted' });
    return { ack: provider.ack(true) };
  }

  private reject(provider: PaymentProvider, reason: string): NotificationOutcome {
    this.logger.warn(`${provider.name} notification rejected: ${reason}`);
    this.metrics.notifications.inc({ provider: provider.name, outcome: 'rejected' });
    return { ack: provider.ack(false), rejected: reason };
  }
}
