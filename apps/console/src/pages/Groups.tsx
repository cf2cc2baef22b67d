import { useState } from 'react';
import { Alert, Anchor, Breadcrumbs, Button, Card, Group, NumberInput, SegmentedControl, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Route, Routes, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import type { ConsumerGroup, Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { PhaseBadge, ScrollTable } from '../components/Bits.tsx';
import { NoticeAlert, ProblemAlert, QueryState } from '../components/States.tsx';
import { totalLag } from '../lib/format.ts';
import { groupTopics, previewReset, type ResetTarget } from '../lib/offsets.ts';
import { LagChart } from './LagChart.tsx';

export default function GroupsTab({ instance }: { instance: Instance }) {
  return (
    <Routes>
      <Route index element={<GroupList instance={instance} />} />
      <Route path=":group" element={<GroupDetail instance={instance} />} />
    </Routes>
  );
}

/** Live reads from the brokers (apps/api live/consumer-groups.ts), refreshed every 10 s. */
function GroupList({ instance }: { instance: Instance }) {
  const query = useQuery({
    queryKey: ['groups', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/consumer-groups', { params: { path: { id: instance.id }, query: { limit: 100 } } })),
    refetchInterval: 10_000,
  });
  return (
    <QueryState query={query} label="consumer groups" isEmpty={(d) => d.items.length === 0}
      empty={<><Text fw={500}>No consumer groups</Text><Text size="sm">Groups appear when Kafka consumers with a group.id connect to this instance.</Text></>}>
      {(data) => (
        <ScrollTable minWidth={600} label="Consumer groups">
          <Table striped highlightOnHover aria-label="Consumer groups">
            <Table.Thead><Table.Tr><Table.Th>Group</Table.Th><Table.Th>State</Table.Th><Table.Th>Members</Table.Th><Table.Th>Topics</Table.Th><Table.Th>Total lag</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {data.items.map((g) => (
                <Table.Tr key={g.group}>
                  <Table.Td><Anchor component={Link} to={`/instances/${instance.id}/groups/${encodeURIComponent(g.group)}`}>{g.group}</Anchor></Table.Td>
                  <Table.Td><PhaseBadge phase={g.state} /></Table.Td>
                  <Table.Td>{g.members.length}</Table.Td>
                  <Table.Td>{groupTopics(g.offsets).join(', ') || '—'}</Table.Td>
                  <Table.Td>{totalLag(g.offsets)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </QueryState>
  );
}

function GroupDetail({ instance }: { instance: Instance }) {
  const { group = '' } = useParams();
  const session = useSignedIn();
  const query = useQuery({
    queryKey: ['group', instance.id, group],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/consumer-groups/{group}', { params: { path: { id: instance.id, group } } })),
    refetchInterval: 5_000,
  });
  return (
    <Stack>
      <Breadcrumbs aria-label="Group breadcrumb"><Anchor component={Link} to={`/instances/${instance.id}/groups`}>Consumer groups</Anchor><Text>{group}</Text></Breadcrumbs>
      <QueryState query={query} label="the consumer group">
        {(g) => (
          <>
            <Group gap="sm"><Title order={3}>{g.group}</Title><PhaseBadge phase={g.state} /><Text size="sm">total lag {totalLag(g.offsets)}</Text></Group>
            <Card withBorder>
              <Title order={4} size="h5" mb="xs">Members</Title>
              {g.members.length === 0 ? <Text size="sm">No members: the group is empty.</Text> : (
                <ScrollTable minWidth={600} label="Members">
                  <Table aria-label="Members">
                    <Table.Thead><Table.Tr><Table.Th>Client id</Table.Th><Table.Th>Host</Table.Th><Table.Th>Assignment</Table.Th><Table.Th>Member id</Table.Th></Table.Tr></Table.Thead>
                    <Table.Tbody>
                      {g.members.map((m) => (
                        <Table.Tr key={m.memberId}>
                          <Table.Td>{m.clientId}</Table.Td><Table.Td>{m.host}</Table.Td>
                          <Table.Td>{m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') || '—'}</Table.Td>
                          <Table.Td><Text size="xs" style={{ wordBreak: 'break-all' }}>{m.memberId}</Text></Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </ScrollTable>
              )}
            </Card>
            <Card withBorder>
              <Title order={4} size="h5" mb="xs">Lag per partition</Title>
              {g.offsets.length === 0 ? <Text size="sm">No committed offsets.</Text> : (
                <ScrollTable minWidth={500} label="Lag per partition">
                  <Table striped aria-label="Lag per partition">
                    <Table.Thead><Table.Tr><Table.Th>Topic</Table.Th><Table.Th>Partition</Table.Th><Table.Th>Committed</Table.Th><Table.Th>End</Table.Th><Table.Th>Lag</Table.Th></Table.Tr></Table.Thead>
                    <Table.Tbody>
                      {g.offsets.map((o) => (
                        <Table.Tr key={`${o.topic}-${o.partition}`}><Table.Td>{o.topic}</Table.Td><Table.Td>{o.partition}</Table.Td><Table.Td>{o.committed}</Table.Td><Table.Td>{o.end}</Table.Td><Table.Td>{o.lag}</Table.Td></Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </ScrollTable>
              )}
            </Card>
            <LagChart instance={instance} group={g.group} />
            {can.mutate(session.role) && g.offsets.length > 0 && <ResetOffsets instance={instance} group={g} />}
          </>
        )}
      </QueryState>
    </Stack>
  );
}

/** Reset one topic's offsets of an empty group: the new positions are shown before anything is applied. */
function ResetOffsets({ instance, group }: { instance: Instance; group: ConsumerGroup }) {
  const topics = groupTopics(group.offsets);
  const [topic, setTopic] = useState(topics[0] ?? '');
  const [kind, setKind] = useState<ResetTarget['kind']>('earliest');
  const [timestamp, setTimestamp] = useState('');
  const [exact, setExact] = useState<Record<string, number>>({});
  const queryClient = useQueryClient();
  const partitions = useQuery({
    queryKey: ['partitions', instance.id, topic],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/topics/{name}/partitions', { params: { path: { id: instance.id, name: topic } } })),
    enabled: topic !== '',
  });
  const target: ResetTarget = kind === 'timestamp' ? { kind, timestamp: Date.parse(timestamp) } : kind === 'exact' ? { kind, offsets: exact } : { kind };
  const apply = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/consumer-groups/{group}/offsets', {
      params: { path: { id: instance.id, group: group.group } }, body: { topic, to: target },
    })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['group', instance.id, group.group] }),
  });
  const rows = partitions.data ? previewReset(topic, group.offsets, partitions.data.partitions, target) : [];
  const badTimestamp = kind === 'timestamp' && Number.isNaN(Date.parse(timestamp));
  return (
    <Card withBorder>
      <Title order={4} size="h5" mb="xs">Reset offsets</Title>
      <Stack>
        {group.members.length > 0 && <NoticeAlert title="The group has members">Kafka resets only an empty group: stop its consumers first.</NoticeAlert>}
        <Group align="flex-end">
          <Select label="Topic" data={topics} value={topic} onChange={(v) => v && setTopic(v)} allowDeselect={false} w={240} />
          <div>
            <Text size="sm" fw={500} id="reset-to-label">Reset to</Text>
            <SegmentedControl aria-labelledby="reset-to-label" value={kind} onChange={(v) => setKind(v as ResetTarget['kind'])}
              data={[{ value: 'earliest', label: 'Earliest' }, { value: 'latest', label: 'Latest' }, { value: 'timestamp', label: 'Time' }, { value: 'exact', label: 'Exact offsets' }]} />
          </div>
          {kind === 'timestamp' && <TextInput label="Time (ISO 8601)" placeholder="2026-12-01T12:00:00Z" value={timestamp} onChange={(e) => setTimestamp(e.currentTarget.value)} error={timestamp && badTimestamp ? 'not a time' : undefined} />}
        </Group>
        <QueryState query={partitions} label="the topic's partitions">
          {() => (
            <ScrollTable minWidth={500} label="Reset preview">
              <Table aria-label="Reset preview">
                <Table.Thead><Table.Tr><Table.Th>Partition</Table.Th><Table.Th>Committed now</Table.Th><Table.Th>After the reset</Table.Th><Table.Th>Lag after</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={r.partition}>
                      <Table.Td>{r.partition}</Table.Td><Table.Td>{r.committed ?? '—'}</Table.Td>
                      <Table.Td>
                        {kind === 'exact'
                          ? <NumberInput aria-label={`New offset of partition ${r.partition}`} value={r.next ?? ''} min={0} w={140} error={r.outOfRange ? 'outside the log' : undefined}
                              onChange={(v) => setExact((e) => ({ ...e, [String(r.partition)]: Number(v) }))} />
                          : r.next ?? 'resolved by the brokers'}
                      </Table.Td>
                      <Table.Td>{r.lagAfter ?? '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
          )}
        </QueryState>
        {apply.error ? <ProblemAlert error={apply.error} title="Offsets not reset" /> : null}
        {apply.isSuccess && <Alert color="green" title="Offsets reset">The group resumes from the new positions.</Alert>}
        <Group justify="flex-end"><Button onClick={() => apply.mutate()} loading={apply.isPending} disabled={!topic || badTimestamp || rows.some((r) => r.outOfRange)}>Apply reset</Button></Group>
      </Stack>
    </Card>
  );
}
