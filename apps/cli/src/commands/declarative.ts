import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import {
  diff, exportSpec, hasChanges, loadSpec, LOCK_LABEL, MANAGED_CONFIG_PREFIX, SpecError, STACK_LABEL, type LoadedSpec, type Plan,
} from '@tributary/spec';
import { call } from '../client.ts';
import { contextOf, resolveInstance, timeoutOption, type Ctx } from '../context.ts';
import { applyPlan, type ApplyReport } from '../declarative/apply.ts';
import { readActual, readInstance } from '../declarative/actual.ts';
import { planJson, renderPlan } from '../declarative/render.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderValue, type Io } from '../output.ts';

/** Loads the spec files, turning position-keeping errors into one CliError with file:line:column lines. */
function load(path: string): LoadedSpec {
  try {
    return loadSpec(path);
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(`invalid spec files (${err.issues.length} problem${err.issues.length > 1 ? 's' : ''}):`, EXIT.error, err.message.split('\n'));
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no such file or directory: ${path}`, EXIT.usage);
    throw err;
  }
}

async function planFor(ctx: Ctx, spec: { stack: string; instances: LoadedSpec['instances'] }, prune: boolean): Promise<Plan> {
  const actual = await readActual(ctx.api(), spec.stack, spec.instances.map((i) => i.name));
  return diff(spec, actual, { prune });
}

function printPlan(ctx: Ctx, plan: Plan, flags: { prune: boolean; allowDataLoss: boolean }, verb: 'plan' | 'drift') {
  if (ctx.format === 'table') renderPlan(ctx.io, plan, flags, verb);
  else renderValue(ctx.io, ctx.format, planJson(plan, flags));
}

const fileOption = (c: Command) => c.requiredOption('-f, --file <path>', 'a spec file, or a directory of *.yaml/*.yml/*.json spec files (one stack)');

export function declarativeCommands(program: Command, io: Io): void {
  fileOption(program.command('plan').description('Show what apply would change: an attribute-level diff of the spec files against the API (no state file)'))
    .option('--prune', 'also plan deleting what the stack owns and the files no longer declare')
    .option('--allow-data-loss', 'plan changes that delete data (topic replace, deletes) as runnable')
    .option('--detailed-exitcode', 'exit 0 when there is nothing to change, 2 when there is, 1 on error (for CI)')
    .action(async (o: { file: string; prune?: boolean; allowDataLoss?: boolean; detailedExitcode?: boolean }, c: Command) => {
      const ctx = contextOf(c, io);
      const spec = load(o.file);
      const plan = await planFor(ctx, spec, Boolean(o.prune));
      printPlan(ctx, plan, { prune: Boolean(o.prune), allowDataLoss: Boolean(o.allowDataLoss) }, 'plan');
      if (o.detailedExitcode && hasChanges(plan)) throw new CliError('', EXIT.changes);
    });

  fileOption(program.command('apply').description('Make the API match the spec files: creates, updates in place, replaces and (with --prune) deletes, each waited for'))
    .option('--prune', 'delete what the stack owns (label tributary.dev/stack) and the files no longer declare')
    .option('--allow-data-loss', 'allow changes that delete data: topic replacement, topic and instance deletion')
    .option('--force-unlock', 'remove a lock left by an apply that was killed, then stop')
    .addOption(timeoutOption('how long to wait for each change'))
    .action(async (o: { file: string; prune?: boolean; allowDataLoss?: boolean; forceUnlock?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const spec = load(o.file);
      if (o.forceUnlock) return forceUnlock(ctx, spec.stack);
      const flags = { prune: Boolean(o.prune), allowDataLoss: Boolean(o.allowDataLoss) };
      const plan = await planFor(ctx, spec, flags.prune);
      if (ctx.format === 'table') renderPlan(ctx.io, plan, flags, 'plan');
      await runApply(ctx, plan, { ...flags, timeoutMs: o.timeout }, spec.baseDirOf);
    });

  program.command('destroy').description('Delete everything the stack owns: its instances, their topics and data (needs --allow-data-loss)')
    .option('-f, --file <path>', 'spec files naming the stack')
    .option('--stack <name>', 'the stack, instead of -f')
    .option('--allow-data-loss', 'confirm: every topic and instance of the stack is deleted with its data')
    .addOption(timeoutOption('how long to wait for each deletion'))
    .action(async (o: { file?: string; stack?: string; allowDataLoss?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const stack = o.stack ?? (o.file ? load(o.file).stack : undefined);
      if (!stack) throw new CliError('name the stack: -f DIR or --stack NAME', EXIT.usage);
      const plan = await planFor(ctx, { stack, instances: [] }, true);
      const flags = { prune: true, allowDataLoss: Boolean(o.allowDataLoss) };
      if (ctx.format === 'table') renderPlan(ctx.io, plan, flags, 'plan');
      await runApply(ctx, plan, { ...flags, timeoutMs: o.timeout }, new Map());
    });

  fileOption(program.command('drift').description('Report where the API differs from the spec files (scheduled checks); changes nothing'))
    .option('--detailed-exitcode', 'exit 0 without drift, 2 with drift, 1 on error')
    .action(async (o: { file: string; detailedExitcode?: boolean }, c: Command) => {
      const ctx = contextOf(c, io);
      const spec = load(o.file);
      const plan = await planFor(ctx, spec, true);
      printPlan(ctx, plan, { prune: true, allowDataLoss: true }, 'drift');
      if (o.detailedExitcode && hasChanges(plan)) throw new CliError('', EXIT.changes);
    });

  program.command('export').description('Write a spec file describing the stack\'s instances as they are (plan of it is a no-op)')
    .requiredOption('--stack <name>', 'the stack whose instances are exported')
    .option('-O, --out <file>', 'write here instead of standard output')
    .action(async (o: { stack: string; out?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const actual = await readActual(ctx.api(), o.stack, []);
      writeSpec(ctx, exportSpec(o.stack, actual.instances), o.out);
    });

  program.command('import').description('Adopt existing instances into a stack (label them, their topics, users, ACLs and quotas) and write their spec file')
    .requiredOption('--stack <name>', 'the stack that will own them')
    .requiredOption('-i, --instance <name...>', 'instances to adopt (id or name)')
    .option('-O, --out <file>', 'write the spec file here instead of standard output')
    .action(async (o: { stack: string; instance: string[]; out?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      for (const ref of o.instance) {
        const inst = await resolveInstance(api, ref);
        const owner = inst.labels[STACK_LABEL];
        if (owner && owner !== o.stack) throw new CliError(`instance ${inst.name} belongs to stack "${owner}"; it is not adopted by "${o.stack}"`, EXIT.refused);
        const full = await readInstance(api, inst);
        // Every config key set now becomes managed: removing it from the file later resets it.
        for (const t of full.topics) {
          const labels = { ...t.labels, [STACK_LABEL]: o.stack, ...Object.fromEntries(Object.keys(t.configs).map((k) => [MANAGED_CONFIG_PREFIX + k, 'managed'])) };
          if (JSON.stringify(labels) !== JSON.stringify(t.labels)) {
            await call(api.PUT('/v1/instances/{id}/topics/{name}', { params: { path: { id: inst.id, name: t.name } }, body: { configs: t.configs, labels }, headers: { 'if-match': t.etag } }));
          }
        }
        await adoptObjects(api, inst.id, o.stack, full);
        const labels = { ...inst.labels, [STACK_LABEL]: o.stack, ...Object.fromEntries(Object.keys(inst.spec.brokerConfig ?? {}).map((k) => [MANAGED_CONFIG_PREFIX + k, 'managed'])) };
        if (JSON.stringify(labels) !== JSON.stringify(inst.labels)) {
          await call(api.PUT('/v1/instances/{id}', { params: { path: { id: inst.id } }, body: { labels, spec: inst.spec }, headers: { 'if-match': inst.etag } }));
        }
        ctx.io.err(`instance ${inst.name} (${inst.id}) now belongs to stack ${o.stack}\n`);
      }
      const actual = await readActual(api, o.stack, []);
      writeSpec(ctx, exportSpec(o.stack, actual.instances), o.out);
    });
}

/** `import`: the instance's users, ACLs and quotas get the stack's label (labels only, If-Match). */
async function adoptObjects(api: ReturnType<Ctx['api']>, id: string, stack: string, full: Awaited<ReturnType<typeof readInstance>>) {
  const kinds = [
    ['/v1/instances/{id}/users/{key}', full.users], ['/v1/instances/{id}/acls/{key}', full.acls],
    ['/v1/instances/{id}/client-quotas/{key}', full.clientQuotas], ['/v1/instances/{id}/consumer-group-quotas/{key}', full.groupQuotas],
  ] as const;
  for (const [path, items] of kinds) {
    for (const x of items) {
      if (x.labels[STACK_LABEL] === stack) continue;
      await call(api.PATCH(path, { params: { path: { id, key: x.id } }, body: { labels: { ...x.labels, [STACK_LABEL]: stack } }, headers: { 'if-match': x.etag } }));
    }
  }
}

function writeSpec(ctx: Ctx, spec: ReturnType<typeof exportSpec>, out: string | undefined) {
  const text = ctx.format === 'json' ? JSON.stringify(spec, null, 2) + '\n'
    : `# yaml-language-server: $schema=https://tributary.dev/schemas/spec-v1.json\n# Exported by tributary. Passwords are references: set the environment variables named below before apply.\n${stringifyYaml(spec)}`;
  if (!out) { ctx.io.out(text); return; }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text, { mode: 0o644 });
  ctx.io.err(`wrote ${out}\n`);
}

async function runApply(ctx: Ctx, plan: Plan, flags: { prune: boolean; allowDataLoss: boolean; timeoutMs: number }, baseDirOf: Map<string, string>) {
  let report: ApplyReport;
  try {
    report = await applyPlan(ctx.api(), ctx.io, plan, flags, baseDirOf);
  } catch (err) {
    const r = (err as { report?: ApplyReport }).report;
    if (r) {
      if (ctx.format !== 'table') renderValue(ctx.io, ctx.format, r);
      ctx.io.err(`\napply stopped at ${r.failed?.address ?? '?'} (${r.failed?.action ?? ''}): done before it: ${r.done.length ? r.done.map((d) => d.address).join(', ') : 'nothing'}; not done: ${r.notDone.length ? r.notDone.map((d) => d.address).join(', ') : 'nothing'}\n`);
    }
    throw err;
  }
  if (ctx.format !== 'table') renderValue(ctx.io, ctx.format, report);
  else ctx.io.out(report.done.length ? `\nApply complete: ${report.done.length} change(s) made.\n` : '\nNothing to apply.\n');
}

async function forceUnlock(ctx: Ctx, stack: string) {
  const actual = await readActual(ctx.api(), stack, []);
  for (const inst of actual.instances) {
    if (inst.labels[STACK_LABEL] !== stack || !inst.labels[LOCK_LABEL]) continue;
    const labels = { ...inst.labels };
    delete labels[LOCK_LABEL];
    await call(ctx.api().PUT('/v1/instances/{id}', { params: { path: { id: inst.id } }, body: { labels, spec: inst.spec }, headers: { 'if-match': inst.etag } }));
    ctx.io.err(`unlocked instance ${inst.name}\n`);
  }
}
