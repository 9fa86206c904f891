import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { PaymentType } from '../../../domain';
import { CHECKOUT_WAYS, CheckoutWay } from '../cart/cart-store';

/** javashop's receive_time choices. */
export const DELIVERY_TIMES = ['ANY', 'WORKDAYS', 'WEEKENDS'] as const;

export class CheckoutWayQuery {
  @ApiPropertyOptional({ enum: CHECKOUT_WAYS, default: 'CART' })
  @IsOptional()
  @IsIn(CHECKOUT_WAYS, { message: 'way must be CART or BUY_NOW' })
  way?: CheckoutWay;
}

export class SelectCouponDto {
  @ApiPropertyOptional({ enum: CHECKOUT_WAYS, default: 'CART' })
  @IsOptional()
  @IsIn(CHECKOUT_WAYS, { message: 'way must be CART or BUY_NOW' })
  way?: CheckoutWay;

  @ApiProperty({ example: 12, nullable: true, description: 'one of your claimed coupons of this shop (GET /coupons/mine), or null for none' })
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'memberCouponId must be an integer or null' })
  @Min(1)
  memberCouponId!: number | null;
}

export class AddressDto {
  @ApiProperty({ example: 'Li Lei' })
  @IsString()
  @Matches(/\S/, { message: 'address.name must not be empty' })
  @MaxLength(50)
  name!: string;

  @ApiProperty({ example: '13800000000' })
  @Matches(/^1[0-9]{10}$/, { message: 'address.mobile must be an 11-digit mainland mobile number' })
  mobile!: string;

  @ApiProperty({ example: 'Shanghai Pudong, Century Avenue 100' })
  @IsString()
  @Matches(/\S/, { message: 'address.detail must not be empty' })
  @MaxLength(200)
  detail!: string;
}

export class SubmitCheckoutDto {
  @ApiPropertyOptional({ enum: CHECKOUT_WAYS, default: 'CART' })
  @IsOptional()
  @IsIn(CHECKOUT_WAYS, { message: 'way must be CART or BUY_NOW' })
  way?: CheckoutWay;

  @ApiProperty({ type: AddressDto })
  @IsObject({ message: 'address is required: {name, mobile, detail}' })
  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;

  @ApiPropertyOptional({ enum: Object.values(PaymentType), default: PaymentType.ONLINE })
  @IsOptional()
  @IsIn(Object.values(PaymentType), { message: 'paymentType must be ONLINE or COD' })
  paymentType?: PaymentType;

  @ApiPropertyOptional({ example: 'Shanghai Tea Co. Ltd', description: 'invoice title; omit for no invoice' })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'invoiceTitle must not be empty' })
  @MaxLength(100)
  invoiceTitle?: string;

  @ApiPropertyOptional({ enum: DELIVERY_TIMES, default: 'ANY' })
  @IsOptional()
  @IsIn(DELIVERY_TIMES, { message: `deliveryTime must be one of ${DELIVERY_TIMES.join(', ')}` })
  deliveryTime?: (typeof DELIVERY_TIMES)[number];
}
