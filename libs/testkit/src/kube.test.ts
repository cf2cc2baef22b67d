import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { clientCertificate, makeKubePki, writeKubeconfig } from './kube.ts';

/**
 * The throwaway PKI of the test control plane (kube.ts), checked the way kube-apiserver uses it: its
 * serving certificate verifies against the CA for 127.0.0.1 and the in-cluster names, and a client
 * certificate presents the user (CN) and groups (O) Kubernetes authenticates. startKube itself needs
 * the Kubernetes binaries (scripts/setup.d/60-kube.sh) and has no test yet (libs/testkit README).
 */
const pki = makeKubePki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

describe('test Kubernetes PKI', () => {
  it('the serving certificate chains to the CA and names loopback and the in-cluster API names', () => {
    expect(execFileSync('openssl', ['verify', '-CAfile', pki.caCert, pki.serverCert], { encoding: 'utf8' })).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-in', pki.serverCert, '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], { encoding: 'utf8' });
    for (const name of ['IP Address:127.0.0.1', 'DNS:kubernetes.default.svc', 'DNS:localhost', 'TLS Web Server Authentication']) expect(text).toContain(name);
    // The service-account key pair: the public half is the private half's.
    const pub = execFileSync('openssl', ['rsa', '-in', pki.saKey, '-pubout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(pub).toBe(readFileSync(pki.saPub, 'utf8'));
  });

  it('a TLS server with the serving certificate sees a client certificate as user CN in groups O, and a kubeconfig carries it', async () => {
    const client = clientCertificate(pki, 'alice', 'alice', ['system:masters', 'team-a']);
    const server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(JSON.stringify({ cn: peer.subject.CN, o: peer.subject.O }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
      const kubeconfig = writeKubeconfig(`${pki.dir}/alice.kubeconfig`, url, pki.caCert, client);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getCurrentCluster()?.server).toBe(url);
      const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
      await kc.applyToHTTPSOptions(opts);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(url, { ca: opts.ca, cert: opts.cert, key: opts.key }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ cn: 'alice', o: ['system:masters', 'team-a'] });
    } finally {
      server.close();
    }
  });
});
