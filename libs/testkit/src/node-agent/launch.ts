import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One directory made visible at `path` inside the container's mount namespace. */
export interface BindMount {
  source: string;
  path: string;
  readOnly: boolean;
}

export interface LaunchSpec {
  /** The image's root filesystem; undefined runs on the host's own root (mount points created there). */
  root?: string;
  mounts: BindMount[];
  workingDir: string;
  argv: string[];
  env: Record<string, string>;
  user?: { uid: number; gid: number; groups: number[] };
  logFile: number;
}

/**
 * Runs in the new mount namespace (private propagation, so nothing leaks to the host): bind-mounts
 * each volume over its path, then chroots into the image root when there is one, changes to the
 * working directory and execs the container's command — as the pod's user through setpriv. Arguments:
 * triples `source path ro|rw`, `--`, the root ('' for the host), the working dir, then the argv.
 */
const IN_NAMESPACE = `set -e
while [ "$1" != "--" ]; do
  /usr/bin/mount --bind "$1" "$2"
  if [ "$3" = ro ]; then /usr/bin/mount -o remount,bind,ro "$2"; fi
  shift 3
done
shift
root="$1"; dir="$2"; shift 2
if [ -n "$root" ]; then
  /usr/bin/mount --rbind /dev "$root/dev"
  /usr/bin/mount -t proc proc "$root/proc"
  exec /usr/sbin/chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
fi
cd "$dir"
exec "$@"`;

/**
 * Starts one container as a local process: `unshare --mount --fork` (the unshare parent ignores
 * SIGTERM and exits with the child's status, so signals go to the child, see `containerPid`).
 * Detached into its own process group so a final SIGKILL reaches every descendant.
 */
export function launchContainer(spec: LaunchSpec): ChildProcess {
  const mountArgs: string[] = [];
  // A mount over an ancestor of another volume's source (an emptyDir at /tmp, when the agent's
  // directory is under /tmp) would hide that source from the mounts after it: such mounts go last.
  const shadows = (m: BindMount) => spec.mounts.some((o) => o !== m && o.source.startsWith(`${m.path.replace(/\/$/, '')}/`));
  const ordered = [...spec.mounts.filter((m) => !shadows(m)), ...spec.mounts.filter(shadows)];
  for (const m of ordered) {
    const target = spec.root ? join(spec.root, m.path) : m.path;
    // A mount point must exist; on the host root this leaves an empty directory behind (README).
    mkdirSync(target, { recursive: true });
    mountArgs.push(m.source, target, m.readOnly ? 'ro' : 'rw');
  }
  if (spec.root) for (const d of ['dev', 'proc']) mkdirSync(join(spec.root, d), { recursive: true });
  const argv = spec.user ? ['/usr/bin/setpriv', `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, spec.user.groups.length ? `--groups=${spec.user.groups.join(',')}` : '--clear-groups', '--', ...spec.argv] : spec.argv;
  return spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '--fork', '/bin/sh', '-c', IN_NAMESPACE, 'container', ...mountArgs, '--', spec.root ?? '', spec.workingDir, ...argv], {
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
  for (const tool of ['/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/mount']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing (util-linux)`;
    }
  }
  return process.getuid?.() === 0 ? null : 'the node agent needs root (mount namespaces, bind mounts, setpriv)';
}
