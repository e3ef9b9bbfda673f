import { IANAZone } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { render } from '../render/templates.ts';
import { parseOrThrow } from '../validation.ts';

/*
 * The email template registry. Each template has a zod params schema and three nunjucks files in
 * templates/email/: `<name>.subject.njk`, `<name>.txt.njk`, `<name>.html.njk`.
 *
 * Safeguarding: params are strict objects made of references, school and hub names, instants and
 * URLs. There is no field for a person, and an unknown key (say `childName`) is refused, so a caller
 * cannot hand a child's or parent's name, date of birth or address to a template even by accident.
 */

const reference = z
  .string()
  .regex(/^[A-Z0-9-]{1,40}$/, 'must be a request reference such as EH-2027-0042 (capitals, digits, dashes)');
const organisationName = z.string().trim().min(1).max(200);
/** An instant: a Date, or an ISO 8601 string with its offset. Stored (jsonb) as an ISO string. */
const instant = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((v) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString()));
const webLink = z.url({ protocol: /^https?$/ });
const timezone = z
  .string()
  .refine((v) => IANAZone.isValidZone(v), 'is not a known IANA time zone (e.g. Europe/London)')
  .default('Europe/London');

/** iCalendar text built by the caller (e.g. for the school's slot); checked for shape and size. */
const icsText = z
  .string()
  .max(16_000)
  .refine((v) => /^BEGIN:VCALENDAR\r?\n/.test(v) && /\r?\nEND:VCALENDAR\s*$/.test(v), 'must be a VCALENDAR')
  .refine((v) => /\r?\nBEGIN:VEVENT\r?\n/.test(v), 'must contain a VEVENT')
  .refine((v) => /\r?\nMETHOD:[A-Z]+\r?\n/.test(v), 'must have a METHOD line (REQUEST, PUBLISH, CANCEL)');

const slotFields = {
  requestReference: reference,
  schoolName: organisationName,
  hubName: organisationName,
  /** Start of the agenda item (not of the sitting); shown as a date and a local time. */
  itemStartsAt: instant,
  /** The proforma's deadline, shown as a local date and time. */
  deadlineAt: instant,
  /**
   * Link to the proforma form. Leave it out (recommended): the dispatcher mints a single-purpose
   * link when it sends the email, so no raw token is ever stored in the outbox.
   */
  proformaUrl: webLink.optional(),
  timezone,
};

export const proformaRequestParams = z.strictObject({
  ...slotFields,
  /** The school's slot as a calendar invite; left out when there is none. */
  invite: z
    .strictObject({
      ics: icsText,
      filename: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,100}\.ics$/, 'must be a file name ending in .ics')
        .default('hub-slot.ics'),
    })
    .optional(),
});

export const proformaReminderParams = z.strictObject({
  ...slotFields,
  /** 1 for the first reminder. */
  reminderNumber: z.number().int().min(1).max(20),
  /** Working days left until the deadline (0 = due today). */
  workingDaysLeft: z.number().int().min(0).max(60),
});

export const proformaEscalationParams = z.strictObject({
  hubName: organisationName,
  sittingStartsAt: instant,
  deadlineAt: instant,
  missing: z
    .array(z.strictObject({ requestReference: reference, schoolName: organisationName }))
    .min(1)
    .max(500),
  /** Where the coordinator sees the sitting's missing proformas. */
  agendaUrl: webLink,
  timezone,
});

export const signInLinkParams = z.strictObject({
  /** Added when the email is sent (minted then, with its expiry): never stored. */
  signInUrl: webLink.optional(),
  expiresAt: instant.optional(),
  /** Whose link to mint at send time, and where it returns to: an id and a same-site path only. */
  signInFor: z
    .strictObject({
      userId: z.number().int().positive(),
      redirectTo: z
        .string()
        .regex(/^\/(?![/\\])[\x21-\x7e]*$/)
        .max(500)
        .nullable(),
    })
    .optional(),
  /** How long the link lasts, in minutes (15 unless the auth module says otherwise). */
  validMinutes: z.number().int().min(1).max(60).default(15),
  timezone,
});

/** Every email the service sends, by template name. */
export const emailTemplates = {
  'proforma-request': proformaRequestParams,
  'proforma-reminder': proformaReminderParams,
  'proforma-escalation': proformaEscalationParams,
  'sign-in-link': signInLinkParams,
} as const;

export type EmailTemplateName = keyof typeof emailTemplates;
/** What a caller passes for a template (Dates allowed). */
export type EmailParamsInput<N extends EmailTemplateName> = z.input<(typeof emailTemplates)[N]>;
/** What is stored in the outbox and given to the template (instants as ISO strings). */
export type EmailParams<N extends EmailTemplateName> = z.output<(typeof emailTemplates)[N]>;

/** Templates whose point disappears once the proforma is submitted. */
export const proformaChasingTemplates: readonly EmailTemplateName[] = [
  'proforma-request',
  'proforma-reminder',
];

export function isEmailTemplateName(name: string): name is EmailTemplateName {
  return Object.hasOwn(emailTemplates, name);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** A calendar invite sent as nodemailer's `icalEvent` (alternative part + attachment). */
  icalEvent?: { filename: string; method: string; content: string };
}

/**
 * Validates `params` for `template` and returns them as stored in the outbox (instants as ISO
 * strings). Throws AppError('invalid-input') naming each bad field, or for an unknown template.
 */
export function parseEmailParams<N extends EmailTemplateName>(template: N, params: unknown): EmailParams<N>;
export function parseEmailParams(template: string, params: unknown): Record<string, unknown>;
export function parseEmailParams(template: string, params: unknown): Record<string, unknown> {
  if (!isEmailTemplateName(template)) {
    throw new AppError('invalid-input', `Unknown email template "${template}"`, {
      issues: [{ field: 'template', message: `must be one of ${Object.keys(emailTemplates).join(', ')}` }],
    });
  }
  const schema: z.ZodType = emailTemplates[template];
  return parseOrThrow(schema, params, `params for email "${template}"`) as Record<string, unknown>;
}

const entities: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&#92;': '\\',
};

/** The shared environment autoescapes for HTML; plain text and subjects want the characters back. */
function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|quot|#39|lt|gt|#92);/g, (entity) => entities[entity] ?? entity);
}

/**
 * Renders an email: validates `params` (see parseEmailParams), then renders the subject, plain text
 * and HTML templates. Times are shown in `params.timezone` (default Europe/London).
 */
export function renderEmail(template: string, params: unknown): RenderedEmail {
  const context = parseEmailParams(template, params);
  if (
    (proformaChasingTemplates as readonly string[]).includes(template) &&
    context.proformaUrl === undefined
  ) {
    throw new AppError('invalid-input', `Email "${template}" needs its proforma link to be rendered`, {
      issues: [
        { field: 'proformaUrl', message: 'is required to render (the dispatcher mints it when sending)' },
      ],
    });
  }
  const subject = unescapeHtml(render(`email/${template}.subject.njk`, context))
    .replace(/\s+/g, ' ')
    .trim();
  const text = `${unescapeHtml(render(`email/${template}.txt.njk`, context))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
  const html = render(`email/${template}.html.njk`, context);
  const rendered: RenderedEmail = { subject, text, html };
  const invite =
    template === 'proforma-request' ? (context as EmailParams<'proforma-request'>).invite : undefined;
  if (invite !== undefined) {
    const method = /\r?\nMETHOD:([A-Z]+)\r?\n/.exec(invite.ics)?.[1] ?? 'REQUEST';
    rendered.icalEvent = { filename: invite.filename, method, content: invite.ics };
  }
  return rendered;
}
