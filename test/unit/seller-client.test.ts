import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SELLER_CLIENT_DIR, generateSellerClient } from '../../scripts/seller-client';
import { SellerApiError, toSellerApiError } from '../../clients/seller';

/**
 * The committed client (clients/seller) is what `npm run client:generate` makes from today's routes:
 * regenerated into a temporary folder, the document and the generated types are byte for byte the
 * committed ones. A route changed without regenerating fails here with the command to run.
 */
jest.setTimeout(180_000);

describe('the generated seller client', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seller-client-'));
    await generateSellerClient(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['openapi.json', 'schema.d.ts'])('committed %s is up to date (else run npm run client:generate)', (file) => {
    const fresh = readFileSync(join(dir, file), 'utf8');
    const committed = readFileSync(join(SELLER_CLIENT_DIR, file), 'utf8');
    expect(committed === fresh ? 'up to date' : `clients/seller/${file} is stale: run npm run client:generate`).toBe('up to date');
  });

  it('the document has the seller routes the example backend calls, with their problem answers', () => {
    const doc = JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8'));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/orders/{orderSn}', '/v1/orders/{orderSn}/cancellations', '/v1/seller/api-keys', '/v1/seller/webhook-endpoints', '/v1/seller/webhook-endpoints/{id}/messages/{eventId}/resend']));
    expect(doc.paths['/v1/seller/api-keys'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreatedApiKey' });
    expect(Object.keys(doc.paths['/v1/orders/{orderSn}/cancellations'].post.responses).some((s) => s.startsWith('4'))).toBe(true);
  });
});

describe('SellerApiError', () => {
  it('keeps a problem document\'s code, status, detail and extensions', async () => {
    const response = new Response(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'INSUFFICIENT_SCOPE', detail: 'needs orders:write', requiredScope: 'orders:write' }), { status: 403, headers: { 'content-type': 'application/problem+json' } });
    const error = toSellerApiError(response, await response.json());
    expect(error).toBeInstanceOf(SellerApiError);
    expect(error).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE', detail: 'needs orders:write', problem: { requiredScope: 'orders:write' } });
    expect(error.message).toBe('403 INSUFFICIENT_SCOPE: needs orders:write');
  });

  it('names an answer that is not a problem document by its status', () => {
    const error = toSellerApiError(new Response('bad gateway', { status: 502, statusText: 'Bad Gateway' }), 'bad gateway');
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', detail: 'bad gateway' });
  });
});
