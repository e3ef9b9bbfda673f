import { buildAgendaWork } from '../src/cycle/cycle.service.ts';
import { taskJob } from './task-job.ts';

/** N working days before a sitting: build its draft agenda, request proformas, queue suggestions. */
export const buildAgendaJob = taskJob('build-agenda', buildAgendaWork);
