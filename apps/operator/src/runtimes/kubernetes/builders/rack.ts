import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1Volume as Volume } from 'kubernetes-models/v1/Volume';

/**
 * broker.rack from the zone of the node a broker pod landed on (issue 20): the controller's
 * rack-aware assignment and the operator's planner spread replicas over racks, so a rack must be
 * where the broker really runs. A pod cannot read its node's labels through the downward API (only
 * its own), so, as Strimzi's kafka-init does, an init container asks the Kubernetes API for the
 * node (`spec.nodeName`) and writes its `topology.kubernetes.io/zone` label into a file the broker's
 * start script passes as `--rack`. Only that init container gets a token (a projected volume of the
 * `rack.serviceAccountName` account, which needs `get` on nodes: the chart's ClusterRole); the
 * broker container still has none. A node without the label gives no rack (the broker starts
 * without one); an API that does not answer fails the init container, which the kubelet retries, so
 * a broker never starts with a wrong rack.
 */

export const RACK_DIR = '/etc/tributary-rack';
export const RACK_FILE = `${RACK_DIR}/rack`;
export const RACK_VOLUME = 'rack';
const TOKEN_VOLUME = 'rack-api-token';
const TOKEN_DIR = '/var/run/secrets/tributary-rack';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The init container's program (node, in the broker image): GET /api/v1/nodes/$NODE_NAME, write the zone label. */
export const RACK_SCRIPT = `
const fs = require('node:fs');
const https = require('node:https');
const node = process.env.NODE_NAME;
const host = process.env.KUBERNETES_SERVICE_HOST;
const port = process.env.KUBERNETES_SERVICE_PORT || '443';
if (!node || !host) { console.error('rack: NODE_NAME and KUBERNETES_SERVICE_HOST are required'); process.exit(1); }
const token = fs.readFileSync('${TOKEN_DIR}/token', 'utf8');
const ca = fs.readFileSync('${TOKEN_DIR}/ca.crt');
https.get({ host, port, path: '/api/v1/nodes/' + encodeURIComponent(node), ca, headers: { authorization: 'Bearer ' + token } }, (res) => {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => {
    if (res.statusCode !== 200) { console.error('rack: GET node ' + node + ': HTTP ' + res.statusCode + ' ' + body.slice(0, 200)); process.exit(1); }
    const zone = (JSON.parse(body).metadata.labels || {})['${ZONE_LABEL}'] || '';
    fs.writeFileSync('${RACK_FILE}', zone);
    console.log(zone ? 'rack: ' + zone + ' (node ' + node + ')' : 'rack: node ' + node + ' has no ${ZONE_LABEL} label; no rack');
  });
}).on('error', (e) => { console.error('rack: ' + e.message); process.exit(1); });
`.trim();

/** The start script's lines that read the file: `$rack` is then empty or the zone. */
export const RACK_SHELL = `rack="$(cat ${RACK_FILE} 2>/dev/null || true)"`;
/** The broker flag, present only when the node had a zone. */
export const RACK_ARG = '${rack:+--rack "$rack"}';

export function rackInitContainer(image: string, imagePullPolicy: Container['imagePullPolicy'], securityContext: Container['securityContext']): Container {
  return {
    name: 'rack',
    image,
    imagePullPolicy,
    command: ['node', '-e', RACK_SCRIPT],
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
    securityContext,
    volumeMounts: [
      { name: RACK_VOLUME, mountPath: RACK_DIR },
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
    ],
  };
}

/** The file's emptyDir and the init container's token (short-lived, projected) with the cluster CA. */
export function rackVolumes(): Volume[] {
  return [
    { name: RACK_VOLUME, emptyDir: { sizeLimit: '1Mi' } },
    {
      name: TOKEN_VOLUME,
      projected: {
        defaultMode: 0o440,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    },
  ];
}
