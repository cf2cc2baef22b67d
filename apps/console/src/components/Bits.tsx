import { useState } from 'react';
import type { ReactNode } from 'react';
import { ActionIcon, Badge, Button, Code, CopyButton, Group, Modal, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { phaseColor } from '../lib/format.ts';

/** The phase in the page's text colour beside a coloured dot: Mantine's coloured badge texts fall below WCAG AA contrast. */
export const PhaseBadge = ({ phase }: { phase: string }) => <Badge color={phaseColor(phase)} variant="dot" tt="none">{phase}</Badge>;

/** A value to paste elsewhere (bootstrap servers, secrets) with a copy button that says it copied. */
export function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Code style={{ wordBreak: 'break-all' }} aria-label={label}>{value}</Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : `Copy ${label}`}>
            <ActionIcon variant="subtle" onClick={copy} aria-label={`Copy ${label}`}>
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

/** A destructive action confirmed by typing the resource's name (the button stays disabled until it matches). */
export function ConfirmByName({ opened, onClose, name, what, consequence, onConfirm, pending, error }: {
  opened: boolean; onClose(): void; name: string; what: string; consequence: string;
  onConfirm(): void; pending: boolean; error?: ReactNode;
}) {
  const [typed, setTyped] = useState('');
  return (
    <Modal opened={opened} onClose={() => { setTyped(''); onClose(); }} title={`Delete ${what} ${name}`} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <Text size="sm">{consequence}</Text>
        <TextInput label={`Type ${name} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-autofocus autoComplete="off" />
        {error}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => { setTyped(''); onClose(); }}>Cancel</Button>
          <Button color="red" disabled={typed !== name} loading={pending} onClick={onConfirm}>Delete {what}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const CopyIcon = () => (
  <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <rect x="9" y="9" width="12" height="12" rx="2" /><path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
  </svg>
);
const CheckIcon = () => (
  <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round"><path d="M5 12l5 5L20 7" /></svg>
);

/**
 * A table that scrolls sideways on narrow screens. The scrolling region is focusable and named, so
 * keyboard users can scroll it too (axe-core: scrollable-region-focusable).
 */
export function ScrollTable({ minWidth, label, children }: { minWidth: number; label: string; children: ReactNode }) {
  return <Table.ScrollContainer type="native" minWidth={minWidth} tabIndex={0} role="region" aria-label={`${label} (scrollable)`}>{children}</Table.ScrollContainer>;
}
