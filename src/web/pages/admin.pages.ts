import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { listHubSummaries } from '../../admin/hub-admin.repository.ts';
import { queueHealth } from '../../admin/ops-admin.service.ts';
import { registerAdminClosurePages } from './admin-closures.pages.ts';
import { registerAdminDirectoryPages } from './admin-directory.pages.ts';
import { registerAdminHubPages } from './admin-hubs.pages.ts';
import { registerAdminOpsPages } from './admin-ops.pages.ts';
import { registerAdminQueueBoard } from './admin-queues.pages.ts';
import { adminOnly, renderAdmin } from './admin-shared.pages.ts';
import { registerAdminUserPages } from './admin-users.pages.ts';

/*
 * The admin's pages (every one admin-only): hubs and closures, schools, agencies, people and the
 * need taxonomy, the audit log, the email outbox and queue health; with Redis, the BullMQ
 * dashboard at /admin/queues. Every change goes through a service that audits it.
 */

/** Registers every admin page (and the queue dashboard when Redis is configured). */
export async function registerAdminPages(app: FastifyInstance): Promise<void> {
  const { db, now, config } = app.deps;

  app.get('/admin', adminOnly, async (request, reply) => {
    const today = DateTime.fromJSDate(now(), { zone: config.timezone }).toISODate() as string;
    const [hubs, health] = await Promise.all([listHubSummaries(db, today), queueHealth(db)]);
    const failedTasks = health.tasks.filter((t) => t.state === 'failed').reduce((n, t) => n + t.count, 0);
    return renderAdmin(request, reply, 'index.njk', {
      title: 'Admin',
      hubs,
      outbox: health.outbox,
      failedTasks,
      redis: config.redisUrl !== null,
    });
  });

  registerAdminHubPages(app);
  registerAdminClosurePages(app);
  registerAdminDirectoryPages(app);
  registerAdminUserPages(app);
  registerAdminOpsPages(app);
  if (config.redisUrl !== null) await registerAdminQueueBoard(app, config.redisUrl);
}
