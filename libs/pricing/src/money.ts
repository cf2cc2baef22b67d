/**
 * Money as integers. Rates are kept in micros (millionths of the currency's major unit, as the price
 * book stores them); amounts billed are integer minor units of the currency (cents for USD). Every
 * intermediate value is a bigint, and the only rounding is one half-to-even step per line, so a line
 * computed twice from the same inputs is the same number of cents and lines always sum to the total.
 */

/** ISO 4217 minor-unit exponents of the currencies a price book may use. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, CNY: 2, CHF: 2, JPY: 0, KRW: 0 };

export class PricingError extends Error {
  readonly code: 'unknown-currency' | 'missing-rate' | 'no-price-book' | 'invalid-input';
  constructor(code: PricingError['code'], message: string) { super(message); this.code = code; }
}

export function currencyExponent(currency: string): number {
  const e = CURRENCY_EXPONENTS[currency];
  if (e === undefined) throw new PricingError('unknown-currency', `currency ${currency} is not supported`);
  return e;
}

/** num / den rounded half to even (banker's rounding), for any signs; den must not be 0. */
export function divRoundHalfEven(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new PricingError('invalid-input', 'division by zero');
  if (den < 0n) { num = -num; den = -den; }
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  const r2 = (a % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** micros → minor units: 10^(6 − exponent) micros make one minor unit. */
export function microsPerMinor(currency: string): bigint {
  return 10n ** BigInt(6 - currencyExponent(currency));
}

/** An amount in minor units as a decimal string of the major unit ("12.34"), for CSV and humans. */
export function formatMinor(amountMinor: number | bigint, currency: string): string {
  const e = currencyExponent(currency);
  const v = BigInt(amountMinor);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(e + 1, '0');
  const whole = e === 0 ? s : s.slice(0, -e);
  return (neg ? '-' : '') + (e === 0 ? whole : `${whole}.${s.slice(-e)}`);
}

/** A bigint that must fit a JSON number exactly. */
export function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new PricingError('invalid-input', 'amount out of range');
  return Number(v);
}
