import type pg from 'pg';
import { SEALED_COLUMNS, SecretBox } from '@tributary/db';

/**
 * Re-seals every stored password equivalent under the current key: values sealed with the previous
 * key (a rotation in progress) and values written before encryption at rest existed (plain). The
 * API runs it on start, so a rotation is: deploy with the new key current and the old one previous,
 * start, see the count logged, drop the previous key. Each row is updated only if it still holds
 * the value read (a concurrent password rotation wins). Returns how many rows were re-sealed.
 */
export async function resealSecrets(pool: pg.Pool, box: SecretBox): Promise<number> {
  const column = SEALED_COLUMNS.kafkaUserSaltedPassword;
  const { rows } = await pool.query<{ id: string; salted_password: string }>('SELECT id, salted_password FROM kafka_user');
  let count = 0;
  for (const row of rows) {
    if (box.isCurrent(row.salted_password)) continue;
    const resealed = box.seal(box.open(row.salted_password, column), column);
    const r = await pool.query('UPDATE kafka_user SET salted_password = $2 WHERE id = $1 AND salted_password = $3', [row.id, resealed, row.salted_password]);
    count += r.rowCount ?? 0;
  }
  return count;
}

/** The deployment's key; the API does not start without one (it would have to store passwords in the clear). */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  const box = SecretBox.fromEnv(env);
  if (!box) {
    throw new Error('TRIBUTARY_SECRET_KEY (or TRIBUTARY_SECRET_KEY_FILE) is required: 32 random bytes, e.g. `openssl rand -hex 32`; it encrypts SCRAM salted passwords at rest');
  }
  return box;
}
