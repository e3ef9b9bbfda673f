import { z } from 'zod';
import { actorLabel } from '../../actor.ts';
import { runOnce } from '../../idempotency/idempotency.service.ts';
import {
  createRequestInput,
  listRequestsQuery,
  requestDetail,
  requestPage,
} from '../../requests/request.schemas.ts';
import { createRequest, getRequest, listRequests } from '../../requests/request.service.ts';
import { everyRole } from '../context.ts';
import { apiRoute } from './define.ts';

const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

export const requestRoutes = [
  apiRoute({
    method: 'GET',
    path: '/requests',
    operationId: 'listRequests',
    summary: 'List requests',
    description:
      'Newest first (by received time). Schools see their own requests, agencies the requests allocated to them. ' +
      'Pass `nextCursor` back as `cursor` for the next page.',
    tag: 'requests',
    roles: everyRole,
    query: listRequestsQuery,
    response: requestPage,
    responseDescription: 'A page of requests',
    handler: async ({ db, principal, query }) => ({ body: await listRequests(db, principal, query) }),
  }),
  apiRoute({
    method: 'GET',
    path: '/requests/:id',
    operationId: 'getRequest',
    summary: 'Get one request',
    description: 'A request outside your scope answers 404, exactly like a missing one.',
    tag: 'requests',
    roles: everyRole,
    params: idParams,
    response: requestDetail,
    responseDescription: 'The request',
    errors: ['not-found'],
    handler: async ({ db, principal, params }) => ({ body: await getRequest(db, principal, params.id) }),
  }),
  apiRoute({
    method: 'POST',
    path: '/requests',
    operationId: 'createRequest',
    summary: 'Create a request (the front door)',
    description:
      'Children are given by date of birth only, the family by reference. Send an Idempotency-Key: a retried ' +
      'POST with the same key and body creates one request and returns the same response ' +
      '(with `Idempotent-Replayed: true`).',
    tag: 'requests',
    roles: ['admin', 'coordinator'],
    body: createRequestInput,
    headers: [
      {
        name: 'Idempotency-Key',
        description: 'A unique key per new request (a UUID); a retry with the same key replays the response',
      },
    ],
    status: 201,
    response: requestDetail,
    responseDescription: 'The request as created',
    errors: ['conflict'],
    handler: async ({ db, principal, request, now }) => {
      const key = request.headers['idempotency-key'];
      const result = await runOnce(
        db,
        { principal: actorLabel(principal), key: Array.isArray(key) ? key[0] : key, body: request.body },
        async (trx) => ({
          status: 201,
          body: await createRequest(trx, principal, request.body, { now: now() }),
        }),
      );
      const detail = result.body as z.output<typeof requestDetail>;
      return {
        status: result.status,
        body: detail,
        headers: {
          location: `/api/v1/requests/${detail.id}`,
          ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
        },
      };
    },
  }),
];
