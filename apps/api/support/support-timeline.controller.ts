import { Answers, anyObject, arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { WORK_KINDS, WorkKind } from '../../../domain/support-work';
import { Roles } from '../auth/roles.decorator';
import { SupportTimelineService } from './support-timeline.service';

const ORDER_SN = /^[A-Za-z0-9_-]{1,32}$/;

const ORDER_HEADER = object({ orderSn: string(), tradeSn: string(), sellerId: integer(), buyerId: integer(), orderStatus: string(), payStatus: string(), shipStatus: string(), serviceStatus: string(), orderFen: integer(), paidFen: integer(), refundedFen: integer(), createdAt: dateTime() });
const WORK_ITEM = object({
  kind: oneOf(WORK_KINDS),
  id: string(),
  orderSn: nullable(string()),
  sellerId: nullable(integer()),
  buyerId: nullable(integer()),
  since: dateTime('when it started waiting'),
  ageMs: integer(),
  amountFen: integer(),
  summary: string(),
  escalated: boolean(),
  serviceLevelMs: integer(),
  overdue: boolean(),
  ageBucket: oneOf(['within', 'overdue', 'overdue_2x']),
  resolution: object({ method: oneOf(['POST']), path: string(), does: string() }),
  workflowId: nullable(string()),
  temporalUiUrl: nullable(string()),
});
const TIMELINE = object(
  {
    order: ORDER_HEADER,
    entries: arrayOf(object({ at: dateTime(), kind: string(), source: string(), key: string(), entity: nullable(object({ type: string(), id: string() })), actor: object({ role: string(), id: nullable(string()) }), what: string(), moneyFen: nullable(integer()), stock: nullable(anyObject()), history: nullable(anyObject('the Temporal history event that made the step, with its link')) }, { open: true }), 'in time order; pending timers last'),
    workflows: arrayOf(object({ workflowId: string(), runId: string(), temporalUiUrl: string() }, { open: true })),
    waiting: arrayOf(WORK_ITEM, 'what of this order waits on a person'),
    historyUnavailable: string('set when the Temporal histories could not be read'),
  },
  { optional: ['historyUnavailable'] },
);

/** Support's read side: find an order, its one timeline, and what waits on a person. */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support')
export class SupportTimelineController {
  constructor(private readonly support: SupportTimelineService) {}

  @Get('orders')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Find orders by number, buyer or seller (newest first)' })
  @ApiQuery({ name: 'orderSn', required: false })
  @ApiQuery({ name: 'buyerId', required: false })
  @ApiQuery({ name: 'sellerId', required: false })
  @Paginated(ORDER_HEADER, { description: 'Newest first' })
  async search(@PageParams() page: PageRequest, @Query('orderSn') orderSn?: string, @Query('buyerId') buyerId?: string, @Query('sellerId') sellerId?: string) {
    if (orderSn !== undefined && !ORDER_SN.test(orderSn)) throw new BadRequestException('orderSn must be an order number');
    const query = { orderSn: orderSn || undefined, buyerId: id('buyerId', buyerId), sellerId: id('sellerId', sellerId) };
    if (!query.orderSn && query.buyerId === undefined && query.sellerId === undefined) throw new BadRequestException('give orderSn, buyerId or sellerId');
    return this.support.search(query, page);
  }

  @Get('orders/:orderSn/timeline')
  @Roles('support', 'admin')
  @ApiOperation({ summary: "One order's story in time order: every step with its actor, money, stock and the Temporal history event that made it; pending timers last" })
  @Answers(200, TIMELINE)
  async timeline(@Param('orderSn') orderSn: string) {
    if (!ORDER_SN.test(orderSn)) throw new BadRequestException('orderSn must be an order number');
    return this.support.timeline(orderSn);
  }

  @Get('work-queue')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Everything waiting on a person, oldest first: kind, age, money, order, service level, and the endpoint that resolves it' })
  @ApiQuery({ name: 'kind', required: false, enum: WORK_KINDS })
  @Paginated(WORK_ITEM, { description: 'Oldest first (by when each started waiting)', extra: { serviceLevelsMs: { type: 'object', additionalProperties: { type: 'integer' }, description: 'per kind, in milliseconds' } } })
  async workQueue(@PageParams() page: PageRequest, @Query('kind') kind?: string) {
    if (kind !== undefined && !(WORK_KINDS as readonly string[]).includes(kind)) throw new BadRequestException(`kind must be one of ${WORK_KINDS.join(', ')}`);
    return this.support.workQueue(kind ? { kinds: [kind as WorkKind] } : {}, page);
  }
}

function id(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9]{1,18}$/.test(value)) throw new BadRequestException(`${name} must be a whole number`);
  return Number(value);
}
