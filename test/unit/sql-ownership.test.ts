import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * One owner per table (issue 21): every SQL statement lives in a repository module under db/ (one per
 * table, its writes and its report reads), and services, controllers, activities, workflows and the
 * worker call those. So `.query(` with SQL is allowed in db/ only (and in tests, benches, scripts and
 * the chaos harness, which poke the database on purpose). A Temporal `handle.query(someQuery)` is not
 * SQL and stays allowed: a call is SQL when its receiver is a database handle (DataSource,
 * EntityManager, QueryRunner, …) or its first argument is an SQL string.
 */
const root = join(__dirname, '..', '..');
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'test', 'bench', 'scripts', 'chaos', 'db', 'coverage']);
const DATABASE_RECEIVER = /^(dataSource|manager|entityManager|em|queryRunner|runner|connection|conn|ds|db|tx|trx|pool)$/i;
const SQL_TEXT = /^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|ANALYZE|CALL|SET|SHOW|CREATE|ALTER|DROP|TRUNCATE|LOCK|UNLOCK|START|COMMIT|ROLLBACK)\b/i;

function sourceFiles(dir: string, top = true): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name.startsWith('.') || (top && SKIPPED_FOLDERS.has(name)) || name === 'node_modules' ? [] : sourceFiles(path, false);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The text an SQL string starts with, for a string or template literal (undefined for anything else). */
function literalText(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  return undefined;
}

/** The last name of a call's receiver: `this.dataSource.query` → dataSource, `manager.query` → manager. */
function receiverName(expression: ts.Expression): string {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  if (expression.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  return expression.getText();
}

/** Every `.query(` call in the source that runs SQL, as `path:line: text`. */
export function sqlCalls(file: string, source: string): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query') {
      const receiver = receiverName(node.expression.expression);
      const first = literalText(node.arguments[0]);
      if (DATABASE_RECEIVER.test(receiver) || (first !== undefined && SQL_TEXT.test(first))) {
        const { line } = tree.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${file}:${line + 1}: ${node.getText().split('\n')[0].slice(0, 120)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

describe('SQL ownership: .query( only in db/', () => {
  it('tells SQL calls from Temporal queries', () => {
    const sample = [
      "await this.dataSource.query('SELECT 1');",
      'await manager.query(`UPDATE orders SET x = ? WHERE order_sn = ?`, [1, sn]);',
      'const [row] = await this.dataSource.manager.query(sql, []);',
      "await someClient.query('INSERT INTO t VALUES (1)');",
      'await handle.query(orderStateQuery);',
      'await handle.client.withDeadline(deadline, () => handle.query(query));',
      "await wf.getHandle(id).query('state');",
    ].join('\n');
    expect(sqlCalls('sample.ts', sample).map((hit) => hit.split(':')[1])).toEqual(['1', '2', '3', '4']);
  });

  it('finds the repositories in db/ (the scan sees real SQL)', () => {
    const inDb = sourceFiles(join(root, 'db')).flatMap((file) => sqlCalls(relative(root, file), readFileSync(file, 'utf8')));
    expect(inDb.length).toBeGreaterThan(100);
  });

  it('finds no SQL outside db/ (tests, benches, scripts and chaos aside)', () => {
    const files = sourceFiles(root);
    expect(files.some((file) => file.includes(`${sep}activities${sep}`))).toBe(true);
    expect(files.some((file) => file.includes(`${sep}db${sep}`))).toBe(false);
    const outside = files.flatMap((file) => sqlCalls(relative(root, file), readFileSync(file, 'utf8')));
    expect(outside).toEqual([]);
  });
});
