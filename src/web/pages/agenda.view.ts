import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../../schema/database.ts';
import type { Role } from '../../actor.ts';
import { type AgendaView, flagLabels, inviteTargets, reasonLabels } from '../../agenda/agenda.render.ts';
import { loadAgendaView } from '../../agenda/agenda.service.ts';
import type { AgendaFlag, DeferralReason } from '../../domain/agenda.ts';
import type { AgendaDiffEntry, RequestPlacement } from '../../domain/agenda-edits.ts';
import { rememberStrings } from '../../render/remembered.ts';
import { findTimesCarriedOver } from '../../requests/request.repository.ts';
import type { Principal } from '../context.ts';

/*
 * The agenda review as pages and the API show it: the stored agenda (getAgendaView, the same view the
 * printed agenda and the invites use) with each request's id (for links) and, for items flagged
 * `carried-over`, how many times each request has been carried over. Presentation only: every rule
 * (what may move where, what publishing means) stays in the agenda services.
 */

/** Who may change an agenda (the hub's staff all read it). */
export const editRoles: readonly Role[] = ['admin', 'chair'];

export interface AgendaReview {
  view: AgendaView;
  hubId: number;
  /** Request id by reference, for every request on the agenda or deferred from it. */
  requestIdOf: Map<string, number>;
  /** Times carried over, by reference, for the requests of items flagged `carried-over`. */
  carriedOver: Map<string, number>;
}

/**
 * Loads the review of one sitting's agenda: the view and the carry-over counts (those the principal
 * may see), in two round trips whatever the agenda's size. Throws AppError not-found.
 */
export async function loadAgendaReview(
  db: Kysely<Database>,
  principal: Principal,
  sittingId: number,
): Promise<AgendaReview> {
  const { view, hubId, requestIdOf } = await loadAgendaView(db, sittingId);
  const flagged = view.items
    .filter((i) => i.flags.includes('carried-over'))
    .flatMap((i) => i.requests.map((r) => r.reference));
  const ids = flagged.flatMap((reference) => {
    const id = requestIdOf.get(reference);
    return id === undefined ? [] : [id];
  });
  const timesOf = await findTimesCarriedOver(db, principal, ids);
  const carriedOver = new Map<string, number>();
  for (const reference of flagged) {
    const id = requestIdOf.get(reference);
    const n = id === undefined ? 0 : (timesOf.get(id) ?? 0);
    if (n > 0) carriedOver.set(reference, n);
  }
  return { view, hubId, requestIdOf, carriedOver };
}

type Tag = { text: string; classes: string };

const flagClasses: Record<AgendaFlag, string> = {
  'proforma-missing': 'govuk-tag--red',
  'proforma-pending': 'govuk-tag--yellow',
  'review-overdue': 'govuk-tag--orange',
  'carried-over': 'govuk-tag--purple',
  'part-deferred': 'govuk-tag--pink',
  'outside-window': 'govuk-tag--yellow',
  'pin-conflict': 'govuk-tag--orange',
};

const reasonClasses: Record<DeferralReason, string> = {
  'consent-missing': 'govuk-tag--red',
  'proforma-missing': 'govuk-tag--orange',
  'no-slot': 'govuk-tag--grey',
  'chair-deferred': 'govuk-tag--purple',
};

const deferralOrder: readonly DeferralReason[] = [
  'consent-missing',
  'proforma-missing',
  'chair-deferred',
  'no-slot',
];

const statusTags: Record<string, Tag> = {
  planned: { text: 'Draft', classes: 'govuk-tag--blue' },
  published: { text: 'Published', classes: 'govuk-tag--green' },
  held: { text: 'Held', classes: 'govuk-tag--grey' },
  cancelled: { text: 'Cancelled', classes: 'govuk-tag--red' },
};

const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);

/** `HH:mm` of an instant in the zone (remembered: a page shows the same slot times on every request). */
export const hhmm = rememberStrings((iso: string, zone: string): string =>
  DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat('HH:mm'),
);

/** "Wednesday 31 March 2027" for a `YYYY-MM-DD` day. */
const dayText = rememberStrings((date: string) => DateTime.fromISO(date).toFormat('cccc d LLLL yyyy'));

/** "11:30 to 11:45": the break, from the end of the slot before it. */
const breakTimes = rememberStrings((endsAt: string, zone: string, minutes: string) => {
  const start = DateTime.fromISO(endsAt, { setZone: true }).setZone(zone);
  return `${start.toFormat('HH:mm')} to ${start.plus({ minutes: Number(minutes) }).toFormat('HH:mm')}`;
});

/** What the agenda page, the item page and the publish page show. */
export function reviewModel(review: AgendaReview) {
  const { view, requestIdOf, carriedOver } = review;
  const zone = view.timezone;
  // Who gets an invite for which item: the same list the invites are rendered from, without the iCalendar.
  const invites = inviteTargets(view);
  const items = view.items.map((item, index) => {
    const carried = Math.max(0, ...item.requests.map((r) => carriedOver.get(r.reference) ?? 0));
    const tags: Tag[] = item.flags.map((flag) => ({
      text: flag === 'carried-over' && carried > 0 ? `Carried over ${times(carried)}` : flagLabels[flag],
      classes: flagClasses[flag],
    }));
    if (item.slotsUsed > 1)
      tags.unshift({ text: `Complex: ${item.slotsUsed} slots`, classes: 'govuk-tag--light-blue' });
    if (item.pinned) tags.unshift({ text: 'Pinned', classes: 'govuk-tag--turquoise' });
    else if (item.movedByChair) tags.unshift({ text: 'Moved by the chair', classes: 'govuk-tag--grey' });
    const first = item.slot + 1;
    return {
      id: item.id,
      number: index + 1,
      slot: item.slot,
      slotsUsed: item.slotsUsed,
      slotLabel: item.slotsUsed > 1 ? `Slots ${first} to ${first + item.slotsUsed - 1}` : `Slot ${first}`,
      times: `${hhmm(item.startsAt, zone)} to ${hhmm(item.endsAt, zone)}`,
      family: item.familyReference,
      pinned: item.pinned,
      tags,
      requests: item.requests.map((r) => ({
        id: requestIdOf.get(r.reference) ?? null,
        reference: r.reference,
        kind: r.kind === 'new' ? 'New request' : 'Review',
        urgency: r.urgency,
        school: r.schoolName ?? 'No school',
        window: r.attendanceWindow ? `${r.attendanceWindow.from} to ${r.attendanceWindow.to}` : null,
        // The item's tag says it for a lone request; with siblings, each says its own.
        carried:
          item.requests.length > 1 && carriedOver.has(r.reference)
            ? `Carried over ${times(carriedOver.get(r.reference)!)}`
            : null,
      })),
      invites: invites
        .filter((i) => i.itemId === item.id)
        .map((i) => ({
          text: i.schoolName,
          href: `/sittings/${view.sittingId}/agenda/invites/${item.id}/${i.schoolUrn}`,
        })),
    };
  });

  // One row per item, free slot and the break, in time order.
  type Row =
    | { kind: 'item'; item: (typeof items)[number] }
    | { kind: 'free'; slotLabel: string; times: string }
    | { kind: 'break'; times: string; minutes: number };
  const rows: Row[] = [];
  for (let slot = 0; slot < view.slots.length; ) {
    const item = items.find((i) => i.slot === slot);
    const s = view.slots[slot]!;
    if (item) rows.push({ kind: 'item', item });
    else
      rows.push({
        kind: 'free',
        slotLabel: `Slot ${slot + 1}`,
        times: `${hhmm(s.startsAt, zone)} to ${hhmm(s.endsAt, zone)}`,
      });
    slot += item?.slotsUsed ?? 1;
    if (view.breakAfterSlot !== null && slot === view.breakAfterSlot && view.breakMinutes > 0) {
      rows.push({
        kind: 'break',
        times: breakTimes(view.slots[slot - 1]!.endsAt, zone, String(view.breakMinutes)),
        minutes: view.breakMinutes,
      });
    }
  }

  const deferred = view.deferred.map((d) => ({
    id: requestIdOf.get(d.reference) ?? null,
    reference: d.reference,
    family: d.familyReference,
    school: d.schoolName ?? 'No school',
    reason: d.reason,
    tag: { text: reasonLabels[d.reason], classes: reasonClasses[d.reason] },
    note: d.note,
  }));
  // One table per reason, in the order a chair acts on them: what a person must fix first.
  const deferredGroups = deferralOrder
    .map((reason) => {
      const rows = deferred.filter((d) => d.reason === reason);
      return {
        tag: { text: reasonLabels[reason], classes: reasonClasses[reason] },
        rows,
        hasNotes: rows.some((d) => d.note),
      };
    })
    .filter((g) => g.rows.length > 0);
  const first = view.slots[0];
  const last = view.slots.at(-1);
  return {
    sittingId: view.sittingId,
    hubName: view.hubName,
    date: view.date,
    dateText: dayText(view.date),
    timesText: first && last ? `${hhmm(first.startsAt, zone)} to ${hhmm(last.endsAt, zone)}` : '',
    status: view.status,
    statusTag: statusTags[view.status] ?? { text: view.status, classes: 'govuk-tag--grey' },
    builtAt: view.builtAt,
    publishedAt: view.publishedAt,
    slotMinutes: view.slotMinutes,
    slotCount: view.slots.length,
    requestCount: view.items.reduce((n, i) => n + i.requests.length, 0),
    items,
    rows,
    freeSlots: rows.filter((r) => r.kind === 'free').length,
    deferred,
    deferredGroups,
  };
}

/** Every slot as a choice for "move to", each saying what is in it now (the service decides). */
export function slotChoices(view: AgendaView, itemId: number, selected?: string) {
  const zone = view.timezone;
  const current = view.items.find((i) => i.id === itemId);
  return view.slots.map((s) => {
    const occupant = view.items.find((i) => i.slot <= s.slot && s.slot < i.slot + i.slotsUsed);
    const what =
      occupant === undefined ? 'free' : occupant.id === itemId ? 'this item' : occupant.familyReference;
    return {
      value: String(s.slot),
      text: `Slot ${s.slot + 1}, ${hhmm(s.startsAt, zone)} (${what})`,
      selected: selected === undefined ? false : selected === String(s.slot),
      disabled: current !== undefined && current.slot === s.slot,
    };
  });
}

/** The other items as choices for "swap with". */
export function swapChoices(view: AgendaView, itemId: number, selected?: string) {
  const zone = view.timezone;
  return view.items
    .filter((i) => i.id !== itemId)
    .map((i) => ({
      value: String(i.id),
      text: `${i.familyReference}, slot ${i.slot + 1} at ${hhmm(i.startsAt, zone)}`,
      selected: selected === String(i.id),
    }));
}

function placementText(p: RequestPlacement, view: AgendaView): string {
  switch (p.where) {
    case 'absent':
      return 'Not on this agenda';
    case 'deferred':
      return `Deferred: ${reasonLabels[p.reason]}`;
    case 'slot': {
      const s = view.slots[p.slot];
      const at = s ? ` at ${hhmm(s.startsAt, view.timezone)}` : '';
      const flags = p.flags.length ? ` (${p.flags.map((f) => flagLabels[f]).join(', ')})` : '';
      return `Slot ${p.slot + 1}${at}, family ${p.familyId}${flags}`;
    }
  }
}

/** The "what changed since publishing" rows: one per request whose place would change. */
export function changeRows(changes: AgendaDiffEntry[], view: AgendaView) {
  return changes.map((c) => ({
    reference: c.requestId,
    before: placementText(c.before, view),
    after: placementText(c.after, view),
  }));
}
