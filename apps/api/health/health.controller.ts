import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Client } from '@temporalio/client';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { withinMs } from '../../shared/within';
import { pingDatabase } from '../../../db/metrics';
import { Public } from '../auth/roles.decorator';
import { REDIS_CLIENT } from '../redis/redis';
import { TEMPORAL_CLIENT } from '../tokens';

/** How long one dependency may take to answer a readiness probe before it counts as down. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * Liveness and readiness, kept apart (NestJS Terminus): a liveness probe that checked the database
 * would restart every pod during a database blip, which only makes the blip longer. Liveness says the
 * process serves HTTP; readiness says it can do its work (MySQL, Temporal and Redis answer), so a load
 * balancer stops sending requests while they do not. `GET /health` stays as readiness for older probes.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Public()
  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP (no dependency is checked)' })
  live() {
    return this.health.check([]);
  }

  @Public()
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: MySQL, Temporal and Redis answer within 3 s; 503 with the one that does not' })
  ready() {
    return this.readiness();
  }

  @Public()
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness, as /health/ready (kept for existing probes)' })
  check() {
    return this.readiness();
  }

  private readiness() {
    return this.health.check([
      () => this.probe('mysql', () => pingDatabase(this.dataSource)),
      () => this.probe('temporal', () => this.temporal.connection.workflowService.getSystemInfo({})),
      () => this.probe('redis', () => this.redis.ping()),
    ]);
  }

  private async probe(key: string, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withinMs(check(), PROBE_TIMEOUT_MS);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message.split('\n')[0] });
    }
  }
}
