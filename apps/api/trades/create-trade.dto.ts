import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
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

  @ApiPropertyOptional({ description: 'Delivery address and contact, stored with the trade', example: { name: 'Li Lei', mobile: '13800000000', address: 'Shanghai' } })
  @IsOptional()
  @IsObject()
  consignee?: Record<string, unknown>;
}
