import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEtcd, type TestEtcd } from './etcd.ts';
import { freePort } from './services.ts';

/**
 * Test-only: a real Kubernetes control plane on loopback — kube-apiserver, kube-controller-manager and
 * kube-scheduler of the release pinned in tools/kube/go.mod (built by scripts/setup.d/60-kube.sh into
 * .cache/kube/bin), on etcd — with a throwaway CA, serving certificate, service-account key pair and
 * admin client certificate made by openssl. No kubelet runs: pods stay Pending until a node agent
 * (test/kube) runs them.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
export const KUBE_BIN = join(ROOT, '.cache/kube/bin');
const SETUP = join(ROOT, 'scripts/setup.d/60-kube.sh');
const COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** Paths of the binaries; runs the setup script when a needed one is missing (a first build takes many minutes). */
export function kubeBinaries(needed: readonly (typeof COMMANDS)[number][] = COMMANDS): Record<(typeof COMMANDS)[number], string> {
  const paths = Object.fromEntries(COMMANDS.map((c) => [c, join(KUBE_BIN, c)])) as Record<(typeof COMMANDS)[number], string>;
  if (!needed.every((c) => existsSync(paths[c]))) {
    try {
      execFileSync('bash', [SETUP], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90 * 60_000, env: { ...process.env, TRIBUTARY_KUBE_BUILD: '1' } });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`the Kubernetes binaries are missing from ${KUBE_BIN} and ${SETUP} failed (it needs Go and the Go module proxy): ${e.stderr?.toString() || e.message}`, { cause: err });
    }
  }
  return paths;
}

export interface KubePki {
  dir: string;
  caCert: string;
  caKey: string;
  /** kube-apiserver's serving certificate: 127.0.0.1, localhost and the in-cluster `kubernetes` names. */
  serverCert: string;
  serverKey: string;
  /** Service-account token signing key pair (RSA; the API server verifies with the public half). */
  saKey: string;
  saPub: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A client certificate signed by the PKI's CA: Kubernetes reads the user from CN and groups from O. */
export function clientCertificate(pki: KubePki, name: string, user: string, groups: string[] = []): { cert: string; key: string } {
  const key = join(pki.dir, `${name}.key`);
  const csr = join(pki.dir, `${name}.csr`);
  const cert = join(pki.dir, `${name}.crt`);
  const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  const ext = join(pki.dir, `${name}.ext`);
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key };
}

/** CA, the API server's serving certificate and the service-account key pair, in a fresh directory. */
export function makeKubePki(dir = mkdtempSync(join(tmpdir(), 'tributary-kube-pki-'))): KubePki {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=tributary-test-kube-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('apiserver.key'), '-out', p('apiserver.csr'), '-subj', '/CN=kube-apiserver']);
  writeFileSync(p('apiserver.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n');
  openssl(['x509', '-req', '-in', p('apiserver.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('apiserver.crt'), '-days', '2', '-extfile', p('apiserver.ext')]);
  openssl(['genrsa', '-out', p('sa.key'), '2048']);
  openssl(['rsa', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')]);
  return { dir, caCert: p('ca.crt'), caKey: p('ca.key'), serverCert: p('apiserver.crt'), serverKey: p('apiserver.key'), saKey: p('sa.key'), saPub: p('sa.pub') };
}

/** A kubeconfig file for `server` with a client certificate or a bearer token. */
export function writeKubeconfig(file: string, server: string, caCert: string, auth: { cert: string; key: string } | { token: string }): string {
  const user = 'token' in auth ? `    token: ${auth.token}` : `    client-certificate: ${auth.cert}\n    client-key: ${auth.key}`;
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: ${server}\n    certificate-authority: ${caCert}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default\ncurrent-context: test\nusers:\n- name: test\n  user:\n${user}\n`, { mode: 0o600 });
  return file;
}

export interface TestKube {
  /** https://127.0.0.1:<port> */
  server: string;
  pki: KubePki;
  /** kubeconfig of a cluster admin (group system:masters). */
  adminKubeconfig: string;
  etcd: TestEtcd;
  /** Where each component logs (kept until stop, shown when something fails). */
  logFiles: Record<string, string>;
  /** GET a path as the admin; resolves with status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export interface StartKubeOptions {
  /** Run kube-controller-manager (StatefulSets, garbage collection, endpoints, service-account tokens); default true. */
  controllerManager?: boolean;
  /** Run kube-scheduler; default true (without it pods need a `nodeName`). */
  scheduler?: boolean;
  /** How long the API server may take to answer /readyz; default 3 minutes (a loaded 2-core machine). */
  timeoutMs?: number;
}

/**
 * Starts etcd, then kube-apiserver (RBAC and Node authorisation, service-account tokens signed with
 * the PKI's key, the ServiceAccount admission), then the controller manager and the scheduler with
 * admin kubeconfigs, everything on loopback. Resolves once /readyz answers ok.
 */
export async function startKube(options: StartKubeOptions = {}): Promise<TestKube> {
  const bin = kubeBinaries(['kube-apiserver', ...(options.controllerManager ?? true ? ['kube-controller-manager' as const] : []), ...(options.scheduler ?? true ? ['kube-scheduler' as const] : [])]);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kube-'));
  const pki = makeKubePki(join(dir, 'pki'));
  const etcd = await startEtcd();
  const procs: ChildProcess[] = [];
  const logFiles: Record<string, string> = {};
  const launch = (name: string, command: string, args: string[]): ChildProcess => {
    const file = join(dir, `${name}.log`);
    logFiles[name] = file;
    const out = createWriteStream(file);
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
    procs.push(proc);
    return proc;
  };
  const stop = async () => {
    for (const proc of procs.reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const admin = clientCertificate(pki, 'admin', 'tributary-test-admin', ['system:masters']);
    const adminKubeconfig = writeKubeconfig(join(dir, 'admin.kubeconfig'), server, pki.caCert, admin);
    const apiserver = launch('kube-apiserver', bin['kube-apiserver'], [
      `--etcd-servers=${etcd.endpoint}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
      `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`, `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      '--authorization-mode=Node,RBAC', '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true',
      // The `kubernetes` Service's endpoints may not be a loopback address ("may not be in the loopback
      // range"): nothing in the tests reaches the API server through that Service, so no reconciler.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      // One test cluster on a shared machine: no aggregation, fewer watch caches and workers.
      '--enable-priority-and-fairness=false', '--watch-cache=true', '--v=1',
    ]);
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolveGet, reject) => {
        const req = request(`${server}${path}`, { ca: readFileSync(pki.caCert), cert: readFileSync(admin.cert), key: readFileSync(admin.key), timeout: 5000 }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    const deadline = Date.now() + (options.timeoutMs ?? 180_000);
    // A component that exits (a bad flag, say) must fail the start, not leave pods quietly unmade;
    // /healthz is on each component's always-allowed paths, served with a self-signed certificate.
    const waitHealthy = async (name: string, proc: ChildProcess, componentPort: number): Promise<void> => {
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${readFileSync(logFiles[name]!, 'utf8').slice(-4000)}`);
        const status = await new Promise<number>((done) => {
          const req = request(`https://127.0.0.1:${componentPort}/healthz`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', () => done(0));
          req.end();
        });
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${name} was not healthy within ${options.timeoutMs ?? 180_000} ms:\n${readFileSync(logFiles[name]!, 'utf8').slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    for (;;) {
      if (apiserver.exitCode !== null) throw new Error(`kube-apiserver exited with ${apiserver.exitCode}:\n${readFileSync(logFiles['kube-apiserver']!, 'utf8').slice(-4000)}`);
      const ready = await get('/readyz').catch(() => null);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`kube-apiserver was not ready within ${options.timeoutMs ?? 180_000} ms (last: ${ready?.status} ${ready?.body.slice(0, 500)}):\n${readFileSync(logFiles['kube-apiserver']!, 'utf8').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const components: Promise<void>[] = [];
    if (options.controllerManager ?? true) {
      const kcmPort = await freePort();
      const kcm = launch('kube-controller-manager', bin['kube-controller-manager'], [
        `--kubeconfig=${adminKubeconfig}`, `--authentication-kubeconfig=${adminKubeconfig}`, `--authorization-kubeconfig=${adminKubeconfig}`,
        `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.caCert}`, '--use-service-account-credentials=true',
        '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${join(dir, 'kcm-certs')}`,
        // Every default controller but node IPAM (the node agent gives pods loopback addresses, no pod
        // CIDRs). The cloud controllers (cloud-node-lifecycle, service-lb-controller, node-route-controller)
        // are no longer part of kube-controller-manager: naming them, even to disable them, makes it exit
        // with "is not in the list of known controllers" — which left StatefulSets without pods.
        '--controllers=*,-nodeipam', '--v=1',
      ]);
      components.push(waitHealthy('kube-controller-manager', kcm, kcmPort));
    }
    if (options.scheduler ?? true) {
      const schedulerPort = await freePort();
      const scheduler = launch('kube-scheduler', bin['kube-scheduler'], [
        `--kubeconfig=${adminKubeconfig}`, `--authentication-kubeconfig=${adminKubeconfig}`, `--authorization-kubeconfig=${adminKubeconfig}`,
        '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${schedulerPort}`, '--v=1',
      ]);
      components.push(waitHealthy('kube-scheduler', scheduler, schedulerPort));
    }
    await Promise.all(components);
    return { server, pki, adminKubeconfig, etcd, logFiles, get, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
