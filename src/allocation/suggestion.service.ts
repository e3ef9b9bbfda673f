import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import {
  type AgencyKind,
  agencyKinds,
  ageOn,
  type MatchAgency,
  type MatchProposal,
  type MatchRequest,
  matchWeightsSchema,
  proposeMatches,
} from '../domain/matching.ts';
import { AppError } from '../errors.ts';
import { zodIssues } from '../validation.ts';
import * as repo from './allocation.repository.ts';
import { type AllocationContext, decider } from './allocation.service.ts';
import * as suggestions from './suggestion.repository.ts';

/* Computing and reading a sitting's suggestions: load -> domain -> persist + audit in one transaction. */

type Db = Kysely<Database>;

/** Stored suggestions with database ids, as computed for one sitting. */
export interface ComputedSuggestions {
  sittingId: number;
  /** The domain proposal; request and agency ids are the database ids as strings. */
  proposal: MatchProposal;
}

/**
 * Computes the batch proposal for the sitting's agenda requests that have no lead agency yet
 * (status `on-agenda`), from live capacity, with children's ages on the sitting date, and replaces
 * their stored suggestions. "Already involved": an agency leading an open allocation for the same
 * family, or the school agency of the request's or a child's school. Throws not-found, conflict
 * (cancelled sitting), invalid-config (the hub's stored weights are wrong) or forbidden.
 */
export async function computeSuggestions(
  db: Db,
  sittingId: number,
  { now, actor }: AllocationContext,
): Promise<ComputedSuggestions> {
  if (actor.kind === 'user') decider(actor);
  return db.transaction().execute(async (trx) => {
    const sitting = await repo.findMatchSitting(trx, sittingId);
    if (!sitting) throw new AppError('not-found', `Sitting ${sittingId} not found`);
    if (sitting.status === 'cancelled') {
      throw new AppError(
        'conflict',
        `Sitting ${sittingId} is cancelled: move its requests to another sitting first`,
      );
    }
    const parsed = matchWeightsSchema.safeParse(sitting.matchWeights ?? {});
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, 'hubs.match_weights');
      throw new AppError(
        'invalid-config',
        `The hub's match weights are invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        { issues },
      );
    }
    const requests = await repo.findUnallocatedAgendaRequests(trx, sittingId);
    const ids = requests.map((r) => r.id);
    const [needs, children, agencies, leads] = await Promise.all([
      repo.findNeeds(trx, ids),
      repo.findChildren(trx, ids),
      repo.findActiveAgencies(trx),
      repo.findFamilyLeads(
        trx,
        requests.map((r) => r.familyId),
      ),
    ]);
    const schoolAgencies = new Map<number, number[]>();
    for (const a of agencies) {
      if (a.schoolId !== null)
        schoolAgencies.set(a.schoolId, [...(schoolAgencies.get(a.schoolId) ?? []), a.id]);
    }
    const matchRequests: MatchRequest[] = requests.map((r) => {
      const own = children.filter((c) => c.requestId === r.id);
      const schools = new Set([r.schoolId, ...own.map((c) => c.schoolId)]);
      const involved = new Set([
        ...leads.filter((l) => l.familyId === r.familyId).map((l) => l.agencyId),
        ...[...schools].flatMap((s) => (s === null ? [] : (schoolAgencies.get(s) ?? []))),
      ]);
      return {
        id: String(r.id),
        locality: r.locality,
        needs: needs.filter((n) => n.requestId === r.id).map((n) => ({ code: n.code, severity: n.severity })),
        childAges: own.map((c) => ageOn(c.dateOfBirth, sitting.date)),
        involvedAgencyIds: [...involved].sort((a, b) => a - b).map(String),
      };
    });
    const matchAgencies: MatchAgency[] = agencies.map((a) => ({
      id: String(a.id),
      kind: (agencyKinds as readonly string[]).includes(a.kind) ? (a.kind as AgencyKind) : 'other',
      specialisms: a.specialisms,
      localities: a.localities,
      cityWide: a.cityWide,
      minAge: a.minAge,
      maxAge: a.maxAge,
      capacity: a.capacity,
      activeCases: a.activeCases,
    }));
    const proposal = proposeMatches(matchAgencies, matchRequests, { weights: parsed.data });
    const rows: suggestions.SuggestionInput[] = [];
    for (const a of proposal.assignments) {
      rows.push({
        requestId: Number(a.requestId),
        agencyId: Number(a.agencyId),
        rank: 0,
        score: a.score,
        breakdown: a.breakdown,
      });
      a.alternatives.forEach((alt, i) => {
        rows.push({
          requestId: Number(a.requestId),
          agencyId: Number(alt.agencyId),
          rank: i + 1,
          score: alt.score,
          breakdown: alt.breakdown,
        });
      });
    }
    for (const u of proposal.unassigned) {
      u.alternatives.forEach((alt, i) => {
        rows.push({
          requestId: Number(u.requestId),
          agencyId: Number(alt.agencyId),
          rank: i + 1,
          score: alt.score,
          breakdown: alt.breakdown,
        });
      });
    }
    const unassigned = proposal.unassigned.map((u) => ({ requestId: Number(u.requestId), reason: u.reason }));
    await suggestions.replaceSuggestions(trx, sittingId, ids, rows, unassigned, now);
    await writeAudit(trx, actor, {
      action: 'suggestions.computed',
      entity: 'sitting',
      entityId: sittingId,
      details: {
        requests: ids.length,
        assigned: proposal.assignments.length,
        totalScore: proposal.totalScore,
        unassigned,
      },
    });
    return { sittingId, proposal };
  });
}

/** The stored suggestions of a sitting, by request then rank (for the coordinator's screen). */
export async function getSittingSuggestions(db: Db, sittingId: number): Promise<suggestions.SuggestionRow[]> {
  return suggestions.findSittingSuggestions(db, sittingId);
}
