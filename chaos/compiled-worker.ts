import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
/** What the worker process loads (apps/worker/main.ts and everything it imports). */
const SOURCE_DIRS = ['apps', 'workflows', 'activities', 'domain', 'db', 'payments', 'config'];

/**
 * The worker's code transpiled once to plain JavaScript, so a restarted worker starts in node alone.
 * Under ts-node every start transpiles the same ~180 files again: 10-30 s of CPU on the loaded
 * 2-core box, which was most of the chaos run's recovery time after each SIGKILL. Types are not
 * checked here (the typecheck of npm test does that), exactly like ts-node --transpile-only.
 */
export function transpileWorker(outDir: string): { main: string; env: Record<string, string> } {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    resolveJsonModule: true,
    isolatedModules: true,
  };
  for (const dir of SOURCE_DIRS) {
    for (const file of tsFiles(join(ROOT, dir))) {
      const out = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText);
    }
  }
  // The compiled files live outside the checkout: node finds the packages through NODE_PATH.
  return { main: join(outDir, 'apps', 'worker', 'main.js'), env: { NODE_PATH: join(ROOT, 'node_modules') } };
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}
