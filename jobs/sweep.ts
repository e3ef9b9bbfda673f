import { z } from 'zod';
import { sweepSessions } from '../src/auth/session.service.ts';
import { sweep } from '../src/cycle/cycle.service.ts';
import type { JobDefinition } from '../src/queue/job.ts';

const payload = z.strictObject({ v: z.literal(1) });

/**
 * The fixed-interval sweeper: turns due rows in PostgreSQL into jobs. Job ids carry the task id and
 * attempt, so a job already queued is not queued twice; a wiped Redis is refilled on the next pass.
 */
export const sweepJob: JobDefinition<z.output<typeof payload>> = {
  name: 'sweep',
  queue: 'tasks',
  payload,
  process: async (ctx) => {
    const now = ctx.now();
    const { due, emailsDue } = await sweep(ctx.db, now);
    let failed = 0;
    for (const task of due) {
      // One task that cannot be queued must not stop the others from being queued.
      try {
        await ctx.enqueue({
          name: task.kind,
          payload: { v: 1, taskId: task.id },
          jobId: `${task.kind}-${task.id}-${task.attempts}`,
        });
      } catch (error) {
        failed++;
        ctx.log.error(
          { task: task.kind, taskId: task.id, err: (error as Error).message },
          'could not queue task',
        );
      }
    }
    // One dispatcher pass per quarter minute at most; it sends everything due.
    if (emailsDue > 0)
      await ctx.enqueue({
        name: 'send-email',
        payload: { v: 1 },
        jobId: `send-email-${Math.floor(now.getTime() / 15_000)}`,
      });
    // Ended and idle sessions are deleted (the app refuses them anyway; this keeps the table small).
    const sessionsEnded = await sweepSessions(ctx.db, now);
    return { tasks: due.length, notQueued: failed, emailsDue, sessionsEnded };
  },
};
