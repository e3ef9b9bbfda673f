import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

type Conn = Kysely<Database> | Transaction<Database>;

/**
 * Claims (principal, key) for a new request. Returns true when this call inserted the row; false when
 * the key was already there (a concurrent claim waits for the first transaction to end, then sees it).
 */
export async function claimIdempotencyKey(
  db: Conn,
  row: { principal: string; key: string; requestHash: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ principal: row.principal, key: row.key, request_hash: row.requestHash })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findIdempotencyKey(db: Conn, principal: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_status', 'response_body'])
    .where('principal', '=', principal)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function storeIdempotentResponse(
  db: Conn,
  row: { principal: string; key: string; status: number; body: unknown },
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response_status: row.status, response_body: JSON.stringify(row.body) })
    .where('principal', '=', row.principal)
    .where('key', '=', row.key)
    .execute();
}
