import { lazy, Suspense } from 'react';
import { Anchor, Breadcrumbs, Center, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { instanceQuery } from '../api/screen-queries.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { PhaseBadge } from '../components/Bits.tsx';
import { QueryState } from '../components/States.tsx';
import { InstanceOverview } from './InstanceOverview.tsx';

const TopicsTab = lazy(() => import('./Topics.tsx'));
const GroupsTab = lazy(() => import('./Groups.tsx'));
const AccessTab = lazy(() => import('./Access.tsx'));
const QuotasTab = lazy(() => import('./Quotas.tsx'));

/** Tabs of an instance, each its own URL under /instances/:id. */
const TABS = [
  { value: 'overview', label: 'Overview' },
  { value: 'topics', label: 'Topics' },
  { value: 'groups', label: 'Consumer groups' },
  { value: 'access', label: 'Users & ACLs' },
  { value: 'quotas', label: 'Quotas' },
] as const;

export function useInstance(id: string) {
  return useQuery(instanceQuery(id));
}

export default function InstancePage() {
  const { id = '' } = useParams();
  const session = useSignedIn();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const query = useInstance(id);
  const base = `/instances/${id}`;
  const current = pathname.slice(base.length + 1).split('/')[0] || 'overview';
  const tabs = can.readInstanceContents(session.role) ? TABS : TABS.filter((t) => t.value === 'overview');
  return (
    <Stack>
      <Breadcrumbs aria-label="Breadcrumb"><Anchor component={Link} to="/instances">Instances</Anchor><Text>{query.data?.name ?? id}</Text></Breadcrumbs>
      <QueryState query={query} label="the instance">
        {(instance) => (
          <>
            <Group gap="sm"><Title order={2}>{instance.name}</Title><PhaseBadge phase={instance.status.phase} /></Group>
            <Tabs value={current} onChange={(v) => void navigate(!v || v === 'overview' ? base : `${base}/${v}`)} keepMounted={false}>
              <Tabs.List aria-label="Instance sections">
                {tabs.map((t) => <Tabs.Tab key={t.value} value={t.value}>{t.label}</Tabs.Tab>)}
              </Tabs.List>
            </Tabs>
            <Suspense fallback={<Center py="xl"><Loader aria-label="Loading" /></Center>}>
              <Routes>
                <Route index element={<InstanceOverview instance={instance} />} />
                <Route path="topics/*" element={<TopicsTab instance={instance} />} />
                <Route path="groups/*" element={<GroupsTab instance={instance} />} />
                <Route path="access" element={<AccessTab instance={instance} />} />
                <Route path="quotas" element={<QuotasTab instance={instance} />} />
              </Routes>
            </Suspense>
          </>
        )}
      </QueryState>
    </Stack>
  );
}
