import { ApiProperty } from '@nestjs/swagger';
import { IsDateString, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const MAX_FEN = 100_000_000;

export class ShippingFeeDto {
  @ApiProperty({ example: 800, description: 'flat shipping fee per order of this shop, in fen (0 = free)' })
  @IsInt({ message: 'shippingFen must be an integer number of fen' })
  @Min(0)
  @Max(MAX_FEN)
  shippingFen!: number;
}

class PromotionWindowDto {
  @ApiProperty({ example: '10 off every 100' })
  @IsString()
  @Matches(/\S/, { message: 'title must not be empty' })
  @MaxLength(100)
  title!: string;

  @ApiProperty({ example: 10000, description: 'spend at least this (goods, in fen) in the shop' })
  @IsInt({ message: 'thresholdFen must be an integer number of fen' })
  @Min(0)
  @Max(MAX_FEN)
  thresholdFen!: number;
}

export class CreateFullReductionDto extends PromotionWindowDto {
  @ApiProperty({ example: 1000, description: 'taken off the shop goods total, in fen (≤ thresholdFen)' })
  @IsInt({ message: 'discountFen must be an integer number of fen' })
  @Min(1)
  @Max(MAX_FEN)
  discountFen!: number;

  @ApiProperty({ example: '2026-12-01T00:00:00Z' })
  @IsDateString({}, { message: 'startsAt must be an ISO 8601 date-time' })
  startsAt!: string;

  @ApiProperty({ example: '2026-12-31T00:00:00Z' })
  @IsDateString({}, { message: 'endsAt must be an ISO 8601 date-time' })
  endsAt!: string;
}

export class CreateCouponDto extends PromotionWindowDto {
  @ApiProperty({ example: 500, description: 'coupon value in fen' })
  @IsInt({ message: 'valueFen must be an integer number of fen' })
  @Min(1)
  @Max(MAX_FEN)
  valueFen!: number;

  @ApiProperty({ example: '2026-12-01T00:00:00Z' })
  @IsDateString({}, { message: 'validFrom must be an ISO 8601 date-time' })
  validFrom!: string;

  @ApiProperty({ example: '2026-12-31T00:00:00Z' })
  @IsDateString({}, { message: 'validUntil must be an ISO 8601 date-time' })
  validUntil!: string;

  @ApiProperty({ example: 100, description: 'how many buyers can claim it' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  totalCount!: number;
}
