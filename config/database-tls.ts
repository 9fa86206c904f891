import { X509Certificate, createPrivateKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * TLS between the app (API, worker, migrations) and MySQL, the mysql2 `ssl` option of every
 * connection. Read and checked once at start-up, so a wrong path, a certificate that is not PEM, a key
 * that does not belong to its certificate or an expired client certificate stop the process with one
 * line naming the setting, instead of failing at the first query.
 *
 * DATABASE_TLS       off | verify-ca | verify-full   (MySQL's --ssl-mode=DISABLED / VERIFY_CA / VERIFY_IDENTITY)
 *                    Unset: verify-full when any file below is set, else off. There is no "encrypt but
 *                    trust anyone" mode: a payments database behind an unverified certificate is not TLS.
 *                    verify-ca checks the chain only, for servers reached by a name their certificate
 *                    does not carry (a proxy); verify-full also checks the host of DATABASE_URL, which
 *                    must then be a host name (mysql2 cannot check an IP address: db/data-source.ts refuses it).
 * DATABASE_TLS_CA    PEM file of the CA(s) that signed the server's certificate (unset: Node's public roots,
 *                    for managed databases with publicly signed certificates)
 * DATABASE_TLS_CERT  PEM client certificate, for servers that require one (REQUIRE X509 / REQUIRE SUBJECT)
 * DATABASE_TLS_KEY   its PEM private key (unencrypted); the two go together
 *
 * Files are read at start-up: a rotated certificate takes effect when the process restarts.
 */
export type DatabaseTlsMode = 'off' | 'verify-ca' | 'verify-full';

/** mysql2's SslOptions, as far as we set them. */
export interface MysqlSslOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: true;
  verifyIdentity: boolean;
  minVersion: 'TLSv1.2';
}

export interface DatabaseTlsSettings {
  mode: DatabaseTlsMode;
  /** Passed as `ssl` to TypeORM / mysql2; undefined for plaintext. */
  ssl?: MysqlSslOptions;
  /** For the start-up line: "plaintext", "TLS verify-full (CA /etc/…), client certificate CN=orders (until …)". */
  description: string;
}

const MODES: readonly DatabaseTlsMode[] = ['off', 'verify-ca', 'verify-full'];
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function readDatabaseTls(env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): DatabaseTlsSettings {
  const caPath = pathSetting(env, 'DATABASE_TLS_CA');
  const certPath = pathSetting(env, 'DATABASE_TLS_CERT');
  const keyPath = pathSetting(env, 'DATABASE_TLS_KEY');
  const anyFile = caPath ?? certPath ?? keyPath;

  const rawMode = (env.DATABASE_TLS ?? '').trim().toLowerCase();
  if (rawMode !== '' && !MODES.includes(rawMode as DatabaseTlsMode)) {
    throw new ConfigError('DATABASE_TLS', `"${env.DATABASE_TLS}" must be one of ${MODES.join(', ')} (MySQL's ssl-mode DISABLED, VERIFY_CA, VERIFY_IDENTITY)`);
  }
  const mode: DatabaseTlsMode = rawMode === '' ? (anyFile ? 'verify-full' : 'off') : (rawMode as DatabaseTlsMode);
  if (mode === 'off') {
    if (anyFile) {
      const named = [caPath && 'DATABASE_TLS_CA', certPath && 'DATABASE_TLS_CERT', keyPath && 'DATABASE_TLS_KEY'].filter(Boolean).join(', ');
      throw new ConfigError('DATABASE_TLS', `is "off" but ${named} ${named.includes(',') ? 'are' : 'is'} set: remove them, or set DATABASE_TLS=verify-full`);
    }
    return { mode, description: 'plaintext' };
  }
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError(certPath ? 'DATABASE_TLS_KEY' : 'DATABASE_TLS_CERT', 'a client certificate needs its key (DATABASE_TLS_CERT and DATABASE_TLS_KEY go together)');
  }

  const parts: string[] = [`TLS ${mode}`];
  let ca: string | undefined;
  if (caPath) {
    ca = readPem(caPath, 'DATABASE_TLS_CA');
    const certificates = ca.match(PEM_CERTIFICATE) ?? [];
    if (certificates.length === 0) throw new ConfigError('DATABASE_TLS_CA', `${caPath} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const parsed = certificates.map((pem) => parseCertificate(pem, 'DATABASE_TLS_CA', caPath));
    if (parsed.every((c) => new Date(c.validTo) < now)) {
      throw new ConfigError('DATABASE_TLS_CA', `every certificate in ${caPath} has expired (latest on ${latest(parsed.map((c) => c.validTo))})`);
    }
    parts.push(`CA ${caPath}`);
  } else {
    parts.push('public root CAs');
  }

  let cert: string | undefined;
  let key: string | undefined;
  if (certPath && keyPath) {
    cert = readPem(certPath, 'DATABASE_TLS_CERT');
    const first = cert.match(PEM_CERTIFICATE)?.[0];
    if (!first) throw new ConfigError('DATABASE_TLS_CERT', `${certPath} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const certificate = parseCertificate(first, 'DATABASE_TLS_CERT', certPath);
    if (new Date(certificate.validTo) < now) throw new ConfigError('DATABASE_TLS_CERT', `the client certificate in ${certPath} expired on ${certificate.validTo}`);
    if (new Date(certificate.validFrom) > now) throw new ConfigError('DATABASE_TLS_CERT', `the client certificate in ${certPath} is not valid before ${certificate.validFrom}`);
    key = readPem(keyPath, 'DATABASE_TLS_KEY');
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      const encrypted = /ENCRYPTED/.test(key) || /passphrase/i.test((err as Error).message);
      throw new ConfigError('DATABASE_TLS_KEY', encrypted ? `${keyPath} is encrypted; give the key unencrypted (openssl pkey -in key.pem -out plain.pem) and protect the file instead` : `${keyPath} is not a PEM private key: ${firstLine(err)}`);
    }
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new ConfigError('DATABASE_TLS_KEY', `${keyPath} is not the private key of the certificate in ${certPath} (${subjectName(certificate)})`);
    }
    parts.push(`client certificate ${subjectName(certificate)} until ${certificate.validTo}`);
  }

  return {
    mode,
    ssl: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: true, verifyIdentity: mode === 'verify-full', minVersion: 'TLSv1.2' },
    description: parts.join(', '),
  };
}

function pathSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = (env[name] ?? '').trim();
  return value === '' ? undefined : value;
}

function readPem(path: string, setting: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(setting, `cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(setting, `${path} is not a PEM file (no -----BEGIN line)`);
  return text;
}

function parseCertificate(pem: string, setting: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(setting, `${path} holds a certificate that does not parse: ${firstLine(err)}`);
  }
}

function subjectName(certificate: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
  return cn ? `CN=${cn}` : certificate.subject.replace(/\n/g, ', ');
}

function latest(dates: string[]): string {
  return dates.reduce((a, b) => (new Date(a) > new Date(b) ? a : b));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
