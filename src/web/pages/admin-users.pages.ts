import type { FastifyInstance } from 'fastify';
import type { Role } from '../../actor.ts';
import { getUserView, listUserViews, scopeOptions } from '../../admin/user-admin.repository.ts';
import { createUser, roles, setUserActiveById, updateUserById } from '../../admin/user-admin.service.ts';
import { idParam } from '../params.ts';
import {
  adminOnly,
  type Form,
  field,
  listQuery,
  pageSize,
  pagination,
  principalOf,
  registerEditable,
  renderAdmin,
} from './admin-shared.pages.ts';

/*
 * People who sign in: a list, a form (role and scope: a school user belongs to a school, an agency
 * user to an agency; the database refuses anything else and the form names the field), and
 * deactivation instead of deletion (the audit log and decisions keep naming them).
 */

const roleNames: Record<Role, string> = {
  admin: 'Admin',
  chair: 'Hub chair',
  coordinator: 'Early Help coordinator',
  school: 'School',
  agency: 'Agency',
};

const userForm = (form: Form) => ({
  email: field(form, 'email'),
  displayName: field(form, 'displayName'),
  role: field(form, 'role'),
  schoolId: field(form, 'schoolId'),
  agencyId: field(form, 'agencyId'),
});

export function registerAdminUserPages(app: FastifyInstance): void {
  const { db } = app.deps;

  app.get('/admin/users', adminOnly, async (request, reply) => {
    const { q, page } = listQuery(request.query);
    const list = await listUserViews(db, { q, page, size: pageSize });
    return renderAdmin(request, reply, 'list.njk', {
      title: 'People',
      intro: 'Everyone who signs in. API tokens are managed on the server with the hub token command.',
      noun: 'people',
      banner: (request.query as Record<string, unknown>).added === '1' ? 'The person has been added.' : null,
      addHref: '/admin/users/new',
      addText: 'Add a person',
      searchAction: '/admin/users',
      searchLabel: 'Search people',
      searchHint: 'Name or email',
      q,
      page,
      pageSize,
      total: list.total,
      columns: ['Name', 'Email', 'Role', 'Status'],
      rows: list.items.map((u) => [
        { text: u.displayName, href: `/admin/users/${u.id}` },
        { text: u.email },
        {
          text: `${roleNames[u.role]}${u.schoolName ? `: ${u.schoolName}` : ''}${u.agencyName ? `: ${u.agencyName}` : ''}`,
        },
        {
          tag: u.active
            ? { text: 'Active', classes: 'govuk-tag--green' }
            : { text: 'Deactivated', classes: 'govuk-tag--grey' },
        },
      ]),
      pagination: pagination('/admin/users', q, page, list.total),
    });
  });

  registerEditable<number>(app, {
    base: '/admin/users',
    noun: 'person',
    template: 'user-form.njk',
    labels: { email: 'Email', displayName: 'Name', role: 'Role', schoolId: 'School', agencyId: 'Agency' },
    key: (params) => idParam(params),
    values: async (id) => {
      const u = await getUserView(db, id);
      return u === null
        ? null
        : {
            email: u.email,
            displayName: u.displayName,
            role: u.role,
            schoolId: u.schoolId === null ? '' : String(u.schoolId),
            agencyId: u.agencyId === null ? '' : String(u.agencyId),
          };
    },
    create: (actor, form) => createUser(db, actor, userForm(form)),
    update: (actor, id, form) => updateUserById(db, actor, id, userForm(form)),
    options: async () => ({
      ...(await scopeOptions(db)),
      roleItems: roles.map((r) => ({ value: r, text: roleNames[r] })),
    }),
    context: async (id, request) => {
      if (id === null) return {};
      const user = await getUserView(db, id);
      const status = (request.query as Record<string, unknown>).status;
      return {
        userId: id,
        userName: user?.displayName ?? '',
        active: user?.active ?? true,
        isSelf: principalOf(request).userId === id,
        statusChanged: status === 'deactivated' || status === 'reactivated' ? status : null,
      };
    },
  });

  for (const [path, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    app.post(`/admin/users/:id/${path}`, adminOnly, async (request, reply) => {
      const id = idParam(request.params);
      await setUserActiveById(db, principalOf(request), id, active);
      return reply.redirect(`/admin/users/${id}?status=${active ? 'reactivated' : 'deactivated'}`, 303);
    });
  }
}
