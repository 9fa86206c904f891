/**
 * What support sees in the Temporal Web UI: a real order's workflow page shows ciphertext
 * (`binary/encrypted`) from a UI that has no codec endpoint, and the readable JSON (order number,
 * carrier, tracking number) from the same UI pointed at the codec server, the way `npm run dev` starts
 * it (--ui-codec-endpoint with a support token in the path). One dev server with the embedded UI, on a
 * database file of its own, restarted between the two views on the same file and ports.
 * Screenshots: test-output/screenshots/temporal-ui-{ciphertext,decoded}.png (and CODEC_SHOTS_DIR if set).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { CodecServer } from '../../apps/codec-server/server';
import { createLogger } from '../../apps/shared/logger';
import { EncryptionCodec } from '../../apps/shared/payload-codec';
import { OrderStatus } from '../../domain';
import { freePort } from '../support/free-port';
import { placePaidOrder, waitForStatus } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';
import { TEMPORAL_DEV_SERVER_SQLITE_FLAGS } from '../support/temporal-dev-server';

const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');
const CARRIER = 'SF Express';
const TRACKING_NO = 'SF7700112233';
/** The UI shows an undecoded payload as its JSON form: metadata values in base64. */
const ENCRYPTED = new RegExp(`binary/encrypted|${Buffer.from('binary/encrypted').toString('base64')}`);

describe('the Temporal Web UI with and without the codec server', () => {
  let scratch: string;
  let grpcPort: number;
  let uiPort: number;
  let server: ChildProcess | undefined;
  let system: TestSystem | undefined;
  let codecServer: CodecServer | undefined;
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  const startServer = async (extra: string[]) => {
    const attributes = readFileSync(join(__dirname, '..', '..', 'temporal-config', 'search-attributes.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).flatMap((l) => ['--search-attribute', l]);
    server = spawn(process.env.TEST_TEMPORAL_CLI!, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(grpcPort), '--ui-port', String(uiPort), '--log-level', 'error', '--db-filename', join(scratch, 'temporal.sqlite'), ...TEMPORAL_DEV_SERVER_SQLITE_FLAGS, ...attributes, ...extra], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const connection = await Connection.connect({ address: `127.0.0.1:${grpcPort}`, connectTimeout: '1s' });
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        await connection.close();
        if ((await fetch(`http://127.0.0.1:${uiPort}/`)).ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('temporal dev server with UI did not start');
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const stopServer = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'orders-ui-codec-'));
    grpcPort = await freePort();
    uiPort = await freePort();
    await startServer([]);
    browser = await launchChromium({ width: 1400, height: 1000 });
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await codecServer?.close();
    await stopServer();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const shot = async (page: Page, name: string) => {
    const path = join(SHOTS, `temporal-ui-${name}.png`);
    await page.screenshot({ path, fullPage: false });
    if (process.env.CODEC_SHOTS_DIR) {
      mkdirSync(process.env.CODEC_SHOTS_DIR, { recursive: true });
      copyFileSync(path, join(process.env.CODEC_SHOTS_DIR, `${name}.png`));
    }
  };

  /** The workflow page's "Input and Results" and the history, once the UI has loaded and decoded (or not) the payloads. */
  const openWorkflow = async (page: Page, workflowId: string, expected: RegExp) => {
    await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${workflowId}`, { waitUntil: 'domcontentloaded' });
    const bodyText = () => page.locator('body').innerText();
    const deadline = Date.now() + 30_000;
    while (!expected.test(await bodyText())) {
      if (Date.now() > deadline) throw new Error(`the workflow page never showed ${expected}; it shows: ${(await bodyText()).slice(0, 2000)}`);
      await page.waitForTimeout(300);
    }
    return bodyText();
  };

  it('shows ciphertext without the codec endpoint and the readable JSON through the codec server', async () => {
    system = await startTestSystem({ TEMPORAL_ADDRESS: `127.0.0.1:${grpcPort}` });
    const order = await placePaidOrder(system, 'wechatpay');
    const shipped = await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: CARRIER, trackingNo: TRACKING_NO } });
    expect(shipped.status).toBe(200);
    await waitForStatus(system, order.orderSn, OrderStatus.SHIPPED);
    const workflowId = `order-${order.orderSn}`;
    const config = system.config;
    await system.stop();
    system = undefined;

    const page = await context!.newPage();
    const plain = await openWorkflow(page, workflowId, ENCRYPTED);
    expect(plain).toContain(workflowId); // the id is in clear, as docs/operations.md says
    expect(plain).not.toContain(TRACKING_NO);
    expect(plain).not.toContain('"sellerId"');
    await shot(page, 'ciphertext');

    codecServer = new CodecServer({ codec: new EncryptionCodec(config.temporal.payloadEncryption), jwtSecret: config.api.jwtSecret, corsOrigins: [`http://127.0.0.1:${uiPort}`], log: createLogger('codec-server', undefined, { LOG_LEVEL: 'silent' }) });
    const codecPort = await codecServer.listen(0, '127.0.0.1');
    const { mintToken } = await import('../../apps/api/auth/token');
    await stopServer();
    await startServer(['--ui-codec-endpoint', `http://127.0.0.1:${codecPort}/token/${mintToken(config.api.jwtSecret, 'support', 1)}`]);
    const decoded = await openWorkflow(page, workflowId, new RegExp(order.orderSn.replace(/[^A-Za-z0-9]/g, '') + '[\\s\\S]*sellerId|sellerId[\\s\\S]*' + order.orderSn));
    expect(decoded).not.toMatch(ENCRYPTED);
    await shot(page, 'decoded');
  });
});
