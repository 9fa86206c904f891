import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPaymentSim, PaymentSim, PaymentSimOptions } from '../../apps/payment-sim/server';
import { readPaymentConfig, PaymentConfig } from '../../payments/config';
import { DevKeys, ensureDevKeys } from '../../payments/dev-keys';
import { createPaymentProviders } from '../../payments/index';
import { ProviderError, type PaymentProvider, type ProviderName, type ProviderNotification } from '../../payments/provider';
import { SimControl } from './sim-control';

export interface TestSim {
  sim: PaymentSim;
  control: SimControl;
  keysDir: string;
  keys: DevKeys;
  config: PaymentConfig;
  providers: Record<ProviderName, PaymentProvider>;
  close(): Promise<void>;
}

export function tempKeysDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'payments-keys-'));
}

/** Simulator on a random port with fresh dev keys, and clients configured for it. */
export async function startTestSim(options: Partial<PaymentSimOptions> & { httpTimeoutMs?: number; keysDir?: string } = {}): Promise<TestSim> {
  const keysDir = options.keysDir ?? tempKeysDir();
  const keys = ensureDevKeys(keysDir);
  // The providers' spacing between refunds of one payment is off (1 ms) unless a test is about it (test/payments/refund-limits.test.ts).
  const sim = await startPaymentSim({ port: 0, refundProcessingMs: 5000, hangMs: 5000, notifyRetryScheduleMs: [100, 100, 100], refundSpacing: { wechatpay: 1, alipay: 1 }, ...options, keysDir });
  const config = readPaymentConfig({
    PAYMENT_KEYS_DIR: keysDir,
    PAYMENT_HTTP_TIMEOUT_MS: String(options.httpTimeoutMs ?? 1500),
    WECHATPAY_BASE_URL: sim.url,
    ALIPAY_GATEWAY_URL: `${sim.url}/gateway.do`,
  });
  return {
    sim,
    control: new SimControl(sim.url),
    keysDir,
    keys,
    config,
    providers: createPaymentProviders(config),
    close: async () => {
      await sim.close();
      fs.rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

export interface ReceivedNotification {
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  result?: ProviderNotification;
  rejection?: string;
  ackStatus: number;
}

/**
 * A merchant notify endpoint: verifies with our provider clients and answers with their ack,
 * the way the API's notification controller will. `/wechatpay` and `/alipay` paths.
 */
export async function startNotifyReceiver(providers: Record<ProviderName, PaymentProvider>, opts: { refuseAcks?: number } = {}) {
  const received: ReceivedNotification[] = [];
  let refuse = opts.refuseAcks ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const name: ProviderName = (req.url ?? '').startsWith('/alipay') ? 'alipay' : 'wechatpay';
      const provider = providers[name];
      const entry: ReceivedNotification = { path: req.url ?? '', headers: req.headers, rawBody, ackStatus: 0 };
      let ok = false;
      try {
        entry.result = provider.verifyNotification(req.headers, rawBody);
        ok = true;
      } catch (err) {
        entry.rejection = (err as Error & { reason?: string }).reason ?? (err as Error).message;
      }
      if (ok && refuse > 0) {
        refuse -= 1;
        ok = false;
      }
      const ack = provider.ack(ok);
      entry.ackStatus = ack.status;
      received.push(entry);
      res.writeHead(ack.status, { 'Content-Type': ack.contentType });
      res.end(ack.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    wechatUrl: `http://127.0.0.1:${port}/wechatpay/notify`,
    alipayUrl: `http://127.0.0.1:${port}/alipay/notify`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let counter = 0;
/** Unique business numbers per test run. */
export function uniqueNo(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.replace(/[^0-9A-Za-z_]/g, '').slice(0, 32).padEnd(8, '0');
}

/** The ProviderError a provider call rejects with; fails the test if it resolves or throws anything else. */
export async function rejectionOf(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError');
}
