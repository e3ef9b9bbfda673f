import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../actor.ts';
import { isAppError } from '../../errors.ts';
import {
  answersToForm,
  leadSuggestions,
  type ProformaAnswers,
  proformaFormFields,
} from '../../proformas/proforma.answers.ts';
import {
  openProforma,
  openProformaByToken,
  type ProformaView,
  proformaLinkActor,
  saveProforma,
} from '../../proformas/proforma.service.ts';
import { everyRole, type Principal } from '../context.ts';
import { idParam, tokenParam } from '../params.ts';
import type { RateLimits } from '../rate-limits.ts';
import { formErrors, renderPage } from '../render.ts';

/*
 * The proforma form, two ways in: the emailed link `/proforma/<token>` (no sign-in: the token is the
 * credential; only its hash is stored and it expires) and `/proformas/<id>` for a signed-in school
 * (others in scope see it read-only). GET and HEAD never change anything; POST saves a draft or
 * submits; a submitted proforma is shown read-only.
 */

const leadText = Object.fromEntries(leadSuggestions.map((l) => [l.value, l.text]));

function readOnlySections(a: ProformaAnswers, zone: string) {
  const row = (key: string, value: string | undefined) => ({
    key: { text: key },
    value: { text: value === undefined || value === '' ? 'Not answered' : value },
  });
  const gainedOn = a.consent?.gainedOn;
  return [
    {
      heading: '1. Consent',
      rows: [
        row(
          'Consent gained',
          a.consent?.gained === 'yes' ? 'Yes' : a.consent?.gained === 'no' ? 'No, not yet' : undefined,
        ),
        row('When', gainedOn),
        row('How it was gained and recorded', a.consent?.how),
      ],
    },
    {
      heading: '2. Needs and what the school is already doing',
      rows: [
        row('Needs and concerns', a.needs?.concerns),
        row('What the school is doing', a.needs?.schoolSupport),
      ],
    },
    { heading: '3. What the family wants to change', rows: [row('In their words', a.family?.wantsToChange)] },
    {
      heading: '4. The team around the family',
      rows: [row('Already working with the family', a.team?.members)],
    },
    {
      heading: '5. Who should lead',
      rows: [
        row('Suggested lead', a.lead?.suggestion === undefined ? undefined : leadText[a.lead.suggestion]),
        row('Why', a.lead?.reason),
      ],
    },
    {
      heading: '6. Availability for the slot',
      rows: [
        row(
          'Someone will attend',
          a.availability?.attending === 'yes' ? 'Yes' : a.availability?.attending === 'no' ? 'No' : undefined,
        ),
        row(
          'Window',
          a.availability?.from && a.availability.to
            ? `${a.availability.from} to ${a.availability.to} (${zone})`
            : undefined,
        ),
        row('Notes', a.availability?.notes),
      ],
    },
  ];
}

/** Keeps only the form's own fields, as strings (what the user typed goes back into the form). */
function postedValues(body: unknown): Record<string, string> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const f of proformaFormFields) if (typeof b[f] === 'string') out[f] = b[f] as string;
  return out;
}

function showForm(
  request: FastifyRequest,
  reply: FastifyReply,
  view: ProformaView,
  options: {
    editable: boolean;
    formAction: string;
    values?: Record<string, string>;
    errors?: ReturnType<typeof formErrors>;
    status?: number;
  },
) {
  const saved = (request.query as Record<string, unknown> | undefined)?.saved;
  return renderPage(
    request,
    reply,
    'proforma.njk',
    {
      title: `Proforma for request ${view.requestReference}`,
      v: view,
      editable: options.editable && view.status !== 'submitted',
      formAction: options.formAction,
      values: options.values ?? answersToForm(view.answers),
      fieldErrors: options.errors?.fieldErrors ?? {},
      errorList: options.errors?.errorList ?? [],
      saved: saved === 'draft' || saved === 'submitted' ? saved : null,
      leadItems: leadSuggestions.map((l) => ({ value: l.value, text: l.text })),
      readOnly: readOnlySections(view.answers, view.timezone),
    },
    options.status ?? 200,
  );
}

/** Handles a POST: validate, save or submit, redirect (303) back to the GET; on bad input re-show the form. */
async function handlePost(
  request: FastifyRequest,
  reply: FastifyReply,
  view: ProformaView,
  actor: Actor,
  formAction: string,
) {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const mode = body.action === 'submit' ? 'submit' : 'draft';
  try {
    const result = await saveProforma(
      request.server.deps.db,
      view,
      { form: body, mode },
      { actor, now: request.server.deps.now() },
    );
    return reply.redirect(`${formAction}?saved=${result.kind === 'submitted' ? 'submitted' : 'draft'}`, 303);
  } catch (error) {
    if (isAppError(error) && error.code === 'invalid-input')
      return showForm(request, reply, view, {
        editable: true,
        formAction,
        values: postedValues(body),
        errors: formErrors(error.issues),
        status: 422,
      });
    // Submitted meanwhile (another tab, a colleague): show it as it now is.
    if (isAppError(error) && error.code === 'conflict') return reply.redirect(formAction, 303);
    throw error;
  }
}

function expiredLink(request: FastifyRequest, reply: FastifyReply) {
  return renderPage(
    request,
    reply,
    'error.njk',
    {
      title: 'This proforma link has expired',
      heading: 'This proforma link has expired or is not valid',
      body: 'Proforma links stop working after the hub meeting. If you still need to send information, reply to the hub coordinator or sign in to see your requests.',
      link: { href: '/sign-in', text: 'Sign in' },
    },
    404,
  );
}

export function registerProformaPages(app: FastifyInstance, limits: RateLimits): void {
  const { db } = app.deps;
  const byToken = { config: { access: 'public' as const, rateLimit: limits.proformaLink } };

  app.get('/proforma/:token', byToken, async (request, reply) => {
    const token = tokenParam(request.params);
    const view = await openProformaByToken(db, token, app.deps.now());
    if (view === null) return expiredLink(request, reply);
    return showForm(request, reply, view, {
      editable: true,
      formAction: `/proforma/${encodeURIComponent(token)}`,
    });
  });

  app.post('/proforma/:token', byToken, async (request, reply) => {
    const token = tokenParam(request.params);
    const view = await openProformaByToken(db, token, app.deps.now());
    if (view === null) return expiredLink(request, reply);
    return handlePost(request, reply, view, proformaLinkActor, `/proforma/${encodeURIComponent(token)}`);
  });

  app.get('/proformas/:id', { config: { access: everyRole } }, async (request, reply) => {
    const principal = request.principal as Principal;
    const view = await openProforma(db, principal, idParam(request.params));
    return showForm(request, reply, view, {
      editable: principal.role === 'school',
      formAction: `/proformas/${view.id}`,
    });
  });

  app.post('/proformas/:id', { config: { access: ['school'] } }, async (request, reply) => {
    const principal = request.principal as Principal;
    const view = await openProforma(db, principal, idParam(request.params));
    return handlePost(request, reply, view, principal, `/proformas/${view.id}`);
  });
}
