import { useState } from 'react';
import { Alert, Button, Checkbox, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { InstanceSpec } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { formatMoney } from '../lib/format.ts';

// The API's rules (libs/contracts instance.ts); the console offers only values it accepts.
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const BANDWIDTH_TIERS = [20, 40, 100, 200, 400, 800, 1600];
const SPEC_FIELDS = ['zone', 'brokers', 'bandwidthMBps', 'diskGiB', 'partitionLimit', 'topicLimit', 'consumerGroupLimit', 'billing/mode', 'billing/periodMonths', 'billing/autoRenew'];

export default function InstanceCreatePage() {
  const session = useSignedIn();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [spec, setSpec] = useState({ zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50 });
  const [mode, setMode] = useState<'postpaid' | 'prepaid'>('postpaid');
  const [periodMonths, setPeriodMonths] = useState(1);
  const [autoRenew, setAutoRenew] = useState(false);
  const body: InstanceSpec = {
    ...spec,
    zone: spec.zone as InstanceSpec['zone'],
    billing: mode === 'prepaid' ? { mode, periodMonths, autoRenew } : { mode },
    brokerConfig: {},
  };
  // A live price from the API's price book (nothing is created), asked once typing pauses.
  const [quoted] = useDebouncedValue(body, 300);
  const quote = useQuery({
    queryKey: ['quote', quoted],
    queryFn: async () => unwrap(await api.POST('/v1/billing/quotes', { body: { kind: 'create', spec: quoted } })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances', { body: { name, labels: {}, spec: body } })),
    onSuccess: async (accepted) => {
      await queryClient.invalidateQueries({ queryKey: ['instances'] });
      void navigate(`/instances/${accepted.resource.id}`);
    },
  });
  if (!can.mutate(session.role)) return <Alert color="yellow" title="Read-only">Your role ({session.role}) cannot create instances.</Alert>;
  const specErr = fieldErrors(create.error, '/spec');
  const topErr = fieldErrors(create.error);
  const formMessage = formLevelMessage(create.error, ['name', ...SPEC_FIELDS.map((f) => `spec/${f}`), 'spec']);
  const num = (key: keyof typeof spec) => (v: string | number) => setSpec((s) => ({ ...s, [key]: typeof v === 'number' ? v : Number(v) }));

  return (
    <Stack maw={760}>
      <Title order={2}>Create instance</Title>
      <Paper withBorder p="md">
        <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }} noValidate>
          <Stack>
            <TextInput label="Name" description="lowercase letters, digits and -" value={name} onChange={(e) => setName(e.currentTarget.value)} error={topErr['name']} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select label="Zone" data={ZONES} value={spec.zone} onChange={(v) => v && setSpec((s) => ({ ...s, zone: v }))} error={specErr['zone']} allowDeselect={false} />
              <NumberInput label="Brokers" min={1} max={15} value={spec.brokers} onChange={num('brokers')} error={specErr['brokers']} />
              <Select label="Bandwidth (MB/s)" data={BANDWIDTH_TIERS.map(String)} value={String(spec.bandwidthMBps)} onChange={(v) => v && setSpec((s) => ({ ...s, bandwidthMBps: Number(v) }))} error={specErr['bandwidthMBps']} allowDeselect={false} />
              <NumberInput label="Disk (GiB)" description="in steps of 100" min={100} step={100} value={spec.diskGiB} onChange={num('diskGiB')} error={specErr['diskGiB']} />
              <NumberInput label="Partition limit" min={1} value={spec.partitionLimit} onChange={num('partitionLimit')} error={specErr['partitionLimit']} />
              <NumberInput label="Topic limit" min={1} value={spec.topicLimit} onChange={num('topicLimit')} error={specErr['topicLimit']} />
              <NumberInput label="Consumer group limit" min={1} value={spec.consumerGroupLimit} onChange={num('consumerGroupLimit')} error={specErr['consumerGroupLimit']} />
              <Select label="Billing" data={[{ value: 'postpaid', label: 'Postpaid (hourly)' }, { value: 'prepaid', label: 'Prepaid (months)' }]} value={mode} onChange={(v) => v && setMode(v as 'postpaid' | 'prepaid')} error={specErr['billing/mode']} allowDeselect={false} />
              {mode === 'prepaid' && <NumberInput label="Period (months)" min={1} max={36} value={periodMonths} onChange={(v) => setPeriodMonths(Number(v))} error={specErr['billing/periodMonths']} />}
              {mode === 'prepaid' && <Checkbox label="Renew automatically" checked={autoRenew} onChange={(e) => setAutoRenew(e.currentTarget.checked)} mt="lg" />}
            </SimpleGrid>
            <Paper withBorder p="sm" role="region" aria-label="Price quote" aria-live="polite">
              {quote.data ? (
                <Text size="sm">
                  {quote.data.mode === 'postpaid'
                    ? `${formatMoney(quote.data.hourlyMinor, quote.data.currency)} per hour (about ${formatMoney(quote.data.monthlyEstimateMinor, quote.data.currency)} per month)`
                    : `${formatMoney(quote.data.totalMinor, quote.data.currency)} now for ${periodMonths} month(s) (list ${formatMoney(quote.data.hourlyMinor, quote.data.currency)} per hour)`}
                  {quote.isFetching ? ' …' : ''}
                </Text>
              ) : quote.error ? <Text size="sm">No price for this size: {quote.error instanceof Error ? quote.error.message : 'the quote failed'}</Text> : <Text size="sm">Pricing…</Text>}
            </Paper>
            {formMessage && <Alert color="red" role="alert" title="The instance was not created">{formMessage}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" component={Link} to="/instances">Cancel</Button>
              <Button type="submit" loading={create.isPending}>Create instance</Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
