import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../config/config-error';
import { readPaymentConfig } from '../../payments/config';
import { DEV_KEY_FILES, ensureDevKeys } from '../../payments/dev-keys';
import { tempKeysDir } from './helpers';

const run = promisify(execFile);

let dir: string;
/** Stand-ins for a merchant's own key files: copies of dev keys, kept outside PAYMENT_KEYS_DIR. */
let merchantDir: string;
beforeAll(() => {
  dir = tempKeysDir();
  merchantDir = tempKeysDir();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(merchantDir, { recursive: true, force: true });
});

function merchantCopy(file: string): string {
  const copy = path.join(merchantDir, file);
  fs.copyFileSync(path.join(dir, file), copy);
  return copy;
}

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    readPaymentConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function realWechatEnv(): NodeJS.ProcessEnv {
  const k = ensureDevKeys(dir);
  return {
    PAYMENT_KEYS_DIR: dir,
    WECHATPAY_BASE_URL: 'https://api.mch.weixin.qq.com',
    WECHATPAY_MCHID: '1900000001',
    WECHATPAY_APPID: 'wxd678efh567hg6787',
    WECHATPAY_MERCHANT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: merchantCopy(DEV_KEY_FILES.wechatpayMerchantPrivateKey),
    WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: merchantCopy(DEV_KEY_FILES.wechatpayPlatformPublicKey),
    WECHATPAY_PLATFORM_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114232134912410000000000000',
    WECHATPAY_APIV3_KEY: k.wechatpay.apiV3Key,
  };
}

describe('readPaymentConfig', () => {
  it('defaults to the simulator on 127.0.0.1:4010 with development keys from PAYMENT_KEYS_DIR', () => {
    const config = readPaymentConfig({ PAYMENT_KEYS_DIR: dir });
    const keys = ensureDevKeys(dir);
    expect(config).toMatchObject({
      keysDir: dir,
      httpTimeoutMs: 5000,
      usesDevKeys: true,
      wechatpay: { baseUrl: 'http://127.0.0.1:4010', mchid: keys.wechatpay.mchid, platformPublicKeyId: keys.wechatpay.platformPublicKeyId, apiV3Key: keys.wechatpay.apiV3Key },
      alipay: { gatewayUrl: 'http://127.0.0.1:4010/gateway.do', appId: keys.alipay.appId },
    });
    expect(Buffer.byteLength(config.wechatpay.apiV3Key)).toBe(32);
    expect(config.wechatpay.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
  });

  it.each([
    [{ PAYMENT_HTTP_TIMEOUT_MS: 'soon' }, 'PAYMENT_HTTP_TIMEOUT_MS'],
    [{ PAYMENT_HTTP_TIMEOUT_MS: '0' }, 'PAYMENT_HTTP_TIMEOUT_MS'],
    [{ WECHATPAY_BASE_URL: 'not a url' }, 'WECHATPAY_BASE_URL'],
    [{ ALIPAY_GATEWAY_URL: 'ftp://example.com/gateway.do' }, 'ALIPAY_GATEWAY_URL'],
    [{ WECHATPAY_BASE_URL: 'https://api.mch.weixin.qq.com' }, 'WECHATPAY_MCHID'],
    [{ ALIPAY_GATEWAY_URL: 'https://openapi.alipay.com/gateway.do' }, 'ALIPAY_APP_ID'],
    [{ WECHATPAY_MCHID: '1900000001' }, 'WECHATPAY_APPID'],
    [{ ALIPAY_APP_ID: '2021000000000000' }, 'ALIPAY_APP_PRIVATE_KEY_FILE'],
  ])('%j is a ConfigError naming %s', (env, setting) => {
    expect(configError({ PAYMENT_KEYS_DIR: dir, ...env }).setting).toBe(setting);
  });

  it('accepts a complete real WeChat Pay configuration and checks each value', () => {
    const env = realWechatEnv();
    const config = readPaymentConfig(env);
    expect(config.wechatpay).toMatchObject({ baseUrl: 'https://api.mch.weixin.qq.com', mchid: '1900000001', platformPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000' });
    expect(configError({ ...env, WECHATPAY_APIV3_KEY: 'x'.repeat(31) })).toMatchObject({ setting: 'WECHATPAY_APIV3_KEY', problem: expect.stringMatching(/32 bytes/) });
    expect(configError({ ...env, WECHATPAY_MCHID: 'abc' }).setting).toBe('WECHATPAY_MCHID');
    expect(configError({ ...env, WECHATPAY_PLATFORM_PUBLIC_KEY_ID: 'nope!' }).setting).toBe('WECHATPAY_PLATFORM_PUBLIC_KEY_ID');
    expect(configError({ ...env, WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: path.join(merchantDir, 'missing.pem') })).toMatchObject({ setting: 'WECHATPAY_MERCHANT_PRIVATE_KEY_FILE', problem: expect.stringMatching(/cannot read/) });
    expect(configError({ ...env, WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: merchantCopy(DEV_KEY_FILES.wechatpayMerchantPublicKey) }).setting).toBe('WECHATPAY_MERCHANT_PRIVATE_KEY_FILE');
    expect(config.realProvider).toBe(true);
  });

  it("refuses the simulator's development keys for a real provider URL, even named as credential files", () => {
    const env = realWechatEnv();
    expect(configError({ ...env, WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: path.join(dir, DEV_KEY_FILES.wechatpayMerchantPrivateKey) })).toMatchObject({
      setting: 'WECHATPAY_MERCHANT_PRIVATE_KEY_FILE',
      problem: expect.stringMatching(/development key/),
    });
    // Against the simulator the same files are fine.
    expect(readPaymentConfig({ ...env, WECHATPAY_BASE_URL: 'http://127.0.0.1:4010', WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: path.join(dir, DEV_KEY_FILES.wechatpayMerchantPrivateKey) }).realProvider).toBe(false);
  });

  it("accepts Alipay keys in the key tool's bare base64 PKCS#1 form", () => {
    const keys = ensureDevKeys(dir);
    const pkcs1Der = createPrivateKey(keys.alipay.appPrivateKeyPem).export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const bare = path.join(merchantDir, 'app-private-bare.txt');
    fs.writeFileSync(bare, pkcs1Der);
    const publicBare = path.join(merchantDir, 'alipay-public-bare.txt');
    fs.writeFileSync(publicBare, keys.alipay.alipayPublicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''));
    const config = readPaymentConfig({
      PAYMENT_KEYS_DIR: dir,
      ALIPAY_GATEWAY_URL: 'https://openapi.alipay.com/gateway.do',
      ALIPAY_APP_ID: '2021000000000000',
      ALIPAY_APP_PRIVATE_KEY_FILE: bare,
      ALIPAY_PUBLIC_KEY_FILE: publicBare,
    });
    expect(createPrivateKey(config.alipay.appPrivateKeyPem).export({ type: 'pkcs1', format: 'der' }).toString('base64')).toBe(pkcs1Der);
    expect(config.alipay.alipayPublicKeyPem).toContain('BEGIN PUBLIC KEY');
  });
});

describe('ensureDevKeys', () => {
  it('is idempotent and writes the PEM files the *_FILE variables can point at', () => {
    const a = ensureDevKeys(dir);
    const b = ensureDevKeys(dir);
    expect(b).toEqual(a);
    expect(fs.readFileSync(path.join(dir, DEV_KEY_FILES.wechatpayMerchantPrivateKey), 'utf8')).toBe(a.wechatpay.merchantPrivateKeyPem);
    expect(fs.readFileSync(path.join(dir, DEV_KEY_FILES.alipayPublicKey), 'utf8')).toBe(a.alipay.alipayPublicKeyPem);
    expect(fs.statSync(path.join(dir, DEV_KEY_FILES.alipayAppPrivateKey)).mode & 0o077).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('two processes starting at the same time end up with the same keys', async () => {
    const fresh = tempKeysDir();
    try {
      const script = `const { ensureDevKeys } = require(${JSON.stringify(path.resolve(__dirname, '../../payments/dev-keys.ts'))}); process.stdout.write(ensureDevKeys(process.argv[1]).wechatpay.merchantSerial);`;
      const args = ['-r', 'ts-node/register/transpile-only', '-e', script, fresh];
      const [x, y] = await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
      expect(x.stdout).toMatch(/^[0-9A-F]{40}$/);
      expect(y.stdout).toBe(x.stdout);
      expect(ensureDevKeys(fresh).wechatpay.merchantSerial).toBe(x.stdout);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 30000);
});
