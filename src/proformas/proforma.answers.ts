import { DateTime } from 'luxon';
import { z } from 'zod';
import { validDateTime } from '../requests/request.schemas.ts';

/*
 * The proforma's answers, in sections that follow the council's EHA principles: consent gained
 * and when; needs and what the school already does; what the family wants to change; the team
 * around the family; the school's view on who should lead; availability for the slot.
 *
 * The form posts flat fields (their names are the HTML ids, so an error names the field the error
 * summary links to); `parseProformaForm` turns them into the stored JSONB object. A draft accepts
 * gaps; a submission needs every section.
 */

export const leadSuggestions = [
  { value: 'school', text: 'The school' },
  { value: 'family-support', text: 'Family support team' },
  { value: 'health', text: 'A health service' },
  { value: 'mental-health', text: 'A mental health service' },
  { value: 'youth', text: 'Youth service' },
  { value: 'education-welfare', text: 'Education welfare' },
  { value: 'voluntary', text: 'A voluntary sector organisation' },
  { value: 'housing', text: 'Housing' },
  { value: 'other', text: 'Another agency' },
  { value: 'no-view', text: 'The school has no view' },
] as const;
export type LeadSuggestion = (typeof leadSuggestions)[number]['value'];

/** The stored answers (every field optional: a draft may be partial). */
export interface ProformaAnswers {
  consent?: { gained?: 'yes' | 'no'; gainedOn?: string; how?: string };
  needs?: { concerns?: string; schoolSupport?: string };
  family?: { wantsToChange?: string };
  team?: { members?: string };
  lead?: { suggestion?: LeadSuggestion; reason?: string };
  availability?: { attending?: 'yes' | 'no'; from?: string; to?: string; notes?: string };
}

/** The form's fields as posted (strings; absent or empty means not answered). */
export const proformaFormFields = [
  'consentGained',
  'consentGainedOn-day',
  'consentGainedOn-month',
  'consentGainedOn-year',
  'consentHow',
  'needsConcerns',
  'schoolSupport',
  'familyWantsToChange',
  'teamMembers',
  'leadSuggestion',
  'leadReason',
  'attending',
  'attendFrom',
  'attendTo',
  'availabilityNotes',
] as const;
export type ProformaForm = Partial<Record<(typeof proformaFormFields)[number], string>>;

const longText = z.string().trim().max(5000, 'must be 5,000 characters or fewer');
const time = /^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$/;
const leadValues = leadSuggestions.map((l) => l.value) as [LeadSuggestion, ...LeadSuggestion[]];

function blank(v: unknown): boolean {
  return v === undefined || (typeof v === 'string' && v.trim() === '');
}

function hhmm(v: string): string {
  const m = time.exec(v.trim()) as RegExpExecArray;
  return `${(m[1] as string).padStart(2, '0')}:${m[2]}`;
}

/**
 * The zod schema of the posted form. `mode: 'draft'` checks only what was typed; `'submit'` needs
 * every section. `today` (YYYY-MM-DD, the council's zone) refuses a consent date in the future.
 * Issues name the form field (the id the error summary links to; a date's first box).
 */
export function proformaFormSchema(mode: 'draft' | 'submit', today: string) {
  const s = z.object({
    consentGained: z.enum(['yes', 'no'], { error: 'Select whether consent has been gained' }).optional(),
    'consentGainedOn-day': z.string().optional(),
    'consentGainedOn-month': z.string().optional(),
    'consentGainedOn-year': z.string().optional(),
    consentHow: longText.optional(),
    needsConcerns: longText.optional(),
    schoolSupport: longText.optional(),
    familyWantsToChange: longText.optional(),
    teamMembers: longText.optional(),
    leadSuggestion: z.enum(leadValues, { error: 'Select who the school thinks should lead' }).optional(),
    leadReason: longText.optional(),
    attending: z
      .enum(['yes', 'no'], { error: 'Select whether someone from the school will attend' })
      .optional(),
    attendFrom: z.string().trim().optional(),
    attendTo: z.string().trim().optional(),
    availabilityNotes: longText.optional(),
  });
  return z
    .preprocess((raw) => {
      // Empty strings are "not answered": a radio left unselected posts nothing, a text box posts "".
      if (typeof raw !== 'object' || raw === null) return raw;
      return Object.fromEntries(
        Object.entries(raw).filter(
          ([k, v]) => (proformaFormFields as readonly string[]).includes(k) && !blank(v),
        ),
      );
    }, s)
    .superRefine((v, ctx) => {
      const need = (field: keyof typeof v, message: string) => {
        if (mode === 'submit' && blank(v[field])) ctx.addIssue({ code: 'custom', path: [field], message });
      };
      need('consentGained', 'Select whether consent has been gained');
      const dateParts = [v['consentGainedOn-day'], v['consentGainedOn-month'], v['consentGainedOn-year']];
      if (dateParts.some((p) => !blank(p))) {
        const [d, m, y] = dateParts.map((p) => Number(p ?? 'x'));
        const make = () => DateTime.fromObject({ year: y ?? 0, month: m ?? 0, day: d ?? 0 }, { zone: 'UTC' });
        if (
          ![d, m, y].every((n) => Number.isInteger(n)) ||
          !(y && y >= 1995 && y < 10000) ||
          !validDateTime(make)
        )
          ctx.addIssue({
            code: 'custom',
            path: ['consentGainedOn-day'],
            message: 'Consent date must be a real date, like 27 3 2027',
          });
        else if ((make().toISODate() as string) > today)
          ctx.addIssue({
            code: 'custom',
            path: ['consentGainedOn-day'],
            message: 'Consent date must be today or in the past',
          });
      } else if (mode === 'submit' && v.consentGained === 'yes')
        ctx.addIssue({
          code: 'custom',
          path: ['consentGainedOn-day'],
          message: 'Enter the date consent was gained',
        });
      if (v.consentGained === 'yes') need('consentHow', 'Say how consent was gained and recorded');
      need('needsConcerns', 'Describe the needs and concerns');
      need('schoolSupport', 'Describe what the school is already doing');
      need('familyWantsToChange', 'Describe what the family wants to change');
      need('teamMembers', 'Say who is in the team around the family (or "none yet")');
      need('leadSuggestion', 'Select who the school thinks should lead');
      if (v.leadSuggestion !== undefined && v.leadSuggestion !== 'no-view')
        need('leadReason', 'Say why the school suggests this lead');
      need('attending', 'Select whether someone from the school will attend');
      for (const f of ['attendFrom', 'attendTo'] as const) {
        const value = v[f];
        if (!blank(value) && !time.test(value as string))
          ctx.addIssue({ code: 'custom', path: [f], message: 'Enter a time like 09:30 or 14:00' });
      }
      if (v.attending === 'yes') {
        need('attendFrom', 'Enter the earliest time someone can attend');
        need('attendTo', 'Enter the latest time someone can attend');
        if (v.attendFrom && v.attendTo && time.test(v.attendFrom) && time.test(v.attendTo))
          if (hhmm(v.attendFrom) >= hhmm(v.attendTo))
            ctx.addIssue({
              code: 'custom',
              path: ['attendTo'],
              message: 'The latest time must be after the earliest time',
            });
      }
    })
    .transform((v): ProformaAnswers => {
      const parts = [v['consentGainedOn-year'], v['consentGainedOn-month'], v['consentGainedOn-day']];
      const gainedOn = parts.every((p) => !blank(p))
        ? (DateTime.fromObject(
            { year: Number(parts[0]), month: Number(parts[1]), day: Number(parts[2]) },
            { zone: 'UTC' },
          ).toISODate() ?? undefined)
        : undefined;
      const clean = <T extends object>(o: T): T | undefined => {
        const e = Object.entries(o).filter(([, x]) => x !== undefined);
        return e.length === 0 ? undefined : (Object.fromEntries(e) as T);
      };
      return JSON.parse(
        JSON.stringify({
          consent: clean({ gained: v.consentGained, gainedOn, how: v.consentHow }),
          needs: clean({ concerns: v.needsConcerns, schoolSupport: v.schoolSupport }),
          family: clean({ wantsToChange: v.familyWantsToChange }),
          team: clean({ members: v.teamMembers }),
          lead: clean({ suggestion: v.leadSuggestion, reason: v.leadReason }),
          availability: clean({
            attending: v.attending,
            from: v.attendFrom && time.test(v.attendFrom) ? hhmm(v.attendFrom) : undefined,
            to: v.attendTo && time.test(v.attendTo) ? hhmm(v.attendTo) : undefined,
            notes: v.availabilityNotes,
          }),
        }),
      ) as ProformaAnswers;
    });
}

/** Stored answers back to form fields (to fill the form again). */
export function answersToForm(a: ProformaAnswers): ProformaForm {
  const [y, m, d] = (a.consent?.gainedOn ?? '').split('-');
  const form: ProformaForm = {
    consentGained: a.consent?.gained,
    'consentGainedOn-day': d === undefined ? undefined : String(Number(d)),
    'consentGainedOn-month': m === undefined ? undefined : String(Number(m)),
    'consentGainedOn-year': a.consent?.gainedOn ? y : undefined,
    consentHow: a.consent?.how,
    needsConcerns: a.needs?.concerns,
    schoolSupport: a.needs?.schoolSupport,
    familyWantsToChange: a.family?.wantsToChange,
    teamMembers: a.team?.members,
    leadSuggestion: a.lead?.suggestion,
    leadReason: a.lead?.reason,
    attending: a.availability?.attending,
    attendFrom: a.availability?.from,
    attendTo: a.availability?.to,
    availabilityNotes: a.availability?.notes,
  };
  return Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined)) as ProformaForm;
}

/** Reads stored JSONB defensively: anything unexpected is dropped rather than shown. */
export function readAnswers(stored: unknown): ProformaAnswers {
  const form = answersToForm(
    (typeof stored === 'object' && stored !== null ? stored : {}) as ProformaAnswers,
  );
  const parsed = proformaFormSchema('draft', '9999-12-31').safeParse(form);
  return parsed.success ? parsed.data : {};
}
