import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';

/*
 * GOV.UK Frontend's CSS, JavaScript, fonts and images, served from the npm package (no CDN, nothing
 * vendored), plus the service's own small init script. An allow-list: nothing else under
 * node_modules is reachable.
 */

const govukDist = fileURLToPath(new URL('../../node_modules/govuk-frontend/dist/govuk/', import.meta.url));
const own = fileURLToPath(new URL('./assets/', import.meta.url));

const files: Record<string, { root: string; path: string }> = {
  'govuk-frontend.min.css': { root: govukDist, path: 'govuk-frontend.min.css' },
  'govuk-frontend.min.js': { root: govukDist, path: 'govuk-frontend.min.js' },
  'manifest.json': { root: govukDist, path: 'assets/manifest.json' },
  'hub.mjs': { root: own, path: 'hub.mjs' },
  'hub.css': { root: own, path: 'hub.css' },
};

/** Registers GET /assets/* (needs @fastify/static registered with `serve: false`). */
export function registerAssets(app: FastifyInstance): void {
  app.get<{ Params: { '*': string } }>('/assets/*', { config: { access: 'static' } }, (request, reply) => {
    const name = request.params['*'];
    // Fonts and images carry a content hash or never change: cache them for a year.
    if (/^(fonts|images)\/[a-z0-9][a-z0-9.-]*\.(woff2?|svg|png|ico)$/.test(name))
      return reply.sendFile(`assets/${name}`, govukDist, { maxAge: '365d', immutable: true });
    const file = files[name];
    if (file === undefined) throw new AppError('not-found', `No asset ${name}`);
    return reply.sendFile(file.path, file.root, { maxAge: '1h' });
  });
}
