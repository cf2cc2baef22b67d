import type { ReactNode } from 'react';
import { Alert, Button, Center, Loader, Stack, Text } from '@mantine/core';
import { ProblemError } from '../api/problem.ts';

/** An error as the API explained it: the problem's title and detail, its code, and a retry when useful. */
export function ProblemAlert({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const p = error instanceof ProblemError ? error.problem : null;
  const message = p ? p.detail : error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title ?? p?.title ?? 'Something went wrong'} role="alert">
      <Stack gap={4}>
        <Text size="sm">{message}</Text>
        {p && <Text size="xs" c="dimmed">code {p.code}{p.requestId ? ` · request ${p.requestId}` : ''}</Text>}
        {onRetry && <div><Button size="xs" variant="light" color="red" onClick={onRetry}>Try again</Button></div>}
      </Stack>
    </Alert>
  );
}

/** Loading, error and empty states around a query's result; children render only with data. */
export function QueryState<T>({ query, empty, isEmpty, children, label }: {
  query: { isPending: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  label: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Center py="xl"><Loader aria-label={`Loading ${label}`} /></Center>;
  if (query.error) return <ProblemAlert error={query.error} title={`Could not load ${label}`} onRetry={() => void query.refetch()} />;
  const data = query.data as T;
  if (empty && isEmpty?.(data)) return <EmptyState>{empty}</EmptyState>;
  return <>{children(data)}</>;
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <Center py="xl"><Stack align="center" gap="xs" data-testid="empty-state">{children}</Stack></Center>;
}

/** A caution or a read-only notice: Mantine's yellow title on its light yellow fill is below WCAG AA contrast (axe-core), so the title takes the text colour. */
export function NoticeAlert({ title, children }: { title: string; children: ReactNode }) {
  return <Alert color="yellow" title={title} styles={{ title: { color: 'var(--mantine-color-text)' } }}>{children}</Alert>;
}

/** A success message: Mantine's green title on its light green fill is below WCAG AA contrast, so the title takes the text colour. */
export function SuccessAlert({ title, children }: { title: string; children: ReactNode }) {
  return <Alert color="green" title={title} role="alert" styles={{ title: { color: 'var(--mantine-color-text)' } }}>{children}</Alert>;
}

/**
 * A paged list's states in one place (the Audit, Topics and Instances pages repeated them): loading,
 * error with a retry, empty, then the items of every page read so far and "Load more" while the API
 * gave a next cursor.
 */
export function PagedList<T>({ query, label, empty, children }: {
  query: {
    isPending: boolean; error: unknown; data: { pages: { items: T[] }[] } | undefined; refetch: () => unknown;
    hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown;
  };
  label: string;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <QueryState query={query} label={label} isEmpty={(d) => d.pages.every((p) => p.items.length === 0)} empty={empty}>
      {(data) => (
        <>
          {children(data.pages.flatMap((p) => p.items))}
          {query.hasNextPage && <div><Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>Load more</Button></div>}
        </>
      )}
    </QueryState>
  );
}
