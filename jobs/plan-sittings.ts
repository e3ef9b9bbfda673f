import { planSittingsWork } from '../src/cycle/cycle.service.ts';
import { taskJob } from './task-job.ts';

/** Daily (02:00 local, per hub): extend the hub's sittings to the horizon; schedule agenda builds. */
export const planSittingsJob = taskJob('plan-sittings', planSittingsWork);
