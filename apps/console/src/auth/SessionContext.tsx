import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { setApiKey, setUnauthenticatedHandler } from '../api/client.ts';
import { clearSession, loadSession, saveSession, type Session } from './session.ts';

interface SessionValue { session: Session | null; signIn(s: Session): void; signOut(): void }
const Ctx = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => {
    const s = loadSession(sessionStorage);
    setApiKey(s?.key ?? null);
    return s;
  });
  const signIn = useCallback((s: Session) => {
    saveSession(sessionStorage, s);
    setApiKey(s.key);
    setSession(s);
  }, []);
  const signOut = useCallback(() => {
    clearSession(sessionStorage);
    setApiKey(null);
    // Nothing read with the old key may show to whoever signs in next.
    queryClient.clear();
    setSession(null);
  }, [queryClient]);
  useEffect(() => setUnauthenticatedHandler(signOut), [signOut]);
  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
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
