import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { type PlanSummary, planAndStoreSittings } from '../calendar/sitting.service.ts';
import { hubScheduleSchema, planSittings, type SkippedDate } from '../domain/calendar.ts';
import type { Closure } from '../domain/working-days.ts';
import { AppError } from '../errors.ts';
import {
  getHub,
  getHubForUpdate,
  insertClosure,
  insertHub,
  updateHubSchedule,
} from '../hubs/hub.repository.ts';
import { parseOrThrow } from '../validation.ts';
import { mapRefusal } from './constraint-errors.ts';
import {
  allHubIds,
  deleteClosure,
  hubExists,
  listClosureViews,
  updateHubSettings,
} from './hub-admin.repository.ts';
import { type HubInput, hubInputSchema, hubInputValues } from './hub-admin.schemas.ts';

/*
 * Hubs and closures, changed by an admin. Each change and its audit entry are one transaction; the
 * sittings are then re-planned by the calendar's own `planAndStoreSittings` (its own transaction,
 * with its own audit entries: it cannot join ours). Should re-planning fail, the change stands and
 * the daily plan-sittings job re-plans the hub; the result says so.
 */

type Db = Kysely<Database>;

/** How far ahead the preview looks: the planner's default horizon. */
export const previewMonths = 6;
/** At most this many sittings are listed in a preview (a daily rule would fill a page). */
export const previewLimit = 20;

/** One sitting of a preview; instants ISO with the hub's offset. */
export interface PreviewSitting {
  date: string;
  startsAt: string;
  endsAt: string;
  slotCount: number;
  /** The rule's date and why it moved, when it was moved off a bank holiday or closure. */
  movedFrom: { date: string; reason: string } | null;
}

/** What saving a hub would plan: its sittings from today for `previewMonths` months. */
export interface HubPreview {
  timezone: string;
  /** The planned range of rule dates (local, inclusive). */
  from: string;
  to: string;
  sittings: PreviewSitting[];
  /** Sittings planned in the range beyond those listed. */
  more: number;
  /** Rule dates in the listed period that are not sat on as they stand, chronological. */
  skipped: SkippedDate[];
}

/**
 * Pure: the sittings the planner would give this hub from `now` (today in the hub's zone) for
 * `previewMonths` months, with the dates it skips or moves and why. `closures` are those that
 * would apply (the hub's own and council-wide ones).
 */
export function previewHub(input: HubInput, closures: readonly Closure[], now: Date): HubPreview {
  const schedule = { ...input.schedule, closures: [...closures] };
  const today = DateTime.fromJSDate(now, { zone: schedule.timezone });
  const from = today.toISODate() as string;
  const to = today.plus({ months: previewMonths }).toISODate() as string;
  const plan = planSittings(schedule, { from, to });
  const listed = plan.sittings.slice(0, previewLimit);
  const last = listed.at(-1)?.date;
  const skipped = plan.skipped.filter(
    (s) => last === undefined || s.date <= last || listed.length < previewLimit,
  );
  const reasons = new Map(plan.skipped.map((s) => [s.date, s.reason]));
  return {
    timezone: schedule.timezone,
    from,
    to,
    sittings: listed.map((s) => ({
      date: s.date,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      slotCount: s.slots.length,
      movedFrom: s.movedFrom === null ? null : { date: s.movedFrom, reason: reasons.get(s.movedFrom) ?? '' },
    })),
    more: plan.sittings.length - listed.length,
    skipped,
  };
}

/** Closures that would apply to a hub: its own and council-wide (a new hub: council-wide only). */
export async function closuresFor(db: Db, hubId: number | null): Promise<Closure[]> {
  const views = await listClosureViews(db, hubId === null ? {} : { hubId });
  return views
    .filter((c) => hubId !== null || c.hubId === null)
    .map((c) => ({ startsOn: c.startsOn, endsOn: c.endsOn, reason: c.reason }));
}

/** Validates a whole hub (schedule and settings) or throws invalid-input naming each field. */
export function parseHubInput(input: unknown): HubInput {
  return parseOrThrow(hubInputSchema, input, 'hub');
}

/** The stored hub's editable values (closures aside). */
export async function loadHubInput(db: Db, hubId: number): Promise<HubInput & { name: string }> {
  const hub = await getHub(db, hubId);
  return {
    name: hub.name,
    schedule: { ...hub.schedule, closures: [] },
    settings: {
      missingProformaPolicy: hub.missingProformaPolicy,
      proformaDeadlineWorkingDays: hub.proformaDeadlineWorkingDays,
      reminderCadence: hub.reminderCadence,
      agendaLeadWorkingDays: hub.agendaLeadWorkingDays,
    },
  };
}

/** The outcome of re-planning after a change: per hub, its summary or why it failed. */
export type Replanned = Array<
  | { kind: 'planned'; hubId: number; summary: PlanSummary }
  | { kind: 'failed'; hubId: number; message: string }
>;

async function replan(db: Db, hubIds: number[], actor: Actor, now: Date): Promise<Replanned> {
  const out: Replanned = [];
  for (const hubId of hubIds) {
    try {
      out.push({ kind: 'planned', hubId, summary: await planAndStoreSittings(db, hubId, { now, actor }) });
    } catch (error) {
      out.push({ kind: 'failed', hubId, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}

const hubRefusals = {
  hubs_name_key: { field: 'name', message: 'is already the name of another hub' },
};

/** Creates a hub (audited) and plans its sittings. `input` is validated like POST /hubs. */
export async function createHub(
  db: Db,
  actor: Actor,
  input: unknown,
  now: Date,
): Promise<{ hubId: number; replanned: Replanned }> {
  const hub = parseHubInput(input);
  const hubId = await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const id = await insertHub(trx, hub.schedule);
        await updateHubSettings(trx, id, hub.settings);
        await writeAudit(trx, actor, {
          action: 'hub.created',
          entity: 'hub',
          entityId: id,
          details: { ...hubInputValues(hub), closures: hub.schedule.closures.length },
        });
        return id;
      }),
    hubRefusals,
    'hub',
  );
  return { hubId, replanned: await replan(db, [hubId], actor, now) };
}

/** The fields whose values differ, with old and new values (hub settings hold no personal data). */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after))
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes[key] = { from: before[key] ?? null, to: after[key] };
  return changes;
}

/**
 * Replaces a hub's schedule and settings (its closures are kept), audited, then re-plans its
 * sittings: only future planned sittings move; published and held ones never do.
 */
export async function updateHub(
  db: Db,
  actor: Actor,
  hubId: number,
  input: unknown,
  now: Date,
): Promise<{ hubId: number; changed: string[]; replanned: Replanned }> {
  const hub = parseHubInput(input);
  const changed = await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const current = await getHubForUpdate(trx, hubId);
        const before = hubInputValues({
          schedule: current.schedule,
          settings: {
            missingProformaPolicy: current.missingProformaPolicy,
            proformaDeadlineWorkingDays: current.proformaDeadlineWorkingDays,
            reminderCadence: current.reminderCadence,
            agendaLeadWorkingDays: current.agendaLeadWorkingDays,
          },
        });
        const changes = changedFields(before, hubInputValues(hub));
        if (Object.keys(changes).length === 0) return [];
        await updateHubSchedule(trx, hubId, hub.schedule);
        await updateHubSettings(trx, hubId, hub.settings);
        await writeAudit(trx, actor, {
          action: 'hub.updated',
          entity: 'hub',
          entityId: hubId,
          details: changes,
        });
        return Object.keys(changes);
      }),
    hubRefusals,
    'hub',
  );
  return { hubId, changed, replanned: changed.length === 0 ? [] : await replan(db, [hubId], actor, now) };
}

/** Applies some fields onto the stored hub (PATCH), then as updateHub. */
export async function patchHub(
  db: Db,
  actor: Actor,
  hubId: number,
  patch: Record<string, unknown>,
  now: Date,
): Promise<{ hubId: number; changed: string[]; replanned: Replanned }> {
  const current = await loadHubInput(db, hubId);
  const merged: Record<string, unknown> = { ...hubInputValues(current) };
  delete merged.closures;
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value;
  return updateHub(db, actor, hubId, merged, now);
}

/** A closure as typed: the same shape as a hub.json closure, plus its hub (null: every hub). */
export interface ClosureInput {
  hubId: number | null;
  from: string;
  to?: string | undefined;
  reason: string;
}

const closureSchema = hubScheduleSchema.shape.closures.unwrap().element;

/**
 * Adds a closure to one hub or (hubId null) to every hub, audited, then re-plans the hubs it
 * applies to (a sitting on the closed days moves or is dropped, by each hub's holiday policy).
 */
export async function addClosure(
  db: Db,
  actor: Actor,
  input: ClosureInput,
  now: Date,
): Promise<{ closureId: number; replanned: Replanned }> {
  const closure = parseOrThrow(
    closureSchema,
    { from: input.from, ...(input.to ? { to: input.to } : {}), reason: input.reason },
    'closure',
  );
  const closureId = await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        if (input.hubId !== null && !(await hubExists(trx, input.hubId)))
          throw new AppError('invalid-input', `There is no hub ${input.hubId}.`, {
            issues: [{ field: 'hubId', message: 'is not a hub' }],
          });
        const id = await insertClosure(trx, input.hubId, closure);
        await writeAudit(trx, actor, {
          action: 'closure.added',
          entity: 'closure',
          entityId: id,
          details: { hubId: input.hubId, startsOn: closure.startsOn, endsOn: closure.endsOn },
        });
        return id;
      }),
    { closures_check: { field: 'to', message: 'must not be before the first closed day' } },
    'closure',
  );
  const hubIds = input.hubId === null ? await allHubIds(db) : [input.hubId];
  return { closureId, replanned: await replan(db, hubIds, actor, now) };
}

/** Removes a closure, audited, then re-plans the hubs it applied to. */
export async function removeClosure(
  db: Db,
  actor: Actor,
  closureId: number,
  now: Date,
): Promise<{ hubId: number | null; replanned: Replanned }> {
  const removed = await db.transaction().execute(async (trx) => {
    const row = await deleteClosure(trx, closureId);
    if (row === null) throw new AppError('not-found', `There is no closure ${closureId}.`);
    await writeAudit(trx, actor, {
      action: 'closure.removed',
      entity: 'closure',
      entityId: closureId,
      details: { hubId: row.hubId, startsOn: row.startsOn, endsOn: row.endsOn },
    });
    return row;
  });
  const hubIds = removed.hubId === null ? await allHubIds(db) : [removed.hubId];
  return { hubId: removed.hubId, replanned: await replan(db, hubIds, actor, now) };
}
