import { describe, expect, it } from 'vitest';
import { compileIdPattern, type IdPattern } from './transactional-id-pattern.ts';

const matcher = (p: IdPattern) => {
  if (!p.ok) throw new Error(`refused: ${p.reason}`);
  return p.matches;
};

describe('ListTransactions v2 transactional id pattern (RE2, whole id)', () => {
  it('matches the whole id only, as RE2/J Matcher.matches does', () => {
    const m = matcher(compileIdPattern('txn-.*'));
    expect(m('txn-a')).toBe(true);
    expect(m('my-txn-a')).toBe(false);
    expect(matcher(compileIdPattern('txn'))('txn-a')).toBe(false);
    expect(matcher(compileIdPattern('a|b'))('ab')).toBe(false);
  });

  it('lists every id for null or empty, and takes RE2 flag and named-group syntax', () => {
    expect(matcher(compileIdPattern(null))('anything')).toBe(true);
    expect(matcher(compileIdPattern(''))('anything')).toBe(true);
    expect(matcher(compileIdPattern('(?i)TXN-[a-z]+'))('txn-abc')).toBe(true);
    expect(matcher(compileIdPattern('(?P<app>[a-z]+)-\\d+'))('orders-12')).toBe(true);
  });

  it('refuses what RE2 refuses, even where JavaScript would accept it', () => {
    for (const p of ['txn(?=-a).*', 'x(?!y)', '(?<=a)b', '(a)\\1', '(?>a)', 'txn-[a', '(']) expect(compileIdPattern(p).ok, p).toBe(false);
  });
});
