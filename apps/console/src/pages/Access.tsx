import { useState } from 'react';
import { ActionIcon, Alert, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import type { Instance } from '../api/types.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { CopyField, ScrollTable } from '../components/Bits.tsx';
import { ProblemAlert, QueryState } from '../components/States.tsx';
import { generatePassword } from '../lib/offsets.ts';

/** SCRAM users of an instance and the ACLs that apply to them, in Kafka's model. */
export default function AccessTab({ instance }: { instance: Instance }) {
  return <Stack><Users instance={instance} /><Acls instance={instance} /></Stack>;
}

function Users({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<{ name: string; password: string; rotated?: boolean } | null>(null);
  const users = useQuery({
    queryKey: ['users', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/users', { params: { path: { id: instance.id }, query: { limit: 200 } } })),
  });
  const create = useMutation({
    // The password is made here and sent once; the API keeps only its salted form, so it is shown once.
    mutationFn: async () => {
      const password = generatePassword();
      await unwrap(await api.POST('/v1/instances/{id}/users', { params: { path: { id: instance.id } }, body: { name, password, mechanism: 'SCRAM-SHA-512', iterations: 8192 } }));
      return { name, password };
    },
    onSuccess: async (created) => {
      setShown(created);
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['users', instance.id] });
    },
  });
  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/v1/instances/{id}/users/{key}', { params: { path: { id: instance.id, key } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users', instance.id] }),
  });
  const rotate = useMutation({
    // A new password made here, sent once and shown once, like a new user's (never kept in the browser).
    mutationFn: async (userName: string) => {
      const password = generatePassword();
      await unwrap(await api.PUT('/v1/instances/{id}/users/{key}', { params: { path: { id: instance.id, key: userName } }, body: { password } }));
      return { name: userName, password, rotated: true };
    },
    onSuccess: (rotated) => setShown(rotated),
  });
  const err = fieldErrors(create.error);
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">Users (SCRAM)</Title>
      <Stack>
        {shown && (
          <Alert color="blue" title={`${shown.rotated ? 'New password' : 'Password'} of ${shown.name} — shown once`} withCloseButton closeButtonLabel="Dismiss" onClose={() => setShown(null)}>
            <Text size="sm">Store it now: Tributary keeps only a salted form and cannot show it again.</Text>
            <CopyField label={`password of ${shown.name}`} value={shown.password} />
          </Alert>
        )}
        {can.mutate(session.role) && (
          <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
            <Group align="flex-start">
              <TextInput label="New user name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={err['name'] ?? (create.error && !err['name'] ? formLevelMessage(create.error, []) : undefined)} w={280} />
              <Button type="submit" mt={24} loading={create.isPending}>Create user</Button>
            </Group>
          </form>
        )}
        <QueryState query={users} label="users" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No users yet. Clients log in on the instance's endpoint as one of them.</Text>}>
          {(data) => (
            <ScrollTable minWidth={400} label="Users">
              <Table aria-label="Users">
                <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Mechanism</Table.Th><Table.Th>Principal</Table.Th>{can.mutate(session.role) && <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>}</Table.Tr></Table.Thead>
                <Table.Tbody>
                  {data.items.map((u) => (
                    <Table.Tr key={u.id}>
                      <Table.Td>{u.name}</Table.Td><Table.Td>{u.mechanism}</Table.Td><Table.Td>User:{u.name}</Table.Td>
                      {can.mutate(session.role) && (
                        <Table.Td>
                          <Group gap="xs" wrap="nowrap">
                            <Button size="xs" variant="subtle" loading={rotate.isPending && rotate.variables === u.name} onClick={() => rotate.mutate(u.name)}>Rotate password of {u.name}</Button>
                            <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(u.name)}>Delete {u.name}</Button>
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
        {remove.error ? <ProblemAlert error={remove.error} title="User not deleted" /> : null}
        {rotate.error ? <ProblemAlert error={rotate.error} title="Password not rotated" /> : null}
      </Stack>
    </Card>
  );
}

// Kafka's ACL model (kafka.security.authorizer): resource, pattern, principal, host, operation, permission.
const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'] as const;

function Acls({ instance }: { instance: Instance }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ resourceType: 'TOPIC' as (typeof RESOURCE_TYPES)[number], resourceName: '', patternType: 'LITERAL' as 'LITERAL' | 'PREFIXED', principal: 'User:', host: '*', operation: 'READ' as (typeof OPERATIONS)[number], permissionType: 'ALLOW' as 'ALLOW' | 'DENY' });
  const acls = useQuery({
    queryKey: ['acls', instance.id],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/acls', { params: { path: { id: instance.id }, query: { limit: 200 } } })),
  });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances/{id}/acls', { params: { path: { id: instance.id } }, body: { ...form, resourceName: form.resourceType === 'CLUSTER' ? 'kafka-cluster' : form.resourceName } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['acls', instance.id] }),
  });
  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/v1/instances/{id}/acls/{key}', { params: { path: { id: instance.id, key } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['acls', instance.id] }),
  });
  const err = fieldErrors(create.error);
  const set = <K extends keyof typeof form>(k: K) => (v: string | null) => v !== null && setForm((f) => ({ ...f, [k]: v }));
  const message = formLevelMessage(create.error, Object.keys(form));
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">ACLs</Title>
      <Stack>
        {can.mutate(session.role) && (
          <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
              <Select label="Resource type" data={[...RESOURCE_TYPES]} value={form.resourceType} onChange={set('resourceType')} allowDeselect={false} error={err['resourceType']} />
              <TextInput label="Resource name" value={form.resourceType === 'CLUSTER' ? 'kafka-cluster' : form.resourceName} disabled={form.resourceType === 'CLUSTER'} onChange={(e) => set('resourceName')(e.currentTarget.value)} error={err['resourceName']} />
              <Select label="Pattern" data={[{ value: 'LITERAL', label: 'Literal' }, { value: 'PREFIXED', label: 'Prefixed' }]} value={form.patternType} onChange={set('patternType')} allowDeselect={false} error={err['patternType']} />
              <TextInput label="Principal" description="User:<name>" value={form.principal} onChange={(e) => set('principal')(e.currentTarget.value)} error={err['principal']} />
              <TextInput label="Host" description="* for any" value={form.host} onChange={(e) => set('host')(e.currentTarget.value)} error={err['host']} />
              <Select label="Operation" data={[...OPERATIONS]} value={form.operation} onChange={set('operation')} allowDeselect={false} searchable error={err['operation']} />
              <Select label="Permission" data={['ALLOW', 'DENY']} value={form.permissionType} onChange={set('permissionType')} allowDeselect={false} error={err['permissionType']} />
              <Button type="submit" mt={24} loading={create.isPending}>Add ACL</Button>
            </SimpleGrid>
            {message && <Alert mt="sm" color="red" role="alert" title="The ACL was not added">{message}</Alert>}
          </form>
        )}
        <QueryState query={acls} label="ACLs" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No ACLs: users can do nothing on the instance until one allows it.</Text>}>
          {(data) => (
            <ScrollTable minWidth={700} label="ACLs">
              <Table striped aria-label="ACLs">
                <Table.Thead><Table.Tr><Table.Th>Principal</Table.Th><Table.Th>Permission</Table.Th><Table.Th>Operation</Table.Th><Table.Th>Resource</Table.Th><Table.Th>Pattern</Table.Th><Table.Th>Host</Table.Th>{can.mutate(session.role) && <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>}</Table.Tr></Table.Thead>
                <Table.Tbody>
                  {data.items.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>{a.principal}</Table.Td><Table.Td>{a.permissionType}</Table.Td><Table.Td>{a.operation}</Table.Td>
                      <Table.Td>{a.resourceType} {a.resourceName}</Table.Td><Table.Td>{a.patternType}</Table.Td><Table.Td>{a.host}</Table.Td>
                      {can.mutate(session.role) && <Table.Td><ActionIcon variant="subtle" color="red" aria-label={`Delete ACL ${a.permissionType} ${a.operation} on ${a.resourceType} ${a.resourceName} for ${a.principal}`} onClick={() => remove.mutate(a.id)}><span aria-hidden="true">✕</span></ActionIcon></Table.Td>}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
          )}
        </QueryState>
        {remove.error ? <ProblemAlert error={remove.error} title="ACL not deleted" /> : null}
      </Stack>
    </Card>
  );
}
