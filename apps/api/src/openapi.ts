import type { Store } from './store/types.ts';
import type { ReconcileQueue } from './jobs/queue.ts';
import { SecretBox } from '@tributary/db';
import { buildApp } from './app.ts';

const unused = (): never => { throw new Error('not used while generating the OpenAPI document'); };

/**
 * The OpenAPI document as committed in openapi/openapi.json: built from the same route schemas the
 * server validates with, without touching a database (no handler runs).
 */
export async function openapiDocument(): Promise<string> {
  const store = new Proxy({}, { get: () => unused }) as Store;
  const queue = new Proxy({}, { get: () => unused }) as ReconcileQueue;
  const app = await buildApp({ store, queue, secrets: SecretBox.generate(), docs: false, outboxDrainer: false });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return JSON.stringify(doc, null, 2) + '\n';
}

