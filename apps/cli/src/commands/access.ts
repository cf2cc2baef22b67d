import { Option, type Command } from 'commander';
import { allPages, call, type Schemas } from '../client.ts';
import { collect, contextOf, int, keyValues, resolveInstance, timeoutOption } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';
import { readSecret } from '../secrets.ts';
import { waitOperation } from '../wait.ts';

type Acl = Schemas['Acl'];
type ClientQuota = Schemas['ClientQuota'];
type GroupQuota = Schemas['ConsumerGroupQuota'];

/** --wait/--timeout shared by the writes below: they answer 202 and the operator applies them to the brokers. */
const waitable = (c: Command) => c.option('-w, --wait', 'wait until the brokers have applied it').addOption(timeoutOption('how long --wait waits'));
/** -l k=v on the writes below: labels for ownership and filtering (the brokers never see them). */
const labelled = (c: Command, what: string) => c.option('-l, --label <key=value>', `label (repeatable)${what}`, collect);
const labelsOf = (o: { label?: string[] }) => (o.label ? { labels: keyValues(o.label, 'label') } : {});

export function usersCommand(program: Command, io: Io): void {
  const cmd = program.command('users').alias('user').description('SCRAM users of an instance (passwords from an environment variable or a file only)');
  cmd.command('list').description('List SCRAM users').argument('<instance>', 'instance id or name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/users', { params: { path: { id: inst.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, [{ header: 'NAME', get: (u) => u.name }, { header: 'MECHANISM', get: (u) => u.mechanism }, { header: 'ITERATIONS', get: (u) => u.iterations }, { header: 'ID', get: (u) => u.id }]);
    });
  cmd.command('get').description('Show a SCRAM user').argument('<instance>', 'instance id or name').argument('<user>', 'user name or id')
    .action(async (ref: string, key: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      renderValue(ctx.io, ctx.format, (await call(api.GET('/v1/instances/{id}/users/{key}', { params: { path: { id: inst.id, key } } }))).data);
    });
  waitable(labelled(cmd.command('create').description('Create a SCRAM user').argument('<instance>', 'instance id or name').argument('<user>', 'user name')
    .option('--password-env <var>', 'read the password from this environment variable')
    .option('--password-file <file>', 'read the password from this file')
    .addOption(new Option('--mechanism <m>', 'SCRAM mechanism').choices(['SCRAM-SHA-256', 'SCRAM-SHA-512']).default('SCRAM-SHA-512'))
    .option('--iterations <n>', 'SCRAM iterations', int, 8192), ''))
    .action(async (ref: string, name: string, o: { passwordEnv?: string; passwordFile?: string; mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; iterations: number; label?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const password = readSecret({ env: o.passwordEnv, file: o.passwordFile }, `user ${name}`);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.POST('/v1/instances/{id}/users', { params: { path: { id: inst.id } }, body: { name, password, mechanism: o.mechanism, iterations: o.iterations, ...labelsOf(o) } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
  waitable(cmd.command('rotate').description('Set a new password for a SCRAM user').argument('<instance>', 'instance id or name').argument('<user>', 'user name or id')
    .option('--password-env <var>', 'read the new password from this environment variable')
    .option('--password-file <file>', 'read the new password from this file'))
    .action(async (ref: string, key: string, o: { passwordEnv?: string; passwordFile?: string; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const password = readSecret({ env: o.passwordEnv, file: o.passwordFile }, `user ${key}`);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data: user } = await call(api.GET('/v1/instances/{id}/users/{key}', { params: { path: { id: inst.id, key } } }));
      const { data } = await call(api.PUT('/v1/instances/{id}/users/{key}', { params: { path: { id: inst.id, key: user.id } }, body: { password }, headers: { 'if-match': user.etag } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
  waitable(cmd.command('delete').description('Delete a SCRAM user').argument('<instance>', 'instance id or name').argument('<user>', 'user name or id'))
    .action(async (ref: string, key: string, o: { wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.DELETE('/v1/instances/{id}/users/{key}', { params: { path: { id: inst.id, key } } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
}

export function aclsCommand(program: Command, io: Io): void {
  const cmd = program.command('acls').alias('acl').description('Kafka ACL bindings of an instance');
  cmd.command('list').description('List ACLs').argument('<instance>', 'instance id or name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/acls', { params: { path: { id: inst.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items as Acl[], [
        { header: 'ID', get: (a) => a.id }, { header: 'PRINCIPAL', get: (a) => a.principal }, { header: 'PERMISSION', get: (a) => a.permissionType }, { header: 'OPERATION', get: (a) => a.operation },
        { header: 'RESOURCE', get: (a) => `${a.resourceType}:${a.patternType === 'PREFIXED' ? a.resourceName + '*' : a.resourceName}` }, { header: 'HOST', get: (a) => a.host },
      ]);
    });
  waitable(labelled(cmd.command('create').description('Create an ACL binding').argument('<instance>', 'instance id or name')
    .requiredOption('--principal <User:name>', 'principal, e.g. User:orders-service or User:*')
    .addOption(new Option('--operation <op>', 'operation').choices(['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE']).makeOptionMandatory())
    .addOption(new Option('--resource-type <type>', 'resource type').choices(['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID']).default('TOPIC'))
    .requiredOption('--resource <name>', 'resource name (kafka-cluster for CLUSTER)')
    .addOption(new Option('--pattern <type>', 'pattern type').choices(['LITERAL', 'PREFIXED']).default('LITERAL'))
    .addOption(new Option('--permission <p>', 'permission').choices(['ALLOW', 'DENY']).default('ALLOW'))
    .option('--host <host>', 'client host', '*'), ''))
    .action(async (ref: string, o: { principal: string; operation: string; resourceType: string; resource: string; pattern: string; permission: string; host: string; label?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.POST('/v1/instances/{id}/acls', {
        params: { path: { id: inst.id } },
        body: { principal: o.principal, operation: o.operation, resourceType: o.resourceType, resourceName: o.resource, patternType: o.pattern, permissionType: o.permission, host: o.host, ...labelsOf(o) } as Schemas['AclCreate'],
      }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
  waitable(cmd.command('delete').description('Delete an ACL binding by id').argument('<instance>', 'instance id or name').argument('<acl>', 'ACL id (from acls list)'))
    .action(async (ref: string, key: string, o: { wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.DELETE('/v1/instances/{id}/acls/{key}', { params: { path: { id: inst.id, key } } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
}

export function quotasCommand(program: Command, io: Io): void {
  const cmd = program.command('quotas').alias('quota').description('Client quotas (per user and/or client id) and consumer-group quotas');
  const client = cmd.command('client').description('Kafka client quotas: produce/fetch byte rates, request percentage');
  client.command('list').description('List client quotas').argument('<instance>', 'instance id or name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/client-quotas', { params: { path: { id: inst.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items as ClientQuota[], [
        { header: 'ID', get: (q) => q.id }, { header: 'USER', get: (q) => q.user }, { header: 'CLIENT_ID', get: (q) => q.clientId },
        { header: 'PRODUCE_B/S', get: (q) => q.producerByteRate }, { header: 'FETCH_B/S', get: (q) => q.consumerByteRate }, { header: 'REQUEST_%', get: (q) => q.requestPercentage },
      ]);
    });
  waitable(labelled(client.command('set').description('Create a client quota, or replace the rates of the existing one for the same user/client id').argument('<instance>', 'instance id or name')
    .option('--user <name>', 'user the quota applies to').option('--client-id <id>', 'client id the quota applies to')
    .option('--producer-byte-rate <n>', 'bytes/s produced', int).option('--consumer-byte-rate <n>', 'bytes/s fetched', int).option('--request-percentage <n>', 'request time %', int), '; an existing quota keeps its labels when none is given'))
    .action(async (ref: string, o: { user?: string; clientId?: string; producerByteRate?: number; consumerByteRate?: number; requestPercentage?: number; label?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      if (o.user === undefined && o.clientId === undefined) throw new CliError('name --user, --client-id or both', EXIT.usage);
      const inst = await resolveInstance(api, ref);
      const rates = { ...(o.producerByteRate !== undefined ? { producerByteRate: o.producerByteRate } : {}), ...(o.consumerByteRate !== undefined ? { consumerByteRate: o.consumerByteRate } : {}), ...(o.requestPercentage !== undefined ? { requestPercentage: o.requestPercentage } : {}), ...labelsOf(o) };
      const existing = (await allPages((cursor) => api.GET('/v1/instances/{id}/client-quotas', { params: { path: { id: inst.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } })))
        .find((q) => (q.user ?? undefined) === o.user && (q.clientId ?? undefined) === o.clientId);
      const { data } = existing
        ? await call(api.PUT('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id: inst.id, key: existing.id } }, body: rates, headers: { 'if-match': existing.etag } }))
        : await call(api.POST('/v1/instances/{id}/client-quotas', { params: { path: { id: inst.id } }, body: { ...(o.user ? { user: o.user } : {}), ...(o.clientId ? { clientId: o.clientId } : {}), ...rates } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
  waitable(client.command('delete').description('Delete a client quota by id').argument('<instance>', 'instance id or name').argument('<quota>', 'quota id'))
    .action(async (ref: string, key: string, o: { wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.DELETE('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id: inst.id, key } } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });

  const group = cmd.command('group').description('Consumer-group quotas: member limit and consume byte rate');
  group.command('list').description('List consumer-group quotas').argument('<instance>', 'instance id or name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id: inst.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items as GroupQuota[], [{ header: 'GROUP', get: (q) => q.group }, { header: 'MAX_MEMBERS', get: (q) => q.maxMembers }, { header: 'FETCH_B/S', get: (q) => q.consumerByteRate }]);
    });
  waitable(labelled(group.command('set').description('Create or replace the quota of a consumer group').argument('<instance>', 'instance id or name').argument('<group>', 'group id')
    .option('--max-members <n>', 'most members the group may have', int).option('--consumer-byte-rate <n>', 'bytes/s the group may fetch', int), '; an existing quota keeps its labels when none is given'))
    .action(async (ref: string, name: string, o: { maxMembers?: number; consumerByteRate?: number; label?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const limits = { ...(o.maxMembers !== undefined ? { maxMembers: o.maxMembers } : {}), ...(o.consumerByteRate !== undefined ? { consumerByteRate: o.consumerByteRate } : {}), ...labelsOf(o) };
      const r = await api.GET('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: inst.id, key: name } } });
      const { data } = r.response.status === 404
        ? await call(api.POST('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id: inst.id } }, body: { group: name, ...limits } }))
        : await call(api.PUT('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: inst.id, key: (await call(Promise.resolve(r))).data.id } }, body: limits, headers: { 'if-match': r.data!.etag } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
  waitable(group.command('delete').description('Delete a consumer-group quota').argument('<instance>', 'instance id or name').argument('<group>', 'group id'))
    .action(async (ref: string, key: string, o: { wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.DELETE('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id: inst.id, key } } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
}
