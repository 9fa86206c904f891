import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Development key material shared by our clients and the local simulator. Real keys never pass
 * through here: the folder lives under .data/ (git-ignored) and is created on first use.
 */

export interface DevKeys {
  dir: string;
  wechatpay: {
    mchid: string;
    appid: string;
    merchantSerial: string;
    merchantPrivateKeyPem: string;
    merchantPublicKeyPem: string;
    platformPublicKeyId: string;
    /** Only the simulator holds this: it signs as "WeChat Pay". */
    platformPrivateKeyPem: string;
    platformPublicKeyPem: string;
    apiV3Key: string;
  };
  alipay: {
    appId: string;
    appPrivateKeyPem: string;
    appPublicKeyPem: string;
    /** Only the simulator holds this: it signs as "Alipay". */
    alipayPrivateKeyPem: string;
    alipayPublicKeyPem: string;
  };
}

/** Where each PEM lands inside the keys folder, so *_FILE variables can point at them. */
export const DEV_KEY_FILES = {
  wechatpayMerchantPrivateKey: 'wechatpay-merchant-private.pem',
  wechatpayMerchantPublicKey: 'wechatpay-merchant-public.pem',
  wechatpayPlatformPrivateKey: 'wechatpay-platform-private.pem',
  wechatpayPlatformPublicKey: 'wechatpay-platform-public.pem',
  alipayAppPrivateKey: 'alipay-app-private.pem',
  alipayAppPublicKey: 'alipay-app-public.pem',
  alipayPlatformPrivateKey: 'alipay-platform-private.pem',
  alipayPublicKey: 'alipay-public.pem',
} as const;

const BUNDLE_FILE = 'dev-keys.json';
const BUNDLE_VERSION = 1;

interface Bundle {
  version: number;
  wechatpay: DevKeys['wechatpay'];
  alipay: DevKeys['alipay'];
}

function rsaPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function digits(n: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < n) s += String(randomInt(0, 10));
  return s;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function alnum(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[randomInt(0, ALNUM.length)];
  return s;
}

function generateBundle(): Bundle {
  const merchant = rsaPair();
  const platform = rsaPair();
  const app = rsaPair();
  const alipay = rsaPair();
  return {
    version: BUNDLE_VERSION,
    wechatpay: {
      mchid: digits(10),
      appid: `wx${randomBytes(8).toString('hex')}`,
      merchantSerial: randomBytes(20).toString('hex').toUpperCase(),
      merchantPrivateKeyPem: merchant.privateKeyPem,
      merchantPublicKeyPem: merchant.publicKeyPem,
      platformPublicKeyId: `PUB_KEY_ID_${digits(10)}${digits(10)}${digits(10)}`,
      platformPrivateKeyPem: platform.privateKeyPem,
      platformPublicKeyPem: platform.publicKeyPem,
      // The APIv3 key is 32 printable characters used as raw bytes (payments.md §1.7).
      apiV3Key: alnum(32),
    },
    alipay: {
      appId: `2021${digits(12)}`,
      appPrivateKeyPem: app.privateKeyPem,
      appPublicKeyPem: app.publicKeyPem,
      alipayPrivateKeyPem: alipay.privateKeyPem,
      alipayPublicKeyPem: alipay.publicKeyPem,
    },
  };
}

function tempName(target: string): string {
  return `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Same content from every writer, so concurrent rename()s are harmless. */
function writeAtomically(target: string, content: string, mode: number): void {
  try {
    if (fs.readFileSync(target, 'utf8') === content) return;
  } catch {
    // missing: write it below
  }
  const tmp = tempName(target);
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, target);
}

function readBundle(file: string): Bundle | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const bundle = JSON.parse(text) as Bundle;
  if (bundle.version !== BUNDLE_VERSION) {
    throw new Error(`${file} has version ${String(bundle.version)}, expected ${BUNDLE_VERSION}; delete the folder to regenerate`);
  }
  return bundle;
}

/**
 * Returns the development keys in `dir`, generating them the first time. Two processes starting
 * together (API and simulator) must end up with the same keys: the bundle is published with
 * link(), which fails if another process got there first, and the loser reads the winner's file.
 */
export function ensureDevKeys(dir: string): DevKeys {
  const absDir = path.resolve(dir);
  fs.mkdirSync(absDir, { recursive: true, mode: 0o700 });
  const bundleFile = path.join(absDir, BUNDLE_FILE);

  let bundle = readBundle(bundleFile);
  if (!bundle) {
    const fresh = generateBundle();
    const tmp = tempName(bundleFile);
    fs.writeFileSync(tmp, JSON.stringify(fresh, null, 2), { mode: 0o600 });
    try {
      fs.linkSync(tmp, bundleFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.unlinkSync(tmp);
    }
    bundle = readBundle(bundleFile);
    if (!bundle) throw new Error(`${bundleFile} vanished while being created`);
  }

  const w = bundle.wechatpay;
  const a = bundle.alipay;
  const pems: [keyof typeof DEV_KEY_FILES, string, number][] = [
    ['wechatpayMerchantPrivateKey', w.merchantPrivateKeyPem, 0o600],
    ['wechatpayMerchantPublicKey', w.merchantPublicKeyPem, 0o644],
    ['wechatpayPlatformPrivateKey', w.platformPrivateKeyPem, 0o600],
    ['wechatpayPlatformPublicKey', w.platformPublicKeyPem, 0o644],
    ['alipayAppPrivateKey', a.appPrivateKeyPem, 0o600],
    ['alipayAppPublicKey', a.appPublicKeyPem, 0o644],
    ['alipayPlatformPrivateKey', a.alipayPrivateKeyPem, 0o600],
    ['alipayPublicKey', a.alipayPublicKeyPem, 0o644],
  ];
  for (const [name, pem, mode] of pems) writeAtomically(path.join(absDir, DEV_KEY_FILES[name]), pem, mode);

  return { dir: absDir, wechatpay: { ...w }, alipay: { ...a } };
}
