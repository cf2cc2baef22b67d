import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';

const BIN = resolve(import.meta.dirname, '../../apps/broker/bin/tributary-broker.js');

/** The image and the StatefulSet execute the bin directly: its shebang must carry the same flags. */
describe('broker launch flags', () => {
  it('the bin\'s shebang passes BROKER_NODE_FLAGS to node', () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${BROKER_NODE_FLAGS.join(' ')}`);
  });

  it('the bin runs when executed directly, and its Node has the flags', async () => {
    // An invalid flag makes the broker stop at once with its own message: proof that env ran node with the script.
    const failed = await promisify(execFile)(BIN, ['--bogus']).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/--bogus: unknown flag/);
    // The same flags on the command line are accepted by this Node (a typo would stop it).
    const { stdout } = await promisify(execFile)(process.execPath, [...BROKER_NODE_FLAGS, '-p', '1+1']);
    expect(stdout.trim()).toBe('2');
  });
});
