/**
 * MySQL over TLS and the least-privilege users, against a real server: a private MariaDB (its own data
 * directory, socket and port; the machine's shared server on 3306 is not touched) started with the
 * certificates deploy/mysql/make-tls.sh makes for the compose stack, and the users and grants of
 * deploy/mysql/initdb/10-users.sh (the SQL is taken from that file). Then, through the app's own
 * connectDataSource / migrate with readDatabaseTls settings:
 *   - the migration user applies every migration over mutual TLS;
 *   - the app user reads and writes rows over TLS, and is refused DDL and other databases;
 *   - without the client certificate, without TLS, or with another CA, the connection is refused;
 *   - verify-full checks the host name, verify-ca does not; verify-full with an IP address in
 *     DATABASE_URL is refused at start-up (mysql2 would check the certificate against "localhost").
 * Skipped (with a message) where mariadbd, mariadb-install-db or openssl are missing.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { readDatabaseTls } from '../../config/database-tls';
import { MIGRATIONS, connectDataSource, migrate } from '../../db/data-source';
import { freePort } from '../support/free-port';

const ROOT = resolve(__dirname, '..', '..');
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const available = existsSync(MARIADBD) && existsSync(INSTALL_DB) && commandExists('openssl');
const PASSWORDS = { ORDERS_DB_PASSWORD: 'orders-test-pw', ORDERS_MIGRATE_DB_PASSWORD: 'migrate-test-pw', TEMPORAL_DB_PASSWORD: 'temporal-test-pw' };

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The SQL of deploy/mysql/initdb/10-users.sh, with its shell escapes and password variables resolved. */
function usersSql(): string {
  const script = readFileSync(join(ROOT, 'deploy/mysql/initdb/10-users.sh'), 'utf8');
  const body = /<<SQL\n([\s\S]*?)\nSQL\n/.exec(script)?.[1];
  if (!body) throw new Error('no <<SQL heredoc in 10-users.sh');
  return body.replace(/\\`/g, '`').replace(/\$\{(\w+)\}/g, (_m, name: string) => {
    const value = PASSWORDS[name as keyof typeof PASSWORDS];
    if (value === undefined) throw new Error(`10-users.sh uses \${${name}}, unknown to this test`);
    return value;
  });
}

(available ? describe : describe.skip)('MySQL over TLS with least-privilege users (private MariaDB)', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  const tls = (name: string) => join(dir, 'tls', name);
  const url = (user: 'orders' | 'orders_migrate', host = 'localhost') =>
    `mysql://${user}:${user === 'orders' ? PASSWORDS.ORDERS_DB_PASSWORD : PASSWORDS.ORDERS_MIGRATE_DB_PASSWORD}@${host}:${port}/orders`;
  const mutualTls = (mode = 'verify-full') => readDatabaseTls({ DATABASE_TLS: mode, DATABASE_TLS_CA: tls('ca.pem'), DATABASE_TLS_CERT: tls('client-cert.pem'), DATABASE_TLS_KEY: tls('client-key.pem') });
  const open: DataSource[] = [];
  const rootConnection = () => createConnection({ socketPath: join(dir, 'mysqld.sock'), user: 'root', password: '', multipleStatements: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mysql-tls-'));
    const me = userInfo();
    const owner = { MYSQL_TLS_SERVER_UID: String(me.uid), MYSQL_TLS_CLIENT_UID: String(me.uid) };
    // The compose stack's certificates (server names mysql, localhost, 127.0.0.1) ...
    execFileSync('sh', [join(ROOT, 'deploy/mysql/make-tls.sh'), join(dir, 'tls')], { env: { ...process.env, ...owner }, stdio: 'ignore' });
    // ... and another CA's, whose server certificate names only `mysql` (the host-name test swaps them in).
    execFileSync('sh', [join(ROOT, 'deploy/mysql/make-tls.sh'), join(dir, 'other-ca')], { env: { ...process.env, ...owner, MYSQL_TLS_SERVER_NAMES: 'mysql' }, stdio: 'ignore' });
    execFileSync(INSTALL_DB, ['--no-defaults', `--datadir=${join(dir, 'data')}`, `--user=${me.username}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore', timeout: 120_000 });
    port = await freePort();
    server = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--log-error=${join(dir, 'error.log')}`,
        `--user=${me.username}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=16M',
        `--ssl-ca=${tls('ca.pem')}`,
        `--ssl-cert=${tls('server-cert.pem')}`,
        `--ssl-key=${tls('server-key.pem')}`,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`private mariadbd exited (${server.exitCode}): ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      try {
        const root = await rootConnection();
        // Anonymous accounts would shadow ours for some hosts.
        const [anonymous] = await root.query<import('mysql2').RowDataPacket[]>("SELECT Host FROM mysql.user WHERE User = ''");
        for (const row of anonymous) await root.query('DROP USER ?@?', ['', row.Host]);
        await root.query(usersSql());
        await root.end();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }, 180_000);

  afterAll(async () => {
    for (const ds of open) if (ds.isInitialized) await ds.destroy();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('migrates over mutual TLS as the migration user (its grants cover every migration)', async () => {
    const applied = await migrate(url('orders_migrate'), { tls: mutualTls() });
    expect(applied.length).toBe(MIGRATIONS.length);
    expect(await migrate(url('orders_migrate'), { tls: mutualTls() })).toEqual([]);
  });

  it('serves the app user its rows over TLS, and nothing more', async () => {
    const ds = await connectDataSource(url('orders'), { poolSize: 2, tls: mutualTls() });
    open.push(ds);
    const [cipher] = await ds.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
    expect(cipher.Value).toMatch(/^TLSv1\.[23]$/);
    const [grants] = await ds.query('SELECT CURRENT_USER() AS user');
    expect(grants.user).toBe('orders@%');
    // Rows: read and write (in a transaction rolled back, so nothing is left behind).
    await ds.transaction(async (manager) => {
      await manager.query('SELECT COUNT(*) AS n FROM migrations');
      await manager.query('UPDATE migrations SET name = name WHERE id < 0');
    });
    // No DDL, no other database.
    await expect(ds.query('CREATE TABLE should_not_exist (id INT)')).rejects.toMatchObject({ code: expect.stringMatching(/ACCESS_DENIED/) });
    await expect(ds.query('DROP TABLE migrations')).rejects.toMatchObject({ code: expect.stringMatching(/ACCESS_DENIED/) });
    await expect(ds.query('SELECT COUNT(*) FROM mysql.user')).rejects.toMatchObject({ code: expect.stringMatching(/ACCESS_DENIED/) });
    await expect(ds.query('CREATE DATABASE should_not_exist')).rejects.toMatchObject({ code: expect.stringMatching(/ACCESS_DENIED/) });
  });

  it('refuses the app user without TLS, and with TLS but no client certificate (REQUIRE X509)', async () => {
    await expect(connectDataSource(url('orders'), { poolSize: 1 })).rejects.toThrow(/^DATABASE_URL: cannot connect to mysql:\/\/orders@localhost:\d+\/orders: ER_ACCESS_DENIED_ERROR/);
    const caOnly = readDatabaseTls({ DATABASE_TLS_CA: tls('ca.pem') });
    await expect(connectDataSource(url('orders'), { poolSize: 1, tls: caOnly })).rejects.toThrow(/over TLS verify-full, CA .*: ER_ACCESS_DENIED_ERROR/);
  });

  it('refuses a server its CA did not sign, in either verifying mode', async () => {
    for (const mode of ['verify-full', 'verify-ca']) {
      const otherCa = readDatabaseTls({ DATABASE_TLS: mode, DATABASE_TLS_CA: join(dir, 'other-ca', 'ca.pem'), DATABASE_TLS_CERT: tls('client-cert.pem'), DATABASE_TLS_KEY: tls('client-key.pem') });
      await expect(connectDataSource(url('orders'), { poolSize: 1, tls: otherCa })).rejects.toThrow(/cannot connect .*(self[- ]signed|unable to verify|certificate)/i);
    }
  });

  it('refuses verify-full with an IP address for a host (the driver would check "localhost"); verify-ca connects', async () => {
    await expect(connectDataSource(url('orders', '127.0.0.1'), { poolSize: 1, tls: mutualTls('verify-full') })).rejects.toThrow(/^DATABASE_TLS: verify-full .* 127\.0\.0\.1 is an IP address/);
    await expect(migrate(url('orders_migrate', '127.0.0.1'), { tls: mutualTls('verify-full') })).rejects.toThrow(/^DATABASE_TLS: /);
    const ds = await connectDataSource(url('orders', '127.0.0.1'), { poolSize: 1, tls: mutualTls('verify-ca') });
    open.push(ds);
    expect((await ds.query("SHOW SESSION STATUS LIKE 'Ssl_version'"))[0].Value).toMatch(/^TLSv1\.[23]$/);
  });

  it('verify-full checks the host name against the server certificate; verify-ca does not', async () => {
    // The server switches to the other CA's certificate, which names only `mysql` (FLUSH SSL rereads the files).
    for (const name of ['ca.pem', 'server-cert.pem', 'server-key.pem']) copyFileSync(join(dir, 'other-ca', name), tls(name));
    const root = await rootConnection();
    await root.query('FLUSH SSL');
    await root.end();
    const other = (mode: string) => readDatabaseTls({ DATABASE_TLS: mode, DATABASE_TLS_CA: join(dir, 'other-ca', 'ca.pem'), DATABASE_TLS_CERT: join(dir, 'other-ca', 'client-cert.pem'), DATABASE_TLS_KEY: join(dir, 'other-ca', 'client-key.pem') });
    await expect(connectDataSource(url('orders'), { poolSize: 1, tls: other('verify-full') })).rejects.toThrow(/Hostname\/IP does not match certificate's altnames: Host: localhost/);
    const ds = await connectDataSource(url('orders'), { poolSize: 1, tls: other('verify-ca') });
    open.push(ds);
    expect((await ds.query("SHOW SESSION STATUS LIKE 'Ssl_version'"))[0].Value).toMatch(/^TLSv1\.[23]$/);
  });
});

if (!available) {
  // eslint-disable-next-line no-console
  console.warn('mysql-tls.test.ts skipped: needs /usr/sbin/mariadbd, /usr/bin/mariadb-install-db and openssl');
}
