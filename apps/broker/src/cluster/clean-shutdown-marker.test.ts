import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_MARKER, takeCleanShutdownMarker, writeCleanShutdownMarker } from './clean-shutdown-marker.ts';

describe('the clean shutdown marker', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says unclean for a data directory a run left without a graceful stop, clean after one, and is taken away by the next start', () => {
    dir = mkdtempSync(join(tmpdir(), 'clean-shutdown-'));
    expect(takeCleanShutdownMarker(dir)).toBe(false);
    writeCleanShutdownMarker(dir);
    expect(takeCleanShutdownMarker(dir)).toBe(true);
    // This run has not stopped cleanly yet: killed now, the next start must see an unclean shutdown.
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_MARKER))).toBe(false);
    expect(takeCleanShutdownMarker(dir)).toBe(false);
  });
});
