import { randomUUID } from 'node:crypto';
import { HttpException, HttpStatus } from '@nestjs/common';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ValidationError } from 'class-validator';
import { DomainError, ERROR_CATALOGUE, ErrorCode, isErrorCode } from '../../../domain/error-codes';

/**
 * RFC 9457 problem documents: the one shape of every 4xx and 5xx the API answers. Each carries a
 * `code` from the catalogue (domain/error-codes.ts), whose status and title it takes; `detail` says
 * what happened this time, `instance` is the request's path and `requestId` its X-Request-Id (the
 * request log's `req.id`). Extension members: `errors` (the field errors of a VALIDATION_FAILED),
 * `retryAfterSeconds` (with a Retry-After header), and whatever details a refusal carries.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The `type` URI of a code: one per kind of problem, so clients branch on it (or on `code`). */
export const problemType = (code: ErrorCode) => `urn:durable-orders:error:${code}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

/** A problem before it is tied to its request. */
export interface Problem {
  code: ErrorCode;
  detail: string;
  extensions?: Record<string, unknown>;
}

/** The code a bare Nest HttpException (or a body parser error) of this status answers with. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.UNAUTHENTICATED,
  [HttpStatus.FORBIDDEN]: ErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.CONFLICT]: ErrorCode.CONFLICT,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNPROCESSABLE_ENTITY]: ErrorCode.REQUEST_UNPROCESSABLE,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RATE_LIMITED,
  [HttpStatus.BAD_GATEWAY]: ErrorCode.PROVIDER_FAILED,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.SERVICE_UNAVAILABLE,
};

export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION_FAILED);
}

/** Members of a Nest exception body that the problem document replaces (Nest's `error` is its status text). */
const REPLACED = new Set(['statusCode', 'message', 'status', 'type', 'title', 'detail', 'code', 'instance', 'requestId']);

/**
 * A workflow's answer "no" to an Update, or its workflow finished (`finished` says which entity), as
 * a problem; undefined for anything else. An Update refused with a catalogue code (its
 * ApplicationFailure type) answers that code; one refused otherwise (an untyped validator error, a
 * step that failed inside the workflow) is a CONFLICT with the workflow's reason: nothing the caller
 * can send again unchanged.
 */
export function workflowRefusal(err: unknown, finished?: string): DomainError | undefined {
  if (err instanceof WorkflowNotFoundError) return new DomainError(ErrorCode.WORKFLOW_FINISHED, finished ?? `${err.workflowId ?? 'the workflow'} has no running workflow (it is finished)`);
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  const [details] = cause instanceof ApplicationFailure ? (cause.details ?? []) : [];
  return refusalOfType(cause instanceof ApplicationFailure ? cause.type : undefined, cause?.message ?? err.message, isPlainObject(details) ? details : undefined);
}

/**
 * A workflow's refusal by its failure type: that code when it is a catalogue code of a 4xx, else a
 * CONFLICT with the workflow's reason (an Update's refusal above, a durable step's kept outcome).
 */
export function refusalOfType(type: string | null | undefined, message: string, details?: Record<string, unknown>): DomainError {
  return isErrorCode(type) && ERROR_CATALOGUE[type].status < 500 ? new DomainError(type, message, details) : new DomainError(ErrorCode.CONFLICT, message);
}

/** Any error a request ended with, as a problem. Unknown errors are INTERNAL, their message and stack kept out. */
export function problemOf(exception: unknown): Problem {
  if (exception instanceof DomainError) return { code: exception.code, detail: exception.message, extensions: exception.details };
  const refusal = workflowRefusal(exception);
  if (refusal) return problemOf(refusal);
  if (exception instanceof HttpException) return problemOfHttpException(exception);
  return { code: ErrorCode.INTERNAL, detail: 'an unexpected error occurred; quote the requestId to support' };
}

function problemOfHttpException(exception: HttpException): Problem {
  const response = exception.getResponse();
  const body = isPlainObject(response) ? response : {};
  const code = isErrorCode(body.code) ? body.code : codeForStatus(exception.getStatus());
  const messages = body.message;
  const detail = typeof response === 'string' ? response : Array.isArray(messages) ? messages.join('; ') : typeof messages === 'string' ? messages : exception.message;
  const extensions = Object.fromEntries(Object.entries(body).filter(([key, value]) => !REPLACED.has(key) && !(key === 'error' && typeof value === 'string')));
  return { code, detail, extensions };
}

/** The document for a problem answered to `request`; its status is always the code's. */
export function problemDocument(problem: Problem, request: { instance: string; requestId: string }): ProblemDocument {
  const { status, title } = ERROR_CATALOGUE[problem.code];
  const extensions = Object.fromEntries(Object.entries(problem.extensions ?? {}).filter(([key]) => !REPLACED.has(key)));
  return { type: problemType(problem.code), title, status, detail: problem.detail, code: problem.code, instance: request.instance, requestId: request.requestId, ...extensions };
}

/** The few members of Node's request and response (Express's or bare) a problem answer needs. */
export interface ProblemRequest {
  id?: unknown;
  originalUrl?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
}
export interface ProblemResponse {
  statusCode: number;
  headersSent?: boolean;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The request id the request log uses (nestjs-pino's `req.id`, echoed as X-Request-Id); a request
 * refused before the logger saw it (the body parsers) gets the caller's sane X-Request-Id or a new one.
 */
function requestIdOf(req: ProblemRequest, res: ProblemResponse): string {
  if (typeof req.id === 'string' || typeof req.id === 'number') return String(req.id);
  const echoed = res.getHeader('x-request-id');
  if (typeof echoed === 'string') return echoed;
  const given = req.headers?.['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Writes the problem as the answer (application/problem+json; Retry-After when it says how long to wait). */
export function sendProblem(req: ProblemRequest, res: ProblemResponse, problem: Problem): ProblemDocument {
  const instance = (req.originalUrl ?? req.url ?? '/').split('?')[0];
  const document = problemDocument(problem, { instance, requestId: requestIdOf(req, res) });
  if (res.headersSent) return document;
  if (typeof document.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(document.retryAfterSeconds));
  res.statusCode = document.status;
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.end(JSON.stringify(document));
  return document;
}

/**
 * The ValidationPipe's refusal: 400 VALIDATION_FAILED, every failed constraint in `errors` with its
 * field path (`items.0.quantity`), and all of them in `detail`.
 */
export function validationFailed(errors: ValidationError[]): DomainError {
  const fields = flattenValidationErrors(errors);
  const detail = fields.flatMap((f) => f.messages).join('; ') || 'the request is not valid';
  return new DomainError(ErrorCode.VALIDATION_FAILED, detail, { errors: fields });
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // Nested messages name their path as Nest's own pipe does ("items.0.quantity must not be less than 1").
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints).map((m) => (parent ? `${parent}.${m}` : m)) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
