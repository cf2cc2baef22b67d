import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageArbitrary, versionsOf } from '../../scripts/arbitraries.ts';
import { RECORDS_DIR, SPEC_DIR } from '../../scripts/generate.ts';
import { loadSpecs } from '../../scripts/spec-model.ts';
import * as generated from '../generated/index.ts';

// Every message of every API, every version: random message → encode → decode → same message, and
// re-encoding the decoded message gives the same bytes. The coordinator record schemas
// (`__consumer_offsets` keys and values) are generated the same way and tested with them.
const specs = [...loadSpecs(SPEC_DIR), ...loadSpecs(RECORDS_DIR)];
const codecs = generated as unknown as Record<string, unknown>;

describe.each(specs.map((s) => [s.name, s] as const))('%s', (name, spec) => {
  const encode = codecs[`encode${name}`] as (m: unknown, v: number) => { toBuffer(): Buffer };
  const decode = codecs[`decode${name}`] as (b: Buffer, v: number) => Record<string, unknown>;

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
