import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentImage } from './pod.ts';

/** Where docker/build-images.sh keeps its images: buildah's storage (vfs driver) and run root. */
export interface BuildahStorage {
  root: string;
  runroot: string;
}

interface OciConfig {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

/**
 * What a buildah-built image means to the node agent: its configuration (ENV, ENTRYPOINT, CMD,
 * WORKDIR, from `buildah inspect`) and its root filesystem — the image's top layer directory in
 * the vfs storage, which with the vfs driver is a complete copy of the image's root (every layer
 * is). The agent only ever uses it as the read-only lower layer of each container's overlay, so
 * no buildah container (a further full copy under vfs) is needed. Throws, naming the build
 * command, when the image is not built. The image's USER is not applied: the chart and the
 * operator set runAsUser themselves.
 */
export function buildahImage(storage: BuildahStorage, name: string): AgentImage {
  let inspect: string;
  try {
    inspect = execFileSync('buildah', ['--root', storage.root, '--runroot', storage.runroot, '--storage-driver', 'vfs', 'inspect', '--type', 'image', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`image ${name} is not built in ${storage.root} (docker/build-images.sh builds it): ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
  const parsed = JSON.parse(inspect) as { FromImageID: string; OCIv1: { config: OciConfig } };
  // containers/storage's image index names each image's top layer; vfs keeps every layer whole in vfs/dir/<layer>.
  const images = JSON.parse(readFileSync(join(storage.root, 'vfs-images/images.json'), 'utf8')) as { id: string; layer: string }[];
  const layer = images.find((i) => i.id === parsed.FromImageID)?.layer;
  const root = layer ? join(storage.root, 'vfs/dir', layer) : undefined;
  if (!root || !existsSync(join(root, 'bin'))) throw new Error(`image ${name}: no root filesystem for its top layer in ${storage.root}`);
  const config = parsed.OCIv1.config;
  const env = Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return { root, env, entrypoint: config.Entrypoint ?? [], cmd: config.Cmd ?? [], workingDir: config.WorkingDir || '/' };
}
