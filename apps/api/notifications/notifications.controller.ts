import { BadRequestException, Controller, HttpCode, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ProviderName } from '../../../payments';
import { Public } from '../auth/roles.decorator';
import { NotificationsService } from './notifications.service';

interface RawRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
}

interface RawResponse {
  status(code: number): RawResponse;
  type(contentType: string): RawResponse;
  send(body: string): void;
}

/**
 * Where WeChat Pay and Alipay deliver asynchronous notifications. No bearer token: each request is
 * verified by the provider's signature instead. Answers in the provider's own ack format; a forged,
 * stale or tampered notification gets a 4xx (Alipay: anything but `success`) and changes nothing.
 */
@ApiExcludeController()
@Controller('notify')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Public()
  @Post(':provider')
  @HttpCode(200)
  async receive(@Param('provider') provider: string, @Req() request: RawRequest, @Res() response: RawResponse): Promise<void> {
    if (provider !== 'wechatpay' && provider !== 'alipay') throw new NotFoundException(`no notification endpoint for ${provider}`);
    if (!request.rawBody?.length) throw new BadRequestException('empty notification body');
    const outcome = await this.notifications.receive(provider as ProviderName, request.headers, request.rawBody);
    // Rejections are the sender's fault: 4xx, in the provider's ack body.
    const status = outcome.rejected ? 400 : outcome.ack.status;
    response.status(status).type(outcome.ack.contentType).send(outcome.ack.body);
  }
}
