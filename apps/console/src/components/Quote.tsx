import { Paper, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { api } from '../api/client.ts';
import { ProblemError, unwrap } from '../api/problem.ts';
import type { InstanceSpec } from '../api/types.ts';
import { formatMoney, formatTime } from '../lib/format.ts';

/** The price of a new instance of `spec` from the API's price book (nothing is created), asked once typing pauses. */
export function useCreateQuote(spec: InstanceSpec) {
  const [quoted] = useDebouncedValue(spec, 300);
  return useQuery({
    queryKey: ['quote', quoted],
    queryFn: async () => unwrap(await api.POST('/v1/billing/quotes', { body: { kind: 'create', spec: quoted } })),
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** One line of text for a new instance's quote: per hour (postpaid) or due now for the period (prepaid). */
export function QuoteSummary({ quote, periodMonths }: { quote: ReturnType<typeof useCreateQuote>; periodMonths: number }) {
  const q = quote.data;
  return (
    <Paper withBorder p="sm" role="region" aria-label="Price quote" aria-live="polite">
      {q ? (
        <Text size="sm">
          {q.mode === 'postpaid'
            ? `${formatMoney(q.hourlyMinor, q.currency)} per hour (about ${formatMoney(q.monthlyEstimateMinor, q.currency)} per month)`
            : `${formatMoney(q.totalMinor, q.currency)} now for ${periodMonths} month(s) (list ${formatMoney(q.hourlyMinor, q.currency)} per hour)`}
          {quote.isFetching ? ' …' : ''}
        </Text>
      ) : quote.error ? <Text size="sm">No price for this size: {quote.error instanceof ProblemError ? quote.error.problem.detail : quote.error instanceof Error ? quote.error.message : 'the quote failed'}</Text> : <Text size="sm">Pricing…</Text>}
      {q && q.periodStart && q.periodEnd && <Text size="xs" c="dimmed">period {formatTime(q.periodStart)} – {formatTime(q.periodEnd)}</Text>}
    </Paper>
  );
}
