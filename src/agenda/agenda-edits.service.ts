import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { type AuditEntry, writeAudit } from '../audit/audit.repository.ts';
import {
  type AgendaEditChange,
  type AgendaEditResult,
  deferItem,
  moveItem,
  pinItem,
  publishAgenda,
  type StoredAgenda,
  swapItems,
  unpinItem,
} from '../domain/agenda-edits.ts';
import { AppError } from '../errors.ts';
import * as repo from './agenda.repository.ts';
import { type AgendaContext, lockedSitting } from './agenda.service.ts';

/*
 * The chair's edits, stored: load the agenda, apply the pure edit, persist the difference and write
 * the audit log, in one transaction. A rejected edit throws an AppError and writes nothing.
 */

export interface AgendaEditOutcome {
  agenda: StoredAgenda;
  change: AgendaEditChange;
}

/** Moves item `itemId` to the free slot `toSlot` (from 0). */
export function moveAgendaItem(
  db: Kysely<Database>,
  sittingId: number,
  itemId: number,
  toSlot: number,
  ctx: AgendaContext,
) {
  return applyEdit(db, sittingId, ctx, (a) => moveItem(a, String(itemId), toSlot));
}

/** Swaps two items of the sitting (see `swapItems` for items of different lengths). */
export function swapAgendaItems(
  db: Kysely<Database>,
  sittingId: number,
  itemA: number,
  itemB: number,
  ctx: AgendaContext,
) {
  return applyEdit(db, sittingId, ctx, (a) => swapItems(a, String(itemA), String(itemB)));
}

/** Defers the item's requests to the next sitting (`chair-deferred`, with the chair's note). */
export function deferAgendaItem(
  db: Kysely<Database>,
  sittingId: number,
  itemId: number,
  note: string,
  ctx: AgendaContext,
) {
  return applyEdit(db, sittingId, ctx, (a) => deferItem(a, String(itemId), note));
}

export function pinAgendaItem(db: Kysely<Database>, sittingId: number, itemId: number, ctx: AgendaContext) {
  return applyEdit(db, sittingId, ctx, (a) => pinItem(a, String(itemId)));
}

export function unpinAgendaItem(db: Kysely<Database>, sittingId: number, itemId: number, ctx: AgendaContext) {
  return applyEdit(db, sittingId, ctx, (a) => unpinItem(a, String(itemId)));
}

/** Publishes the agenda (the sitting becomes `published`); from then on it is frozen. */
export function publishSittingAgenda(db: Kysely<Database>, sittingId: number, ctx: AgendaContext) {
  return applyEdit(db, sittingId, ctx, (a) => publishAgenda(a, ctx.now.toISOString()));
}

/** The stored agenda in the domain's shape: items by database id, requests and families by reference. */
export async function loadStoredAgenda(
  db: repo.Conn,
  sitting: repo.SittingRow,
): Promise<{ agenda: StoredAgenda; requestIdOf: Map<string, number> }> {
  const [items, deferrals] = await Promise.all([
    repo.findItems(db, sitting.id),
    repo.findDeferrals(db, sitting.id),
  ]);
  const referenceOf = await repo.findRequestReferences(db, [
    ...items.flatMap((i) => i.requestIds),
    ...deferrals.map((d) => d.requestId),
  ]);
  const agenda: StoredAgenda = {
    status: sitting.status === 'published' ? 'published' : 'draft',
    publishedAt: sitting.publishedAt?.toISOString() ?? null,
    slots: sitting.slotCount,
    breakAfterSlot: sitting.breakAfterSlot,
    items: items.map((i) => ({
      id: String(i.id),
      slot: i.slot,
      slotsUsed: i.slotsUsed,
      familyId: i.familyReference ?? '',
      requestIds: i.requestIds.map((r) => referenceOf.get(r)!),
      flags: i.flags,
      pinned: i.pinned,
      movedByChair: i.movedByChair,
    })),
    deferred: deferrals.map((d) => ({
      requestId: referenceOf.get(d.requestId)!,
      reason: d.reason,
      note: d.note,
    })),
  };
  return { agenda, requestIdOf: new Map([...referenceOf].map(([id, ref]) => [ref, id])) };
}

async function applyEdit(
  db: Kysely<Database>,
  sittingId: number,
  ctx: AgendaContext,
  edit: (agenda: StoredAgenda) => AgendaEditResult,
): Promise<AgendaEditOutcome> {
  return db.transaction().execute(async (trx) => {
    const sitting = await lockedSitting(trx, sittingId);
    const { agenda, requestIdOf } = await loadStoredAgenda(trx, sitting);
    const result = edit(agenda);
    if (result.kind === 'rejected') throw rejection(result);
    await persist(trx, sitting, agenda, result.agenda, requestIdOf, ctx);
    await writeAudit(trx, ctx.actor, auditEntries(sittingId, result.change, requestIdOf));
    return { agenda: result.agenda, change: result.change };
  });
}

async function persist(
  trx: Transaction<Database>,
  sitting: repo.SittingRow,
  before: StoredAgenda,
  after: StoredAgenda,
  requestIdOf: Map<string, number>,
  ctx: AgendaContext,
): Promise<void> {
  for (const item of after.items) {
    const old = before.items.find((i) => i.id === item.id)!;
    if (old.slot !== item.slot || old.pinned !== item.pinned || old.movedByChair !== item.movedByChair) {
      await repo.updateItem(trx, Number(item.id), {
        slot: item.slot,
        pinned: item.pinned,
        movedByChair: item.movedByChair,
      });
    }
  }
  const removed = before.items.filter((i) => !after.items.some((a) => a.id === i.id));
  if (removed.length > 0) {
    const requestIds = removed.flatMap((i) => i.requestIds.map((r) => requestIdOf.get(r)!));
    await repo.unlinkRequests(trx, sitting.id, requestIds);
    await repo.deleteItems(
      trx,
      removed.map((i) => Number(i.id)),
    );
    const newDeferrals = after.deferred.filter(
      (d) => !before.deferred.some((b) => b.requestId === d.requestId),
    );
    await repo.insertDeferrals(
      trx,
      sitting.id,
      newDeferrals.map((d) => ({ requestId: requestIdOf.get(d.requestId)!, reason: d.reason, note: d.note })),
    );
    await repo.setRequestStatus(trx, requestIds, 'on-agenda', 'open');
    // A chair deferral is a carry-over: once, because it follows the deferral row (see buildAndStoreAgenda).
    await repo.adjustCarriedOver(trx, new Map(requestIds.map((r) => [r, 1])));
  }
  if (before.status === 'draft' && after.status === 'published')
    await repo.markPublished(trx, sitting.id, ctx.now);
}

function auditEntries(
  sittingId: number,
  change: AgendaEditChange,
  requestIdOf: Map<string, number>,
): AuditEntry[] {
  switch (change.action) {
    case 'moved':
    case 'pinned':
    case 'unpinned': {
      const { action, itemId, ...details } = change;
      return [
        {
          action: `agenda.item.${action}`,
          entity: 'agenda_item',
          entityId: itemId,
          details: { sittingId, ...details },
        },
      ];
    }
    case 'swapped':
      return [
        {
          action: 'agenda.items.swapped',
          entity: 'sitting',
          entityId: sittingId,
          details: { moves: change.moves },
        },
      ];
    case 'deferred':
      // The chair's note stays in agenda_deferrals: free text may name a child, the audit log must not.
      return [
        {
          action: 'agenda.item.deferred',
          entity: 'agenda_item',
          entityId: change.itemId,
          details: { sittingId, slot: change.slot, requests: change.requestIds, reason: 'chair-deferred' },
        },
        ...change.requestIds.map((ref) => ({
          action: 'request.deferred',
          entity: 'request',
          entityId: requestIdOf.get(ref)!,
          details: { sittingId, reason: 'chair-deferred' },
        })),
      ];
    case 'published':
      return [
        { action: 'agenda.published', entity: 'sitting', entityId: sittingId, details: { at: change.at } },
      ];
  }
}

function rejection(result: Extract<AgendaEditResult, { kind: 'rejected' }>): AppError {
  switch (result.reason) {
    case 'not-found':
      return new AppError('not-found', result.message);
    case 'out-of-range':
    case 'straddles-break':
      return new AppError('invalid-input', result.message, {
        issues: [{ field: 'slot', message: result.message }],
      });
    case 'note-required':
      return new AppError('invalid-input', result.message, {
        issues: [{ field: 'note', message: result.message }],
      });
    case 'slot-taken':
    case 'published-frozen':
    case 'no-change':
      return new AppError('conflict', result.message);
  }
}
