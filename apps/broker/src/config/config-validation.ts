import type { KafkaConfigDef } from '../generated/kafka-configs.ts';

/**
 * Checks one config value the way Kafka's ConfigDef does: the value parses as the config's type,
 * then passes its validator (ranges, enumerations, lists of either). Returns Kafka's message for a
 * bad value ("Invalid value soon for configuration retention.ms: Not a number of type LONG"), or null.
 * The validator comes as Kafka prints it (generated/kafka-configs.ts), so the table stays Kafka's.
 */
export function configValueProblem(name: string, def: Pick<KafkaConfigDef, 'type' | 'validator'>, raw: string): string | null {
  const value = raw.trim();
  const invalid = (why: string) => `Invalid value ${raw} for configuration ${name}: ${why}`;
  const parsed = parse(def.type, value);
  if (typeof parsed === 'object' && parsed !== null && 'problem' in parsed) return invalid(parsed.problem);
  const problem = validatorProblem(def.validator, def.type, parsed as number | string | string[] | boolean);
  return problem ? invalid(problem) : null;
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function parse(type: KafkaConfigDef['type'], value: string): number | string | string[] | boolean | { problem: string } {
  switch (type) {
    case 'INT':
    case 'SHORT':
    case 'LONG': {
      const [min, max] = type === 'LONG' ? [LONG_MIN, LONG_MAX] : type === 'INT' ? [-(2n ** 31n), 2n ** 31n - 1n] : [-(2n ** 15n), 2n ** 15n - 1n];
      if (!/^[-+]?\d+$/.test(value) || BigInt(value) < min || BigInt(value) > max) return { problem: `Not a number of type ${type}` };
      return Number(value);
    }
    case 'DOUBLE':
      return value === '' || !Number.isFinite(Number(value)) ? { problem: 'Not a number of type DOUBLE' } : Number(value);
    case 'BOOLEAN':
      if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return { problem: 'Expected value to be either true or false' };
    case 'LIST':
      return value === '' ? [] : value.split(',').map((s) => s.trim());
    default:
      return value;
  }
}

function validatorProblem(validator: string | null, type: KafkaConfigDef['type'], value: number | string | string[] | boolean): string | null {
  if (!validator) return null;
  // Replica throttle lists: "*" or partition:broker pairs.
  if (validator.startsWith('[partitionId]:[brokerId]')) {
    const items = value as string[];
    if (items.length === 1 && items[0] === '*') return null;
    return items.every((i) => /^\d+:\d+$/.test(i)) ? null : 'must be the literal \'*\' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...';
  }
  const between = /^\[(-?[\d.E]+),\.\.\.,(-?[\d.E]+)\](?: or (-?\d+))?$/.exec(validator);
  if (between) {
    const n = value as number;
    if (between[3] !== undefined && n === Number(between[3])) return null;
    if (n < Number(between[1])) return `Value must be at least ${between[1]}`;
    if (n > Number(between[2])) return `Value must be no more than ${between[2]}`;
    return null;
  }
  const atLeast = /^\[(-?[\d.E]+),\.\.\.\]$/.exec(validator);
  if (atLeast) return (value as number) < Number(atLeast[1]) ? `Value must be at least ${atLeast[1]}` : null;
  const oneOf = /^\[(.*)\]$/.exec(validator);
  if (oneOf) {
    const allowed = oneOf[1]!.split(', ');
    const ok = (s: string) => allowed.includes(s) || allowed.some((a) => a.startsWith('by_duration:') && /^by_duration:P/.test(s));
    if (type === 'LIST') {
      const bad = (value as string[]).find((s) => !ok(s));
      return bad === undefined ? null : `String must be one of: ${allowed.join(', ')}`;
    }
    return ok(value as string) ? null : `String must be one of: ${allowed.join(', ')}`;
  }
  return null;
}

/** Kafka's LIST value after APPEND (values not yet present, in order) or SUBTRACT. */
export function appendToList(current: string, values: string): string {
  const list = current === '' ? [] : current.split(',').map((s) => s.trim());
  for (const v of values.split(',').map((s) => s.trim())) if (v !== '' && !list.includes(v)) list.push(v);
  return list.join(',');
}

export function subtractFromList(current: string, values: string): string {
  const drop = new Set(values.split(',').map((s) => s.trim()));
  return (current === '' ? [] : current.split(',').map((s) => s.trim())).filter((v) => !drop.has(v)).join(',');
}
