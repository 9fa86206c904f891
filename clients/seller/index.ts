import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The seller's typed client: `openapi-fetch` over the path types `openapi-typescript` generated from
 * the API's OpenAPI document (schema.d.ts; regenerate with `npm run client:generate`). It adds only
 * the two things every seller backend needs: the API key on each request, and refusals (RFC 9457
 * problem documents, docs/errors.md) turned into a typed error.
 */

export type { paths, components, operations } from './schema';
export type SellerClient = Client<paths>;

/** A refusal or failure answered by the API: its stable `code` (domain/error-codes.ts), HTTP status and detail. */
export class SellerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** The whole problem document (extension members such as `requiredScope` included). */
    readonly problem: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'SellerApiError';
  }
}

/** A client calling `baseUrl` with `Authorization: Bearer <apiKey>` (an `sk_live_…` key, or a token). */
export function createSellerClient(options: { baseUrl: string; apiKey: string; fetch?: typeof fetch }): SellerClient {
  return createClient<paths>({ baseUrl: options.baseUrl, headers: { authorization: `Bearer ${options.apiKey}` }, fetch: options.fetch });
}

/** The answer's body, or a SellerApiError for any non-2xx answer. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw toSellerApiError(response, error);
}

/** Reads a refusal: a problem document keeps its code; anything else is `HTTP_{status}`. */
export function toSellerApiError(response: Response, body: unknown): SellerApiError {
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
  const detail = typeof problem.detail === 'string' ? problem.detail : typeof body === 'string' ? body : response.statusText;
  return new SellerApiError(response.status, code, detail, problem);
}
