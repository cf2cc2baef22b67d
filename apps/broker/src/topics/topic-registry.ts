import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import { LogManager, type LogManagerOptions } from '../log/log-manager.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import { topicLogConfig } from './topic-configs.ts';
import { TopicError } from './topic-error.ts';

/**
 * How often expired producer ids are looked for: Kafka's producer.id.expiration.check.interval.ms
 * default. Kafka keeps that setting internal (DescribeConfigs does not show it), so it is fixed here.
 */
const PRODUCER_ID_EXPIRATION_CHECK_MS = 600_000;

export interface TopicState {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

export { TopicError };

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
 * file in the data directory (write-then-rename), so a restart finds the same topics and ids. The
 * logs themselves belong to a LogManager, which applies each topic's configs (broker defaults plus
 * overrides) and runs retention and compaction by its `cleanup.policy`.
 */
export class TopicRegistry {
  readonly #dataDir: string;
  readonly #topics = new Map<string, TopicState>();
  readonly #logs: LogManager;

  constructor(dataDir: string, config: BrokerConfig, background: Pick<LogManagerOptions, 'onEvent'> = {}) {
    this.#dataDir = dataDir;
    mkdirSync(dataDir, { recursive: true });
    this.#logs = new LogManager(dataDir, {
      retentionCheckIntervalMs: Number(config.settings['log.retention.check.interval.ms']),
      producerIdExpiration: { expirationMs: Number(config.settings['producer.id.expiration.ms']), checkIntervalMs: PRODUCER_ID_EXPIRATION_CHECK_MS },
      configFor: (topic) => topicLogConfig(config, topic, this.#topics.get(topic)?.configs ?? {}),
      ...background,
    });
    const file = this.#file;
    if (existsSync(file)) for (const t of JSON.parse(readFileSync(file, 'utf8')) as TopicState[]) this.#topics.set(t.name, t);
    for (const t of this.#topics.values()) for (let p = 0; p < t.partitions; p++) this.#logs.getOrCreate(t.name, p);
  }

  /** Starts retention/compaction (every `log.retention.check.interval.ms`) and checkpoint timers. */
  startBackground(): void {
    this.#logs.start();
  }

  /** One retention + compaction pass now (tests and the admin path use it; the timer does the same). */
  cleanup(now = Date.now()): ReturnType<LogManager['cleanup']> {
    return this.#logs.cleanup(now);
  }

  get #file(): string {
    return join(this.#dataDir, 'topics.json');
  }

  #persist(): void {
    writeFileSync(`${this.#file}.tmp`, JSON.stringify([...this.#topics.values()], null, 2));
    renameSync(`${this.#file}.tmp`, this.#file);
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
    return this.#logs.get(topic, partition);
  }
  *logs(): Generator<PartitionLog> {
    for (const e of this.#logs.entries()) yield e.log;
  }
  /** Bytes on disk of every partition (metrics, disk limits). */
  get totalBytes(): number {
    return this.#logs.totalBytes;
  }

  create(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): TopicState {
    const problem = topicNameProblem(name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.#topics.has(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    if (!Number.isInteger(partitions) || partitions < 1) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `partitions must be at least 1, got ${partitions}`);
    const topic: TopicState = { name, topicId: randomUUID(), partitions, configs };
    if (validateOnly) return topic;
    this.#topics.set(name, topic);
    for (let p = 0; p < partitions; p++) this.#logs.getOrCreate(name, p);
    this.#persist();
    return topic;
  }

  /** Adds partitions; Kafka never removes them. */
  addPartitions(name: string, count: number, validateOnly = false): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (count <= topic.partitions) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `topic "${name}" has ${topic.partitions} partitions; the new count ${count} must be larger`);
    if (validateOnly) return;
    for (let p = topic.partitions; p < count; p++) this.#logs.getOrCreate(name, p);
    topic.partitions = count;
    this.#persist();
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    topic.configs = configs;
    this.#persist();
    this.#logs.reconfigure(name);
  }

  delete(name: string): void {
    const topic = this.#topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (name.startsWith('__')) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `internal topic "${name}" cannot be deleted`);
    this.#topics.delete(name);
    this.#persist();
    for (let p = 0; p < topic.partitions; p++) this.#logs.delete(name, p);
  }

  /**
   * Cluster mode: takes a topic as the cluster's metadata describes it, with logs for the
   * partitions this broker hosts (a replica set that left this broker takes its log with it).
   */
  apply(state: TopicState, hosted: number[]): void {
    if (this.#take(state, hosted)) this.#persist();
  }

  /**
   * Cluster mode: every topic as the cluster's metadata describes it (`hosted`: the partitions this
   * broker keeps a log of), topics not among them forgotten, and topics.json written once, not once
   * per changed topic. New logs cost no disk sync on the event loop (LogManager.getOrCreate).
   */
  sync(topics: { state: TopicState; hosted: number[] }[]): void {
    let changed = false;
    for (const { state, hosted } of topics) if (this.#take(state, hosted)) changed = true;
    const names = new Set(topics.map((t) => t.state.name));
    for (const t of this.list()) {
      if (names.has(t.name)) continue;
      this.#drop(t.name);
      changed = true;
    }
    if (changed) this.#persist();
  }

  /** One topic's state and logs; true when topics.json must be written. */
  #take(state: TopicState, hosted: number[]): boolean {
    const current = this.#topics.get(state.name);
    const hostedSet = new Set(hosted);
    let replaced = false;
    if (current && current.topicId !== state.topicId) {
      this.#drop(state.name); // deleted and re-created meanwhile
      replaced = true;
    }
    const before = this.#topics.get(state.name);
    const changed = !before || before.partitions !== state.partitions || JSON.stringify(before.configs) !== JSON.stringify(state.configs);
    this.#topics.set(state.name, { ...state });
    for (let p = 0; p < state.partitions; p++) {
      if (hostedSet.has(p)) this.#logs.getOrCreate(state.name, p);
      else if (this.#logs.get(state.name, p)) this.#logs.delete(state.name, p);
    }
    if (changed && before) this.#logs.reconfigure(state.name);
    return changed || replaced;
  }

  /** A topic and its local logs gone, topics.json not written yet. */
  #drop(name: string): void {
    const topic = this.#topics.get(name);
    if (!topic) return;
    this.#topics.delete(name);
    for (let p = 0; p < topic.partitions; p++) if (this.#logs.get(name, p)) this.#logs.delete(name, p);
  }

  /** Cluster mode: the topic is gone from the cluster; its local logs go too. */
  forget(name: string): void {
    if (!this.#topics.has(name)) return;
    this.#drop(name);
    this.#persist();
  }

  close(): void {
    this.#logs.close();
  }
}
