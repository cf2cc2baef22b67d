import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { SecretBox } from '@tributary/db';
import {
  MESSAGE_LIMITS, MessageExportQuerySchema, MessageOneQuerySchema, MessagePageSchema, MessageReadQuerySchema, MessageRecordSchema,
  MessageSearchResultSchema, MessageSearchSchema, MessageSendSchema, MessageSentSchema, MessageTailQuerySchema, ProblemSchema, RecordParamsShape, TopicNameSchema,
  type FieldError,
} from '@tributary/contracts';
import { principalOf } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import type { InstanceRow, Principal, Store } from '../store/types.ts';
import { READ_ERRORS } from './responses.ts';
import { PrincipalSessions } from '../messages/principal.ts';
import { TopicAccess, cursorPositions, readOne, readPage, sendRecord, startPositions, type TopicView } from '../messages/engine.ts';
import { decodeCursor, filtersDigest, type PartitionPosition } from '../messages/cursor.ts';
import { compileFilters } from '../messages/filters.ts';
import { parsePayload } from '../messages/render.ts';
import { scan } from '../messages/search.ts';
import { exportRange, tail, type Sink } from '../messages/stream.ts';
import type { MessageQuota, QuotaLease } from '../messages/quota.ts';

/**
 * Messages over HTTP: read, fetch one, search, send, live tail and export a topic's records, as
 * the caller's own Kafka principal (messages/principal.ts) so the instance's ACLs decide; roles
 * apply on top (viewers read and search, never send); the instance's spec field
 * `messageBrowsing: disabled` turns every read off; each request leaves an AuditEvent.
 */
const tags = ['messages'];
const Params = z.strictObject({ id: z.string().min(1).max(64), name: TopicNameSchema });
const OneParams = Params.extend(RecordParamsShape);

const p = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });
const MESSAGE_ERRORS = {
  ...READ_ERRORS,
  403: p('the role may not do this (forbidden), the instance\'s ACLs refuse the caller\'s Kafka principal (kafka-acl-denied: the detail names the principal and the ACL that would allow it), or message browsing is off for the instance (message-browsing-disabled)'),
  404: p('no such instance, topic (on the brokers) or record (code not-found)'),
  409: p('the instance has no reachable brokers yet (code instance-not-running)'),
  410: p('the topic was deleted while the request ran (code topic-deleted)'),
  422: p('invalid query or body, with errors[] naming each field: offsets before the log start or past the end, unknown partitions, malformed cursors or filters (code validation-failed)'),
  429: p('too many requests for the key (rate-limited), or the key or the instance has used its bytes of message data for the current window (message-quota-exceeded); see Retry-After'),
  502: p('the broker answered an unexpected error (code instance-unreachable)'),
  503: p('no broker of the instance answered in time; retry later (code instance-unreachable)'),
} as const;
const WRITE_MESSAGE_ERRORS = {
  ...MESSAGE_ERRORS,
  409: p('the instance has no reachable brokers yet (instance-not-running), or the Idempotency-Key is still in flight (idempotency-key-in-flight)'),
  413: p('the body is over 1 MiB, or the record is larger than the API or the topic accepts (code payload-too-large)'),
  415: p('a body that is not application/json (code unsupported-media-type)'),
} as const;

const toMs = (t: number | string | undefined): number | undefined => (t === undefined ? undefined : typeof t === 'number' ? t : Date.parse(t));
const bad = (where: FieldError['in'], path: string, message: string) => new ApiError('validation-failed', `${where}${path}: ${message}`, { errors: [{ in: where, path, message }] });

export const messageRoutes: FastifyPluginAsyncZod<{ store: Store; secrets: SecretBox; quota: MessageQuota }> = async (app, { store, secrets, quota }) => {
  const sessions = new PrincipalSessions(secrets);
  const idempotencySecret = secrets.derive('idempotent-producer');
  app.addHook('onClose', async () => sessions.close());

  async function instanceOf(request: FastifyRequest, id: string, reading: boolean): Promise<{ principal: Principal; instance: InstanceRow }> {
    const principal = principalOf(request);
    const instance = await store.getInstance(principal.accountId, id);
    if (!instance || instance.phase === 'Deleting') throw notFound('instance');
    if (reading && instance.spec.messageBrowsing === 'disabled') {
      throw new ApiError('message-browsing-disabled', `message browsing, search, tail and export are turned off for instance ${instance.id} (spec.messageBrowsing is disabled)`);
    }
    return { principal, instance };
  }

  /** Runs `use` as the caller's principal; the AuditEvent is written whatever the outcome (denials too). */
  async function asCaller<T>(request: FastifyRequest, params: { id: string; name: string }, action: string, operation: 'READ' | 'WRITE', use: (access: TopicAccess, lease: QuotaLease) => Promise<{ result: T; detail: Record<string, unknown> }>): Promise<T> {
    const { principal, instance } = await instanceOf(request, params.id, operation === 'READ');
    let detail: Record<string, unknown> = {};
    let outcome = 'ok';
    let user = '';
    try {
      // Inside the try: a refusal for quota is audited like any other.
      const lease = await quota.acquire(principal.keyId, instance.id);
      const out = await sessions.with(instance, principal, async (client, u) => {
        user = u;
        return use(new TopicAccess(client, { instanceId: instance.id, topic: params.name, user: u, operation }), lease);
      });
      detail = out.detail;
      return out.result;
    } catch (err) {
      outcome = err instanceof ApiError ? err.code : 'error';
      throw err;
    } finally {
      await store.audit(principal, { action, targetType: 'topic', targetId: `${instance.id}/${params.name}`, detail: { principal: user ? `User:${user}` : null, outcome, ...detail } });
    }
  }

  // ---- read ------------------------------------------------------------------------------------
  app.get('/v1/instances/:id/topics/:name/messages', {
    schema: {
      summary: 'Read a topic\'s records by offset, by time, from the start or the end, page by page',
      description: 'Reads as the caller\'s Kafka principal (User:tributary-api.<key id>): the instance\'s ACLs must allow it READ on the topic. Records of all partitions are merged by timestamp; `nextCursor` continues exactly where this page stopped in each partition. Values over `maxValueBytes` are truncated (`truncated`, full `size`); GET …/messages/{partition}/{offset} returns one record whole.',
      tags, params: Params, querystring: MessageReadQuerySchema, response: { 200: MessagePageSchema, ...MESSAGE_ERRORS },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.cursor !== undefined) {
      for (const f of ['partition', 'offset', 'timestamp', 'from'] as const) if (q[f] !== undefined) throw bad('query', `/${f}`, 'a cursor already says where to continue; leave this out');
    }
    if (q.offset !== undefined && q.partition === undefined) throw bad('query', '/offset', 'an offset needs a partition');
    const starts = [q.offset !== undefined, q.timestamp !== undefined, q.from !== undefined].filter(Boolean).length;
    if (starts > 1) throw bad('query', q.offset !== undefined ? '/offset' : '/timestamp', 'give one of offset, timestamp or from');
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor, { kind: 'read', topic: request.params.name });
    if (typeof cursor === 'string') throw bad('query', '/cursor', cursor);
    const page = await asCaller(request, request.params, 'messages.read', 'READ', async (access, lease) => {
      const view = await access.view();
      const positions = cursor ? cursorPositions(view, cursor.positions, 'query')
        : await startPositions(access, view, { partition: q.partition, offset: q.offset, timestampMs: toMs(q.timestamp), from: q.from, back: q.limit, where: 'query', limitPartitions: MESSAGE_LIMITS.maxReadPartitions });
      const result = await readPage(access, view, positions, { limit: q.limit, maxBytes: Math.min(q.maxBytes, lease.remaining), maxValueBytes: q.maxValueBytes, format: q.format });
      const bytes = result.records.reduce((n, r) => n + r.size, 0);
      await lease.charge(bytes);
      return { result: { ...result, user: access.denial.user }, detail: { range: result.range, records: result.records.length, bytes } };
    });
    reply.header('cache-control', 'no-store');
    return {
      records: page.records, partitions: page.partitions, isolation: 'read_uncommitted' as const, principal: `User:${page.user}`,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  });

  // ---- one record, whole -----------------------------------------------------------------------
  app.get('/v1/instances/:id/topics/:name/messages/:partition/:offset', {
    schema: {
      summary: 'Fetch one record whole (no truncation)',
      tags, params: OneParams, querystring: MessageOneQuerySchema, response: { 200: MessageRecordSchema, ...MESSAGE_ERRORS },
    },
  }, async (request, reply) => {
    const { partition, offset } = request.params;
    const record = await asCaller(request, request.params, 'messages.read', 'READ', async (access, lease) => {
      const view = await access.view();
      const r = await readOne(access, view, partition, offset, { format: request.query.format, maxValueBytes: MESSAGE_LIMITS.maxRecordBytes }, MESSAGE_LIMITS.maxRecordBytes);
      await lease.charge(r.size);
      return { result: r, detail: { range: [{ partition, from: offset, to: offset + 1 }], records: 1, bytes: r.size } };
    });
    reply.header('cache-control', 'no-store');
    return record;
  });

  // ---- search ----------------------------------------------------------------------------------
  app.post('/v1/instances/:id/topics/:name/messages/search', {
    config: { roles: ['admin', 'operator', 'viewer'] },
    schema: {
      summary: 'Search a topic server-side within a scan budget; resumable',
      description: 'Filters (all must hold): key equals/prefix, a header (name, optionally value), value contains, a JSON path equals. Each response scans until `limit` matches, the byte, record or time budget, or the end of every partition — the end offsets fixed when the search started — and reports what it scanned. While `progress.complete` is false, send the same body with `cursor: nextCursor` to continue: every record of the range is tested exactly once across the responses.',
      tags, params: Params, body: MessageSearchSchema, response: { 200: MessageSearchResultSchema, ...MESSAGE_ERRORS },
    },
  }, async (request) => {
    const b = request.body;
    const compiled = compileFilters(b.filters);
    if (!compiled.ok) throw new ApiError('validation-failed', compiled.problems.map((x) => `${x.path}: ${x.message}`).join('; '), { errors: compiled.problems.map((x) => ({ in: 'body' as const, path: x.path, message: x.message })) });
    const digest = filtersDigest({ f: b.filters, to: b.to ?? null });
    const cursor = b.cursor === undefined ? undefined : decodeCursor(b.cursor, { kind: 'search', topic: request.params.name });
    if (typeof cursor === 'string') throw bad('body', '/cursor', cursor);
    if (cursor && cursor.filters !== digest) throw bad('body', '/cursor', 'this cursor continues a search with other filters');
    if (cursor && (b.from !== undefined || b.partitions !== undefined)) throw bad('body', b.from !== undefined ? '/from' : '/partitions', 'a cursor already says where to continue; leave this out');
    if (b.from?.offset !== undefined && b.from.timestamp !== undefined) throw bad('body', '/from/offset', 'give one of offset or timestamp');
    if (b.from?.offset !== undefined && b.partitions?.length !== 1) throw bad('body', '/from/offset', 'an offset needs exactly one partition in partitions');
    const result = await asCaller(request, request.params, 'messages.search', 'READ', async (access, lease) => {
      let view: TopicView;
      try {
        view = await access.view();
      } catch (err) {
        // The search began on this topic (its cursor says so): the topic is gone, not unknown.
        if (cursor && err instanceof ApiError && err.code === 'not-found') throw new ApiError('topic-deleted', `topic ${request.params.name} was deleted after this search began; the search cannot continue`);
        throw err;
      }
      let positions: Required<PartitionPosition>[];
      if (cursor) {
        positions = cursorPositions(view, cursor.positions, 'body').map((x) => ({ ...x, end: x.end ?? view.end.get(x.partition)! }));
      } else {
        const starts = await startPositions(access, view, { partition: b.partitions?.length === 1 && b.from?.offset !== undefined ? b.partitions[0] : undefined, offset: b.from?.offset, timestampMs: toMs(b.from?.timestamp), where: 'body', prefix: '/from' }, b.partitions);
        positions = starts.map((x) => ({ ...x, end: view.end.get(x.partition)! }));
      }
      // The byte budget never exceeds what the quota has left: a search stops there (budget-bytes) and resumes later.
      const out = await scan(access, positions, { test: compiled.test, limit: b.limit, budget: { ...b.budget, maxBytes: Math.min(b.budget.maxBytes, lease.remaining) }, untilMs: toMs(b.to?.timestamp), render: { format: b.format, maxValueBytes: b.maxValueBytes }, filtersDigest: digest });
      await lease.charge(out.progress.scannedBytes);
      return { result: { ...out, user: access.denial.user }, detail: { range: out.range, filters: b.filters, scannedRecords: out.progress.scannedRecords, scannedBytes: out.progress.scannedBytes, matched: out.progress.matched } };
    });
    return {
      matches: result.matches, progress: result.progress, principal: `User:${result.user}`, isolation: 'read_uncommitted' as const,
      ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}),
    };
  });

  // ---- send ------------------------------------------------------------------------------------
  app.post('/v1/instances/:id/topics/:name/messages', {
    schema: {
      summary: 'Send one record (answers its partition and offset)',
      description: 'Written as the caller\'s Kafka principal (WRITE ACL on the topic), acks=all. Without `partition`, a keyed record goes where Kafka\'s default partitioner puts its key. With an `Idempotency-Key` the record is written as an idempotent producer whose id and sequence derive from the key: a retried POST — even after the API lost the first answer — is recognised by the partition leader and answered with the first write\'s offset, never written twice. Viewers may not send.',
      tags, params: Params, body: MessageSendSchema, response: { 201: MessageSentSchema, ...WRITE_MESSAGE_ERRORS },
    },
  }, async (request, reply) => {
    const b = request.body;
    const errors: FieldError[] = [];
    const bytes = (payload: { encoding: 'text' | 'base64' | 'json'; data: unknown } | null | undefined, path: string): Buffer | null => {
      if (payload === null || payload === undefined) return null;
      const parsed = parsePayload(payload);
      if (typeof parsed === 'string') {
        errors.push({ in: 'body', path: `${path}/data`, message: parsed });
        return null;
      }
      return parsed;
    };
    const key = bytes(b.key, '/key');
    const value = bytes(b.value, '/value');
    const headers = b.headers.map((h, i) => ({ key: h.key, value: bytes(h.value, `/headers/${i}/value`) }));
    if (errors.length > 0) throw new ApiError('validation-failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
    const size = (key?.length ?? 0) + (value?.length ?? 0) + headers.reduce((n, h) => n + Buffer.byteLength(h.key) + (h.value?.length ?? 0), 0);
    if (size > MESSAGE_LIMITS.maxSendBytes) {
      throw new ApiError('payload-too-large', `the record is ${size} bytes; the API sends records of at most ${MESSAGE_LIMITS.maxSendBytes} bytes (key, value and headers)`, { errors: [{ in: 'body', path: '/value', message: `record of ${size} bytes over ${MESSAGE_LIMITS.maxSendBytes}` }] });
    }
    const idempotencyKey = typeof request.headers['idempotency-key'] === 'string' ? request.headers['idempotency-key'] : undefined;
    const principal = principalOf(request);
    const sent = await asCaller(request, request.params, 'messages.send', 'WRITE', async (access, lease) => {
      const r = await sendRecord(access, {
        key, value, headers, partition: b.partition,
        idempotency: idempotencyKey ? { secret: idempotencySecret, accountId: principal.accountId, keyId: principal.keyId, instanceId: request.params.id, idempotencyKey } : undefined,
      });
      await lease.charge(size);
      return { result: { ...r, principal: `User:${access.denial.user}` }, detail: { partition: r.partition, offset: r.offset, bytes: size, idempotent: r.idempotent } };
    });
    reply.code(201);
    return sent;
  });

  // ---- live tail (SSE) -------------------------------------------------------------------------
  app.get('/v1/instances/:id/topics/:name/messages/tail', {
    schema: {
      summary: 'Follow a topic live as Server-Sent Events (bounded duration and rate)',
      description: 'Events: `start` (data: {principal, positions, durationSeconds, maxRate}) at once, `record` (data: a MessageRecord; id: partition:offset), `end` (data: {reason, sent, positions}) after `durationSeconds`, `error` (data: a Problem) if the brokers fail mid-stream; `: keep-alive` comments every 15 s. At most `maxRate` records a second: a faster topic is followed later, never skipped (the `end` event says where each partition stopped).',
      tags, params: Params, querystring: MessageTailQuerySchema,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, ...MESSAGE_ERRORS },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.offset !== undefined && q.partition === undefined) throw bad('query', '/offset', 'an offset needs a partition');
    await asCaller(request, request.params, 'messages.tail', 'READ', async (access, lease) => {
      const view = await access.view();
      const positions = await startPositions(access, view, { partition: q.partition, offset: q.offset, from: q.offset !== undefined ? undefined : q.from, back: 0, where: 'query' });
      // From here on the answer is a stream: errors become `error` events.
      const sink = openStream(reply, 'text/event-stream; charset=utf-8');
      let done: Awaited<ReturnType<typeof tail>> | null = null;
      try {
        // The client learns at once that the tail runs, and from where.
        await sink.write(`event: start\ndata: ${JSON.stringify({ principal: `User:${access.denial.user}`, positions: positions.map((x) => ({ partition: x.partition, nextOffset: Number(x.next) })), durationSeconds: q.durationSeconds, maxRate: q.maxRate })}\n\n`);
        done = await tail(access, positions, { durationMs: q.durationSeconds * 1000, maxRate: q.maxRate, render: { format: q.format, maxValueBytes: q.maxValueBytes }, sink, quota: lease });
        if (!sink.closed()) await sink.write(`event: end\ndata: ${JSON.stringify({ reason: done.reason, sent: done.sent, positions: done.positions.map((x) => ({ partition: x.partition, nextOffset: Number(x.next) })) })}\n\n`);
      } catch (err) {
        const problem = err instanceof ApiError ? { code: err.code, status: err.status, detail: err.message } : { code: 'instance-unreachable', status: 503, detail: (err as Error).message };
        if (!sink.closed()) await sink.write(`event: error\ndata: ${JSON.stringify(problem)}\n\n`);
      } finally {
        reply.raw.end();
      }
      return { result: null, detail: { from: positions.map((x) => ({ partition: x.partition, offset: Number(x.next) })), sent: done?.sent ?? 0, to: done?.positions.map((x) => ({ partition: x.partition, offset: Number(x.next) })) ?? null } };
    });
    return reply;
  });

  // ---- export ----------------------------------------------------------------------------------
  app.get('/v1/instances/:id/topics/:name/messages/export', {
    schema: {
      summary: 'Export a range as NDJSON or CSV, streamed',
      description: 'Streams every record from the start position to each partition\'s end as it was when the export began (or `untilTimestamp`, or `maxRecords`), values whole. NDJSON lines are MessageRecords (format auto); CSV columns: partition, offset, timestamp, timestamp_type, key_encoding, key, value_encoding, value, headers (JSON). Memory stays bounded: one Fetch round at a time, each written out before the next. A failure mid-stream aborts the transfer (no terminating chunk), so a client sees an incomplete download, never a short file that looks whole.',
      tags, params: Params, querystring: MessageExportQuerySchema,
      response: { 200: { description: 'application/x-ndjson or text/csv', content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } } }, ...MESSAGE_ERRORS },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.offset !== undefined && q.partition === undefined) throw bad('query', '/offset', 'an offset needs a partition');
    if (q.offset !== undefined && q.timestamp !== undefined) throw bad('query', '/offset', 'give one of offset or timestamp');
    await asCaller(request, request.params, 'messages.export', 'READ', async (access, lease) => {
      const view = await access.view();
      const starts = await startPositions(access, view, { partition: q.partition, offset: q.offset, timestampMs: toMs(q.timestamp), where: 'query' });
      const positions = starts.map((x) => ({ ...x, end: view.end.get(x.partition)! }));
      const sink = openStream(reply, q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8', { 'content-disposition': `attachment; filename="${request.params.name}.${q.format === 'csv' ? 'csv' : 'ndjson'}"` });
      let done: Awaited<ReturnType<typeof exportRange>> | null = null;
      try {
        done = await exportRange(access, positions, { format: q.format, maxRecords: q.maxRecords, untilMs: toMs(q.untilTimestamp), sink, quota: lease });
      } catch (err) {
        // Headers are gone: cut the stream (no terminating chunk) so the client sees it as failed.
        request.log.warn({ err }, 'export failed mid-stream');
        reply.raw.destroy();
        return { result: null, detail: { from: positions.map((x) => ({ partition: x.partition, offset: Number(x.next) })), failed: (err as Error).message } };
      }
      reply.raw.end();
      return { result: null, detail: { format: q.format, records: done.records, reason: done.reason, range: positions.map((x, i) => ({ partition: x.partition, from: Number(x.next), to: Number(done!.positions[i]!.next) })) } };
    });
    return reply;
  });
};

/** Takes the response over from fastify and writes to the socket with back-pressure. */
function openStream(reply: FastifyReply, contentType: string, extra: Record<string, string> = {}): Sink {
  reply.hijack();
  const raw = reply.raw;
  let closed = false;
  raw.on('close', () => { closed = true; });
  raw.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'x-accel-buffering': 'no', 'x-request-id': String(reply.request.id), ...extra });
  raw.flushHeaders();
  return {
    closed: () => closed || raw.destroyed,
    write: (chunk) => new Promise<void>((resolve) => {
      if (closed || raw.destroyed) return resolve();
      if (raw.write(chunk)) return resolve();
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    }),
  };
}

