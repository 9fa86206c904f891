import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { WORK_KINDS, WorkKind } from '../../../domain/support-work';
import { Roles } from '../auth/roles.decorator';
import { SupportTimelineService } from './support-timeline.service';

const ORDER_SN = /^[A-Za-z0-9_-]{1,32}$/;

/** Support's read side: find an order, its one timeline, and what waits on a person. */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support')
export class SupportTimelineController {
  constructor(private readonly support: SupportTimelineService) {}

  @Get('orders')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Find orders by number, buyer or seller (newest first, at most 50)' })
  @ApiQuery({ name: 'orderSn', required: false })
  @ApiQuery({ name: 'buyerId', required: false })
  @ApiQuery({ name: 'sellerId', required: false })
  async search(@Query('orderSn') orderSn?: string, @Query('buyerId') buyerId?: string, @Query('sellerId') sellerId?: string) {
    if (orderSn !== undefined && !ORDER_SN.test(orderSn)) throw new BadRequestException('orderSn must be an order number');
    const query = { orderSn: orderSn || undefined, buyerId: id('buyerId', buyerId), sellerId: id('sellerId', sellerId) };
    if (!query.orderSn && query.buyerId === undefined && query.sellerId === undefined) throw new BadRequestException('give orderSn, buyerId or sellerId');
    return this.support.search(query);
  }

  @Get('orders/:orderSn/timeline')
  @Roles('support', 'admin')
  @ApiOperation({ summary: "One order's story in time order: every step with its actor, money, stock and the Temporal history event that made it; pending timers last" })
  async timeline(@Param('orderSn') orderSn: string) {
    if (!ORDER_SN.test(orderSn)) throw new BadRequestException('orderSn must be an order number');
    return this.support.timeline(orderSn);
  }

  @Get('work-queue')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Everything waiting on a person, oldest first: kind, age, money, order, service level, and the endpoint that resolves it' })
  @ApiQuery({ name: 'kind', required: false, enum: WORK_KINDS })
  async workQueue(@Query('kind') kind?: string) {
    if (kind !== undefined && !(WORK_KINDS as readonly string[]).includes(kind)) throw new BadRequestException(`kind must be one of ${WORK_KINDS.join(', ')}`);
    return this.support.workQueue(kind ? { kinds: [kind as WorkKind] } : {});
  }
}

function id(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9]{1,18}$/.test(value)) throw new BadRequestException(`${name} must be a whole number`);
  return Number(value);
}
