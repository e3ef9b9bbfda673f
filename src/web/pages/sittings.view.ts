import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Database } from '../../../schema/database.ts';
import { localSlotTimes } from '../../agenda/local-slot-times.ts';
import {
  findSitting,
  listSittings,
  type SittingStatus,
  type StoredSitting,
} from '../../calendar/sitting.repository.ts';
import { localIso } from '../../domain/agenda.ts';
import { planSittings, type SkipCause } from '../../domain/calendar.ts';
import { renderIcs } from '../../domain/ics.ts';
import { AppError } from '../../errors.ts';
import { getHub, type HubRecord } from '../../hubs/hub.repository.ts';
import { parseOrThrow } from '../../validation.ts';

/*
 * What the chair's sittings list and the sittings API show of a hub: the stored sittings (the truth
 * for dates and statuses) beside the pure planner's reasons for the rule dates that were moved or not
 * sat on. Shared by the page and the API so both say the same thing.
 */

/** Longest range one list may cover (days): a fortnightly hub has about 80 sittings in three years. */
export const maxRangeDays = 1096;

const isoDate = z.iso.date('must be a date YYYY-MM-DD');

/** `from` / `to` of a sittings list (both optional, inclusive local dates). */
export const sittingRangeQuery = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, {
    error: 'must be on or after from',
    path: ['to'],
  });

/** One sitting as pages and the API show it; instants are ISO with the hub zone's offset. */
export interface SittingSummary {
  id: number;
  hubId: number;
  date: string;
  startsAt: string;
  endsAt: string;
  status: SittingStatus;
  slotCount: number;
  slotMinutes: number;
  /** Counts from 1: the break follows this slot; null for no break. */
  breakAfterSlot: number | null;
  breakMinutes: number;
  /** The rule's date when the sitting was moved off a bank holiday or closure. */
  movedFrom: string | null;
  /** Why it was moved (the holiday's or closure's name), when the planner can tell. */
  movedReason: string | null;
  /** Why a sitting was cancelled. */
  statusReason: string | null;
  agendaBuiltAt: string | null;
  publishedAt: string | null;
}

/** A rule date with no sitting: dropped, or moved to a date outside the list. */
export interface SkippedSummary {
  date: string;
  reason: string;
  cause: SkipCause;
  movedTo: string | null;
}

export interface HubSittings {
  hub: { id: number; name: string; timezone: string };
  from: string;
  to: string;
  /** Chronological (a moved sitting at its new date). */
  sittings: SittingSummary[];
  /** Chronological by rule date. */
  skipped: SkippedSummary[];
}

function iso(date: Date, zone: string): string {
  return localIso(DateTime.fromJSDate(date).setZone(zone));
}

function summary(s: StoredSitting, zone: string, movedReason: string | null): SittingSummary {
  return {
    id: s.id,
    hubId: s.hubId,
    date: s.date,
    startsAt: iso(s.startsAt, zone),
    endsAt: iso(s.endsAt, zone),
    status: s.status,
    slotCount: s.slotCount,
    slotMinutes: s.slotMinutes,
    breakAfterSlot: s.breakAfterSlot,
    breakMinutes: s.breakMinutes,
    movedFrom: s.movedFrom,
    movedReason,
    statusReason: s.statusReason,
    agendaBuiltAt: s.agendaBuiltAt === null ? null : iso(s.agendaBuiltAt, zone),
    publishedAt: s.publishedAt === null ? null : iso(s.publishedAt, zone),
  };
}

/** The default range: four weeks back (the last sittings) to six months ahead (the planner's horizon). */
export function defaultRange(now: Date, zone: string): { from: string; to: string } {
  const today = DateTime.fromJSDate(now).setZone(zone).startOf('day');
  return { from: today.minus({ weeks: 4 }).toISODate()!, to: today.plus({ months: 6 }).toISODate()! };
}

/** Resolves the query's range against the defaults; refuses one longer than `maxRangeDays`. */
export function resolveRange(query: unknown, now: Date, zone: string): { from: string; to: string } {
  const parsed = parseOrThrow(sittingRangeQuery, query ?? {}, 'query');
  const fallback = defaultRange(now, zone);
  let from = parsed.from ?? fallback.from;
  let to = parsed.to ?? fallback.to;
  if (parsed.from !== undefined && parsed.to === undefined && to < from)
    to = DateTime.fromISO(from).plus({ months: 6 }).toISODate()!;
  if (parsed.to !== undefined && parsed.from === undefined && from > to)
    from = DateTime.fromISO(to).minus({ months: 6 }).toISODate()!;
  const days = DateTime.fromISO(to).diff(DateTime.fromISO(from), 'days').days;
  if (days > maxRangeDays)
    throw new AppError('invalid-input', `Show at most ${maxRangeDays} days at a time`, {
      issues: [{ field: 'to', message: `must be at most ${maxRangeDays} days after from` }],
    });
  return { from, to };
}

/** The planner's reasons, keyed by rule date, for the rule dates from `from` to `to`. */
function skippedByDate(hub: HubRecord, from: string, to: string): Map<string, SkippedSummary> {
  const plan = planSittings(hub.schedule, { from, to });
  return new Map(plan.skipped.map((s) => [s.date, s]));
}

/**
 * A hub's sittings with dates from `from` to `to` (inclusive, local), and the rule dates in that range
 * that have no sitting, with the planner's reason. A stored sitting always wins over the plan: a date
 * the plan would skip but a published sitting keeps is shown as the sitting. Throws not-found.
 */
export async function loadHubSittings(
  db: Kysely<Database>,
  hubId: number,
  range: { from: string; to: string },
): Promise<HubSittings> {
  const hub = await getHub(db, hubId);
  const zone = hub.schedule.timezone;
  const stored = await listSittings(db, hubId, range);
  // Plan far enough back to explain a sitting moved in from a rule date before `from`.
  const earliest = stored.reduce(
    (d, s) => (s.movedFrom !== null && s.movedFrom < d ? s.movedFrom : d),
    range.from,
  );
  const reasons = skippedByDate(hub, earliest, range.to);
  const covered = new Set(stored.flatMap((s) => [s.date, s.movedFrom ?? s.date]));
  const shown = new Set(stored.map((s) => s.date));
  const skipped = [...reasons.values()].filter(
    (s) =>
      s.date >= range.from &&
      !covered.has(s.date) &&
      // A date moved to a sitting in the list is told by that sitting's row.
      (s.movedTo === null || !shown.has(s.movedTo)),
  );
  return {
    hub: { id: hub.id, name: hub.name, timezone: zone },
    from: range.from,
    to: range.to,
    sittings: stored.map((s) =>
      summary(s, zone, s.movedFrom === null ? null : (reasons.get(s.movedFrom)?.reason ?? null)),
    ),
    skipped,
  };
}

/** One sitting with its hub and slots (local times). Throws not-found. */
export async function loadSitting(db: Kysely<Database>, sittingId: number) {
  const stored = await findSitting(db, sittingId);
  if (stored === null) throw new AppError('not-found', `There is no sitting ${sittingId}.`);
  const hub = await getHub(db, stored.hubId);
  const zone = hub.schedule.timezone;
  const movedReason =
    stored.movedFrom === null
      ? null
      : (skippedByDate(hub, stored.movedFrom, stored.movedFrom).get(stored.movedFrom)?.reason ?? null);
  // Copies: the remembered slots are shared and frozen.
  const slots = localSlotTimes({
    startsAt: stored.startsAt.toISOString(),
    slotMinutes: stored.slotMinutes,
    slots: stored.slotCount,
    breakAfterSlot: stored.breakAfterSlot,
    breakMinutes: stored.breakMinutes,
    timezone: zone,
  }).map((t) => ({ ...t }));
  return {
    ...summary(stored, zone, movedReason),
    hub: { id: hub.id, name: hub.name, timezone: zone },
    slots,
  };
}

/** UID of a sitting's event in every feed: stable, so a subscribed calendar updates it in place. */
export function sittingUid(sittingId: number): string {
  return `sitting-${sittingId}@allocation-hub`;
}

/**
 * The iCalendar feed of a hub's sittings from `from` on (cancelled ones left out), one VEVENT per
 * sitting in the hub's zone. `stamp` is the DTSTAMP (the time of the request).
 */
export async function hubCalendarIcs(
  db: Kysely<Database>,
  hubId: number,
  options: { from: string; stamp: Date; publicBaseUrl: string },
): Promise<{ name: string; ics: string }> {
  const hub = await getHub(db, hubId);
  const sittings = await listSittings(db, hubId, {
    from: options.from,
    statuses: ['planned', 'published', 'held'],
  });
  const ics = renderIcs({
    name: `${hub.name} sittings`,
    timezone: hub.schedule.timezone,
    stamp: options.stamp.toISOString(),
    events: sittings.map((s) => ({
      uid: sittingUid(s.id),
      start: s.startsAt.toISOString(),
      end: s.endsAt.toISOString(),
      summary: `${hub.name}${s.status === 'published' ? '' : ' (agenda not yet published)'}`,
      description: [
        `Early Help Assessment Partnership Allocations Hub: ${hub.name}.`,
        `${s.slotCount} slots of ${s.slotMinutes} minutes.`,
        ...(s.movedFrom === null ? [] : [`Moved from ${s.movedFrom}.`]),
        `Agenda: ${options.publicBaseUrl}/sittings/${s.id}/agenda`,
      ].join('\n'),
    })),
  });
  return { name: hub.name, ics };
}
