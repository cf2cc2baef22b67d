import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { KINDS, type KindInfo } from '../kinds.ts';
import { matchesSelector } from './selector.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- stored objects are arbitrary JSON, checked by schema */
type Obj = Record<string, any>;

const VALIDATORS: Record<string, (o: Obj) => void> = {
  ConfigMap: (o) => new ConfigMap(o as never).validate(),
  Secret: (o) => new Secret(o as never).validate(),
  Service: (o) => new Service(o as never).validate(),
  Pod: (o) => new Pod(o as never).validate(),
  StatefulSet: (o) => new StatefulSet(o as never).validate(),
  PodDisruptionBudget: (o) => new PodDisruptionBudget(o as never).validate(),
  NetworkPolicy: (o) => new NetworkPolicy(o as never).validate(),
};

/** StatefulSet fields the real API server refuses to change after creation. */
const IMMUTABLE_STS_FIELDS = ['selector', 'serviceName', 'volumeClaimTemplates', 'podManagementPolicy'] as const;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

interface Watcher {
  plural: string;
  namespace: string;
  selector: string | undefined;
  res: ServerResponse;
}

export interface RequestRecord {
  method: string;
  path: string;
  contentType: string | undefined;
  query: Record<string, string>;
}

/**
 * An in-process stand-in for the Kubernetes API server, for exactly the kinds the runtime uses. It
 * speaks the real wire format (paths, discovery, Status objects, watch streams) so that the real
 * @kubernetes/client-node talks to it unchanged. What it simulates and what it does not is listed in
 * the runtime's README ("The fake API server").
 */
export class FakeKubeApiServer {
  readonly #objects = new Map<string, Obj>();
  readonly #watchers = new Set<Watcher>();
  readonly requests: RequestRecord[] = [];
  #server: Server | null = null;
  #resourceVersion = 1000;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'operator', token: 'test-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'operator', namespace: 'default' }],
      currentContext: 'fake',
    });
    return kc;
  }

  // ---- test hooks -------------------------------------------------------------------------------

  get(kind: keyof typeof KINDS, namespace: string, name: string): Obj | undefined {
    const o = this.#objects.get(key(KINDS[kind].plural, namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  list(kind: keyof typeof KINDS, namespace: string): Obj[] {
    return [...this.#objects.values()].filter((o) => o.kind === kind && o.metadata.namespace === namespace).map((o) => structuredClone(o));
  }

  /**
   * Plays the StatefulSet controller and the kubelet for one StatefulSet: makes pods 0..replicas-1
   * exist (from the current template for new pods; existing pods keep theirs, as with OnDelete),
   * removes pods beyond replicas, marks the given ordinals Ready, and writes the StatefulSet status.
   */
  reconcileStatefulSet(namespace: string, name: string, readyOrdinals: Iterable<number>): void {
    const sts = this.#objects.get(key('statefulsets', namespace, name));
    if (!sts) throw new Error(`no StatefulSet ${namespace}/${name}`);
    const ready = new Set(readyOrdinals);
    const replicas: number = sts.spec.replicas ?? 1;
    for (const pod of this.list('Pod', namespace)) {
      const owned = pod.metadata.ownerReferences?.some((r: Obj) => r.uid === sts.metadata.uid);
      const ordinal = Number(pod.metadata.name.slice(name.length + 1));
      if (owned && ordinal >= replicas) this.#remove(pod);
    }
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      const existing = this.#objects.get(key('pods', namespace, podName));
      const template = sts.spec.template;
      const pod: Obj = existing
        ? structuredClone(existing)
        : {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: podName,
              namespace,
              labels: { ...template.metadata?.labels, 'statefulset.kubernetes.io/pod-name': podName },
              annotations: { ...template.metadata?.annotations },
              ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid: sts.metadata.uid, controller: true, blockOwnerDeletion: true }],
            },
            spec: structuredClone(template.spec),
          };
      pod.status = {
        phase: 'Running',
        podIP: `10.244.0.${i + 1}`,
        conditions: [{ type: 'Ready', status: ready.has(i) ? 'True' : 'False' }],
        containerStatuses: (pod.spec.containers as Obj[]).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: ready.has(i), restartCount: pod.status?.containerStatuses?.[0]?.restartCount ?? 0, started: true })),
      };
      this.#store(pod, existing ? 'MODIFIED' : 'ADDED');
    }
    const readyCount = [...ready].filter((i) => i < replicas).length;
    sts.status = { observedGeneration: sts.metadata.generation, replicas, readyReplicas: readyCount, availableReplicas: readyCount, currentReplicas: replicas, updatedReplicas: replicas };
    this.#store(sts, 'MODIFIED');
  }

  /** The kubelet's restart of a crashed container. */
  bumpRestartCount(namespace: string, podName: string): void {
    const pod = this.#objects.get(key('pods', namespace, podName));
    if (!pod) throw new Error(`no pod ${podName}`);
    for (const cs of pod.status?.containerStatuses ?? []) cs.restartCount += 1;
    this.#store(pod, 'MODIFIED');
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? '', path: url.pathname, contentType: req.headers['content-type'], query });
    try {
      if (req.headers.authorization !== 'Bearer test-token') throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const discovery = this.#discovery(url.pathname);
      if (discovery) return send(res, 200, discovery);
      const route = parsePath(url.pathname);
      if (!route) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      const { info, namespace, name } = route;
      const body = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readBody(req) : '';
      switch (req.method) {
        case 'GET':
          if (name) return send(res, 200, this.#getOrThrow(info, namespace, name));
          if (query.watch === 'true' || query.watch === '1') return this.#watch(info, namespace, query.labelSelector, query.resourceVersion, res);
          return send(res, 200, this.#list(info, namespace, query.labelSelector));
        case 'POST':
          if (name) break;
          return send(res, 201, this.#create(info, namespace, parseJson(body)));
        case 'PUT':
          if (!name) break;
          return send(res, 200, this.#replace(info, namespace, name, parseJson(body)));
        case 'PATCH':
          if (!name) break;
          return send(res, 200, this.#apply(info, namespace, name, req.headers['content-type'], query, body));
        case 'DELETE':
          if (!name) break;
          return send(res, 200, this.#delete(info, namespace, name));
      }
      throw new HttpError(405, 'MethodNotAllowed', `${req.method} is not supported on ${url.pathname}`);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', String(err));
      send(res, e.status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.status, details: routeDetails(req.url) });
    }
  }

  #discovery(path: string): Obj | null {
    const versions = new Set(Object.values(KINDS).map((k) => k.apiVersion));
    for (const v of versions) {
      const p = v.includes('/') ? `/apis/${v}` : `/api/${v}`;
      if (path !== p) continue;
      const resources = Object.values(KINDS)
        .filter((k) => k.apiVersion === v)
        .map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: true, kind: k.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }));
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: v, resources };
    }
    return null;
  }

  #getOrThrow(info: KindInfo, namespace: string, name: string): Obj {
    const o = this.#objects.get(key(info.plural, namespace, name));
    if (!o) throw new HttpError(404, 'NotFound', `${info.plural} "${name}" not found`);
    return o;
  }

  #list(info: KindInfo, namespace: string, selector: string | undefined): Obj {
    const items = [...this.#objects.values()].filter((o) => o.kind === info.kind && o.metadata.namespace === namespace && matchesSelector(o.metadata.labels ?? {}, selector));
    return { apiVersion: info.apiVersion, kind: `${info.kind}List`, metadata: { resourceVersion: String(this.#resourceVersion) }, items };
  }

  #create(info: KindInfo, namespace: string, obj: Obj): Obj {
    this.#checkIdentity(info, namespace, obj, obj.metadata?.name);
    if (this.#objects.has(key(info.plural, namespace, obj.metadata.name))) throw new HttpError(409, 'AlreadyExists', `${info.plural} "${obj.metadata.name}" already exists`);
    const created: Obj = { ...obj, metadata: { ...obj.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1 } };
    delete created.metadata.resourceVersion;
    if (info.kind !== 'Pod') delete created.status;
    this.#validate(info, created);
    return this.#store(created, 'ADDED');
  }

  #replace(info: KindInfo, namespace: string, name: string, obj: Obj): Obj {
    this.#checkIdentity(info, namespace, obj, name);
    const current = this.#getOrThrow(info, namespace, name);
    const rv = obj.metadata?.resourceVersion;
    if (!rv) throw new HttpError(422, 'Invalid', `${info.kind} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`);
    if (rv !== current.metadata.resourceVersion) throw conflict(info, name);
    return this.#update(info, current, obj);
  }

  /**
   * Server-side apply, simplified: one field manager owns everything it sends, so the applied
   * configuration replaces the object's spec/data wholesale while server-owned fields (uid,
   * creationTimestamp, status) are kept. No managedFields, no merging between managers.
   */
  #apply(info: KindInfo, namespace: string, name: string, contentType: string | undefined, query: Record<string, string>, body: string): Obj {
    if (contentType?.split(';')[0] !== 'application/apply-patch+yaml') throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got ${contentType})`);
    if (!query.fieldManager) throw new HttpError(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const obj = parseJson(body);
    this.#checkIdentity(info, namespace, obj, name);
    const current = this.#objects.get(key(info.plural, namespace, name));
    if (!current) return this.#create(info, namespace, obj);
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(info, name);
    return this.#update(info, current, obj);
  }

  #update(info: KindInfo, current: Obj, obj: Obj): Obj {
    const next: Obj = { ...obj, metadata: { ...obj.metadata, namespace: current.metadata.namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, generation: current.metadata.generation } };
    if (current.status !== undefined) next.status = current.status;
    if (info.kind === 'StatefulSet') {
      for (const f of IMMUTABLE_STS_FIELDS) {
        if (JSON.stringify(current.spec?.[f] ?? null) !== JSON.stringify(next.spec?.[f] ?? null)) {
          throw new HttpError(422, 'Invalid', `StatefulSet.apps "${current.metadata.name}" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden (changed: spec.${f})`);
        }
      }
    }
    if (JSON.stringify(current.spec ?? null) !== JSON.stringify(next.spec ?? null)) next.metadata.generation += 1;
    this.#validate(info, next);
    const unchanged = JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: undefined } }) === JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } });
    // Like the real server, a no-op write does not bump resourceVersion or wake watchers.
    if (unchanged) return current;
    return this.#store(next, 'MODIFIED');
  }

  #delete(info: KindInfo, namespace: string, name: string): Obj {
    const o = this.#getOrThrow(info, namespace, name);
    this.#remove(o);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: info.plural, uid: o.metadata.uid } };
  }

  /** Deletion plus the garbage collector: dependents (by owner reference uid) go too, recursively. */
  #remove(o: Obj): void {
    const plural = pluralOf(o.kind);
    this.#objects.delete(key(plural, o.metadata.namespace, o.metadata.name));
    this.#resourceVersion += 1;
    this.#notify('DELETED', { ...o, metadata: { ...o.metadata, resourceVersion: String(this.#resourceVersion) } });
    for (const dep of [...this.#objects.values()]) {
      if (dep.metadata.ownerReferences?.some((r: Obj) => r.uid === o.metadata.uid)) this.#remove(dep);
    }
  }

  #watch(info: KindInfo, namespace: string, selector: string | undefined, resourceVersion: string | undefined, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { plural: info.plural, namespace, selector, res };
    // Without a resourceVersion the real server first replays the current state as ADDED events.
    if (!resourceVersion) {
      for (const o of (this.#list(info, namespace, selector).items as Obj[])) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    }
    this.#watchers.add(watcher);
    res.on('close', () => this.#watchers.delete(watcher));
  }

  #notify(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: Obj): void {
    for (const w of this.#watchers) {
      if (w.plural === pluralOf(o.kind) && w.namespace === o.metadata.namespace && matchesSelector(o.metadata.labels ?? {}, w.selector)) {
        w.res.write(`${JSON.stringify({ type, object: o })}\n`);
      }
    }
  }

  #store(o: Obj, event: 'ADDED' | 'MODIFIED'): Obj {
    this.#resourceVersion += 1;
    o.metadata.resourceVersion = String(this.#resourceVersion);
    this.#validate(infoOf(o.kind), o);
    this.#objects.set(key(pluralOf(o.kind), o.metadata.namespace, o.metadata.name), o);
    this.#notify(event, o);
    return o;
  }

  #checkIdentity(info: KindInfo, namespace: string, obj: Obj, name: string | undefined): void {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new HttpError(400, 'BadRequest', 'the body is not an object');
    if (obj.kind !== info.kind || obj.apiVersion !== info.apiVersion) throw new HttpError(400, 'BadRequest', `the body is ${obj.apiVersion}/${obj.kind}, the URL is for ${info.apiVersion}/${info.kind}`);
    const n = obj.metadata?.name;
    if (!n || n !== name) throw new HttpError(400, 'BadRequest', `the name of the object (${n}) does not match the name on the URL (${name})`);
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) throw new HttpError(400, 'BadRequest', 'the namespace of the object does not match the namespace on the request');
    if (n.length > 253 || !DNS_SUBDOMAIN.test(n)) throw new HttpError(422, 'Invalid', `${info.kind} "${n}" is invalid: metadata.name: Invalid value: "${n}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
  }

  #validate(info: KindInfo, o: Obj): void {
    try {
      VALIDATORS[info.kind]!(o);
    } catch (err) {
      throw new HttpError(422, 'Invalid', `${info.kind} "${o.metadata?.name}" is invalid: ${(err as Error).message}`);
    }
  }
}

function key(plural: string, namespace: string, name: string): string {
  return `${plural}/${namespace}/${name}`;
}

function infoOf(kind: string): KindInfo {
  const info = Object.values(KINDS).find((k) => k.kind === kind);
  if (!info) throw new Error(`unknown kind ${kind}`);
  return info;
}

function pluralOf(kind: string): string {
  return infoOf(kind).plural;
}

function conflict(info: KindInfo, name: string): HttpError {
  return new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${info.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
}

function parsePath(path: string): { info: KindInfo; namespace: string; name: string | undefined } | null {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return null;
  const apiVersion = m[1] ?? m[2]!;
  const info = Object.values(KINDS).find((k) => k.apiVersion === apiVersion && k.plural === m[4]);
  return info ? { info, namespace: m[3]!, name: m[5] } : null;
}

function routeDetails(url: string | undefined): Obj {
  const m = /\/([^/?]+)\/([^/?]+)(?:\?|$)/.exec(url ?? '');
  return m ? { kind: m[1], name: m[2] } : {};
}

function parseJson(body: string): Obj {
  try {
    return JSON.parse(body) as Obj;
  } catch {
    // Real servers accept YAML here; our client always sends JSON (a subset of YAML).
    throw new HttpError(400, 'BadRequest', 'the fake API server only accepts JSON-formatted bodies');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
