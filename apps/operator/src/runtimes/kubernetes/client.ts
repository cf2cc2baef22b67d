import { KubernetesObjectApi, PatchStrategy, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { toKubeError } from './errors.ts';
import { collectionPath, KINDS, type KindInfo, type KindName } from './kinds.ts';
import { FIELD_MANAGER } from './labels.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Stops a watch; resolves once the connection is closed. */
export type StopWatch = () => void;

/**
 * One kind's calls, thin on purpose: every call goes to the API server as is, and every failure comes
 * back as a KubeError with a stable code. No caching, no retries; the reconciler decides those.
 */
export class KindClient<T extends KubernetesObject> {
  readonly info: KindInfo;
  readonly #api: KubernetesObjectApi;
  readonly #watch: Watch;

  constructor(info: KindInfo, api: KubernetesObjectApi, watch: Watch) {
    this.info = info;
    this.#api = api;
    this.#watch = watch;
  }

  /** Server-side apply as `tributary-operator`, forcing ownership of the fields we send. */
  async apply(obj: T): Promise<T> {
    this.#check(obj);
    try {
      return await this.#api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw toKubeError(err);
    }
  }

  async create(obj: T): Promise<T> {
    this.#check(obj);
    try {
      return await this.#api.create(obj, undefined, undefined, FIELD_MANAGER);
    } catch (err) {
      throw toKubeError(err);
    }
  }

  /** Replace guarded by `metadata.resourceVersion`: a stale object fails with code `Conflict`. */
  async replace(obj: T): Promise<T> {
    this.#check(obj);
    try {
      return await this.#api.replace(obj, undefined, undefined, FIELD_MANAGER);
    } catch (err) {
      throw toKubeError(err);
    }
  }

  /** The object, or null when it does not exist. */
  async get(namespace: string, name: string): Promise<T | null> {
    try {
      return await this.#api.read<T>({ apiVersion: this.info.apiVersion, kind: this.info.kind, metadata: { name, namespace } } as never);
    } catch (err) {
      const e = toKubeError(err);
      if (e.code === 'NotFound') return null;
      throw e;
    }
  }

  async list(namespace: string, labelSelector?: string): Promise<T[]> {
    try {
      const list = await this.#api.list<T>(this.info.apiVersion, this.info.kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      return list.items;
    } catch (err) {
      throw toKubeError(err);
    }
  }

  /** Deletes with background propagation (dependents go through the garbage collector). Returns false when already gone. */
  async delete(namespace: string, name: string): Promise<boolean> {
    try {
      await this.#api.delete({ apiVersion: this.info.apiVersion, kind: this.info.kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (err) {
      const e = toKubeError(err);
      if (e.code === 'NotFound') return false;
      throw e;
    }
  }

  /**
   * Streams changes of the objects matching `labelSelector`. Starts with ADDED for what exists (no
   * resourceVersion given). `onEnd` runs once when the stream ends for any reason, with the error if
   * any; restarting is the caller's choice (a periodic resync covers the gap).
   */
  async watch(namespace: string, labelSelector: string, onEvent: (e: WatchEvent<T>) => void, onEnd: (err: Error | null) => void): Promise<StopWatch> {
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      onEnd(err ? toKubeError(err) : null);
    };
    try {
      const controller = await this.#watch.watch(
        collectionPath(this.info, namespace),
        { labelSelector, allowWatchBookmarks: false },
        (type, object) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent({ type, object: object as T });
        },
        end,
      );
      return () => {
        ended = true;
        controller.abort();
      };
    } catch (err) {
      throw toKubeError(err);
    }
  }

  #check(obj: T): void {
    if (obj.apiVersion !== this.info.apiVersion || obj.kind !== this.info.kind) throw new Error(`${this.info.kind} client was given a ${obj.apiVersion}/${obj.kind}`);
  }
}

export type KubeClients = { [K in KindName]: KindClient<KubernetesObject> };

export function makeClients(kc: KubeConfig): KubeClients {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const watch = new Watch(kc);
  const out = {} as KubeClients;
  for (const name of Object.keys(KINDS) as KindName[]) out[name] = new KindClient(KINDS[name], api, watch);
  return out;
}
