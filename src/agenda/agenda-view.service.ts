import { AppError } from '../errors.ts';
import type { AgendaView, AgendaViewRequest } from './agenda.render.ts';
import type { Conn } from './agenda.repository.ts';
import * as viewRepo from './agenda-view.repository.ts';
import { localSlotTimes } from './local-slot-times.ts';

/*
 * The stored agenda of a sitting as people read it (pages, print, CSV, emails): read-only, no
 * transaction of its own.
 */

/**
 * The stored agenda of a sitting as the renderings need it: local times, references, schools and
 * flags; never a child's name, date of birth or address. Throws AppError `not-found`.
 */
export async function getAgendaView(db: Conn, sittingId: number): Promise<AgendaView> {
  return (await loadAgendaView(db, sittingId)).view;
}

/**
 * `getAgendaView` with what the pages also need: the sitting's hub and each request's id by its
 * reference (every request on the agenda or deferred from it). One query whatever the agenda's
 * size. Throws AppError `not-found`.
 */
export async function loadAgendaView(
  db: Conn,
  sittingId: number,
): Promise<{ view: AgendaView; hubId: number; requestIdOf: Map<string, number> }> {
  const rows = await viewRepo.findAgendaViewRows(db, sittingId);
  if (!rows)
    throw new AppError(
      'not-found',
      `No sitting ${sittingId}: check the id (\`hub plan --hub <id> --json\` lists them).`,
    );
  const { sitting, items, links, deferrals } = rows;
  const requestIdOf = new Map<string, number>();
  const request = (d: viewRepo.RequestDetailRow): AgendaViewRequest => {
    requestIdOf.set(d.reference, d.id);
    return {
      reference: d.reference,
      kind: d.kind,
      urgency: d.urgency,
      familyReference: d.familyReference,
      schoolName: d.schoolName,
      schoolUrn: d.schoolUrn,
      schoolEmails: d.schoolEmails,
      attendanceWindow:
        d.attendanceFrom && d.attendanceTo ? { from: d.attendanceFrom, to: d.attendanceTo } : null,
    };
  };
  const requestsOf = new Map<number, AgendaViewRequest[]>();
  for (const link of links) {
    const list = requestsOf.get(link.itemId);
    if (list) list.push(request(link.request));
    else requestsOf.set(link.itemId, [request(link.request)]);
  }
  const slots = localSlotTimes({
    startsAt: sitting.startsAt.toISOString(),
    slotMinutes: sitting.slotMinutes,
    slots: sitting.slotCount,
    breakAfterSlot: sitting.breakAfterSlot,
    breakMinutes: sitting.breakMinutes,
    timezone: sitting.timezone,
  }).map((s) => ({ ...s }));
  const view: AgendaView = {
    sittingId,
    hubName: sitting.hubName,
    timezone: sitting.timezone,
    date: sitting.date,
    status: sitting.status,
    publishedAt: sitting.publishedAt?.toISOString() ?? null,
    builtAt: sitting.agendaBuiltAt?.toISOString() ?? null,
    slotMinutes: sitting.slotMinutes,
    breakAfterSlot: sitting.breakAfterSlot,
    breakMinutes: sitting.breakMinutes,
    slots,
    items: items.map((i) => ({
      id: i.id,
      slot: i.slot,
      slotsUsed: i.slotsUsed,
      startsAt: slots[i.slot]!.startsAt,
      endsAt: slots[Math.min(i.slot + i.slotsUsed, slots.length) - 1]!.endsAt,
      familyReference: i.familyReference ?? '',
      pinned: i.pinned,
      movedByChair: i.movedByChair,
      flags: i.flags,
      requests: requestsOf.get(i.id) ?? [],
    })),
    deferred: deferrals.map((d) => ({ ...request(d.request), reason: d.reason, note: d.note })),
  };
  return { view, hubId: sitting.hubId, requestIdOf };
}
