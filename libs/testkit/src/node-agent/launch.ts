import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

/** One directory (or file) made visible at `path` inside the container's mount namespace. */
export interface BindMount {
  source: string;
  path: string;
  readOnly: boolean;
}

export interface LaunchSpec {
  /** The image's root filesystem; undefined: the host's root. Either is only ever the read-only lower layer. */
  root?: string;
  /** An empty directory of the pod's own where the container's writable layer is mounted (a tmpfs, in its namespace only). */
  scratch: string;
  mounts: BindMount[];
  workingDir: string;
  argv: string[];
  env: Record<string, string>;
  user?: { uid: number; gid: number; groups: number[] };
  logFile: number;
}

/**
 * Runs in the new mount namespace (private propagation, so nothing leaks to the host). The container's
 * root is an overlay: the image's root (or the host's) as the read-only lower layer, a tmpfs mounted
 * over the pod's own scratch directory as the upper one, so nothing the container or its mount points
 * create reaches the host's or the image's files. /dev, /proc and /sys are mounted in; each volume is
 * bind-mounted at its path resolved inside that root (a link such as /var/run -> /run leads to the
 * root's own directory, never the host's); then chroot, the working directory, exec.
 * Arguments: the scratch directory, the lower root, triples `source path ro|rw`, `--`, the working
 * dir, then the argv.
 */
const IN_NAMESPACE = `set -e
scratch="$1"; lower="$2"; shift 2
/usr/bin/mount -t tmpfs -o mode=0755 tributary-pod "$scratch"
/usr/bin/mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
/usr/bin/mount -t overlay tributary-pod -o "lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"
root="$scratch/root"
inside() { /usr/sbin/chroot "$root" /bin/sh -c "$@"; }
inside 'mkdir -p /dev /proc /sys'
/usr/bin/mount --rbind /dev "$root/dev"
/usr/bin/mount -t proc proc "$root/proc"
/usr/bin/mount --rbind /sys "$root/sys"
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then target=$(inside 'mkdir -p "$1" && realpath "$1"' sh "$2")
  else target=$(inside 'mkdir -p "$(dirname "$1")" && { [ -e "$1" ] || : > "$1"; } && realpath "$1"' sh "$2"); fi
  /usr/bin/mount --bind "$1" "$root$target"
  if [ "$3" = ro ]; then /usr/bin/mount -o remount,bind,ro "$root$target"; fi
  shift 3
done
shift
dir="$1"; shift
exec /usr/sbin/chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$dir" "$@"`;

/**
 * Starts one container as a local process: `unshare --mount --fork` (the unshare parent ignores
 * SIGTERM and exits with the child's status, so signals go to the child, see `containerPid`).
 * Detached into its own process group so a final SIGKILL reaches every descendant. The agent itself
 * writes nothing outside the pod's directory here: the mount points are made inside the overlay.
 */
export function launchContainer(spec: LaunchSpec): ChildProcess {
  mkdirSync(spec.scratch, { recursive: true });
  const mountArgs: string[] = [];
  // Parents before children, as runc orders mounts, so a volume inside another's path stays visible.
  const depth = (m: BindMount) => m.path.split('/').filter(Boolean).length;
  for (const m of [...spec.mounts].sort((a, b) => depth(a) - depth(b))) mountArgs.push(m.source, m.path, m.readOnly ? 'ro' : 'rw');
  const argv = spec.user ? ['/usr/bin/setpriv', `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, spec.user.groups.length ? `--groups=${spec.user.groups.join(',')}` : '--clear-groups', '--', ...spec.argv] : spec.argv;
  return spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '--fork', '/bin/sh', '-c', IN_NAMESPACE, 'container', spec.scratch, spec.root ?? '/', ...mountArgs, '--', spec.workingDir, ...argv], {
    env: spec.env,
    stdio: ['ignore', spec.logFile, spec.logFile],
    detached: true,
  });
}

/** The container's own process (unshare's only child), or null once it is gone. */
export function containerPid(unsharePid: number): number | null {
  try {
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    return children ? Number(children.split(' ')[0]) : null;
  } catch {
    return null;
  }
}

/**
 * Runs `argv` inside a running container (its mount namespace, root and user): exec probes and
 * preStop hooks. Resolves with the exit code; a time limit kills it.
 */
export function execInContainer(pid: number, argv: string[], env: Record<string, string>, user: LaunchSpec['user'], timeoutMs: number): Promise<number> {
  const nsenter = ['--target', String(pid), '--mount', '--root', '--wd'];
  const command = user ? ['/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, user.groups.length ? `--groups=${user.groups.join(',')}` : '--clear-groups', '--', ...argv] : argv;
  return new Promise((resolve) => {
    const proc = spawn('/usr/bin/nsenter', [...nsenter, ...command], { env, stdio: 'ignore' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', () => resolve(127));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 137);
    });
  });
}

/** SIGKILL to a container's whole process group (its unshare parent included). */
export function killGroup(proc: ChildProcess): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function hasUtilities(): string | null {
  for (const tool of ['/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/mount', '/usr/sbin/chroot']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing (util-linux)`;
    }
  }
  return process.getuid?.() === 0 ? null : 'the node agent needs root (mount namespaces, bind mounts, setpriv)';
}
