import { z } from 'zod';

/**
 * Messages over HTTP (apps/api routes/messages.ts): read, fetch one record, search, send, tail and
 * export a topic's records. Shared with the console's message browser and the CLI.
 */

/** Kafka principals of API keys (`User:tributary-api.<key id>`); SCRAM user names never start with it. */
export const MESSAGE_PRINCIPAL_PREFIX = 'tributary-api.';

export const MESSAGE_LIMITS = {
  /** Partitions one read page may span (its cursor must fit in a URL); read more with `partition`. */
  maxReadPartitions: 500,
  /** Records per read page. */
  maxLimit: 1000,
  /** Bytes of record data per read page (keys, values, headers as shown). */
  maxPageBytes: 8 * 1024 * 1024,
  /** Bytes of one key/value shown before it is truncated (the whole record: GET …/messages/{partition}/{offset}). */
  maxValueBytes: 1024 * 1024,
  /** A whole record fetched alone. */
  maxRecordBytes: 16 * 1024 * 1024,
  /** Search budget ceilings per request. */
  maxScanBytes: 1024 * 1024 * 1024,
  maxScanRecords: 10_000_000,
  maxSearchMs: 30_000,
  maxMatches: 500,
  /** Live tail: at most this long and this many records per second. */
  maxTailSeconds: 600,
  maxTailRate: 1000,
  /** Bytes of a sent record (key + value + headers); the topic's max.message.bytes applies too. */
  maxSendBytes: 900 * 1024,
} as const;

const FormatSchema = z.enum(['auto', 'json', 'base64']).default('auto')
  .describe('auto: UTF-8 text when valid, base64 otherwise; json: parsed JSON when the bytes are JSON (else as auto); base64: always base64');
const IsolationSchema = z.enum(['read_uncommitted']).default('read_uncommitted')
  .describe('The brokers have no transactions yet, so every read is read-uncommitted; read_committed will be offered once they do');
const OffsetParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const PartitionParam = z.coerce.number().int().min(0).max(0x7fffffff);
const TimestampParam = z.union([z.coerce.number().int().min(0).max(8_640_000_000_000_000), z.iso.datetime({ offset: true })])
  .describe('epoch milliseconds or an ISO 8601 date-time');

export const RenderedBytesSchema = z.object({
  encoding: z.enum(['text', 'base64', 'json']),
  data: z.unknown().describe('text or base64 string; for json the parsed value'),
  size: z.number().int().describe('size of the whole field in bytes'),
  truncated: z.boolean(),
}).meta({ id: 'RenderedBytes' });

const RECORD_EXAMPLE = {
    partition: 0, offset: 42, timestamp: '2026-12-01T18:00:00.000Z', timestampMs: 1796148000000, timestampType: 'CreateTime',
    key: { encoding: 'text', data: 'order-42', size: 8, truncated: false },
    value: { encoding: 'json', data: { id: 42, total: 19.5 }, size: 23, truncated: false },
    headers: [{ key: 'source', value: { encoding: 'text', data: 'checkout', size: 8, truncated: false } }],
    size: 53,
  };

export const MessageRecordSchema = z.object({
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.string().describe('ISO 8601'),
  timestampMs: z.number().int(),
  timestampType: z.enum(['CreateTime', 'LogAppendTime']),
  key: RenderedBytesSchema.nullable(),
  value: RenderedBytesSchema.nullable(),
  headers: z.array(z.object({ key: z.string(), value: RenderedBytesSchema.nullable() })),
  size: z.number().int().describe('bytes of key, value and headers'),
}).meta({
  id: 'MessageRecord',
  example: RECORD_EXAMPLE,
});

export const PartitionRangeSchema = z.object({
  partition: z.number().int(),
  startOffset: z.number().int().describe('log start offset'),
  endOffset: z.number().int().describe('high watermark: the next offset to be written'),
  nextOffset: z.number().int().describe('where the next page continues'),
}).meta({ id: 'MessagePartitionRange' });

export const MessageReadQuerySchema = z.strictObject({
  partition: PartitionParam.optional().describe('one partition; all partitions when absent'),
  offset: OffsetParam.optional().describe('start here (needs partition)'),
  timestamp: TimestampParam.optional().describe('start at the first record at or after this time, in each partition read'),
  from: z.enum(['earliest', 'latest']).optional().describe('earliest (default): from the log start; latest: the last `limit` records of each partition'),
  limit: z.coerce.number().int().min(1).max(MESSAGE_LIMITS.maxLimit).default(50),
  maxBytes: z.coerce.number().int().min(1024).max(MESSAGE_LIMITS.maxPageBytes).default(1024 * 1024).describe('bound on the record bytes of the page (at least one record is always returned)'),
  maxValueBytes: z.coerce.number().int().min(0).max(MESSAGE_LIMITS.maxValueBytes).default(4096).describe('keys, values and header values longer than this are truncated (size says the full size)'),
  format: FormatSchema,
  isolation: IsolationSchema,
  cursor: z.string().max(8000).optional().describe('nextCursor of the previous page; replaces partition/offset/timestamp/from'),
});

export const MessagePageSchema = z.object({
  records: z.array(MessageRecordSchema),
  partitions: z.array(PartitionRangeSchema),
  isolation: z.literal('read_uncommitted'),
  principal: z.string().describe('the Kafka principal the brokers authorised this read for'),
  nextCursor: z.string().optional().describe('present while some partition has records after this page'),
}).meta({
  id: 'MessagePage',
  example: {
    records: [RECORD_EXAMPLE], partitions: [{ partition: 0, startOffset: 0, endOffset: 1207, nextOffset: 43 }], isolation: 'read_uncommitted',
    principal: 'User:tributary-api.key-0123456789abcdef', nextCursor: 'eyJ2IjoxLCJrIjoiciIsInQiOiJvcmRlcnMiLCJwIjpbWzAsIjQzIl1dfQ',
  },
});

export const RecordParamsShape = { partition: PartitionParam, offset: OffsetParam };
export const MessageOneQuerySchema = z.strictObject({ format: FormatSchema, isolation: IsolationSchema });

const PayloadSchema = z.strictObject({
  encoding: z.enum(['text', 'base64', 'json']),
  data: z.unknown().describe('a string for text and base64 (RFC 4648, padded); any JSON value for json'),
}).meta({ id: 'MessagePayload' });

export const MessageSendSchema = z.strictObject({
  key: PayloadSchema.nullable().optional(),
  value: PayloadSchema.nullable(),
  headers: z.array(z.strictObject({ key: z.string().min(1).max(1024), value: PayloadSchema.nullable() })).max(100).default([]),
  partition: z.number().int().min(0).max(0x7fffffff).optional().describe('absent: by key (Kafka\'s murmur2 partitioner), by Idempotency-Key, or random'),
}).meta({
  id: 'MessageSend',
  example: { key: { encoding: 'text', data: 'order-42' }, value: { encoding: 'json', data: { id: 42, total: 19.5 } }, headers: [{ key: 'source', value: { encoding: 'text', data: 'console' } }] },
});

export const MessageSentSchema = z.object({
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.string(),
  principal: z.string(),
  idempotent: z.boolean().describe('written as an idempotent producer (Idempotency-Key): a retry is answered with this same offset'),
}).meta({ id: 'MessageSent', example: { partition: 1, offset: 1207, timestamp: '2026-12-01T18:00:00.000Z', principal: 'User:tributary-api.key-0123456789abcdef', idempotent: true } });

export const SearchFiltersSchema = z.strictObject({
  key: z.strictObject({ equals: z.string().max(65_536).optional(), prefix: z.string().max(65_536).optional(), encoding: z.enum(['text', 'base64']).default('text') }).optional(),
  header: z.strictObject({ name: z.string().min(1).max(1024), value: z.string().max(65_536).optional() }).optional(),
  valueContains: z.string().max(65_536).optional(),
  jsonPath: z.strictObject({ path: z.string().min(1).max(1024).meta({ example: '$.customer.id' }), equals: z.unknown() }).optional(),
}).meta({ id: 'MessageSearchFilters' });

export const MessageSearchSchema = z.strictObject({
  filters: SearchFiltersSchema,
  partitions: z.array(z.number().int().min(0).max(0x7fffffff)).min(1).max(10_000).optional().describe('all partitions when absent'),
  from: z.strictObject({ offset: z.number().int().min(0).optional(), timestamp: TimestampParam.optional() }).optional().describe('offset (with one partition) or timestamp; the log start when absent'),
  to: z.strictObject({ timestamp: TimestampParam.optional() }).optional().describe('stop at the first record at or after this time; the end of each partition when the search started when absent'),
  limit: z.number().int().min(1).max(MESSAGE_LIMITS.maxMatches).default(50).describe('matches per response'),
  budget: z.strictObject({
    maxBytes: z.number().int().min(1024).max(MESSAGE_LIMITS.maxScanBytes).default(64 * 1024 * 1024),
    maxRecords: z.number().int().min(1).max(MESSAGE_LIMITS.maxScanRecords).default(1_000_000),
    maxMs: z.number().int().min(100).max(MESSAGE_LIMITS.maxSearchMs).default(10_000),
  }).default({ maxBytes: 64 * 1024 * 1024, maxRecords: 1_000_000, maxMs: 10_000 }),
  maxValueBytes: z.number().int().min(0).max(MESSAGE_LIMITS.maxValueBytes).default(4096),
  format: FormatSchema,
  isolation: IsolationSchema,
  cursor: z.string().max(65_536).optional().describe('nextCursor of the previous response, with the same filters'),
}).meta({
  id: 'MessageSearch',
  example: { filters: { key: { prefix: 'order-' }, jsonPath: { path: '$.status', equals: 'failed' } }, limit: 50, budget: { maxBytes: 67108864, maxRecords: 1000000, maxMs: 10000 } },
});

export const MessageSearchResultSchema = z.object({
  matches: z.array(MessageRecordSchema),
  progress: z.object({
    scannedRecords: z.number().int(),
    scannedBytes: z.number().int(),
    matched: z.number().int(),
    complete: z.boolean().describe('every partition scanned to its end: no nextCursor'),
    stoppedBecause: z.enum(['end', 'limit', 'budget-bytes', 'budget-records', 'budget-time']),
    partitions: z.array(z.object({ partition: z.number().int(), nextOffset: z.number().int(), endOffset: z.number().int(), remaining: z.number().int() })),
  }),
  principal: z.string(),
  isolation: z.literal('read_uncommitted'),
  nextCursor: z.string().optional().describe('resume here (same filters) to scan the rest; absent once complete'),
}).meta({
  id: 'MessageSearchResult',
  example: {
    matches: [RECORD_EXAMPLE],
    progress: { scannedRecords: 1000000, scannedBytes: 52428800, matched: 1, complete: false, stoppedBecause: 'budget-records', partitions: [{ partition: 0, nextOffset: 1000000, endOffset: 4000000, remaining: 3000000 }] },
    principal: 'User:tributary-api.key-0123456789abcdef', isolation: 'read_uncommitted', nextCursor: 'eyJ2IjoxLCJrIjoicyIsInQiOiJvcmRlcnMiLCJwIjpbWzAsIjEwMDAwMDAiLCI0MDAwMDAwIl1dLCJmIjoiYWJjIn0',
  },
});

export const MessageTailQuerySchema = z.strictObject({
  partition: PartitionParam.optional(),
  from: z.enum(['latest', 'earliest']).default('latest'),
  offset: OffsetParam.optional().describe('start here (needs partition)'),
  durationSeconds: z.coerce.number().int().min(1).max(MESSAGE_LIMITS.maxTailSeconds).default(60),
  maxRate: z.coerce.number().int().min(1).max(MESSAGE_LIMITS.maxTailRate).default(50).describe('records per second at most; faster topics are followed later, never skipped'),
  maxValueBytes: z.coerce.number().int().min(0).max(MESSAGE_LIMITS.maxValueBytes).default(4096),
  format: FormatSchema,
  isolation: IsolationSchema,
});

export const MessageExportQuerySchema = z.strictObject({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  partition: PartitionParam.optional(),
  offset: OffsetParam.optional().describe('start here (needs partition)'),
  timestamp: TimestampParam.optional().describe('start at the first record at or after this time'),
  untilTimestamp: TimestampParam.optional().describe('stop before the first record at or after this time'),
  maxRecords: z.coerce.number().int().min(1).max(100_000_000).optional(),
  isolation: IsolationSchema,
});
