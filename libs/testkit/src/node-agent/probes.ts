import { request } from 'node:http';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export type ProbeTarget = { kind: 'tcp'; port: number } | { kind: 'http'; port: number; path: string } | { kind: 'exec'; command: string[] };

/** A probe's action with named ports resolved against the container's ports. */
export function probeTarget(probe: V1Probe, container: V1Container): ProbeTarget {
  const port = (p: number | string): number => {
    if (typeof p === 'number' || /^\d+$/.test(p)) return Number(p);
    const named = container.ports?.find((cp) => cp.name === p);
    if (!named) throw new Error(`probe port ${p} is not a port of container ${container.name}`);
    return named.containerPort;
  };
  if (probe.tcpSocket) return { kind: 'tcp', port: port(probe.tcpSocket.port as number | string) };
  if (probe.httpGet) {
    if (probe.httpGet.scheme === 'HTTPS') throw new Error('HTTPS probes are not supported by the test node agent');
    return { kind: 'http', port: port(probe.httpGet.port as number | string), path: probe.httpGet.path ?? '/' };
  }
  if (probe.exec) return { kind: 'exec', command: probe.exec.command ?? [] };
  throw new Error(`container ${container.name}: grpc probes are not supported by the test node agent`);
}

/** One probe attempt against the pod's IP; `exec` probes are run by the caller in the container. */
export function probeOnce(target: Exclude<ProbeTarget, { kind: 'exec' }>, host: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (target.kind === 'tcp') {
      const socket = connect({ host, port: target.port, timeout: timeoutMs }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('timeout', () => socket.destroy(new Error('timeout')));
      socket.on('error', () => resolve(false));
      return;
    }
    const req = request({ host, port: target.port, path: target.path, timeout: timeoutMs, headers: { 'user-agent': 'kube-probe/tributary-test-agent' } }, (res) => {
      res.resume();
      // The kubelet's rule: any status from 200 to 399 is a success.
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
