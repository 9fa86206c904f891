import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, ParseIntPipe, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { MemberCouponStatus } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CreateCouponDto, CreateFullReductionDto, ShippingFeeDto } from './promotion.dto';
import { readBuyerCoupons } from './promotion-reader';

function window(from: string, until: string, names: [string, string]): [Date, Date] {
  const start = new Date(from);
  const end = new Date(until);
  if (!(end > start)) throw new BadRequestException(`${names[1]} must be after ${names[0]}`);
  return [start, end];
}

/** A seller's promotions (shipping fee, full reductions, coupons) and the buyers' claimed coupons. */
@ApiTags('promotions')
@ApiBearerAuth()
@Controller()
export class PromotionsController {
  constructor(private readonly dataSource: DataSource) {}

  @Put('promotions/shipping')
  @Roles('seller')
  @ApiOperation({ summary: "Set the shop's flat shipping fee per order" })
  async setShipping(@CurrentPrincipal() seller: Principal, @Body() dto: ShippingFeeDto) {
    await this.dataSource.query('INSERT INTO shop_shipping (seller_id, shipping_fen) VALUES (?, ?) ON DUPLICATE KEY UPDATE shipping_fen = VALUES(shipping_fen)', [seller.id, dto.shippingFen]);
    return { sellerId: seller.id, shippingFen: dto.shippingFen };
  }

  @Post('promotions/full-reductions')
  @Roles('seller')
  @ApiOperation({ summary: 'A full-reduction rule: spend ≥ thresholdFen in the shop, take discountFen off' })
  async createFullReduction(@CurrentPrincipal() seller: Principal, @Body() dto: CreateFullReductionDto) {
    if (dto.discountFen > dto.thresholdFen) throw new BadRequestException('discountFen must not exceed thresholdFen');
    const [startsAt, endsAt] = window(dto.startsAt, dto.endsAt, ['startsAt', 'endsAt']);
    const result = await this.dataSource.query(
      'INSERT INTO full_reduction (seller_id, title, threshold_fen, discount_fen, starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)',
      [seller.id, dto.title.trim(), dto.thresholdFen, dto.discountFen, startsAt, endsAt],
    );
    return { id: result.insertId, sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, discountFen: dto.discountFen, startsAt, endsAt };
  }

  @Post('promotions/coupons')
  @Roles('seller')
  @ApiOperation({ summary: 'A seller coupon: valueFen off goods of at least thresholdFen, valid in a window, claimable totalCount times' })
  async createCoupon(@CurrentPrincipal() seller: Principal, @Body() dto: CreateCouponDto) {
    const [validFrom, validUntil] = window(dto.validFrom, dto.validUntil, ['validFrom', 'validUntil']);
    const result = await this.dataSource.query(
      'INSERT INTO coupon (seller_id, title, threshold_fen, value_fen, valid_from, valid_until, total_count) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [seller.id, dto.title.trim(), dto.thresholdFen, dto.valueFen, validFrom, validUntil, dto.totalCount],
    );
    return { id: result.insertId, sellerId: seller.id, title: dto.title.trim(), thresholdFen: dto.thresholdFen, valueFen: dto.valueFen, validFrom, validUntil, totalCount: dto.totalCount };
  }

  /** One copy per buyer and coupon (unique key); the claimed count rises only while copies are left (guarded update). */
  @Post('coupons/:couponId/claim')
  @HttpCode(201)
  @Roles('buyer')
  @ApiOperation({ summary: 'Claim a coupon: the buyer gets one copy (memberCouponId) to use at checkout' })
  async claim(@CurrentPrincipal() buyer: Principal, @Param('couponId', ParseIntPipe) couponId: number) {
    const buyerId = buyer.id;
    return this.dataSource.transaction(async (manager) => {
      const [coupon] = await manager.query('SELECT id, seller_id, valid_until FROM coupon WHERE id = ?', [couponId]);
      if (!coupon) throw new NotFoundException(`coupon ${couponId} not found`);
      const [mine] = await manager.query('SELECT id FROM member_coupon WHERE coupon_id = ? AND buyer_id = ?', [couponId, buyerId]);
      if (mine) throw new ConflictException(`coupon ${couponId} was already claimed (memberCouponId ${mine.id})`);
      const taken = await manager.query('UPDATE coupon SET claimed_count = claimed_count + 1 WHERE id = ? AND claimed_count < total_count AND valid_until > NOW(3)', [couponId]);
      if (taken.affectedRows === 0) throw new ConflictException(`coupon ${couponId} is expired or all claimed`);
      try {
        const inserted = await manager.query('INSERT INTO member_coupon (coupon_id, seller_id, buyer_id, status) VALUES (?, ?, ?, ?)', [couponId, coupon.seller_id, buyerId, MemberCouponStatus.UNUSED]);
        return { memberCouponId: inserted.insertId, couponId, sellerId: coupon.seller_id, status: MemberCouponStatus.UNUSED };
      } catch (err) {
        if ((err as { code?: string }).code === 'ER_DUP_ENTRY') throw new ConflictException(`coupon ${couponId} was already claimed`);
        throw err;
      }
    });
  }

  @Get('coupons/mine')
  @Roles('buyer')
  @ApiOperation({ summary: "The buyer's claimed coupons, used or not" })
  mine(@CurrentPrincipal() buyer: Principal) {
    return readBuyerCoupons(this.dataSource.manager, buyer.id);
  }
}
