import { useState } from 'react';
import { Badge, Button, Card, Group, SegmentedControl, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, authorizedFetch } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { DataTable } from '../components/DataTable.tsx';
import { LineChart } from '../components/LineChart.tsx';
import { PriceLines } from '../components/PriceLines.tsx';
import { NoticeAlert, ProblemAlert, QueryState } from '../components/States.tsx';
import { formatBytes, formatMoney, formatQuantity, formatTime } from '../lib/format.ts';
import { chargebackTotals, costPerPeriod, invoiceCsv, usageTotals } from '../lib/usage.ts';

const RANGES = [{ value: '1', label: '24 hours' }, { value: '7', label: '7 days' }, { value: '30', label: '30 days' }];

/** The report routes answer JSON or CSV (their schema says both); the screen asked for JSON. */
function asJson<T>(d: T | string): T {
  if (typeof d === 'string') throw new Error('the API answered CSV where JSON was asked');
  return d;
}

/** A file made in the browser (or fetched with the key) handed to the browser's download. */
function saveFile(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Billing (admin and billing keys), all from the API's billing engine: the usage and cost report per
 * instance and meter (GET /v1/billing/reports/usage, priced as invoices are) with a cost chart and a
 * CSV download; bytes per topic or principal (…/reports/chargeback); the current month's invoice so
 * far and the account's invoices with their lines, each as CSV.
 */
export default function BillingPage() {
  const session = useSignedIn();
  // Every read below is refused to other roles (403): one notice instead of four error states and
  // download buttons that could only fail.
  if (!can.readBilling(session.role)) return <NoticeAlert title="Billing keys and admins only">Your role ({session.role}) cannot read billing.</NoticeAlert>;
  return <BillingScreen />;
}

function BillingScreen() {
  const [days, setDays] = useState('7');
  const [instanceId, setInstanceId] = useState('');
  const instances = useQuery({
    queryKey: ['instances-for-billing'],
    queryFn: async () => unwrap(await api.GET('/v1/instances', { params: { query: { limit: 200 } } })),
  });
  // Whole hours (24 h) or days, so a refetch asks the same range until the clock moves on.
  const granularity = days === '1' ? 'hour' as const : 'day' as const;
  const step = granularity === 'hour' ? 3600_000 : 86_400_000;
  const to = Math.ceil(Date.now() / step) * step;
  const from = to - Number(days) * 86_400_000;
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), granularity, ...(instanceId ? { instanceId } : {}) };
  const names = new Map((instances.data?.items ?? []).map((i) => [i.id, i.name]));
  const nameOf = (id: string) => names.get(id) ?? id;
  return (
    <Stack>
      <Title order={2}>Billing</Title>
      <Group align="flex-end">
        <div>
          <Text size="sm" fw={500} id="billing-range-label">Range</Text>
          <SegmentedControl aria-labelledby="billing-range-label" value={days} onChange={setDays} data={RANGES} />
        </div>
        <Select label="Instance" w={260} allowDeselect={false} value={instanceId} onChange={(v) => setInstanceId(v ?? '')}
          data={[{ value: '', label: 'All instances' }, ...(instances.data?.items ?? []).map((i) => ({ value: i.id, label: i.name }))]} />
      </Group>
      <Usage range={range} nameOf={nameOf} />
      <Chargeback range={range} nameOf={nameOf} />
      <Invoices nameOf={nameOf} />
    </Stack>
  );
}

type Range = { from: string; to: string; granularity: 'hour' | 'day'; instanceId?: string };

function Usage({ range, nameOf }: { range: Range; nameOf(id: string): string }) {
  const [csvError, setCsvError] = useState<unknown>(null);
  const report = useQuery({
    queryKey: ['usage-report', range],
    queryFn: async () => asJson(unwrap(await api.GET('/v1/billing/reports/usage', { params: { query: { ...range, groupBy: 'instance', format: 'json' } } }))),
  });
  const downloadCsv = async () => {
    setCsvError(null);
    try {
      const q = new URLSearchParams({ ...range, format: 'csv' });
      saveFile(await (await authorizedFetch(`/v1/billing/reports/usage?${q}`)).blob(), 'usage.csv');
    } catch (e) { setCsvError(e); }
  };
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">Usage and cost</Title>
        <Button size="compact-sm" variant="default" onClick={() => void downloadCsv()}>Download usage CSV</Button>
      </Group>
      {csvError ? <ProblemAlert error={csvError} title="Not downloaded" /> : null}
      <QueryState query={report} label="the usage report" isEmpty={(d) => d.rows.length === 0} empty={<Text size="sm">No usage in this range.</Text>}>
        {(r) => {
          const totals = usageTotals(r.rows);
          return (
            <Stack>
              <Text size="sm" data-testid="usage-total">Total for the range: <b>{formatMoney(r.totalMinor, r.currency)}</b> (postpaid size and metered usage; prepaid periods are on their invoices)</Text>
              <LineChart label={`Cost per ${r.granularity}`} unit={`cost (${r.currency})`} formatX={(ms) => (r.granularity === 'hour' ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(ms).toLocaleDateString())}
                series={[{ name: `cost in ${r.currency}`, points: costPerPeriod(r.rows).map((p) => ({ x: p.x, y: p.y / 100 })) }]} />
              <DataTable label="Usage by instance" minWidth={600} rows={totals} rowKey={(t) => `${t.group}-${t.meter}`} columns={[
                { header: 'Instance', cell: (t) => nameOf(t.group) },
                { header: 'Meter', cell: (t) => t.meter },
                { header: 'Quantity', cell: (t) => `${formatQuantity(t.quantity)} ${t.unit}` },
                { header: 'Cost', cell: (t) => formatMoney(t.amountMinor, r.currency) },
              ]} />
            </Stack>
          );
        }}
      </QueryState>
    </Card>
  );
}

function Chargeback({ range, nameOf }: { range: Range; nameOf(id: string): string }) {
  const [by, setBy] = useState<'topic' | 'principal'>('topic');
  const report = useQuery({
    queryKey: ['chargeback', range, by],
    queryFn: async () => asJson(unwrap(await api.GET('/v1/billing/reports/chargeback', { params: { query: { ...range, by, format: 'json' } } }))),
  });
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">Traffic per {by}</Title>
        <SegmentedControl aria-label="Chargeback by" size="xs" value={by} onChange={(v) => setBy(v as 'topic' | 'principal')} data={[{ value: 'topic', label: 'Topic' }, { value: 'principal', label: 'Principal' }]} />
      </Group>
      <QueryState query={report} label="the chargeback report" isEmpty={(d) => d.rows.length === 0}
        empty={<Text size="sm">No metered traffic in this range (the operator rolls the brokers' byte counters up hourly).</Text>}>
        {(r) => (
          <DataTable label={`Traffic per ${by}`} minWidth={500} rows={chargebackTotals(r.rows)} rowKey={(t) => `${t.instanceId}-${t.key}`} columns={[
            { header: 'Instance', cell: (t) => nameOf(t.instanceId) },
            { header: by === 'topic' ? 'Topic' : 'Principal', cell: (t) => t.key },
            { header: 'Produced', cell: (t) => formatBytes(Number(t.bytesIn)) },
            { header: 'Consumed', cell: (t) => formatBytes(Number(t.bytesOut)) },
          ]} />
        )}
      </QueryState>
    </Card>
  );
}

function Invoices({ nameOf }: { nameOf(id: string): string }) {
  const [open, setOpen] = useState<string | null>(null);
  const preview = useQuery({ queryKey: ['invoice-preview'], queryFn: async () => unwrap(await api.GET('/v1/billing/invoices/preview')) });
  const invoices = useQuery({ queryKey: ['invoices'], queryFn: async () => unwrap(await api.GET('/v1/billing/invoices', { params: { query: { limit: 50 } } })) });
  const detail = useQuery({
    queryKey: ['invoice', open],
    enabled: open !== null,
    queryFn: async () => unwrap(await api.GET('/v1/billing/invoices/{id}', { params: { path: { id: open! } } })),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Invoices</Title>
      <Stack>
        <QueryState query={preview} label="this month's invoice so far">
          {(p) => (
            <Card withBorder p="sm">
              <Group justify="space-between">
                <Text fw={500}>This month so far (as of {formatTime(p.asOf)})</Text>
                <Group gap="xs">
                  <Text fw={500} data-testid="preview-total">{formatMoney(p.totalMinor, p.currency)}</Text>
                  <Button size="compact-sm" variant="default" onClick={() => saveFile(new Blob([invoiceCsv(p.lines, p.currency)], { type: 'text/csv' }), 'invoice-preview.csv')}>Download CSV</Button>
                </Group>
              </Group>
              {p.lines.length > 0 && <PriceLines lines={p.lines} currency={p.currency} label="Lines of this month so far" nameOf={nameOf} />}
            </Card>
          )}
        </QueryState>
        <QueryState query={invoices} label="invoices" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No invoices yet: monthly invoices are drawn up after each month; prepaid purchases are invoiced at once.</Text>}>
          {(d) => (
            <DataTable label="Invoices" minWidth={600} rows={d.items} rowKey={(inv) => inv.id} columns={[
              { header: 'Period', cell: (inv) => <Text size="sm">{formatTime(inv.periodStart)} – {formatTime(inv.periodEnd)}</Text> },
              { header: 'Kind', cell: (inv) => `${inv.kind}${inv.instanceId ? ` (${nameOf(inv.instanceId)})` : ''}` },
              { header: 'Status', cell: (inv) => <Badge variant="dot" tt="none">{inv.status}</Badge> },
              { header: 'Total', cell: (inv) => formatMoney(inv.totalMinor, inv.currency) },
              { header: 'Actions', hideHeader: true, cell: (inv) => <Button size="compact-xs" variant="subtle" aria-label={`${open === inv.id ? 'Hide lines' : 'Lines'} of invoice ${inv.id}`} onClick={() => setOpen(open === inv.id ? null : inv.id)}>{open === inv.id ? 'Hide lines' : 'Lines'}</Button> },
            ]} />
          )}
        </QueryState>
        {open && (
          <QueryState query={detail} label="the invoice">
            {(inv) => (
              <Card withBorder p="sm">
                <Group justify="space-between" mb="xs">
                  <Text fw={500}>Invoice {inv.id}</Text>
                  <Button size="compact-sm" variant="default" onClick={() => saveFile(new Blob([invoiceCsv(inv.lines, inv.currency)], { type: 'text/csv' }), `${inv.id}.csv`)}>Download CSV</Button>
                </Group>
                <PriceLines lines={inv.lines} currency={inv.currency} label={`Invoice ${inv.id} lines`} nameOf={nameOf} />
              </Card>
            )}
          </QueryState>
        )}
      </Stack>
    </Card>
  );
}
