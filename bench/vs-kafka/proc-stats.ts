import { readFileSync } from 'node:fs';

/**
 * What /proc says of a process: resident memory now and at its peak, and CPU seconds used (user +
 * system). Read before and after a row, the CPU difference over the bytes moved gives CPU seconds
 * per GB.
 */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Clock ticks per second of /proc/<pid>/stat: 100 on Linux (USER_HZ). */
const USER_HZ = 100;

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** CPU seconds of several processes together (a cluster's brokers). */
export const totalCpuSeconds = (pids: number[]) => pids.reduce((n, pid) => n + cpuSeconds(pid), 0);
