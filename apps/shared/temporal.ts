import { Client, Connection, QueryDefinition, WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../../config/config-error';
import type { AppConfig } from '../../config/app-config';

type TemporalSettings = AppConfig['temporal'];

/** A Temporal client for starting and messaging workflows; "unreachable" becomes one line naming TEMPORAL_ADDRESS. */
export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: settings.address, connectTimeout: '5s' });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw unreachable(settings.address, err);
  }
  return new Client({ connection, namespace: settings.namespace });
}

/** The worker's native connection, with the same one-line error. */
export async function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: settings.address });
  } catch (err) {
    throw unreachable(settings.address, err);
  }
}

function unreachable(address: string, err: unknown): ConfigError {
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new ConfigError('TEMPORAL_ADDRESS', `cannot reach Temporal at ${address} (${detail}); is the dev server running? (npm run dev starts one)`);
}

/** Deep link to a workflow in the Temporal Web UI, for API answers and logs. */
export function temporalUiLink(settings: TemporalSettings, workflowId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * A workflow's live state for a read endpoint. The database row is the answer's backbone; when the
 * workflow cannot be asked (finished long ago, worker down) the answer says why instead of failing.
 */
export async function queryOrUnavailable<T>(handle: WorkflowHandle, query: QueryDefinition<T>): Promise<T | { unavailable: string }> {
  try {
    return await handle.query(query);
  } catch (err) {
    return { unavailable: (err as Error).message.split('\n')[0] };
  }
}
