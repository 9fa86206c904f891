import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/config-error';
import { DevKeys, ensureDevKeys } from './dev-keys';

export interface WechatPayConfig {
  baseUrl: string;
  mchid: string;
  appid: string;
  merchantSerial: string;
  /** PKCS#8 PEM. */
  merchantPrivateKeyPem: string;
  /** `PUB_KEY_ID_…` (public-key mode) or a platform certificate serial. */
  platformPublicKeyId: string;
  /** SPKI PEM. */
  platformPublicKeyPem: string;
  /** 32 bytes, used as the raw AES-256-GCM key. */
  apiV3Key: string;
}

export interface AlipayConfig {
  gatewayUrl: string;
  appId: string;
  /** PKCS#8 PEM (handed to alipay-sdk with keyType 'PKCS8'). */
  appPrivateKeyPem: string;
  /** SPKI PEM. */
  alipayPublicKeyPem: string;
}

export interface PaymentConfig {
  keysDir: string;
  httpTimeoutMs: number;
  /** True when any credential came from the development keys folder. */
  usesDevKeys: boolean;
  /** True when either provider URL is not the local simulator: this is a deployment, not local development. */
  realProvider: boolean;
  wechatpay: WechatPayConfig;
  alipay: AlipayConfig;
}

const DEFAULT_SIM = 'http://127.0.0.1:4010';

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL, got ${url.protocol}`);
  }
  return value.replace(/\/+$/, '');
}

/** The simulator runs on this machine, or under the host name PAYMENT_SIM_HOSTNAME names (docker-compose's `payment-sim`). */
function isSimulator(urlText: string, env: NodeJS.ProcessEnv): boolean {
  const host = new URL(urlText).hostname;
  const simulatorHost = nonEmpty(env, 'PAYMENT_SIM_HOSTNAME');
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1' || (simulatorHost !== undefined && host === simulatorHost);
}

/**
 * The simulator's development keys live in PAYMENT_KEYS_DIR and sit on every developer's disk; a
 * real provider must never be called with them, even when named explicitly as credential files.
 */
function refuseDevKeyFile(name: string, file: string, keysDir: string, realUrl: boolean): void {
  const relative = path.relative(keysDir, path.resolve(file));
  if (realUrl && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    throw new ConfigError(name, `${file} is a payment-simulator development key (in PAYMENT_KEYS_DIR); a real provider URL needs the merchant's own key`);
  }
}

function readKeyFile(name: string, file: string): string {
  try {
    return fs.readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    throw new ConfigError(name, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Accepts PEM (PKCS#1 or PKCS#8) or the bare base64 body Alipay's key tool produces. */
function privateKeyPem(name: string, text: string): string {
  const attempts: (() => KeyObject)[] = [() => createPrivateKey(text)];
  if (!text.includes('-----BEGIN')) {
    const body = text.replace(/\s+/g, '');
    attempts.push(() => createPrivateKey({ key: Buffer.from(body, 'base64'), format: 'der', type: 'pkcs8' }));
    attempts.push(() => createPrivateKey({ key: Buffer.from(body, 'base64'), format: 'der', type: 'pkcs1' }));
  }
  for (const attempt of attempts) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(name, `expected an RSA private key, got ${key.asymmetricKeyType}`);
      return key.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
    }
  }
  throw new ConfigError(name, 'not an RSA private key (PEM PKCS#1/PKCS#8 or base64 DER expected)');
}

function publicKeyPem(name: string, text: string): string {
  const attempts: (() => KeyObject)[] = [() => createPublicKey(text)];
  if (!text.includes('-----BEGIN')) {
    const body = text.replace(/\s+/g, '');
    attempts.push(() => createPublicKey({ key: Buffer.from(body, 'base64'), format: 'der', type: 'spki' }));
  }
  for (const attempt of attempts) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(name, `expected an RSA public key, got ${key.asymmetricKeyType}`);
      return key.export({ type: 'spki', format: 'pem' }).toString();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
    }
  }
  throw new ConfigError(name, 'not an RSA public key or certificate (PEM or base64 DER expected)');
}

function matching(name: string, value: string, pattern: RegExp, problem: string): string {
  if (!pattern.test(value)) throw new ConfigError(name, `${problem}, got ${JSON.stringify(value)}`);
  return value;
}

const WECHATPAY_CREDENTIALS = [
  'WECHATPAY_MCHID',
  'WECHATPAY_APPID',
  'WECHATPAY_MERCHANT_SERIAL',
  'WECHATPAY_MERCHANT_PRIVATE_KEY_FILE',
  'WECHATPAY_PLATFORM_PUBLIC_KEY_FILE',
  'WECHATPAY_PLATFORM_PUBLIC_KEY_ID',
  'WECHATPAY_APIV3_KEY',
] as const;

const ALIPAY_CREDENTIALS = ['ALIPAY_APP_ID', 'ALIPAY_APP_PRIVATE_KEY_FILE', 'ALIPAY_PUBLIC_KEY_FILE'] as const;

/**
 * Credentials are all-or-nothing per provider: a half-configured merchant (real key, dev serial)
 * would only surface later as SIGN_ERROR. With none set, the development keys are used, and only
 * against the simulator's URL, because they can never work against the real provider.
 */
function credentialSource(env: NodeJS.ProcessEnv, names: readonly string[], urlName: string, url: string): 'env' | 'dev' {
  const set = names.filter((n) => nonEmpty(env, n) !== undefined);
  if (set.length === names.length) return 'env';
  if (set.length > 0) {
    const missing = names.filter((n) => !set.includes(n));
    throw new ConfigError(missing[0], `must be set together with ${set.join(', ')} (missing: ${missing.join(', ')})`);
  }
  if (!isSimulator(url, env)) {
    throw new ConfigError(names[0], `required when ${urlName} (${url}) is not the local simulator; development keys only work with it`);
  }
  return 'dev';
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a positive integer (milliseconds), got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n <= 0 || !Number.isSafeInteger(n)) throw new ConfigError(name, `must be a positive integer (milliseconds), got ${raw}`);
  return n;
}

export function readPaymentConfig(env: NodeJS.ProcessEnv): PaymentConfig {
  const keysDir = path.resolve(nonEmpty(env, 'PAYMENT_KEYS_DIR') ?? '.data/keys');
  const httpTimeoutMs = positiveInt('PAYMENT_HTTP_TIMEOUT_MS', nonEmpty(env, 'PAYMENT_HTTP_TIMEOUT_MS'), 5000);
  const wechatBaseUrl = httpUrl('WECHATPAY_BASE_URL', nonEmpty(env, 'WECHATPAY_BASE_URL') ?? DEFAULT_SIM);
  const alipayGatewayUrl = httpUrl('ALIPAY_GATEWAY_URL', nonEmpty(env, 'ALIPAY_GATEWAY_URL') ?? `${DEFAULT_SIM}/gateway.do`);

  const wechatSource = credentialSource(env, WECHATPAY_CREDENTIALS, 'WECHATPAY_BASE_URL', wechatBaseUrl);
  const alipaySource = credentialSource(env, ALIPAY_CREDENTIALS, 'ALIPAY_GATEWAY_URL', alipayGatewayUrl);

  let dev: DevKeys | undefined;
  const devKeys = (): DevKeys => {
    if (!dev) {
      try {
        dev = ensureDevKeys(keysDir);
      } catch (err) {
        throw new ConfigError('PAYMENT_KEYS_DIR', `cannot create or read development keys in ${keysDir}: ${(err as Error).message}`);
      }
    }
    return dev;
  };

  const wechatReal = !isSimulator(wechatBaseUrl, env);
  const alipayReal = !isSimulator(alipayGatewayUrl, env);
  let wechatpay: WechatPayConfig;
  if (wechatSource === 'env') {
    const get = (n: (typeof WECHATPAY_CREDENTIALS)[number]): string => nonEmpty(env, n) as string;
    for (const n of ['WECHATPAY_MERCHANT_PRIVATE_KEY_FILE', 'WECHATPAY_PLATFORM_PUBLIC_KEY_FILE'] as const) refuseDevKeyFile(n, get(n), keysDir, wechatReal);
    const apiV3Key = get('WECHATPAY_APIV3_KEY');
    if (Buffer.byteLength(apiV3Key, 'utf8') !== 32) {
      throw new ConfigError('WECHATPAY_APIV3_KEY', `must be exactly 32 bytes, got ${Buffer.byteLength(apiV3Key, 'utf8')}`);
    }
    wechatpay = {
      baseUrl: wechatBaseUrl,
      mchid: matching('WECHATPAY_MCHID', get('WECHATPAY_MCHID'), /^\d{6,32}$/, 'must be the numeric merchant id'),
      appid: matching('WECHATPAY_APPID', get('WECHATPAY_APPID'), /^[A-Za-z0-9_]{4,32}$/, 'must be an app id such as wx…'),
      merchantSerial: matching('WECHATPAY_MERCHANT_SERIAL', get('WECHATPAY_MERCHANT_SERIAL'), /^[0-9A-Fa-f]{8,64}$/, 'must be the hex serial of the merchant API certificate'),
      merchantPrivateKeyPem: privateKeyPem('WECHATPAY_MERCHANT_PRIVATE_KEY_FILE', readKeyFile('WECHATPAY_MERCHANT_PRIVATE_KEY_FILE', get('WECHATPAY_MERCHANT_PRIVATE_KEY_FILE'))),
      platformPublicKeyId: matching(
        'WECHATPAY_PLATFORM_PUBLIC_KEY_ID',
        get('WECHATPAY_PLATFORM_PUBLIC_KEY_ID'),
        /^(PUB_KEY_ID_[0-9A-Za-z_]+|[0-9A-Fa-f]{8,64})$/,
        'must be a WeChat Pay public key id (PUB_KEY_ID_…) or a platform certificate serial',
      ),
      platformPublicKeyPem: publicKeyPem('WECHATPAY_PLATFORM_PUBLIC_KEY_FILE', readKeyFile('WECHATPAY_PLATFORM_PUBLIC_KEY_FILE', get('WECHATPAY_PLATFORM_PUBLIC_KEY_FILE'))),
      apiV3Key,
    };
  } else {
    const w = devKeys().wechatpay;
    wechatpay = {
      baseUrl: wechatBaseUrl,
      mchid: w.mchid,
      appid: w.appid,
      merchantSerial: w.merchantSerial,
      merchantPrivateKeyPem: w.merchantPrivateKeyPem,
      platformPublicKeyId: w.platformPublicKeyId,
      platformPublicKeyPem: w.platformPublicKeyPem,
      apiV3Key: w.apiV3Key,
    };
  }

  let alipay: AlipayConfig;
  if (alipaySource === 'env') {
    const get = (n: (typeof ALIPAY_CREDENTIALS)[number]): string => nonEmpty(env, n) as string;
    for (const n of ['ALIPAY_APP_PRIVATE_KEY_FILE', 'ALIPAY_PUBLIC_KEY_FILE'] as const) refuseDevKeyFile(n, get(n), keysDir, alipayReal);
    alipay = {
      gatewayUrl: alipayGatewayUrl,
      appId: matching('ALIPAY_APP_ID', get('ALIPAY_APP_ID'), /^\d{8,32}$/, 'must be the numeric Alipay app id'),
      appPrivateKeyPem: privateKeyPem('ALIPAY_APP_PRIVATE_KEY_FILE', readKeyFile('ALIPAY_APP_PRIVATE_KEY_FILE', get('ALIPAY_APP_PRIVATE_KEY_FILE'))),
      alipayPublicKeyPem: publicKeyPem('ALIPAY_PUBLIC_KEY_FILE', readKeyFile('ALIPAY_PUBLIC_KEY_FILE', get('ALIPAY_PUBLIC_KEY_FILE'))),
    };
  } else {
    const a = devKeys().alipay;
    alipay = { gatewayUrl: alipayGatewayUrl, appId: a.appId, appPrivateKeyPem: a.appPrivateKeyPem, alipayPublicKeyPem: a.alipayPublicKeyPem };
  }

  return { keysDir, httpTimeoutMs, usesDevKeys: dev !== undefined, realProvider: wechatReal || alipayReal, wechatpay, alipay };
}
