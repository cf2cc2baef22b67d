import { Checkbox, NumberInput, Select, SimpleGrid } from '@mantine/core';
import { BANDWIDTH_TIERS, ZONES, type SizeForm } from '../lib/spec-form.ts';

/** The spec fields `errors` may name (JSON Pointer paths under /spec), for forms' leftover messages. */
export const SIZE_FIELDS = ['zone', 'brokers', 'bandwidthMBps', 'diskGiB', 'partitionLimit', 'topicLimit', 'consumerGroupLimit', 'billing/mode', 'billing/periodMonths', 'billing/autoRenew'];

/**
 * An instance's size and billing: the create form and the price calculator edit the same fields.
 * `errors` are the API's field messages under /spec, each shown beside its input.
 *
 * `onChange` gets an updater of the page's newest state (a useState setter takes it as it is): a
 * whole form built from `value` would carry the values of the last render, and a second edit made
 * before the first one's render (quick typing, or a page whose state lands in a transition) would undo it.
 */
export function SizeFields({ value: f, onChange, errors = {} }: { value: SizeForm; onChange(update: (now: SizeForm) => SizeForm): void; errors?: Record<string, string> }) {
  const set = <K extends keyof SizeForm>(k: K, v: SizeForm[K]) => onChange((now) => ({ ...now, [k]: v }));
  const num = (k: 'brokers' | 'diskGiB' | 'partitionLimit' | 'topicLimit' | 'consumerGroupLimit' | 'periodMonths') => (v: string | number) => set(k, typeof v === 'number' ? v : Number(v));
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      <Select label="Zone" data={[...ZONES]} value={f.zone} onChange={(v) => v && set('zone', v)} error={errors['zone']} allowDeselect={false} />
      <NumberInput label="Brokers" min={1} max={15} value={f.brokers} onChange={num('brokers')} error={errors['brokers']} />
      <Select label="Bandwidth (MB/s)" data={BANDWIDTH_TIERS.map(String)} value={String(f.bandwidthMBps)} onChange={(v) => v && set('bandwidthMBps', Number(v))} error={errors['bandwidthMBps']} allowDeselect={false} />
      <NumberInput label="Disk (GiB)" description="in steps of 100" min={100} step={100} value={f.diskGiB} onChange={num('diskGiB')} error={errors['diskGiB']} />
      <NumberInput label="Partition limit" min={1} value={f.partitionLimit} onChange={num('partitionLimit')} error={errors['partitionLimit']} />
      <NumberInput label="Topic limit" min={1} value={f.topicLimit} onChange={num('topicLimit')} error={errors['topicLimit']} />
      <NumberInput label="Consumer group limit" min={1} value={f.consumerGroupLimit} onChange={num('consumerGroupLimit')} error={errors['consumerGroupLimit']} />
      <Select label="Billing" data={[{ value: 'postpaid', label: 'Postpaid (hourly)' }, { value: 'prepaid', label: 'Prepaid (months)' }]} value={f.mode} onChange={(v) => v && set('mode', v as SizeForm['mode'])} error={errors['billing/mode']} allowDeselect={false} />
      {f.mode === 'prepaid' && <NumberInput label="Period (months)" min={1} max={36} value={f.periodMonths} onChange={num('periodMonths')} error={errors['billing/periodMonths']} />}
      {f.mode === 'prepaid' && <Checkbox label="Renew automatically" checked={f.autoRenew} onChange={(e) => set('autoRenew', e.currentTarget.checked)} mt="lg" />}
    </SimpleGrid>
  );
}
