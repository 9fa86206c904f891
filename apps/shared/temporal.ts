import { Client, Connection, QueryDefinition, WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../../config/config-error';
import type { AppConfig } from '../../config/app-config';
import type { PayloadEncryptionSettings } from '../../config/payload-encryption';
import { EncryptionCodec } from './payload-codec';

type TemporalSettings = AppConfig['temporal'];

/**
 * The one place connections to Temporal are made (API, worker, scripts, test systems), with the
 * address, TLS and API key that @temporalio/envconfig read (config/temporal-connection.ts).
 * A Temporal client for starting and messaging workflows; "unreachable" becomes one line naming TEMPORAL_ADDRESS.
 */
export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connection, connectTimeout: '5s' });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw unreachable(settings, err);
  }
  return new Client({ connection, namespace: settings.namespace, dataConverter: temporalDataConverter(settings.payloadEncryption) });
}

/**
 * The data converter of every client and worker (Worker.create's dataConverter): payloads are
 * encrypted by the codec after the default JSON conversion, so what Temporal stores and shows is
 * ciphertext. The codec runs outside the workflow sandbox; workflow code and determinism are unaffected.
 */
export function temporalDataConverter(encryption: PayloadEncryptionSettings): DataConverter {
  return encryption.enabled ? { payloadCodecs: [new EncryptionCodec(encryption)] } : {};
}

/** The worker's native connection, with the same one-line error. */
export async function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(settings.connection);
  } catch (err) {
    throw unreachable(settings, err);
  }
}

function unreachable(settings: TemporalSettings, err: unknown): ConfigError {
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new ConfigError('TEMPORAL_ADDRESS', `cannot reach Temporal at ${settings.address} (${settings.security}; ${detail}); is the dev server running? (npm run dev starts one)`);
}

/** Deep link to a workflow in the Temporal Web UI, for API answers and logs. */
export function temporalUiLink(settings: TemporalSettings, workflowId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Deep link to one event of one run's history in the Temporal Web UI (2.x: /history/events/{eventId}). */
export function temporalUiEventLink(settings: TemporalSettings, workflowId: string, runId: string, eventId: number): string {
  return `${temporalUiLink(settings, workflowId)}/${encodeURIComponent(runId)}/history/events/${eventId}`;
}

/** How long a read endpoint waits for a workflow's answer to a query before it answers without it. */
const QUERY_DEADLINE_MS = 20_000;

/**
 * A workflow's live state for a read endpoint. The database row is the answer's backbone; when the
 * workflow cannot be asked (finished long ago, worker down, or no answer within QUERY_DEADLINE_MS:
 * a query without a deadline kept an HTTP call open for minutes under load) the answer says why
 * instead of failing or hanging.
 */
export async function queryOrUnavailable<T>(handle: WorkflowHandle, query: QueryDefinition<T>): Promise<T | { unavailable: string }> {
  try {
    return await handle.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(query));
  } catch (err) {
    return { unavailable: (err as Error).message.split('\n')[0] };
  }
}
