import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PUBLISHED_JWT_SECRETS, readAppConfig } from '../../../config/app-config';
import { ConfigError } from '../../../config/config-error';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('no published secret outside local development', () => {
  let keysDir: string;
  beforeAll(() => {
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-keys-'));
  });
  afterAll(() => fs.rmSync(keysDir, { recursive: true, force: true }));

  const problem = (env: NodeJS.ProcessEnv): ConfigError => {
    try {
      readAppConfig({ PAYMENT_KEYS_DIR: keysDir, ...env });
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it('local development (no NODE_ENV=production, simulator URLs) may use the default secret', () => {
    expect(readAppConfig({ PAYMENT_KEYS_DIR: keysDir }).api.jwtSecret).toBe(PUBLISHED_JWT_SECRETS[0]);
    expect(readAppConfig({ PAYMENT_KEYS_DIR: keysDir, NODE_ENV: 'development' }).api.jwtSecret).toBe(PUBLISHED_JWT_SECRETS[0]);
  });

  it.each([
    ['NODE_ENV=production, JWT_SECRET unset', { NODE_ENV: 'production' }, /is not set.*NODE_ENV=production/],
    ['NODE_ENV=production, JWT_SECRET empty', { NODE_ENV: 'production', JWT_SECRET: '' }, /is not set/],
    ['NODE_ENV=production, the config default', { NODE_ENV: 'production', JWT_SECRET: PUBLISHED_JWT_SECRETS[0] }, /published in the repository/],
    ['NODE_ENV=production, the docker-compose default', { NODE_ENV: 'production', JWT_SECRET: PUBLISHED_JWT_SECRETS[1] }, /published in the repository/],
  ])('%s stops start-up naming JWT_SECRET', (_case, env, message) => {
    const err = problem(env);
    expect(err.setting).toBe('JWT_SECRET');
    expect(err.message).toMatch(message);
  });

  it('a real provider URL counts as a deployment too', () => {
    // The provider's own credentials are checked first (development keys never reach a real provider).
    expect(problem({ WECHATPAY_BASE_URL: 'https://api.mch.weixin.qq.com' }).setting).toBe('WECHATPAY_MCHID');
  });

  // A deployment also brings its own payload codec keys (config/payload-encryption.ts) and its identity provider (config/auth.ts).
  const OWN_CODEC_KEYS = { PAYLOAD_CODEC_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}` };
  const IDENTITY_PROVIDER = { AUTH_JWKS_URL: 'https://id.shop.example/.well-known/jwks.json', AUTH_ISSUER: 'https://id.shop.example', AUTH_AUDIENCE: 'orders' };

  it('a secret of its own passes, and a short one is refused', () => {
    expect(readAppConfig({ PAYMENT_KEYS_DIR: keysDir, NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(48), ...OWN_CODEC_KEYS, ...IDENTITY_PROVIDER }).api.jwtSecret).toBe('k'.repeat(48));
    expect(problem({ NODE_ENV: 'production', JWT_SECRET: 'short' }).message).toMatch(/at least 32/);
  });

  it('NODE_ENV=production without payload codec keys, or with the published one, stops start-up naming PAYLOAD_CODEC_KEYS', () => {
    const own = { NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(48) };
    expect(problem(own).message).toMatch(/^PAYLOAD_CODEC_KEYS: is not set; outside local development/);
    expect(problem({ ...own, PAYLOAD_CODEC_KEYS: 'off' }).setting).toBe('PAYLOAD_CODEC_KEYS');
    expect(readAppConfig({ PAYMENT_KEYS_DIR: keysDir, ...own, ...OWN_CODEC_KEYS, ...IDENTITY_PROVIDER }).temporal.payloadEncryption.currentKeyId).toBe('prod-1');
  });

  it('NODE_ENV=production with its secrets but no identity provider stops start-up naming AUTH_JWKS_URL (development tokens are local only)', () => {
    const own = { NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(48), ...OWN_CODEC_KEYS };
    expect(problem(own).message).toMatch(/^AUTH_JWKS_URL: is not set; outside local development/);
    expect(problem({ ...own, ...IDENTITY_PROVIDER, AUTH_DEV_TOKENS: 'on' }).setting).toBe('AUTH_DEV_TOKENS');
    expect(readAppConfig({ PAYMENT_KEYS_DIR: keysDir, ...own, ...IDENTITY_PROVIDER }).api.auth).toMatchObject({ devTokens: false, identityProvider: { issuer: 'https://id.shop.example' } });
  });

  it.each(['apps/api/main.ts', 'apps/worker/main.ts'])('%s in production mode with the default secret exits with one line naming JWT_SECRET', async (entry) => {
    const env = { PATH: process.env.PATH, NODE_ENV: 'production', PAYMENT_KEYS_DIR: keysDir, DATABASE_URL: 'mysql://root@127.0.0.1:1/none', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const failed = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, entry)], { env, cwd: ROOT }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toBeDefined();
    expect(failed!.code).toBe(2);
    const lines = failed!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^configuration error: JWT_SECRET: is not set/);
  }, 60_000);
});
