import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@tributary/protocol';
import { PartitionLog, type LogOptions } from '../log/partition-log.ts';

export interface TopicState {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

/** A topic-level failure with the Kafka error code to answer and a message for the client. */
export class TopicError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic-name rules; returns a message when the name is not allowed. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name "${name}" is not allowed`;
  if (name.length > 249) return `topic name is ${name.length} characters, more than 249`;
  if (!LEGAL.test(name)) return `topic name "${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/**
 * The topics this broker holds and their partition logs. Topic metadata is persisted as one JSON
 * file in the data directory (write-then-rename), so a restart finds the same topics and ids.
 */
export class TopicRegistry {
  readonly #dataDir: string;
  readonly #logOptions: LogOptions;
  readonly #topics = new Map<string, TopicState>();
  readonly #logs = new Map<string, PartitionLog>();

  constructor(dataDir: string, logOptions: LogOptions) {
    this.#dataDir = dataDir;
    this.#logOptions = logOptions;
    mkdirSync(dataDir, { recursive: true });
    const file = this.#file;
    if (existsSync(file)) for (const t of JSON.parse(readFileSync(file, 'utf8')) as TopicState[]) this.#topics.set(t.name, t);
    for (const t of this.#topics.values()) for (let p = 0; p < t.partitions; p++) this.#openLog(t.name, p);
  }

  get #file(): string {
    return join(this.#dataDir, 'topics.json');
  }

  #persist(): void {
    writeFileSync(`${this.#file}.tmp`, JSON.stringify([...this.#topics.values()], null, 2));
    renameSync(`${this.#file}.tmp`, this.#file);
  }

  #openLog(topic: string, partition: number): PartitionLog {
    // Internal topics (committed offsets) are written by code that answers synchronously: no group commit.
    const options = topic.startsWith('__') ? { ...this.#logOptions, groupCommit: false } : this.#logOptions;
    const log = new PartitionLog(join(this.#dataDir, `${topic}-${partition}`), options);
    this.#logs.set(`${topic}\u0000${partition}`, log);
    return log;
  }

  list(): TopicState[] {
    return [...this.#topics.values()];
  }
  get(name: string): TopicState | undefined {
    return this.#topics.get(name);
  }
  byId(topicId: string): TopicState | undefined {
    return [...this.#topics.values()].find((t) => t.topicId === topicId);
  }
  log(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(`${topic}\u0000${partition}`);
  }
  logs(): IterableIterator<PartitionLog> {
    return this.#logs.values();
  }

  create(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): TopicState {
    const problem = topicNameProblem(name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.#topics.has(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${name}" already exists`);
    if (!Number.isInteger(partitions) || partitions < 1) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `partitions must be at least 1, got ${partitions}`);
    const topic: TopicState = { name, topicId: randomUUID(), partitions, configs };
    if (validateOnly) return topic;
    this.#topics.set(name, topic);
    for (let p = 0; p < partitions; p++) this.#openLog(name, p);
    this.#persist();
    return topic;
  }

  /** Adds partitions; Kafka never removes them. */
  addPartitions(name: string, count: number, validateOnly = false): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (count <= topic.partitions) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `topic "${name}" has ${topic.partitions} partitions; the new count ${count} must be larger`);
    if (validateOnly) return;
    for (let p = topic.partitions; p < count; p++) this.#openLog(name, p);
    topic.partitions = count;
    this.#persist();
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    topic.configs = configs;
    this.#persist();
  }

  delete(name: string): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (name.startsWith('__')) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `internal topic "${name}" cannot be deleted`);
    this.#topics.delete(name);
    this.#persist();
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.#logs.get(`${name}\u0000${p}`);
      log?.close();
      this.#logs.delete(`${name}\u0000${p}`);
      rmSync(join(this.#dataDir, `${name}-${p}`), { recursive: true, force: true });
    }
  }

  close(): void {
    for (const log of this.#logs.values()) log.close();
    this.#logs.clear();
  }
}
