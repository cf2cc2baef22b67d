import { useState } from 'react';
import { ActionIcon, Alert, Button, Card, Group, NumberInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { ProblemError, fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { ClientQuota, ConsumerGroupQuota, Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ProblemAlert, QueryState } from '../components/States.tsx';
import { formatBytes } from '../lib/format.ts';

/**
 * Kafka quotas of an instance: client quotas (byte rates and request share per user and/or client
 * id, as `kafka-configs --entity-type users/clients`) and consumer-group quotas (members and
 * consume rate per group). The operator applies them to the brokers; the API validates them.
 */
export default function QuotasTab({ instance }: { instance: Instance }) {
  return <Stack><ClientQuotas instance={instance} /><GroupQuotas instance={instance} /></Stack>;
}

const isStale = (e: unknown) => e instanceof ProblemError && e.code === 'precondition-failed';
const rate = (n: number | null) => (n === null ? '—' : `${formatBytes(n)}/s`);
/** A NumberInput's value as the API's optional integer: empty is "not set". */
// clampBehavior="none" on the inputs: Mantine would silently raise a value below `min` on blur; the
// API's own message beside the field says what is wrong instead.
const opt = (v: number | string) => (v === '' || v === undefined ? undefined : Number(v));

interface ClientForm { user: string; clientId: string; producerByteRate: number | string; consumerByteRate: number | string; requestPercentage: number | string }
const EMPTY_CLIENT: ClientForm = { user: '', clientId: '', producerByteRate: '', consumerByteRate: '', requestPercentage: '' };

function ClientQuotas({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ClientForm>(EMPTY_CLIENT);
  // Editing replaces an existing quota's rates (its user and client id stay, as the API says).
  const [editing, setEditing] = useState<ClientQuota | null>(null);
  const quotas = useQuery({
    queryKey: ['client-quotas', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/client-quotas', { params: { path: { id: instance.id }, query: { limit: 200 } } })),
  });
  const rates = () => ({ producerByteRate: opt(form.producerByteRate), consumerByteRate: opt(form.consumerByteRate), requestPercentage: opt(form.requestPercentage) });
  const save = useMutation({
    mutationFn: async () => editing
      // If-Match: a quota changed meanwhile (another tab, the CLI) is refused with the API's problem, not overwritten.
      ? unwrap(await api.PUT('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id: instance.id, key: editing.id } }, headers: { 'if-match': editing.etag }, body: rates() }))
      : unwrap(await api.POST('/v1/instances/{id}/client-quotas', { params: { path: { id: instance.id } }, body: { ...(form.user ? { user: form.user } : {}), ...(form.clientId ? { clientId: form.clientId } : {}), ...rates() } })),
    onSuccess: async () => {
      setForm(EMPTY_CLIENT);
      setEditing(null);
      await queryClient.invalidateQueries({ queryKey: ['client-quotas', instance.id] });
    },
    // Changed elsewhere since it was read (412): the list is read again, so the current rates show.
    onError: (e) => (isStale(e) ? queryClient.invalidateQueries({ queryKey: ['client-quotas', instance.id] }) : undefined),
  });
  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id: instance.id, key } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['client-quotas', instance.id] }),
  });
  const err = fieldErrors(save.error);
  const message = formLevelMessage(save.error, Object.keys(form));
  const set = (k: keyof ClientForm) => (v: number | string) => setForm((f) => ({ ...f, [k]: v }));
  const who = (q: ClientQuota) => [q.user !== null ? `user ${q.user}` : null, q.clientId !== null ? `client ${q.clientId}` : null].filter(Boolean).join(', ');
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Client quotas</Title>
      <Stack>
        {can.mutate(session.role) && (
          <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label={editing ? 'Edit client quota' : 'New client quota'} noValidate>
            <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
              <TextInput label="User" description="SCRAM user name" value={form.user} disabled={editing !== null} onChange={(e) => set('user')(e.currentTarget.value)} error={err['user']} />
              <TextInput label="Client id" description="Kafka client.id" value={form.clientId} disabled={editing !== null} onChange={(e) => set('clientId')(e.currentTarget.value)} error={err['clientId']} />
              <NumberInput clampBehavior="none" label="Produce rate" description="bytes/s, at least 1024" min={1024} value={form.producerByteRate} onChange={set('producerByteRate')} error={err['producerByteRate']} />
              <NumberInput clampBehavior="none" label="Consume rate" description="bytes/s, at least 1024" min={1024} value={form.consumerByteRate} onChange={set('consumerByteRate')} error={err['consumerByteRate']} />
              <NumberInput clampBehavior="none" label="Request share" description="% of a broker thread" min={1} value={form.requestPercentage} onChange={set('requestPercentage')} error={err['requestPercentage']} />
              <Group mt={24} gap="xs" align="flex-start">
                <Button type="submit" loading={save.isPending}>{editing ? 'Save rates' : 'Add quota'}</Button>
                {editing && <Button variant="default" onClick={() => { setEditing(null); setForm(EMPTY_CLIENT); save.reset(); }}>Cancel</Button>}
              </Group>
            </SimpleGrid>
            {message && <Alert mt="sm" color="red" role="alert" title="The quota was not saved">{message}</Alert>}
          </form>
        )}
        <QueryState query={quotas} label="client quotas" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No client quotas: clients are limited only by the instance's bandwidth.</Text>}>
          {(data) => (
            <DataTable label="Client quotas" minWidth={600} rows={data.items} rowKey={(q) => q.id} columns={[
              { header: 'Applies to', cell: who },
              { header: 'Produce', cell: (q) => rate(q.producerByteRate) },
              { header: 'Consume', cell: (q) => rate(q.consumerByteRate) },
              { header: 'Request share', cell: (q) => (q.requestPercentage === null ? '—' : `${q.requestPercentage}%`) },
              ...(can.mutate(session.role) ? [{
                header: 'Actions', hideHeader: true, cell: (q: ClientQuota) => (
                  <RowActions what={`quota of ${who(q)}`} onDelete={() => remove.mutate(q.id)} onEdit={() => {
                    setEditing(q);
                    setForm({ user: q.user ?? '', clientId: q.clientId ?? '', producerByteRate: q.producerByteRate ?? '', consumerByteRate: q.consumerByteRate ?? '', requestPercentage: q.requestPercentage ?? '' });
                  }} />
                ),
              }] : []),
            ]} />
          )}
        </QueryState>
        {remove.error ? <ProblemAlert error={remove.error} title="Quota not deleted" /> : null}
      </Stack>
    </Card>
  );
}

interface GroupForm { group: string; maxMembers: number | string; consumerByteRate: number | string }
const EMPTY_GROUP: GroupForm = { group: '', maxMembers: '', consumerByteRate: '' };

function GroupQuotas({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<GroupForm>(EMPTY_GROUP);
  // Editing replaces an existing quota's limits (its group stays, as the API says).
  const [editing, setEditing] = useState<ConsumerGroupQuota | null>(null);
  const quotas = useQuery({
    queryKey: ['group-quotas', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id: instance.id }, query: { limit: 200 } } })),
  });
  const limits = () => ({ maxMembers: opt(form.maxMembers), consumerByteRate: opt(form.consumerByteRate) });
  const save = useMutation({
    mutationFn: async () => editing
      ? unwrap(await api.PUT('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: instance.id, key: editing.id } }, headers: { 'if-match': editing.etag }, body: limits() }))
      : unwrap(await api.POST('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id: instance.id } }, body: { group: form.group, ...limits() } })),
    onSuccess: async () => {
      setForm(EMPTY_GROUP);
      setEditing(null);
      await queryClient.invalidateQueries({ queryKey: ['group-quotas', instance.id] });
    },
    onError: (e) => (isStale(e) ? queryClient.invalidateQueries({ queryKey: ['group-quotas', instance.id] }) : undefined),
  });
  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: instance.id, key } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['group-quotas', instance.id] }),
  });
  const err = fieldErrors(save.error);
  const message = formLevelMessage(save.error, Object.keys(form));
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Consumer-group quotas</Title>
      <Stack>
        {can.mutate(session.role) && (
          <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label={editing ? 'Edit consumer-group quota' : 'New consumer-group quota'} noValidate>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
              <TextInput label="Group" value={form.group} disabled={editing !== null} onChange={(e) => { const group = e.currentTarget.value; setForm((f) => ({ ...f, group })); }} error={err['group']} />
              <NumberInput clampBehavior="none" label="Max members" min={1} value={form.maxMembers} onChange={(v) => setForm((f) => ({ ...f, maxMembers: v }))} error={err['maxMembers']} />
              <NumberInput clampBehavior="none" label="Group consume rate" description="bytes/s" min={1024} value={form.consumerByteRate} onChange={(v) => setForm((f) => ({ ...f, consumerByteRate: v }))} error={err['consumerByteRate']} />
              <Group mt={24} gap="xs" align="flex-start">
                <Button type="submit" loading={save.isPending}>{editing ? 'Save limits' : 'Add group quota'}</Button>
                {editing && <Button variant="default" onClick={() => { setEditing(null); setForm(EMPTY_GROUP); save.reset(); }}>Cancel</Button>}
              </Group>
            </SimpleGrid>
            {message && <Alert mt="sm" color="red" role="alert" title={editing ? 'The group quota was not changed' : 'The group quota was not added'}>{message}</Alert>}
          </form>
        )}
        <QueryState query={quotas} label="consumer-group quotas" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No consumer-group quotas.</Text>}>
          {(data) => (
            <DataTable label="Consumer-group quotas" minWidth={500} rows={data.items} rowKey={(q) => q.id} columns={[
              { header: 'Group', cell: (q) => q.group },
              { header: 'Max members', cell: (q) => q.maxMembers ?? '—' },
              { header: 'Consume rate', cell: (q) => rate(q.consumerByteRate) },
              ...(can.mutate(session.role) ? [{
                header: 'Actions', hideHeader: true, cell: (q: ConsumerGroupQuota) => (
                  <RowActions what={`group quota of ${q.group}`} onDelete={() => remove.mutate(q.id)} onEdit={() => {
                    setEditing(q);
                    setForm({ group: q.group, maxMembers: q.maxMembers ?? '', consumerByteRate: q.consumerByteRate ?? '' });
                  }} />
                ),
              }] : []),
            ]} />
          )}
        </QueryState>
        {remove.error ? <ProblemAlert error={remove.error} title="Group quota not deleted" /> : null}
      </Stack>
    </Card>
  );
}

/** A quota row's Edit and Delete buttons, named after the quota for screen readers. */
function RowActions({ what, onEdit, onDelete }: { what: string; onEdit(): void; onDelete(): void }) {
  return (
    <Group gap={4} wrap="nowrap">
      <Button size="compact-xs" variant="subtle" aria-label={`Edit ${what}`} onClick={onEdit}>Edit</Button>
      <ActionIcon variant="subtle" color="red" aria-label={`Delete ${what}`} onClick={onDelete}><span aria-hidden="true">✕</span></ActionIcon>
    </Group>
  );
}
