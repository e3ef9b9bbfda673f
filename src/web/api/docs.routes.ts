import type { FastifyInstance } from 'fastify';
import { problemTypes } from '../errors.ts';
import { renderPage } from '../render.ts';
import { type ApiRoute, apiPrefix, openApiDocument } from './define.ts';

/** GET /api/openapi.json (the OpenAPI 3.1 document) and GET /api/docs (the same, readable). */
export function registerApiDocs(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  const document = () => openApiDocument(routes, { serverUrl: app.deps.config.publicBaseUrl });
  app.get('/api/openapi.json', { config: { access: 'static' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(document()),
  );
  app.get('/api/docs', { config: { access: 'public' } }, async (request, reply) =>
    renderPage(request, reply, 'api-docs.njk', {
      title: 'API documentation',
      apiPrefix,
      routes: routes.map((r) => ({
        method: r.method,
        path: `${apiPrefix}${r.path}`,
        summary: r.summary,
        description: r.description ?? '',
        roles: r.roles.join(', '),
        anchor: r.operationId,
      })),
      problems: Object.entries(problemTypes).map(([code, p]) => ({ code, ...p })),
    }),
  );
}
