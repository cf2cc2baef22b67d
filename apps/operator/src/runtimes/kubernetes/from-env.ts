import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import { SpecError } from './spec.ts';

/** The environment the Helm chart gives the operator (helm/README.md, "Environment the pods get"). */
export const KUBERNETES_ENV_HELP = `
  TRIBUTARY_INSTANCES_NAMESPACE        namespace of every instance's objects (required)
  TRIBUTARY_BROKER_IMAGE               broker image of the StatefulSets (required)
  TRIBUTARY_BROKER_IMAGE_PULL_POLICY   Always | IfNotPresent | Never (default IfNotPresent)
  TRIBUTARY_BROKER_STORAGE_CLASS       StorageClass of broker volumes (default: the cluster's)
  TRIBUTARY_BROKER_NODE_SPREAD         strict (one broker per node) | preferred (default strict)
  TRIBUTARY_INSTANCE_TLS_SECRET        kubernetes.io/tls Secret: client endpoints speak SASL_SSL
  TRIBUTARY_BROKER_ADVERTISE           dns (pods' names under the headless Service, default) | pod-ip
  TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT  ServiceAccount (may get nodes) whose token an init container
                                       uses to read its node's topology.kubernetes.io/zone: broker.rack
                                       (default: no rack)
  KUBECONFIG                           a kubeconfig file; default: the pod's ServiceAccount (in-cluster)`;

/** Sizing when a spec carries none (a runtime driven outside the reconciler); instances always have one. */
const FALLBACK_SIZE = { bandwidthMBps: 10, diskGiB: 10 };

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (!value) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new SpecError(name, `"${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * The operator's Kubernetes runtime as the chart configures it. The kubeconfig comes from KUBECONFIG
 * or, in a pod, from the mounted ServiceAccount token (client-node's `loadFromDefault`), so the
 * operator has exactly the rights of the chart's Role. Errors are `SpecError`s naming the variable.
 */
export function kubernetesRuntimeFromEnv(env: NodeJS.ProcessEnv, kubeConfig?: KubeConfig): KubernetesRuntime {
  const namespace = env['TRIBUTARY_INSTANCES_NAMESPACE'];
  if (!namespace) throw new SpecError('TRIBUTARY_INSTANCES_NAMESPACE', 'is required with TRIBUTARY_RUNTIME=kubernetes');
  const image = env['TRIBUTARY_BROKER_IMAGE'];
  if (!image) throw new SpecError('TRIBUTARY_BROKER_IMAGE', 'is required with TRIBUTARY_RUNTIME=kubernetes');
  const imagePullPolicy = oneOf('TRIBUTARY_BROKER_IMAGE_PULL_POLICY', env['TRIBUTARY_BROKER_IMAGE_PULL_POLICY'], ['Always', 'IfNotPresent', 'Never'] as const, 'IfNotPresent');
  const nodeSpread = oneOf('TRIBUTARY_BROKER_NODE_SPREAD', env['TRIBUTARY_BROKER_NODE_SPREAD'], ['strict', 'preferred'] as const, 'strict');
  const storageClassName = env['TRIBUTARY_BROKER_STORAGE_CLASS'] || undefined;
  const tlsSecret = env['TRIBUTARY_INSTANCE_TLS_SECRET'] || undefined;
  const advertise = oneOf('TRIBUTARY_BROKER_ADVERTISE', env['TRIBUTARY_BROKER_ADVERTISE'], ['dns', 'pod-ip'] as const, 'dns');
  const rackAccount = env['TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT'] || undefined;
  let kc = kubeConfig;
  if (!kc) {
    kc = new KubeConfig();
    kc.loadFromDefault();
  }
  return new KubernetesRuntime({
    kubeConfig: kc,
    namespaceOf: () => namespace,
    placement: (spec) => ({ namespace, image, imagePullPolicy, nodeSpread, ...(storageClassName ? { storageClassName } : {}), ...(rackAccount ? { rack: { serviceAccountName: rackAccount } } : {}), ...(spec.size ?? FALLBACK_SIZE) }),
    ...(tlsSecret ? { clientTls: { secretName: tlsSecret } } : {}),
    advertise,
  });
}
