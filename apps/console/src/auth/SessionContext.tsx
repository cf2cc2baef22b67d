import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { setActingAccount, setApiKey, setUnauthenticatedHandler } from '../api/client.ts';
import { actOn, clearSession, loadSession, saveSession, type Account, type Session } from './session.ts';

interface SessionValue { session: Session | null; signIn(s: Session): void; signOut(): void; switchAccount(a: Account | null): void }
const Ctx = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => {
    const s = loadSession(sessionStorage);
    setApiKey(s?.key ?? null);
    setActingAccount(s?.acting?.id ?? null);
    return s;
  });
  const signIn = useCallback((s: Session) => {
    saveSession(sessionStorage, s);
    setApiKey(s.key);
    setActingAccount(s.acting?.id ?? null);
    setSession(s);
  }, []);
  // The header is set before the re-render: the queries that render next ask for the new account.
  const switchAccount = useCallback((a: Account | null) => {
    if (!session) return;
    const next = actOn(session, a);
    saveSession(sessionStorage, next);
    setActingAccount(next.acting?.id ?? null);
    setSession(next);
  }, [session]);
  const signOut = useCallback(() => {
    clearSession(sessionStorage);
    setApiKey(null);
    setActingAccount(null);
    // Nothing read with the old key may show to whoever signs in next.
    queryClient.clear();
    setSession(null);
  }, [queryClient]);
  useEffect(() => setUnauthenticatedHandler(signOut), [signOut]);
  const value = useMemo(() => ({ session, signIn, signOut, switchAccount }), [session, signIn, signOut, switchAccount]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
/** The signed-in session (the routes under RequireSession only render with one). */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (!session) throw new Error('not signed in');
  return session;
}
