import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { sha256Hex } from '../auth/secret.ts';
import { AppError } from '../errors.ts';
import {
  claimIdempotencyKey,
  findIdempotencyKey,
  storeIdempotentResponse,
} from './idempotency.repository.ts';

type Db = Kysely<Database>;

export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Runs `work` at most once per (principal, Idempotency-Key): the first call's successful response is
 * stored in the same transaction as the change, and a retry with the same key and body gets it back
 * (`replayed: true`) without doing anything. The same key with a different body is refused. A failed
 * call stores nothing, so a retry runs again. Without a key, `work` simply runs in a transaction.
 */
export async function runOnce(
  db: Db,
  input: { principal: string; key: string | undefined; body: unknown },
  work: (trx: Db) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (input.key === undefined) return { ...(await db.transaction().execute(work)), replayed: false };
  const key = input.key;
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new AppError(
      'invalid-input',
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters',
      {
        issues: [
          {
            field: 'Idempotency-Key',
            message: 'must be 1 to 255 printable ASCII characters (a UUID is ideal)',
          },
        ],
      },
    );
  const requestHash = sha256Hex(JSON.stringify(input.body ?? null));
  return db.transaction().execute(async (trx) => {
    if (await claimIdempotencyKey(trx, { principal: input.principal, key, requestHash })) {
      const response = await work(trx);
      await storeIdempotentResponse(trx, { principal: input.principal, key, ...response });
      return { ...response, replayed: false };
    }
    const existing = await findIdempotencyKey(trx, input.principal, key);
    if (existing === undefined || existing.response_status === null)
      throw new AppError(
        'conflict',
        'A request with this Idempotency-Key is still being processed; retry shortly',
      );
    if (existing.request_hash !== requestHash)
      throw new AppError('invalid-input', 'This Idempotency-Key was used with a different request body', {
        issues: [
          {
            field: 'Idempotency-Key',
            message: 'was already used with a different body; use a new key for a new request',
          },
        ],
      });
    return { status: existing.response_status, body: existing.response_body, replayed: true };
  });
}
