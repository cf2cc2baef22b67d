import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec, parseSpecText, SpecError } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'tributary-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const issuesOf = (fn: () => unknown) => { try { fn(); } catch (err) { if (err instanceof SpecError) return err.issues; throw err; } throw new Error('no error'); };

const GOOD = `apiVersion: tributary.dev/v1
stack: payments
instances:
  - name: pay
    spec:
      zone: zone-a
      brokers: 1
      bandwidthMBps: 40
      diskGiB: 100
      partitionLimit: 100
      topicLimit: 50
      consumerGroupLimit: 50
      billing: { mode: postpaid }
    topics:
      - name: orders
        partitions: 3
        replicationFactor: 1
`;

describe('spec files', () => {
  it('parses YAML with defaults applied', () => {
    const { spec } = parseSpecText(GOOD, 'a.yaml');
    expect(spec.instances[0]?.users).toEqual([]);
    expect(spec.instances[0]?.topics[0]?.name).toBe('orders');
  });

  it('places schema errors at file:line:column of the offending node', () => {
    const bad = GOOD.replace('partitions: 3', 'partitions: "three"').replace('brokers: 1', 'brokers: 1\n      color: blue');
    const issues = issuesOf(() => parseSpecText(bad, 'a.yaml'));
    expect(issues).toContainEqual(expect.objectContaining({ file: 'a.yaml', line: 8, column: 7, path: '/instances/0/spec/color', message: 'unknown field "color"' }));
    expect(issues).toContainEqual(expect.objectContaining({ line: 17, column: 21, path: '/instances/0/topics/0/partitions' }));
  });

  it('refuses inline passwords, saying how to reference one', () => {
    const text = GOOD + '    users:\n      - name: app\n        password: hunter2hunter2\n';
    const [issue] = issuesOf(() => parseSpecText(text, 'a.yaml'));
    expect(issue).toMatchObject({ line: 20, column: 19, message: expect.stringContaining('passwords are references, never inline') });
  });

  it('reports YAML syntax errors with their position, and JSON files are read too', () => {
    const [issue] = issuesOf(() => parseSpecText('apiVersion: [unclosed\n', 'b.yaml'));
    expect(issue).toMatchObject({ file: 'b.yaml', line: expect.any(Number), column: expect.any(Number) });
    const json = JSON.stringify({ apiVersion: 'tributary.dev/v1', stack: 'payments', instances: [] });
    expect(parseSpecText(json, 'c.json').spec.stack).toBe('payments');
  });

  it('a directory is one stack: differing stacks and duplicate instances are errors pointing at the second', () => {
    writeFileSync(join(dir, 'a.yaml'), GOOD);
    writeFileSync(join(dir, 'b.yaml'), GOOD.replace('stack: payments', 'stack: other'));
    const issues = issuesOf(() => loadSpec(dir, dir));
    expect(issues).toContainEqual(expect.objectContaining({ file: 'b.yaml', line: 2, message: expect.stringContaining('differs from "payments" in a.yaml:2') }));
    expect(issues).toContainEqual(expect.objectContaining({ file: 'b.yaml', line: 4, message: expect.stringContaining('already declared at a.yaml:4:5') }));
    writeFileSync(join(dir, 'b.yaml'), GOOD.replace('name: pay', 'name: other'));
    expect(loadSpec(dir, dir).instances.map((i) => i.name)).toEqual(['pay', 'other']);
  });
});
