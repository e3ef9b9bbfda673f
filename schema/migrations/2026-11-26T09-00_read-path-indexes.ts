import { type Kysely, sql } from 'kysely';

/*
 * Indexes for the web's read paths (found with EXPLAIN ANALYZE on 50 hubs of data):
 * - requests newest first (GET /api/v1/requests, the requests page): a keyset on
 *   (received_at desc, id desc) reads one page of the index instead of sorting every request;
 * - a request's agenda placements (request lists and pages, the candidates of an agenda build):
 *   agenda_item_requests is keyed by (sitting_id, request_id), so by request alone it was scanned;
 * - a sitting's agenda items (every agenda read and edit, the overlap trigger) by sitting, in slot order.
 * Frozen in time: Kysely<any> and plain SQL only.
 */
const statements = [
  `create index requests_received on requests (received_at desc, id desc)`,
  `create index agenda_item_requests_request on agenda_item_requests (request_id)`,
  `create index agenda_items_sitting_slot on agenda_items (sitting_id, slot)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['agenda_items_sitting_slot', 'agenda_item_requests_request', 'requests_received'])
    await sql.raw(`drop index if exists ${index}`).execute(db);
}
