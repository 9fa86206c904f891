/**
 * DATABASE_TLS / DATABASE_TLS_CA / DATABASE_TLS_CERT / DATABASE_TLS_KEY (config/database-tls.ts): what
 * start-up accepts, what it refuses with one line naming the setting, and the mysql2 `ssl` options it
 * hands to every DataSource. Certificates come from deploy/mysql/make-tls.sh (the compose stack's), so
 * that script is exercised too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAppConfig } from '../../../config/app-config';
import { ConfigError } from '../../../config/config-error';
import { readDatabaseTls } from '../../../config/database-tls';

const MAKE_TLS = resolve(__dirname, '../../../deploy/mysql/make-tls.sh');
const uid = String(process.getuid?.() ?? 0);

let dir: string;
let tls: string;
let otherTls: string;
const file = (name: string) => join(tls, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'database-tls-'));
  tls = join(dir, 'tls');
  otherTls = join(dir, 'other');
  const env = { ...process.env, MYSQL_TLS_SERVER_UID: uid, MYSQL_TLS_CLIENT_UID: uid };
  execFileSync('sh', [MAKE_TLS, tls], { env, stdio: 'ignore' });
  execFileSync('sh', [MAKE_TLS, otherTls], { env, stdio: 'ignore' });
  writeFileSync(join(dir, 'not-pem.txt'), 'hello\n');
  writeFileSync(join(dir, 'pem-without-certificate.pem'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
  execFileSync('openssl', ['pkey', '-in', file('client-key.pem'), '-aes256', '-passout', 'pass:secret', '-out', join(dir, 'encrypted-key.pem')], { stdio: 'ignore' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refuses(env: NodeJS.ProcessEnv, setting: string, message: RegExp, now?: Date): void {
  let error: unknown;
  try {
    readDatabaseTls(env, now);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).setting).toBe(setting);
  expect((error as ConfigError).message).toMatch(message);
}

describe('MySQL TLS settings', () => {
  it('is plaintext when nothing is set, and with DATABASE_TLS=off', () => {
    expect(readDatabaseTls({})).toEqual({ mode: 'off', description: 'plaintext' });
    expect(readDatabaseTls({ DATABASE_TLS: 'off', DATABASE_TLS_CA: '  ' })).toEqual({ mode: 'off', description: 'plaintext' });
  });

  it('verifies the server with the CA file and checks its host name by default (verify-full)', () => {
    const settings = readDatabaseTls({ DATABASE_TLS_CA: file('ca.pem') });
    expect(settings.mode).toBe('verify-full');
    expect(settings.ssl).toEqual({ ca: readFileSync(file('ca.pem'), 'utf8'), rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' });
    expect(settings.description).toBe(`TLS verify-full, CA ${file('ca.pem')}`);
  });

  it('verify-ca checks the chain but not the host name; without a CA file Node\'s public roots verify', () => {
    expect(readDatabaseTls({ DATABASE_TLS: 'verify-ca', DATABASE_TLS_CA: file('ca.pem') }).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
    const publicRoots = readDatabaseTls({ DATABASE_TLS: 'VERIFY-FULL' });
    expect(publicRoots.ssl).toEqual({ rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' });
    expect(publicRoots.description).toBe('TLS verify-full, public root CAs');
  });

  it('adds the client certificate and key, read once at start-up, and names the certificate', () => {
    const settings = readDatabaseTls({ DATABASE_TLS_CA: file('ca.pem'), DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: file('client-key.pem') });
    expect(settings.ssl?.cert).toBe(readFileSync(file('client-cert.pem'), 'utf8'));
    expect(settings.ssl?.key).toBe(readFileSync(file('client-key.pem'), 'utf8'));
    expect(settings.description).toMatch(/^TLS verify-full, CA .*ca\.pem, client certificate CN=orders until .+ GMT$/);
  });

  it('is part of the configuration every process reads (readAppConfig → databaseTls)', () => {
    const config = readAppConfig({ DATABASE_TLS: 'verify-ca', DATABASE_TLS_CA: file('ca.pem') });
    expect(config.databaseTls.mode).toBe('verify-ca');
    expect(config.databaseTls.ssl?.ca).toContain('BEGIN CERTIFICATE');
    expect(() => readAppConfig({ DATABASE_TLS: 'required' })).toThrow(ConfigError);
  });

  it.each<[string, NodeJS.ProcessEnv, string, RegExp]>([
    ['an unknown mode', { DATABASE_TLS: 'required' }, 'DATABASE_TLS', /"required" must be one of off, verify-ca, verify-full/],
    ['"trust anyone"', { DATABASE_TLS: 'true' }, 'DATABASE_TLS', /must be one of/],
    ['files with TLS off', { DATABASE_TLS: 'off', DATABASE_TLS_CA: '/x/ca.pem' }, 'DATABASE_TLS', /is "off" but DATABASE_TLS_CA is set/],
    ['a certificate without its key', { DATABASE_TLS_CERT: '/x/cert.pem' }, 'DATABASE_TLS_KEY', /needs its key/],
    ['a key without its certificate', { DATABASE_TLS_KEY: '/x/key.pem' }, 'DATABASE_TLS_CERT', /needs its key/],
    ['a CA file that does not exist', { DATABASE_TLS_CA: '/nonexistent/ca.pem' }, 'DATABASE_TLS_CA', /cannot read \/nonexistent\/ca\.pem \(ENOENT\)/],
  ])('refuses %s', (_what, env, setting, message) => refuses(env, setting, message));

  it('refuses files that are not what they should be', () => {
    refuses({ DATABASE_TLS_CA: join(dir, 'not-pem.txt') }, 'DATABASE_TLS_CA', /is not a PEM file/);
    refuses({ DATABASE_TLS_CA: join(dir, 'pem-without-certificate.pem') }, 'DATABASE_TLS_CA', /holds no PEM certificate/);
    refuses({ DATABASE_TLS_CERT: file('client-key.pem'), DATABASE_TLS_KEY: file('client-key.pem') }, 'DATABASE_TLS_CERT', /holds no PEM certificate/);
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: file('ca.pem') }, 'DATABASE_TLS_KEY', /is not a PEM private key/);
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: join(dir, 'encrypted-key.pem') }, 'DATABASE_TLS_KEY', /is encrypted/);
  });

  it('refuses a key that does not belong to the certificate', () => {
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: file('server-key.pem') }, 'DATABASE_TLS_KEY', /is not the private key of the certificate .* \(CN=orders\)/);
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: join(otherTls, 'client-key.pem') }, 'DATABASE_TLS_KEY', /is not the private key/);
  });

  it('refuses an expired client certificate or CA at start-up, not at the first query', () => {
    const in3Years = new Date(Date.now() + 3 * 365 * 24 * 3600_000);
    refuses({ DATABASE_TLS_CA: file('ca.pem') }, 'DATABASE_TLS_CA', /every certificate in .* has expired/, in3Years);
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: file('client-key.pem') }, 'DATABASE_TLS_CERT', /expired on/, in3Years);
    refuses({ DATABASE_TLS_CERT: file('client-cert.pem'), DATABASE_TLS_KEY: file('client-key.pem') }, 'DATABASE_TLS_CERT', /is not valid before/, new Date('2000-01-01'));
    // A bundle with one current CA is fine even if another has expired: here both are current.
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, readFileSync(file('ca.pem'), 'utf8') + readFileSync(join(otherTls, 'ca.pem'), 'utf8'));
    expect(readDatabaseTls({ DATABASE_TLS_CA: bundle }).ssl?.ca).toContain(readFileSync(join(otherTls, 'ca.pem'), 'utf8').trim());
  });
});
