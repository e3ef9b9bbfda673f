import type { JobDefinition } from '../src/queue/job.ts';
import { buildAgendaJob } from './build-agenda.ts';
import { chaseProformasJob } from './chase-proformas.ts';
import { computeSuggestionsJob } from './compute-suggestions.ts';
import { planSittingsJob } from './plan-sittings.ts';
import { sendEmailJob } from './send-email.ts';
import { sweepJob } from './sweep.ts';

/** Every job the workers run. */
// biome-ignore lint/suspicious/noExplicitAny: one list of processors with different payload types
export const jobDefinitions: JobDefinition<any>[] = [
  sweepJob,
  planSittingsJob,
  buildAgendaJob,
  chaseProformasJob,
  sendEmailJob,
  computeSuggestionsJob,
];
