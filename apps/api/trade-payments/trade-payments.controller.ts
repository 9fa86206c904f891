import { Answers } from '../common/answer-schemas';
import { PNG, TRADE_PAYMENT_OPENED, TRADE_PAYMENT_STATUS } from '../payments/payment-answers';
import { Body, Controller, Get, Header, Headers, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import * as QRCode from 'qrcode';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { ApiProblems } from '../common/api-problems';
import { readIdempotencyKey, requestHash } from '../common/idempotency';
import { RateLimitedPoll, RateLimitedWrite } from '../common/rate-limits';
import { CreatePaymentDto } from '../payments/create-payment.dto';
import { TradePaymentsService } from './trade-payments.service';

@ApiTags('payments')
@ApiBearerAuth()
@Controller('trades/:tradeSn/payment')
export class TradePaymentsController {
  constructor(private readonly payments: TradePaymentsService) {}

  @Post()
  @ApiProblems('PAYMENT_NOT_ALLOWED', 'PROVIDER_FAILED', 'PROVIDER_UNAVAILABLE', 'IDEMPOTENCY_KEY_REUSED')
  @Roles('buyer')
  @RateLimitedWrite()
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key answers for the same payment attempt' })
  @ApiOperation({ summary: "Pay every order of a trade still awaiting payment with one provider payment (each order gets its share): Alipay cashier form or WeChat Pay QR" })
  @Answers(201, TRADE_PAYMENT_OPENED)
  create(@CurrentPrincipal() buyer: Principal, @Param('tradeSn') tradeSn: string, @Body() dto: CreatePaymentDto, @Headers('idempotency-key') key?: string) {
    return this.payments.create(buyer, tradeSn, dto.provider, { returnUrl: dto.returnUrl, idempotencyKey: readIdempotencyKey(key, false), requestHash: requestHash(dto) });
  }

  @Get()
  @Roles('buyer', 'support', 'admin')
  @RateLimitedPoll()
  @ApiOperation({ summary: "The trade's payment status and its orders' (what the trade's QR page polls)" })
  @Answers(200, TRADE_PAYMENT_STATUS)
  status(@CurrentPrincipal() principal: Principal, @Param('tradeSn') tradeSn: string) {
    return this.payments.status(principal, tradeSn);
  }

  @Get('qr.png')
  @Roles('buyer')
  @Header('Content-Type', 'image/png')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('image/png')
  @ApiOperation({ summary: "The trade's WeChat Pay QR code as a PNG image" })
  @Answers(200, PNG, { contentType: 'image/png' })
  async qr(@CurrentPrincipal() buyer: Principal, @Param('tradeSn') tradeSn: string) {
    const codeUrl = await this.payments.codeUrl(buyer, tradeSn);
    return new StreamableFile(await QRCode.toBuffer(codeUrl, { type: 'png', width: 320, margin: 2, errorCorrectionLevel: 'M' }));
  }
}
