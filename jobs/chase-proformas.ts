import { chaseProformasWork } from '../src/cycle/cycle.service.ts';
import { taskJob } from './task-job.ts';

/** Every working day at 08:00 local: queue due reminders and escalations in the outbox. */
export const chaseProformasJob = taskJob('chase-proformas', chaseProformasWork);
