import { BadRequestException, applyDecorators, createParamDecorator, type ExecutionContext, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiQuery, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { singleParam } from './query-params';

/**
 * Cursor pagination, the one way every list of the API pages (docs/seller-integration.md#lists).
 *
 * - Ask with `?limit=&cursor=`; every answer is `{ items: [...], nextCursor }`, `nextCursor` null on
 *   the last page. Pass it back unchanged as `cursor`.
 * - The order is stable: each list sorts by a unique key (its id, or a tuple ending in one), and the
 *   cursor is the key of the page's last row, so a row added or removed meanwhile never shifts
 *   another row onto or off a page (OFFSET would).
 * - The cursor is opaque (base64url of the key): clients must not build one. A cursor that does not
 *   decode to the list's key is a 400 VALIDATION_FAILED.
 * - `limit` above the list's maximum is refused (400 VALIDATION_FAILED naming the range), never
 *   clamped: a caller asking for 1000 rows and silently getting 100 would think it had them all.
 *
 * A route pages with `@Paginated(ItemSchema)` (query parameters and the answer's schema in OpenAPI)
 * and `@PageParams() page: PageRequest` (the parsed request); its repository reads `page.limit + 1`
 * rows after `page.after`, and `pageOf` turns them into the answer.
 */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

/** The key a list is sorted by: its values, in order (e.g. `[id]`, `['2026-12-07', 'alipay', 12]`). */
export type CursorKey = (string | number)[];

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null: this was the last one. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** The key of the previous page's last row (decoded from `cursor`), or undefined for the first page. */
  after?: CursorKey;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  const refused = () => new BadRequestException('cursor is not one this list gave (pass nextCursor back unchanged)');
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw refused();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  if (!Array.isArray(key) || key.length === 0 || key.length > 4 || !key.every((v) => (typeof v === 'string' && v.length <= 64) || (typeof v === 'number' && Number.isSafeInteger(v)))) throw refused();
  return key;
}

/** `?limit=&cursor=` as a page request (400 for a limit out of range or a cursor that is not one). */
export function pageRequest(limit: unknown, cursor: unknown, range: { fallback?: number; max?: number } = {}): PageRequest {
  const max = range.max ?? MAX_PAGE_LIMIT;
  const fallback = range.fallback ?? Math.min(DEFAULT_PAGE_LIMIT, max);
  const limitText = singleParam('limit', limit);
  if (limitText !== undefined && (!/^[0-9]{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > max)) {
    throw new BadRequestException(`limit must be a whole number from 1 to ${max}`);
  }
  const cursorText = singleParam('cursor', cursor);
  return { limit: limitText === undefined ? fallback : Number(limitText), after: cursorText ? decodeCursor(cursorText) : undefined };
}

/** The `after` key as one whole-number id (the lists sorted by id), or a 400 when the cursor holds another key. */
export function afterId(page: PageRequest): string | undefined {
  if (!page.after) return undefined;
  const [id] = page.after;
  if (page.after.length !== 1 || !/^[1-9][0-9]{0,18}$/.test(String(id))) throw new BadRequestException('cursor is not one this list gave (pass nextCursor back unchanged)');
  return String(id);
}

/** The `after` key as one whole number, 0 for the first page (lists sorted ascending by an id or a sequence number). */
export function afterNumber(page: PageRequest): number {
  const id = afterId(page);
  return id === undefined ? 0 : Number(id);
}

/** Orders two keys as the lists sort them (ascending, value by value): a list sorted in memory pages with it. */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** One page from the `limit + 1` rows a repository read: the extra row only says another page follows. */
export function pageOf<Row, Item = Row>(rows: Row[], page: PageRequest, keyOf: (row: Row) => CursorKey, view?: (row: Row) => Item): Page<Item> {
  const kept = rows.slice(0, page.limit);
  return {
    items: view ? kept.map(view) : (kept as unknown as Item[]),
    nextCursor: rows.length > page.limit && kept.length > 0 ? encodeCursor(keyOf(kept[kept.length - 1])) : null,
  };
}

/** The parsed `?limit=&cursor=` of the request (see pageRequest); `@PageParams({ max: 20 })` for a smaller maximum. */
export const PageParams = createParamDecorator((range: { fallback?: number; max?: number } | undefined, context: ExecutionContext): PageRequest => {
  const query = (context.switchToHttp().getRequest<{ query: Record<string, unknown> }>().query ?? {}) as Record<string, unknown>;
  return pageRequest(query.limit, query.cursor, range ?? {});
});

/** The OpenAPI schema of a page of `item` (a DTO class or a schema object). */
export function pageSchema(item: Type<unknown> | SchemaObject, extra: Record<string, SchemaObject> = {}): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'nextCursor', ...Object.keys(extra)],
    properties: {
      items: { type: 'array', items: typeof item === 'function' ? ({ $ref: getSchemaPath(item) } as SchemaObject) : item },
      nextCursor: { type: 'string', nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' },
      ...extra,
    },
  };
}

/**
 * A paged list route in OpenAPI: `limit` and `cursor` parameters and a 200 answer `{ items: [item], nextCursor }`
 * (plus `extra` members a list answers beside its page, e.g. the work queue's service levels).
 */
export function Paginated(item: Type<unknown> | SchemaObject, options: { max?: number; description?: string; extra?: Record<string, SchemaObject> } = {}): MethodDecorator {
  const max = options.max ?? MAX_PAGE_LIMIT;
  return applyDecorators(
    ...(typeof item === 'function' ? [ApiExtraModels(item)] : []),
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: max }, description: `rows per page, 1-${max} (default ${Math.min(DEFAULT_PAGE_LIMIT, max)}); more is refused (400)` }),
    ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' }, description: 'the previous page\'s nextCursor (opaque); absent for the first page' }),
    ApiOkResponse({ description: options.description ?? 'One page, in a stable order', schema: pageSchema(item, options.extra) }),
  );
}
