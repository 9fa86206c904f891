import { parseWorkPriorities } from '../domain';
import { ConfigError } from './config-error';

/**
 * How work is ordered and versioned on the task queue: task priorities on or off (WORK_PRIORITIES),
 * the worker's deployment version (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID), and how many handed-over
 * orders a sweep keeps in flight (SWEEP_MAX_IN_FLIGHT). docs/priorities-and-versioning.md explains them.
 */

/** WORK_PRIORITIES=off starts every workflow without a priority key (the "before" of bench:priority). */
export function readWorkPriorities(env: NodeJS.ProcessEnv): boolean {
  const parsed = parseWorkPriorities(env.WORK_PRIORITIES);
  if (typeof parsed === 'string') throw new ConfigError('WORK_PRIORITIES', parsed);
  return parsed;
}

/** The worker's Worker Deployment version; undefined: the worker runs unversioned (tests, npm run dev by default). */
export interface WorkerVersioning {
  deploymentName: string;
  buildId: string;
}

const VERSION_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function readWorkerVersioning(env: NodeJS.ProcessEnv): WorkerVersioning | undefined {
  const deploymentName = (env.WORKER_DEPLOYMENT_NAME ?? '').trim();
  const buildId = (env.WORKER_BUILD_ID ?? '').trim();
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName) throw new ConfigError('WORKER_DEPLOYMENT_NAME', `must be set with WORKER_BUILD_ID ("${buildId}"): a version is deployment name + build id`);
  if (!buildId) throw new ConfigError('WORKER_BUILD_ID', `must be set with WORKER_DEPLOYMENT_NAME ("${deploymentName}"): a version is deployment name + build id`);
  // The server joins them as "name.buildId" in the CLI and the UI: a dot in the name would be ambiguous.
  if (!VERSION_PART.test(deploymentName) || deploymentName.includes('.')) throw new ConfigError('WORKER_DEPLOYMENT_NAME', `"${deploymentName}" may contain letters, digits, _ and - (no dots), up to 255 characters`);
  if (!VERSION_PART.test(buildId)) throw new ConfigError('WORKER_BUILD_ID', `"${buildId}" may contain letters, digits, ., _ and -, up to 255 characters (e.g. a git commit or image tag)`);
  return { deploymentName, buildId };
}

/**
 * SWEEP_MAX_IN_FLIGHT: orders one sweep run has handed over whose workflows have not moved them yet.
 * The sweep waits while it has this many, so a 10,000-order backlog is fed to the task queue at the
 * rate the workers absorb it instead of all at once. Default 50 (bench:priority, docs/priorities-and-versioning.md):
 * a resumed order's steps are local activities, which the worker runs in arrival order whatever their
 * priority, so every order in flight is work a seller's cancel may queue behind inside the worker;
 * 50 is still a few seconds of work at the ~20-30 advanced orders a second of the 2-core box.
 */
export function readSweepMaxInFlight(env: NodeJS.ProcessEnv): number {
  const raw = (env.SWEEP_MAX_IN_FLIGHT ?? '50').trim();
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < 1 || value > 100_000) throw new ConfigError('SWEEP_MAX_IN_FLIGHT', `"${raw}" must be a whole number from 1 to 100000 (orders in flight per sweep)`);
  return value;
}
