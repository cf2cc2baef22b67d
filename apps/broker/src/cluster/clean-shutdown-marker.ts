import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether this broker's previous run stopped cleanly (KIP-966: a broker back from an unclean
 * shutdown leaves every ELR, as Kafka's controller judges from the previous broker epoch a broker
 * registers with). A file in the data directory, written as the last step of a graceful stop and
 * taken away when the broker starts, so a run that is killed leaves none.
 */
export const CLEAN_SHUTDOWN_MARKER = 'broker-clean-shutdown';

/** True when the previous run stopped cleanly; the marker is removed (this run has not, yet). */
export function takeCleanShutdownMarker(dataDir: string): boolean {
  const file = join(dataDir, CLEAN_SHUTDOWN_MARKER);
  const clean = existsSync(file);
  rmSync(file, { force: true });
  return clean;
}

/** The graceful stop is complete: the next run starts as after a clean shutdown. */
export function writeCleanShutdownMarker(dataDir: string): void {
  writeFileSync(join(dataDir, CLEAN_SHUTDOWN_MARKER), '');
}
