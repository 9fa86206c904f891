// Everything the worker's workflow bundle registers. Workflow code imports only @temporalio/workflow
// and pure code by relative path (the bundler ignores tsconfig path aliases).
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import * as registered from './registered';
import { WORKFLOW_VERSIONING } from './versioning';

export * from './registered';

// Each workflow type's Worker Versioning behaviour (PINNED or AUTO_UPGRADE), from the one table. Only
// on a versioned worker: an unversioned one (tests, npm run dev by default) must not declare one — the
// server refuses every workflow task completion that does ("versioning behavior cannot be specified
// without deployment options"). The getter runs when a run starts in this worker, after the task's
// deployment version is known.
for (const name of Object.keys(registered) as (keyof typeof registered)[]) {
  setWorkflowOptions(
    () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: WORKFLOW_VERSIONING[name] } : {}),
    registered[name] as (...args: never[]) => Promise<unknown>,
  );
}
