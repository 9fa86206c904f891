import { DECORATORS, type OpenAPIObject } from '@nestjs/swagger';
import { API_ERROR_CODES, ApiErrorCode, ERROR_CATALOGUE, ErrorCode } from '../../../domain/error-codes';
import { PROBLEM_CONTENT_TYPE, codeForStatus } from './problem-details';

/**
 * OpenAPI for problem documents: the Problem schema once (components.schemas.Problem), and on every
 * operation, per status, the codes it can answer (`code` narrowed to an enum, and listed in the
 * description). A route names its own refusals with @ApiProblems(…); documentProblems adds what
 * every route of its kind can answer (INTERNAL; VALIDATION_FAILED with input; UNAUTHENTICATED and
 * FORBIDDEN, API_KEY_INVALID and INSUFFICIENT_SCOPE behind a token; NOT_FOUND with a path parameter; RATE_LIMITED where limited).
 */
const PROBLEM_CODES = 'x-problem-codes';

/** The route can answer these codes (on a controller: each of its routes can). */
export function ApiProblems(...codes: ApiErrorCode[]): MethodDecorator & ClassDecorator {
  return (target: object, _key?: string | symbol, descriptor?: TypedPropertyDescriptor<any>): void => {
    const methods: object[] = descriptor
      ? [descriptor.value]
      : Object.getOwnPropertyNames((target as { prototype: object }).prototype)
          .filter((name) => name !== 'constructor')
          .map((name) => (target as { prototype: Record<string, unknown> }).prototype[name])
          .filter((method): method is object => typeof method === 'function');
    for (const method of methods) {
      const extensions = (Reflect.getMetadata(DECORATORS.API_EXTENSION, method) ?? {}) as Record<string, unknown>;
      const known = (extensions[PROBLEM_CODES] as ApiErrorCode[] | undefined) ?? [];
      Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...extensions, [PROBLEM_CODES]: [...new Set([...known, ...codes])] }, method);
    }
  };
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json). Branch on `code` (or `type`), not on `detail`.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId'],
  properties: {
    type: { type: 'string', description: 'urn:durable-orders:error:{code}', example: 'urn:durable-orders:error:ORDER_NOT_CANCELLABLE_IN_STATE' },
    title: { type: 'string', description: "the code's title, the same every time", example: 'The order cannot be cancelled in its status' },
    status: { type: 'integer', description: "the HTTP status (always the code's)", example: 409 },
    detail: { type: 'string', description: 'what happened this time, in words', example: 'order is SHIPPED: cancelling a shipped order needs an after-sale return' },
    code: { type: 'string', enum: API_ERROR_CODES, description: 'the catalogue code (docs/errors.md)' },
    instance: { type: 'string', description: 'the request path', example: '/orders/O2026120700001/cancellations' },
    requestId: { type: 'string', description: 'the X-Request-Id of the request, as the logs have it' },
    errors: { type: 'array', description: 'VALIDATION_FAILED: the failed constraints by field', items: { type: 'object', properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } } },
    retryAfterSeconds: { type: 'integer', description: 'RATE_LIMITED, WORKFLOW_NOT_ANSWERING, PROVIDER_UNAVAILABLE: when to send again (also Retry-After)' },
  },
  additionalProperties: true,
};

type Operation = { parameters?: { in: string; name: string }[]; requestBody?: unknown; security?: unknown[]; responses: Record<string, { description?: string; content?: Record<string, unknown>; [key: string]: unknown }>; [PROBLEM_CODES]?: ApiErrorCode[] };

/** What every operation of its kind can answer, besides its own @ApiProblems. */
function commonCodes(operation: Operation): ApiErrorCode[] {
  const codes: ApiErrorCode[] = [ErrorCode.INTERNAL];
  const parameters = operation.parameters ?? [];
  if (parameters.length || operation.requestBody) codes.push(ErrorCode.VALIDATION_FAILED);
  if (operation.requestBody) codes.push(ErrorCode.PAYLOAD_TOO_LARGE);
  // Behind the guard: any route meets a bad token or key (401) and a role or a key it does not take (403).
  if (operation.security?.length) codes.push(ErrorCode.UNAUTHENTICATED, ErrorCode.API_KEY_INVALID, ErrorCode.FORBIDDEN, ErrorCode.INSUFFICIENT_SCOPE);
  if (parameters.some((p) => p.in === 'path')) codes.push(ErrorCode.NOT_FOUND);
  if (parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) codes.push(ErrorCode.IDEMPOTENCY_KEY_REUSED);
  if (operation.responses['429']) codes.push(ErrorCode.RATE_LIMITED);
  return codes;
}

/** Adds the Problem schema and, to every operation, its problem responses by status (existing descriptions and headers kept). */
export function documentProblems(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA as never } };
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Operation[]) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      // A refusal status a route documents by hand without naming codes answers its status's code.
      const documented = Object.keys(operation.responses).map(Number).filter((status) => status >= 400).map((status) => codeForStatus(status) as ApiErrorCode);
      const named = [...commonCodes(operation), ...(operation[PROBLEM_CODES] ?? [])];
      const codes = [...new Set([...named, ...documented.filter((code) => !named.some((n) => ERROR_CATALOGUE[n].status === ERROR_CATALOGUE[code].status))])];
      delete operation[PROBLEM_CODES];
      const byStatus = new Map<number, ApiErrorCode[]>();
      for (const code of codes) byStatus.set(ERROR_CATALOGUE[code].status, [...(byStatus.get(ERROR_CATALOGUE[code].status) ?? []), code]);
      for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
        const existing = operation.responses[String(status)] ?? {};
        const listed = statusCodes.map((code) => `\`${code}\` (${ERROR_CATALOGUE[code].when})`).join('; ');
        operation.responses[String(status)] = {
          ...existing,
          description: existing.description ? `${existing.description} Codes: ${listed}.` : `Codes: ${listed}.`,
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { code: { type: 'string', enum: statusCodes } } }] } } },
        };
      }
    }
  }
  return document;
}
