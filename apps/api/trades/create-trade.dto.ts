import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PaymentType } from '../../../domain';

export class TradeItemDto {
  @ApiProperty({ example: 1, description: 'SKU id (goods.id)' })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ example: 2, minimum: 1, maximum: 999 })
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(999)
  quantity!: number;
}

export class GroupBuyDto {
  @ApiPropertyOptional({ description: "Open a new group in this seller's group-buy activity (its group price, size and time to form); omit when joining by groupId", example: 12 })
  @IsOptional()
  @IsInt({ message: 'activityId must be an integer' })
  @Min(1)
  activityId?: number;

  @ApiPropertyOptional({ description: 'Join this open group (of an activity); omit to open a new group in activityId', example: 'G20261122170541123456' })
  @IsOptional()
  @Matches(/^G\d{20}$/, { message: 'groupId must look like G followed by 20 digits' })
  groupId?: string;
}

/** Prices are never accepted from the client: they come from the goods table. */
export class CreateTradeDto {
  @ApiProperty({ type: [TradeItemDto] })
  @IsArray()
  @ArrayMinSize(1, { message: 'items must hold at least one item' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => TradeItemDto)
  items!: TradeItemDto[];

  @ApiPropertyOptional({ enum: Object.values(PaymentType), default: PaymentType.ONLINE })
  @IsOptional()
  @IsIn(Object.values(PaymentType))
  paymentType?: PaymentType;

  @ApiPropertyOptional({ type: GroupBuyDto, description: 'Group buy (pintuan): one item, paid online; the order ships once the group forms' })
  @IsOptional()
  @ValidateNested()
  @Type(() => GroupBuyDto)
  groupBuy?: GroupBuyDto;

  @ApiPropertyOptional({ description: 'Delivery address and contact, stored with the trade', example: { name: 'Li Lei', mobile: '13800000000', address: 'Shanghai' } })
  @IsOptional()
  @IsObject()
  consignee?: Record<string, unknown>;
}
