import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { BrokerClusterSpec, BrokerRuntime, ClusterObservation } from '../runtime.ts';
import { bootstrapAddress, buildInstanceObjects, internalBootstrapAddress, buildOwner, ownerRefOf, type OwnedObject } from './builders/index.ts';
import { makeClients, type KubeClients, type StopWatch, type WatchEvent } from './client.ts';
import { KubeError } from './errors.ts';
import type { KindName } from './kinds.ts';
import { CONFIG_HASH_ANNOTATION, instanceSelector } from './labels.ts';
import { instanceNames } from './naming.ts';
import { DEFAULT_PORTS, type KubeClusterSpec } from './spec.ts';
import { readClusterStatus, type KubeClusterStatus } from './status.ts';
import { clientListener, listenerLayout } from '../listeners.ts';
import { CLIENT_TLS_VOLUME, KUBE_CLIENT_TLS, POD_IP_ENV } from './builders/statefulset.ts';

/** What the runtime-neutral spec does not say: where and how big. */
export type KubePlacement = Omit<KubeClusterSpec, 'instanceId' | 'brokers' | 'brokerConfig' | 'configHash' | 'clientTls'>;

export interface KubernetesRuntimeOptions {
  kubeConfig: KubeConfig;
  /** Namespace, image, sizing and placement of one instance; the spec's `size` (the instance's sold size) wins over its sizing. */
  placement: (spec: BrokerClusterSpec) => KubePlacement;
  /** The namespace of an instance when only its id is known (observe, delete). */
  namespaceOf: (instanceId: string) => string;
  /**
   * TLS for every instance's client endpoint (SASL_SSL): a `kubernetes.io/tls` Secret in the
   * instances' namespace (spec.ts `clientTls`). None: SASL_PLAINTEXT. Changing it rolls the brokers
   * (it is part of `listenerLayout`, hence of every config hash).
   */
  clientTls?: { secretName: string } | null;
  /** What brokers advertise (spec.ts `advertise`): `dns` (default) or `pod-ip`. */
  advertise?: 'dns' | 'pod-ip';
}

/** Kinds owned by an instance, in the order they are applied (pods mount config before they start). */
const OWNED_KINDS: KindName[] = ['ConfigMap', 'Secret', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'StatefulSet'];
const WATCHED_KINDS: KindName[] = ['StatefulSet', 'Pod', 'Service', 'ConfigMap', 'Secret', 'PodDisruptionBudget', 'NetworkPolicy'];

/**
 * Brokers as a StatefulSet per instance. Applies desired objects with server-side apply, reads the
 * StatefulSet and its pods back into status, and deletes by deleting the owner anchor (the garbage
 * collector takes the rest). It has only run against the in-process fake API server (README).
 */
export class KubernetesRuntime implements BrokerRuntime {
  readonly name = 'kubernetes' as const;
  readonly listenerLayout: string;
  readonly #clients: KubeClients;
  readonly #options: KubernetesRuntimeOptions;

  constructor(options: KubernetesRuntimeOptions) {
    this.#options = options;
    this.#clients = makeClients(options.kubeConfig);
    this.listenerLayout = listenerLayout(options.clientTls ? KUBE_CLIENT_TLS : null);
  }

  kubeSpec(spec: BrokerClusterSpec): KubeClusterSpec {
    const placement = this.#options.placement(spec);
    // The reconciler's etcd (spec.cluster) wins over a placement default; the cluster id is the instance id either way.
    const etcdEndpoints = spec.cluster ? spec.cluster.etcdEndpoints.split(',') : placement.etcdEndpoints;
    return { ...placement, ...(spec.size ?? {}), ...(etcdEndpoints ? { etcdEndpoints } : {}), ...(this.#options.clientTls ? { clientTls: this.#options.clientTls } : {}), ...(this.#options.advertise ? { advertise: this.#options.advertise } : {}), instanceId: spec.instanceId, brokers: spec.brokers, brokerConfig: spec.brokerConfig, configHash: spec.configHash };
  }

  /** Applies every object (idempotent) and returns what the cluster looks like right after. */
  async ensureBrokers(spec: BrokerClusterSpec): Promise<KubeClusterStatus> {
    const k = this.kubeSpec(spec);
    const owner = await this.#clients.ConfigMap.apply(buildOwner(k) as KubernetesObject);
    const objects = buildInstanceObjects(k, ownerRefOf(owner));
    for (const kind of OWNED_KINDS) {
      for (const obj of objects.filter((o: OwnedObject) => o.kind === kind)) await this.#clients[kind].apply(obj as KubernetesObject);
    }
    const status = await this.observe(spec.instanceId);
    if (!status) throw new KubeError('NotFound', 404, `StatefulSet of ${spec.instanceId} vanished right after it was applied`);
    return status;
  }

  /**
   * The StatefulSet uses OnDelete updates, so deleting a pod is how one broker picks up the current
   * template; the controller recreates it with the same name, volume and node id.
   */
  async restartBroker(spec: BrokerClusterSpec, nodeId: number): Promise<void> {
    if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > spec.brokers) throw new KubeError('BadRequest', null, `node id ${nodeId} is not one of 1..${spec.brokers}`);
    const namespace = this.#options.namespaceOf(spec.instanceId);
    await this.#clients.Pod.delete(namespace, `${instanceNames(spec).statefulSet}-${nodeId - 1}`);
  }

  async observe(instanceId: string): Promise<KubeClusterStatus | null> {
    const namespace = this.#options.namespaceOf(instanceId);
    const names = instanceNames({ instanceId });
    const sts = (await this.#clients.StatefulSet.get(namespace, names.statefulSet)) as IStatefulSet | null;
    if (!sts) return null;
    const pods = (await this.#clients.Pod.list(namespace, instanceSelector(instanceId))) as IPod[];
    const container = sts.spec?.template.spec?.containers[0];
    const kafkaPort = container?.ports?.find((p) => p.name === 'kafka')?.containerPort ?? DEFAULT_PORTS.kafka;
    const metricsPort = container?.ports?.find((p) => p.name === 'metrics')?.containerPort ?? DEFAULT_PORTS.metrics;
    const saslPort = container?.ports?.find((p) => p.name === 'sasl')?.containerPort;
    const internalBootstrap = internalBootstrapAddress({ instanceId, namespace, ports: { kafka: kafkaPort } });
    const clientBootstrap = saslPort === undefined ? null : bootstrapAddress({ instanceId, namespace, ports: { sasl: saslPort } });
    // The desired hash is read from the StatefulSet's template, not remembered: an operator restarted
    // mid-rollout still sees which brokers run older settings.
    const desiredConfigHash = sts.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? null;
    // What the StatefulSet's template runs, not what this operator is configured with: during a roll
    // onto (or off) TLS, clients are told the protocol of the template the pods are being moved to.
    const tls = sts.spec?.template.spec?.volumes?.some((v) => v.name === CLIENT_TLS_VOLUME) ?? false;
    const clientSecurityProtocol = clientListener(tls ? KUBE_CLIENT_TLS : null);
    const podIpAddresses = container?.env?.some((e) => e.name === POD_IP_ENV) ?? false;
    return readClusterStatus({ instanceId, namespace, kafkaPort, metricsPort, internalBootstrap, clientBootstrap, clientSecurityProtocol, desiredConfigHash, podIpAddresses, ...(saslPort === undefined ? {} : { saslPort }) }, sts, pods);
  }

  /** Deleting the owner anchor cascades to every owned object, and the StatefulSet's PVC policy deletes the volumes. */
  async deleteCluster(instanceId: string): Promise<void> {
    const namespace = this.#options.namespaceOf(instanceId);
    await this.#clients.ConfigMap.delete(namespace, instanceNames({ instanceId }).owner);
  }

  /**
   * Watches every kind the instance owns (plus its pods) and calls `onChange` for each event, so a
   * reconciler can react between resyncs. Returns one function that stops all the streams.
   */
  async watchInstance(instanceId: string, onChange: (kind: KindName, e: WatchEvent<KubernetesObject>) => void, onEnd: (kind: KindName, err: Error | null) => void): Promise<StopWatch> {
    const namespace = this.#options.namespaceOf(instanceId);
    const stops: StopWatch[] = [];
    try {
      for (const kind of WATCHED_KINDS) {
        stops.push(await this.#clients[kind].watch(namespace, instanceSelector(instanceId), (e) => onChange(kind, e), (err) => onEnd(kind, err)));
      }
    } catch (err) {
      for (const stop of stops) stop();
      throw err;
    }
    return () => {
      for (const stop of stops) stop();
    };
  }

  get clients(): KubeClients {
    return this.#clients;
  }
}

export type { ClusterObservation };
