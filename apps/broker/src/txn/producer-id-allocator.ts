import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 1000n;

/** Reserves the next block of producer ids where the cluster keeps the counter; resolves with its first id. */
export type ProducerIdBlockSource = (size: bigint) => Promise<bigint>;

/**
 * Hands out producer ids. Ids are reserved in blocks before any id of the block is used: on a
 * standalone broker the block's end is persisted in the data directory (so a restart never reuses
 * an id); in a cluster blocks come from a counter in etcd, so no two brokers hand out the same id.
 */
export class ProducerIdAllocator {
  readonly #file: string;
  readonly #source: ProducerIdBlockSource | null;
  #next: bigint;
  #blockEnd: bigint;

  constructor(dataDir: string, source: ProducerIdBlockSource | null = null) {
    this.#file = join(dataDir, 'producer-id-block');
    this.#source = source;
    this.#next = !source && existsSync(this.#file) ? BigInt(readFileSync(this.#file, 'utf8').trim()) : 0n;
    this.#blockEnd = this.#next;
  }

  async next(): Promise<bigint> {
    if (this.#next >= this.#blockEnd) {
      if (this.#source) {
        this.#next = await this.#source(BLOCK);
        this.#blockEnd = this.#next + BLOCK;
      } else {
        this.#blockEnd = this.#next + BLOCK;
        writeFileSync(`${this.#file}.tmp`, String(this.#blockEnd));
        renameSync(`${this.#file}.tmp`, this.#file);
      }
    }
    return this.#next++;
  }
}
