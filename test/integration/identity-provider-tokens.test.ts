import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { newSellerId } from '../support/fixtures';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * The identity provider's tokens (config/auth.ts, apps/api/auth/bearer-tokens.ts): RS256 / ES256 JWTs
 * verified against a JWKS served by a real local HTTP server, with development tokens switched off as
 * outside development. Role and subject come from the configured claims.
 */
describe('tokens from an identity provider (JWKS)', () => {
  const ISSUER = 'https://id.shop.example';
  const AUDIENCE = 'durable-orders-api';
  const ROLE_CLAIM = 'https://shop.example/role';

  interface SigningKey { kid: string; alg: 'RS256' | 'ES256'; privateKey: KeyLike; jwk: JWK }
  const makeKey = async (kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> => {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  };

  let system: TestSystem;
  let jwksServer: Server;
  let published: SigningKey[] = [];
  let jwksFetches = 0;
  let providerDown = false;
  let ecKey: SigningKey;
  let rsaKey: SigningKey;

  beforeAll(async () => {
    [ecKey, rsaKey] = await Promise.all([makeKey('ec-1', 'ES256'), makeKey('rsa-1', 'RS256')]);
    published = [ecKey, rsaKey];
    jwksServer = createServer((req, res) => {
      jwksFetches++;
      if (providerDown) {
        res.statusCode = 500;
        res.end('down');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    system = await startTestSystem({
      AUTH_DEV_TOKENS: 'off',
      AUTH_JWKS_URL: jwksUrl,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_ROLE_CLAIM: ROLE_CLAIM,
      AUTH_JWKS_COOLDOWN: '300ms',
    });
  });
  afterAll(async () => {
    await system?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  const sign = (key: SigningKey, claims: { role?: string; sub?: string; aud?: string; iss?: string; exp?: number; nbf?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ [ROLE_CLAIM]: claims.role ?? 'seller' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setSubject(claims.sub ?? String(newSellerId()))
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(claims.exp ?? now + 600);
    if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
    return jwt.sign(key.privateKey);
  };
  const refusal = async (token: string) => {
    const answer = await system.http('GET', '/orders', { token });
    return { status: answer.status, code: answer.body.code, detail: answer.body.detail as string };
  };

  it('accepts ES256 and RS256 tokens of published keys, with role and subject from the configured claims', async () => {
    for (const key of [ecKey, rsaKey]) {
      const sellerId = String(newSellerId());
      const token = await sign(key, { sub: sellerId });
      expect((await system.http('GET', '/orders', { token })).status).toBe(200);
      // The subject is the seller: its API key is made for it, and the key works (API keys do not depend on development tokens).
      const made = await system.http('POST', '/seller/api-keys', { token, body: { name: key.kid, scopes: ['orders:read'] } });
      expect(made.status).toBe(201);
      const [row] = await system.dataSource.query('SELECT seller_id FROM seller_api_key WHERE id = ?', [made.body.id]);
      expect(String(row.seller_id)).toBe(sellerId);
      expect((await system.http('GET', '/orders', { token: made.body.key })).status).toBe(200);
    }
    // The role claim decides the role: a buyer may not make keys.
    const buyer = await system.http('POST', '/seller/api-keys', { token: await sign(ecKey, { role: 'buyer' }), body: { name: 'x', scopes: ['orders:read'] } });
    expect(buyer.status).toBe(403);
    expect(buyer.body.code).toBe('FORBIDDEN');
  });

  it('refuses an unknown key, a wrong audience or issuer, an expired or not-yet-valid token, and HS256 development tokens (401)', async () => {
    const stranger = await makeKey('stranger', 'ES256');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, RegExp][] = [
      ['unknown kid', await sign(stranger), /key the identity provider does not publish/],
      ['published kid, other key', await sign({ ...stranger, kid: ecKey.kid }), /signature/],
      ['wrong audience', await sign(ecKey, { aud: 'another-api' }), /aud/],
      ['wrong issuer', await sign(ecKey, { iss: 'https://evil.example' }), /iss/],
      ['expired', await sign(ecKey, { exp: now - 120 }), /expired/],
      ['not yet valid', await sign(ecKey, { nbf: now + 600 }), /nbf/],
      ['no role', await sign(ecKey, { role: 'superuser' }), /role/],
      ['subject not an id', await sign(ecKey, { sub: 'alice@example.com' }), /sub/],
      ['HS256 development token', system.token('seller', 42), /development tokens are accepted only in local development/],
    ];
    for (const [name, token, detail] of cases) {
      const answer = await refusal(token);
      expect({ name, status: answer.status, code: answer.code }).toEqual({ name, status: 401, code: 'UNAUTHENTICATED' });
      expect({ name, detail: answer.detail }).toEqual({ name, detail: expect.stringMatching(detail) });
    }
  });

  it('keeps the key set cached, and takes a rotated key once the provider publishes it', async () => {
    const token = await sign(ecKey);
    expect((await system.http('GET', '/orders', { token })).status).toBe(200);
    const before = jwksFetches;
    for (let i = 0; i < 5; i++) expect((await system.http('GET', '/orders', { token })).status).toBe(200);
    expect(jwksFetches).toBe(before);

    // Rotation: the provider starts signing with a new key and publishes it (the old one retired).
    const rotated = await makeKey('ec-2', 'ES256');
    const early = await refusal(await sign(rotated));
    expect(early.status).toBe(401);
    published = [rotated, rsaKey];
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the cooldown since the last fetch
    expect((await system.http('GET', '/orders', { token: await sign(rotated) })).status).toBe(200);
    expect(jwksFetches).toBeGreaterThan(before);
    // The retired key is gone from the fetched set: its new tokens are refused after the next fetch.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await refusal(await sign(ecKey))).status).toBe(401);
  });

  it('answers 503 while the provider\'s keys cannot be read, and keeps accepting the keys it has cached', async () => {
    const cached = await sign(rsaKey);
    expect((await system.http('GET', '/orders', { token: cached })).status).toBe(200);
    providerDown = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, 400)); // past the cooldown: an unknown kid makes it fetch
      const unknown = await system.http('GET', '/orders', { token: await sign(await makeKey('ec-3', 'ES256')) });
      expect(unknown.status).toBe(503);
      expect(unknown.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining('AUTH_JWKS_URL') });
      expect((await system.http('GET', '/orders', { token: cached })).status).toBe(200);
    } finally {
      providerDown = false;
    }
  });
});
