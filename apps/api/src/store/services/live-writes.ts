import type { Operation } from '@tributary/contracts';
import { ApiError } from '../../errors.ts';
import type { Connection } from '../connection.ts';
import type { OperationRepository } from '../repositories/operations.ts';
import type { Principal } from '../types.ts';
import type { Trail } from './trail.ts';

/**
 * Writes the API makes on an instance's brokers at request time (consumer-group delete, offset
 * reset) leave the same trail as every other mutation: the Operation (Running) and the AuditEvent
 * are committed before the brokers are touched, so even a process that dies mid-write leaves a
 * record of the attempt; the outcome (Succeeded, or Failed with the problem's code and detail) is
 * written when the brokers answer.
 */
export class LiveWriteService {
  readonly #c: Connection;
  readonly #operations: OperationRepository;
  readonly #trail: Trail;
  constructor(c: Connection, operations: OperationRepository, trail: Trail) { this.#c = c; this.#operations = operations; this.#trail = trail; }

  async run<T>(p: Principal, what: { kind: string; targetId: string; detail: unknown }, write: () => Promise<T>): Promise<{ result: T; operation: Operation }> {
    const started = await this.#c.tx((tx) => this.#trail.operation(tx, p, what.kind, 'consumer-group', what.targetId, 1, what.detail, 'Running'));
    let result: T;
    try {
      result = await write();
    } catch (err) {
      const error = err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      await this.#operations.settle(started.id, 'Failed', error.slice(0, 1000));
      throw err;
    }
    return { result, operation: await this.#operations.settle(started.id, 'Succeeded') };
  }
}
