import { useState } from 'react';
import { Badge, Button, Card, Code, Group, Progress, SimpleGrid, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import type { Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { ConfirmByName, CopyField, PhaseBadge, ScrollTable } from '../components/Bits.tsx';
import { ProblemAlert, QueryState } from '../components/States.tsx';
import { ago, formatTime, phaseColor } from '../lib/format.ts';
import { describePendingChange } from '../lib/pending-change.ts';
import { describeProgress, type MoveProgress } from '../lib/progress.ts';
import { BrokerSettings, RenewInstance, ScaleInstance } from './InstanceChange.tsx';

export function InstanceOverview({ instance: i }: { instance: Instance }) {
  const session = useSignedIn();
  const [deleting, setDeleting] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    // The name was typed: the instance goes with its topics (?force=true), as the dialog says.
    mutationFn: async () => unwrap(await api.DELETE('/v1/instances/{id}', { params: { path: { id: i.id }, query: { force: 'true' } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['instances'] });
      await queryClient.invalidateQueries({ queryKey: ['instance', i.id] });
      setDeleting(false);
      void navigate('/instances');
    },
  });
  // The spec stays as paid; the API answers the instance without the pending change (or a problem:
  // 404 once it is gone, 409 pending-change-renewed once a renewal at the lower size is paid).
  const cancelDowngrade = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/v1/instances/{id}/pending-change', { params: { path: { id: i.id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['instance', i.id] }),
  });
  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">Specification</Title>
          <Table variant="vertical" aria-label="Specification">
            <Table.Tbody>
              <Row k="Id" v={i.id} />
              <Row k="Zone" v={i.spec.zone} />
              <Row k="Brokers" v={`${i.status.brokers} running of ${i.spec.brokers}`} />
              <Row k="Bandwidth" v={`${i.spec.bandwidthMBps} MB/s`} />
              <Row k="Disk" v={`${i.spec.diskGiB} GiB`} />
              <Row k="Limits" v={`${i.spec.topicLimit} topics, ${i.spec.partitionLimit} partitions, ${i.spec.consumerGroupLimit} groups`} />
              <Row k="Billing" v={`${i.spec.billing.mode}, ${i.billingState.status}${i.billingState.expiresAt ? `, expires ${formatTime(i.billingState.expiresAt)}` : ''}`} />
              {i.billingState.pendingChange && (
                <Table.Tr>
                  <Table.Th w={140}>Pending downgrade</Table.Th>
                  <Table.Td>
                    <Stack gap={4} align="flex-start">
                      <Text size="sm">{describePendingChange(i.spec, i.billingState.pendingChange)}</Text>
                      {can.mutate(session.role) && <Button size="compact-xs" variant="default" loading={cancelDowngrade.isPending} onClick={() => cancelDowngrade.mutate()}>Cancel downgrade</Button>}
                      {cancelDowngrade.error ? <ProblemAlert error={cancelDowngrade.error} title="The downgrade was not cancelled" /> : null}
                    </Stack>
                  </Table.Td>
                </Table.Tr>
              )}
              <Row k="Created" v={formatTime(i.createdAt)} />
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">Endpoints</Title>
          <Stack gap="xs">
            <Text size="sm">Clients log in with SASL as a user of this instance; that user's ACLs apply.</Text>
            {i.status.bootstrapServers ? (
              <>
                <CopyField label="Bootstrap servers" value={i.status.bootstrapServers} />
                <Text size="sm">security.protocol <Code>{i.status.securityProtocol ?? '—'}</Code> · sasl.mechanism {i.status.saslMechanisms.map((m) => <Code key={m} mr={4}>{m}</Code>)}</Text>
              </>
            ) : <Text size="sm" c="dimmed">not yet: the brokers are not running</Text>}
          </Stack>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">Conditions</Title>
        {i.status.conditions.length === 0 ? <Text size="sm" c="dimmed">The operator has not reported any condition yet.</Text> : (
          <ScrollTable minWidth={600} label="Conditions">
            <Table aria-label="Conditions">
              <Table.Thead><Table.Tr><Table.Th>Type</Table.Th><Table.Th>Status</Table.Th><Table.Th>Reason</Table.Th><Table.Th>Message</Table.Th><Table.Th>Since</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {i.status.conditions.map((c) => (
                  <Table.Tr key={c.type}>
                    <Table.Td>{c.type}</Table.Td>
                    <Table.Td><Badge variant="dot" tt="none" color={c.status === 'True' ? 'green' : c.status === 'False' ? 'red' : 'gray'}>{c.status}</Badge></Table.Td>
                    <Table.Td>{c.reason ?? ''}</Table.Td><Table.Td>{c.message ?? ''}</Table.Td>
                    <Table.Td title={formatTime(c.lastTransitionTime)}>{ago(c.lastTransitionTime)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Card>
      <OperationsTimeline targetId={i.id} />
      {can.mutate(session.role) && i.status.phase !== 'Deleting' && <ScaleInstance instance={i} />}
      {i.status.phase !== 'Deleting' && <BrokerSettings instance={i} editable={can.mutate(session.role)} />}
      {can.readBilling(session.role) && i.spec.billing.mode === 'prepaid' && i.status.phase !== 'Deleting' && <RenewInstance instance={i} />}
      {can.mutate(session.role) && (
        <Card withBorder>
          <Group justify="space-between">
            <div><Text fw={500}>Delete this instance</Text><Text size="sm" c="dimmed">Stops its brokers and deletes its topics and data.</Text></div>
            <Button color="red" variant="outline" onClick={() => setDeleting(true)} disabled={i.status.phase === 'Deleting'}>Delete instance</Button>
          </Group>
        </Card>
      )}
      <ConfirmByName opened={deleting} onClose={() => setDeleting(false)} name={i.name} what="instance"
        consequence="Its brokers stop and every topic and message in it is deleted. This cannot be undone."
        onConfirm={() => remove.mutate()} pending={remove.isPending} error={remove.error ? <ProblemAlert error={remove.error} title="Not deleted" /> : undefined} />
    </Stack>
  );
}

const Row = ({ k, v }: { k: string; v: string }) => <Table.Tr><Table.Th w={140}>{k}</Table.Th><Table.Td>{v}</Table.Td></Table.Tr>;

/** What was asked of a resource and how far each request got (operations API). */
export function OperationsTimeline({ targetId }: { targetId: string }) {
  const session = useSignedIn();
  const query = useQuery({
    queryKey: ['operations', targetId],
    queryFn: async () => unwrap(await api.GET('/v1/operations', { params: { query: { targetId, limit: 20 } } })),
    refetchIntervalInBackground: true,
    refetchInterval: (q) => (q.state.data?.items.some((o) => o.state === 'Pending' || o.state === 'Running') ? 2_000 : false),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Operations</Title>
      <QueryState query={query} label="operations" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm" c="dimmed">No operations yet.</Text>}>
        {(data) => (
          <Timeline bulletSize={14} lineWidth={2} aria-label="Operations timeline">
            {data.items.map((o) => (
              <Timeline.Item key={o.id} color={phaseColor(o.state)} title={<Group gap="xs"><Text size="sm" fw={500}>{o.kind}</Text><PhaseBadge phase={o.state} /></Group>}>
                <Text size="xs" c="dimmed">{formatTime(o.createdAt)}{o.updatedAt !== o.createdAt ? ` · updated ${ago(o.updatedAt)}` : ''}</Text>
                {o.error && <Text size="sm" c="var(--mantine-color-error)">{o.error}</Text>}
                {o.progress && <MoveProgressView progress={o.progress} running={o.state === 'Running' || o.state === 'Pending'} kind={o.kind} />}
                {o.progress && (o.state === 'Running' || o.state === 'Pending') && can.mutate(session.role) && <CancelMoves operationId={o.id} />}
              </Timeline.Item>
            ))}
          </Timeline>
        )}
      </QueryState>
    </Card>
  );
}

/** Data an operation moves between brokers (a rebalance after scaling, a drain): how far it got, from the operator's records. */
function MoveProgressView({ progress, running, kind }: { progress: MoveProgress; running: boolean; kind: string }) {
  const { percent, lines } = describeProgress(progress, running);
  return (
    <Stack gap={2} mt={4} maw={420}>
      <Progress value={percent} size="sm" aria-label={`${kind}: data moved`} />
      <Text size="xs" data-testid="operation-progress">{percent}% · {lines.join(' · ')}</Text>
    </Stack>
  );
}

/**
 * Cancels the data a running operation moves (POST /v1/operations/{id}/cancel): the operator puts
 * every moving partition's original replicas back and ends the operation Failed. The API records the
 * cancel as a `rebalance.cancel` operation on the instance, so every timeline is read again to show
 * it (a topic's replication-factor change is cancelled on its instance). A second click while that
 * cancel waits gets the same operation back, so the button needs no confirmation step.
 */
function CancelMoves({ operationId }: { operationId: string }) {
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/operations/{id}/cancel', { params: { path: { id: operationId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['operations'] }),
  });
  return (
    <Stack gap={4} mt={4} align="flex-start">
      <Button size="compact-xs" variant="default" color="red" loading={cancel.isPending} disabled={cancel.isSuccess} onClick={() => cancel.mutate()}>
        {cancel.isSuccess ? 'Cancel requested' : 'Cancel rebalance'}
      </Button>
      {cancel.error ? <ProblemAlert error={cancel.error} title="Not cancelled" /> : null}
    </Stack>
  );
}
