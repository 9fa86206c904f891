/** The engine's ceiling for bench/scale-out.ts: a workflow that does nothing, so only Temporal's own work is timed. */
export async function noopWorkflow(): Promise<void> {}
