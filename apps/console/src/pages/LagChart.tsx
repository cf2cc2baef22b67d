import { Card, Group, SegmentedControl, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.ts';
import { unwrap } from '../api/problem.ts';
import type { Instance } from '../api/types.ts';
import { LineChart } from '../components/LineChart.tsx';
import { QueryState } from '../components/States.tsx';

const RANGES = [{ value: '60', label: '1 hour' }, { value: '360', label: '6 hours' }, { value: '1440', label: '1 day' }, { value: '10080', label: '7 days' }];

/** The group's lag per topic over time, from the API's samples (GET …/lag-history), re-read as new samples come. */
export function LagChart({ instance, group }: { instance: Instance; group: string }) {
  const [minutes, setMinutes] = useState('60');
  const query = useQuery({
    queryKey: ['lag-history', instance.id, group, minutes],
    queryFn: async () => unwrap(await api.GET('/v1/instances/{id}/consumer-groups/{group}/lag-history', {
      params: { path: { id: instance.id, group }, query: { from: new Date(Date.now() - Number(minutes) * 60_000).toISOString() } },
    })),
    // New points arrive once per sampling interval (a minute by default): re-read at that pace, at most every 5 s.
    refetchInterval: (q) => Math.max(5_000, (q.state.data?.intervalSeconds ?? 60) * 1000),
  });
  const sameDay = Number(minutes) <= 1440;
  const formatX = (ms: number) => (sameDay ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(ms).toLocaleDateString());
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={4} size="h5">Lag over time</Title>
        <SegmentedControl aria-label="Lag chart range" size="xs" value={minutes} onChange={setMinutes} data={RANGES} />
      </Group>
      <QueryState query={query} label="lag history" isEmpty={(d) => d.series.every((s) => s.points.length === 0)}
        empty={<Text size="sm">No samples in this range yet: lag is sampled every {query.data?.intervalSeconds ?? 60} s while the group has committed offsets.</Text>}>
        {(h) => (
          <>
            <LineChart label={`Lag of ${group} per topic`} unit="lag (records)" formatX={formatX}
              series={h.series.map((s) => ({ name: s.topic, points: s.points.map((p) => ({ x: Date.parse(p.at), y: p.lag })) }))} />
            <Text size="xs" c="dimmed">one point per topic every {h.intervalSeconds} s; kept {h.retentionHours} h</Text>
          </>
        )}
      </QueryState>
    </Card>
  );
}
