import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';

/**
 * Starts a second API app (whose config is already fixed) on a port the OS gives at bind time, so no
 * other socket can take it between a pick and the bind; answers its base URL.
 */
export async function listenOnAnyPort(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that must know their port up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server process on ports picked by freePort() and waits until it is ready, picking again
 * when it exits first: between the pick and the process's bind another test may take the port
 * (EADDRINUSE), which is a reason to retry, not to fail the test.
 */
export async function startOnFreePorts<T>(
  what: string,
  start: () => Promise<{ child: ChildProcess; value: T; ready: () => Promise<boolean> }>,
  { attempts = 5, timeoutMs = 60_000 }: { attempts?: number; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; value: T }> {
  for (let attempt = 1; ; attempt += 1) {
    const { child, value, ready } = await start();
    const deadline = Date.now() + timeoutMs;
    while (child.exitCode === null && child.signalCode === null) {
      if (await ready().catch(() => false)) return { child, value };
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${what} not ready after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (attempt >= attempts) throw new Error(`${what} exited before it was ready (code ${child.exitCode}), ${attempts} times: its ports are taken?`);
  }
}
