import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { type PlannedSitting, planSittings, type SittingPlan } from '../domain/calendar.ts';
import { toEpochDay } from '../domain/working-days.ts';
import { AppError } from '../errors.ts';
import { getHubForUpdate, type HubRecord } from '../hubs/hub.repository.ts';
import {
  cancelPlannedSitting,
  insertSitting,
  listSittings,
  reshapeSitting,
  type SittingShape,
  type StoredSitting,
} from './sitting.repository.ts';

/** Reasons the planner writes start with this, so it can tell its own cancellations from a chair's. */
export const PLANNER_REASON_PREFIX = 'Re-planned: ';

/** What re-planning did or would do. A decision never touches a published, held or past sitting. */
export type SittingChange =
  | { kind: 'create'; shape: SittingShape }
  | { kind: 'revive'; sittingId: number; shape: SittingShape }
  | { kind: 'move'; sittingId: number; fromDate: string; shape: SittingShape }
  | { kind: 'cancel'; sittingId: number; date: string; reason: string };

export interface PlanSummary {
  hubId: number;
  /** Planned rule dates, inclusive, local to the hub. */
  from: string;
  to: string;
  /** New sittings (including planner-cancelled ones brought back). */
  created: number;
  /** Planned sittings whose date, times or slots changed. */
  moved: number;
  /** Planned sittings the rule no longer gives. */
  cancelled: number;
  /** Sittings of the plan already stored as planned, published or held (left as they were). */
  unchanged: number;
  changes: Array<{
    kind: 'created' | 'moved' | 'cancelled';
    sittingId: number;
    date: string;
    fromDate?: string;
  }>;
}

function shapeOf(hub: HubRecord, sitting: PlannedSitting): SittingShape {
  return {
    date: sitting.date,
    startsAt: sitting.startsAt,
    endsAt: sitting.endsAt,
    slotCount: hub.schedule.slotsPerSitting,
    slotMinutes: hub.schedule.slotMinutes,
    breakAfterSlot: hub.schedule.breakAfterSlot,
    breakMinutes: hub.schedule.breakAfterSlot === null ? 0 : hub.schedule.breakMinutes,
    movedFrom: sitting.movedFrom,
  };
}

function sameShape(stored: StoredSitting, shape: SittingShape): boolean {
  return (
    stored.date === shape.date &&
    stored.startsAt.getTime() === Date.parse(String(shape.startsAt)) &&
    stored.endsAt.getTime() === Date.parse(String(shape.endsAt)) &&
    stored.slotCount === shape.slotCount &&
    stored.slotMinutes === shape.slotMinutes &&
    stored.breakAfterSlot === shape.breakAfterSlot &&
    stored.breakMinutes === shape.breakMinutes &&
    stored.movedFrom === shape.movedFrom
  );
}

const rawDateOf = (s: { date: string; movedFrom: string | null }): string => s.movedFrom ?? s.date;

/**
 * Pure: the changes that bring the stored sittings (`existing`, every sitting of the hub from the
 * plan's first date) in line with `plan`. Only sittings still 'planned' and starting after `now`
 * are moved or cancelled; published, held and past ones are kept as they are, and the plan does not
 * add a second sitting for a rule date they already cover. A stored planned sitting keeps its id
 * (and so its agenda) when it moves: matched first by date, then by rule date, then to the nearest
 * new date within a week; a published or held sitting stands in for a new date within a week of it.
 */
export function reconcileSittings(
  hub: HubRecord,
  plan: SittingPlan,
  existing: readonly StoredSitting[],
  now: Date,
): { changes: SittingChange[]; unchanged: number } {
  const isFuture = (s: StoredSitting) => s.startsAt.getTime() > now.getTime();
  const fixed = existing.filter((s) => s.status === 'published' || s.status === 'held' || !isFuture(s));
  const fixedDates = new Set(fixed.flatMap((s) => [s.date, rawDateOf(s)]));
  const mutable = existing.filter((s) => s.status === 'planned' && isFuture(s));
  const occupied = new Map(existing.map((s) => [s.date, s]));
  const changes: SittingChange[] = [];
  let unchanged = 0;

  const wanted: SittingShape[] = [];
  const wantedAll = plan.sittings.filter((s) => Date.parse(s.startsAt) > now.getTime());
  for (const sitting of wantedAll) {
    if (fixedDates.has(sitting.date) || fixedDates.has(rawDateOf(sitting))) unchanged += 1;
    else wanted.push(shapeOf(hub, sitting));
  }

  const free = new Set(mutable);
  const placed = new Set<SittingShape>();
  const place = (stored: StoredSitting, shape: SittingShape) => {
    free.delete(stored);
    placed.add(shape);
    if (sameShape(stored, shape)) unchanged += 1;
    else changes.push({ kind: 'move', sittingId: stored.id, fromDate: stored.date, shape });
  };
  // 1. same date (a date holds at most one sitting, so this cannot clash)
  for (const shape of wanted) {
    const stored = occupied.get(shape.date);
    if (stored && free.has(stored)) place(stored, shape);
  }
  // 2. same rule date. A target date held by a cancelled row is left to step 5 (revive or respect).
  const open = () => wanted.filter((s) => !placed.has(s) && !occupied.has(s.date));
  for (const shape of open()) {
    const stored = [...free].find((s) => rawDateOf(s) === rawDateOf(shape));
    if (stored) place(stored, shape);
  }
  // 3. A published or held sitting the new rule no longer gives stands in for the new date nearest
  // to it (within a week): that period's meeting is fixed, so no second one is added beside it.
  const covered = new Set(wantedAll.map((s) => s.date));
  for (const stored of fixed) {
    if (stored.status === 'cancelled' || covered.has(stored.date) || covered.has(rawDateOf(stored))) continue;
    const near = open().find((s) => Math.abs(toEpochDay(s.date) - toEpochDay(stored.date)) <= 7);
    if (near) {
      placed.add(near);
      unchanged += 1;
    }
  }
  // 4. A planned sitting moves to the first new date within a week of it (keeping its id and agenda).
  for (const shape of open()) {
    const stored = [...free].find((s) => Math.abs(toEpochDay(s.date) - toEpochDay(shape.date)) <= 7);
    if (stored) place(stored, shape);
  }
  // 5. what is still wanted is created, or revived when the planner itself had cancelled it.
  for (const shape of wanted) {
    if (placed.has(shape)) continue;
    const stored = occupied.get(shape.date);
    if (!stored) changes.push({ kind: 'create', shape });
    else if (stored.status === 'cancelled' && stored.statusReason?.startsWith(PLANNER_REASON_PREFIX)) {
      changes.push({ kind: 'revive', sittingId: stored.id, shape });
    } else unchanged += 1; // cancelled by a person: their decision stands
  }
  // 6. planned sittings the rule no longer gives are cancelled, with the plan's reason if it has one.
  for (const stored of free) {
    const skip = plan.skipped.find((s) => s.date === rawDateOf(stored));
    const why = skip ? skip.reason : "no longer a date of the hub's rule";
    changes.push({
      kind: 'cancel',
      sittingId: stored.id,
      date: stored.date,
      reason: `${PLANNER_REASON_PREFIX}${why}`,
    });
  }
  return { changes, unchanged };
}

const plannerActor: Actor = { kind: 'system', name: 'planner' };

/**
 * Plans a hub's sittings from today (in the hub's zone, from `now`) for `horizonMonths` months and
 * stores them, in one transaction with the audit entries. Idempotent: a second run with the same
 * hub and closures changes nothing. Never duplicates a sitting (unique hub and date), and never
 * moves or cancels a published, held or past sitting. Two planners of one hub take turns (row lock).
 */
export async function planAndStoreSittings(
  db: Kysely<Database>,
  hubId: number,
  options: { now: Date; horizonMonths?: number; actor?: Actor },
): Promise<PlanSummary> {
  const horizonMonths = options.horizonMonths ?? 6;
  if (!Number.isInteger(horizonMonths) || horizonMonths < 1 || horizonMonths > 60) {
    throw new AppError('invalid-input', 'The horizon must be a whole number of months from 1 to 60.', {
      issues: [{ field: 'horizonMonths', message: 'must be a whole number from 1 to 60' }],
    });
  }
  const actor = options.actor ?? plannerActor;
  return db.transaction().execute(async (trx) => {
    const hub = await getHubForUpdate(trx, hubId);
    const today = DateTime.fromJSDate(options.now, { zone: hub.schedule.timezone });
    const from = today.toISODate()!;
    const existing = await listSittings(trx, hubId, { from });
    // Plan at least as far as the last stored planned sitting, so a rule change reaches it too.
    const lastPlanned = existing.filter((s) => s.status === 'planned').at(-1)?.date;
    const horizon = today.plus({ months: horizonMonths }).toISODate()!;
    const to = lastPlanned !== undefined && lastPlanned > horizon ? lastPlanned : horizon;
    const plan = planSittings(hub.schedule, { from, to });
    const { changes, unchanged } = reconcileSittings(hub, plan, existing, options.now);

    const summary: PlanSummary = {
      hubId,
      from,
      to,
      created: 0,
      moved: 0,
      cancelled: 0,
      unchanged,
      changes: [],
    };
    // Moves first (their targets are free dates), then revivals and inserts, then cancellations.
    const order = { move: 0, revive: 1, create: 2, cancel: 3 } as const;
    for (const change of [...changes].sort((a, b) => order[a.kind] - order[b.kind])) {
      switch (change.kind) {
        case 'move':
          await mustChange(reshapeSitting(trx, change.sittingId, change.shape), change.sittingId);
          summary.moved += 1;
          summary.changes.push({
            kind: 'moved',
            sittingId: change.sittingId,
            date: change.shape.date,
            fromDate: change.fromDate,
          });
          break;
        case 'revive':
          await mustChange(
            reshapeSitting(trx, change.sittingId, change.shape, 'cancelled'),
            change.sittingId,
          );
          summary.created += 1;
          summary.changes.push({ kind: 'created', sittingId: change.sittingId, date: change.shape.date });
          break;
        case 'create': {
          const sittingId = await insertSitting(trx, hubId, change.shape);
          summary.created += 1;
          summary.changes.push({ kind: 'created', sittingId, date: change.shape.date });
          break;
        }
        case 'cancel':
          await mustChange(cancelPlannedSitting(trx, change.sittingId, change.reason), change.sittingId);
          summary.cancelled += 1;
          summary.changes.push({ kind: 'cancelled', sittingId: change.sittingId, date: change.date });
          break;
      }
    }
    summary.changes.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.sittingId - b.sittingId));
    await writeAudit(trx, actor, [
      ...summary.changes.map((c) => ({
        action: `sitting.${c.kind === 'created' ? 'planned' : c.kind}`,
        entity: 'sitting',
        entityId: c.sittingId,
        details: { hubId, date: c.date, ...(c.fromDate === undefined ? {} : { fromDate: c.fromDate }) },
      })),
      ...(summary.changes.length === 0
        ? []
        : [
            {
              action: 'hub.sittings.planned',
              entity: 'hub',
              entityId: hubId,
              details: {
                from,
                to,
                created: summary.created,
                moved: summary.moved,
                cancelled: summary.cancelled,
              },
            },
          ]),
    ]);
    return summary;
  });
}

async function mustChange(update: Promise<boolean>, sittingId: number): Promise<void> {
  // The hub row lock serialises planners, so a miss means someone published the sitting meanwhile.
  if (!(await update))
    throw new AppError('conflict', `Sitting ${sittingId} changed while planning; run it again.`);
}
