import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { loadAgendaView } from '../agenda/agenda.service.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import type { Config } from '../config.ts';
import { enqueueEmail } from '../email/outbox.service.ts';
import { AppError } from '../errors.ts';
import { schoolContacts } from './chase.repository.ts';

/*
 * "Send again" for a missing proforma: the proforma-request email queued once more through the
 * outbox, to each of the school's safeguarding leads, under a new idempotency key
 * `proforma-request:<sitting>:<request>:<email>:resend-<n>` (n = 1, 2, ...: the first key not yet
 * used), so a double click queues one email per click and a retried job none; audited. The link is
 * minted when the email is sent, as for the first request.
 */

type Db = Kysely<Database>;

export interface ResendSummary {
  proformaId: number;
  reference: string;
  emailsQueued: number;
  /** The resend number used (the largest when leads differ). */
  resend: number;
}

/**
 * Queues the proforma request again for one proforma of this sitting. Throws not-found (no such
 * proforma at this sitting), conflict (already submitted, no longer on the agenda, the sitting has
 * started, or the school has no safeguarding lead email).
 */
export async function resendProformaRequest(
  db: Db,
  sittingId: number,
  proformaId: number,
  ctx: { now: Date; actor: Actor; config: Pick<Readonly<Config>, 'mailFrom'> },
): Promise<ResendSummary> {
  const proforma = await db
    .selectFrom('proformas as p')
    .innerJoin('requests as r', 'r.id', 'p.request_id')
    .select(['p.id', 'p.status', 'p.deadline_at', 'r.id as request_id', 'r.reference', 'r.school_id'])
    .where('p.id', '=', proformaId)
    .where('p.sitting_id', '=', sittingId)
    .executeTakeFirst();
  if (!proforma) throw new AppError('not-found', `No proforma ${proformaId} at sitting ${sittingId}`);
  if (proforma.status === 'submitted')
    throw new AppError('conflict', `The proforma of ${proforma.reference} is already submitted`);
  const { view } = await loadAgendaView(db, sittingId);
  const item = view.items.find((i) => i.requests.some((r) => r.reference === proforma.reference));
  const startsAt = view.slots[0]?.startsAt;
  if (!item || startsAt === undefined)
    throw new AppError('conflict', `${proforma.reference} is no longer on this sitting's agenda`);
  const giveUpAt = new Date(startsAt);
  if (giveUpAt <= ctx.now) throw new AppError('conflict', 'The sitting has started: nothing to send');
  const school =
    proforma.school_id === null
      ? undefined
      : (await schoolContacts(db, [proforma.school_id])).get(proforma.school_id);
  if (!school || school.emails.length === 0)
    throw new AppError(
      'conflict',
      `The school of ${proforma.reference} has no safeguarding lead email: chase it by phone`,
    );
  return db.transaction().execute(async (trx) => {
    let queued = 0;
    let resend = 0;
    for (const to of school.emails) {
      // The first resend number not used yet for this recipient; bounded (a person clicks).
      for (let n = 1; n <= 100; n += 1) {
        const result = await enqueueEmail(trx, {
          idempotencyKey: `proforma-request:${sittingId}:${proforma.request_id}:${to}:resend-${n}`,
          template: 'proforma-request',
          to,
          mailFrom: ctx.config.mailFrom,
          scheduledFor: ctx.now,
          giveUpAt,
          requestId: proforma.request_id,
          proformaId: proforma.id,
          params: {
            requestReference: proforma.reference,
            schoolName: school.name,
            hubName: view.hubName,
            itemStartsAt: item.startsAt,
            deadlineAt: proforma.deadline_at.toISOString(),
            timezone: view.timezone,
          },
        });
        if (result.kind === 'queued') {
          queued += 1;
          resend = Math.max(resend, n);
          break;
        }
      }
    }
    await writeAudit(trx, ctx.actor, {
      action: 'proforma.resent',
      entity: 'proforma',
      entityId: proforma.id,
      details: { request: proforma.reference, sittingId, recipients: queued, resend },
    });
    return { proformaId: proforma.id, reference: proforma.reference, emailsQueued: queued, resend };
  });
}
