import { createHash } from 'node:crypto';
import type { ScramCredential, ScramMechanismName } from '@tributary/protocol';
import type { CredentialStore } from '../security/credential-store.ts';
import { filterMatches, type AclBinding, type AclFilter } from '../security/acl.ts';
import type { AclStore } from '../security/acl-store.ts';
import { entityKey, type QuotaEntity, type QuotaEntry, type QuotaKey, type QuotaStore } from '../quota/quota-store.ts';
import type { ClusterView } from './cluster-view.ts';
import type { GroupConfigStore } from '../config/group-configs.ts';

/** What the stores need of the etcd coordination: the watched view and transactional writes. */
export interface ClusterKv {
  readonly view: ClusterView;
  writeKeys(changes: [string, string | null][]): Promise<void>;
}

type StoredCredential = { salt: string; storedKey: string; serverKey: string; iterations: number };
type StoredUser = Partial<Record<ScramMechanismName, StoredCredential>>;

const CREDENTIALS = 'credentials/';
const ACLS = 'acls/';
const QUOTAS = 'quotas/';
const GROUP_CONFIGS = 'group-configs/';
/** User names and quota entities may hold '/', which etcd keys under a prefix must not split on. */
const encode = (s: string) => encodeURIComponent(s);

/**
 * SCRAM credentials shared by every broker of a cluster: one key per user in etcd, read from the
 * watched view (logins never wait for etcd), written through it.
 */
export class EtcdCredentialStore implements CredentialStore {
  readonly #kv: ClusterKv;
  constructor(kv: ClusterKv) {
    this.#kv = kv;
  }

  #user(user: string): StoredUser {
    const raw = this.#kv.view.raw.get(CREDENTIALS + encode(user));
    return raw ? (JSON.parse(raw) as StoredUser) : {};
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | null {
    const c = this.#user(user)[mechanism];
    return c ? { salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations } : null;
  }

  describe(user: string): { mechanism: ScramMechanismName; iterations: number }[] {
    return Object.entries(this.#user(user)).map(([mechanism, c]) => ({ mechanism: mechanism as ScramMechanismName, iterations: c!.iterations }));
  }

  users(): string[] {
    return [...this.#kv.view.under(CREDENTIALS)].map(([k]) => decodeURIComponent(k)).sort();
  }

  async upsert(user: string, mechanism: ScramMechanismName, c: ScramCredential): Promise<void> {
    const next: StoredUser = { ...this.#user(user), [mechanism]: { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations } };
    await this.#kv.writeKeys([[CREDENTIALS + encode(user), JSON.stringify(next)]]);
  }

  async delete(user: string, mechanism: ScramMechanismName): Promise<boolean> {
    const current = this.#user(user);
    if (!current[mechanism]) return false;
    delete current[mechanism];
    await this.#kv.writeKeys([[CREDENTIALS + encode(user), Object.keys(current).length > 0 ? JSON.stringify(current) : null]]);
    return true;
  }
}

/** ACL bindings shared by every broker: one key per binding, named by a hash of the binding. */
export class EtcdAclStore implements AclStore {
  readonly #kv: ClusterKv;
  readonly #bindings: ParsedPrefix<AclBinding>;
  constructor(kv: ClusterKv) {
    this.#kv = kv;
    this.#bindings = new ParsedPrefix(kv, ACLS, 'acls');
  }

  /** Authorization reads this on every request. */
  all(): readonly AclBinding[] {
    return this.#bindings.values();
  }

  async add(bindings: AclBinding[]): Promise<void> {
    await this.#kv.writeKeys(bindings.map((b) => [ACLS + bindingId(b), JSON.stringify(b)]));
  }

  async remove(filters: AclFilter[]): Promise<AclBinding[][]> {
    const current = this.all();
    const removed = filters.map((f) => current.filter((a) => filterMatches(f, a)));
    const ids = new Set(removed.flat().map(bindingId));
    if (ids.size > 0) await this.#kv.writeKeys([...ids].map((id) => [ACLS + id, null]));
    return removed;
  }
}

/** Client and consumer-group quotas shared by every broker: one key per entity. */
export class EtcdQuotaStore implements QuotaStore {
  readonly #kv: ClusterKv;
  readonly #entries: ParsedPrefix<QuotaEntry>;
  constructor(kv: ClusterKv) {
    this.#kv = kv;
    this.#entries = new ParsedPrefix(kv, QUOTAS, 'quotas');
  }

  get version(): number {
    return this.#entries.version;
  }

  all(): readonly QuotaEntry[] {
    return this.#entries.values();
  }

  async alter(entity: QuotaEntity, set: Partial<Record<QuotaKey, number>>, remove: QuotaKey[]): Promise<void> {
    const key = QUOTAS + encode(entityKey(entity));
    const existing = this.all().find((e) => entityKey(e.entity) === entityKey(entity));
    const values = { ...existing?.values, ...set };
    for (const k of remove) delete values[k];
    await this.#kv.writeKeys([[key, Object.keys(values).length > 0 ? JSON.stringify({ entity, values }) : null]]);
  }
}

/**
 * KIP-848 group configs shared by every broker: one key per group with overrides. Under another
 * prefix the same store keeps the dynamic broker configs (one key per broker id, '' for the cluster
 * default: config/dynamic-broker-configs.ts).
 */
export class EtcdGroupConfigStore implements GroupConfigStore {
  readonly #kv: ClusterKv;
  readonly #prefix: string;
  constructor(kv: ClusterKv, prefix = GROUP_CONFIGS) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  get(group: string): Record<string, string> {
    const value = this.#kv.view.raw.get(this.#prefix + encode(group));
    return value ? (JSON.parse(value) as Record<string, string>) : {};
  }

  async set(group: string, configs: Record<string, string>): Promise<void> {
    await this.#kv.writeKeys([[this.#prefix + encode(group), Object.keys(configs).length > 0 ? JSON.stringify(configs) : null]]);
  }

  names(): string[] {
    return [...this.#kv.view.under(this.#prefix)].map(([k]) => decodeURIComponent(k));
  }
}

/** Prefix of the client metrics subscriptions (CLIENT_METRICS config resources) in etcd. */
export const CLIENT_METRICS_CONFIGS = 'client-metrics/';

/** Prefix of the dynamic broker configs (replication throttles) in etcd. */
export const BROKER_CONFIGS = 'broker-configs/';

/** The JSON values under one prefix of the watched view, parsed once per change of that prefix. */
class ParsedPrefix<T> {
  readonly #kv: ClusterKv;
  readonly #prefix: string;
  readonly #versionKey: string;
  #cache: { version: number; values: T[] } = { version: -1, values: [] };
  constructor(kv: ClusterKv, prefix: string, versionKey: string) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#versionKey = versionKey;
  }

  get version(): number {
    return this.#kv.view.versions.get(this.#versionKey) ?? 0;
  }

  values(): readonly T[] {
    const version = this.version;
    if (this.#cache.version !== version) this.#cache = { version, values: [...this.#kv.view.under(this.#prefix)].map(([, v]) => JSON.parse(v) as T) };
    return this.#cache.values;
  }
}

function bindingId(b: AclBinding): string {
  return createHash('sha256').update(JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission])).digest('hex').slice(0, 32);
}
