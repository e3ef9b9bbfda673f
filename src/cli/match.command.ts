import type { Command } from 'commander';
import { parseMatchInput } from '../allocation/match.input.ts';
import { type MatchProposal, proposeMatches, unmatchedReasonText } from '../domain/matching.ts';
import { readJsonInput } from './input.ts';
import { action, type OutputOptions, print } from './output.ts';

interface MatchCommandOptions extends OutputOptions {
  input?: string;
  allScores?: boolean;
}

/** `hub match`: the batch proposal as a dry run from a JSON file; no database. */
export function registerMatchCommands(program: Command): void {
  program
    .command('match')
    .description('propose a lead agency for every request of a batch from a JSON file (dry run, no database)')
    .requiredOption('--input <file>', 'agencies, requests and optional weights as JSON ("-" for stdin)')
    .option('--all-scores', 'also list the score of every pair that passes the hard rules')
    .option('--json', 'print JSON (scores exact)')
    .action(
      action(async (options: MatchCommandOptions) => {
        const input = parseMatchInput(await readJsonInput(options.input ?? '-'));
        const proposal = proposeMatches(input.agencies, input.requests, {
          weights: input.weights,
          includeCandidates: options.allScores === true,
        });
        print(options, machineOutput(proposal), () => describe(proposal));
      }),
    );
}

/** The shape of issue 5: alternatives and unassigned entries carry ids and scores only. */
function machineOutput(p: MatchProposal) {
  return {
    assignments: p.assignments.map((a) => ({
      requestId: a.requestId,
      agencyId: a.agencyId,
      score: a.score,
      breakdown: a.breakdown,
      alternatives: a.alternatives.map((x) => ({ agencyId: x.agencyId, score: x.score })),
    })),
    unassigned: p.unassigned.map((u) => ({ requestId: u.requestId, reason: u.reason })),
    totalScore: p.totalScore,
    ...(p.candidates ? { candidates: p.candidates } : {}),
  };
}

function describe(p: MatchProposal): string[] {
  const total = p.assignments.length + p.unassigned.length;
  const s = (x: number) => x.toFixed(2);
  const lines = [`${p.assignments.length} of ${total} request(s) assigned, total score ${s(p.totalScore)}`];
  for (const a of p.assignments) {
    lines.push(`  ${a.requestId} -> ${a.agencyId}  ${s(a.score)}  ${a.breakdown.text}`);
    if (a.alternatives.length > 0) {
      lines.push(
        `      alternatives: ${a.alternatives.map((x) => `${x.agencyId} ${s(x.score)}`).join(', ')}`,
      );
    }
  }
  if (p.unassigned.length > 0) lines.push('Unassigned:');
  for (const u of p.unassigned) lines.push(`  ${u.requestId}  ${u.reason}: ${unmatchedReasonText[u.reason]}`);
  if (p.candidates) {
    lines.push('Candidate scores:');
    for (const c of p.candidates) lines.push(`  ${c.requestId}  ${c.agencyId}  ${s(c.score)}`);
  }
  return lines;
}
