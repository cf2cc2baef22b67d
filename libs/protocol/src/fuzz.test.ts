import { expect, it } from 'vitest';
import { fuzzDecoders } from './fuzz.ts';

it('decodes or rejects with a DecodeError every random or mutated frame (3 s; minutes in bench/protocol/fuzz.ts)', () => {
  const report = fuzzDecoders(3_000, 20261123);
  expect(report.failures).toEqual([]);
  expect(report.iterations).toBeGreaterThan(1000);
  // Both outcomes must be exercised, or the fuzzer is not reaching the decoders.
  expect(report.decoded).toBeGreaterThan(0);
  expect(report.rejected).toBeGreaterThan(0);
});
