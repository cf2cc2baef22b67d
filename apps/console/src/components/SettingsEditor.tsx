import { useState } from 'react';
import { ActionIcon, Alert, Button, Card, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { fieldErrors, formLevelMessage } from '../api/problem.ts';
import { configDiff } from '../lib/config-diff.ts';
import { configsFromRows } from '../lib/topic-configs.ts';

/**
 * Kafka settings (a topic's configs, an instance's broker settings) edited as rows; "Review changes"
 * shows what will be added, changed and unset (a removed row unsets the key: the default applies),
 * and only then `onApply` sends the whole map. `fieldPrefix` is where the API's field messages for
 * the map point (`/configs`, `/spec/brokerConfig`), so each shows beside its value.
 */
export function SettingsEditor({ title, what, current, help, editable, fieldPrefix, defaultLabel, onApply }: {
  title: string;
  /** names the preview region and buttons apart from other forms on the page ("Settings", "Broker settings") */
  what: string;
  current: Readonly<Record<string, string>>;
  help: Readonly<Record<string, string>>;
  editable: boolean;
  fieldPrefix: string;
  /** what an unset key falls back to, as the preview says it */
  defaultLabel: string;
  onApply: { mutate(after: Record<string, string>, opts: { onSuccess(): void }): void; isPending: boolean; error: unknown; reset(): void };
}) {
  const initial = () => Object.entries(current).map(([key, value]) => ({ key, value }));
  const [rows, setRows] = useState(initial);
  const [reviewing, setReviewing] = useState(false);
  const after = configsFromRows(rows);
  const changes = configDiff(current, after);
  const err = fieldErrors(onApply.error, fieldPrefix);
  const message = formLevelMessage(onApply.error, rows.map((r) => r.key), fieldPrefix);
  const names = Object.keys(help);
  return (
    <Card withBorder>
      <Stack>
        <Title order={3} size="h5">{title}</Title>
        {rows.length === 0 && <Text size="sm" c="dimmed">Every setting is the default.</Text>}
        {rows.map((row, idx) => (
          <Group key={idx} align="flex-start" wrap="nowrap">
            <Select label="Setting" data={names} value={row.key || null} searchable w={260} disabled={!editable}
              onChange={(v) => setRows((rs) => rs.map((r, j) => (j === idx ? { ...r, key: v ?? '' } : r)))}
              description={row.key ? help[row.key] : 'choose a Kafka setting'} />
            <TextInput label="Value" value={row.value} style={{ flex: 1 }} disabled={!editable} error={row.key ? err[row.key] : undefined}
              onChange={(e) => { const value = e.currentTarget.value; setRows((rs) => rs.map((r, j) => (j === idx ? { ...r, value } : r))); }} />
            {editable && <ActionIcon mt={28} variant="subtle" color="red" aria-label={`Unset ${row.key || `setting ${idx + 1}`}`} onClick={() => setRows((rs) => rs.filter((_, j) => j !== idx))}><span aria-hidden="true">✕</span></ActionIcon>}
          </Group>
        ))}
        {editable && (
          <Group>
            <Button variant="light" size="xs" onClick={() => setRows((rs) => [...rs, { key: '', value: '' }])}>Add setting</Button>
            <Button size="xs" variant="default" onClick={() => { setRows(initial()); setReviewing(false); onApply.reset(); }}>Discard edits</Button>
            <Button size="xs" disabled={changes.length === 0} onClick={() => setReviewing(true)}>Review changes</Button>
          </Group>
        )}
        {reviewing && (
          <Paper withBorder p="sm" role="region" aria-label={`${what} change preview`}>
            <Stack gap="xs">
              <Text fw={500} size="sm">{changes.length} change(s) to apply</Text>
              <Table aria-label={`${what} changes`}>
                <Table.Thead><Table.Tr><Table.Th>Setting</Table.Th><Table.Th>Now</Table.Th><Table.Th>After</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {changes.map((c) => (
                    <Table.Tr key={c.key}>
                      <Table.Td>{c.key}</Table.Td>
                      <Table.Td>{c.kind === 'added' ? <Text size="sm" c="dimmed">default</Text> : c.before}</Table.Td>
                      <Table.Td>{c.kind === 'unset' ? <Text size="sm" c="dimmed">unset ({defaultLabel})</Text> : c.after}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              {message && <Alert color="red" role="alert" title={`${what} not applied`}>{message}</Alert>}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setReviewing(false)}>Back to editing</Button>
                <Button onClick={() => onApply.mutate(after, { onSuccess: () => setReviewing(false) })} loading={onApply.isPending}>Apply changes</Button>
              </Group>
            </Stack>
          </Paper>
        )}
      </Stack>
    </Card>
  );
}
