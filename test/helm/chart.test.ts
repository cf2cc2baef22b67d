import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../apps/operator/src/runtimes/kubernetes/kinds.ts';
import { CHART, envOf, find, helm, render, validateManifest, type Manifest } from './render.ts';

const ROOT = join(import.meta.dirname, '../..');

const REQUIRED_VERBS: Record<string, string[]> = {
  // What apps/operator/src/runtimes/kubernetes calls per kind: apply = patch, plus get/list/watch/delete.
  ConfigMap: ['get', 'list', 'watch', 'patch', 'delete'],
  Secret: ['get', 'list', 'watch', 'patch', 'delete'],
  Service: ['get', 'list', 'watch', 'patch', 'delete'],
  StatefulSet: ['get', 'list', 'watch', 'patch', 'delete'],
  PodDisruptionBudget: ['get', 'list', 'watch', 'patch', 'delete'],
  NetworkPolicy: ['get', 'list', 'watch', 'patch', 'delete'],
  Pod: ['get', 'list', 'watch', 'delete'],
};

function allows(role: Manifest, group: string, plural: string, verb: string): boolean {
  return (role.rules as Manifest[]).some((r) => r.apiGroups.includes(group) && r.resources.includes(plural) && r.verbs.includes(verb));
}

describe('helm chart', () => {
  it('passes helm lint --strict', () => {
    expect(helm(['lint', '--strict', CHART])).toContain('0 chart(s) failed');
  });

  it('default values render the control plane with bundled backends, all valid Kubernetes objects', () => {
    const docs = render();
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'Deployment/rel-tributary-api',
        'Deployment/rel-tributary-operator',
        'Role/rel-tributary-operator',
        'RoleBinding/rel-tributary-operator',
        'Secret/rel-tributary-admin-key',
        'Secret/rel-tributary-backends',
        'Secret/rel-tributary-postgresql',
        'Secret/rel-tributary-secret-key',
        'Service/rel-tributary-api',
        'Service/rel-tributary-etcd',
        'Service/rel-tributary-postgresql',
        'Service/rel-tributary-redis',
        'ServiceAccount/rel-tributary-api',
        'ServiceAccount/rel-tributary-operator',
        'StatefulSet/rel-tributary-etcd',
        'StatefulSet/rel-tributary-postgresql',
        'StatefulSet/rel-tributary-redis',
      ].sort(),
    );
    for (const d of docs) expect(() => validateManifest(d), `${d.kind}/${d.metadata.name}`).not.toThrow();
  });

  it('broker.rackFromZone: a broker-rack account in the instances namespace with get on nodes only (the one ClusterRole), named to the operator', () => {
    const docs = render({ 'broker.rackFromZone': 'true', 'operator.instancesNamespace': 'tenants' });
    for (const d of docs) expect(() => validateManifest(d), `${d.kind}/${d.metadata.name}`).not.toThrow();
    const account = find(docs, 'ServiceAccount', 'rel-tributary-broker-rack');
    expect(account.metadata.namespace).toBe('tenants');
    expect(find(docs, 'ClusterRole', 'rel-tributary-broker-rack').rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const binding = find(docs, 'ClusterRoleBinding', 'rel-tributary-broker-rack');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-tributary-broker-rack', namespace: 'tenants' }]);
    expect(binding.roleRef.name).toBe('rel-tributary-broker-rack');
    expect(envOf(find(docs, 'Deployment', 'rel-tributary-operator').spec.template.spec.containers[0])['TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT']?.value).toBe('rel-tributary-broker-rack');
    // Off by default: nothing cluster-wide (the test below) and no rack account for the operator.
    expect(envOf(find(render(), 'Deployment', 'rel-tributary-operator').spec.template.spec.containers[0])['TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT']).toBeUndefined();
  });

  it('the schema check used on rendered objects does reject a broken one', () => {
    const dep = structuredClone(find(render(), 'Deployment', 'rel-tributary-api'));
    delete dep.spec.selector;
    expect(() => validateManifest(dep)).toThrow();
    expect(() => validateManifest({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 'eighty' }] } })).toThrow();
  });

  it('the operator Role grants exactly what the Kubernetes runtime uses, in the release namespace, nothing cluster-wide', () => {
    const docs = render();
    expect(docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toBe(false);
    const role = find(docs, 'Role', 'rel-tributary-operator');
    expect(role.metadata.namespace).toBe('tributary');
    for (const [kind, verbs] of Object.entries(REQUIRED_VERBS)) {
      const info = KINDS[kind as keyof typeof KINDS];
      const group = info.apiVersion.includes('/') ? info.apiVersion.split('/')[0]! : '';
      for (const v of verbs) expect(allows(role, group, info.plural, v), `${v} ${info.plural}`).toBe(true);
    }
    // Every kind the runtime knows is covered, and nothing else is granted.
    expect(Object.keys(REQUIRED_VERBS).sort()).toEqual(Object.keys(KINDS).sort());
    const granted = (role.rules as Manifest[]).flatMap((r) => r.resources as string[]).sort();
    expect(granted).toEqual(Object.values(KINDS).map((k) => k.plural).sort());
    expect(allows(role, '', 'pods', 'create')).toBe(false);
    expect(allows(role, '', 'persistentvolumeclaims', 'delete')).toBe(false);
    const binding = find(docs, 'RoleBinding', 'rel-tributary-operator');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rel-tributary-operator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-tributary-operator', namespace: 'tributary' }]);
  });

  it('the operator gets the broker image, runtime and backends; the api gets no Kubernetes token', () => {
    const docs = render();
    const op = find(docs, 'Deployment', 'rel-tributary-operator').spec.template.spec;
    expect(op.serviceAccountName).toBe('rel-tributary-operator');
    const env = envOf(op.containers[0]);
    expect(env.TRIBUTARY_RUNTIME?.value).toBe('kubernetes');
    expect(env.TRIBUTARY_BROKER_IMAGE?.value).toBe('ghcr.io/tributary/broker:0.1.0');
    expect(env.TRIBUTARY_INSTANCES_NAMESPACE?.value).toBe('tributary');
    expect(env.TRIBUTARY_BROKER_ADVERTISE?.value).toBe('dns');
    // Its own database role (postgresql.roles, on by default): see 'database roles' below.
    expect(env.DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: 'operator-url' });
    expect(env.REDIS_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-backends', key: 'redis-url' });
    expect(env.ETCD_ENDPOINTS?.value).toBe('http://rel-tributary-etcd.tributary.svc:2379');
    expect(find(docs, 'Secret', 'rel-tributary-backends').stringData['redis-url']).toBe('redis://rel-tributary-redis.tributary.svc:6379');
    const api = find(docs, 'Deployment', 'rel-tributary-api').spec.template.spec;
    expect(api.automountServiceAccountToken).toBe(false);
    expect(find(docs, 'ServiceAccount', 'rel-tributary-api').automountServiceAccountToken).toBe(false);
    expect(envOf(api.containers[0]).TRIBUTARY_BOOTSTRAP_KEY?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-admin-key', key: 'admin-key' });
    // Both seal or unseal SCRAM salted passwords with the same generated key (the API refuses to start without one).
    for (const c of [api.containers[0], op.containers[0]]) expect(envOf(c).TRIBUTARY_SECRET_KEY?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-secret-key', key: 'secret-key' });
    const svc = find(docs, 'Service', 'rel-tributary-api');
    expect(svc.spec.selector).toEqual(find(docs, 'Deployment', 'rel-tributary-api').spec.selector.matchLabels);
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    for (const d of docs.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
      expect(d.spec.template.spec.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
      expect(d.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(d.spec.selector.matchLabels).filter(([k]) => d.spec.template.metadata.labels[k] === d.spec.selector.matchLabels[k])));
    }
  });

  it('non-default values: external backends, another instances namespace, custom images and replicas', () => {
    const docs = render(
      {
        'postgresql.bundled': 'false',
        'postgresql.url': 'postgresql://u:p@db.example:5432/tributary',
        'redis.bundled': 'false',
        'redis.existingSecret': 'my-redis',
        'etcd.bundled': 'false',
        'etcd.endpoints': 'http://etcd-a:2379\\,http://etcd-b:2379',
        'operator.instancesNamespace': 'kafka-tenants',
        'broker.image.repository': 'registry.local/broker',
        'broker.image.tag': '9.9.9',
        'broker.storageClassName': 'fast',
        'image.tag': '1.2.3',
        'api.replicas': '3',
        'api.service.type': 'LoadBalancer',
        'api.adminKeySecret': 'my-admin',
        'secretKey.existingSecret': 'my-seal',
        'secretKey.previousKey': 'old-key',
      },
      'control',
    );
    for (const d of docs) expect(() => validateManifest(d), `${d.kind}/${d.metadata.name}`).not.toThrow();
    expect(docs.filter((d) => d.kind === 'StatefulSet')).toEqual([]);
    expect(docs.some((d) => d.metadata.name === 'rel-tributary-admin-key')).toBe(false);
    // A sealing key of the user's, mid-rotation: no generated Secret; current and previous keys from theirs.
    expect(docs.some((d) => d.metadata.name === 'rel-tributary-secret-key')).toBe(false);
    for (const name of ['rel-tributary-api', 'rel-tributary-operator']) {
      const env = envOf(find(docs, 'Deployment', name).spec.template.spec.containers[0]);
      expect(env.TRIBUTARY_SECRET_KEY?.valueFrom.secretKeyRef).toEqual({ name: 'my-seal', key: 'secret-key' });
      expect(env.TRIBUTARY_SECRET_KEY_PREVIOUS?.valueFrom.secretKeyRef).toEqual({ name: 'my-seal', key: 'old-key' });
    }
    const role = find(docs, 'Role', 'rel-tributary-operator');
    expect(role.metadata.namespace).toBe('kafka-tenants');
    const binding = find(docs, 'RoleBinding', 'rel-tributary-operator');
    expect(binding.metadata.namespace).toBe('kafka-tenants');
    expect(binding.subjects[0].namespace).toBe('control');
    const op = find(docs, 'Deployment', 'rel-tributary-operator').spec.template.spec.containers[0];
    expect(op.image).toBe('ghcr.io/tributary/control-plane:1.2.3');
    const env = envOf(op);
    expect(env.TRIBUTARY_BROKER_IMAGE?.value).toBe('registry.local/broker:9.9.9');
    expect(env.TRIBUTARY_BROKER_STORAGE_CLASS?.value).toBe('fast');
    expect(env.TRIBUTARY_INSTANCES_NAMESPACE?.value).toBe('kafka-tenants');
    expect(env.DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-backends', key: 'operator-database-url' });
    expect(env.REDIS_URL?.valueFrom.secretKeyRef).toEqual({ name: 'my-redis', key: 'url' });
    expect(env.ETCD_ENDPOINTS?.value).toBe('http://etcd-a:2379,http://etcd-b:2379');
    const backends = find(docs, 'Secret', 'rel-tributary-backends');
    // The admin URL the user gave, and the two roles' URLs on the same server with generated passwords.
    expect(Object.keys(backends.stringData).sort()).toEqual(['api-database-url', 'api-password', 'database-url', 'operator-database-url', 'operator-password']);
    expect(backends.stringData['database-url']).toBe('postgresql://u:p@db.example:5432/tributary');
    expect(backends.stringData['api-database-url']).toBe(`postgresql://tributary_api:${backends.stringData['api-password']}@db.example:5432/tributary`);
    expect(backends.stringData['operator-database-url']).toBe(`postgresql://tributary_operator:${backends.stringData['operator-password']}@db.example:5432/tributary`);
    const api = find(docs, 'Deployment', 'rel-tributary-api');
    expect(api.spec.replicas).toBe(3);
    expect(envOf(api.spec.template.spec.containers[0]).TRIBUTARY_BOOTSTRAP_KEY?.valueFrom.secretKeyRef.name).toBe('my-admin');
    expect(find(docs, 'Service', 'rel-tributary-api').spec.type).toBe('LoadBalancer');
  });

  describe('database roles (one writer per table, issue 14)', () => {
    const spec = (docs: Manifest[], component: string) => find(docs, 'Deployment', `rel-tributary-${component}`).spec.template.spec;

    it('by default the API and the operator log in as their own roles; init containers create the roles and apply the grants', () => {
      const docs = render();
      const secret = find(docs, 'Secret', 'rel-tributary-postgresql').stringData;
      for (const [component, step, role] of [['api', 'roles', 'tributary_api'], ['operator', 'grants', 'tributary_operator']] as const) {
        const pod = spec(docs, component);
        expect(envOf(pod.containers[0]).DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: `${component}-url` });
        expect(new URL(secret[`${component}-url`]).username).toBe(role);
        expect(new URL(secret[`${component}-url`]).password).toBe(secret[`${component}-password`]);
        expect(new URL(secret[`${component}-url`]).host).toBe(new URL(secret.url).host);
        expect(pod.initContainers).toHaveLength(1);
        const init = pod.initContainers[0];
        expect(init.command).toEqual(['node', 'libs/db/scripts/db-roles.ts', '--step', step]);
        expect(init.image).toBe(pod.containers[0].image);
        const env = envOf(init);
        expect(env.TRIBUTARY_DB_ADMIN_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: 'url' });
        expect(env.TRIBUTARY_DB_API_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: 'api-url' });
        expect(env.TRIBUTARY_DB_OPERATOR_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: 'operator-url' });
        // Only the init container sees the admin URL; the long-running container never does.
        expect(JSON.stringify(pod.containers)).not.toContain('"key":"url"');
      }
      expect(secret['api-password']).not.toBe(secret['operator-password']);
    });

    it('with an existing Secret, the roles URLs come from its api-url and operator-url keys', () => {
      const docs = render({ 'postgresql.bundled': 'false', 'postgresql.existingSecret': 'my-db' });
      expect(envOf(spec(docs, 'api').containers[0]).DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'my-db', key: 'api-url' });
      expect(envOf(spec(docs, 'operator').containers[0]).DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'my-db', key: 'operator-url' });
      expect(envOf(spec(docs, 'operator').initContainers[0]).TRIBUTARY_DB_ADMIN_URL?.valueFrom.secretKeyRef).toEqual({ name: 'my-db', key: 'url' });
    });

    it('postgresql.roles.enabled=false: both use the one URL and no init container runs', () => {
      const docs = render({ 'postgresql.roles.enabled': 'false' });
      for (const component of ['api', 'operator']) {
        expect(envOf(spec(docs, component).containers[0]).DATABASE_URL?.valueFrom.secretKeyRef).toEqual({ name: 'rel-tributary-postgresql', key: 'url' });
        expect(spec(docs, component).initContainers).toBeUndefined();
      }
      expect(find(docs, 'Secret', 'rel-tributary-postgresql').stringData['api-url']).toBeUndefined();
    });

    it('refuses one role for both', () => {
      expect(() => render({ 'postgresql.roles.operator': 'tributary_api' })).toThrow('must be two different roles');
    });
  });

  it("operator.instanceTlsSecret gives the operator the instances' TLS Secret name (nothing else reads it)", () => {
    expect(envOf(find(render(), 'Deployment', 'rel-tributary-operator').spec.template.spec.containers[0]).TRIBUTARY_INSTANCE_TLS_SECRET).toBeUndefined();
    const docs = render({ 'operator.instanceTlsSecret': 'instances-tls' });
    expect(envOf(find(docs, 'Deployment', 'rel-tributary-operator').spec.template.spec.containers[0]).TRIBUTARY_INSTANCE_TLS_SECRET?.value).toBe('instances-tls');
    expect(JSON.stringify(find(docs, 'Role', 'rel-tributary-operator'))).not.toContain('instances-tls');
  });

  it("every variable the chart gives the API and the operator is one its entry point's --help documents (the chart and the code agree on names)", () => {
    const docs = render({ 'operator.instanceTlsSecret': 'x', 'secretKey.previousKey': 'old' });
    for (const [component, entry] of [['api', 'apps/api/src/main.ts'], ['operator', 'apps/operator/src/main.ts']] as const) {
      const help = execFileSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, entry), '--help'], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
      const names = (find(docs, 'Deployment', `rel-tributary-${component}`).spec.template.spec.containers[0].env as Manifest[]).map((e) => e.name as string);
      expect(names.length).toBeGreaterThan(5);
      const undocumented = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(help));
      expect(undocumented, `${component}: ${help}`).toEqual([]);
    }
  }, 120_000);

  it.each([
    [{ 'postgresql.bundled': 'false' }, 'postgresql.url (or postgresql.existingSecret) is required'],
    [{ 'redis.bundled': 'false' }, 'redis.url (or redis.existingSecret) is required'],
    [{ 'etcd.bundled': 'false' }, 'etcd.endpoints is required'],
  ])('refuses to render %j without the external address', (sets, message) => {
    expect(() => render(sets)).toThrow(message);
  });

  it('NOTES.txt tells how to reach the API, read the admin key, and that the Kubernetes runtime is untested on a real cluster', () => {
    // `helm install --dry-run` needs a cluster; a copy of the chart renders NOTES.txt into a ConfigMap instead.
    const dir = mkdtempSync(join(tmpdir(), 'chart-'));
    cpSync(CHART, join(dir, 'tributary'), { recursive: true });
    writeFileSync(join(dir, 'tributary/templates/notes-probe.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ include "tributary/templates/NOTES.txt" . | quote }}\n');
    const args = ['template', 'rel', join(dir, 'tributary'), '--namespace', 'tributary', '--kube-version', '1.29.0', '--show-only', 'templates/notes-probe.yaml'];
    const notes = (loadAllYaml(helm(args)) as Manifest[])[0]!.data.notes as string;
    rmSync(dir, { recursive: true, force: true });
    expect(notes).toContain('port-forward svc/rel-tributary-api 8080:80');
    expect(notes).toContain("get secret rel-tributary-admin-key -o jsonpath='{.data.admin-key}'");
    expect(notes).toContain('StatefulSets in namespace "tributary"');
    expect(notes).toContain('bundled single-replica PostgreSQL Redis etcd');
    expect(notes).toContain('never a real cluster');
  });
});
