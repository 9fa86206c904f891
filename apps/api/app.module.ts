import { StepsController } from './steps/steps.controller';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { throttlerOptions } from './common/rate-limits';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { SweepsController } from './admin/sweeps.controller';
import { SweepsService } from './admin/sweeps.service';
import { AuthGuard } from './auth/auth.guard';
import { ApiKeys } from './auth/api-keys';
import { BearerTokens } from './auth/bearer-tokens';
import { jwtSecretKey } from './auth/verify-token';
import { SELLER_CONTROLLERS, SELLER_PROVIDERS } from './seller/seller.parts';
import { GoodsController } from './goods/goods.controller';
import { HealthController } from './health/health.controller';
import { ApiMetrics } from './observability/business-metrics';
import { MetricsController } from './observability/metrics.controller';
import { RequestLogContext, requestLoggingModule } from './observability/request-logging';
import { OrderAccess } from './orders/order-access';
import { OrderWorkflows } from './orders/order-workflows';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { APP_CONFIG, PAYMENT_PROVIDERS, TEMPORAL_CLIENT } from './tokens';
import { CancellationsController } from './cancellations/cancellations.controller';
import { CancellationsService } from './cancellations/cancellations.service';
import { NotificationsController } from './notifications/notifications.controller';
import { NotificationsService } from './notifications/notifications.service';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsService } from './payments/payments.service';
import { TradePaymentsController } from './trade-payments/trade-payments.controller';
import { SupersededTradeAttempts } from './trade-payments/superseded-attempts';
import { TradePaymentsService } from './trade-payments/trade-payments.service';
import { SupportRefundsController } from './support/support-refunds.controller';
import { GoodwillRefundsController } from './support/goodwill-refunds.controller';
import { GoodwillRefundsService } from './support/goodwill-refunds.service';
import { ComplaintsController } from './complaints/complaints.controller';
import { ComplaintsService } from './complaints/complaints.service';
import { SupportComplaintsController } from './complaints/support-complaints.controller';
import { AfterSalesController } from './after-sales/after-sales.controller';
import { AfterSalesService } from './after-sales/after-sales.service';
import { SupportAfterSalesController } from './after-sales/support-after-sales.controller';
import { ReviewsController } from './reviews/reviews.controller';
import { ReviewsService } from './reviews/reviews.service';
import { ReconciliationController } from './reconciliation/reconciliation.controller';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { createPaymentProviders } from '../../payments';
import { ProviderInbox } from '../shared/provider-inbox';
import { GroupBuys } from './trades/group-buys';
import { GroupBuysController } from './trades/group-buys.controller';
import { TradesController } from './trades/trades.controller';
import { TradesService } from './trades/trades.service';
import type Redis from 'ioredis';
import { CartController } from './cart/cart.controller';
import { CartStore } from './cart/cart-store';
import { CheckoutController } from './checkout/checkout.controller';
import { CheckoutService } from './checkout/checkout.service';
import { PagesController } from './pages/pages.controller';
import { PromotionsController } from './promotions/promotions.controller';
import { REDIS_CLIENT } from './redis/redis';
import { SUPPORT_CONTROLLERS, SUPPORT_PROVIDERS } from './support/support.parts';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';
import { GroupBuyActivitiesController } from './group-buy-activities/group-buy-activities.controller';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service';

/** Closes the API's MySQL pool, Redis and Temporal connections when Nest shuts down. */
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Module({})
export class AppModule {
  /** The connections are opened before Nest starts, so a bad setting fails with one line, not a DI stack trace. */
  static forRoot(config: AppConfig, connections: { dataSource: DataSource; temporal: Client; redis: Redis }, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [JwtModule.register({ secret: jwtSecretKey(config.api.jwtSecret), signOptions: { algorithm: 'HS256' } }), requestLoggingModule(logger), ThrottlerModule.forRoot(throttlerOptions(config, connections.redis)), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, MetricsController, GoodsController, TradesController, GroupBuysController, OrdersController, PaymentsController, TradePaymentsController, CancellationsController, NotificationsController, SupportRefundsController, GoodwillRefundsController, SweepsController, ComplaintsController, SupportComplaintsController, AfterSalesController, SupportAfterSalesController, ReviewsController, ReconciliationController, CartController, CheckoutController, PromotionsController, PagesController, ...SUPPORT_CONTROLLERS, ...SELLER_CONTROLLERS, StepsController, WebhookEndpointsController, GroupBuyActivitiesController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: DataSource, useValue: connections.dataSource },
        { provide: TEMPORAL_CLIENT, useValue: connections.temporal },
        { provide: REDIS_CLIENT, useValue: connections.redis },
        { provide: PAYMENT_PROVIDERS, useFactory: () => createPaymentProviders(config.payments) },
        { provide: BearerTokens, inject: [JwtService], useFactory: (jwt: JwtService) => new BearerTokens(config.api.auth, jwt) },
        ApiKeys,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_INTERCEPTOR, useClass: RequestLogContext },
        ApiMetrics,
        {
          provide: ProviderInbox,
          inject: [PAYMENT_PROVIDERS],
          useFactory: (providers: ReturnType<typeof createPaymentProviders>) => {
            const inboxLog = logger.child({ component: 'provider-inbox' });
            return new ProviderInbox(connections.dataSource, connections.temporal, providers, { taskQueue: config.temporal.taskQueue, refundPollScheduleMs: config.refund.pollScheduleMs, workPriorities: config.workPriorities, warn: (m) => inboxLog.warn(m) });
          },
        },
        CancellationsService,
        GoodwillRefundsService,
        ComplaintsService,
        AfterSalesService,
        ReviewsService,
        NotificationsService,
        PaymentsService,
        TradePaymentsService,
        SupersededTradeAttempts,
        ConnectionsCloser,
        OrderAccess,
        OrderWorkflows,
        OrdersService,
        TradesService,
        SweepsService,
        ReconciliationService,
        GroupBuys,
        CartStore,
        CheckoutService,
        ...SUPPORT_PROVIDERS,
        ...SELLER_PROVIDERS,
        WebhookEndpointsService,
      ],
    };
  }
}
