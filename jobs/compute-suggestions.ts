import { computeSuggestions } from '../src/allocation/suggestion.service.ts';
import { workerActor } from '../src/cycle/cycle.service.ts';
import { taskJob } from './task-job.ts';

/** After an agenda is built: propose a lead agency for every request on it, from live capacity. */
export const computeSuggestionsJob = taskJob('compute-suggestions', async (task, ctx) => {
  const sittingId = task.sittingId as number;
  const { proposal } = await computeSuggestions(ctx.db, sittingId, { now: ctx.now(), actor: workerActor });
  return { sittingId, proposed: proposal.assignments.length, unassigned: proposal.unassigned.length };
});
