import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { renderAgendaInvites } from '../agenda/agenda.render.ts';
import { getAgendaView } from '../agenda/agenda.service.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import type { Config } from '../config.ts';
import {
  type ChasePolicy,
  chaseDecision,
  defaultChasePolicy,
  proformaDeadline,
} from '../domain/reminders.ts';
import { enqueueEmail } from '../email/outbox.service.ts';
import { getHub } from '../hubs/hub.repository.ts';
import {
  coordinatorEmails,
  ensureProforma,
  findOutstandingProformas,
  flagAgendaItems,
  markEscalated,
  type OutstandingProforma,
  recordReminder,
  schoolContacts,
} from './chase.repository.ts';

type Db = Kysely<Database>;

export interface ProformaContext {
  now: Date;
  config: Pick<Readonly<Config>, 'mailFrom' | 'publicBaseUrl'>;
  actor: Actor;
}

/** The hub's chasing policy: its zone, deadline and cadence, and its closures. */
export async function chasePolicyFor(db: Db, hubId: number): Promise<ChasePolicy & { hubName: string }> {
  const hub = await getHub(db, hubId);
  return {
    ...defaultChasePolicy,
    zone: hub.schedule.timezone,
    deadlineWorkingDays: hub.proformaDeadlineWorkingDays,
    cadence: hub.reminderCadence,
    closures: hub.schedule.closures,
    hubName: hub.name,
  };
}

export interface ProformaRequestSummary {
  sittingId: number;
  deadlineAt: string;
  /** Proformas created now (one per request on the agenda with a school). */
  created: number;
  /** Emails queued now (one per request per safeguarding lead). */
  emailsQueued: number;
  /** Requests whose school has no safeguarding-lead email: the coordinator must chase by hand. */
  noContact: string[];
}

/**
 * Asks each school with a request on the sitting's agenda for its proforma: creates the proforma
 * (deadline from the hub's policy) and queues one email per request per safeguarding lead, with the
 * school's calendar invite for its slot, all in one transaction. Idempotent: running it again
 * after a rebuild only reaches requests new to the agenda. The link in the email is minted when the
 * email is sent, so no raw token is ever stored.
 */
export async function requestProformasForSitting(
  db: Db,
  sittingId: number,
  ctx: ProformaContext,
): Promise<ProformaRequestSummary> {
  const view = await getAgendaView(db, sittingId);
  const sitting = await db
    .selectFrom('sittings')
    .select(['hub_id', 'starts_at', 'ends_at'])
    .where('id', '=', sittingId)
    .executeTakeFirstOrThrow();
  const policy = await chasePolicyFor(db, sitting.hub_id);
  const deadlineIso = proformaDeadline(view.date, policy);
  const deadlineAt = new Date(deadlineIso);
  const invites = renderAgendaInvites(view, {
    stamp: DateTime.fromJSDate(ctx.now).toUTC().toISO() as string,
    organizer: /<([^>]+)>/.exec(ctx.config.mailFrom)?.[1] ?? ctx.config.mailFrom,
  });
  const inviteFor = new Map(invites.map((i) => [`${i.itemId}:${i.schoolUrn}`, i]));
  const references = view.items.flatMap((item) => item.requests.map((r) => r.reference));
  const requestRows = references.length
    ? await db
        .selectFrom('requests')
        .select(['id', 'reference', 'school_id'])
        .where('reference', 'in', references)
        .execute()
    : [];
  const byReference = new Map(requestRows.map((r) => [r.reference, r]));
  const contacts = await schoolContacts(db, [
    ...new Set(requestRows.flatMap((r) => (r.school_id ? [r.school_id] : []))),
  ]);

  return db.transaction().execute(async (trx) => {
    const summary: ProformaRequestSummary = {
      sittingId,
      deadlineAt: deadlineIso,
      created: 0,
      emailsQueued: 0,
      noContact: [],
    };
    for (const item of view.items) {
      for (const r of item.requests) {
        const request = byReference.get(r.reference);
        if (!request || request.school_id === null || r.schoolUrn === null) continue;
        const proforma = await ensureProforma(trx, {
          requestId: request.id,
          sittingId,
          deadlineAt,
          requestedAt: ctx.now,
        });
        if (proforma.created) summary.created++;
        if (proforma.status === 'submitted') continue;
        const school = contacts.get(request.school_id);
        if (!school || school.emails.length === 0) {
          summary.noContact.push(r.reference);
          continue;
        }
        const invite = inviteFor.get(`${item.id}:${r.schoolUrn}`);
        for (const to of school.emails) {
          const queued = await enqueueEmail(trx, {
            idempotencyKey: `proforma-request:${sittingId}:${request.id}:${to}`,
            template: 'proforma-request',
            to,
            mailFrom: ctx.config.mailFrom,
            scheduledFor: ctx.now,
            giveUpAt: sitting.starts_at,
            requestId: request.id,
            proformaId: proforma.id,
            params: {
              requestReference: r.reference,
              schoolName: school.name,
              hubName: view.hubName,
              itemStartsAt: item.startsAt,
              deadlineAt: deadlineIso,
              timezone: view.timezone,
              ...(invite ? { invite: { ics: invite.ics, filename: invite.filename } } : {}),
            },
          });
          if (queued.kind === 'queued') summary.emailsQueued++;
        }
        if (proforma.created)
          await writeAudit(trx, ctx.actor, {
            action: 'proforma.requested',
            entity: 'proforma',
            entityId: proforma.id,
            details: {
              request: r.reference,
              sittingId,
              deadlineAt: deadlineIso,
              recipients: school.emails.length,
            },
          });
      }
    }
    return summary;
  });
}

export interface ChaseSummary {
  remindersQueued: number;
  escalations: number;
  /** Requests whose proforma was still missing at the deadline (their agenda items are flagged). */
  missing: string[];
  waiting: number;
  /** Sittings whose deadline passed in this run with proformas missing. */
  escalatedSittings: number[];
}

/**
 * The daily chase: for every outstanding proforma, asks the reminder cadence what is due now;
 * queues at most one reminder per proforma per school lead, and after the deadline one escalation
 * per coordinator per sitting listing what is missing, flagging those agenda items
 * `proforma-missing`. Everything is keyed, so a second run on the same day queues nothing new.
 */
export async function chaseProformas(db: Db, ctx: ProformaContext): Promise<ChaseSummary> {
  const outstanding = await findOutstandingProformas(db, ctx.now);
  const summary: ChaseSummary = {
    remindersQueued: 0,
    escalations: 0,
    missing: [],
    waiting: 0,
    escalatedSittings: [],
  };
  if (outstanding.length === 0) return summary;
  const sittings = await db
    .selectFrom('sittings')
    .innerJoin('hubs', 'hubs.id', 'sittings.hub_id')
    .select(['sittings.id', 'sittings.hub_id', 'sittings.starts_at', 'hubs.name as hub_name'])
    .where('sittings.id', 'in', [...new Set(outstanding.map((p) => p.sittingId))])
    .execute();
  const sittingById = new Map(sittings.map((s) => [s.id, s]));
  const policies = new Map<number, Awaited<ReturnType<typeof chasePolicyFor>>>();
  for (const hubId of new Set(sittings.map((s) => s.hub_id)))
    policies.set(hubId, await chasePolicyFor(db, hubId));
  const contacts = await schoolContacts(db, [
    ...new Set(outstanding.flatMap((p) => (p.schoolId ? [p.schoolId] : []))),
  ]);
  const coordinators = await coordinatorEmails(db);

  const toEscalate = new Map<number, { proforma: OutstandingProforma; sendAt: string }[]>();
  const views = new Map<number, Awaited<ReturnType<typeof getAgendaView>>>();
  await db.transaction().execute(async (trx) => {
    for (const proforma of outstanding) {
      const sitting = sittingById.get(proforma.sittingId)!;
      const policy = policies.get(sitting.hub_id)!;
      const decision = chaseDecision(
        {
          requestedAt: proforma.requestedAt ?? proforma.deadlineAt,
          deadline: proforma.deadlineAt.toISOString(),
          submitted: proforma.status === 'submitted',
          remindersSent: proforma.remindersSent,
          escalated: proforma.escalatedAt !== null,
        },
        ctx.now,
        policy,
      );
      switch (decision.kind) {
        case 'send-reminder': {
          const school = proforma.schoolId === null ? undefined : contacts.get(proforma.schoolId);
          const item = await trx
            .selectFrom('agenda_item_requests as air')
            .innerJoin('agenda_items as ai', 'ai.id', 'air.agenda_item_id')
            .select(['ai.slot'])
            .where('air.request_id', '=', proforma.requestId)
            .where('air.sitting_id', '=', proforma.sittingId)
            .executeTakeFirst();
          if (item && !views.has(proforma.sittingId))
            views.set(proforma.sittingId, await getAgendaView(trx, proforma.sittingId));
          const view = views.get(proforma.sittingId);
          const startsAt =
            view?.items.find((i) => i.slot === item?.slot)?.startsAt ?? sitting.starts_at.toISOString();
          for (const to of school?.emails ?? []) {
            const queued = await enqueueEmail(trx, {
              idempotencyKey: `proforma-reminder:${proforma.sittingId}:${proforma.requestId}:${decision.reminder.number}:${to}`,
              template: 'proforma-reminder',
              to,
              mailFrom: ctx.config.mailFrom,
              scheduledFor: new Date(decision.sendAt),
              giveUpAt: proforma.deadlineAt,
              requestId: proforma.requestId,
              proformaId: proforma.id,
              params: {
                requestReference: proforma.requestReference,
                schoolName: school?.name ?? '',
                hubName: sitting.hub_name,
                itemStartsAt: startsAt,
                deadlineAt: proforma.deadlineAt.toISOString(),
                timezone: policy.zone,
                reminderNumber: decision.reminder.number,
                workingDaysLeft: decision.workingDaysLeft,
              },
            });
            if (queued.kind === 'queued') summary.remindersQueued++;
          }
          await recordReminder(trx, proforma.id, decision.reminder.number);
          break;
        }
        case 'escalate':
          toEscalate.set(proforma.sittingId, [
            ...(toEscalate.get(proforma.sittingId) ?? []),
            { proforma, sendAt: decision.sendAt },
          ]);
          break;
        case 'wait':
          summary.waiting++;
          break;
        case 'submitted':
        case 'done':
          break;
        default:
          decision satisfies never;
      }
    }

    for (const [sittingId, list] of toEscalate) {
      const sitting = sittingById.get(sittingId)!;
      const policy = policies.get(sitting.hub_id)!;
      const missing = list.map(({ proforma }) => ({
        requestReference: proforma.requestReference,
        schoolName: (proforma.schoolId !== null && contacts.get(proforma.schoolId)?.name) || 'No school',
      }));
      for (const to of coordinators) {
        const queued = await enqueueEmail(trx, {
          idempotencyKey: `proforma-escalation:${sittingId}:${to}`,
          template: 'proforma-escalation',
          to,
          mailFrom: ctx.config.mailFrom,
          scheduledFor: new Date(list[0]!.sendAt),
          giveUpAt: sitting.starts_at,
          params: {
            hubName: sitting.hub_name,
            sittingStartsAt: sitting.starts_at,
            deadlineAt: list[0]!.proforma.deadlineAt,
            missing,
            agendaUrl: `${ctx.config.publicBaseUrl}/sittings/${sittingId}/agenda`,
            timezone: policy.zone,
          },
        });
        if (queued.kind === 'queued') summary.escalations++;
      }
      const requestIds = list.map(({ proforma }) => proforma.requestId);
      await markEscalated(
        trx,
        list.map(({ proforma }) => proforma.id),
        ctx.now,
      );
      const flagged = await flagAgendaItems(trx, sittingId, requestIds, 'proforma-missing');
      summary.missing.push(...missing.map((m) => m.requestReference));
      summary.escalatedSittings.push(sittingId);
      await writeAudit(trx, ctx.actor, {
        action: 'proforma.escalated',
        entity: 'sitting',
        entityId: sittingId,
        details: {
          missing: missing.map((m) => m.requestReference),
          flaggedItems: flagged,
          coordinators: coordinators.length,
        },
      });
    }
  });
  return summary;
}
