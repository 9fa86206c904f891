import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { throttlerOptions } from './common/rate-limits';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config';
import { SweepsController } from './admin/sweeps.controller';
import { SweepsService } from './admin/sweeps.service';
import { AuthGuard } from './auth/auth.guard';
import { GoodsController } from './goods/goods.controller';
import { HealthController } from './health/health.controller';
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
import { SupportRefundsController } from './support/support-refunds.controller';
import { createPaymentProviders } from '../../payments';
import { ProviderInbox } from '../shared/provider-inbox';
import { GroupBuys } from './trades/group-buys';
import { GroupBuysController } from './trades/group-buys.controller';
import { TradesController } from './trades/trades.controller';
import { TradesService } from './trades/trades.service';

/** Closes the API's MySQL pool and Temporal connection when Nest shuts down. */
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Module({})
export class AppModule {
  /** The connections are opened before Nest starts, so a bad setting fails with one line, not a DI stack trace. */
  static forRoot(config: AppConfig, connections: { dataSource: DataSource; temporal: Client }): DynamicModule {
    return {
      module: AppModule,
      imports: [JwtModule.register({ secret: config.api.jwtSecret, signOptions: { algorithm: 'HS256' } }), ThrottlerModule.forRoot(throttlerOptions(config))],
      controllers: [HealthController, GoodsController, TradesController, GroupBuysController, OrdersController, PaymentsController, CancellationsController, NotificationsController, SupportRefundsController, SweepsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: DataSource, useValue: connections.dataSource },
        { provide: TEMPORAL_CLIENT, useValue: connections.temporal },
        { provide: PAYMENT_PROVIDERS, useFactory: () => createPaymentProviders(config.payments) },
        { provide: APP_GUARD, useClass: AuthGuard },
        {
          provide: ProviderInbox,
          inject: [PAYMENT_PROVIDERS],
          useFactory: (providers: ReturnType<typeof createPaymentProviders>) => {
            const logger = new Logger('provider-inbox');
            return new ProviderInbox(connections.dataSource, connections.temporal, providers, { taskQueue: config.temporal.taskQueue, refundPollScheduleMs: config.refund.pollScheduleMs, warn: (m) => logger.warn(m) });
          },
        },
        CancellationsService,
        NotificationsService,
        PaymentsService,
        ConnectionsCloser,
        OrderAccess,
        OrderWorkflows,
        OrdersService,
        TradesService,
        SweepsService,
        GroupBuys,
      ],
    };
  }
}
