import { Answers } from '../common/answer-schemas';
import { ORDER_PAYMENT_OPENED, ORDER_PAYMENT_STATUS, PNG } from './payment-answers';
import { Body, Controller, Get, Header, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import * as QRCode from 'qrcode';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { RateLimitedPoll, RateLimitedWrite } from '../common/rate-limits';
import { CreatePaymentDto } from './create-payment.dto';
import { PaymentsService } from './payments.service';
import { ApiProblems } from '../common/api-problems';

@ApiTags('payments')
@ApiBearerAuth()
@Controller('orders/:orderSn/payment')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @ApiProblems('PAYMENT_NOT_ALLOWED', 'PROVIDER_FAILED', 'PROVIDER_UNAVAILABLE')
  @Roles('buyer')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Pay an order: Alipay cashier form {gatewayUrl, formItems} or WeChat Pay QR {codeUrl, qrImageUrl}' })
  @Answers(201, ORDER_PAYMENT_OPENED)
  create(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string, @Body() dto: CreatePaymentDto) {
    return this.payments.create(buyer, orderSn, dto.provider, dto.returnUrl);
  }

  @Get()
  @Roles('buyer', 'seller', 'support', 'admin')
  @RateLimitedPoll()
  @ApiOperation({ summary: 'Payment status (what a QR page polls)' })
  @Answers(200, ORDER_PAYMENT_STATUS)
  status(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string) {
    return this.payments.status(principal, orderSn);
  }

  @Get('qr.png')
  @Roles('buyer')
  @Header('Content-Type', 'image/png')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('image/png')
  @ApiOperation({ summary: 'The WeChat Pay QR code as a PNG image' })
  @Answers(200, PNG, { contentType: 'image/png' })
  async qr(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string) {
    const codeUrl = await this.payments.codeUrl(buyer, orderSn);
    return new StreamableFile(await QRCode.toBuffer(codeUrl, { type: 'png', width: 320, margin: 2, errorCorrectionLevel: 'M' }));
  }
}
