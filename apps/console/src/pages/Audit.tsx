import { useState } from 'react';
import { Anchor, Code, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import { ScrollTable } from '../components/Bits.tsx';
import { PagedList } from '../components/States.tsx';
import { formatTime } from '../lib/format.ts';

const KINDS = [
  { value: '', label: 'Everything' }, { value: 'instance.*', label: 'Instances' }, { value: 'topic.*', label: 'Topics' },
  { value: 'messages.*', label: 'Message reads and sends' }, { value: 'user.*', label: 'Users' }, { value: 'acl.*', label: 'ACLs' },
  { value: 'api-key.*', label: 'API keys' }, { value: 'consumer-group.*', label: 'Consumer groups' },
];

/** The account's audit trail (GET /v1/audit-events), newest first: which key asked for what, on which target. */
export default function AuditPage() {
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [targetId] = useDebouncedValue(target.trim(), 300);
  const query = useInfiniteQuery({
    queryKey: ['audit-events', action, targetId],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET('/v1/audit-events', {
      params: { query: { limit: 100, ...(action ? { action } : {}), ...(targetId ? { targetId } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (last) => last.nextCursor,
  });
  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Text size="sm">Every change asked of this account, and every message read, search, send, tail and export — with the API key that asked.</Text>
      <Group>
        <Select label="What" data={KINDS} value={action} onChange={(v) => setAction(v ?? '')} allowDeselect={false} w={240} />
        <TextInput label="Target id" placeholder="ins-… or ins-…/orders" value={target} onChange={(e) => setTarget(e.currentTarget.value)} w={300} />
      </Group>
      <PagedList query={query} label="audit events" empty={<Text>{action || targetId ? 'Nothing matches.' : 'Nothing recorded yet.'}</Text>}>
        {(events) => (
          <ScrollTable minWidth={900} label="Audit events">
            <Table striped aria-label="Audit events">
              <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Action</Table.Th><Table.Th>Target</Table.Th><Table.Th>API key</Table.Th><Table.Th>Detail</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {events.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td><Text size="sm">{formatTime(e.at)}</Text></Table.Td>
                    <Table.Td><Code>{e.action}</Code></Table.Td>
                    <Table.Td>{e.targetType === 'instance' ? <Anchor component={Link} to={`/instances/${e.targetId}`}>{e.targetId}</Anchor> : `${e.targetType} ${e.targetId}`}</Table.Td>
                    <Table.Td><Text size="xs">{e.keyId}</Text></Table.Td>
                    <Table.Td style={{ maxWidth: 360 }}><Text size="xs" style={{ wordBreak: 'break-all' }}>{summary(e.detail)}</Text></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </PagedList>
    </Stack>
  );
}

/** The event's detail on one line, cut short (the API keeps it whole). */
function summary(detail: Record<string, unknown>): string {
  const text = JSON.stringify(detail);
  return text === '{}' ? '' : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
