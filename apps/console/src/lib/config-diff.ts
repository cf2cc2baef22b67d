/**
 * What an edit of a topic's settings changes, shown before it is applied. The console replaces the
 * topic's configs (PUT), so a key left out is *unset*: the topic falls back to the broker's default.
 */
export type ConfigChange =
  | { key: string; kind: 'added'; after: string }
  | { key: string; kind: 'changed'; before: string; after: string }
  | { key: string; kind: 'unset'; before: string };

export function configDiff(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): ConfigChange[] {
  const out: ConfigChange[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[key];
    const a = after[key];
    if (b === undefined && a !== undefined) out.push({ key, kind: 'added', after: a });
    else if (b !== undefined && a === undefined) out.push({ key, kind: 'unset', before: b });
    else if (b !== undefined && a !== undefined && a !== b) out.push({ key, kind: 'changed', before: b, after: a });
  }
  return out;
}
