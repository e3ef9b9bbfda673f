import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isAppError } from '../errors.ts';
import type { JobContext, JobDefinition, JobName, JobRequest, QueueName } from './job.ts';

/**
 * Runs the job processors: on BullMQ when Redis is configured, in-process otherwise (the embedded
 * default). Both run the same definitions; the sweeper (a fixed-interval job) is what keeps them fed.
 */
export interface JobRunner {
  readonly kind: 'bullmq' | 'in-process';
  enqueue(job: JobRequest): Promise<void>;
  /** Starts consuming, with the sweeper every `sweepSeconds`. */
  start(): Promise<void>;
  /** One sweep, then every job it leads to, then returns (for cron, tests and the demo). */
  runOnce(): Promise<RunCounts>;
  /** Stops taking jobs, lets in-flight ones finish, closes connections. */
  stop(): Promise<void>;
}

export interface RunCounts {
  completed: Partial<Record<JobName, number>>;
  failed: number;
}

// biome-ignore lint/suspicious/noExplicitAny: definitions of different payload types live in one list
type AnyDefinition = JobDefinition<any>;

export interface RunnerOptions {
  definitions: AnyDefinition[];
  /** The context minus `enqueue`, which the runner supplies. */
  context: Omit<JobContext, 'enqueue'>;
  sweepSeconds?: number;
  concurrency?: Partial<Record<QueueName, number>>;
}

const sweepJob: JobRequest = { name: 'sweep', payload: { v: 1 }, jobId: 'sweep' };

function definitionOf(definitions: AnyDefinition[], name: string): AnyDefinition {
  const definition = definitions.find((d) => d.name === name);
  if (!definition) throw new UnrecoverableError(`No processor for job "${name}"`);
  return definition;
}

/** Bad input or a missing row will not get better by retrying; everything else may. */
function isPermanent(error: unknown): boolean {
  return (
    isAppError(error) && ['invalid-input', 'not-found', 'forbidden', 'invalid-config'].includes(error.code)
  );
}

export function createInProcessRunner(options: RunnerOptions): JobRunner {
  const waiting: JobRequest[] = [];
  const counts: RunCounts = { completed: {}, failed: 0 };
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;

  const context: JobContext = {
    ...options.context,
    enqueue: async (job) => {
      // Same id already waiting: the in-process twin of BullMQ's de-duplication.
      if (!waiting.some((w) => w.jobId === job.jobId)) waiting.push(job);
    },
  };

  async function drain(): Promise<void> {
    for (let job = waiting.shift(); job !== undefined; job = waiting.shift()) {
      try {
        const definition = definitionOf(options.definitions, job.name);
        await definition.process(context, definition.payload.parse(job.payload));
        counts.completed[job.name] = (counts.completed[job.name] ?? 0) + 1;
      } catch (error) {
        counts.failed++;
        options.context.log.error(
          { job: job.name, jobId: job.jobId, err: (error as Error).message },
          'job failed',
        );
      }
    }
  }

  const runDrain = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
    });
    return draining;
  };

  return {
    kind: 'in-process',
    enqueue: async (job) => {
      await context.enqueue(job);
    },
    async start() {
      const tick = async () => {
        await context.enqueue(sweepJob);
        await runDrain();
      };
      await tick();
      timer = setInterval(() => void tick(), (options.sweepSeconds ?? 30) * 1000);
    },
    async runOnce() {
      counts.completed = {};
      counts.failed = 0;
      await context.enqueue(sweepJob);
      await runDrain();
      // A drain that was already under way may have missed the sweep's jobs: drain again.
      if (waiting.length > 0) await runDrain();
      return { completed: { ...counts.completed }, failed: counts.failed };
    },
    async stop() {
      if (timer) clearInterval(timer);
      await draining;
    },
  };
}

export interface BullRunnerOptions extends RunnerOptions {
  /** Worker connections (maxRetriesPerRequest null) and the producer connection. */
  connection: Redis;
  /** Key prefix: one per deployment (and one per test). */
  prefix: string;
}

export function createBullRunner(options: BullRunnerOptions): JobRunner {
  const connection = options.connection as unknown as ConnectionOptions;
  const queues: Record<QueueName, Queue> = {
    tasks: new Queue('tasks', { connection, prefix: options.prefix }),
    email: new Queue('email', { connection, prefix: options.prefix }),
  };
  const log = options.context.log;
  for (const [name, queue] of Object.entries(queues)) {
    queue.on('error', (error) => log.error({ queue: name, err: error.message }, 'queue error'));
  }
  const workers: Worker[] = [];
  const counts: RunCounts = { completed: {}, failed: 0 };

  async function enqueue(job: JobRequest): Promise<void> {
    const definition = definitionOf(options.definitions, job.name);
    await queues[definition.queue].add(job.name, job.payload, {
      jobId: job.jobId,
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  const context: JobContext = { ...options.context, enqueue };

  function startWorkers(): void {
    if (workers.length > 0) return;
    for (const queueName of Object.keys(queues) as QueueName[]) {
      const worker = new Worker(
        queueName,
        async (job: Job) => {
          const definition = definitionOf(options.definitions, job.name);
          const parsed = definition.payload.safeParse(job.data);
          if (!parsed.success)
            throw new UnrecoverableError(`Bad payload for ${job.name}: ${parsed.error.message}`);
          try {
            return await definition.process(context, parsed.data);
          } catch (error) {
            if (isPermanent(error)) throw new UnrecoverableError((error as Error).message);
            throw error;
          }
        },
        {
          connection,
          prefix: options.prefix,
          concurrency: options.concurrency?.[queueName] ?? (queueName === 'email' ? 2 : 4),
          // A job whose worker died is picked up again after this (a stalled job may run twice:
          // every processor is idempotent, and PostgreSQL decides what is really done).
          stalledInterval: 30_000,
        },
      );
      worker.on('error', (error) => log.error({ queue: queueName, err: error.message }, 'worker error'));
      worker.on('completed', (job) => {
        const name = job.name as JobName;
        counts.completed[name] = (counts.completed[name] ?? 0) + 1;
      });
      worker.on('failed', (job, error) => {
        counts.failed++;
        log.error(
          { job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error.message },
          'job failed',
        );
      });
      workers.push(worker);
    }
  }

  async function idle(): Promise<boolean> {
    for (const queue of Object.values(queues)) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(c).some((n) => n > 0)) return false;
    }
    return true;
  }

  return {
    kind: 'bullmq',
    enqueue,
    async start() {
      startWorkers();
      // A fixed-interval scheduler in UTC milliseconds: no cron-with-timezone repeats, which
      // double-run or skip at clock changes. The sweeper itself decides what is due from PostgreSQL.
      await queues.tasks.upsertJobScheduler(
        'sweeper',
        { every: (options.sweepSeconds ?? 30) * 1000 },
        {
          name: 'sweep',
          data: { v: 1 },
          opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      );
    },
    async runOnce() {
      counts.completed = {};
      counts.failed = 0;
      startWorkers();
      await enqueue({ ...sweepJob, jobId: `sweep-once-${Date.now()}` });
      // Idle twice in a row: a job that just completed may have enqueued another.
      let calm = 0;
      while (calm < 2) {
        await new Promise((r) => setTimeout(r, 50));
        calm = (await idle()) ? calm + 1 : 0;
      }
      return { completed: { ...counts.completed }, failed: counts.failed };
    },
    async stop() {
      // Worker.close() waits for jobs in flight, then releases its connection.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
