import { existsSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from './config-error';

/**
 * How every process (API, worker, scripts) reaches Temporal, read the standard way with
 * @temporalio/envconfig: a TOML profile file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml;
 * TEMPORAL_PROFILE picks the profile), overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*. Plain TCP to 127.0.0.1:7233 when nothing is set.
 */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** Options for Connection.connect and NativeConnection.connect alike (address, tls, apiKey, metadata). */
  connection: Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'>;
  /** For logs and the start-up line: "tls", "mTLS", "api key", never the secret itself. */
  security: string;
}

const DEFAULT_ADDRESS = '127.0.0.1:7233';

export function readTemporalConnection(env: NodeJS.ProcessEnv): TemporalConnectionSettings {
  const vars = definedOnly(env);
  if (vars.TEMPORAL_CONFIG_FILE && !existsSync(vars.TEMPORAL_CONFIG_FILE)) {
    throw new ConfigError('TEMPORAL_CONFIG_FILE', `${vars.TEMPORAL_CONFIG_FILE} does not exist`);
  }
  let profile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConfigError(vars.TEMPORAL_PROFILE ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE', firstLine(err));
  }
  const address = (profile.address ?? DEFAULT_ADDRESS).trim();
  if (!/^[^\s:/]+:\d{1,5}$/.test(address)) throw new ConfigError('TEMPORAL_ADDRESS', `"${address}" must be host:port, e.g. 127.0.0.1:7233`);
  const namespace = (profile.namespace ?? 'default').trim();
  if (!namespace) throw new ConfigError('TEMPORAL_NAMESPACE', 'must not be empty');
  if (profile.apiKey !== undefined && !profile.apiKey.trim()) throw new ConfigError('TEMPORAL_API_KEY', 'is set but empty');
  const tls = profile.tls;
  if (tls && !tls.disabled && Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH', 'a client certificate needs its key (TEMPORAL_TLS_CLIENT_KEY_PATH) and the other way round');
  }
  let options;
  try {
    // Reads the certificate, key and CA files now, so a wrong path fails at start-up, not at the first call.
    options = toClientOptions({ ...profile, address, namespace });
  } catch (err) {
    throw new ConfigError('TEMPORAL_TLS', `cannot read TLS material: ${firstLine(err)}`);
  }
  const { address: _a, apiKey, tls: tlsOption, metadata } = options.connectionOptions;
  const security = [tlsOption ? (tls?.clientCert ? 'mTLS' : 'TLS') : 'plaintext', apiKey ? 'api key' : undefined].filter(Boolean).join(' + ');
  return {
    address,
    namespace,
    connection: { address, ...(tlsOption !== undefined ? { tls: tlsOption } : {}), ...(apiKey ? { apiKey } : {}), ...(metadata ? { metadata } : {}) },
    security,
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
