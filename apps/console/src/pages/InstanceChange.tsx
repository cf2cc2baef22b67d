import { useState } from 'react';
import { Alert, Button, Card, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { api } from '../api/client.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { Instance, InstanceSpec } from '../api/types.ts';
import { SettingsEditor } from '../components/SettingsEditor.tsx';
import { SuccessAlert } from '../components/States.tsx';
import { BROKER_CONFIG_HELP } from '../lib/broker-configs.ts';
import { formatMoney, formatTime } from '../lib/format.ts';

const BANDWIDTH_TIERS = [20, 40, 100, 200, 400, 800, 1600];

/**
 * Scale an instance: brokers and disk only grow (the API refuses shrinking them), bandwidth moves
 * between tiers. The price of the change is quoted live (POST /v1/billing/quotes kind "change": the
 * new hourly price, or for prepaid the prorated difference for the rest of the period) before it is
 * applied with PUT /v1/instances/{id}, sent with the instance's version (If-Match).
 */
export function ScaleInstance({ instance: i }: { instance: Instance }) {
  const queryClient = useQueryClient();
  const [size, setSize] = useState({ brokers: i.spec.brokers, bandwidthMBps: i.spec.bandwidthMBps, diskGiB: i.spec.diskGiB });
  const spec: InstanceSpec = { ...i.spec, ...size };
  const changed = size.brokers !== i.spec.brokers || size.bandwidthMBps !== i.spec.bandwidthMBps || size.diskGiB !== i.spec.diskGiB;
  const [quoted] = useDebouncedValue(spec, 300);
  const quote = useQuery({
    queryKey: ['quote-change', i.id, quoted],
    queryFn: async () => unwrap(await api.POST('/v1/billing/quotes', { body: { kind: 'change', instanceId: i.id, spec: quoted } })),
    enabled: changed,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const apply = useMutation({
    mutationFn: async () => unwrap(await api.PUT('/v1/instances/{id}', { params: { path: { id: i.id } }, headers: { 'if-match': i.etag }, body: { labels: i.labels, spec } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['instance', i.id] }),
  });
  const err = fieldErrors(apply.error, '/spec');
  const message = formLevelMessage(apply.error, ['brokers', 'bandwidthMBps', 'diskGiB'], '/spec');
  const q = quote.data;
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Scale</Title>
      <form onSubmit={(e) => { e.preventDefault(); apply.mutate(); }} aria-label="Scale the instance" noValidate>
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput label="Brokers" description="grows only" min={i.spec.brokers} max={15} value={size.brokers} onChange={(v) => setSize((s) => ({ ...s, brokers: Number(v) }))} error={err['brokers']} />
            <Select label="Bandwidth (MB/s)" data={BANDWIDTH_TIERS.map(String)} value={String(size.bandwidthMBps)} allowDeselect={false} onChange={(v) => v && setSize((s) => ({ ...s, bandwidthMBps: Number(v) }))} error={err['bandwidthMBps']} />
            <NumberInput label="Disk (GiB)" description="grows only, in steps of 100" min={i.spec.diskGiB} step={100} value={size.diskGiB} onChange={(v) => setSize((s) => ({ ...s, diskGiB: Number(v) }))} error={err['diskGiB']} />
          </SimpleGrid>
          {changed && (
            <Paper withBorder p="sm" role="region" aria-label="Price of the change" aria-live="polite">
              {q ? (
                <Text size="sm">
                  {q.mode === 'postpaid'
                    ? `${formatMoney(q.hourlyMinor, q.currency)} per hour after the change`
                    : `${formatMoney(q.totalMinor, q.currency)} now for the rest of the period (list ${formatMoney(q.hourlyMinor, q.currency)} per hour)`}
                  {quote.isFetching ? ' …' : ''}
                </Text>
              ) : quote.error ? <Text size="sm">No price for this change: {quote.error instanceof Error ? quote.error.message : 'the quote failed'}</Text> : <Text size="sm">Pricing…</Text>}
            </Paper>
          )}
          {message && <Alert color="red" role="alert" title="Not scaled">{message}</Alert>}
          {apply.isSuccess && !changed && <SuccessAlert title="Change accepted">The operator is applying it; the phase shows Updating until it is done.</SuccessAlert>}
          <Group justify="flex-end">
            <Button variant="default" disabled={!changed} onClick={() => setSize({ brokers: i.spec.brokers, bandwidthMBps: i.spec.bandwidthMBps, diskGiB: i.spec.diskGiB })}>Reset</Button>
            <Button type="submit" disabled={!changed || i.status.phase === 'Deleting'} loading={apply.isPending}>Apply change</Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** Renew a prepaid instance for more months, with the renewal's price quoted first. */
export function RenewInstance({ instance: i }: { instance: Instance }) {
  const queryClient = useQueryClient();
  const [months, setMonths] = useState<number | string>(1);
  const periodMonths = Number(months) || 1;
  const quote = useQuery({
    queryKey: ['quote-renewal', i.id, periodMonths],
    queryFn: async () => unwrap(await api.POST('/v1/billing/quotes', { body: { kind: 'renewal', instanceId: i.id, periodMonths } })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const renew = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/renew', { params: { path: { id: i.id } }, body: { periodMonths } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['instance', i.id] }),
  });
  const err = fieldErrors(renew.error);
  const message = formLevelMessage(renew.error, ['periodMonths']);
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Renew</Title>
      <form onSubmit={(e) => { e.preventDefault(); renew.mutate(); }} aria-label="Renew the instance" noValidate>
        <Stack>
          <Text size="sm">Prepaid until <b>{formatTime(i.billingState.expiresAt)}</b>{i.billingState.status !== 'active' ? ` (${i.billingState.status})` : ''}. Renewing adds months from the expiry (from now once expired).</Text>
          <Group align="flex-end">
            <NumberInput label="Months to add" min={1} max={36} value={months} onChange={setMonths} w={160} error={err['periodMonths']} />
            <Text size="sm" aria-live="polite" data-testid="renewal-quote">
              {quote.data ? `${formatMoney(quote.data.totalMinor, quote.data.currency)} for ${periodMonths} month(s)` : quote.error ? 'No price for this renewal' : 'Pricing…'}
            </Text>
          </Group>
          {message && <Alert color="red" role="alert" title="Not renewed">{message}</Alert>}
          {renew.data && <SuccessAlert title="Renewed">Now prepaid until {formatTime(renew.data.instance.billingState.expiresAt)}.</SuccessAlert>}
          <Group justify="flex-end"><Button type="submit" loading={renew.isPending}>Renew</Button></Group>
        </Stack>
      </form>
    </Card>
  );
}

/**
 * The instance's broker settings (spec.brokerConfig, the API's allow-list), edited with a preview of
 * what is added, changed and unset, then sent with PUT /v1/instances/{id} and the instance's version
 * (If-Match); the operator rolls the brokers onto them (the phase shows Updating until done).
 */
export function BrokerSettings({ instance: i, editable }: { instance: Instance; editable: boolean }) {
  const queryClient = useQueryClient();
  const apply = useMutation({
    mutationFn: async (brokerConfig: Record<string, string>) => unwrap(await api.PUT('/v1/instances/{id}', {
      params: { path: { id: i.id } }, headers: { 'if-match': i.etag }, body: { labels: i.labels, spec: { ...i.spec, brokerConfig } },
    })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['instance', i.id] }),
  });
  // Re-mounted when the instance's version changes, so the rows start from what was applied.
  return <SettingsEditor key={i.etag} title="Broker settings" what="Broker settings" current={i.spec.brokerConfig} help={BROKER_CONFIG_HELP} editable={editable} fieldPrefix="/spec/brokerConfig" defaultLabel="Kafka's default" onApply={apply} />;
}
