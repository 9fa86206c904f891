import { Answers } from '../common/answer-schemas';
import { TRADE_CREATED } from './trade-answers';
import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import type { Principal } from '../auth/principal';
import { readIdempotencyKey, requestHash } from '../common/idempotency';
import { RateLimitedWrite } from '../common/rate-limits';
import { PaymentType } from '../../../domain';
import { CreateTradeDto } from './create-trade.dto';
import { TradesService } from './trades.service';
import { ApiProblems } from '../common/api-problems';

@ApiTags('trades')
@ApiBearerAuth()
@Controller('trades')
export class TradesController {
  constructor(private readonly trades: TradesService) {}

  @Post()
  @ApiProblems('REQUEST_UNPROCESSABLE', 'OUT_OF_STOCK', 'GROUP_BUY_CLOSED', 'GROUP_BUY_ACTIVITY_INACTIVE', 'GROUP_BUY_LIMIT_REACHED', 'GROUP_BUY_QUOTA_EXHAUSTED', 'COUPON_UNAVAILABLE', 'IDEMPOTENCY_KEY_REUSED')
  @HttpCode(201)
  @Roles('buyer')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Check out: one trade, one order (and order workflow) per seller; stock reserved' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key replays the first answer' })
  @Answers(201, TRADE_CREATED)
  async create(@CurrentPrincipal() buyer: Principal, @Body() dto: CreateTradeDto, @Headers('idempotency-key') key?: string) {
    const { answer } = await this.trades.createTrade({
      buyerId: buyer.id,
      items: dto.items,
      paymentType: dto.paymentType ?? PaymentType.ONLINE,
      groupBuy: dto.groupBuy,
      consignee: dto.consignee,
      idempotencyKey: readIdempotencyKey(key, false),
      requestHash: requestHash(dto),
    });
    return answer;
  }
}
