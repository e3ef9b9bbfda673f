import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import type { Config } from '../config.ts';
import type { EmailTransport } from '../email/transport.ts';
import type { Logger } from '../log.ts';

/** The two BullMQ queues: email sending is rate-limited apart from the rest. */
export type QueueName = 'tasks' | 'email';

export type JobName =
  | 'sweep'
  | 'plan-sittings'
  | 'build-agenda'
  | 'chase-proformas'
  | 'compute-suggestions'
  | 'send-email';

/** What a processor gets: the database, settings, the (possibly simulated) clock, and a way to enqueue more. */
export interface JobContext {
  db: Kysely<Database>;
  config: Readonly<Config>;
  now: () => Date;
  transport: EmailTransport;
  log: Logger;
  enqueue: (job: JobRequest) => Promise<void>;
}

/**
 * One job to run. `jobId` makes enqueueing idempotent (BullMQ ignores a second add with the same
 * id). Payloads carry ids and a version only: job data sits in Redis in clear text.
 */
export interface JobRequest {
  name: JobName;
  payload: { v: 1 } & Record<string, number | string>;
  jobId: string;
}

export interface JobDefinition<P> {
  name: JobName;
  queue: QueueName;
  payload: z.ZodType<P>;
  /** Thin: parse ids, call one service function, return a small summary for the logs. */
  process: (ctx: JobContext, payload: P) => Promise<Record<string, unknown>>;
}
