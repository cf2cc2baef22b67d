/**
 * The few lines of the Prometheus text exposition format that metering reads: `name{labels} value`
 * samples (comments and other families skipped). Label values are unescaped (\\, \", \n) as the
 * format defines them.
 */
export interface PromSample { name: string; labels: Record<string, string>; value: number }

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/y;

export function parsePromText(text: string, wanted: ReadonlySet<string>): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!wanted.has(name)) continue;
    const labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        LABEL.lastIndex = i;
        const m = LABEL.exec(line);
        if (!m) throw new Error(`malformed labels in metrics line: ${line.slice(0, 200)}`);
        labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        i = LABEL.lastIndex;
        if (line[i] === ',') i++;
      }
      i++;
    }
    const value = Number(line.slice(i).trim().split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** One broker's billing metrics at one collection. Counter keys are JSON [direction, topic, principal, listener]. */
export interface BrokerReading { epoch: bigint; counters: Record<string, string>; replicas: number; logBytes: bigint }

export const METERING_FAMILIES = new Set(['tributary_broker_metered_bytes_total', 'tributary_broker_metering_epoch_seconds', 'tributary_broker_partition_log_bytes']);

export function readingOf(text: string): BrokerReading {
  const samples = parsePromText(text, METERING_FAMILIES);
  const epoch = samples.find((s) => s.name === 'tributary_broker_metering_epoch_seconds');
  if (!epoch) throw new Error('the broker does not expose tributary_broker_metering_epoch_seconds');
  const counters: Record<string, string> = {};
  let replicas = 0;
  let logBytes = 0n;
  for (const s of samples) {
    if (s.name === 'tributary_broker_metered_bytes_total') {
      const l = s.labels;
      counters[JSON.stringify([l.direction ?? '', l.topic ?? '', l.principal ?? '', l.listener ?? ''])] = BigInt(Math.round(s.value)).toString();
    } else if (s.name === 'tributary_broker_partition_log_bytes' && !(s.labels.topic ?? '').startsWith('__')) {
      // Internal topics (__consumer_offsets) are the service's own, not billed as the customer's partitions or disk.
      replicas++;
      logBytes += BigInt(Math.round(s.value));
    }
  }
  return { epoch: BigInt(Math.round(epoch.value)), counters, replicas, logBytes };
}
