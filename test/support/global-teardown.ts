import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  const server = state.__temporalServer as ChildProcess | undefined;
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  const scratch = state.__testScratchDir as string | undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  const databaseUrl = state.__testDatabaseUrl as string | undefined;
  if (databaseUrl && process.env.KEEP_TEST_DATABASE !== '1') {
    const url = new URL(databaseUrl);
    const connection = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    await connection.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
    await connection.end();
  }
}
