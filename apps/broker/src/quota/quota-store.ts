import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Kafka's client-quota keys. */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
/** Keys of Tributary's consumer-group quotas (CKafka's group throttle rules; not a Kafka entity type). */
export const GROUP_QUOTA_KEYS = ['consumer_byte_rate', 'group_max_members'] as const;
/** The one key of Kafka's `ip` entity (KIP-612): new connections accepted per second from that address. */
export const IP_QUOTA_KEYS = ['connection_creation_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number] | (typeof GROUP_QUOTA_KEYS)[number] | (typeof IP_QUOTA_KEYS)[number];

/**
 * A quota entity as Kafka names it: a user, a client id, or both; `null` is the `<default>` entity of
 * that type; an absent type is not part of the entity (e.g. `{ user: 'alice' }` alone).
 */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
  /** A consumer group (entity type `consumer-group`, alone): its members' fetches share one byte rate. */
  group?: string;
  /** A client address (entity type `ip`, alone; `null` = `<default>`, every address without its own). */
  ip?: string | null;
}

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

/** Where client quotas live: a file on a standalone broker, etcd in a cluster (cluster/etcd-stores.ts). */
export interface QuotaStore {
  all(): readonly QuotaEntry[];
  /** Changes with every alteration, so that resolved quotas can be cached until then. */
  readonly version: number;
  /** Sets and removes values of one entity; an entity left without values disappears. */
  alter(entity: QuotaEntity, set: Partial<Record<QuotaKey, number>>, remove: QuotaKey[]): void | Promise<void>;
}

// The ip part is appended only when present, so that the keys of the other entities (etcd keys in a
// cluster: cluster/etcd-stores.ts) stay what they were before the ip entity existed.
export const entityKey = (e: QuotaEntity): string => {
  const parts: (string | null)[] = [e.user === undefined ? 'absent' : e.user, e.clientId === undefined ? 'absent' : e.clientId, e.group ?? 'absent'];
  if (e.ip !== undefined) parts.push('ip', e.ip);
  return JSON.stringify(parts);
};

export class FileQuotaStore implements QuotaStore {
  readonly #file: string;
  #entries: QuotaEntry[];
  version = 0;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'client-quotas.json');
    this.#entries = existsSync(this.#file) ? (JSON.parse(readFileSync(this.#file, 'utf8')) as QuotaEntry[]) : [];
  }

  all(): readonly QuotaEntry[] {
    return this.#entries;
  }

  alter(entity: QuotaEntity, set: Partial<Record<QuotaKey, number>>, remove: QuotaKey[]): void {
    const key = entityKey(entity);
    const existing = this.#entries.find((e) => entityKey(e.entity) === key);
    const values = { ...existing?.values, ...set };
    for (const k of remove) delete values[k];
    this.#entries = this.#entries.filter((e) => entityKey(e.entity) !== key);
    if (Object.keys(values).length > 0) this.#entries.push({ entity, values });
    this.version++;
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.#entries, null, 1));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
