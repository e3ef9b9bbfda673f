import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { buildAndStoreAgenda } from '../agenda/agenda.service.ts';
import { planAndStoreSittings } from '../calendar/sitting.service.ts';
import type { Config } from '../config.ts';
import { agendaBuildDueAt, dailyTasks } from '../domain/schedule.ts';
import { AppError, isAppError } from '../errors.ts';
import { getHub } from '../hubs/hub.repository.ts';
import type { Logger } from '../log.ts';
import { chaseProformas, requestProformasForSitting } from '../proformas/chase.service.ts';
import {
  claimTask,
  completeTask,
  type DueTask,
  emailsDue,
  findDueTasks,
  listHubZones,
  releaseTask,
  scheduleTask,
  type TaskKind,
} from '../queue/task.repository.ts';

/*
 * The hub's fortnight as due tasks: plan sittings (daily) -> build each agenda (N working days
 * before the sitting) -> ask schools for proformas -> chase them (every working morning) ->
 * compute suggestions. PostgreSQL holds every due task; the queue only carries task ids.
 */

type Db = Kysely<Database>;

export const workerActor: Actor = { kind: 'system', name: 'worker' };

export interface CycleContext {
  db: Db;
  now: () => Date;
  config: Pick<Readonly<Config>, 'mailFrom' | 'publicBaseUrl'>;
  log: Logger;
}

export interface SweepResult {
  due: DueTask[];
  emailsDue: number;
}

/**
 * The sweeper's pass: makes sure today's daily tasks exist (keyed by local date, so running it
 * every 30 seconds creates each once), then returns every task due now (including ones whose
 * worker died) and how many emails are due. Safe to run anywhere, any number of times.
 */
export async function sweep(db: Db, now: Date): Promise<SweepResult> {
  const hubs = await listHubZones(db);
  for (const task of dailyTasks(now, hubs)) await scheduleTask(db, task);
  return { due: await findDueTasks(db, now), emailsDue: await emailsDue(db, now) };
}

/** Schedules the agenda build of every planned sitting of a hub from today on. */
export async function scheduleAgendaBuilds(db: Db, hubId: number, now: Date): Promise<number> {
  const hub = await getHub(db, hubId);
  const today = DateTime.fromJSDate(now, { zone: hub.schedule.timezone }).toISODate() as string;
  const sittings = await db
    .selectFrom('sittings')
    .select(['id', 'date'])
    .where('hub_id', '=', hubId)
    .where('status', '=', 'planned')
    .where('date', '>=', today)
    .where('agenda_built_at', 'is', null)
    .execute();
  for (const s of sittings) {
    await scheduleTask(db, {
      kind: 'build-agenda',
      key: String(s.id),
      hubId,
      sittingId: s.id,
      dueAt: agendaBuildDueAt(
        s.date,
        hub.agendaLeadWorkingDays,
        hub.schedule.timezone,
        hub.schedule.closures,
      ),
    });
  }
  return sittings.length;
}

export type TaskWork = (task: DueTask, ctx: CycleContext) => Promise<Record<string, unknown>>;

/** Retry after 1, 2, 4 ... minutes (capped at an hour); give up after 8 attempts. */
function retryAt(attempts: number, now: Date): Date | null {
  if (attempts >= 8) return null;
  return new Date(now.getTime() + Math.min(60, 2 ** (attempts - 1)) * 60_000);
}

/**
 * Runs one due task exactly as its row says: claims it (only one worker wins, even when the queue
 * delivers the job twice), does the work, marks it done. A failure puts it back with a backoff (the
 * sweeper re-enqueues it when due again) or, after 8 attempts, marks it failed for admins.
 */
export async function runDueTask(
  ctx: CycleContext,
  taskId: number,
  kind: TaskKind,
  work: TaskWork,
): Promise<Record<string, unknown>> {
  const now = ctx.now();
  const task = await claimTask(ctx.db, taskId, now, 600);
  if (!task) return { skipped: 'not due, done, or running elsewhere' };
  if (task.kind !== kind) throw new AppError('invalid-input', `Task ${taskId} is ${task.kind}, not ${kind}`);
  try {
    const result = await work(task, ctx);
    await completeTask(ctx.db, task.id, ctx.now());
    ctx.log.info({ task: task.kind, key: task.key, ...result }, 'task done');
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const permanent =
      isAppError(error) && ['invalid-input', 'invalid-config', 'not-found'].includes(error.code);
    await releaseTask(ctx.db, task.id, message, permanent ? null : retryAt(task.attempts, ctx.now()));
    ctx.log.error({ task: task.kind, key: task.key, attempts: task.attempts, err: message }, 'task failed');
    return { failed: message };
  }
}

/** plan-sittings: extend the hub's sittings to the horizon, then schedule their agenda builds. */
export const planSittingsWork: TaskWork = async (task, ctx) => {
  const hubId = task.hubId as number;
  const summary = await planAndStoreSittings(ctx.db, hubId, { now: ctx.now(), actor: workerActor });
  const builds = await scheduleAgendaBuilds(ctx.db, hubId, ctx.now());
  return {
    hubId,
    created: summary.created,
    moved: summary.moved,
    cancelled: summary.cancelled,
    buildsScheduled: builds,
  };
};

/** build-agenda: build the draft agenda, ask schools for proformas, then compute suggestions. */
export const buildAgendaWork: TaskWork = async (task, ctx) => {
  const sittingId = task.sittingId as number;
  const sitting = await ctx.db
    .selectFrom('sittings')
    .select('status')
    .where('id', '=', sittingId)
    .executeTakeFirst();
  if (!sitting || sitting.status === 'cancelled' || sitting.status === 'held')
    return { sittingId, skipped: sitting?.status ?? 'gone' };
  const built = await buildAndStoreAgenda(ctx.db, sittingId, { now: ctx.now(), actor: workerActor });
  const proformas = await requestProformasForSitting(ctx.db, sittingId, {
    now: ctx.now(),
    config: ctx.config,
    actor: workerActor,
  });
  await scheduleTask(ctx.db, {
    kind: 'compute-suggestions',
    key: String(sittingId),
    sittingId,
    hubId: task.hubId,
    dueAt: ctx.now(),
  });
  return {
    sittingId,
    agenda: built.kind,
    items: built.kind === 'built' ? built.agenda.items.length : null,
    deferred: built.kind === 'built' ? built.agenda.deferred.length : null,
    proformasRequested: proformas.created,
    emailsQueued: proformas.emailsQueued,
    noContact: proformas.noContact.length,
  };
};

/**
 * chase-proformas: reminders for what is still missing, escalations past the deadline. A hub whose
 * policy defers requests without a proforma has those sittings' draft agendas rebuilt at once, so
 * the missing ones move to the next sitting (a published agenda stays frozen).
 */
export const chaseProformasWork: TaskWork = async (_task, ctx) => {
  const summary = await chaseProformas(ctx.db, { now: ctx.now(), config: ctx.config, actor: workerActor });
  let rebuilt = 0;
  for (const sittingId of summary.escalatedSittings) {
    const sitting = await ctx.db
      .selectFrom('sittings')
      .select(['hub_id', 'status'])
      .where('id', '=', sittingId)
      .executeTakeFirst();
    if (sitting?.status !== 'planned') continue;
    const hub = await getHub(ctx.db, sitting.hub_id);
    if (hub.missingProformaPolicy !== 'defer') continue;
    await buildAndStoreAgenda(ctx.db, sittingId, { now: ctx.now(), actor: workerActor });
    rebuilt++;
  }
  return {
    remindersQueued: summary.remindersQueued,
    escalations: summary.escalations,
    missing: summary.missing.length,
    rebuilt,
  };
};
