import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../actor.ts';
import type { ErrorCode } from '../../errors.ts';
import { parseOrThrow } from '../../validation.ts';
import type { Principal, WebDeps } from '../context.ts';

/*
 * One API route = one `apiRoute({...})` value: method, path, roles, zod schemas and a handler.
 * `registerApiRoutes` mounts each under /api/v1 (validating params, query and body with the schemas,
 * problem+json naming each bad field on error) and `openApiDocument` describes the same list, so a
 * route cannot exist without appearing in /api/openapi.json. A new feature adds its routes to the
 * list in src/web/api/index.ts.
 */

export const apiPrefix = '/api/v1';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiContext<P, Q, B> extends WebDeps {
  params: P;
  query: Q;
  body: B;
  /** Never null: every API route names its roles. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface ApiResult<R> {
  status?: number;
  body: R;
  headers?: Record<string, string>;
}

export interface ApiRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Under /api/v1, fastify syntax: `/requests/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads, for the document (e.g. Idempotency-Key). */
  headers?: Array<{ name: string; description: string; required?: boolean }>;
  /** The success status (default 200) and its body. */
  status?: number;
  response: R;
  responseDescription: string;
  /** Problems this route can answer besides 401/403 (documented as problem+json). */
  /**
   * false for a read that shows what the change feed does not announce (the audit log, the
   * outbox): it is never remembered. Other GET routes are (src/web/page-cache.ts).
   */
  cache?: false;
  errors?: ErrorCode[];
  handler(ctx: ApiContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<ApiResult<z.input<R>>>;
}

/** Declares an API route (typed from its schemas). */
export function apiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  route: ApiRoute<P, Q, B, R>,
): ApiRoute {
  return route as unknown as ApiRoute;
}

/** Mounts routes under /api/v1. */
export function registerApiRoutes(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: `${apiPrefix}${route.path}`,
      // API reads only read the database: remembered per caller (src/web/page-cache.ts).
      config: { access: route.roles, cache: route.method === 'GET' && route.cache !== false },
      handler: async (request, reply) => {
        const ctx: ApiContext<unknown, unknown, unknown> = {
          ...app.deps,
          params: route.params ? parseOrThrow(route.params, request.params, 'path') : request.params,
          query: route.query ? parseOrThrow(route.query, request.query ?? {}, 'query') : request.query,
          body: route.body ? parseOrThrow(route.body, request.body ?? {}, 'body') : undefined,
          principal: request.principal as Principal,
          request,
          reply,
        };
        const result = await route.handler(ctx);
        if (result.headers) reply.headers(result.headers);
        return reply
          .status(result.status ?? route.status ?? 200)
          .header('cache-control', 'no-store')
          .type('application/json; charset=utf-8')
          .send(result.body);
      },
    });
  }
}

/** `/requests/:id` -> `/requests/{id}` */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  return rest;
}

/** Each property of an object schema as an OpenAPI parameter. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (schema === undefined) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemStatus: Record<ErrorCode, string> = {
  'invalid-input': '422',
  'invalid-config': '500',
  'not-found': '404',
  conflict: '409',
  forbidden: '403',
  unauthenticated: '401',
  unavailable: '503',
  internal: '500',
};

/** The OpenAPI 3.1 document of the routes. */
export function openApiDocument(routes: readonly ApiRoute[], info: { serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const errors = new Set<ErrorCode>(['unauthenticated', 'forbidden', ...(route.errors ?? [])]);
    if (route.params || route.query || route.body) errors.add('invalid-input');
    const responses: Record<string, unknown> = {
      [String(route.status ?? 200)]: {
        description: route.responseDescription,
        content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
      },
    };
    for (const code of errors)
      responses[problemStatus[code]] = {
        description: code,
        content: { 'application/problem+json': { schema: problemRef } },
      };
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      'x-roles': route.roles,
      security: [{ bearer: [] }],
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...(route.headers ?? []).map((h) => ({
          name: h.name,
          in: 'header',
          required: h.required ?? false,
          description: h.description,
          schema: { type: 'string' },
        })),
      ],
      responses,
    };
    if (route.body)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
      };
    const path = `${apiPrefix}${openApiPath(route.path)}`;
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Early Help allocations hub API',
      version: '1',
      description:
        'JSON API of the allocations hub. Authenticate with an API token: `Authorization: Bearer <token>` ' +
        '(an admin creates one with `hub token create`). Errors are application/problem+json; `errors` names each bad field.',
    },
    servers: [{ url: info.serverUrl }],
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'errors'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
