import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { silentLogger } from '../../src/log.ts';
import { openProforma, saveProforma } from '../../src/proformas/proforma.service.ts';
import { createWorkers, type Workers } from '../../src/queue/workers.ts';
import { seedDemo } from '../../src/seed/seed.service.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { testEnv } from '../helpers/env.ts';
import { startSmtpServer, type TestSmtpServer } from './fixtures/email-smtp-server.ts';

/*
 * A whole fortnight on real PostgreSQL, real Redis (BullMQ) and a real SMTP server, with a simulated
 * clock: sittings planned -> agenda built -> proforma requests -> reminders -> submissions stop
 * reminders -> escalation for the rest.
 */

const HOUR = 3600_000;
const school = { kind: 'system', name: 'test-school' } as const;
const answers = {
  consentGained: 'yes',
  'consentGainedOn-day': '1',
  'consentGainedOn-month': '3',
  'consentGainedOn-year': '2027',
  consentHow: 'In person',
  needsConcerns: 'Attendance',
  schoolSupport: 'Check-ins',
  familyWantsToChange: 'Routines',
  teamMembers: 'Pastoral lead',
  leadSuggestion: 'school',
  leadReason: 'Knows the family',
  attending: 'no',
};

describe('a fortnight on PostgreSQL, Redis and SMTP', () => {
  let handle: DbHandle;
  let smtp: TestSmtpServer;
  let workers: Workers;
  let clock = new Date('2027-03-01T06:00:00Z'); // Monday 1 March 2027, 06:00 GMT
  const submittedAt = new Map<string, Date>(); // request reference -> when its proforma went in

  beforeAll(async () => {
    handle = await createTestDatabase('postgres');
    smtp = await startSmtpServer();
    const config = {
      ...loadConfig({
        REDIS_URL: testEnv.redisUrl,
        SMTP_URL: smtp.url,
        PUBLIC_BASE_URL: 'https://hub.example.gov.uk',
      }),
      mailFrom: 'Early Help Hub <hub@council.example.gov.uk>',
    };
    await seedDemo(handle.db, { now: clock, actor: school });
    workers = await createWorkers(handle, config, {
      log: silentLogger,
      now: () => clock,
      prefix: `test-fortnight-${randomBytes(4).toString('hex')}`,
    });
  });

  afterAll(async () => {
    await workers?.close();
    await smtp?.close();
    await handle?.close();
  });

  it('plans, builds, requests, reminds, stops on submission and escalates the rest', async () => {
    const end = new Date('2027-03-17T09:00:00Z'); // the sitting of Wednesday 17 March starts 09:30
    let submittedHalf = false;
    for (; clock < end; clock = new Date(clock.getTime() + 3 * HOUR)) {
      await workers.runner.runOnce();
      // On Wednesday 10 March at noon, half the schools of the 17 March sitting send their proforma in.
      if (!submittedHalf && clock >= new Date('2027-03-10T12:00:00Z')) {
        submittedHalf = true;
        const open = await handle.db
          .selectFrom('proformas')
          .innerJoin('sittings', 'sittings.id', 'proformas.sitting_id')
          .innerJoin('requests', 'requests.id', 'proformas.request_id')
          .select(['proformas.id', 'requests.reference'])
          .where('sittings.date', '=', '2027-03-17')
          .orderBy('proformas.id')
          .execute();
        for (const p of open.filter((_, i) => i % 2 === 0)) {
          const view = await openProforma(handle.db, school, p.id);
          await saveProforma(
            handle.db,
            view,
            { form: answers, mode: 'submit' },
            { actor: school, now: clock },
          );
          submittedAt.set(p.reference, clock);
        }
      }
    }

    const sittings = await handle.db
      .selectFrom('sittings')
      .select(['id', 'date', 'agenda_built_at'])
      .orderBy('date')
      .execute();
    expect(sittings.map((s) => s.date).slice(0, 3)).toEqual(['2027-03-03', '2027-03-17', '2027-03-31']);
    const focus = sittings.find((s) => s.date === '2027-03-17')!;
    expect(focus.agenda_built_at?.toISOString()).toBe('2027-03-08T09:00:00.000Z'); // due 07:00 Monday 8 March, built at the 09:00 pass

    const proformas = await handle.db
      .selectFrom('proformas')
      .innerJoin('requests', 'requests.id', 'proformas.request_id')
      .select([
        'requests.reference',
        'proformas.status',
        'proformas.escalated_at',
        'proformas.reminders_sent',
      ])
      .where('proformas.sitting_id', '=', focus.id)
      .execute();
    expect(proformas.length).toBeGreaterThan(4);
    const missing = proformas
      .filter((p) => p.status !== 'submitted')
      .map((p) => p.reference)
      .sort();

    // What the SMTP server received, by kind.
    const bySubject = (re: RegExp) => smtp.received.filter((m) => re.test(m.parsed.subject ?? ''));
    const refOf = (m: (typeof smtp.received)[number]) =>
      /EH-\d{4}-\d{4}/.exec(m.parsed.text ?? '')?.[0] ?? '';
    const requests = bySubject(/proforma/i).filter(
      (m) => !/reminder|missing|overdue/i.test(m.parsed.subject ?? ''),
    );
    const reminders = bySubject(/reminder/i);
    expect(requests.length).toBeGreaterThanOrEqual(proformas.length);
    // Every request email carries a working single-use link, and an invite for the school's slot.
    for (const m of requests) {
      expect(m.parsed.text).toMatch(/https:\/\/hub\.example\.gov\.uk\/proforma\/[A-Za-z0-9_-]{43}/);
      expect(m.parsed.attachments.some((a) => a.contentType === 'text/calendar')).toBe(true);
    }
    // No reminder reached a school after its proforma was in.
    for (const m of reminders) {
      const ref = refOf(m);
      const sent = m.parsed.date ?? new Date(0);
      const at = submittedAt.get(ref);
      if (at) expect(sent.getTime(), `${ref} reminded after submission`).toBeLessThan(at.getTime());
    }
    // The 17 March sitting's unsubmitted proformas got reminders 2 and 3 (reminder 1 fell due as they were asked).
    const focusReminders = reminders.filter((m) => missing.includes(refOf(m)));
    expect(focusReminders.length).toBeGreaterThan(0);
    for (const p of proformas.filter((p) => p.status !== 'submitted'))
      expect(p.reminders_sent).toEqual([2, 3]);

    // One escalation per coordinator per sitting, after the deadline (Monday 15 March 17:00), listing exactly what is missing.
    const escalations = bySubject(/missing|overdue/i).filter((m) =>
      (m.parsed.text ?? '').includes('17 March 2027'),
    );
    expect(escalations.map((m) => m.to[0]).sort()).toEqual([
      'coordinator2@council.example.gov.uk',
      'coordinator@council.example.gov.uk',
    ]);
    for (const m of escalations) {
      const listed = [...(m.parsed.text ?? '').matchAll(/EH-\d{4}-\d{4}/g)].map((x) => x[0]).sort();
      expect([...new Set(listed)]).toEqual(missing);
      expect(m.parsed.date!.getTime()).toBeGreaterThanOrEqual(Date.parse('2027-03-15T17:00:00Z'));
    }
    expect(
      proformas
        .filter((p) => p.escalated_at !== null)
        .map((p) => p.reference)
        .sort(),
    ).toEqual(missing);
    const flagged = await handle.db
      .selectFrom('agenda_items')
      .select(sql<number>`count(*)`.as('n'))
      .where('sitting_id', '=', focus.id)
      .where(sql<boolean>`'proforma-missing' = any(flags)`)
      .executeTakeFirstOrThrow();
    expect(Number(flagged.n)).toBeGreaterThan(0);

    // Once the agenda was built, a lead agency was proposed for its requests from live capacity.
    const proposals = await handle.db
      .selectFrom('suggestions')
      .select(sql<number>`count(*)`.as('n'))
      .where('sitting_id', '=', focus.id)
      .where('rank', '=', 0)
      .executeTakeFirstOrThrow();
    expect(Number(proposals.n)).toBeGreaterThan(0);

    // Nothing twice, nothing lost: every Message-ID arrived once, every outbox row is sent or cancelled.
    expect([...smtp.countsByMessageId().values()].every((n) => n === 1)).toBe(true);
    const states = await handle.db
      .selectFrom('email_outbox')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute();
    const byState = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]));
    expect(Object.keys(byState).sort()).toEqual(expect.arrayContaining(['sent']));
    expect(byState.pending ?? 0).toBe(0);
    expect(byState.failed ?? 0).toBe(0);
    expect(smtp.received.length).toBe(byState.sent);
    console.log(
      `fortnight: ${smtp.received.length} emails received (${requests.length} proforma requests, ${reminders.length} reminders, ${escalations.length} escalations for 17 March); ${submittedAt.size} proformas submitted, ${missing.length} escalated`,
    );
    // No child's name or date of birth in any email.
    const dobs = (await handle.db.selectFrom('children').select('date_of_birth').execute()).map(
      (c) => c.date_of_birth,
    );
    for (const m of smtp.received) for (const dob of dobs) expect(m.parsed.text).not.toContain(dob);
  }, 240_000);
});
