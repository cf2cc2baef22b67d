import { useEffect, useState } from 'react';
import { Alert, Button, Card, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { ProblemError, fieldErrors } from '../api/problem.ts';
import { useSignedIn } from '../auth/SessionContext.tsx';
import { can } from '../auth/session.ts';
import { PriceLines } from '../components/PriceLines.tsx';
import { QuoteSummary, useCreateQuote } from '../components/Quote.tsx';
import { SIZE_FIELDS, SizeFields } from '../components/SizeFields.tsx';
import { formatMoney, formatTime } from '../lib/format.ts';
import { sizeFromParams, sizeToParams, toSpec } from '../lib/spec-form.ts';

/**
 * A price inquiry before creating anything (every role may ask: POST /v1/billing/quotes is open to
 * all). The URL mirrors the size, so a quote can be shared; "Create with this" opens the create
 * form with the same size (for the roles that create instances).
 */
export default function QuoteCalculatorPage() {
  const session = useSignedIn();
  const [params, setParams] = useSearchParams();
  // The form's own state is the size and the URL only mirrors it: React Router applies a URL change
  // in a transition, and its setter reads the parameters of the last render, so with the URL as the
  // state two quick edits (brokers, then disk) each started from the older URL and the first was lost.
  const [size, setSize] = useState(() => sizeFromParams(params));
  useEffect(() => {
    const wanted = sizeToParams(size);
    if (wanted.toString() !== params.toString()) setParams(wanted, { replace: true });
  }, [size, params, setParams]);
  const quote = useCreateQuote(toSpec(size));
  const q = quote.data;
  // The quote's field problems (a disk not in steps of 100, a topic limit above the partition limit) beside the fields.
  const errors = quote.error && !quote.isFetching ? fieldErrors(quote.error, '/spec') : {};
  const unshown = quote.error instanceof ProblemError ? (quote.error.problem.errors ?? []).filter((e) => !SIZE_FIELDS.some((f) => e.path === `/spec/${f}`)) : [];
  return (
    <Stack maw={760}>
      <Title order={2}>Price calculator</Title>
      <Text size="sm" c="dimmed">What an instance of this size costs under the price book in effect now. Nothing is created or charged.</Text>
      <Paper withBorder p="md" component="form" aria-label="Instance size" onSubmit={(e) => e.preventDefault()}>
        <SizeFields value={size} onChange={setSize} errors={errors} />
      </Paper>
      <QuoteSummary quote={quote} periodMonths={size.periodMonths} />
      {unshown.length > 0 && <Alert color="red" role="alert" title="No price">{unshown.map((e) => `${e.path}: ${e.message}`).join(' — ')}</Alert>}
      {q && (
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h5">{q.mode === 'postpaid' ? 'Per hour' : 'Charged now'}</Title>
            <Text size="sm" fw={600} data-testid="quote-total">{formatMoney(q.totalMinor, q.currency)}</Text>
          </Group>
          <PriceLines lines={q.lines} currency={q.currency} label="Quote lines" />
          <Text size="xs" c="dimmed" mt="xs">price book {q.priceBookId} · quoted {formatTime(q.effectiveAt)}{q.mode === 'prepaid' ? ` · list ${formatMoney(q.monthlyEstimateMinor, q.currency)} per 730-hour month` : ''}</Text>
        </Card>
      )}
      {can.mutate(session.role) && q && !quote.error && (
        <Group justify="flex-end">
          <Button component={Link} to={`/instances/new?${sizeToParams(size).toString()}`}>Create with this</Button>
        </Group>
      )}
    </Stack>
  );
}
