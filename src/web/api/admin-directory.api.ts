import { z } from 'zod';
import {
  type AgencyView,
  getAgencyView,
  getSchoolView,
  type SchoolView,
} from '../../admin/directory-admin.repository.ts';
import {
  createAgency,
  createSchool,
  updateAgencyById,
  updateSchoolById,
} from '../../admin/directory-admin.service.ts';
import { AppError } from '../../errors.ts';
import { agencyRow, schoolRow } from '../../import/rows.ts';
import { apiRoute } from './define.ts';

/*
 * Admin writes of schools and agencies. Bodies use the import's column names (URN,
 * EstablishmentName, ...) and are validated by the import's row schemas, so a POST and a CSV row
 * are accepted or refused alike; unknown fields are refused. PATCH changes only the fields sent.
 */

const admin = ['admin'] as const;
const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

const schoolView = z.object({
  id: z.number().int(),
  urn: z.number().int(),
  name: z.string(),
  locality: z.string(),
  phase: z.string().nullable(),
  postcode: z.string().nullable(),
  safeguardingLeadEmails: z.array(z.string()),
});

const agencyView = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.string(),
  schoolUrn: z.number().int().nullable(),
  specialisms: z.array(z.string()),
  localities: z.array(z.string()),
  cityWide: z.boolean(),
  minAge: z.number().int(),
  maxAge: z.number().int(),
  capacity: z.number().int(),
  activeCases: z.number().int(),
  contactEmail: z.string(),
  active: z.boolean(),
});

const agencyPatch = z.strictObject({
  ...Object.fromEntries(
    Object.entries(agencyRow.shape)
      .filter(([key]) => key !== 'ActiveCases')
      .map(([key, schema]) => [key, (schema as z.ZodType).optional()]),
  ),
  Active: z.boolean().optional().describe('false takes the agency out of matching; its history is kept'),
});

async function school(db: Parameters<typeof getSchoolView>[0], id: number): Promise<SchoolView> {
  const s = await getSchoolView(db, id);
  if (s === null) throw new AppError('not-found', `There is no school ${id}.`);
  return s;
}

async function agency(db: Parameters<typeof getAgencyView>[0], id: number) {
  const a: AgencyView | null = await getAgencyView(db, id);
  if (a === null) throw new AppError('not-found', `There is no agency ${id}.`);
  const { schoolId: _schoolId, ...rest } = a;
  return rest;
}

export const adminDirectoryRoutes = [
  apiRoute({
    method: 'POST',
    path: '/schools',
    operationId: 'createSchool',
    summary: 'Add a school',
    description:
      'The columns of a schools import row (DfE GIAS style). Locality must be one of the council’s.',
    tag: 'admin',
    roles: admin,
    body: schoolRow.strict(),
    status: 201,
    response: schoolView,
    responseDescription: 'The school as stored',
    handler: async ({ db, principal, request }) => {
      const id = await createSchool(db, principal, request.body);
      return { status: 201, body: await school(db, id), headers: { location: `/api/v1/schools/${id}` } };
    },
  }),
  apiRoute({
    method: 'PATCH',
    path: '/schools/:id',
    operationId: 'updateSchool',
    summary: 'Change a school',
    tag: 'admin',
    roles: admin,
    params: idParams,
    body: schoolRow.partial().strict(),
    response: schoolView,
    responseDescription: 'The school as stored',
    errors: ['not-found'],
    handler: async ({ db, principal, params, request }) => {
      await updateSchoolById(db, principal, params.id, request.body);
      return { body: await school(db, params.id) };
    },
  }),
  apiRoute({
    method: 'POST',
    path: '/agencies',
    operationId: 'createAgency',
    summary: 'Add an agency',
    description:
      'The columns of an agencies import row. Specialisms must be need codes and Localities the council’s; ' +
      'SchoolURN is required when Kind is school.',
    tag: 'admin',
    roles: admin,
    body: agencyRow.strict(),
    status: 201,
    response: agencyView,
    responseDescription: 'The agency as stored',
    handler: async ({ db, principal, request }) => {
      const id = await createAgency(db, principal, request.body);
      return { status: 201, body: await agency(db, id), headers: { location: `/api/v1/agencies/${id}` } };
    },
  }),
  apiRoute({
    method: 'PATCH',
    path: '/agencies/:id',
    operationId: 'updateAgency',
    summary: 'Change an agency',
    description:
      'Only the fields sent change. ActiveCases is kept by allocations and cannot be set; a Capacity below it is refused.',
    tag: 'admin',
    roles: admin,
    params: idParams,
    body: agencyPatch,
    response: agencyView,
    responseDescription: 'The agency as stored',
    errors: ['not-found'],
    handler: async ({ db, principal, params, request }) => {
      const { Active, ...row } = (request.body ?? {}) as Record<string, unknown>;
      await updateAgencyById(db, principal, params.id, row, typeof Active === 'boolean' ? Active : undefined);
      return { body: await agency(db, params.id) };
    },
  }),
];
