import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the local runtime must remember across operator restarts, per instance. */
export interface LocalBrokerState {
  nodeId: number;
  port: number;
  /** The SASL_PLAINTEXT listener for users (SCRAM); absent in state written before it existed. */
  saslPort?: number;
  metricsPort: number;
  /** configHash the running process was started with; null when not running. */
  configHash: string | null;
  pid: number | null;
  restarts: number;
}

export interface LocalClusterState {
  instanceId: string;
  brokers: LocalBrokerState[];
}

export async function readClusterState(file: string): Promise<LocalClusterState | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalClusterState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Write-then-rename so a crash mid-write never leaves a torn state file. */
export async function writeClusterState(file: string, state: LocalClusterState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, file);
}
