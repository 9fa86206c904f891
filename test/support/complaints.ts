import type { TestSystem } from './system';
import { eventually } from './system';

/** A complaint's row status, as the API and support read it. */
export async function complaintStatus(system: TestSystem, id: number): Promise<string> {
  const [row] = await system.dataSource.query('SELECT status FROM complaint WHERE id = ?', [id]);
  return row?.status;
}

export async function waitForComplaint(system: TestSystem, id: number, status: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => ((await complaintStatus(system, id)) === status ? true : undefined), timeoutMs, `complaint ${id} ${status}`);
}

/** Workflow ids Temporal's visibility lists for a query (eventually consistent: waits for `expected`). */
export async function listWorkflowIds(system: TestSystem, query: string, expected: (ids: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  return eventually(async () => {
    const ids: string[] = [];
    for await (const wf of system.temporal.workflow.list({ query })) ids.push(wf.workflowId);
    return expected(ids) ? ids.sort() : undefined;
  }, timeoutMs, `visibility to list ${query}`);
}
