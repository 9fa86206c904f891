/**
 * bench:flow's worker CPU profile: BENCH_WORKER_PROFILE=DIR starts the worker process with
 * `--cpu-prof --cpu-prof-dir=DIR` (its workflow thread, a worker_thread, writes a profile of its own),
 * records the measured window in DIR/window.json and stops the worker gently at the end, since a
 * profile is written only on a normal exit. Summarise with `npm run -s bench:cpu-profile -- DIR`.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export const PROFILE_DIR = process.env.BENCH_WORKER_PROFILE || undefined;

/**
 * The worker process's extra environment: the profiler flags when profiling, and
 * BENCH_WORKER_NODE_OPTIONS (Node/V8 flags for the worker alone, e.g. to try a GC setting).
 */
export function workerProfileEnv(): Record<string, string> {
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const flags = [process.env.NODE_OPTIONS, process.env.BENCH_WORKER_NODE_OPTIONS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])].filter(Boolean);
  return flags.length ? { NODE_OPTIONS: flags.join(' ') } : {};
}

/** Now on CLOCK_MONOTONIC in µs: the clock of V8's profile timestamps (Linux). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The window the summary counts, and a copy of the workflow bundle (its scratch directory goes at teardown) to name the bundle's modules. */
export function recordProfileWindow(fromUs: number, toUs: number): void {
  if (!PROFILE_DIR) return;
  const bundlePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (bundlePath) copyFileSync(bundlePath, `${PROFILE_DIR}/workflow-bundle.js`);
  writeFileSync(`${PROFILE_DIR}/window.json`, JSON.stringify({ fromUs, toUs, bundlePath }));
}

/** SIGTERM (the worker's graceful shutdown) and wait for the exit that writes the profiles. */
export async function stopProfiledWorker(worker: ChildProcess, timeoutMs = 60_000): Promise<void> {
  if (!PROFILE_DIR || worker.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), timeoutMs))]);
  console.log(timedOut ? `worker did not exit within ${timeoutMs} ms: no profile` : `worker CPU profiles in ${PROFILE_DIR} (npm run -s bench:cpu-profile -- ${PROFILE_DIR})`);
}
