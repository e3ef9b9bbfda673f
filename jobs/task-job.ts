import { z } from 'zod';
import { runDueTask, type TaskWork } from '../src/cycle/cycle.service.ts';
import type { JobDefinition } from '../src/queue/job.ts';
import type { TaskKind } from '../src/queue/task.repository.ts';

/** Payload of every task job: the due task's id and a version. Never personal data. */
export const taskPayload = z.strictObject({ v: z.literal(1), taskId: z.number().int().positive() });
export type TaskPayload = z.output<typeof taskPayload>;

/** A job that runs one due task of `kind` by its id (claim -> work -> done, in PostgreSQL). */
export function taskJob(kind: TaskKind, work: TaskWork): JobDefinition<TaskPayload> {
  return {
    name: kind,
    queue: 'tasks',
    payload: taskPayload,
    process: (ctx, { taskId }) => runDueTask(ctx, taskId, kind, work),
  };
}
