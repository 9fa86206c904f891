import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';

/**
 * The workflow code as one prebuilt bundle. Webpack takes 10-15 s of CPU on the 2-core box; doing it
 * at build time (npm run build) instead of at every worker start makes a worker start in about a
 * second, and lets the test run bundle once for all its test systems.
 */
const WORKFLOWS_PATH = require.resolve('../../workflows');
/** The workflow interceptor that puts orderSn on every workflow log line; part of every bundle. */
export const WORKFLOW_LOG_CONTEXT = require.resolve('../../workflows/log-context');

/** Where `npm run build` writes the bundle, next to the compiled worker (dist/workflow-bundle.js). */
export const BUILT_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');

export async function writeWorkflowBundle(outPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_LOG_CONTEXT], logger: new DefaultLogger('WARN') });
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, code);
  return outPath;
}

/**
 * What the worker loads: WORKFLOW_BUNDLE (a bundle written by writeWorkflowBundle), else the bundle
 * built with the compiled code, else the workflow sources (bundled at start: ts-node, jest).
 */
export function workflowCodeOption(bundlePath = process.env.WORKFLOW_BUNDLE): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const codePath = bundlePath || (existsSync(BUILT_BUNDLE_PATH) && __filename.endsWith('.js') ? BUILT_BUNDLE_PATH : undefined);
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: WORKFLOWS_PATH };
}

if (require.main === module) {
  writeWorkflowBundle(process.argv[2] ?? BUILT_BUNDLE_PATH).then(
    (path) => console.log(`workflow bundle written to ${path}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
