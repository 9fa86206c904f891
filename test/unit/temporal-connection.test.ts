/**
 * The Temporal connection is read by @temporalio/envconfig from the standard TEMPORAL_* variables or a
 * TOML profile file; bad values are one ConfigError naming the setting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/config-error';
import { readTemporalConnection } from '../../config/temporal-connection';

describe('Temporal connection settings', () => {
  let dir: string;
  // A HOME without ~/.config/temporalio/temporal.toml, so the developer's own profile cannot leak in.
  const base = () => ({ HOME: dir });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temporal-conn-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problem = (env: Record<string, string>) => {
    try {
      readTemporalConnection({ ...base(), ...env });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).setting;
    }
    throw new Error('expected a ConfigError');
  };

  it('defaults to plaintext 127.0.0.1:7233 and namespace default', () => {
    const settings = readTemporalConnection(base());
    expect(settings).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', security: 'plaintext' });
    expect(settings.connection).toEqual({ address: '127.0.0.1:7233' });
  });

  it('an API key alone switches TLS on (as Temporal Cloud needs)', () => {
    const settings = readTemporalConnection({ ...base(), TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'secret-key' });
    expect(settings.connection).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'secret-key' });
    expect(settings.namespace).toBe('ns.acct');
    expect(settings.security).toBe('TLS + api key');
  });

  it('mTLS from certificate, key and CA files named by TEMPORAL_TLS_*', () => {
    writeFileSync(join(dir, 'client.pem'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    const settings = readTemporalConnection({
      ...base(),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    expect(settings.security).toBe('mTLS');
    const tls = settings.connection.tls as { serverNameOverride: string; serverRootCACertificate: Uint8Array; clientCertPair: { crt: Uint8Array; key: Uint8Array } };
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
    expect(tls.serverNameOverride).toBe('temporal');
    expect(text(tls.serverRootCACertificate)).toBe('CA');
    expect([text(tls.clientCertPair.crt), text(tls.clientCertPair.key)]).toEqual(['CERT', 'KEY']);
  });

  it('reads a profile file, and the environment overrides it', () => {
    const file = join(dir, 'temporal.toml');
    writeFileSync(file, ['[profile.default]', 'address = "a.example:7233"', '', '[profile.prod]', 'address = "prod.example:7233"', 'namespace = "orders-prod"', 'api_key = "k"', ''].join('\n'));
    expect(readTemporalConnection({ ...base(), TEMPORAL_CONFIG_FILE: file }).address).toBe('a.example:7233');
    const prod = readTemporalConnection({ ...base(), TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(prod).toMatchObject({ address: 'prod.example:7233', namespace: 'orders-prod', security: 'TLS + api key' });
    expect(readTemporalConnection({ ...base(), TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' }).namespace).toBe('other');
  });

  it('TEMPORAL_TLS=false turns TLS off even with an API key', () => {
    expect(readTemporalConnection({ ...base(), TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).connection.tls).toBe(false);
  });

  it('names the setting at fault', () => {
    expect(problem({ TEMPORAL_ADDRESS: 'no-port' })).toBe('TEMPORAL_ADDRESS');
    expect(problem({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') })).toBe('TEMPORAL_CONFIG_FILE');
    writeFileSync(join(dir, 'temporal.toml'), '[profile.default]\naddress = "x:1"\n');
    expect(problem({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'nope' })).toBe('TEMPORAL_PROFILE');
    expect(problem({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'temporal.toml') })).toBe('TEMPORAL_TLS_CLIENT_CERT_PATH');
    expect(problem({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'nope.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'nope.key') })).toBe('TEMPORAL_TLS');
    expect(problem({ TEMPORAL_API_KEY: ' ' })).toBe('TEMPORAL_API_KEY');
  });
});
