import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallHandler, DynamicModule, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { Observable, tap } from 'rxjs';
import { orderWorkflowId } from '../../../workflows/order.contract';
import { refundWorkflowId } from '../../../workflows/refund.contract';
import type { Principal } from '../auth/principal';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * One JSON line per request (nestjs-pino): method, route, status, latency, a request id (the caller's
 * X-Request-Id if it sent a sane one, else a new UUID, echoed back), and — through RequestLogContext —
 * who called and which order and workflow the request was about. Application logs written during the
 * request carry the same fields.
 */
export function requestLoggingModule(logger: Logger): DynamicModule {
  return LoggerModule.forRoot({
    assignResponse: true,
    pinoHttp: {
      logger,
      genReqId(req: IncomingMessage, res: ServerResponse) {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Scrapes and probes every few seconds would drown the lines that matter.
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/metrics' || req.url?.startsWith('/health') === true },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}

/**
 * Adds the principal (role, id) and, where the route or the answer names one, the order number and
 * workflow id to the request's log context. Runs after the auth guard, so the principal is known.
 */
@Injectable()
export class RequestLogContext implements NestInterceptor {
  constructor(private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ principal?: Principal; params?: Record<string, string>; route?: { path?: string } }>();
    const fields: Record<string, string> = {};
    if (request.principal) Object.assign(fields, { principalRole: request.principal.role, principalId: request.principal.id });
    const { orderSn, refundSn } = request.params ?? {};
    if (orderSn) {
      fields.orderSn = orderSn;
      // Cancellations too: the order workflow takes the cancel and gives the money and stock back.
      fields.workflowId = orderWorkflowId(orderSn);
    }
    if (refundSn) Object.assign(fields, { refundSn, workflowId: refundWorkflowId(refundSn) });
    if (Object.keys(fields).length) this.logger.assign(fields);
    return next.handle().pipe(
      tap((body: unknown) => {
        // A checkout learns its order numbers only in the answer.
        const orders = (body as { orders?: { orderSn?: unknown; workflowId?: unknown }[] } | undefined)?.orders;
        if (!orderSn && Array.isArray(orders) && orders.length) {
          this.logger.assign({ orderSn: orders.map((o) => o.orderSn).join(','), workflowId: orders.map((o) => o.workflowId).join(',') });
        }
      }),
    );
  }
}
