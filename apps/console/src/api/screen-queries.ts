import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api } from './client.ts';
import { unwrap } from './problem.ts';
import { SETTLING_PHASES } from '../lib/format.ts';

/** Topics per read: the most the API serves in one page. */
const TOPIC_PAGE = 200;

/**
 * Queries more than one screen starts with, in one place so their keys and reads cannot drift apart
 * (the instance page and every tab read the instance; the topic list its pages).
 */
export const instanceQuery = (id: string) => queryOptions({
  queryKey: ['instance', id],
  queryFn: async () => unwrap(await api.GET('/v1/instances/{id}', { params: { path: { id } } })),
  refetchIntervalInBackground: true,
  // Re-read while the phase settles, so "Running" appears without a reload.
  refetchInterval: (q) => (q.state.data && SETTLING_PHASES.has(q.state.data.status.phase) ? 2_000 : false),
});

/** An instance's topics, one page of 200 per read on the API's cursor; `filter` is a name prefix. */
export const topicListQuery = (instanceId: string, filter: string) => infiniteQueryOptions({
  queryKey: ['topics', instanceId, filter],
  initialPageParam: undefined as string | undefined,
  queryFn: async ({ pageParam }) => unwrap(await api.GET('/v1/instances/{id}/topics', {
    params: { path: { id: instanceId }, query: { limit: TOPIC_PAGE, ...(filter ? { name: `${filter}*` } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
  })),
  getNextPageParam: (last) => last.nextCursor,
});
