import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the local runtime must remember across operator restarts, per instance. */
export interface LocalBrokerState {
  nodeId: number;
  /**
   * The internal PLAINTEXT listener (operator, API, replication; trusted) on the internal host. Absent
   * in state written before the listener layout of issue 14, whose brokers still run with `port`.
   */
  internalPort?: number;
  /**
   * Legacy: the PLAINTEXT port of the layout before issue 14, which was also handed to clients. Kept
   * only while a broker started with it still runs; its next start drops it, so that address, which
   * clients may still hold, is never listened on again.
   */
  port?: number;
  /** The client listener (SASL_PLAINTEXT; users log in with SCRAM); absent in state written before it existed. */
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
