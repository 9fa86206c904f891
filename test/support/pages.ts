import type { TestSystem } from './system';

/**
 * Walks a cursor-paged list (apps/api/common/pagination.ts) from its first page, following nextCursor
 * with `limit` rows a page, and returns every row in order. Fails on a page above the limit, an
 * answer that is not a page, or a cursor that is not opaque text.
 */
export async function walkPages(system: TestSystem, path: string, token: string, limit: number, between?: (pageNo: number) => Promise<void>): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  let cursor: string | null = null;
  for (let pageNo = 1; pageNo <= 200; pageNo++) {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await system.http('GET', `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    if (answer.status !== 200 || !Array.isArray(answer.body?.items) || !('nextCursor' in answer.body)) throw new Error(`${path}: not a page: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    if (answer.body.items.length > limit) throw new Error(`${path}: ${answer.body.items.length} rows on a page of ${limit}`);
    rows.push(...answer.body.items);
    if (answer.body.nextCursor === null) return rows;
    if (!/^[A-Za-z0-9_-]+$/.test(answer.body.nextCursor)) throw new Error(`${path}: cursor ${answer.body.nextCursor} is not opaque text`);
    cursor = answer.body.nextCursor;
    await between?.(pageNo);
  }
  throw new Error(`${path}: more than 200 pages`);
}
