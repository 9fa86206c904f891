import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestException, ConflictException, HttpException, NotFoundException, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ValidationError } from 'class-validator';
import { API_ERROR_CODES, DomainError, ERROR_CATALOGUE, ErrorCode, WORKER_ERROR_CODES, isErrorCode } from '../../domain/error-codes';
import { documentProblems } from '../../apps/api/common/api-problems';
import { ProblemDetailsFilter } from '../../apps/api/common/problem.filter';
import { problemOf, sendProblem, validationFailed, workflowRefusal } from '../../apps/api/common/problem-details';
import { providerProblem } from '../../apps/api/common/provider-problem';
import { ProviderError } from '../../payments/provider';
import { WorkflowNotAnswering } from '../../apps/api/common/refused-update';
import { RateLimitExceeded } from '../../apps/api/common/rate-limits';
import { answerOf, refusedAnswer } from '../../apps/api/common/stored-answer';

/** A bare Node response that records what was written. */
function fakeResponse() {
  const headers: Record<string, string> = {};
  const res = {
    statusCode: 200,
    headersSent: false,
    body: '',
    headers,
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    end: (body: string) => void (res.body = body),
  };
  return res;
}

describe('the error catalogue', () => {
  it('gives every code one status and a title; API codes are 4xx/5xx, worker failure types 500', () => {
    for (const code of [...API_ERROR_CODES, ...WORKER_ERROR_CODES]) {
      const { status, title, when } = ERROR_CATALOGUE[code];
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(title.length).toBeGreaterThan(3);
      expect(when.length).toBeGreaterThan(10);
      expect(ErrorCode[code]).toBe(code);
    }
    for (const code of WORKER_ERROR_CODES) expect(ERROR_CATALOGUE[code].status).toBe(500);
    expect(new Set([...API_ERROR_CODES, ...WORKER_ERROR_CODES]).size).toBe(API_ERROR_CODES.length + WORKER_ERROR_CODES.length);
  });

  it('keeps the names clients and running workflows already saw', () => {
    for (const code of ['RATE_LIMITED', 'WORKFLOW_NOT_ANSWERING', 'RefundExceedsRemaining', 'NothingToRefund', 'RefundLinesMismatch', 'RefundLineUnknown', 'OperationRefused', 'AfterSaleStepRefused', 'ComplaintStepRefused', 'OrderNotFound', 'RefundTooFrequent', 'LinkedOrderOutOfStock']) {
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode('Error')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('is the table in docs/errors.md, code by code with its status and title', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `(\w+)` \| (\d{3}) \| ([^|]+) \|/gm)].map((m) => [m[1], Number(m[2]), m[3].trim()]);
    expect(rows).toEqual([...API_ERROR_CODES, ...WORKER_ERROR_CODES].map((code) => [code, ERROR_CATALOGUE[code].status, ERROR_CATALOGUE[code].title]));
  });

  it('lists the refusals the issue names with their statuses', () => {
    expect(ERROR_CATALOGUE.ORDER_NOT_CANCELLABLE_IN_STATE.status).toBe(409);
    expect(ERROR_CATALOGUE.AFTER_SALE_OPEN.status).toBe(409);
    expect(ERROR_CATALOGUE.RefundExceedsRemaining.status).toBe(409);
    expect(ERROR_CATALOGUE.LINE_NOT_YOURS.status).toBe(409);
    expect(ERROR_CATALOGUE.NOT_FOUND.status).toBe(404);
    expect(ERROR_CATALOGUE.VALIDATION_FAILED.status).toBe(400);
    expect(ERROR_CATALOGUE.RATE_LIMITED.status).toBe(429);
    expect(ERROR_CATALOGUE.UNAUTHENTICATED.status).toBe(401);
    expect(ERROR_CATALOGUE.FORBIDDEN.status).toBe(403);
    expect(ERROR_CATALOGUE.IDEMPOTENCY_KEY_REUSED.status).toBe(422);
    expect(ERROR_CATALOGUE.WORKFLOW_NOT_ANSWERING.status).toBe(503);
    expect(ERROR_CATALOGUE.INTERNAL.status).toBe(500);
  });
});

describe('problemOf: every error a request ends with becomes a catalogue code', () => {
  it('a provider failure: retryable (no answer, or "call again") is 503 PROVIDER_UNAVAILABLE with Retry-After; any other is 502 PROVIDER_FAILED', () => {
    const timeout = new ProviderError({ provider: 'wechatpay', errorClass: 'retryable', code: 'TIMEOUT', message: 'no answer within 1500 ms', outcomeUnknown: true });
    expect(ERROR_CATALOGUE.PROVIDER_UNAVAILABLE.status).toBe(503);
    expect(ERROR_CATALOGUE.PROVIDER_FAILED.status).toBe(502);
    expect(problemOf(providerProblem(timeout, 'create the payment'))).toEqual({
      code: 'PROVIDER_UNAVAILABLE',
      extensions: { retryAfterSeconds: 2 },
      detail: 'wechatpay did not create the payment (wechatpay TIMEOUT: no answer within 1500 ms); nothing was refused: send the same request again',
    });
    const busy = new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: 'ACQ.SYSTEM_ERROR', message: 'system busy' });
    expect(problemOf(providerProblem(busy, 'close the superseded payment P1A'))).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', extensions: { retryAfterSeconds: 2 } });
    for (const errorClass of ['final', 'needs-operator'] as const) {
      const refused = new ProviderError({ provider: 'wechatpay', errorClass, code: 'PARAM_ERROR', message: 'bad amount' });
      expect(problemOf(providerProblem(refused, 'create the payment'))).toEqual({ code: 'PROVIDER_FAILED', detail: 'wechatpay refused to create the payment: wechatpay PARAM_ERROR: bad amount', extensions: undefined });
    }
  });

  it('maps bare Nest exceptions by status, keeping their message as the detail', () => {
    expect(problemOf(new NotFoundException('order O1 not found'))).toMatchObject({ code: 'NOT_FOUND', detail: 'order O1 not found' });
    expect(problemOf(new BadRequestException('page must be a whole number'))).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'page must be a whole number' });
    expect(problemOf(new ConflictException('already running'))).toMatchObject({ code: 'CONFLICT' });
    expect(problemOf(new UnprocessableEntityException('unknown SKU: 9'))).toMatchObject({ code: 'REQUEST_UNPROCESSABLE' });
    expect(problemOf(new ThrottlerException())).toMatchObject({ code: 'RATE_LIMITED' });
    expect(problemOf(new HttpException('gone', 410))).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'gone' });
    expect(problemOf(new HttpException('timeout', 504))).toMatchObject({ code: 'INTERNAL' });
  });

  it('keeps a DomainError\'s code and details, and the rate limit\'s and the unanswered Update\'s wait', () => {
    expect(problemOf(new DomainError(ErrorCode.OUT_OF_STOCK, 'not enough stock for SKU 7', { skuId: 7 }))).toEqual({ code: 'OUT_OF_STOCK', detail: 'not enough stock for SKU 7', extensions: { skuId: 7 } });
    expect(problemOf(new RateLimitExceeded('too many', 41))).toEqual({ code: 'RATE_LIMITED', detail: 'too many', extensions: { retryAfterSeconds: 41 } });
    expect(problemOf(new WorkflowNotAnswering('ship on order-O1', 60_000))).toMatchObject({ code: 'WORKFLOW_NOT_ANSWERING', extensions: { retryAfterSeconds: 5 } });
  });

  it('keeps the members of a Nest body that are not its own (a health check\'s details), drops statusCode, error text and message', () => {
    const health = new ServiceUnavailableException({ status: 'error', info: { mysql: { status: 'up' } }, error: { redis: { status: 'down' } }, details: {} });
    expect(problemOf(health)).toEqual({ code: 'SERVICE_UNAVAILABLE', detail: 'Service Unavailable Exception', extensions: { info: { mysql: { status: 'up' } }, error: { redis: { status: 'down' } }, details: {} } });
    expect(problemOf(new BadRequestException(['a must be a string', 'b should not exist']))).toEqual({ code: 'VALIDATION_FAILED', detail: 'a must be a string; b should not exist', extensions: {} });
  });

  it('answers a workflow\'s refusal with its ApplicationFailure type when that is a 4xx code, else CONFLICT', () => {
    const typed = new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: 'ORDER_NOT_CANCELLABLE_IN_STATE', message: 'order is SHIPPED', details: [{ status: 'SHIPPED' }] }));
    expect(problemOf(typed)).toEqual({ code: 'ORDER_NOT_CANCELLABLE_IN_STATE', detail: 'order is SHIPPED', extensions: { status: 'SHIPPED' } });
    const untyped = new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: 'Error', message: 'reason must not be empty' }));
    expect(problemOf(untyped)).toMatchObject({ code: 'CONFLICT', detail: 'reason must not be empty' });
    // A worker failure type is not an answer for a client: still the workflow's "no", as a CONFLICT.
    const internal = new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: 'OrderNotFound', message: 'order O1 does not exist' }));
    expect(problemOf(internal)).toMatchObject({ code: 'CONFLICT' });
    expect(problemOf(new WorkflowNotFoundError('not found', 'order-O1', undefined))).toMatchObject({ code: 'WORKFLOW_FINISHED' });
    expect(workflowRefusal(new WorkflowNotFoundError('not found', 'order-O1', undefined), 'order O1 has no running workflow')).toMatchObject({ code: 'WORKFLOW_FINISHED', message: 'order O1 has no running workflow' });
    expect(workflowRefusal(new Error('boom'))).toBeUndefined();
  });

  it('answers anything else as INTERNAL, without its message', () => {
    const problem = problemOf(new TypeError('secret column password_hash is null'));
    expect(problem.code).toBe('INTERNAL');
    expect(JSON.stringify(problem)).not.toContain('password_hash');
  });

  it('turns the validation pipe\'s errors into VALIDATION_FAILED with the field errors by path', () => {
    const errors = [
      { property: 'reason', constraints: { isString: 'reason must be a string' }, children: [] },
      { property: 'items', children: [{ property: '0', children: [{ property: 'quantity', constraints: { min: 'quantity must not be less than 1' }, children: [] }] }] },
    ] as unknown as ValidationError[];
    const failed = validationFailed(errors);
    expect(failed.code).toBe('VALIDATION_FAILED');
    expect(failed.message).toBe('reason must be a string; items.0.quantity must not be less than 1');
    expect(failed.details).toEqual({ errors: [{ field: 'reason', messages: ['reason must be a string'] }, { field: 'items.0.quantity', messages: ['items.0.quantity must not be less than 1'] }] });
  });
});

describe('the problem document on the wire', () => {
  it('is application/problem+json with type, title, status, detail, code, instance and the request id; Retry-After when it says how long', () => {
    const res = fakeResponse();
    sendProblem({ id: 'req-1', originalUrl: '/trades?x=1' }, res, { code: ErrorCode.RATE_LIMITED, detail: 'too many', extensions: { retryAfterSeconds: 12, statusCode: 499 } });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['retry-after']).toBe('12');
    expect(JSON.parse(res.body)).toEqual({
      type: 'urn:durable-orders:error:RATE_LIMITED',
      title: 'Too many requests',
      status: 429,
      detail: 'too many',
      code: 'RATE_LIMITED',
      instance: '/trades',
      requestId: 'req-1',
      retryAfterSeconds: 12,
    });
  });

  it('gives a request refused before the request logger saw it the caller\'s X-Request-Id, or a new one', () => {
    const given = fakeResponse();
    sendProblem({ url: '/trades', headers: { 'x-request-id': 'abc-123' } }, given, { code: ErrorCode.PAYLOAD_TOO_LARGE, detail: 'too big' });
    expect(JSON.parse(given.body)).toMatchObject({ status: 413, requestId: 'abc-123' });
    const fresh = fakeResponse();
    sendProblem({ url: '/trades', headers: { 'x-request-id': 'bad id with spaces' } }, fresh, { code: ErrorCode.VALIDATION_FAILED, detail: 'not JSON' });
    expect(JSON.parse(fresh.body).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers['x-request-id']).toBe(JSON.parse(fresh.body).requestId);
  });

  it('is what the global filter writes, and a 500 keeps its error for the log without sending it', () => {
    const res = fakeResponse() as ReturnType<typeof fakeResponse> & { err?: unknown };
    const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'r9', originalUrl: '/orders/O1' }), getResponse: () => res }) };
    const filter = new ProblemDetailsFilter();
    (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
    const boom = new Error('connection reset by db-7.internal');
    filter.catch(boom, host as never);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('db-7.internal');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'INTERNAL', instance: '/orders/O1', requestId: 'r9' });
    expect(res.err).toBe(boom);
  });
});

describe('stored answers of idempotent requests', () => {
  const response = { status: jest.fn() };

  it('replays a kept refusal as its code, through the filter', () => {
    const stored = refusedAnswer(new DomainError(ErrorCode.AFTER_SALE_OPEN, 'order O1 has an open after-sale'));
    expect(stored).toEqual({ httpStatus: 409, body: { code: 'AFTER_SALE_OPEN', detail: 'order O1 has an open after-sale' } });
    expect(() => answerOf(JSON.parse(JSON.stringify(stored)), response)).toThrow(expect.objectContaining({ code: 'AFTER_SALE_OPEN', message: 'order O1 has an open after-sale' }));
  });

  it('replays an answer kept before problem documents with its code, or CONFLICT', () => {
    const old = { httpStatus: 409, body: { statusCode: 409, error: 'Conflict', message: 'order is SHIPPED' } };
    expect(() => answerOf(old, response)).toThrow(expect.objectContaining({ code: 'CONFLICT', message: 'order is SHIPPED' }));
    const coded = { httpStatus: 409, body: { statusCode: 409, error: 'Conflict', code: 'RefundExceedsRemaining', message: 'too much' } };
    expect(() => answerOf(coded, response)).toThrow(expect.objectContaining({ code: 'RefundExceedsRemaining' }));
  });

  it('answers what went through with its status and body', () => {
    expect(answerOf({ httpStatus: 202, body: { cancellationId: 1 } }, response)).toEqual({ cancellationId: 1 });
    expect(response.status).toHaveBeenCalledWith(202);
  });
});

describe('OpenAPI problem responses', () => {
  it('adds the Problem schema and, per status, the codes an operation can answer', () => {
    const document = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      components: {},
      paths: {
        '/orders/{orderSn}/cancellations': {
          post: {
            parameters: [{ in: 'path', name: 'orderSn' }, { in: 'header', name: 'Idempotency-Key' }],
            requestBody: {},
            security: [{ bearer: [] }],
            responses: { '202': { description: 'accepted' }, '429': { description: 'limited', headers: { 'Retry-After': {} } } },
            'x-problem-codes': ['ORDER_NOT_CANCELLABLE_IN_STATE', 'AFTER_SALE_OPEN'],
          },
        },
        '/health': { get: { responses: { '200': { description: 'ok' }, '503': { description: 'not ready' } } } },
      },
    };
    const out = documentProblems(document as never) as any;
    expect(out.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId']);
    const cancel = out.paths['/orders/{orderSn}/cancellations'].post;
    expect(Object.keys(cancel.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '413', '422', '429', '500']);
    expect(cancel.responses['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(['ORDER_NOT_CANCELLABLE_IN_STATE', 'AFTER_SALE_OPEN']);
    expect(cancel.responses['429'].headers).toEqual({ 'Retry-After': {} });
    expect(cancel.responses['429'].description).toMatch(/^limited Codes: `RATE_LIMITED`/);
    expect(cancel['x-problem-codes']).toBeUndefined();
    const health = out.paths['/health'].get;
    expect(health.responses['503'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(['SERVICE_UNAVAILABLE']);
    expect(health.responses['500']).toBeDefined();
  });
});
