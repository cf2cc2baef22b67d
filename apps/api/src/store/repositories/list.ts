/**
 * A list request as the repositories take it: already decoded (services/list.ts turns the API's
 * cursor and label filter into this, and answers their errors). Lists order by (createdAt, id) and
 * read `limit + 1` rows so the service can tell whether there is a next page.
 */
export interface ListQuery {
  limit: number;
  after?: { createdAt: Date; id: string } | undefined;
  name?: string | undefined;
  label?: [string, string] | undefined;
}

/** LIKE metacharacters in a prefix filter match themselves (Prisma's startsWith does not escape them). */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/** Prisma `where` parts for the name and label filters and the position after the cursor. */
export function listWhere(q: ListQuery): object[] {
  const and: object[] = [];
  if (q.name !== undefined) and.push(q.name.endsWith('*') ? { name: { startsWith: likeEscape(q.name.slice(0, -1)) } } : { name: q.name });
  if (q.label !== undefined) and.push({ labels: { path: [q.label[0]], equals: q.label[1] } });
  if (q.after !== undefined) and.push({ OR: [{ createdAt: { gt: q.after.createdAt } }, { createdAt: q.after.createdAt, id: { gt: q.after.id } }] });
  return and;
}
export const LIST_ORDER = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
