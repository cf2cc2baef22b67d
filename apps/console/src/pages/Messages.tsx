import { useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Card, Code, Group, Modal, NumberInput, Progress, ScrollArea, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, authorizedFetch } from '../api/client.ts';
import { ProblemError, fieldErrors, formLevelMessage, toProblem, unwrap } from '../api/problem.ts';
import type { Instance, MessageRecord, MessageSearch, MessageSearchResult, MessageSend, Topic } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { ScrollTable } from '../components/Bits.tsx';
import { ProblemAlert, QueryState, SuccessAlert } from '../components/States.tsx';
import { formatBytes, formatTime } from '../lib/format.ts';
import { isPayloadError, keepNewest, preview, renderedText, searchPercent, toPayload, type Encoding } from '../lib/records.ts';
import { readEventStream } from '../lib/sse.ts';

/**
 * The message browser of one topic, over the API's HTTP message endpoints (apps/api routes/messages.ts):
 * read pages by offset or time, search server-side with progress and "continue", follow live, send a
 * test record, view one record whole. The API reads as the caller's own Kafka principal, so the
 * instance's ACLs decide; a denial shows the API's problem, which names the ACL that would allow it.
 * The mode is in the URL (`?mode=search`) so a view can be shared.
 */
type Mode = 'browse' | 'search' | 'tail' | 'send';
type Format = 'auto' | 'json' | 'base64';
const FORMATS = [{ value: 'auto', label: 'Text' }, { value: 'json', label: 'JSON' }, { value: 'base64', label: 'Base64' }];

export default function MessageBrowser({ instance, topic }: { instance: Instance; topic: Topic }) {
  const session = useSignedIn();
  const [params, setParams] = useSearchParams();
  const mode = (params.get('mode') ?? 'browse') as Mode;
  const [viewing, setViewing] = useState<{ partition: number; offset: number } | null>(null);
  const modes = [
    { value: 'browse', label: 'Browse' }, { value: 'search', label: 'Search' }, { value: 'tail', label: 'Live tail' },
    ...(can.mutate(session.role) ? [{ value: 'send', label: 'Send' }] : []),
  ];
  const ctx = { instance, topic, onView: setViewing };
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <Title order={4} size="h5">Messages</Title>
          <SegmentedControl aria-label="Message browser mode" value={mode} data={modes}
            onChange={(v) => setParams((p) => { const n = new URLSearchParams(p); n.set('mode', v); return n; }, { replace: true })} />
        </Group>
        {session.kafkaPrincipal && <PrincipalNote instance={instance} topic={topic} principal={session.kafkaPrincipal} canGrant={can.mutate(session.role)} />}
        {mode === 'browse' && <Browse {...ctx} />}
        {mode === 'search' && <Search {...ctx} />}
        {mode === 'tail' && <Tail {...ctx} />}
        {mode === 'send' && can.mutate(session.role) && <Send {...ctx} />}
        <RecordView instance={instance} topic={topic} at={viewing} onClose={() => setViewing(null)} />
      </Stack>
    </Card>
  );
}

interface Ctx { instance: Instance; topic: Topic; onView(at: { partition: number; offset: number }): void }

const partitionOptions = (t: Topic) => [{ value: 'all', label: 'All partitions' }, ...Array.from({ length: t.partitions }, (_, i) => ({ value: String(i), label: `Partition ${i}` }))];
const toPartition = (v: string) => (v === 'all' ? undefined : Number(v));
const badTime = (s: string) => s !== '' && Number.isNaN(Date.parse(s));

// ---- browse -------------------------------------------------------------------------------------

interface ReadFrom { partition?: number; start: 'earliest' | 'latest' | 'offset' | 'timestamp'; offset: number; timestamp: string; format: Format; limit: number }

function Browse({ instance, topic, onView }: Ctx) {
  const [form, setForm] = useState<ReadFrom>({ start: 'earliest', offset: 0, timestamp: '', format: 'auto', limit: 50 });
  const [asked, setAsked] = useState<ReadFrom | null>(null);
  const query = useInfiniteQuery({
    queryKey: ['messages', instance.id, topic.name, asked],
    enabled: asked !== null,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const a = asked!;
      const start = pageParam ? { cursor: pageParam }
        : a.start === 'offset' ? { offset: a.offset } : a.start === 'timestamp' ? { timestamp: a.timestamp } : { from: a.start };
      return unwrap(await api.GET('/v1/instances/{id}/topics/{name}/messages', {
        params: { path: { id: instance.id, name: topic.name }, query: { limit: a.limit, format: a.format, ...(a.partition !== undefined && !pageParam ? { partition: a.partition } : {}), ...start } as never },
      }));
    },
    getNextPageParam: (last) => last.nextCursor,
  });
  const offsetNeedsPartition = form.start === 'offset' && form.partition === undefined;
  const records = query.data?.pages.flatMap((p) => p.records) ?? [];
  const last = query.data?.pages.at(-1);
  return (
    <Stack>
      <form onSubmit={(e) => { e.preventDefault(); setAsked({ ...form }); }} aria-label="Read messages">
        <Group align="flex-end" wrap="wrap">
          <Select label="Partition" data={partitionOptions(topic)} value={form.partition === undefined ? 'all' : String(form.partition)} allowDeselect={false} w={170}
            onChange={(v) => setForm((f) => ({ ...f, partition: toPartition(v ?? 'all') }))} />
          <Select label="Start at" allowDeselect={false} w={170} value={form.start} onChange={(v) => setForm((f) => ({ ...f, start: (v ?? 'earliest') as ReadFrom['start'] }))}
            data={[{ value: 'earliest', label: 'Earliest' }, { value: 'latest', label: 'Latest (newest)' }, { value: 'offset', label: 'Offset' }, { value: 'timestamp', label: 'Time' }]} />
          {form.start === 'offset' && <NumberInput label="Offset" min={0} value={form.offset} w={140} onChange={(v) => setForm((f) => ({ ...f, offset: Number(v) || 0 }))} error={offsetNeedsPartition ? 'choose a partition' : undefined} />}
          {form.start === 'timestamp' && <TextInput label="Time (ISO 8601)" placeholder="2026-12-01T12:00:00Z" value={form.timestamp} w={230} onChange={(e) => { const timestamp = e.currentTarget.value; setForm((f) => ({ ...f, timestamp })); }} error={badTime(form.timestamp) ? 'not a time' : undefined} />}
          <Select label="Show as" data={FORMATS} value={form.format} allowDeselect={false} w={120} onChange={(v) => setForm((f) => ({ ...f, format: (v ?? 'auto') as Format }))} />
          <NumberInput label="Per page" min={1} max={1000} value={form.limit} w={100} onChange={(v) => setForm((f) => ({ ...f, limit: Number(v) || 50 }))} />
          <Button type="submit" disabled={offsetNeedsPartition || badTime(form.timestamp) || (form.start === 'timestamp' && !form.timestamp)}>Read</Button>
          <ExportButton instance={instance} topic={topic} from={form} />
        </Group>
      </form>
      {asked === null ? <Text size="sm" c="dimmed">Choose where to start and read: records of every partition are merged by time.</Text> : (
        <QueryState query={query} label="messages" isEmpty={(d) => d.pages.every((p) => p.records.length === 0)}
          empty={<><Text fw={500}>No records there</Text><Text size="sm" c="dimmed">{describeRanges(query.data?.pages[0]?.partitions ?? [])}</Text></>}>
          {() => (
            <>
              <Text size="xs" c="dimmed">{describeRanges(last?.partitions ?? [])} · read as {last?.principal}</Text>
              <RecordTable records={records} label="Messages" onView={onView} />
              {query.hasNextPage && <div><Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>Next page</Button></div>}
            </>
          )}
        </QueryState>
      )}
    </Stack>
  );
}

const describeRanges = (ps: { partition: number; startOffset: number; endOffset: number }[]) =>
  ps.length === 0 ? '' : `offsets ${ps.map((p) => `p${p.partition} ${p.startOffset}–${p.endOffset}`).join(', ')}`;

/** Downloads the records from where the read form starts, as NDJSON, through the API's export. */
function ExportButton({ instance, topic, from }: { instance: Instance; topic: Topic; from: ReadFrom }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const q = new URLSearchParams({ format: 'ndjson' });
      if (from.partition !== undefined) q.set('partition', String(from.partition));
      if (from.start === 'offset' && from.partition !== undefined) q.set('offset', String(from.offset));
      if (from.start === 'timestamp' && from.timestamp) q.set('timestamp', from.timestamp);
      const res = await authorizedFetch(`/v1/instances/${encodeURIComponent(instance.id)}/topics/${encodeURIComponent(topic.name)}/messages/export?${q}`);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `${topic.name}.ndjson`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="default" loading={busy} onClick={() => void run()}>Export NDJSON</Button>
      {error ? <ProblemAlert error={error} title="Not exported" /> : null}
    </>
  );
}

/** Records as a table; each row opens the record whole. */
function RecordTable({ records, label, onView }: { records: MessageRecord[]; label: string; onView: Ctx['onView'] }) {
  return (
    <ScrollTable minWidth={800} label={label}>
      <Table striped highlightOnHover aria-label={label}>
        <Table.Thead><Table.Tr><Table.Th>Partition</Table.Th><Table.Th>Offset</Table.Th><Table.Th>Time</Table.Th><Table.Th>Key</Table.Th><Table.Th>Value</Table.Th><Table.Th>Size</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {records.map((r) => (
            <Table.Tr key={`${r.partition}:${r.offset}`}>
              <Table.Td>{r.partition}</Table.Td>
              <Table.Td>{r.offset}</Table.Td>
              <Table.Td><Text size="xs">{formatTime(r.timestamp)}</Text></Table.Td>
              <Table.Td><Code>{preview(r.key, 40)}</Code></Table.Td>
              <Table.Td style={{ maxWidth: 420 }}><Text size="sm" style={{ wordBreak: 'break-all' }}>{preview(r.value)}</Text>{r.headers.length > 0 && <Badge size="xs" variant="outline" ml={4}>{r.headers.length} header(s)</Badge>}</Table.Td>
              <Table.Td>{formatBytes(r.size)}</Table.Td>
              <Table.Td><Button size="compact-xs" variant="subtle" aria-label={`View record ${r.partition}:${r.offset}`} onClick={() => onView({ partition: r.partition, offset: r.offset })}>View</Button></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

// ---- one record -------------------------------------------------------------------------------

function RecordView({ instance, topic, at, onClose }: { instance: Instance; topic: Topic; at: { partition: number; offset: number } | null; onClose(): void }) {
  const [format, setFormat] = useState<Format>('auto');
  const query = useQuery({
    queryKey: ['message', instance.id, topic.name, at, format],
    enabled: at !== null,
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/topics/{name}/messages/{partition}/{offset}', {
      params: { path: { id: instance.id, name: topic.name, partition: at!.partition, offset: at!.offset }, query: { format, isolation: 'read_uncommitted' } },
    })),
  });
  return (
    <Modal opened={at !== null} onClose={() => { setFormat('auto'); onClose(); }} size="xl" title={at ? `Record ${at.partition}:${at.offset} of ${topic.name}` : ''} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <SegmentedControl aria-label="Show the record as" value={format} onChange={(v) => setFormat(v as Format)} data={FORMATS} />
        <QueryState query={query} label="the record">
          {(r) => (
            <Stack gap="xs">
              <Text size="sm">partition {r.partition} · offset {r.offset} · {formatTime(r.timestamp)} ({r.timestampType}) · {formatBytes(r.size)}</Text>
              <Text fw={500} size="sm">Key</Text>
              <Code block aria-label="Record key">{renderedText(r.key, true)}</Code>
              <Text fw={500} size="sm">Value ({r.value?.encoding ?? 'null'}, {formatBytes(r.value?.size ?? 0)})</Text>
              <ScrollArea.Autosize mah={360} type="auto">
                <Code block aria-label="Record value">{renderedText(r.value, true)}</Code>
              </ScrollArea.Autosize>
              <Text fw={500} size="sm">Headers</Text>
              {r.headers.length === 0 ? <Text size="sm" c="dimmed">none</Text> : (
                <Table aria-label="Record headers">
                  <Table.Tbody>{r.headers.map((h, i) => <Table.Tr key={i}><Table.Td><Code>{h.key}</Code></Table.Td><Table.Td>{renderedText(h.value)}</Table.Td></Table.Tr>)}</Table.Tbody>
                </Table>
              )}
            </Stack>
          )}
        </QueryState>
      </Stack>
    </Modal>
  );
}

// ---- search -----------------------------------------------------------------------------------

interface SearchForm { keyMode: 'prefix' | 'equals'; key: string; headerName: string; headerValue: string; valueContains: string; jsonPath: string; jsonEquals: string; partition?: number; fromTime: string; stepRecords: number; format: Format }

/** The API's filters from the form: empty inputs are no filter; a JSON value that does not parse is compared as a string. */
function filtersOf(f: SearchForm): MessageSearch['filters'] {
  let equals: unknown = f.jsonEquals;
  try { equals = JSON.parse(f.jsonEquals); } catch { /* a bare word: compare as a string */ }
  return {
    ...(f.key ? { key: { [f.keyMode]: f.key, encoding: 'text' as const } } : {}),
    ...(f.headerName ? { header: { name: f.headerName, ...(f.headerValue ? { value: f.headerValue } : {}) } } : {}),
    ...(f.valueContains ? { valueContains: f.valueContains } : {}),
    ...(f.jsonPath ? { jsonPath: { path: f.jsonPath, equals } } : {}),
  };
}

function Search({ instance, topic, onView }: Ctx) {
  const [form, setForm] = useState<SearchForm>({ keyMode: 'prefix', key: '', headerName: '', headerValue: '', valueContains: '', jsonPath: '', jsonEquals: '', fromTime: '', stepRecords: 100_000, format: 'auto' });
  const [matches, setMatches] = useState<MessageRecord[]>([]);
  const [state, setState] = useState<{ last: MessageSearchResult; scannedBefore: number; body: MessageSearch } | null>(null);
  const set = <K extends keyof SearchForm>(k: K) => (v: SearchForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const step = useMutation({
    mutationFn: async (body: MessageSearch) => ({ body, result: unwrap(await api.POST('/v1/instances/{id}/topics/{name}/messages/search', { params: { path: { id: instance.id, name: topic.name } }, body })) }),
    onSuccess: ({ body, result }) => {
      const continuing = body.cursor !== undefined;
      setMatches((m) => (continuing ? [...m, ...result.matches] : result.matches));
      setState((s) => ({ last: result, body: { ...body, cursor: undefined }, scannedBefore: continuing && s ? s.scannedBefore + s.last.progress.scannedRecords : 0 }));
    },
  });
  const start = () => {
    setMatches([]);
    setState(null);
    step.mutate({
      filters: filtersOf(form), limit: 50, maxValueBytes: 4096, format: form.format, isolation: 'read_uncommitted',
      budget: { maxBytes: 64 * 1024 * 1024, maxRecords: form.stepRecords, maxMs: 10_000 },
      ...(form.partition !== undefined ? { partitions: [form.partition] } : {}),
      ...(form.fromTime ? { from: { timestamp: form.fromTime } } : {}),
    });
  };
  const err = fieldErrors(step.error);
  const shown = ['filters/key/prefix', 'filters/key/equals', 'filters/header/name', 'filters/valueContains', 'filters/jsonPath/path', 'budget/maxRecords'];
  const message = formLevelMessage(step.error, shown);
  const progress = state?.last.progress;
  const scanned = (state?.scannedBefore ?? 0) + (progress?.scannedRecords ?? 0);
  return (
    <Stack>
      <form onSubmit={(e) => { e.preventDefault(); start(); }} aria-label="Search messages" noValidate>
        <Stack gap="xs">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Group gap={4} align="flex-end" wrap="nowrap">
              <Select label="Key" aria-label="Key match" data={[{ value: 'prefix', label: 'starts with' }, { value: 'equals', label: 'equals' }]} value={form.keyMode} allowDeselect={false} w={130} onChange={(v) => set('keyMode')((v ?? 'prefix') as SearchForm['keyMode'])} />
              <TextInput aria-label="Key filter" placeholder="order-" value={form.key} style={{ flex: 1 }} onChange={(e) => set('key')(e.currentTarget.value)} error={err[`filters/key/${form.keyMode}`]} />
            </Group>
            <TextInput label="Value contains" value={form.valueContains} onChange={(e) => set('valueContains')(e.currentTarget.value)} error={err['filters/valueContains']} />
            <Group gap={4} align="flex-end" wrap="nowrap">
              <TextInput label="Header" placeholder="name" value={form.headerName} style={{ flex: 1 }} onChange={(e) => set('headerName')(e.currentTarget.value)} error={err['filters/header/name']} />
              <TextInput aria-label="Header value" placeholder="value (any)" value={form.headerValue} style={{ flex: 1 }} onChange={(e) => set('headerValue')(e.currentTarget.value)} />
            </Group>
            <Group gap={4} align="flex-end" wrap="nowrap">
              <TextInput label="JSON path" placeholder="$.status" value={form.jsonPath} style={{ flex: 1 }} onChange={(e) => set('jsonPath')(e.currentTarget.value)} error={err['filters/jsonPath/path']} />
              <TextInput aria-label="JSON path equals" placeholder='"failed"' value={form.jsonEquals} style={{ flex: 1 }} onChange={(e) => set('jsonEquals')(e.currentTarget.value)} />
            </Group>
            <Select label="Partition" data={partitionOptions(topic)} value={form.partition === undefined ? 'all' : String(form.partition)} allowDeselect={false} onChange={(v) => set('partition')(toPartition(v ?? 'all'))} />
            <TextInput label="From time (ISO 8601)" placeholder="the log start" value={form.fromTime} onChange={(e) => set('fromTime')(e.currentTarget.value)} error={badTime(form.fromTime) ? 'not a time' : undefined} />
            <NumberInput label="Records scanned per step" description="the search pauses after this many; continue for more" min={1} max={10_000_000} value={form.stepRecords} onChange={(v) => set('stepRecords')(Number(v) || 1)} error={err['budget/maxRecords']} />
            <Select label="Show as" data={FORMATS} value={form.format} allowDeselect={false} onChange={(v) => set('format')((v ?? 'auto') as Format)} />
          </SimpleGrid>
          <Group><Button type="submit" loading={step.isPending && !state} disabled={badTime(form.fromTime)}>Search</Button></Group>
        </Stack>
      </form>
      {message && <Alert color="red" role="alert" title="Search failed">{message}{step.error instanceof ProblemError ? <Text size="xs" c="dimmed">code {step.error.code}</Text> : null}</Alert>}
      {state && progress && (
        <Stack gap="xs">
          <Progress value={searchPercent(progress, state.scannedBefore)} aria-label="Search progress" size="lg" />
          <Text size="sm" aria-live="polite" data-testid="search-progress">
            {progress.complete ? 'Search complete' : 'Search paused'}: {scanned} records scanned, {matches.length} matched
            {progress.complete ? '' : ` · stopped at the ${progress.stoppedBecause.replace('budget-', '')} limit; ${progress.partitions.reduce((s, p) => s + p.remaining, 0)} records left`}
          </Text>
          {state.last.nextCursor && (
            <div><Button variant="light" loading={step.isPending} onClick={() => step.mutate({ ...state.body, cursor: state.last.nextCursor })}>Continue search</Button></div>
          )}
          {matches.length === 0 ? <Text size="sm">No match so far.</Text> : <RecordTable records={matches} label="Search matches" onView={onView} />}
        </Stack>
      )}
    </Stack>
  );
}

// ---- live tail --------------------------------------------------------------------------------

const TAIL_KEEP = 500;
type TailStatus = { state: 'idle' } | { state: 'connecting' } | { state: 'following'; principal: string } | { state: 'ended'; reason: string; sent: number } | { state: 'failed'; error: unknown };

function Tail({ instance, topic, onView }: Ctx) {
  const [partition, setPartition] = useState<number | undefined>(undefined);
  const [from, setFrom] = useState<'latest' | 'earliest'>('latest');
  const [seconds, setSeconds] = useState(120);
  const [records, setRecords] = useState<MessageRecord[]>([]);
  const [status, setStatus] = useState<TailStatus>({ state: 'idle' });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const stop = () => { abort.current?.abort(); abort.current = null; };
  const start = async () => {
    stop();
    const ctl = new AbortController();
    abort.current = ctl;
    setRecords([]);
    setStatus({ state: 'connecting' });
    const q = new URLSearchParams({ from, durationSeconds: String(seconds), maxRate: '100' });
    if (partition !== undefined) q.set('partition', String(partition));
    try {
      const res = await authorizedFetch(`/v1/instances/${encodeURIComponent(instance.id)}/topics/${encodeURIComponent(topic.name)}/messages/tail?${q}`, { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
      // Records arrive in bursts: batch them per animation frame rather than render each one.
      let pending: MessageRecord[] = [];
      let scheduled = false;
      const flush = () => { scheduled = false; const add = pending; pending = []; setRecords((rs) => keepNewest(rs, add, TAIL_KEEP)); };
      await readEventStream(res.body!, (e) => {
        const data = JSON.parse(e.data) as Record<string, unknown>;
        if (e.event === 'start') setStatus({ state: 'following', principal: String(data['principal']) });
        else if (e.event === 'record') {
          pending.push(data as unknown as MessageRecord);
          if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
        } else if (e.event === 'end') setStatus({ state: 'ended', reason: String(data['reason']), sent: Number(data['sent']) });
        else if (e.event === 'error') setStatus({ state: 'failed', error: new ProblemError(toProblem({ type: 'about:blank', title: 'The tail stopped', ...data }, Number(data['status']) || 503)) });
      }, ctl.signal);
      if (ctl.signal.aborted) setStatus((s) => (s.state === 'following' || s.state === 'connecting' ? { state: 'ended', reason: 'stopped', sent: -1 } : s));
    } catch (e) {
      if (!ctl.signal.aborted) setStatus({ state: 'failed', error: e });
    }
  };
  const running = status.state === 'connecting' || status.state === 'following';
  return (
    <Stack>
      <Group align="flex-end" wrap="wrap">
        <Select label="Partition" data={partitionOptions(topic)} value={partition === undefined ? 'all' : String(partition)} allowDeselect={false} w={170} disabled={running} onChange={(v) => setPartition(toPartition(v ?? 'all'))} />
        <Select label="Start" data={[{ value: 'latest', label: 'New records only' }, { value: 'earliest', label: 'From the earliest' }]} value={from} allowDeselect={false} w={190} disabled={running} onChange={(v) => setFrom((v ?? 'latest') as 'latest' | 'earliest')} />
        <NumberInput label="For seconds" min={1} max={600} value={seconds} w={120} disabled={running} onChange={(v) => setSeconds(Number(v) || 60)} />
        {running ? <Button color="red.9" onClick={stop}>Stop tail</Button> : <Button onClick={() => void start()}>Start tail</Button>}
      </Group>
      <Text size="sm" aria-live="polite" data-testid="tail-status">
        {status.state === 'idle' && 'Not following. Records appear here as they are written, newest first.'}
        {status.state === 'connecting' && 'Connecting…'}
        {status.state === 'following' && `Following as ${status.principal} · ${records.length} record(s)`}
        {status.state === 'ended' && `Tail ended (${status.reason}) · ${records.length} record(s)`}
      </Text>
      {status.state === 'failed' && <ProblemAlert error={status.error} title="The tail stopped" onRetry={() => void start()} />}
      {records.length > 0 && <RecordTable records={records} label="Live records" onView={onView} />}
    </Stack>
  );
}

// ---- send -------------------------------------------------------------------------------------

const ENCODINGS = [{ value: 'text', label: 'Text' }, { value: 'json', label: 'JSON' }, { value: 'base64', label: 'Base64' }];

function Send({ instance, topic, onView }: Ctx) {
  const [key, setKey] = useState('');
  const [keyEnc, setKeyEnc] = useState<Encoding>('text');
  const [value, setValue] = useState('');
  const [valueEnc, setValueEnc] = useState<Encoding>('json');
  const [headers, setHeaders] = useState<{ key: string; value: string }[]>([]);
  const [partition, setPartition] = useState<number | undefined>(undefined);
  const [local, setLocal] = useState<Record<string, string>>({});
  const send = useMutation({
    mutationFn: async (body: MessageSend) =>
      unwrap(await api.POST('/v1/instances/{id}/topics/{name}/messages', { params: { path: { id: instance.id, name: topic.name } }, body })),
  });
  const submit = () => {
    const k = toPayload(key, keyEnc, true);
    const v = toPayload(value, valueEnc, valueEnc !== 'text');
    const problems: Record<string, string> = {};
    if (isPayloadError(k)) problems['key/data'] = k.error;
    if (isPayloadError(v)) problems['value/data'] = v.error;
    setLocal(problems);
    if (isPayloadError(k) || isPayloadError(v)) return;
    send.mutate({ key: k, value: v, headers: headers.filter((h) => h.key).map((h) => ({ key: h.key, value: { encoding: 'text' as const, data: h.value } })), ...(partition !== undefined ? { partition } : {}) });
  };
  const err = { ...fieldErrors(send.error), ...local };
  const message = formLevelMessage(send.error, ['key/data', 'value/data', 'partition']);
  return (
    <form onSubmit={(e) => { e.preventDefault(); submit(); }} aria-label="Send a message" noValidate>
      <Stack>
        <Group align="flex-start" wrap="nowrap">
          <TextInput label="Key" description="empty: no key" value={key} style={{ flex: 1 }} onChange={(e) => setKey(e.currentTarget.value)} error={err['key/data']} />
          <Select label="Key as" data={ENCODINGS.filter((x) => x.value !== 'json')} value={keyEnc} allowDeselect={false} w={120} onChange={(v) => setKeyEnc((v ?? 'text') as Encoding)} />
        </Group>
        <Group align="flex-start" wrap="nowrap">
          <Textarea label="Value" description={valueEnc === 'text' ? 'sent as typed' : 'empty: a null value (a tombstone)'} autosize minRows={3} value={value} style={{ flex: 1 }} onChange={(e) => setValue(e.currentTarget.value)} error={err['value/data']} styles={{ input: { fontFamily: 'monospace' } }} />
          <Select label="Value as" data={ENCODINGS} value={valueEnc} allowDeselect={false} w={120} onChange={(v) => setValueEnc((v ?? 'json') as Encoding)} />
        </Group>
        {headers.map((h, i) => (
          <Group key={i} wrap="nowrap" align="flex-end">
            <TextInput label={`Header ${i + 1} name`} value={h.key} onChange={(e) => { const k = e.currentTarget.value; setHeaders((hs) => hs.map((x, j) => (j === i ? { ...x, key: k } : x))); }} />
            <TextInput label={`Header ${i + 1} value`} value={h.value} style={{ flex: 1 }} onChange={(e) => { const v = e.currentTarget.value; setHeaders((hs) => hs.map((x, j) => (j === i ? { ...x, value: v } : x))); }} />
            <Button variant="subtle" color="red" onClick={() => setHeaders((hs) => hs.filter((_, j) => j !== i))} aria-label={`Remove header ${i + 1}`}>✕</Button>
          </Group>
        ))}
        <Group align="flex-end">
          <Button variant="light" size="xs" onClick={() => setHeaders((hs) => [...hs, { key: '', value: '' }])}>Add header</Button>
          <Select label="Partition" data={[{ value: 'all', label: 'By key (Kafka\'s partitioner)' }, ...partitionOptions(topic).slice(1)]} value={partition === undefined ? 'all' : String(partition)} allowDeselect={false} w={240} onChange={(v) => setPartition(toPartition(v ?? 'all'))} error={err['partition']} />
        </Group>
        {message && <Alert color="red" role="alert" title="Not sent">{message}</Alert>}
        {send.data && (
          <SuccessAlert title="Sent">
            <Group gap="xs">
              <Text size="sm">Written to partition {send.data.partition} at offset {send.data.offset} as {send.data.principal}.</Text>
              <Button size="compact-xs" variant="light" onClick={() => onView({ partition: send.data.partition, offset: send.data.offset })}>View it</Button>
            </Group>
          </SuccessAlert>
        )}
        <Group justify="flex-end"><Button type="submit" loading={send.isPending}>Send message</Button></Group>
      </Stack>
    </form>
  );
}

/**
 * The API reads and writes messages as the key's own Kafka principal (GET /v1/me names it), so the
 * instance's ACLs decide; an operator can allow it here in one step (two ACLs: READ and WRITE on
 * this topic, as the ACL editor would create them).
 */
function PrincipalNote({ instance, topic, principal, canGrant }: { instance: Instance; topic: Topic; principal: string; canGrant: boolean }) {
  const queryClient = useQueryClient();
  const grant = useMutation({
    mutationFn: async () => {
      for (const operation of ['READ', 'WRITE'] as const) {
        unwrap(await api.POST('/v1/instances/{id}/acls', { params: { path: { id: instance.id } }, body: { resourceType: 'TOPIC', resourceName: topic.name, patternType: 'LITERAL', principal, host: '*', operation, permissionType: 'ALLOW' } }));
      }
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['acls', instance.id] }),
  });
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <Text size="sm">Messages are read and sent as <Code>{principal}</Code>; the instance's ACLs decide what it may do.</Text>
        {canGrant && !grant.isSuccess && <Button size="compact-sm" variant="default" loading={grant.isPending} onClick={() => grant.mutate()}>Allow it to read and write {topic.name}</Button>}
      </Group>
      {grant.isSuccess && <SuccessAlert title="ACLs added">READ and WRITE on {topic.name} for {principal}; the brokers apply them within seconds.</SuccessAlert>}
      {grant.error ? <ProblemAlert error={grant.error} title="ACLs not added" /> : null}
    </Stack>
  );
}
