import { Answers } from '../common/answer-schemas';
import { TRADE_CREATED } from '../trades/trade-answers';
import { CHECKOUT_VIEW } from './checkout-answers';
import { Body, Controller, Get, Headers, HttpCode, Param, ParseIntPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CartStore } from '../cart/cart-store';
import { RateLimitedWrite } from '../common/rate-limits';
import { readIdempotencyKey } from '../common/idempotency';
import { CheckoutWayQuery, SelectCouponDto, SubmitCheckoutDto } from './checkout.dto';
import { CheckoutService } from './checkout.service';
import { ApiProblems } from '../common/api-problems';

@ApiTags('checkout')
@ApiBearerAuth()
@Roles('buyer')
@Controller('checkout')
export class CheckoutController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly cart: CartStore,
  ) {}

  @Get()
  @ApiProblems('REQUEST_UNPROCESSABLE')
  @ApiOperation({ summary: 'The checkout view per shop: lines, promotions available and selected, totals (from the cart or buy-now)' })
  @Answers(200, CHECKOUT_VIEW)
  view(@CurrentPrincipal() buyer: Principal, @Query() query: CheckoutWayQuery) {
    return this.checkout.view(buyer.id, query.way ?? 'CART');
  }

  @Put('coupons/:sellerId')
  @ApiProblems('REQUEST_UNPROCESSABLE')
  @ApiOperation({ summary: 'Choose (or with null, drop) the coupon for one shop of the next checkout' })
  @Answers(200, CHECKOUT_VIEW)
  async selectCoupon(@CurrentPrincipal() buyer: Principal, @Param('sellerId', ParseIntPipe) sellerId: number, @Body() dto: SelectCouponDto) {
    await this.cart.selectCoupon(buyer.id, dto.way ?? 'CART', sellerId, dto.memberCouponId);
    return this.checkout.view(buyer.id, dto.way ?? 'CART');
  }

  @Post()
  @ApiProblems('REQUEST_UNPROCESSABLE', 'OUT_OF_STOCK', 'COUPON_UNAVAILABLE', 'IDEMPOTENCY_KEY_REUSED')
  @HttpCode(201)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Check out: one trade and one order (and order workflow) per shop, promotions applied, stock reserved, lines leave the cart' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key replays the first answer' })
  @Answers(201, TRADE_CREATED)
  submit(@CurrentPrincipal() buyer: Principal, @Body() dto: SubmitCheckoutDto, @Headers('idempotency-key') key?: string) {
    return this.checkout.submit(buyer.id, dto, readIdempotencyKey(key, false));
  }
}
