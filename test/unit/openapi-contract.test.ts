import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocument } from '../../scripts/seller-client';
import { PROBLEM_CONTENT_TYPE } from '../../apps/api/common/problem-details';
import { pathAsCalled, routeApiVersion } from '../../apps/api/common/api-version';

/**
 * The machine-grade contract (issue 22, docs/seller-integration.md#the-contract), checked on the
 * document the API serves (built without a database, as `npm run client:generate` builds it). It
 * walks every operation, so a route added without its answers fails here by name:
 * - every path is under /v1;
 * - every operation declares a success answer (2xx) with a body schema, so a generated client has a
 *   type for it (a 204 has no body);
 * - every operation declares its problem answers (application/problem+json, the shared Problem
 *   schema): 500 always, 400 with input, 401 and 403 behind a token, 404 with a path parameter;
 * - no list answers a bare array: a GET whose answer is a list pages (`limit`, `cursor`, `{ items, nextCursor }`).
 */
jest.setTimeout(120_000);

type Schema = { $ref?: string; type?: string; allOf?: Schema[]; oneOf?: Schema[]; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: unknown };
type Operation = { parameters?: { in: string; name: string }[]; requestBody?: unknown; security?: unknown[]; responses: Record<string, { content?: Record<string, { schema?: Schema }> }> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function operations(doc: OpenAPIObject): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => (item as Record<string, unknown>)[method]).map((method) => [`${method.toUpperCase()} ${path}`, (item as Record<string, Operation>)[method]] as [string, Operation]),
  );
}

/** A schema a generator turns into a type: a reference, a type, or a composition (not `{}`). */
function typed(schema: Schema | undefined): boolean {
  return !!schema && (!!schema.$ref || !!schema.type || !!schema.allOf?.length || !!schema.oneOf?.length);
}

function resolve(doc: OpenAPIObject, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return (doc.components?.schemas as Record<string, Schema>)[schema.$ref.replace('#/components/schemas/', '')];
}

describe('the OpenAPI contract', () => {
  let doc: OpenAPIObject;
  let all: [string, Operation][];
  beforeAll(async () => {
    doc = await openApiDocument();
    all = operations(doc);
  });

  it('has the API\'s routes (a sanity floor: a document that lost its controllers would pass every walk below)', () => {
    expect(all.length).toBeGreaterThan(80);
  });

  it('puts every path under /v1', () => {
    expect(Object.keys(doc.paths).filter((path) => !path.startsWith('/v1/'))).toEqual([]);
  });

  it('declares a success answer with a body schema on every operation (204 excepted)', () => {
    const missing = all.filter(([, op]) => {
      const successes = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (successes.length === 0) return true;
      return successes.some(([status, response]) => status !== '204' && !Object.values(response.content ?? {}).some((media) => typed(media.schema)));
    });
    expect(missing.map(([name]) => name)).toEqual([]);
  });

  it('declares the problem answers of every operation, each the shared Problem schema', () => {
    const gaps: string[] = [];
    for (const [name, op] of all) {
      const expected = ['500'];
      if (op.parameters?.length || op.requestBody) expected.push('400');
      if (op.security?.length) expected.push('401', '403');
      if (op.parameters?.some((p) => p.in === 'path')) expected.push('404');
      for (const status of expected) if (!op.responses[status]) gaps.push(`${name}: no ${status}`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.[PROBLEM_CONTENT_TYPE]?.schema;
        const refersToProblem = schema?.$ref === '#/components/schemas/Problem' || schema?.allOf?.some((part) => part.$ref === '#/components/schemas/Problem');
        if (!refersToProblem) gaps.push(`${name}: ${status} is not application/problem+json with the Problem schema`);
      }
    }
    expect(gaps).toEqual([]);
    expect(Object.keys((doc.components?.schemas as Record<string, Schema>).Problem.properties ?? {})).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
  });

  it('resolves every schema reference to a component (named answers, DTOs, Problem)', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(50);
    expect([...new Set(refs)].filter((name) => !(doc.components?.schemas ?? {})[name])).toEqual([]);
  });

  it('pages every list: no GET answers a bare array, and every page answer takes limit and cursor', () => {
    const gaps: string[] = [];
    for (const [name, op] of all) {
      if (!name.startsWith('GET ')) continue;
      const schema = resolve(doc, op.responses['200']?.content?.['application/json']?.schema);
      if (schema?.type === 'array') gaps.push(`${name}: answers a bare array`);
      if (schema?.properties?.nextCursor) {
        if (schema.properties.items?.type !== 'array') gaps.push(`${name}: a page without items`);
        for (const parameter of ['limit', 'cursor']) if (!op.parameters?.some((p) => p.in === 'query' && p.name === parameter)) gaps.push(`${name}: a page without ?${parameter}`);
      }
    }
    expect(gaps).toEqual([]);
  });
});

describe('the version prefix', () => {
  const routed = (url: string) => {
    const req = { url };
    routeApiVersion(req, undefined, () => undefined);
    return req.url;
  };

  it('routes /v1/… as the unversioned route, and nothing that only starts with the same letters', () => {
    expect(routed('/v1/orders/O1?x=1')).toBe('/orders/O1?x=1');
    expect(routed('/v1')).toBe('/');
    expect(routed('/v1?x=1')).toBe('/?x=1');
    expect(routed('/v10/orders')).toBe('/v10/orders');
    expect(routed('/orders/O1')).toBe('/orders/O1');
  });

  it('gives a path back the way the caller addressed the API (a step\'s Location stays in the contract it was called under)', () => {
    expect(pathAsCalled('/v1/after-sales/S1/audit', '/steps/abc')).toBe('/v1/steps/abc');
    expect(pathAsCalled('/v1/steps/abc?wait=1', '/steps/abc')).toBe('/v1/steps/abc');
    expect(pathAsCalled('/after-sales/S1/audit', '/steps/abc')).toBe('/steps/abc');
    expect(pathAsCalled('/v10/x', '/steps/abc')).toBe('/steps/abc');
  });
});
