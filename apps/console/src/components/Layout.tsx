import { lazy, Suspense, type ReactNode } from 'react';
import { ActionIcon, AppShell, Badge, Burger, Button, Group, NavLink, Text, Title, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useLocation } from 'react-router';
import { useSignedIn, useSession } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';

// Only platform admins get the picker: loaded on demand, it keeps Mantine's combobox out of everyone's first load.
const AccountPicker = lazy(() => import('./AccountPicker.tsx'));

/** The frame of every signed-in screen: header (account, role, theme, sign-out) and navigation. */
export function Layout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const session = useSignedIn();
  const { signOut } = useSession();
  const { pathname } = useLocation();
  const nav = [
    { to: '/instances', label: 'Instances', show: true },
    { to: '/api-keys', label: 'API keys', show: can.manageKeys(session.role) },
    { to: '/audit', label: 'Audit log', show: can.readInstanceContents(session.role) },
    { to: '/billing', label: 'Billing', show: can.readBilling(session.role) },
    { to: '/quote', label: 'Price calculator', show: true },
  ];
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h4">Tributary</Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {session.platformAdmin ? <Suspense fallback={null}><AccountPicker /></Suspense> : session.accountName && <Text size="sm" visibleFrom="sm" c="dimmed">{session.accountName}</Text>}
            <Badge variant="light" aria-label={`role ${session.role}`}>{session.role}</Badge>
            <ThemeToggle />
            <Button variant="default" size="xs" onClick={signOut}>Sign out</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {nav.filter((n) => n.show).map((n) => (
          <NavLink key={n.to} component={Link} to={n.to} label={n.label} active={pathname.startsWith(n.to)} onClick={close} variant="filled" />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(next)} aria-label={`Switch to ${next} mode`} title={`Switch to ${next} mode`}>
      <span aria-hidden="true">{scheme === 'dark' ? '☀' : '☾'}</span>
    </ActionIcon>
  );
}
