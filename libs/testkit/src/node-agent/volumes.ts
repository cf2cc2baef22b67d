import { closeSync, constants, fchmodSync, fchownSync, lstatSync, mkdirSync, openSync, realpathSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { CoreV1Api, V1Pod, V1Volume } from '@kubernetes/client-node';

/** Where each of a pod's volumes lives on this machine, by volume name. */
export type PodVolumes = Map<string, string>;

export interface Item { path: string; content: string | Buffer; mode?: number }

/** True when `path` (resolved, symlinks followed) is `root` or below it. */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(realpathSync(root), realpathSync(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Writes a volume's files into `dir`, a fresh directory of the pod's own. The agent runs as root:
 * a write or chmod by path that followed a symlink, or opened an existing device, could change any
 * file on the machine (its 0644 default mode is what /dev/null once had, see README). So every file
 * is created with O_EXCL | O_NOFOLLOW (never an existing file, never through a link), its mode and
 * group are set on the open descriptor rather than by path, and item paths that are absolute or
 * climb out with `..` are refused (the API server refuses them too).
 */
export function writeItems(dir: string, items: Item[], defaultMode: number, fsGroup: number | undefined): void {
  mkdirSync(dir, { recursive: true });
  for (const item of items) {
    if (isAbsolute(item.path) || item.path.split('/').includes('..')) throw new Error(`volume item path ${item.path} leaves its volume`);
    const file = join(dir, item.path);
    mkdirSync(dirname(file), { recursive: true });
    if (!isWithin(dir, dirname(file))) throw new Error(`volume item path ${item.path} leaves its volume`);
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const bytes = typeof item.content === 'string' ? Buffer.from(item.content) : item.content;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fchmodSync(fd, item.mode ?? defaultMode);
      // As the kubelet does: files of secret, configMap and projected volumes belong to the fsGroup.
      if (fsGroup !== undefined) fchownSync(fd, 0, fsGroup);
    } finally {
      closeSync(fd);
    }
  }
}

function fieldOf(pod: V1Pod, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata!.name!;
    case 'metadata.namespace': return pod.metadata!.namespace!;
    case 'metadata.uid': return pod.metadata!.uid!;
    case 'spec.nodeName': return pod.spec!.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec!.serviceAccountName ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
  if (label) return pod.metadata!.labels?.[label[1]!] ?? '';
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath);
  if (annotation) return pod.metadata!.annotations?.[annotation[1]!] ?? '';
  throw new Error(`fieldRef ${fieldPath} is not supported by the test node agent`);
}

export { fieldOf };

/** The PersistentVolume's directory (the provisioner's hostPath) behind a claim. */
async function claimDirectory(core: CoreV1Api, namespace: string, claimName: string): Promise<string> {
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace });
  const volumeName = pvc.spec?.volumeName;
  if (!volumeName || pvc.status?.phase !== 'Bound') throw new Error(`claim ${namespace}/${claimName} is not bound`);
  const pv = await core.readPersistentVolume({ name: volumeName });
  const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (!path) throw new Error(`volume ${volumeName} has no hostPath or local path`);
  return path;
}

/** Mode and group of a directory the agent made, set through a descriptor that cannot be a link. */
function ownDirectory(path: string, mode: number, gid: number | undefined): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, mode);
    if (gid !== undefined) fchownSync(fd, 0, gid);
  } finally {
    closeSync(fd);
  }
}

async function volumeDirectory(core: CoreV1Api, pod: V1Pod, volume: V1Volume, dir: string, fsGroup: number | undefined, ownVolumes: string): Promise<string> {
  const namespace = pod.metadata!.namespace!;
  if (volume.emptyDir) {
    mkdirSync(dir, { recursive: true });
    ownDirectory(dir, 0o777, undefined); // the kubelet's emptyDir mode: any container user may write
    return dir;
  }
  // The kubelet manages no ownership of hostPath volumes either: used as they are, never changed.
  if (volume.hostPath) return volume.hostPath.path;
  if (volume.persistentVolumeClaim) {
    const path = await claimDirectory(core, namespace, volume.persistentVolumeClaim.claimName);
    // fsGroup applies to the volumes this agent provisioned (its own directories); a volume someone
    // else made (a hostPath PV, say) is a host path like any hostPath and is left as it is.
    if (fsGroup !== undefined && lstatSync(path).isDirectory() && isWithin(ownVolumes, path)) ownDirectory(path, 0o2775, fsGroup); // setgid, group-writable: what fsGroup means for a volume
    return path;
  }
  if (volume.configMap) {
    const cm = await core.readNamespacedConfigMap({ name: volume.configMap.name!, namespace });
    const data = { ...(cm.data ?? {}) };
    const items = volume.configMap.items?.length ? volume.configMap.items.map((i) => ({ path: i.path, content: data[i.key] ?? '', mode: i.mode })) : Object.entries(data).map(([k, v]) => ({ path: k, content: v }));
    writeItems(dir, items, volume.configMap.defaultMode ?? 0o644, fsGroup);
    return dir;
  }
  if (volume.secret) {
    const secret = await core.readNamespacedSecret({ name: volume.secret.secretName!, namespace });
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
    const items = volume.secret.items?.length ? volume.secret.items.map((i) => ({ path: i.path, content: data[i.key] ?? Buffer.alloc(0), mode: i.mode })) : Object.entries(data).map(([k, v]) => ({ path: k, content: v }));
    writeItems(dir, items, volume.secret.defaultMode ?? 0o644, fsGroup);
    return dir;
  }
  if (volume.downwardAPI) {
    writeItems(dir, (volume.downwardAPI.items ?? []).map((i) => ({ path: i.path, content: fieldOf(pod, i.fieldRef!.fieldPath), mode: i.mode })), volume.downwardAPI.defaultMode ?? 0o644, fsGroup);
    return dir;
  }
  if (volume.projected) {
    const items: Item[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        // A bound token of the pod's ServiceAccount from the TokenRequest API, as the kubelet mounts it.
        const request = await core.createNamespacedServiceAccountToken({
          name: pod.spec!.serviceAccountName ?? 'default',
          namespace,
          body: { spec: { audiences: source.serviceAccountToken.audience ? [source.serviceAccountToken.audience] : [], expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! } } },
        });
        items.push({ path: source.serviceAccountToken.path, content: request.status?.token ?? '' });
      } else if (source.configMap) {
        const cm = await core.readNamespacedConfigMap({ name: source.configMap.name!, namespace });
        for (const i of source.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key, mode: undefined }))) items.push({ path: i.path, content: cm.data?.[i.key] ?? '', mode: i.mode });
      } else if (source.secret) {
        const secret = await core.readNamespacedSecret({ name: source.secret.name!, namespace });
        for (const i of source.secret.items ?? Object.keys(secret.data ?? {}).map((key) => ({ key, path: key, mode: undefined }))) items.push({ path: i.path, content: Buffer.from(secret.data?.[i.key] ?? '', 'base64'), mode: i.mode });
      } else if (source.downwardAPI) {
        for (const i of source.downwardAPI.items ?? []) items.push({ path: i.path, content: fieldOf(pod, i.fieldRef!.fieldPath), mode: i.mode });
      }
    }
    writeItems(dir, items, volume.projected.defaultMode ?? 0o644, fsGroup);
    return dir;
  }
  throw new Error(`volume ${volume.name}: this kind of volume is not supported by the test node agent`);
}

/**
 * Materialises every volume of a pod under `podDir/volumes` (contents read once, at start);
 * `ownVolumes` is the agent's provisioner directory, the only place outside the pod's where it
 * changes ownership (fsGroup).
 */
export async function preparePodVolumes(core: CoreV1Api, pod: V1Pod, podDir: string, ownVolumes: string): Promise<PodVolumes> {
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  const volumes: PodVolumes = new Map();
  for (const volume of pod.spec?.volumes ?? []) volumes.set(volume.name, await volumeDirectory(core, pod, volume, join(podDir, 'volumes', volume.name), fsGroup, ownVolumes));
  return volumes;
}
