/** The engine's ceiling: a workflow that does nothing, so its rate is the server and worker's own cost. */
export async function noopWorkflow(): Promise<void> {
  return;
}
