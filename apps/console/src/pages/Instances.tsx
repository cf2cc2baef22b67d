import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import type { Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { CopyField, PhaseBadge, ScrollTable } from '../components/Bits.tsx';
import { PagedList } from '../components/States.tsx';
import { SETTLING_PHASES, formatTime } from '../lib/format.ts';

export default function InstancesPage() {
  const session = useSignedIn();
  const query = useInfiniteQuery({
    queryKey: ['instances'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET('/v1/instances', { params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor,
    // Phases that settle by themselves are polled so the list shows Running without a reload.
    refetchIntervalInBackground: true,
    refetchInterval: (q) => q.state.data?.pages.some((p) => p.items.some((i) => SETTLING_PHASES.has(i.status.phase))) ? 2_000 : false,
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Instances</Title>
        {can.mutate(session.role) && <Button component={Link} to="/instances/new">Create instance</Button>}
      </Group>
      <PagedList query={query} label="instances"
        empty={<><Text fw={500}>No instances yet</Text><Text size="sm" c="dimmed">{can.mutate(session.role) ? 'Create one to get bootstrap servers for your Kafka clients.' : 'Someone with the operator or admin role can create one.'}</Text></>}>
        {(instances) => (
          <ScrollTable minWidth={900} label="Instances">
            <Table striped highlightOnHover aria-label="Instances">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th><Table.Th>Phase</Table.Th><Table.Th>Brokers</Table.Th><Table.Th>Bandwidth</Table.Th>
                  <Table.Th>Disk</Table.Th><Table.Th>Billing</Table.Th><Table.Th>Endpoints</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {instances.map((i) => <InstanceRow key={i.id} instance={i} />)}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </PagedList>
    </Stack>
  );
}

function InstanceRow({ instance: i }: { instance: Instance }) {
  return (
    <Table.Tr>
      <Table.Td><Anchor component={Link} to={`/instances/${i.id}`}>{i.name}</Anchor><Text size="xs" c="dimmed">{i.id}</Text></Table.Td>
      <Table.Td><PhaseBadge phase={i.status.phase} /></Table.Td>
      <Table.Td>{i.status.brokers} / {i.spec.brokers}</Table.Td>
      <Table.Td>{i.spec.bandwidthMBps} MB/s</Table.Td>
      <Table.Td>{i.spec.diskGiB} GiB</Table.Td>
      <Table.Td>
        {i.spec.billing.mode}{i.billingState.status !== 'active' && <Text span c="var(--mantine-color-error)"> ({i.billingState.status})</Text>}
        {i.billingState.expiresAt && <Text size="xs" c="dimmed">expires {formatTime(i.billingState.expiresAt)}</Text>}
      </Table.Td>
      <Table.Td>
        {i.status.bootstrapServers ? <CopyField label={`Bootstrap servers of ${i.name}`} value={i.status.bootstrapServers} /> : <Text size="sm" c="dimmed">not yet</Text>}
      </Table.Td>
    </Table.Tr>
  );
}
