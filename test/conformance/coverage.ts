import { expect } from 'vitest';
import { ApiKey, API_DEFINITIONS, type ApiVersionsResponse } from '@tributary/protocol';
import type { Pair } from './harness.ts';
import { sent } from './raw-client.ts';

/**
 * Which differential test file covers which API: each file checks, at its end, that it sent every
 * version of its APIs that Tributary advertises, to both brokers. protocol-data.test.ts checks
 * that every API Tributary advertises is owned by some file here.
 */
export const OWNERS: Record<string, number[]> = {
  'protocol-data': [
    ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.InitProducerId,
    ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.CreatePartitions, ApiKey.DeleteRecords, ApiKey.DescribeConfigs,
    ApiKey.AlterConfigs, ApiKey.IncrementalAlterConfigs, ApiKey.OffsetForLeaderEpoch, ApiKey.DescribeCluster,
    ApiKey.DescribeLogDirs, ApiKey.DescribeTopicPartitions, ApiKey.ListConfigResources,
  ],
  'protocol-groups-security': [
    ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit,
    ApiKey.OffsetFetch, ApiKey.ListGroups, ApiKey.DescribeGroups, ApiKey.DeleteGroups, ApiKey.OffsetDelete,
    ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.DescribeUserScramCredentials, ApiKey.AlterUserScramCredentials,
    ApiKey.DescribeClientQuotas, ApiKey.AlterClientQuotas, ApiKey.CreateAcls, ApiKey.DescribeAcls, ApiKey.DeleteAcls,
  ],
  'protocol-consumer-groups': [ApiKey.ConsumerGroupHeartbeat, ApiKey.ConsumerGroupDescribe],
  'protocol-reassignment': [ApiKey.AlterPartitionReassignments, ApiKey.ListPartitionReassignments, ApiKey.ElectLeaders, ApiKey.DescribeQuorum, ApiKey.UnregisterBroker, ApiKey.UpdateFeatures],
  'protocol-transactions': [
    ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.EndTxn, ApiKey.WriteTxnMarkers,
    ApiKey.DescribeTransactions, ApiKey.ListTransactions, ApiKey.DescribeProducers,
  ],
};

export interface Advertised {
  kafka: Map<number, { min: number; max: number }>;
  tributary: Map<number, { min: number; max: number }>;
}

export async function advertised(pair: Pair): Promise<Advertised> {
  const read = async (side: Pair['kafka']) => {
    const c = await side.client();
    const r = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'conformance', clientSoftwareVersion: '1' });
    return new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
  };
  return { kafka: await read(pair.kafka), tributary: await read(pair.tributary) };
}

/** Versions of `apiKey` that both brokers advertise (and our codecs know). */
export function common(adv: Advertised, apiKey: number): number[] {
  const k = adv.kafka.get(apiKey);
  const t = adv.tributary.get(apiKey);
  const ours = API_DEFINITIONS.get(apiKey)!.request;
  if (!k || !t) return [];
  const out = [];
  for (let v = Math.max(k.min, t.min, ours.minVersion); v <= Math.min(k.max, t.max, ours.maxVersion); v++) out.push(v);
  return out;
}

/** Versions Tributary advertises that Kafka 4.4 does not (Kafka 4 removed them, KIP-896). */
export function tributaryOnly(adv: Advertised, apiKey: number): number[] {
  const t = adv.tributary.get(apiKey);
  const k = adv.kafka.get(apiKey);
  if (!t) return [];
  const out = [];
  for (let v = t.min; v <= t.max; v++) if (!k || v < k.min || v > k.max) out.push(v);
  return out;
}

/** Fails naming every advertised version of the file's APIs that no scenario sent to both brokers. */
export function expectCovered(file: keyof typeof OWNERS, adv: Advertised): void {
  const missing: string[] = [];
  for (const apiKey of OWNERS[file]!) {
    const t = adv.tributary.get(apiKey);
    if (!t) continue;
    for (let v = t.min; v <= t.max; v++) {
      for (const target of ['kafka', 'tributary']) {
        if (!sent.get(target)?.has(`${apiKey}:${v}`)) missing.push(`${API_DEFINITIONS.get(apiKey)?.name ?? apiKey} v${v} → ${target}`);
      }
    }
  }
  expect(missing, 'advertised API versions no scenario sent').toEqual([]);
}

export function expectEveryApiOwned(adv: Advertised): void {
  const owned = new Set(Object.values(OWNERS).flat());
  const orphans = [...adv.tributary.keys()].filter((k) => !owned.has(k)).map((k) => API_DEFINITIONS.get(k)?.name ?? String(k));
  expect(orphans, 'APIs Tributary advertises that no differential test file covers (add scenarios and list them in coverage.ts)').toEqual([]);
}
