import { DateTime } from 'luxon';
import type { Config } from '../config.ts';
import type { DbHandle } from '../db/client.ts';
import type { EmailTransport } from '../email/transport.ts';
import type { Logger } from '../log.ts';
import { openProforma, saveProforma } from '../proformas/proforma.service.ts';
import { createWorkers } from '../queue/workers.ts';
import { seedDemo } from '../seed/seed.service.ts';
import {
  agendaCounts,
  emailCounts,
  nextEventAfter,
  proformaCounts,
  proformasToAnswer,
  sittingsSummary,
  suggestionCounts,
} from './fortnight.repository.ts';

export interface FortnightOptions {
  /** The simulated clock starts here. */
  start: Date;
  /** The most simulated time between two passes of the workers (default 6 hours; passes also happen whenever something falls due). */
  stepMinutes?: number;
  /** Share of schools that answer their proforma (deterministic by proforma id; default 0.6). */
  answerRate?: number;
  transport?: EmailTransport;
  log: Logger;
  onDay?: (day: string, passes: number) => void;
}

export interface FortnightSummary {
  simulated: { from: string; to: string; passes: number };
  sittings: {
    planned: number;
    next: Array<{ date: string; startsAt: string; status: string; movedFrom: string | null }>;
  };
  agendas: Array<{
    date: string;
    items: number;
    slotsUsed: number;
    requests: number;
    flaggedProformaMissing: number;
    deferred: Record<string, number>;
  }>;
  proformas: { requested: number; submitted: number; escalated: number };
  emails: Record<string, Record<string, number>>;
  suggestions: { proposals: number; sittings: number };
}

/**
 * A whole hub cycle on a simulated clock: seeds the demo city, then runs the real workers (the same
 * job processors as production, in-process) pass after pass while the clock moves, with prompt
 * schools answering their proformas. Ends when the first sitting whose whole cycle fell inside the
 * simulation (agenda built after the start) begins.
 */
export async function runFortnight(
  handle: DbHandle,
  config: Readonly<Config>,
  options: FortnightOptions,
): Promise<FortnightSummary> {
  let clock = options.start;
  const now = () => clock;
  await seedDemo(handle.db, { now: clock, actor: { kind: 'system', name: 'demo' } });
  const workers = await createWorkers(
    handle,
    { ...config, redisUrl: null },
    {
      log: options.log,
      now,
      ...(options.transport ? { transport: options.transport } : {}),
    },
  );
  const step = (options.stepMinutes ?? 6 * 60) * 60_000;
  const answerRate = options.answerRate ?? 0.6;
  const answered = new Set<number>();
  const answerDelay = 2 * 24 * 3600_000;
  let passes = 0;
  let end: Date | null = null;
  try {
    const horizon = new Date(options.start.getTime() + 40 * 24 * 3600_000);
    while (end === null ? clock < horizon : clock < end) {
      await workers.runner.runOnce();
      passes++;
      // Prompt schools answer two days after they were asked; the rest never do.
      for (const p of await proformasToAnswer(handle.db, new Date(clock.getTime() - answerDelay))) {
        if (answered.has(p.id) || (p.id * 7919) % 100 >= answerRate * 100) continue;
        answered.add(p.id);
        const school = { kind: 'system', name: 'demo-school' } as const;
        const view = await openProforma(handle.db, school, p.id);
        await saveProforma(
          handle.db,
          view,
          { form: demoAnswers(DateTime.fromJSDate(clock, { zone: config.timezone })), mode: 'submit' },
          { actor: school, now: clock },
        );
      }
      if (end === null) {
        const sittings = await sittingsSummary(handle.db);
        const full = sittings.find(
          (s) =>
            s.status !== 'cancelled' && s.starts_at.getTime() - options.start.getTime() > 16 * 24 * 3600_000,
        );
        if (full) end = full.starts_at;
      }
      // Jump to the next thing that happens (a due task or email, a school's answer, the next
      // 02:00 or 08:00 local when the daily work falls due), at most `step` ahead.
      const before = DateTime.fromJSDate(clock, { zone: config.timezone });
      const daily = [2, 8, 26]
        .map((h) => before.startOf('day').plus({ hours: h }))
        .find((t) => t > before) as DateTime;
      const next = await nextEventAfter(handle.db, clock, answerDelay);
      const candidates = [clock.getTime() + step, daily.toMillis(), ...(next ? [next.getTime()] : [])];
      if (end !== null) candidates.push(end.getTime());
      clock = new Date(Math.max(clock.getTime() + 60_000, Math.min(...candidates)));
      const after = DateTime.fromJSDate(clock, { zone: config.timezone }).toISODate();
      if (before.toISODate() !== after) options.onDay?.(before.toISODate() as string, passes);
    }
    await workers.runner.runOnce();
    passes++;
  } finally {
    await workers.close();
  }

  const sittings = await sittingsSummary(handle.db);
  const built = sittings.filter((s) => s.agenda_built_at !== null);
  return {
    simulated: { from: options.start.toISOString(), to: clock.toISOString(), passes },
    sittings: {
      planned: sittings.filter((s) => s.status !== 'cancelled').length,
      next: sittings.slice(0, 3).map((s) => ({
        date: s.date,
        startsAt: DateTime.fromJSDate(s.starts_at, { zone: config.timezone }).toISO() as string,
        status: s.status,
        movedFrom: s.moved_from,
      })),
    },
    agendas: await Promise.all(
      built.map(async (s) => ({ date: s.date, ...(await agendaCounts(handle.db, s.id)) })),
    ),
    proformas: await proformaCounts(handle.db),
    emails: await emailCounts(handle.db),
    suggestions: await suggestionCounts(handle.db),
  };
}

/**
 * What a prompt school writes in the form on the local day `today`: no names, only what the hub
 * needs. Consent was gained the day before (never a fixed date: it must not be in the future).
 */
const demoAnswers = (today: DateTime) => {
  const gained = today.minus({ days: 1 });
  return {
    consentGained: 'yes',
    'consentGainedOn-day': String(gained.day),
    'consentGainedOn-month': String(gained.month),
    'consentGainedOn-year': String(gained.year),
    consentHow: 'Talked it through with the parent at the school gate meeting.',
    needsConcerns: 'Attendance has dropped this term; the family asked for help with morning routines.',
    schoolSupport: 'Weekly check-ins with the pastoral lead; a breakfast club place.',
    familyWantsToChange: 'Mornings that work, and support for the parent at home.',
    teamMembers: 'School pastoral lead; school nurse.',
    leadSuggestion: 'school',
    leadReason: 'The school already knows the family well and can lead with help.',
    attending: 'no',
    availabilityNotes: 'We cannot attend; this proforma is our contribution.',
  };
};
