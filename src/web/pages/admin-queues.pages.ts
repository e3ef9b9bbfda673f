import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Role } from '../../actor.ts';
import { redisConnection } from '../../queue/connection.ts';

/*
 * The BullMQ dashboard (bull-board) at /admin/queues, for admins only, read only, when Redis is
 * configured. It shows the queues the workers use ('tasks' and 'email', key prefix 'hub').
 *
 * bull-board registers its own routes, which declare no `config.access`; inside its plugin every
 * route is given `access: ['admin']` before the app's deny-by-default hook sees it, so the usual
 * session check applies (visitors go to sign in, other roles get 403). Only GET/HEAD routes are
 * registered at all: the board is read-only (jobs hold ids only; retrying is done through the
 * outbox and due-task pages, which audit it), so its PUT/POST/PATCH endpoints do not exist here.
 * Errors go to the app's own error handler (bull-board's would answer 500 for a 403).
 *
 * CSP: the board's page runs only its own external scripts (its config is an inert JSON block), so
 * script-src stays as everywhere. Its page finds its assets through `<base href="/admin/queues/">`,
 * its loading placeholder uses inline styles and it links Google Fonts: on these paths only,
 * base-uri is 'self' (not 'none') and style-src is 'self' 'unsafe-inline' (without the nonce, which would make
 * browsers ignore 'unsafe-inline'); scripts are untouched. The fonts stay blocked and the board falls
 * back to system fonts.
 */

/** The workers' key prefix (src/queue/workers.ts) and queue names (src/queue/runner.ts). */
export const boardPrefix = 'hub';
export const boardQueues = ['tasks', 'email'] as const;

const readOnlyMethods = new Set(['GET', 'HEAD']);

export async function registerAdminQueueBoard(app: FastifyInstance, redisUrl: string): Promise<void> {
  const connection = redisConnection(redisUrl, { worker: false });
  const queues = boardQueues.map((name) => new Queue(name, { connection, prefix: boardPrefix }));
  app.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((q) => q.close()));
    connection.disconnect();
  });

  const board = new FastifyAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    // @bull-board/fastify carries its own nested copy of @bull-board/api (9.10.1 beside our 9.10.2):
    // the same interface at run time, two declarations for TypeScript.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Hub queues' } },
  });

  await app.register(
    async (instance) => {
      // Plugins below inherit this `route` (fastify contexts are prototype-chained); it must run
      // with `this` = the calling context, so bull-board's routes see its own decorators (reply.view).
      const route = instance.route;
      function admitted(this: FastifyInstance, options: RouteOptions) {
        const methods = [options.method].flat();
        if (!methods.every((m) => readOnlyMethods.has(m))) return this;
        return route.call(this, {
          ...options,
          config: { ...options.config, access: ['admin'] as readonly Role[] },
        });
      }
      Object.assign(instance, {
        route: admitted,
        setErrorHandler(this: FastifyInstance) {
          return this;
        },
      });
      instance.addHook('onSend', async (_request, reply, payload) => {
        const csp = reply.getHeader('content-security-policy');
        if (typeof csp === 'string')
          reply.header(
            'content-security-policy',
            csp
              .replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'")
              .replace("base-uri 'none'", "base-uri 'self'"),
          );
        return payload;
      });
      await instance.register(board.registerPlugin());
    },
    { prefix: '/admin/queues' },
  );
}
