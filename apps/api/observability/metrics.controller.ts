import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/roles.decorator';
import { ApiMetrics } from './business-metrics';

/** Prometheus scrape endpoint. Public like /health: bind the API behind the network boundary you trust for scraping. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ApiMetrics) {}

  @Public()
  @Get()
  async scrape(@Res() response: { type(t: string): { send(body: string): void } }): Promise<void> {
    response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
