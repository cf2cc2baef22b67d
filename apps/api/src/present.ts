import { createHash } from 'node:crypto';
import { INSTANCE_SASL_MECHANISMS, type Instance, type InstanceSecurityProtocol, type Topic } from '@tributary/contracts';
import { etagOf } from './http.ts';
import type { InstanceRow, TopicRow } from './store/types.ts';

/** A short digest of what a resource shows beyond its own row's version (the status the operator writes). */
const digest = (values: unknown[]) => createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 12);

/** An instance's ETag: its row's version and a digest of its status (the operator's row) and billing state. */
export function instanceEtag(r: InstanceRow): string {
  return etagOf(r.id, r.version, digest([r.phase, r.observedGeneration, r.statusBrokers, r.clientBootstrapServers, r.clientSecurityProtocol, r.conditions, r.billingStatus, r.billingExpiresAt]));
}

export function presentInstance(r: InstanceRow): Instance {
  return {
    id: r.id, accountId: r.accountId, name: r.name, labels: r.labels, generation: r.generation, spec: r.spec,
    status: {
      phase: r.phase as Instance['status']['phase'], observedGeneration: r.observedGeneration, brokers: r.statusBrokers,
      // Only the client endpoint, where SASL/SCRAM is required; the internal one is never shown.
      bootstrapServers: r.clientBootstrapServers,
      securityProtocol: r.clientBootstrapServers ? ((r.clientSecurityProtocol ?? 'SASL_PLAINTEXT') as InstanceSecurityProtocol) : null,
      saslMechanisms: [...INSTANCE_SASL_MECHANISMS],
      saslBootstrapServers: r.clientBootstrapServers,
      conditions: r.conditions as Instance['status']['conditions'],
    },
    billingState: {
      status: r.billingStatus, startedAt: r.billingStartedAt.toISOString(), expiresAt: r.billingExpiresAt?.toISOString() ?? null,
      pendingChange: r.pending
        ? { spec: { ...r.spec, ...r.pending.size }, requestedAt: r.pending.requestedAt.toISOString(), appliesAt: r.pending.effectiveAt?.toISOString() ?? null }
        : null,
    },
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), etag: instanceEtag(r),
  };
}

export function presentTopic(r: TopicRow): Topic {
  return {
    id: r.id, instanceId: r.instanceId, name: r.name, partitions: r.partitions, replicationFactor: r.replicationFactor,
    configs: r.configs, labels: r.labels, generation: r.generation,
    status: { phase: r.phase as Topic['status']['phase'], observedGeneration: r.observedGeneration },
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), etag: etagOf(r.id, r.version, digest([r.phase, r.observedGeneration])),
  };
}
