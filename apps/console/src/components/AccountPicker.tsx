import { Badge, Group, Select } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import { useSession, useSignedIn } from '../auth/SessionContext.tsx';
import { currentAccount } from '../auth/session.ts';

/**
 * A platform admin's choice of account (GET /v1/accounts lists every account for it). Choosing one
 * scopes every call to it (Tributary-Account) and opens its instances: the screen shown before
 * belonged to the other account.
 */
export default function AccountPicker() {
  const session = useSignedIn();
  const { switchAccount } = useSession();
  const navigate = useNavigate();
  const accounts = useQuery({
    queryKey: ['accounts', 'picker'],
    queryFn: async () => unwrap(await api.GET('/v1/accounts', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
  const current = currentAccount(session);
  const data = (accounts.data?.items ?? (current ? [current] : [])).map((a) => ({ value: a.id, label: a.id === session.accountId ? `${a.name} (own)` : a.name }));
  return (
    <Group gap={6} wrap="nowrap">
      {session.acting && <Badge color="orange" variant="dot" tt="none" visibleFrom="sm">acting on</Badge>}
      <Select aria-label="Account" size="xs" w={180} searchable allowDeselect={false} data={data} value={current?.id ?? null}
        error={accounts.error ? true : undefined} title={accounts.error ? 'The accounts could not be listed' : undefined}
        onChange={(id) => {
          if (!id || id === current?.id) return;
          const chosen = accounts.data?.items.find((a) => a.id === id);
          if (!chosen) return;
          switchAccount(chosen.id === session.accountId ? null : { id: chosen.id, name: chosen.name });
          void navigate('/instances');
        }} />
    </Group>
  );
}
