import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dev server's SQLite settings, shared by npm run dev (scripts/dev.sh spells the same flags) and the
 * test setup: WAL with synchronous=normal commits without an fsync per transaction and lets readers
 * run beside the writer — durable against a process crash (a power loss may lose the last commits),
 * which is what a development server needs. Measured on the 2-core box: ~2.5x the no-op workflow rate
 * of the default rollback journal.
 */
export const TEMPORAL_DEV_SERVER_SQLITE_FLAGS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

/**
 * Eager activity execution: an activity a workflow task schedules is handed back to the same worker in
 * the task's completion answer instead of a trip through matching (off by default on the server).
 */
/**
 * Task priority (domain/work-priority.ts): the new matcher dispatches a backlog by priorityKey, within
 * one partition, so the task queue gets exactly one (as the real server's temporal-config/dynamicconfig/).
 */
export const TEMPORAL_DEV_SERVER_PRIORITY_CONFIG = [
  '--dynamic-config-value', 'matching.useNewMatcher=true',
  '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
];

export const TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true', ...TEMPORAL_DEV_SERVER_PRIORITY_CONFIG];

/** `--search-attribute Name=Type` for every attribute the workflows set (temporal-config/search-attributes.txt). */
export function searchAttributeFlags(): string[] {
  return readFileSync(join(__dirname, '..', '..', 'temporal-config', 'search-attributes.txt'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => ['--search-attribute', line.trim()]);
}
