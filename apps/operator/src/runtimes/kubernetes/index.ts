export { KubernetesRuntime, type KubePlacement, type KubernetesRuntimeOptions } from './kubernetes-runtime.ts';
export { buildInstanceObjects, buildOwner, ownerRefOf, bootstrapAddress, type OwnedObject } from './builders/index.ts';
export { makeClients, KindClient, type KubeClients, type WatchEvent, type StopWatch } from './client.ts';
export { KubeError, toKubeError, type KubeErrorCode } from './errors.ts';
export { readClusterStatus, type KubeClusterStatus, type Condition } from './status.ts';
export { brokerResources, brokerVolumeSize } from './sizing.ts';
export { checkSpec, SpecError, DEFAULT_PORTS, type KubeClusterSpec, type OwnerRef } from './spec.ts';
export { instanceNames, brokerHost } from './naming.ts';
export { INSTANCE_LABEL, CONFIG_HASH_ANNOTATION, FIELD_MANAGER, instanceSelector } from './labels.ts';
