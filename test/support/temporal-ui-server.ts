import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from './free-port';
import { TEMPORAL_DEV_SERVER_SQLITE_FLAGS } from './temporal-dev-server';

/**
 * A Temporal dev server of its own with the embedded Web UI (the jest run's shared server is headless),
 * for tests that open the UI in Chromium; the project's search attributes registered by flag.
 */
export interface TemporalUiServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startTemporalUiServer(scratch: string): Promise<TemporalUiServer> {
  const grpcPort = await freePort();
  let uiPort = await freePort();
  while (uiPort === grpcPort) uiPort = await freePort();
  const attributes = readFileSync(join(__dirname, '..', '..', 'temporal-config', 'search-attributes.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).flatMap((l) => ['--search-attribute', l]);
  const server: ChildProcess = spawn(process.env.TEST_TEMPORAL_CLI!, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(grpcPort), '--ui-port', String(uiPort), '--log-level', 'error', '--db-filename', join(scratch, 'temporal.sqlite'), ...TEMPORAL_DEV_SERVER_SQLITE_FLAGS, ...attributes], { stdio: 'ignore' });
  const address = `127.0.0.1:${grpcPort}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`temporal dev server with UI exited with code ${server.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.close();
      if ((await fetch(`${uiUrl}/`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('temporal dev server with UI did not start within 60 s');
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    address,
    uiUrl,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
