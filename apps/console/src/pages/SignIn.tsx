import { useState } from 'react';
import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { ProblemError, unwrap } from '../api/problem.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { sessionFromMe } from '../auth/session.ts';
import { NoticeAlert } from '../components/States.tsx';

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
      // The key is not the session's yet: it goes on this one request only.
      const me = unwrap(await api.GET('/v1/me', { headers: { authorization: `Bearer ${trimmed}` } }));
      signIn(sessionFromMe(trimmed, me));
      void navigate(target, { replace: true });
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) setError('This API key is unknown or revoked.');
      else if (err instanceof ProblemError && err.status === 429) setError(`Too many attempts from this address: ${err.message}`);
      else setError(err instanceof Error ? err.message : String(err));
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
            {!window.isSecureContext && <NoticeAlert title="Not a secure connection">The key travels in clear text over plain HTTP; use HTTPS outside this machine.</NoticeAlert>}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
