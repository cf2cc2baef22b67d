import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { fieldOf } from './volumes.ts';

/**
 * Kubernetes' `$(VAR)` expansion of env values, command and args: a defined variable is replaced, an
 * undefined reference is left as written, `$$` is a literal `$` (k8s.io/kubernetes third_party expansion).
 */
export function expand(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      const name = close < 0 ? null : input.slice(i + 2, close);
      if (name !== null && Object.hasOwn(vars, name)) {
        out += vars[name];
        i = close;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * A container's environment: the image's, then the kubelet's own (`KUBERNETES_SERVICE_*` pointing at
 * the API server, HOSTNAME), then `envFrom`, then `env` (fieldRef, secretKeyRef, configMapKeyRef),
 * in that order of precedence as the kubelet builds it.
 */
export async function containerEnv(core: CoreV1Api, pod: V1Pod, container: V1Container, base: Record<string, string>): Promise<Record<string, string>> {
  const namespace = pod.metadata!.namespace!;
  const vars: Record<string, string> = { ...base, HOSTNAME: pod.metadata!.name! };
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = await core.readNamespacedConfigMap({ name: from.configMapRef.name!, namespace }).catch((e) => (from.configMapRef!.optional ? null : Promise.reject(e)));
      for (const [k, v] of Object.entries(cm?.data ?? {})) vars[`${from.prefix ?? ''}${k}`] = v;
    }
    if (from.secretRef) {
      const secret = await core.readNamespacedSecret({ name: from.secretRef.name!, namespace }).catch((e) => (from.secretRef!.optional ? null : Promise.reject(e)));
      for (const [k, v] of Object.entries(secret?.data ?? {})) vars[`${from.prefix ?? ''}${k}`] = Buffer.from(v, 'base64').toString();
    }
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) vars[e.name] = expand(e.value ?? '', vars);
    else if (from.fieldRef) vars[e.name] = fieldOf(pod, from.fieldRef.fieldPath);
    else if (from.secretKeyRef) {
      const secret = await core.readNamespacedSecret({ name: from.secretKeyRef.name!, namespace }).catch((err) => (from.secretKeyRef!.optional ? null : Promise.reject(err)));
      const value = secret?.data?.[from.secretKeyRef.key];
      if (value !== undefined) vars[e.name] = Buffer.from(value, 'base64').toString();
      else if (!from.secretKeyRef.optional) throw new Error(`secret ${from.secretKeyRef.name} has no key ${from.secretKeyRef.key}`);
    } else if (from.configMapKeyRef) {
      const cm = await core.readNamespacedConfigMap({ name: from.configMapKeyRef.name!, namespace }).catch((err) => (from.configMapKeyRef!.optional ? null : Promise.reject(err)));
      const value = cm?.data?.[from.configMapKeyRef.key];
      if (value !== undefined) vars[e.name] = value;
      else if (!from.configMapKeyRef.optional) throw new Error(`configMap ${from.configMapKeyRef.name} has no key ${from.configMapKeyRef.key}`);
    } else throw new Error(`env ${e.name}: resourceFieldRef is not supported by the test node agent`);
  }
  return vars;
}
