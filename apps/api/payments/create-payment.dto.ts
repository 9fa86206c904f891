import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUrl } from 'class-validator';

export class CreatePaymentDto {
  @ApiProperty({ enum: ['alipay', 'wechatpay'], description: 'alipay: cashier form to POST; wechatpay: a QR code to scan' })
  @IsIn(['alipay', 'wechatpay'], { message: 'provider must be alipay or wechatpay' })
  provider!: 'alipay' | 'wechatpay';

  @ApiPropertyOptional({ description: 'Alipay: where the cashier sends the buyer back after paying' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'returnUrl must be an http(s) URL' })
  returnUrl?: string;
}
