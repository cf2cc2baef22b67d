import { useState } from 'react';
import { Alert, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { fieldErrors, unwrap } from '../api/problem.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { CopyField, ScrollTable } from '../components/Bits.tsx';
import { NoticeAlert, ProblemAlert, QueryState } from '../components/States.tsx';
import { formatTime } from '../lib/format.ts';

/** API keys of the account (admins only): the secret is in the create response only, shown once. */
export default function ApiKeysPage() {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'admin' | 'operator' | 'viewer' | 'billing'>('viewer');
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: async () => unwrap(await api.GET('/v1/api-keys', { params: { query: { limit: 200 } } })),
    enabled: can.manageKeys(session.role),
  });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/api-keys', { body: { name, role } })),
    onSuccess: async (k) => { setSecret({ name: k.name, secret: k.secret }); setName(''); await queryClient.invalidateQueries({ queryKey: ['api-keys'] }); },
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  if (!can.manageKeys(session.role)) return <NoticeAlert title="Admins only">Your role ({session.role}) cannot manage API keys.</NoticeAlert>;
  const err = fieldErrors(create.error);
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      {secret && (
        <Alert color="blue" title={`Secret of ${secret.name} — shown once`} withCloseButton closeButtonLabel="Dismiss" onClose={() => setSecret(null)}>
          <Text size="sm">Store it now: only its hash is kept, and it cannot be shown again.</Text>
          <CopyField label={`secret of ${secret.name}`} value={secret.secret} />
        </Alert>
      )}
      <Card withBorder>
        <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <Group align="flex-start">
            <TextInput label="Key name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={err['name']} w={260} />
            <Select label="Role" data={['admin', 'operator', 'viewer', 'billing']} value={role} onChange={(v) => v && setRole(v as typeof role)} allowDeselect={false} error={err['role']} w={160} />
            <Button type="submit" mt={24} loading={create.isPending}>Create key</Button>
          </Group>
          {create.error && !err['name'] && !err['role'] ? <ProblemAlert error={create.error} title="No key created" /> : null}
        </form>
      </Card>
      <QueryState query={keys} label="API keys" isEmpty={(d) => d.items.length === 0} empty={<Text size="sm">No keys.</Text>}>
        {(data) => (
          <ScrollTable minWidth={700} label="API keys">
            <Table striped aria-label="API keys">
              <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Role</Table.Th><Table.Th>Prefix</Table.Th><Table.Th>Created</Table.Th><Table.Th>Last used</Table.Th><Table.Th>Revoke</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {data.items.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>{k.name}</Table.Td><Table.Td>{k.role}</Table.Td><Table.Td><code>trb_{k.prefix}_…</code></Table.Td>
                    <Table.Td>{formatTime(k.createdAt)}</Table.Td><Table.Td>{formatTime(k.lastUsedAt)}</Table.Td>
                    <Table.Td><Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(k.id)} aria-label={`Revoke key ${k.name}`}>Revoke</Button></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </QueryState>
      {revoke.error ? <ProblemAlert error={revoke.error} title="Not revoked" /> : null}
    </Stack>
  );
}
