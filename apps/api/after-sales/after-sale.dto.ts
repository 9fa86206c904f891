import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { ServiceType } from '../../../domain';

export class AfterSaleLineDto {
  @ApiProperty({ example: 101, description: 'the order line (order_item.id, listed by GET /orders/{orderSn})' })
  @IsInt({ message: 'orderItemId must be an integer' })
  @Min(1)
  orderItemId!: number;

  @ApiProperty({ example: 1, minimum: 1, maximum: 999, description: 'units of that line' })
  @IsInt({ message: 'num must be an integer' })
  @Min(1, { message: 'num must be at least 1' })
  @Max(999)
  num!: number;
}

export class ApplyAfterSaleDto {
  @ApiProperty({ enum: Object.values(ServiceType), example: ServiceType.RETURN_GOODS })
  @IsIn(Object.values(ServiceType), { message: `serviceType must be one of ${Object.values(ServiceType).join(', ')}` })
  serviceType!: ServiceType;

  @ApiProperty({ type: [AfterSaleLineDto] })
  @IsArray()
  @ArrayMinSize(1, { message: 'lines must hold at least one line' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => AfterSaleLineDto)
  lines!: AfterSaleLineDto[];

  @ApiProperty({ example: 'Broken on arrival', maxLength: 255 })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(255)
  reason!: string;

  @ApiPropertyOptional({ example: 'The lid is cracked; photo attached.', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class AuditAfterSaleDto {
  @ApiProperty({ enum: ['PASS', 'REFUSE'] })
  @IsIn(['PASS', 'REFUSE'], { message: 'decision must be PASS or REFUSE' })
  decision!: 'PASS' | 'REFUSE';

  @ApiPropertyOptional({ example: 4300, description: 'PASS of a return or refund-only: the agreed refund in fen (≤ the lines’ refundable amount); absent: the requested amount' })
  @IsOptional()
  @IsInt({ message: 'refundFen must be an integer number of fen' })
  @Min(1)
  @Max(100_000_000)
  refundFen?: number;

  @ApiPropertyOptional({ example: 'The photo shows the item intact.', maxLength: 255, description: 'REFUSE: why (required)' })
  @ValidateIf((dto: AuditAfterSaleDto) => dto.decision === 'REFUSE' || dto.reason !== undefined)
  @IsString({ message: 'reason is required to refuse' })
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(255)
  reason?: string;
}

export class ReturnShipmentDto {
  @ApiProperty({ example: 'SF', maxLength: 64 })
  @IsString()
  @Matches(/\S/, { message: 'carrier must not be empty' })
  @MaxLength(64)
  carrier!: string;

  @ApiProperty({ example: 'SF1234567890', maxLength: 64 })
  @IsString()
  @Matches(/^[A-Za-z0-9-]{1,64}$/, { message: 'trackingNo must be 1-64 letters, digits or dashes' })
  trackingNo!: string;
}

export class ReceiptLineDto {
  @ApiProperty({ example: 101 })
  @IsInt({ message: 'orderItemId must be an integer' })
  @Min(1)
  orderItemId!: number;

  @ApiProperty({ example: 1, description: 'units received in good condition (back on the shelf)' })
  @IsInt({ message: 'goodNum must be an integer' })
  @Min(0)
  @Max(999)
  goodNum!: number;

  @ApiProperty({ example: 0, description: 'units received damaged (not restocked)' })
  @IsInt({ message: 'damagedNum must be an integer' })
  @Min(0)
  @Max(999)
  damagedNum!: number;
}

export class ReceiptDto {
  @ApiProperty({ type: [ReceiptLineDto] })
  @IsArray()
  @ArrayMinSize(1, { message: 'lines must hold at least one line' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ReceiptLineDto)
  lines!: ReceiptLineDto[];

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  note?: string;
}

export class AfterSaleReasonDto {
  @ApiProperty({ example: 'Found the missing part in the box.', maxLength: 255 })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(255)
  reason!: string;
}

export class SupportDecisionDto {
  @ApiProperty({ enum: ['REFUND', 'CLOSE'] })
  @IsIn(['REFUND', 'CLOSE'], { message: 'action must be REFUND or CLOSE' })
  action!: 'REFUND' | 'CLOSE';

  @ApiPropertyOptional({ example: 4300, description: 'REFUND: the amount in fen (required; ≤ what the lines are worth and what remains refundable)' })
  @ValidateIf((dto: SupportDecisionDto) => dto.action === 'REFUND' || dto.refundFen !== undefined)
  @IsInt({ message: 'refundFen must be an integer number of fen' })
  @Min(1)
  @Max(100_000_000)
  refundFen?: number;

  @ApiProperty({ example: 'Courier confirmed the parcel was lost; refunding the buyer.', maxLength: 255 })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(255)
  reason!: string;
}
