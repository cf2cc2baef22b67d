import { useState } from 'react';
import { ActionIcon, Alert, Button, Card, Group, NumberInput, SimpleGrid, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { ClientQuota, Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { ScrollTable } from '../components/Bits.tsx';
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
      ? unwrap(await api.PUT('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id: instance.id, key: editing.id } }, body: rates() }))
      : unwrap(await api.POST('/v1/instances/{id}/client-quotas', { params: { path: { id: instance.id } }, body: { ...(form.user ? { user: form.user } : {}), ...(form.clientId ? { clientId: form.clientId } : {}), ...rates() } })),
    onSuccess: async () => {
      setForm(EMPTY_CLIENT);
      setEditing(null);
      await queryClient.invalidateQueries({ queryKey: ['client-quotas', instance.id] });
    },
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
            <ScrollTable minWidth={600} label="Client quotas">
              <Table striped aria-label="Client quotas">
                <Table.Thead><Table.Tr><Table.Th>Applies to</Table.Th><Table.Th>Produce</Table.Th><Table.Th>Consume</Table.Th><Table.Th>Request share</Table.Th>{can.mutate(session.role) && <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>}</Table.Tr></Table.Thead>
                <Table.Tbody>
                  {data.items.map((q) => (
                    <Table.Tr key={q.id}>
                      <Table.Td>{who(q)}</Table.Td><Table.Td>{rate(q.producerByteRate)}</Table.Td><Table.Td>{rate(q.consumerByteRate)}</Table.Td>
                      <Table.Td>{q.requestPercentage === null ? '—' : `${q.requestPercentage}%`}</Table.Td>
                      {can.mutate(session.role) && (
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            <Button size="compact-xs" variant="subtle" aria-label={`Edit quota of ${who(q)}`} onClick={() => {
                              setEditing(q);
                              setForm({ user: q.user ?? '', clientId: q.clientId ?? '', producerByteRate: q.producerByteRate ?? '', consumerByteRate: q.consumerByteRate ?? '', requestPercentage: q.requestPercentage ?? '' });
                            }}>Edit</Button>
                            <ActionIcon variant="subtle" color="red" aria-label={`Delete quota of ${who(q)}`} onClick={() => remove.mutate(q.id)}><span aria-hidden="true">✕</span></ActionIcon>
                          </Group>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
          )}
        </QueryState>
        {remove.error ? <ProblemAlert error={remove.error} title="Quota not deleted" /> : null}
      </Stack>
    </Card>
  );
}

function GroupQuotas({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<{ group: string; maxMembers: number | string; consumerByteRate: number | string }>({ group: '', maxMembers: '', consumerByteRate: '' });
  const quotas = useQuery({
    queryKey: ['group-quotas', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id: instance.id }, query: { limit: 200 } } })),
  });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/consumer-group-quotas', {
      params: { path: { id: instance.id } }, body: { group: form.group, maxMembers: opt(form.maxMembers), consumerByteRate: opt(form.consumerByteRate) },
    })),
    onSuccess: async () => {
      setForm({ group: '', maxMembers: '', consumerByteRate: '' });
      await queryClient.invalidateQueries({ queryKey: ['group-quotas', instance.id] });
    },
  });
  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: instance.id, key } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['group-quotas', instance.id] }),
  });
  const err = fieldErrors(create.error);
  const message = formLevelMessage(create.error, Object.keys(form));
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Consumer-group quotas</Title>
      <Stack>
        {can.mutate(session.role) && (
          <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }} aria-label="New consumer-group quota" noValidate>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
              <TextInput label="Group" value={form.group} onChange={(e) => { const group = e.currentTarget.value; setForm((f) => ({ ...f, group })); }} error={err['group']} />
              <NumberInput clampBehavior="none" label="Max members" min={1} value={form.maxMembers} onChange={(v) => setForm((f) => ({ ...f, maxMembers: v }))} error={err['maxMembers']} />
              <NumberInput clampBehavior="none" label="Group consume rate" description="bytes/s" min={1024} value={form.consumerByteRate} onChange={(v) => setForm((f) => ({ ...f, consumerByteRate: v }))} error={err['consumerByteRate']} />
              <Button type="submit" mt={24} loading={create.isPending}>Add group quota</Button>
            </SimpleGrid>
            {message && <Alert mt="sm" color="red" role="alert" title="The group quota was not added">{message}</Alert>}
          </form>
        )}
        <QueryState query={quotas} label="consumer-group quotas" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No consumer-group quotas.</Text>}>
          {(data) => (
            <ScrollTable minWidth={500} label="Consumer-group quotas">
              <Table striped aria-label="Consumer-group quotas">
                <Table.Thead><Table.Tr><Table.Th>Group</Table.Th><Table.Th>Max members</Table.Th><Table.Th>Consume rate</Table.Th>{can.mutate(session.role) && <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>}</Table.Tr></Table.Thead>
                <Table.Tbody>
                  {data.items.map((q) => (
                    <Table.Tr key={q.id}>
                      <Table.Td>{q.group}</Table.Td><Table.Td>{q.maxMembers ?? '—'}</Table.Td><Table.Td>{rate(q.consumerByteRate)}</Table.Td>
                      {can.mutate(session.role) && <Table.Td><ActionIcon variant="subtle" color="red" aria-label={`Delete group quota of ${q.group}`} onClick={() => remove.mutate(q.id)}><span aria-hidden="true">✕</span></ActionIcon></Table.Td>}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
          )}
        </QueryState>
        {remove.error ? <ProblemAlert error={remove.error} title="Group quota not deleted" /> : null}
      </Stack>
    </Card>
  );
}
