import { Anchor, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import { PhaseBadge, ScrollTable } from '../components/Bits.tsx';
import { QueryState } from '../components/States.tsx';
import { formatTime } from '../lib/format.ts';
import { Link } from 'react-router';

/**
 * Every change asked of the account, newest first, from the operations API. The API records an
 * AuditEvent beside each operation but serves no audit-event list yet; this is the closest view.
 */
export default function AuditPage() {
  const query = useInfiniteQuery({
    queryKey: ['operations-all'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET('/v1/operations', { params: { query: { limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor,
  });
  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Text size="sm">Changes asked of this account and how each ended (operations). Who asked is recorded by the API as audit events, which it does not serve yet.</Text>
      <QueryState query={query} label="operations" isEmpty={(d) => d.pages.every((p) => p.items.length === 0)} empty={<Text>No changes yet.</Text>}>
        {(data) => (
          <>
            <ScrollTable minWidth={800} label="Operations">
              <Table striped aria-label="Operations">
                <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Change</Table.Th><Table.Th>Target</Table.Th><Table.Th>State</Table.Th><Table.Th>Error</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {data.pages.flatMap((p) => p.items).map((o) => (
                    <Table.Tr key={o.id}>
                      <Table.Td>{formatTime(o.createdAt)}</Table.Td><Table.Td>{o.kind}</Table.Td>
                      <Table.Td>{o.targetType === 'instance' ? <Anchor component={Link} to={`/instances/${o.targetId}`}>{o.targetId}</Anchor> : `${o.targetType} ${o.targetId}`}</Table.Td>
                      <Table.Td><PhaseBadge phase={o.state} /></Table.Td><Table.Td>{o.error ?? ''}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
            {query.hasNextPage && <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>Load more</Button>}
          </>
        )}
      </QueryState>
    </Stack>
  );
}
