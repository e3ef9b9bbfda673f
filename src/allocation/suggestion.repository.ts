import type { Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { UnmatchedReason } from '../domain/matching.ts';
import type { Conn } from './allocation.repository.ts';

/*
 * Stored suggestions: per sitting and request, rank 0 is the batch proposal and ranks 1..3 the
 * alternatives (a request left unassigned for lack of places keeps its alternatives, without a
 * rank 0, and its reason in `unassigned_reasons`). Score is the exact score used to choose;
 * breakdown is the domain breakdown as JSON.
 */

export interface SuggestionInput {
  requestId: number;
  agencyId: number;
  rank: number;
  score: number;
  breakdown: unknown;
}

export interface SuggestionRow extends SuggestionInput {
  id: number;
  sittingId: number | null;
  computedAt: Date;
}

/** Why a request got no proposal (the matching's funnel reason). */
export interface UnassignedInput {
  requestId: number;
  reason: UnmatchedReason;
}

export interface UnassignedRow extends UnassignedInput {
  computedAt: Date;
}

/**
 * Replaces the suggestions of these requests at this sitting with `rows`, and the sitting's
 * unassigned reasons with `unassigned` (every one: a reason says only what the last computation
 * found, so one of a request decided since then goes too).
 */
export async function replaceSuggestions(
  trx: Transaction<Database>,
  sittingId: number,
  requestIds: number[],
  rows: SuggestionInput[],
  unassigned: UnassignedInput[],
  computedAt: Date,
): Promise<void> {
  if (requestIds.length > 0) {
    await trx
      .deleteFrom('suggestions')
      .where('sitting_id', '=', sittingId)
      .where('request_id', 'in', requestIds)
      .execute();
  }
  await trx.deleteFrom('unassigned_reasons').where('sitting_id', '=', sittingId).execute();
  await inChunks(rows, (chunk) =>
    trx
      .insertInto('suggestions')
      .values(
        chunk.map((r) => ({
          sitting_id: sittingId,
          request_id: r.requestId,
          agency_id: r.agencyId,
          rank: r.rank,
          score: r.score,
          breakdown: JSON.stringify(r.breakdown),
          computed_at: computedAt,
        })),
      )
      .execute(),
  );
  await inChunks(unassigned, (chunk) =>
    trx
      .insertInto('unassigned_reasons')
      .values(
        chunk.map((u) => ({
          sitting_id: sittingId,
          request_id: u.requestId,
          reason: u.reason,
          computed_at: computedAt,
        })),
      )
      .execute(),
  );
}

/** Inserts in chunks: a sitting is small, but a large batch must stay under the bind limit. */
async function inChunks<T>(rows: readonly T[], insert: (chunk: readonly T[]) => Promise<unknown>) {
  for (let at = 0; at < rows.length; at += 1000) await insert(rows.slice(at, at + 1000));
}

/** The stored unassigned reasons of a sitting, by request. */
export async function findUnassignedReasons(db: Conn, sittingId: number): Promise<UnassignedRow[]> {
  const rows = await db
    .selectFrom('unassigned_reasons')
    .select(['request_id as requestId', 'reason', 'computed_at as computedAt'])
    .where('sitting_id', '=', sittingId)
    .orderBy('request_id')
    .execute();
  // The table's CHECK holds the reason to the matching's list.
  return rows.map((r) => ({ ...r, reason: r.reason as UnmatchedReason }));
}

const columns = [
  'id',
  'sitting_id as sittingId',
  'request_id as requestId',
  'agency_id as agencyId',
  'rank',
  'score',
  'breakdown',
  'computed_at as computedAt',
] as const;

export async function findSuggestion(db: Conn, suggestionId: number): Promise<SuggestionRow | null> {
  const row = await db
    .selectFrom('suggestions')
    .select(columns)
    .where('id', '=', suggestionId)
    .executeTakeFirst();
  return row ?? null;
}

/** The suggestions of a sitting, by request then rank. */
export async function findSittingSuggestions(db: Conn, sittingId: number): Promise<SuggestionRow[]> {
  return db
    .selectFrom('suggestions')
    .select(columns)
    .where('sitting_id', '=', sittingId)
    .orderBy('request_id')
    .orderBy('rank')
    .execute();
}

/** The suggestion for this agency among the request's suggestions at the sitting, if any. */
export async function findSuggestionFor(
  db: Conn,
  sittingId: number,
  requestId: number,
  agencyId: number,
): Promise<SuggestionRow | null> {
  const row = await db
    .selectFrom('suggestions')
    .select(columns)
    .where('sitting_id', '=', sittingId)
    .where('request_id', '=', requestId)
    .where('agency_id', '=', agencyId)
    .executeTakeFirst();
  return row ?? null;
}
