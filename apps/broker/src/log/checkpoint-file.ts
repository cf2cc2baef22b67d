import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Small state files (recovery point, log start offset, leader epochs) in Kafka's checkpoint layout:
 * a version line, a count line, then one entry per line. Written to a .tmp file, fsynced, and
 * renamed over the old one (then the directory is fsynced), so a crash leaves either the old or the
 * new file, never half of one.
 */
export function writeCheckpoint(path: string, entries: readonly (readonly (number | string)[])[]): void {
  writeFileAtomic(path, `0\n${entries.length}\n${entries.map((e) => e.join(' ')).join('\n')}${entries.length ? '\n' : ''}`);
}

/** Write to .tmp, fsync, rename over `path`, fsync the directory. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDirectory(dirname(path));
}

/** The entries of a checkpoint, or null when it is missing or malformed (callers fall back safely). */
export function readCheckpoint(path: string): number[][] | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0' || lines.length < 2) return null;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length - 2 !== count) return null;
  const entries = lines.slice(2).map((l) => l.split(' ').map(Number));
  return entries.every((e) => e.every(Number.isFinite)) ? entries : null;
}

/** A rename is durable only once the directory entry is; fsync of a directory fd does that on Linux. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** syncDirectory in the libuv thread pool: the event loop goes on while the disk works. */
export async function syncDirectoryAsync(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
