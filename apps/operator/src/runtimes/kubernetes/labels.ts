import { instanceNames } from './naming.ts';
import type { KubeClusterSpec } from './spec.ts';

export const INSTANCE_LABEL = 'tributary.io/instance';
export const CONFIG_HASH_ANNOTATION = 'tributary.io/config-hash';
export const FIELD_MANAGER = 'tributary-operator';

/** Labels that select an instance's brokers; stable for the instance's life (selectors are immutable). */
export function selectorLabels(spec: Pick<KubeClusterSpec, 'instanceId'>): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'tributary-broker',
    'app.kubernetes.io/instance': instanceNames(spec).base,
    [INSTANCE_LABEL]: spec.instanceId,
  };
}

export function commonLabels(spec: Pick<KubeClusterSpec, 'instanceId' | 'labels'>, component: string): Record<string, string> {
  return {
    ...spec.labels,
    ...selectorLabels(spec),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'tributary',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
  };
}

/** The label selector (as a query string) that finds every object the operator made for an instance. */
export function instanceSelector(instanceId: string): string {
  return `${INSTANCE_LABEL}=${instanceId},app.kubernetes.io/managed-by=${FIELD_MANAGER}`;
}
