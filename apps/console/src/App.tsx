import { lazy, Suspense, type ReactNode } from 'react';
import { MantineProvider, createTheme, Loader, Center, type CSSVariablesResolver } from '@mantine/core';
import { QueryClient, QueryClientProvider, hashKey } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { SessionProvider, useSession } from './auth/SessionContext.tsx';
import { Layout } from './components/Layout.tsx';
import { ProblemError } from './api/problem.ts';
import { getActingAccount } from './api/client.ts';
import { SignInPage } from './pages/SignIn.tsx';

// Screens load on first visit: the first load carries the shell and sign-in only (bundle budget).
const InstancesPage = lazy(() => import('./pages/Instances.tsx'));
const InstanceCreatePage = lazy(() => import('./pages/InstanceCreate.tsx'));
const InstancePage = lazy(() => import('./pages/Instance.tsx'));
const ApiKeysPage = lazy(() => import('./pages/ApiKeys.tsx'));
const AuditPage = lazy(() => import('./pages/Audit.tsx'));
const BillingPage = lazy(() => import('./pages/Billing.tsx'));
const QuoteCalculatorPage = lazy(() => import('./pages/QuoteCalculator.tsx'));

// Shade 8 of blue: white text on the default shade 6 is 3.6:1, below WCAG AA's 4.5:1.
const theme = createTheme({ primaryColor: 'blue', primaryShade: { light: 8, dark: 8 }, defaultRadius: 'sm' });
// Mantine's default "dimmed" grey is below WCAG AA contrast (about 3.3:1 on white); one shade darker
// (lighter in dark mode) passes axe-core's color-contrast rule; so does red 9 for errors on white.
const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { '--mantine-color-dimmed': t.colors.gray[7]!, '--mantine-color-error': t.colors.red[9]! },
  dark: { '--mantine-color-dimmed': t.colors.dark[1]! },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; the network or a 5xx might.
      retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
      staleTime: 5_000,
      // Every query is scoped to the account acted on (a platform admin's account picker): the
      // same screen of another account is another cache entry, never the first account's data.
      queryKeyHashFn: (key) => hashKey([getActingAccount(), ...key]),
    },
  },
});

function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  if (!session) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Layout>{children}</Layout>;
}

const loading = <Center h={200}><Loader aria-label="Loading" /></Center>;

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <BrowserRouter>
            <Suspense fallback={loading}>
              <Routes>
                <Route path="/sign-in" element={<SignInPage />} />
                <Route path="/" element={<Navigate to="/instances" replace />} />
                <Route path="/instances" element={<RequireSession><InstancesPage /></RequireSession>} />
                <Route path="/instances/new" element={<RequireSession><InstanceCreatePage /></RequireSession>} />
                <Route path="/instances/:id/*" element={<RequireSession><InstancePage /></RequireSession>} />
                <Route path="/api-keys" element={<RequireSession><ApiKeysPage /></RequireSession>} />
                <Route path="/audit" element={<RequireSession><AuditPage /></RequireSession>} />
                <Route path="/billing" element={<RequireSession><BillingPage /></RequireSession>} />
                <Route path="/quote" element={<RequireSession><QuoteCalculatorPage /></RequireSession>} />
                <Route path="*" element={<RequireSession><NotFound /></RequireSession>} />
              </Routes>
            </Suspense>
          </BrowserRouter>
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}

function NotFound() {
  return <p>No such page. Use the navigation to find your way.</p>;
}
