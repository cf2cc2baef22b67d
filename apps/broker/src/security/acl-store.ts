import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filterMatches, sameBinding, type AclBinding, type AclFilter } from './acl.ts';

/** Where ACL bindings live: a file on a standalone broker, etcd in a cluster (cluster/etcd-stores.ts). */
export interface AclStore {
  all(): readonly AclBinding[];
  /** Adds bindings not already present (creating an existing ACL is not an error in Kafka). */
  add(bindings: AclBinding[]): void | Promise<void>;
  /** Removes and returns the bindings each filter matches. */
  remove(filters: AclFilter[]): AclBinding[][] | Promise<AclBinding[][]>;
}

export class FileAclStore implements AclStore {
  readonly #file: string;
  #acls: AclBinding[];

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'acls.json');
    this.#acls = existsSync(this.#file) ? (JSON.parse(readFileSync(this.#file, 'utf8')) as AclBinding[]) : [];
  }

  all(): readonly AclBinding[] {
    return this.#acls;
  }

  add(bindings: AclBinding[]): void {
    for (const b of bindings) if (!this.#acls.some((a) => sameBinding(a, b))) this.#acls.push(b);
    this.#persist();
  }

  remove(filters: AclFilter[]): AclBinding[][] {
    const removed = filters.map((f) => this.#acls.filter((a) => filterMatches(f, a)));
    this.#acls = this.#acls.filter((a) => !filters.some((f) => filterMatches(f, a)));
    this.#persist();
    return removed;
  }

  #persist(): void {
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.#acls, null, 1));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
