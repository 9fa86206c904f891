import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The module graph of the application code (type-only imports included: a circle through types is
 * still a circle for a reader and for a bundler): no import circles, and the layering the contracts
 * exist for — activities never import workflow implementations, the API never imports activities or
 * the worker, workflow contracts import no implementation.
 */
const root = join(__dirname, '..', '..');
const FOLDERS = ['apps', 'activities', 'domain', 'workflows', 'payments', 'db', 'config', 'scripts', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Relative imports and re-exports of one file, type-only ones included. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : undefined;
    const target = specifier && resolveImport(file, specifier);
    if (target) found.push(target);
  }
  return found;
}

export function buildGraph(files: string[]): Map<string, string[]> {
  return new Map(files.map((file) => [file, importsOf(file)]));
}

/** Strongly connected components with more than one module (or a module importing itself): the circles. */
export function findCircles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    lowlinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(component.map((f) => relative(root, f)).sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return circles;
}

describe('module graph', () => {
  const files = FOLDERS.flatMap((folder) => sourceFiles(join(root, folder)));
  const graph = buildGraph(files);
  const edges = [...graph].flatMap(([from, targets]) => targets.map((to) => ({ from: relative(root, from), to: relative(root, to) })));

  it('reads the application code', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.length).toBeGreaterThan(100);
  });

  it('has no import circles', () => {
    expect(findCircles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check itself works)', () => {
    const a = join(root, 'a.ts');
    const b = join(root, 'b.ts');
    const c = join(root, 'c.ts');
    expect(findCircles(new Map([[a, [b]], [b, [c]], [c, [a]]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(findCircles(new Map([[a, [b]], [b, [c]], [c, []]]))).toEqual([]);
  });

  it('keeps the layers: activities never import workflow implementations, the API never imports activities or the worker', () => {
    const offending = edges.filter(
      ({ from, to }) =>
        (from.startsWith('activities/') && /^workflows\/.*\.workflow\.ts$/.test(to)) ||
        (from.startsWith('apps/api/') && (to.startsWith('activities/') || to.startsWith('apps/worker/'))) ||
        (/^workflows\/.*\.contract\.ts$/.test(from) && (to.startsWith('activities/') || /\.workflow\.ts$/.test(to))),
    );
    expect(offending).toEqual([]);
  });
});
