import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWithin, writeItems } from './volumes.ts';

/**
 * The node agent runs as root: writing a pod's configMap, secret or token files must never change a
 * file outside the volume's own directory, whatever already lies at an item's path. The symlink case
 * failed before writeItems created its files with O_EXCL | O_NOFOLLOW (it wrote and chmodded the
 * link's target, which is how a 0644 item could reach /dev/null).
 */
describe('node agent volume files stay inside their volume', () => {
  let scratch: string;
  let volume: string;
  let outside: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'node-agent-volumes-'));
    volume = join(scratch, 'pod', 'volumes', 'config');
    mkdirSync(volume, { recursive: true });
    outside = join(scratch, 'outside');
    writeFileSync(outside, 'untouched', { mode: 0o600 });
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes items with their mode and the fsGroup', () => {
    const gid = process.getgid!();
    writeItems(volume, [{ path: 'color', content: 'blue' }, { path: 'nested/key', content: Buffer.from('k'), mode: 0o400 }], 0o644, gid);
    expect(readFileSync(join(volume, 'color'), 'utf8')).toBe('blue');
    expect(statSync(join(volume, 'color')).mode & 0o7777).toBe(0o644);
    expect(statSync(join(volume, 'nested/key')).mode & 0o7777).toBe(0o400);
    expect(statSync(join(volume, 'color')).gid).toBe(gid);
  });

  it('refuses an item path that is a symlink, leaving its target as it was', () => {
    symlinkSync(outside, join(volume, 'color'));
    expect(() => writeItems(volume, [{ path: 'color', content: 'blue' }], 0o644, undefined)).toThrow(/EEXIST/);
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
    expect(statSync(outside).mode & 0o7777).toBe(0o600);
  });

  it('refuses an item under a symlinked directory', () => {
    const elsewhere = join(scratch, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(volume, 'sub'));
    expect(() => writeItems(volume, [{ path: 'sub/color', content: 'blue' }], 0o644, undefined)).toThrow(/leaves its volume/);
    expect(existsSync(join(elsewhere, 'color'))).toBe(false);
  });

  it('refuses absolute and climbing item paths', () => {
    expect(() => writeItems(volume, [{ path: '../../outside', content: 'x' }], 0o644, undefined)).toThrow(/leaves its volume/);
    expect(() => writeItems(volume, [{ path: '/etc/hostname', content: 'x' }], 0o644, undefined)).toThrow(/leaves its volume/);
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
  });

  it('tells what is within a directory, links followed', () => {
    symlinkSync(outside, join(volume, 'link'));
    expect(isWithin(volume, volume)).toBe(true);
    expect(isWithin(scratch, join(volume, 'link'))).toBe(true);
    expect(isWithin(volume, join(volume, 'link'))).toBe(false);
    expect(isWithin(volume, scratch)).toBe(false);
  });
});
