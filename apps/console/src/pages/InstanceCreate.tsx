import { useState } from 'react';
import { Alert, Button, Group, Paper, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { fieldErrors, formLevelMessage, unwrap } from '../api/problem.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { QuoteSummary, useCreateQuote } from '../components/Quote.tsx';
import { SIZE_FIELDS, SizeFields } from '../components/SizeFields.tsx';
import { sizeFromParams, toSpec } from '../lib/spec-form.ts';
import { NoticeAlert } from '../components/States.tsx';

/**
 * Create an instance, with a live price quote. The size starts from the URL's parameters (the price
 * calculator's "Create with this" links here with the size it priced), else from the defaults.
 */
export default function InstanceCreatePage() {
  const session = useSignedIn();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [name, setName] = useState('');
  const [size, setSize] = useState(() => sizeFromParams(params));
  const spec = toSpec(size);
  const quote = useCreateQuote(spec);
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/instances', { body: { name, labels: {}, spec } })),
    onSuccess: async (accepted) => {
      await queryClient.invalidateQueries({ queryKey: ['instances'] });
      void navigate(`/instances/${accepted.resource.id}`);
    },
  });
  if (!can.mutate(session.role)) return <NoticeAlert title="Read-only">Your role ({session.role}) cannot create instances.</NoticeAlert>;
  const topErr = fieldErrors(create.error);
  const formMessage = formLevelMessage(create.error, ['name', ...SIZE_FIELDS.map((f) => `spec/${f}`), 'spec']);

  return (
    <Stack maw={760}>
      <Title order={2}>Create instance</Title>
      <Paper withBorder p="md">
        <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }} noValidate>
          <Stack>
            <TextInput label="Name" description="lowercase letters, digits and -" value={name} onChange={(e) => setName(e.currentTarget.value)} error={topErr['name']} />
            <SizeFields value={size} onChange={setSize} errors={fieldErrors(create.error, '/spec')} />
            <QuoteSummary quote={quote} periodMonths={size.periodMonths} />
            {formMessage && <Alert color="red" role="alert" title="The instance was not created">{formMessage}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" component={Link} to="/instances">Cancel</Button>
              <Button type="submit" loading={create.isPending}>Create instance</Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
