import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Broker processes are started detached, in their own process group, with output to a file, so they
 * outlive an operator restart and can be re-adopted by pid. A pid alone can be reused by the kernel,
 * so adoption also checks that the process's environment carries the instance's marker.
 */
export const MARKER_VARIABLE = 'TRIBUTARY_PROCESS_MARKER';

export function spawnDetached(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): number {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function isProcessAlive(pid: number, marker: string): boolean {
  try {
    // The marker travels in the environment (TRIBUTARY_PROCESS_MARKER), readable by the same user.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (!environ.includes(`${MARKER_VARIABLE}=${marker}`)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; it only waits to be reaped by its parent.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM (the broker's graceful shutdown), then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function stopProcess(pid: number, marker: string, graceMs: number): Promise<void> {
  if (!isProcessAlive(pid, marker)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid, marker)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isProcessAlive(pid, marker); i++) await sleep(20);
}
