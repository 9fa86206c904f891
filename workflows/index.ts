// Everything the worker's workflow bundle registers. Workflow code imports only @temporalio/workflow
// and pure code by relative path (the bundler ignores tsconfig path aliases).
import { setWorkflowOptions } from '@temporalio/workflow';
import * as registered from './registered';
import { WORKFLOW_VERSIONING } from './versioning';

export * from './registered';

// Each workflow type's Worker Versioning behaviour (PINNED or AUTO_UPGRADE), from the one table.
for (const name of Object.keys(registered) as (keyof typeof registered)[]) {
  setWorkflowOptions({ versioningBehavior: WORKFLOW_VERSIONING[name] }, registered[name] as (...args: never[]) => Promise<unknown>);
}
