import type { FastifyInstance } from 'fastify';
import {
  getAgencyView,
  getNeedView,
  getSchoolView,
  listAgencyViews,
  listNeedViews,
  listSchoolViews,
  referenceCodes,
} from '../../admin/directory-admin.repository.ts';
import {
  createAgency,
  createNeed,
  createSchool,
  updateAgencyById,
  updateNeedByCode,
  updateSchoolById,
} from '../../admin/directory-admin.service.ts';
import { AppError } from '../../errors.ts';
import { agencyKinds } from '../../import/rows.ts';
import { idParam } from '../params.ts';
import {
  adminOnly,
  type Form,
  field,
  fieldList,
  listQuery,
  pageSize,
  pagination,
  registerEditable,
  renderAdmin,
} from './admin-shared.pages.ts';

/*
 * Schools, agencies and the need taxonomy: searchable lists and one form each for adding and
 * editing. The forms post the import's column names (URN, EstablishmentName, ...), so the import
 * row schemas validate them exactly as they validate a CSV row.
 */

/** A textarea of addresses, one a line (or separated by ; or commas), as the import's list text. */
const listText = (text: string) =>
  text
    .split(/[\n;,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join(';');

/** Blank fields as undefined, as the CSV reader makes empty cells (so form and import agree). */
function cells(values: Record<string, string | string[]>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, typeof v === 'string' && v.trim() === '' ? undefined : v]),
  );
}

function schoolForm(form: Form) {
  return cells({
    URN: field(form, 'URN'),
    EstablishmentName: field(form, 'EstablishmentName'),
    Locality: field(form, 'Locality'),
    PhaseOfEducation: field(form, 'PhaseOfEducation'),
    Postcode: field(form, 'Postcode'),
    SafeguardingLeadEmails: listText(field(form, 'SafeguardingLeadEmails')),
  });
}

function agencyForm(form: Form, isNew: boolean) {
  return cells({
    Name: field(form, 'Name'),
    Kind: field(form, 'Kind'),
    Specialisms: fieldList(form, 'Specialisms'),
    Localities: fieldList(form, 'Localities'),
    CityWide: field(form, 'CityWide') || 'no',
    MinAge: field(form, 'MinAge'),
    MaxAge: field(form, 'MaxAge'),
    Capacity: field(form, 'Capacity'),
    ...(isNew ? { ActiveCases: field(form, 'ActiveCases') } : {}),
    ContactEmail: field(form, 'ContactEmail'),
    SchoolURN: field(form, 'SchoolURN'),
  });
}

const needCode = (params: unknown): string => {
  const raw = (params as Record<string, unknown> | undefined)?.id;
  if (typeof raw !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(raw))
    throw new AppError('not-found', 'No such need');
  return raw;
};

export function registerAdminDirectoryPages(app: FastifyInstance): void {
  const { db } = app.deps;
  const banner = (query: unknown, noun: string) =>
    (query as Record<string, unknown>).added === '1' ? `The ${noun} has been added.` : null;

  app.get('/admin/schools', adminOnly, async (request, reply) => {
    const { q, page } = listQuery(request.query);
    const list = await listSchoolViews(db, { q, page, size: pageSize });
    return renderAdmin(request, reply, 'list.njk', {
      title: 'Schools',
      noun: 'schools',
      banner: banner(request.query, 'school'),
      addHref: '/admin/schools/new',
      addText: 'Add a school',
      searchAction: '/admin/schools',
      searchLabel: 'Search schools',
      searchHint: 'Name, locality or 6-digit URN',
      q,
      page,
      pageSize,
      total: list.total,
      columns: ['School', 'URN', 'Locality', 'Safeguarding leads'],
      rows: list.items.map((s) => [
        { text: s.name, href: `/admin/schools/${s.id}` },
        { text: String(s.urn) },
        { text: s.locality },
        { text: String(s.safeguardingLeadEmails.length) },
      ]),
      pagination: pagination('/admin/schools', q, page, list.total),
    });
  });

  registerEditable<number>(app, {
    base: '/admin/schools',
    noun: 'school',
    template: 'school-form.njk',
    labels: {
      URN: 'URN',
      EstablishmentName: 'Name',
      Locality: 'Locality',
      PhaseOfEducation: 'Phase',
      Postcode: 'Postcode',
      SafeguardingLeadEmails: 'Safeguarding lead emails',
    },
    key: (params) => idParam(params),
    values: async (id) => {
      const s = await getSchoolView(db, id);
      return s === null
        ? null
        : {
            URN: String(s.urn),
            EstablishmentName: s.name,
            Locality: s.locality,
            PhaseOfEducation: s.phase ?? '',
            Postcode: s.postcode ?? '',
            SafeguardingLeadEmails: s.safeguardingLeadEmails.join('\n'),
          };
    },
    create: (actor, form) => createSchool(db, actor, schoolForm(form)),
    update: (actor, id, form) => updateSchoolById(db, actor, id, schoolForm(form), 'replace'),
    options: async () => ({ localities: (await referenceCodes(db)).localities }),
  });

  app.get('/admin/agencies', adminOnly, async (request, reply) => {
    const { q, page } = listQuery(request.query);
    const list = await listAgencyViews(db, { q, page, size: pageSize });
    return renderAdmin(request, reply, 'list.njk', {
      title: 'Agencies',
      noun: 'agencies',
      banner: banner(request.query, 'agency'),
      addHref: '/admin/agencies/new',
      addText: 'Add an agency',
      searchAction: '/admin/agencies',
      searchLabel: 'Search agencies',
      searchHint: 'Name or kind',
      q,
      page,
      pageSize,
      total: list.total,
      columns: ['Agency', 'Kind', 'Places', 'Status'],
      rows: list.items.map((a) => [
        { text: a.name, href: `/admin/agencies/${a.id}` },
        { text: a.kind },
        { text: `${a.activeCases} of ${a.capacity} used` },
        {
          tag: a.active
            ? { text: 'Active', classes: 'govuk-tag--green' }
            : { text: 'Inactive', classes: 'govuk-tag--grey' },
        },
      ]),
      pagination: pagination('/admin/agencies', q, page, list.total),
    });
  });

  registerEditable<number>(app, {
    base: '/admin/agencies',
    noun: 'agency',
    template: 'agency-form.njk',
    labels: {
      Name: 'Name',
      Kind: 'Kind',
      Specialisms: 'Needs it covers',
      Localities: 'Localities',
      CityWide: 'City-wide',
      MinAge: 'Youngest age',
      MaxAge: 'Oldest age',
      Capacity: 'Places',
      ActiveCases: 'Active cases',
      ContactEmail: 'Contact email',
      SchoolURN: 'School URN',
      Active: 'Status',
    },
    kept: (form) => ({
      ...form,
      Specialisms: fieldList(form, 'Specialisms'),
      Localities: fieldList(form, 'Localities'),
    }),
    key: (params) => idParam(params),
    values: async (id) => {
      const a = await getAgencyView(db, id);
      return a === null
        ? null
        : {
            Name: a.name,
            Kind: a.kind,
            Specialisms: a.specialisms,
            Localities: a.localities,
            CityWide: a.cityWide ? 'yes' : 'no',
            MinAge: String(a.minAge),
            MaxAge: String(a.maxAge),
            Capacity: String(a.capacity),
            ActiveCases: String(a.activeCases),
            ContactEmail: a.contactEmail,
            SchoolURN: a.schoolUrn === null ? '' : String(a.schoolUrn),
            Active: a.active ? 'yes' : 'no',
          };
    },
    create: (actor, form) => createAgency(db, actor, agencyForm(form, true)),
    update: (actor, id, form) =>
      updateAgencyById(db, actor, id, agencyForm(form, false), field(form, 'Active') !== 'no', 'replace'),
    options: async () => ({ ...(await referenceCodes(db)), kinds: agencyKinds }),
  });

  app.get('/admin/needs', adminOnly, async (request, reply) => {
    const { q, page } = listQuery(request.query);
    const list = await listNeedViews(db, { q, page, size: pageSize });
    return renderAdmin(request, reply, 'list.njk', {
      title: 'Needs',
      intro: 'The shared taxonomy of needs: requests name them, agencies cover them.',
      noun: 'needs',
      banner: banner(request.query, 'need'),
      addHref: '/admin/needs/new',
      addText: 'Add a need',
      searchAction: '/admin/needs',
      searchLabel: 'Search needs',
      searchHint: 'Code, label or category',
      q,
      page,
      pageSize,
      total: list.total,
      columns: ['Need', 'Code', 'Category'],
      rows: list.items.map((n) => [
        { text: n.label, href: `/admin/needs/${n.code}` },
        { text: n.code },
        { text: n.category },
      ]),
      pagination: pagination('/admin/needs', q, page, list.total),
    });
  });

  registerEditable<string>(app, {
    base: '/admin/needs',
    noun: 'need',
    template: 'need-form.njk',
    labels: { code: 'Code', label: 'Label', category: 'Category', description: 'Description' },
    key: needCode,
    context: async (code) => ({ needCode: code }),
    values: async (code) => {
      const n = await getNeedView(db, code);
      return n === null ? null : { ...n };
    },
    create: (actor, form) =>
      createNeed(db, actor, {
        code: field(form, 'code'),
        label: field(form, 'label'),
        category: field(form, 'category'),
        description: field(form, 'description'),
      }),
    update: (actor, code, form) =>
      updateNeedByCode(db, actor, code, {
        label: field(form, 'label'),
        category: field(form, 'category'),
        description: field(form, 'description'),
      }),
    options: async () => ({}),
  });
}
