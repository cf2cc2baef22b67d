import { lazy, Suspense, useEffect, useState } from 'react';
import { ActionIcon, Alert, Anchor, Badge, Breadcrumbs, Button, Card, Center, Group, Loader, NumberInput, Paper, Select, SimpleGrid, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { topicListQuery } from '../api/screen-queries.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { Instance, Topic } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { ConfirmByName, PhaseBadge } from '../components/Bits.tsx';
import { DataTable } from '../components/DataTable.tsx';
import { NoticeAlert, PagedList, ProblemAlert, QueryState } from '../components/States.tsx';
import { formatBytes, formatRate, formatTime } from '../lib/format.ts';
import { SettingsEditor } from '../components/SettingsEditor.tsx';
import { TOPIC_CONFIG_HELP, TOPIC_CONFIG_NAMES, configsFromRows, defaultReplicationFactor } from '../lib/topic-configs.ts';

export default function TopicsTab({ instance }: { instance: Instance }) {
  return (
    <Routes>
      <Route index element={<TopicList instance={instance} />} />
      <Route path="new" element={<TopicCreate instance={instance} />} />
      <Route path=":name/*" element={<TopicDetail instance={instance} />} />
    </Routes>
  );
}

// The message browser is its own chunk: most visits to a topic never open it.
const MessageBrowser = lazy(() => import('./Messages.tsx'));

const SETTLING_TOPIC = new Set(['Creating', 'Updating', 'Deleting']);

function TopicList({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const [filter, setFilter] = useState('');
  const query = useInfiniteQuery({
    ...topicListQuery(instance.id, filter),
    refetchIntervalInBackground: true,
    // A refetch reads every page again: 2 s per page of 200, so a thousand settling topics are not
    // re-read (and re-drawn) faster than the API answers them.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((t) => SETTLING_TOPIC.has(t.status.phase))) ? 2_000 * q.state.data.pages.length : false),
  });
  // Every page is read, one after the other: sorting by size or message rate means nothing over part
  // of the list (an instance holds at most 10,000 topics: 50 reads of 200). Not during a refetch,
  // which the next page's read would cancel.
  const { hasNextPage, isFetching, fetchNextPage, isError } = query;
  useEffect(() => {
    if (hasNextPage && !isFetching && !isError) void fetchNextPage();
  }, [hasNextPage, isFetching, isError, fetchNextPage]);
  return (
    <Stack>
      <Group justify="space-between">
        <TextInput aria-label="Filter topics by name prefix" placeholder="Filter by name prefix" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={280} />
        {can.mutate(session.role) && <Button component={Link} to={`/instances/${instance.id}/topics/new`}>Create topic</Button>}
      </Group>
      <PagedList query={query} label="topics"
        empty={<><Text fw={500}>{filter ? `No topic starts with “${filter}”` : 'No topics yet'}</Text>{!filter && <Text size="sm" c="dimmed">Topics created here or by Kafka clients show up in this list.</Text>}</>}>
        {(topics) => (
          <DataTable label="Topics" minWidth={700} highlightOnHover rows={topics} rowKey={(t) => t.id} columns={[
            { header: 'Name', sortBy: (t) => t.name, cell: (t) => <Anchor component={Link} to={`/instances/${instance.id}/topics/${encodeURIComponent(t.name)}`}>{t.name}</Anchor> },
            { header: 'Status', sortBy: (t) => t.status.phase, cell: (t) => <PhaseBadge phase={t.status.phase} /> },
            { header: 'Partitions', sortBy: (t) => t.partitions, cell: (t) => t.partitions },
            { header: 'Replication', sortBy: (t) => t.replicationFactor, cell: (t) => t.replicationFactor },
            { header: 'Size', nowrap: true, sortBy: (t) => t.stats?.sizeBytes ?? null, cell: (t) => (t.stats ? <span title={`sampled ${formatTime(t.stats.sampledAt)}`}>{formatBytes(t.stats.sizeBytes)}</span> : '—') },
            { header: 'Messages/s', nowrap: true, sortBy: (t) => t.stats?.messagesPerSecond ?? null, cell: (t) => formatRate(t.stats?.messagesPerSecond ?? null) },
            { header: 'Configs', cell: (t) => <Text size="xs" c="dimmed">{Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults'}</Text> },
          ]} />
        )}
      </PagedList>
    </Stack>
  );
}

function TopicCreate({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState(3);
  const [rf, setRf] = useState(defaultReplicationFactor(instance.spec.brokers));
  const [rows, setRows] = useState<{ key: string; value: string }[]>([]);
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/topics', {
      params: { path: { id: instance.id } },
      body: { name, partitions, replicationFactor: rf, configs: configsFromRows(rows), labels: {} },
    })),
    onSuccess: async (accepted) => {
      await queryClient.invalidateQueries({ queryKey: ['topics', instance.id] });
      void navigate(`/instances/${instance.id}/topics/${encodeURIComponent(accepted.resource.name)}`);
    },
  });
  if (!can.mutate(session.role)) return <NoticeAlert title="Read-only">Your role ({session.role}) cannot create topics.</NoticeAlert>;
  const err = fieldErrors(create.error);
  const shown = ['name', 'partitions', 'replicationFactor', ...rows.map((r) => `configs/${r.key}`)];
  const message = formLevelMessage(create.error, shown);
  return (
    <Paper withBorder p="md" maw={760}>
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }} noValidate>
        <Stack>
          <Title order={3}>Create topic</Title>
          <TextInput label="Name" description="letters, digits, . _ and -" value={name} onChange={(e) => setName(e.currentTarget.value)} error={err['name']} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput label="Partitions" min={1} value={partitions} onChange={(v) => setPartitions(Number(v))} error={err['partitions']} />
            <NumberInput label="Replication factor" description={`this instance has ${instance.spec.brokers} broker(s)`} min={1} max={15} value={rf} onChange={(v) => setRf(Number(v))} error={err['replicationFactor']} />
          </SimpleGrid>
          <Text fw={500} size="sm">Settings</Text>
          {rows.map((row, idx) => (
            <Group key={idx} align="flex-start" wrap="nowrap">
              <Select label="Setting" data={TOPIC_CONFIG_NAMES} value={row.key || null} searchable w={240}
                onChange={(v) => setRows((rs) => rs.map((r, j) => (j === idx ? { ...r, key: v ?? '' } : r)))}
                description={row.key ? TOPIC_CONFIG_HELP[row.key] : 'choose a Kafka topic setting'} />
              <TextInput label="Value" value={row.value} style={{ flex: 1 }} error={row.key ? err[`configs/${row.key}`] : undefined}
                onChange={(e) => { const value = e.currentTarget.value; setRows((rs) => rs.map((r, j) => (j === idx ? { ...r, value } : r))); }} />
              <ActionIcon mt={28} variant="subtle" color="red" aria-label={`Remove setting ${row.key || idx + 1}`} onClick={() => setRows((rs) => rs.filter((_, j) => j !== idx))}><span aria-hidden="true">✕</span></ActionIcon>
            </Group>
          ))}
          <div><Button variant="light" size="xs" onClick={() => setRows((rs) => [...rs, { key: '', value: '' }])}>Add setting</Button></div>
          {message && <Alert color="red" role="alert" title="The topic was not created">{message}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" component={Link} to={`/instances/${instance.id}/topics`}>Cancel</Button>
            <Button type="submit" loading={create.isPending}>Create topic</Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function TopicDetail({ instance }: { instance: Instance }) {
  const { name = '' } = useParams();
  const session = useSignedIn();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const { pathname } = useLocation();
  const topicBase = `/instances/${instance.id}/topics/${encodeURIComponent(name)}`;
  const section = pathname.slice(topicBase.length + 1).split('/')[0] || 'partitions';
  const topic = useQuery({
    queryKey: ['topic', instance.id, name],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/topics/{name}', { params: { path: { id: instance.id, name } } })),
    refetchIntervalInBackground: true,
    refetchInterval: (q) => (q.state.data && SETTLING_TOPIC.has(q.state.data.status.phase) ? 2_000 : false),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/v1/instances/{id}/topics/{name}', { params: { path: { id: instance.id, name } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['topics', instance.id] });
      setDeleting(false);
      void navigate(`/instances/${instance.id}/topics`);
    },
  });
  return (
    <Stack>
      <Breadcrumbs aria-label="Topic breadcrumb"><Anchor component={Link} to={`/instances/${instance.id}/topics`}>Topics</Anchor><Text>{name}</Text></Breadcrumbs>
      <QueryState query={topic} label="the topic">
        {(t) => (
          <>
            <Group justify="space-between">
              <Group gap="sm"><Title order={3}>{t.name}</Title><PhaseBadge phase={t.status.phase} /></Group>
              {can.mutate(session.role) && <Group><AddPartitions instance={instance} topic={t} /><Button color="red" variant="outline" onClick={() => setDeleting(true)}>Delete topic</Button></Group>}
            </Group>
            <Card withBorder>
              <Text size="sm">{t.partitions} partitions · replication factor {t.replicationFactor}</Text>
              <Text size="sm" c="dimmed">{Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(', ') || 'default settings'}</Text>
            </Card>
            <Tabs value={section} onChange={(v) => void navigate(`${topicBase}${v && v !== 'partitions' ? `/${v}` : ''}`)} keepMounted={false}>
              <Tabs.List aria-label="Topic sections">
                <Tabs.Tab value="partitions">Partitions</Tabs.Tab>
                <Tabs.Tab value="messages">Messages</Tabs.Tab>
                <Tabs.Tab value="settings">Settings</Tabs.Tab>
              </Tabs.List>
            </Tabs>
            <Suspense fallback={<Center py="xl"><Loader aria-label="Loading" /></Center>}>
              <Routes>
                <Route index element={<Partitions instance={instance} topic={t} />} />
                <Route path="settings" element={<TopicSettings instance={instance} topic={t} />} />
                <Route path="messages" element={t.status.phase === 'Creating' ? <Text size="sm" c="dimmed">Messages can be read once the topic is created on the brokers.</Text> : <MessageBrowser instance={instance} topic={t} />} />
              </Routes>
            </Suspense>
            <ConfirmByName opened={deleting} onClose={() => setDeleting(false)} name={t.name} what="topic"
              consequence="Every message in it is deleted. Producers and consumers of it will fail." onConfirm={() => remove.mutate()}
              pending={remove.isPending} error={remove.error ? <ProblemAlert error={remove.error} title="Not deleted" /> : undefined} />
          </>
        )}
      </QueryState>
    </Stack>
  );
}

function AddPartitions({ instance, topic }: { instance: Instance; topic: Topic }) {
  const [value, setValue] = useState<number | string>(topic.partitions + 1);
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const grow = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/topics/{name}/partitions', {
      params: { path: { id: instance.id, name: topic.name } }, body: { partitions: Number(value) },
    })),
    onSuccess: async () => {
      setOpen(false);
      await queryClient.invalidateQueries({ queryKey: ['topic', instance.id, topic.name] });
      await queryClient.invalidateQueries({ queryKey: ['partitions', instance.id, topic.name] });
    },
  });
  if (!open) return <Button variant="default" onClick={() => setOpen(true)}>Add partitions</Button>;
  return (
    <form onSubmit={(e) => { e.preventDefault(); grow.mutate(); }}>
      <Group align="flex-start">
        <NumberInput label="New partition count" min={topic.partitions + 1} value={value} onChange={setValue} error={fieldErrors(grow.error)['partitions'] ?? (grow.error ? formLevelMessage(grow.error, []) : undefined)} w={200} />
        <Button type="submit" mt={24} loading={grow.isPending}>Apply</Button>
        <Button variant="default" mt={24} onClick={() => setOpen(false)}>Cancel</Button>
      </Group>
    </form>
  );
}

function Partitions({ instance, topic }: { instance: Instance; topic: Topic }) {
  const query = useQuery({
    queryKey: ['partitions', instance.id, topic.name],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/topics/{name}/partitions', { params: { path: { id: instance.id, name: topic.name } } })),
    enabled: topic.status.phase !== 'Creating',
    refetchInterval: 10_000,
  });
  if (topic.status.phase === 'Creating') return <Text size="sm" c="dimmed">Partitions appear once the topic is created on the brokers.</Text>;
  return (
    <Card withBorder>
      <Title order={4} size="h5" mb="xs">Partitions</Title>
      <QueryState query={query} label="partitions" isEmpty={(d) => d.partitions.length === 0} empty={<Text size="sm">The brokers report no partitions for this topic.</Text>}>
        {(data) => (
          <DataTable label="Partitions" minWidth={700} rows={data.partitions} rowKey={(p) => String(p.partition)} columns={[
            { header: 'Partition', cell: (p) => p.partition },
            { header: 'Leader', cell: (p) => (p.leader < 0 ? <Badge color="red">none</Badge> : p.leader) },
            { header: 'Replicas', cell: (p) => p.replicas.join(', ') },
            { header: 'In sync', cell: (p) => <>{p.isr.join(', ')}{p.underReplicated && <Badge color="orange" ml="xs">under-replicated</Badge>}</> },
            { header: 'Start offset', cell: (p) => p.startOffset },
            { header: 'End offset', cell: (p) => p.endOffset },
            { header: 'Messages', cell: (p) => Math.max(0, p.endOffset - p.startOffset) },
            { header: 'Size', cell: (p) => formatBytes(p.sizeBytes) },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

/**
 * The topic's settings, edited as rows; "Review changes" shows what will be added, changed and unset
 * (a removed row unsets the key: the topic falls back to the broker default), and only then applies
 * them with PUT, sending the topic's version (If-Match) so a concurrent edit is refused, not lost.
 */
function TopicSettings({ instance, topic }: { instance: Instance; topic: Topic }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const apply = useMutation({
    mutationFn: async (configs: Record<string, string>) => unwrap(await api.PUT('/v1/instances/{id}/topics/{name}', {
      params: { path: { id: instance.id, name: topic.name } }, headers: { 'if-match': topic.etag }, body: { configs, labels: topic.labels },
    })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['topic', instance.id, topic.name] });
      await queryClient.invalidateQueries({ queryKey: ['topics', instance.id] });
    },
  });
  return <SettingsEditor title="Settings" what="Settings" current={topic.configs} help={TOPIC_CONFIG_HELP} editable={can.mutate(session.role)} fieldPrefix="/configs" defaultLabel="broker default" onApply={apply} />;
}
