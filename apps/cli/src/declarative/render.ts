import { partition, summarize, type Change, type Plan } from '@tributary/spec';
import { paint, type Io } from '../output.ts';

const SYMBOL = { create: '+', update: '~', replace: '-/+', delete: '-', 'no-op': ' ' } as const;
const COLOR = { create: 'green', update: 'yellow', replace: 'red', delete: 'red', 'no-op': 'dim' } as const;
const show = (v: unknown) => (v === undefined ? '(default)' : JSON.stringify(v));

/** The plan as text: one block per changed resource with its attribute changes; no-ops only counted. */
export function renderPlan(io: Io, plan: Plan, flags: { prune: boolean; allowDataLoss: boolean }, verb: 'plan' | 'drift'): void {
  const { held } = partition(plan, flags);
  const heldReason = new Map(held.map((h) => [h.change.address, h.reason]));
  for (const c of plan.conflicts) io.out(`${paint(io, 'red', '!')} ${c.message}\n`);
  const changed = plan.changes.filter((c) => c.action !== 'no-op');
  for (const c of changed) {
    const reason = heldReason.get(c.address);
    io.out(`${paint(io, COLOR[c.action], `${SYMBOL[c.action]} ${c.address}`)}${tag(c)}${reason ? paint(io, 'red', `  (held: ${reason})`) : ''}\n`);
    for (const a of c.attributes) {
      const arrow = a.before === undefined ? show(a.after) : `${show(a.before)} → ${show(a.after)}`;
      io.out(`      ${a.path}: ${arrow}${a.note ? paint(io, 'dim', `  # ${a.note}`) : ''}\n`);
    }
  }
  const s = summarize(plan);
  const what = verb === 'drift' ? (changed.length || plan.conflicts.length ? 'Drift' : 'No drift') : 'Plan';
  io.out(`\n${what} for stack ${plan.stack}: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.noop} unchanged${held.length ? `; ${held.length} held back` : ''}${plan.conflicts.length ? `; ${plan.conflicts.length} conflict(s)` : ''}.\n`);
}

function tag(c: Change): string {
  if (c.action === 'replace' && c.kind === 'instance') return '  (replace: the instance, its topics and their messages are deleted, then created again from the files)';
  if (c.action === 'replace') return c.dataLoss ? '  (replace: deletes its data)' : '  (replace)';
  if (c.action === 'delete' && c.orphan) return '  (not in the files)';
  return '';
}

/** The plan as JSON for CI: every change with its attributes; payloads with ids and ETags are left out. */
export function planJson(plan: Plan, flags: { prune: boolean; allowDataLoss: boolean }) {
  const { held } = partition(plan, flags);
  const heldReason = new Map(held.map((h) => [h.change.address, h.reason]));
  return {
    stack: plan.stack,
    summary: summarize(plan),
    conflicts: plan.conflicts,
    changes: plan.changes.map((c) => ({
      address: c.address, kind: c.kind, instance: c.instance, name: c.name, action: c.action, attributes: c.attributes, dataLoss: c.dataLoss,
      ...(c.orphan ? { orphan: true } : {}), ...(c.refused ? { refused: c.refused } : {}), ...(heldReason.has(c.address) ? { held: heldReason.get(c.address) } : {}),
    })),
  };
}
