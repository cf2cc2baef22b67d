import { decodeCursor, encodeCursor, parseLabelFilter } from '../../http.ts';
import type { ListQuery } from '../repositories/list.ts';
import type { ListFilter, Page } from '../types.ts';

/** The API's list parameters as a repository query; a bad cursor or label filter is a 422 here. */
export function listQuery(f: ListFilter, opts: { name?: boolean; label?: boolean } = {}): ListQuery {
  const label = opts.label !== false && f.label !== undefined ? parseLabelFilter(f.label) : undefined;
  const after = f.cursor !== undefined ? decodeCursor(f.cursor) : undefined;
  return {
    limit: f.limit,
    ...(after ? { after } : {}),
    ...(opts.name !== false && f.name !== undefined ? { name: f.name } : {}),
    ...(label ? { label } : {}),
  };
}

/** `rows` were read with `limit + 1`: the extra row only says that there is a next page. */
export function page<T extends { id: string; createdAt: Date }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor(last.createdAt, last.id) };
}
