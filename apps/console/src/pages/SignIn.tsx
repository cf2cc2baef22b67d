import { useState } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { statusWithKey } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { probeRole, type Role } from '../auth/session.ts';

interface AccountPage { items: { id: string; name: string; accountId?: string }[] }

/** The account a key belongs to: its own account is the only one it lists, unless it is a platform admin. */
async function accountOf(key: string, role: Role): Promise<{ id: string | null; name: string | null }> {
  const get = async (path: string) => {
    const res = await fetch(path, { headers: { authorization: `Bearer ${key}` } });
    return res.ok ? (await res.json() as AccountPage) : null;
  };
  if (role === 'admin') {
    const keys = await get('/v1/api-keys?limit=1');
    const id = keys?.items[0]?.accountId ?? null;
    if (!id) return { id: null, name: null };
    const res = await fetch(`/v1/accounts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${key}` } });
    return { id, name: res.ok ? ((await res.json()) as { name: string }).name : null };
  }
  const accounts = await get('/v1/accounts?limit=2');
  const only = accounts?.items.length === 1 ? accounts.items[0] : undefined;
  return { id: only?.id ?? null, name: only?.name ?? null };
}

export function SignInPage() {
  const { session, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/instances';
  if (session) return <Navigate to={target} replace />;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const trimmed = key.trim();
    if (!trimmed) { setError('Enter an API key.'); return; }
    setPending(true);
    try {
      const role = await probeRole((method, path, body) => statusWithKey(trimmed, method, path, body));
      if (role === 'unauthenticated') { setError('This API key is unknown or revoked.'); return; }
      const account = await accountOf(trimmed, role);
      signIn({ key: trimmed, role, accountId: account.id, accountName: account.name });
      void navigate(target, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={420} component="main">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h3">Sign in to Tributary</Title>
            <Text size="sm" c="dimmed">Use an API key (trb_…). It is kept for this browser tab only and forgotten when you sign out or close the tab.</Text>
            <PasswordInput label="API key" value={key} onChange={(e) => setKey(e.currentTarget.value)} error={error} autoComplete="off" data-autofocus />
            <Button type="submit" loading={pending}>Sign in</Button>
            {!window.isSecureContext && <Alert color="yellow" title="Not a secure connection">The key travels in clear text over plain HTTP; use HTTPS outside this machine.</Alert>}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
