import type { Kysely, Transaction } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { type AuditEntry, writeAudit } from '../audit/audit.repository.ts';
import {
  type Agenda,
  type AgendaCandidate,
  type AgendaInput,
  buildAgenda,
  type DeferralReason,
} from '../domain/agenda.ts';
import { type AgendaDiffEntry, type ComparableAgenda, diffAgendas } from '../domain/agenda-edits.ts';
import { AppError } from '../errors.ts';
import * as repo from './agenda.repository.ts';

/*
 * Load -> domain -> persist + audit, one transaction per call. Agenda work on a hub is serialised by
 * locking the hub's row, so two sittings never take the same request.
 */

/** The stored agenda as the pages, prints and emails read it. */
export { getAgendaView, loadAgendaView } from './agenda-view.service.ts';

export interface AgendaContext {
  now: Date;
  actor: Actor;
}

/** Deferrals that mean the hub could not hear a ready request: they count as a carry-over. */
export const countsAsCarryOver = (reason: DeferralReason): boolean =>
  reason === 'no-slot' || reason === 'chair-deferred';

export type BuildAgendaResult =
  | {
      kind: 'built';
      sittingId: number;
      /** False when the rebuild found the stored agenda already right (nothing was rewritten). */
      changed: boolean;
      agenda: Agenda;
    }
  | {
      kind: 'frozen';
      sittingId: number;
      publishedAt: string;
      /** What a rebuild would change; nothing was written. */
      changes: AgendaDiffEntry[];
    };

/**
 * Builds (or rebuilds) the agenda of a sitting and stores it, in one transaction: items, their
 * requests, deferrals, request statuses (`on-agenda` when placed, back to `open` when no longer),
 * `times_carried_over` (+1 for a request deferred `no-slot` or `chair-deferred` at this sitting, once:
 * it follows the deferral row, so rebuilds never count twice), `sittings.agenda_built_at`, the audit log.
 *
 * A draft rebuild is idempotent (same data, no row rewritten) and keeps the chair's pins and moves; a pin
 * the item can no longer take (it grew, or clashes with a more pressing pin) is released and flagged
 * `pin-conflict`. A published agenda is frozen: nothing is written and the result lists what a rebuild
 * would change. Throws AppError `not-found` (no such sitting) or `conflict` (sitting held or cancelled).
 */
export async function buildAndStoreAgenda(
  db: Kysely<Database>,
  sittingId: number,
  { now, actor }: AgendaContext,
): Promise<BuildAgendaResult> {
  return db.transaction().execute(async (trx) => {
    const sitting = await lockedSitting(trx, sittingId);
    const [candidates, items, deferrals] = await Promise.all([
      repo.findCandidates(trx, sitting),
      repo.findItems(trx, sittingId),
      repo.findDeferrals(trx, sittingId),
    ]);
    const frozen = sitting.status === 'published';
    const pins = new Map<number, number>();
    for (const item of items) {
      if (frozen || item.pinned || item.movedByChair) for (const r of item.requestIds) pins.set(r, item.slot);
    }
    const ownDeferral = new Map(deferrals.map((d) => [d.requestId, d]));
    const input = agendaInput(sitting, candidates, pins, ownDeferral, now);
    const agenda = buildAgenda(input);
    const byReference = new Map(candidates.map((c) => [c.reference, c]));

    if (frozen) {
      const referenceOf = await repo.findRequestReferences(trx, [
        ...items.flatMap((i) => i.requestIds),
        ...deferrals.map((d) => d.requestId),
      ]);
      const chairDeferred = deferrals.filter((d) => d.reason === 'chair-deferred');
      const rebuilt: ComparableAgenda = {
        items: agenda.items,
        deferred: [
          ...agenda.deferred,
          ...chairDeferred.map((d) => ({ requestId: referenceOf.get(d.requestId)!, reason: d.reason })),
        ],
      };
      return {
        kind: 'frozen',
        sittingId,
        publishedAt: sitting.publishedAt?.toISOString() ?? '',
        changes: diffAgendas(storedComparable(items, deferrals, referenceOf), rebuilt),
      };
    }

    const audit: AuditEntry[] = [];
    let writes = 0;
    const idOf = (reference: string) => byReference.get(reference)!.id;
    const newItemOf = new Map<number, number>(); // request id -> family id of its new item
    for (const item of agenda.items) {
      for (const ref of item.requestIds) newItemOf.set(idOf(ref), byReference.get(ref)!.familyId);
    }

    // Links that go away first (the (sitting, request) key is unique), then whole items.
    const oldItemOf = new Map<number, repo.ItemRow>();
    for (const item of items) for (const r of item.requestIds) oldItemOf.set(r, item);
    const unlink = [...oldItemOf].filter(([r, item]) => newItemOf.get(r) !== item.familyId).map(([r]) => r);
    await repo.unlinkRequests(trx, sittingId, unlink);
    const newFamilies = new Set(newItemOf.values());
    const gone = items.filter((i) => i.familyId === null || !newFamilies.has(i.familyId));
    await repo.deleteItems(
      trx,
      gone.map((i) => i.id),
    );
    writes += unlink.length + gone.length;

    const oldByFamily = new Map(items.filter((i) => !gone.includes(i)).map((i) => [i.familyId!, i]));
    for (const item of agenda.items) {
      const familyId = byReference.get(item.requestIds[0]!)!.familyId;
      const requestIds = item.requestIds.map(idOf);
      const old = oldByFamily.get(familyId);
      const keepPin = old !== undefined && old.slot === item.slot && !item.flags.includes('pin-conflict');
      const wanted = {
        slot: item.slot,
        slotsUsed: item.slotsUsed,
        pinned: keepPin && old.pinned,
        movedByChair: keepPin && old.movedByChair,
        flags: item.flags,
      };
      if (old === undefined) {
        const id = await repo.insertItem(trx, {
          sittingId,
          slotCount: sitting.slotCount,
          familyId,
          ...wanted,
        });
        await repo.linkRequests(trx, sittingId, id, requestIds);
        writes += 1;
        continue;
      }
      const same =
        old.slot === wanted.slot &&
        old.slotsUsed === wanted.slotsUsed &&
        old.pinned === wanted.pinned &&
        old.movedByChair === wanted.movedByChair &&
        old.flags.join() === wanted.flags.join();
      if (!same) {
        await repo.updateItem(trx, old.id, wanted);
        writes += 1;
      }
      const link = requestIds.filter((r) => !old.requestIds.includes(r));
      await repo.linkRequests(trx, sittingId, old.id, link);
      writes += link.length;
    }

    // Deferrals (the chair's own stay as they are) and the carry-over count that follows them.
    const before = new Map(
      deferrals.filter((d) => d.reason !== 'chair-deferred').map((d) => [d.requestId, d.reason]),
    );
    const after = new Map(agenda.deferred.map((d) => [idOf(d.requestId), d.reason]));
    const dropped = [...before].filter(([r, reason]) => after.get(r) !== reason).map(([r]) => r);
    const added = [...after].filter(([r, reason]) => before.get(r) !== reason);
    await repo.deleteDeferrals(trx, sittingId, dropped);
    await repo.insertDeferrals(
      trx,
      sittingId,
      added.map(([requestId, reason]) => ({ requestId, reason, note: null })),
    );
    writes += dropped.length + added.length;
    const carried = new Map<number, number>();
    for (const r of new Set([...before.keys(), ...after.keys()])) {
      const was = before.get(r);
      const is = after.get(r);
      carried.set(
        r,
        Number(is !== undefined && countsAsCarryOver(is)) -
          Number(was !== undefined && countsAsCarryOver(was)),
      );
    }
    await repo.adjustCarriedOver(trx, carried);

    const placed = await repo.setRequestStatus(trx, [...newItemOf.keys()], 'open', 'on-agenda');
    const reopened = await repo.setRequestStatus(
      trx,
      [...oldItemOf.keys()].filter((r) => !newItemOf.has(r)),
      'on-agenda',
      'open',
    );
    const slotOf = new Map(
      agenda.items.flatMap((i) => i.requestIds.map((ref) => [idOf(ref), i.slot] as const)),
    );
    for (const r of placed) {
      audit.push({
        action: 'request.on-agenda',
        entity: 'request',
        entityId: r,
        details: { sittingId, slot: slotOf.get(r) },
      });
    }
    for (const r of reopened) {
      audit.push({ action: 'request.off-agenda', entity: 'request', entityId: r, details: { sittingId } });
    }
    for (const [r, reason] of added) {
      audit.push({
        action: 'request.deferred',
        entity: 'request',
        entityId: r,
        details: { sittingId, reason },
      });
    }
    const counts: Record<string, number> = {};
    for (const d of agenda.deferred) counts[d.reason] = (counts[d.reason] ?? 0) + 1;
    audit.push({
      action: sitting.agendaBuiltAt === null ? 'agenda.built' : 'agenda.rebuilt',
      entity: 'sitting',
      entityId: sittingId,
      details: {
        items: agenda.items.length,
        requestsPlaced: newItemOf.size,
        deferred: counts,
        changed: writes > 0,
      },
    });
    await repo.markAgendaBuilt(trx, sittingId, now);
    await writeAudit(trx, actor, audit);
    return { kind: 'built', sittingId, changed: writes > 0, agenda };
  });
}

/** Loads the sitting and takes its hub's lock; refuses held and cancelled sittings. */
export async function lockedSitting(trx: Transaction<Database>, sittingId: number): Promise<repo.SittingRow> {
  const found = await repo.findSitting(trx, sittingId);
  if (!found)
    throw new AppError(
      'not-found',
      `No sitting ${sittingId}: check the id (\`hub plan --hub <id> --json\` lists them).`,
    );
  await repo.lockHub(trx, found.hubId);
  const sitting = (await repo.findSitting(trx, sittingId))!;
  if (sitting.status === 'held' || sitting.status === 'cancelled') {
    throw new AppError(
      'conflict',
      `Sitting ${sittingId} is ${sitting.status}; its agenda can no longer change.`,
    );
  }
  return sitting;
}

/** The domain's view of the stored sitting and its candidates. */
export function agendaInput(
  sitting: repo.SittingRow,
  candidates: repo.CandidateRow[],
  pins: Map<number, number>,
  ownDeferral: Map<number, repo.DeferralRow>,
  now: Date,
): AgendaInput {
  const requests = candidates.map<AgendaCandidate>((c) => {
    const own = ownDeferral.get(c.id);
    return {
      id: c.reference,
      familyId: c.familyReference,
      schoolId: c.schoolId === null ? null : String(c.schoolId),
      kind: c.kind,
      urgency: c.urgency,
      receivedAt: c.receivedAt.toISOString(),
      consent: c.consentGiven,
      // No school, no proforma to wait for. A proforma is missing only once its deadline has passed;
      // before that (or before one was even requested) it is pending.
      proformaSubmitted: c.schoolId === null || c.proformaStatus === 'submitted',
      proformaDeadlinePassed: c.proformaDeadlineAt !== null && c.proformaDeadlineAt <= now,
      children: Math.max(1, c.children),
      complex: c.complex,
      // This sitting's own deferral is not a carry-over *into* it: without this a rebuild would
      // raise the request it has just deferred.
      timesCarriedOver: c.timesCarriedOver - Number(own !== undefined && countsAsCarryOver(own.reason)),
      reviewDueAt: c.reviewDueAt?.toISOString() ?? null,
      attendanceWindow:
        c.attendanceFrom !== null && c.attendanceTo !== null
          ? { from: c.attendanceFrom, to: c.attendanceTo }
          : null,
      pinnedSlot: pins.get(c.id) ?? null,
    };
  });
  return {
    sitting: {
      startsAt: DateTime.fromJSDate(sitting.startsAt).setZone(sitting.timezone).toISO()!,
      slotMinutes: sitting.slotMinutes,
      slots: sitting.slotCount,
      breakAfterSlot: sitting.breakAfterSlot,
      breakMinutes: sitting.breakMinutes,
      timezone: sitting.timezone,
    },
    policy: {
      missingProforma: sitting.missingProformaPolicy,
      complexSlots: sitting.complexSlots,
      childrenForComplex: sitting.childrenForComplex,
    },
    requests,
  };
}

function storedComparable(
  items: repo.ItemRow[],
  deferrals: repo.DeferralRow[],
  referenceOf: Map<number, string>,
): ComparableAgenda {
  return {
    items: items.map((i) => ({
      slot: i.slot,
      familyId: i.familyReference ?? '',
      requestIds: i.requestIds.map((r) => referenceOf.get(r)!),
      flags: i.flags,
    })),
    deferred: deferrals.map((d) => ({ requestId: referenceOf.get(d.requestId)!, reason: d.reason })),
  };
}
