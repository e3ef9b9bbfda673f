import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import { type Actor, actorLabel } from '../actor.ts';
import { localSlotSpan } from '../agenda/local-slot-times.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { looksLikeSecret, sha256Hex } from '../auth/secret.ts';
import { AppError } from '../errors.ts';
import { parseOrThrow } from '../validation.ts';
import {
  type ProformaAnswers,
  type ProformaForm,
  proformaFormSchema,
  readAnswers,
} from './proforma.answers.ts';
import * as repo from './proforma.repository.ts';

type Db = Kysely<Database>;

/** Who fills a proforma in through its emailed link (the link is the credential). */
export const proformaLinkActor: Actor = { kind: 'system', name: 'proforma-link' };

/** A proforma as the form shows it. Instants as Date; times of the slot in the hub's zone. */
export interface ProformaView {
  id: number;
  status: 'requested' | 'draft' | 'submitted';
  answers: ProformaAnswers;
  deadlineAt: Date;
  submittedAt: Date | null;
  requestId: number;
  requestReference: string;
  schoolName: string | null;
  hubName: string;
  timezone: string;
  sitting: { id: number; date: string; startsAt: Date; status: string };
  /** The request's item on that sitting's agenda, when it has been placed. */
  slot: { index: number; startsAt: string; endsAt: string } | null;
}

function toView(row: repo.ProformaViewRow): ProformaView {
  let slot: ProformaView['slot'] = null;
  if (row.slot !== null && row.slots_used !== null) {
    const span = localSlotSpan(
      {
        startsAt: row.starts_at.toISOString(),
        slotMinutes: row.slot_minutes,
        slots: row.slot_count,
        breakAfterSlot: row.break_after_slot,
        breakMinutes: row.break_minutes,
        timezone: row.timezone,
      },
      row.slot,
      row.slots_used,
    );
    if (span !== null) slot = { index: row.slot, ...span };
  }
  return {
    id: row.id,
    status: row.status as ProformaView['status'],
    answers: readAnswers(row.answers),
    deadlineAt: row.deadline_at,
    submittedAt: row.submitted_at,
    requestId: row.request_id,
    requestReference: row.reference,
    schoolName: row.school_name,
    hubName: row.hub_name,
    timezone: row.timezone,
    sitting: { id: row.sitting_id, date: row.date, startsAt: row.starts_at, status: row.sitting_status },
    slot,
  };
}

/** The proforma an emailed link opens at `now`, or null (unknown or expired link). Changes nothing. */
export async function openProformaByToken(db: Db, token: string, now: Date): Promise<ProformaView | null> {
  if (!looksLikeSecret(token)) return null;
  const row = await repo.findProformaByLink(db, sha256Hex(token), now);
  return row === undefined ? null : toView(row);
}

/** A proforma of the principal's scope; not-found when missing or not theirs (the same answer). */
export async function openProforma(db: Db, principal: Actor, proformaId: number): Promise<ProformaView> {
  const row = Number.isSafeInteger(proformaId)
    ? await repo.findProformaForPrincipal(db, principal, proformaId)
    : undefined;
  if (row === undefined)
    throw new AppError('not-found', `There is no proforma ${proformaId} that you can see`);
  return toView(row);
}

/** Proformas within the principal's scope, soonest sitting first (`openOnly`: still to be submitted). */
export async function listProformas(
  db: Db,
  principal: Actor,
  options: { openOnly: boolean; limit: number },
): Promise<ProformaView[]> {
  return (await repo.listProformasForPrincipal(db, principal, options)).map(toView);
}

export type SaveResult = { kind: 'draft-saved' } | { kind: 'submitted'; consentRecorded: boolean };

/**
 * Saves the posted form as a draft, or submits it. Validates first (a draft checks only what was
 * typed; a submission needs every section) and throws invalid-input naming each form field, with
 * nothing saved. Submitting also records on the request what the school told us: consent gained
 * (when the request had none) and the attendance window; each change audited. Throws conflict when
 * the proforma was already submitted.
 */
export async function saveProforma(
  db: Db,
  view: ProformaView,
  input: { form: ProformaForm | Record<string, unknown>; mode: 'draft' | 'submit' },
  options: { actor: Actor; now: Date },
): Promise<SaveResult> {
  const { now, actor } = options;
  const today = DateTime.fromJSDate(now).setZone(view.timezone).toISODate() as string;
  const answers = parseOrThrow(proformaFormSchema(input.mode, today), input.form, 'proforma');
  const submitted = () =>
    new AppError(
      'conflict',
      'This proforma has already been submitted; ask the hub coordinator to change it',
    );
  return db.transaction().execute(async (trx) => {
    await repo.lockProforma(trx, view.id);
    if (input.mode === 'draft') {
      if (!(await repo.saveDraftAnswers(trx, view.id, answers, now))) throw submitted();
      await writeAudit(trx, actor, {
        action: 'proforma.draft-saved',
        entity: 'proforma',
        entityId: view.id,
        details: { requestId: view.requestId, sections: Object.keys(answers) },
      });
      return { kind: 'draft-saved' } as const;
    }
    if (!(await repo.submitAnswers(trx, view.id, answers, now, actorLabel(actor)))) throw submitted();
    const entries: Parameters<typeof writeAudit>[2] = [
      {
        action: 'proforma.submitted',
        entity: 'proforma',
        entityId: view.id,
        details: { requestId: view.requestId },
      },
    ];
    let consentRecorded = false;
    if (answers.consent?.gained === 'yes' && answers.consent.gainedOn) {
      const at = DateTime.fromISO(answers.consent.gainedOn, { zone: view.timezone }).toJSDate();
      const by = `${view.schoolName ?? 'School'} (proforma)`.slice(0, 200);
      consentRecorded = await repo.recordConsent(trx, view.requestId, { at, by, now });
      if (consentRecorded)
        entries.push({
          action: 'request.consent-recorded',
          entity: 'request',
          entityId: view.requestId,
          details: { source: 'proforma', proformaId: view.id },
        });
    }
    const a = answers.availability;
    const window = a?.attending === 'yes' && a.from && a.to ? { from: a.from, to: a.to } : null;
    const before = await repo.setAttendanceWindow(trx, view.requestId, window, now);
    if (before.from !== (window?.from ?? null) || before.to !== (window?.to ?? null))
      entries.push({
        action: 'request.attendance-window-set',
        entity: 'request',
        entityId: view.requestId,
        details: {
          source: 'proforma',
          proformaId: view.id,
          from: window?.from ?? null,
          to: window?.to ?? null,
        },
      });
    await writeAudit(trx, actor, entries);
    return { kind: 'submitted', consentRecorded } as const;
  });
}
