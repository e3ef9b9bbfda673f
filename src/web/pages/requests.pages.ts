import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listProformas } from '../../proformas/proforma.service.ts';
import { requestStatuses } from '../../requests/request.schemas.ts';
import { getRequest, listRequests } from '../../requests/request.service.ts';
import { everyRole, type Principal } from '../context.ts';
import { idParam } from '../params.ts';
import { renderPage } from '../render.ts';

/*
 * The home page by role, and the requests pages: one scoped list and one detail page serve every
 * role (a school sees its own requests, an agency its allocations, the hub's staff everything),
 * because the scoping is in the repository, not in the page.
 */

const wording: Record<Principal['role'], { list: string; empty: string; all: string }> = {
  school: {
    list: "Your school's requests",
    empty: 'Your school has no requests to the hub.',
    all: "All your school's requests",
  },
  agency: {
    list: 'Requests allocated to you',
    empty: 'Nothing has been allocated to you yet.',
    all: 'All your allocations',
  },
  admin: { list: 'Latest requests', empty: 'There are no requests yet.', all: 'All requests' },
  chair: { list: 'Latest requests', empty: 'There are no requests yet.', all: 'All requests' },
  coordinator: { list: 'Latest requests', empty: 'There are no requests yet.', all: 'All requests' },
};

const listQuery = z.object({
  status: z.enum(requestStatuses).or(z.literal('')).optional(),
  cursor: z.string().max(200).optional(),
});

export function registerRequestPages(app: FastifyInstance): void {
  const { db } = app.deps;

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    const principal = request.principal;
    if (principal === null) return reply.redirect('/sign-in', 303);
    const words = wording[principal.role];
    const [page, proformas] = await Promise.all([
      listRequests(db, principal, { limit: 5 }),
      principal.role === 'school' ? listProformas(db, principal, { openOnly: true, limit: 20 }) : [],
    ]);
    return renderPage(request, reply, 'home.njk', {
      title: 'Home',
      heading: request.session?.displayName ?? 'Home',
      requests: page.items,
      proformas,
      listHeading: words.list,
      emptyText: words.empty,
      allLink: words.all,
    });
  });

  app.get('/requests', { config: { access: everyRole } }, async (request, reply) => {
    const principal = request.principal as Principal;
    const query = listQuery.safeParse(request.query);
    const status = query.success && query.data.status ? query.data.status : undefined;
    const cursor = query.success ? query.data.cursor : undefined;
    const page = await listRequests(db, principal, {
      limit: 50,
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const words = wording[principal.role];
    const nextParams = new URLSearchParams({
      ...(status ? { status } : {}),
      ...(page.nextCursor ? { cursor: page.nextCursor } : {}),
    });
    return renderPage(request, reply, 'requests.njk', {
      title: words.list,
      heading: words.list,
      items: page.items,
      emptyText: words.empty,
      showSchool: principal.role !== 'school',
      nextHref: page.nextCursor ? `/requests?${nextParams}` : null,
      statusItems: [
        { value: '', text: 'Any status', selected: status === undefined },
        ...requestStatuses.map((s) => ({ value: s, text: s.replace('-', ' '), selected: s === status })),
      ],
    });
  });

  app.get('/requests/:id', { config: { access: everyRole } }, async (request, reply) => {
    const id = idParam(request.params);
    const detail = await getRequest(db, request.principal as Principal, id);
    return renderPage(request, reply, 'request.njk', {
      title: `Request ${detail.reference}`,
      r: detail,
      backLink: { href: '/requests', text: 'Back to requests' },
    });
  });
}
