import { Answers, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';
import { PageParams, Paginated, afterNumber, pageOf, type PageRequest } from '../common/pagination';
import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, ParseIntPipe, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { MemberCouponStatus } from '../../../domain';
import { runStep } from '../../../db/business-events';
import { claimCoupon, insertCoupon } from '../../../db/coupons';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CreateCouponDto, CreateFullReductionDto, ShippingFeeDto } from './promotion.dto';
import { insertFullReduction, readBuyerCoupons, setShopShipping } from '../../../db/promotions';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { ApiProblems } from '../common/api-problems';

function window(from: string, until: string, names: [string, string]): [Date, Date] {
  const start = new Date(from);
  const end = new Date(until);
  if (!(end > start)) throw new BadRequestException(`${names[1]} must be after ${names[0]}`);
  return [start, end];
}

const FULL_REDUCTION = object({ id: integer(), sellerId: string(), title: string(), thresholdFen: integer(), discountFen: integer(), startsAt: dateTime(), endsAt: dateTime() });
const COUPON = object({ id: integer(), sellerId: string(), title: string(), thresholdFen: integer(), valueFen: integer(), validFrom: dateTime(), validUntil: dateTime(), totalCount: integer() });
const CLAIMED_COUPON = object({ memberCouponId: integer(), couponId: integer(), sellerId: integer(), status: oneOf(Object.values(MemberCouponStatus)) });
const MEMBER_COUPON = object({
  memberCouponId: integer(),
  couponId: integer(),
  sellerId: integer(),
  title: string(),
  thresholdFen: integer(),
  valueFen: integer(),
  validFromMs: integer('epoch milliseconds'),
  validUntilMs: integer('epoch milliseconds'),
  validFrom: dateTime(),
  validUntil: dateTime(),
  status: oneOf(Object.values(MemberCouponStatus)),
  orderSn: nullable(string('the order that used it')),
});

/** A seller's promotions (shipping fee, full reductions, coupons) and the buyers' claimed coupons. */
@ApiTags('promotions')
@ApiBearerAuth()
@Controller()
export class PromotionsController {
  constructor(private readonly dataSource: DataSource) {}

  @Put('promotions/shipping')
  @Roles('seller')
  @ApiOperation({ summary: "Set the shop's flat shipping fee per order" })
  @Answers(200, object({ sellerId: string(), shippingFen: integer() }))
  async setShipping(@CurrentPrincipal() seller: Principal, @Body() dto: ShippingFeeDto) {
    await setShopShipping(this.dataSource.manager, seller.id, dto.shippingFen);
    return { sellerId: seller.id, shippingFen: dto.shippingFen };
  }

  @Post('promotions/full-reductions')
  @Roles('seller')
  @ApiOperation({ summary: 'A full-reduction rule: spend ≥ thresholdFen in the shop, take discountFen off' })
  @Answers(201, FULL_REDUCTION)
  async createFullReduction(@CurrentPrincipal() seller: Principal, @Body() dto: CreateFullReductionDto) {
    if (dto.discountFen > dto.thresholdFen) throw new BadRequestException('discountFen must not exceed thresholdFen');
    const [startsAt, endsAt] = window(dto.startsAt, dto.endsAt, ['startsAt', 'endsAt']);
    const id = await insertFullReduction(this.dataSource.manager, { sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, discountFen: dto.discountFen, startsAt, endsAt });
    return { id, sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, discountFen: dto.discountFen, startsAt, endsAt };
  }

  @Post('promotions/coupons')
  @Roles('seller')
  @ApiOperation({ summary: 'A seller coupon: valueFen off goods of at least thresholdFen, valid in a window, claimable totalCount times' })
  @Answers(201, COUPON)
  async createCoupon(@CurrentPrincipal() seller: Principal, @Body() dto: CreateCouponDto) {
    const [validFrom, validUntil] = window(dto.validFrom, dto.validUntil, ['validFrom', 'validUntil']);
    const id = await runStep(this.dataSource, (manager) =>
      insertCoupon(manager, { sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, valueFen: dto.valueFen, validFrom, validUntil, totalCount: dto.totalCount }),
    );
    return { id, sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, valueFen: dto.valueFen, validFrom, validUntil, totalCount: dto.totalCount };
  }

  /** One copy per buyer and coupon (unique key); the claimed count rises only while copies are left (guarded update). */
  @Post('coupons/:couponId/claim')
  @ApiProblems('COUPON_UNAVAILABLE')
  @HttpCode(201)
  @Roles('buyer')
  @ApiOperation({ summary: 'Claim a coupon: the buyer gets one copy (memberCouponId) to use at checkout' })
  @Answers(201, CLAIMED_COUPON)
  async claim(@CurrentPrincipal() buyer: Principal, @Param('couponId', ParseIntPipe) couponId: number) {
    const buyerId = buyer.id;
    let outcome;
    try {
      outcome = await runStep(this.dataSource, (manager) => claimCoupon(manager, couponId, buyerId));
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `coupon ${couponId} was already claimed`);
      throw err;
    }
    switch (outcome.kind) {
      case 'not-found':
        throw new NotFoundException(`coupon ${couponId} not found`);
      case 'already-claimed':
        throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `coupon ${couponId} was already claimed (memberCouponId ${outcome.memberCouponId})`);
      case 'unavailable':
        throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `coupon ${couponId} is expired or all claimed`);
      default:
        return { memberCouponId: outcome.memberCouponId, couponId, sellerId: outcome.sellerId, status: MemberCouponStatus.UNUSED };
    }
  }

  @Get('coupons/mine')
  @Roles('buyer')
  @ApiOperation({ summary: "The buyer's claimed coupons, used or not" })
  @Paginated(MEMBER_COUPON, { description: 'In claim order' })
  async mine(@CurrentPrincipal() buyer: Principal, @PageParams() page: PageRequest) {
    const rows = await readBuyerCoupons(this.dataSource.manager, buyer.id, { afterId: afterNumber(page), take: page.limit + 1 });
    return pageOf(rows, page, (c) => [c.memberCouponId], (c) => ({ ...c, validFrom: new Date(c.validFromMs).toISOString(), validUntil: new Date(c.validUntilMs).toISOString() }));
  }
}
