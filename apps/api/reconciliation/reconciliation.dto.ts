import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';

export class StartReconciliationDto {
  @ApiProperty({ enum: ['wechatpay', 'alipay'] })
  @IsIn(['wechatpay', 'alipay'], { message: 'provider must be wechatpay or alipay' })
  provider!: 'wechatpay' | 'alipay';

  @ApiProperty({ example: '2026-11-30', description: 'the bill day, yyyy-MM-dd in China time' })
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'billDate must be yyyy-MM-dd' })
  billDate!: string;
}

export class ResolveDifferenceDto {
  @ApiProperty({ example: 'refunded the buyer by bank transfer, reference BT-20261201-07', description: 'what support did or found; kept in the case log' })
  @IsString({ message: 'note is required' })
  @Matches(/\S/, { message: 'note must not be empty' })
  @MaxLength(1000)
  note!: string;
}
