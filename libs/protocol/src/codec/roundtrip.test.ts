import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageArbitrary, versionsOf } from '../../scripts/arbitraries.ts';
import { kebab, SPEC_DIR } from '../../scripts/generate.ts';
import { loadSpecs } from '../../scripts/spec-model.ts';

// Every message of every API, every version: random message → encode → decode → same message, and
// re-encoding the decoded message gives the same bytes.
const specs = loadSpecs(SPEC_DIR);
const modules = import.meta.glob('../generated/messages/*.ts', { eager: true }) as Record<string, Record<string, unknown>>;

describe.each(specs.map((s) => [s.name, s] as const))('%s', (name, spec) => {
  const mod = modules[`../generated/messages/${kebab(name)}.ts`]!;
  const encode = mod[`encode${name}`] as (m: unknown, v: number) => { toBuffer(): Buffer };
  const decode = mod[`decode${name}`] as (b: Buffer, v: number) => Record<string, unknown>;

  it.each(versionsOf(spec))('round-trips version %i', (version) => {
    fc.assert(
      fc.property(messageArbitrary(spec, version), (message) => {
        const bytes = encode(message, version).toBuffer();
        const decoded = decode(bytes, version);
        expect(decoded).toMatchObject(message);
        expect(encode(decoded, version).toBuffer().equals(bytes)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
