import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The API's version prefix. `/v1/…` is the contract: the OpenAPI document and the generated client
 * (clients/seller) name every route under it. The unversioned paths stay routed as aliases of v1,
 * because the README's walkthrough, the pay pages' scripts, existing callers and the notify_url each
 * provider already has configured use them; a future /v2 would be routed beside them, not instead.
 */
export const API_VERSION_PREFIX = '/v1';

/**
 * Express middleware, first in line: `/v1/x?q` is routed as `/x?q`, so one set of controllers answers
 * both. `req.originalUrl` keeps what the caller sent (problem documents' `instance`, the request log);
 * `req.url` is what the router matches.
 */
export function routeApiVersion(req: { url: string }, _res: unknown, next: () => void): void {
  const url = req.url;
  if (isVersioned(url)) {
    const rest = url.slice(API_VERSION_PREFIX.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
  }
  next();
}

/** Whether a request URL is under the version prefix (`/v1`, `/v1/…`, `/v1?…`; not `/v10`). */
function isVersioned(url: string): boolean {
  const next = url[API_VERSION_PREFIX.length];
  return url.startsWith(API_VERSION_PREFIX) && (next === undefined || next === '/' || next === '?');
}

/**
 * A path of this API the way the caller addresses it (a Location, a `stepUrl`): under `/v1` when the
 * request came in under `/v1` (`originalUrl`), so a client of the versioned contract follows it within
 * that contract; unversioned otherwise.
 */
export function pathAsCalled(originalUrl: string, path: string): string {
  return isVersioned(originalUrl) ? `${API_VERSION_PREFIX}${path}` : path;
}

/** The document names each operation by its versioned path (the routes Swagger reads are the unversioned ones). */
export function versionDocumentPaths(document: OpenAPIObject): OpenAPIObject {
  document.paths = Object.fromEntries(Object.entries(document.paths).map(([path, item]) => [`${API_VERSION_PREFIX}${path}`, item]));
  return document;
}
