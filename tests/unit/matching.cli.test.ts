import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHub } from '../helpers/cli.ts';

/* `hub match --input`: the dry run needs no database, so it runs with the unit tests. */

const dir = mkdtempSync(join(tmpdir(), 'hub-match-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const agency = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  kind: 'family-support',
  specialisms: ['parenting', 'attendance', 'housing'],
  localities: ['west'],
  cityWide: false,
  minAge: 0,
  maxAge: 18,
  capacity: 12,
  activeCases: 8,
  ...over,
});

const input = {
  agencies: [
    agency('A1'),
    agency('A2', { kind: 'education-welfare', specialisms: ['attendance'], cityWide: true, localities: [] }),
    agency('A3', { specialisms: ['exploitation-risk'], localities: ['east'], capacity: 3, activeCases: 3 }),
  ],
  requests: [
    {
      id: 'R1',
      locality: 'west',
      needs: [
        { code: 'parenting', severity: 3 },
        { code: 'attendance', severity: 2 },
        { code: 'housing', severity: 1 },
      ],
      childAges: [7, 12],
      involvedAgencyIds: ['A1'],
    },
    {
      id: 'R9',
      locality: 'east',
      needs: [{ code: 'exploitation-risk', severity: 3 }],
      childAges: [14],
      involvedAgencyIds: [],
    },
  ],
  weights: null,
};

describe('hub match', { timeout: 60_000 }, () => {
  it('prints the proposal as JSON in the shape of the issue, with exact scores', async () => {
    const result = await runHub(['match', '--input', file('ok.json', input), '--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(Object.keys(out)).toEqual(['assignments', 'unassigned', 'totalScore']);
    expect(out.assignments).toHaveLength(1);
    const [a] = out.assignments;
    expect(a).toMatchObject({ requestId: 'R1', agencyId: 'A1' });
    expect(a.breakdown.text).toBe(
      'needs 3/3 covered (parenting, attendance, housing); same locality; already involved; 4 of 12 places free; family-support suits 2/3 needs',
    );
    expect(a.alternatives).toEqual([{ agencyId: 'A2', score: expect.any(Number) }]);
    // Exact: a multiple of 2^-20, not rounded for display; the total is the exact sum.
    expect(Number.isInteger(a.score * 2 ** 20)).toBe(true);
    expect(a.score.toString().length).toBeGreaterThan(6);
    expect(out.totalScore).toBe(a.score);
    expect(out.unassigned).toEqual([{ requestId: 'R9', reason: 'no-capacity' }]);
  });

  it('lists every candidate pair with --all-scores', async () => {
    const result = await runHub(['match', '--input', file('all.json', input), '--json', '--all-scores']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(
      out.candidates.map((c: { requestId: string; agencyId: string }) => `${c.requestId}/${c.agencyId}`),
    ).toEqual(['R1/A1', 'R1/A2']);
  });

  it('reads stdin and prints rounded scores and reasons for people', async () => {
    const result = await runHub(['match', '--input', '-'], {}, JSON.stringify(input));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 of 2 request(s) assigned');
    expect(result.stdout).toMatch(/R1 -> A1 {2}0\.\d\d {2}needs 3\/3 covered/);
    expect(result.stdout).toMatch(/R9 {2}no-capacity/);
  });

  it('exits 2 naming every bad field', async () => {
    const bad = {
      ...input,
      agencies: [agency('A1', { activeCases: 13 }), agency('A1', { kind: 'charity' })],
      weights: { need: -1 },
    };
    const result = await runHub(['match', '--input', file('bad.json', bad)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('agencies.0.activeCases: must not exceed capacity');
    expect(result.stderr).toContain('agencies.1.kind');
    expect(result.stderr).toContain('weights.need: must be 0 or more');
  });

  it('exits 2 on a duplicate id, bad JSON or a missing file', async () => {
    const duplicate = await runHub([
      'match',
      '--input',
      file('dup.json', { ...input, agencies: [agency('A1'), agency('A1')] }),
    ]);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('agencies.1.id: is a duplicate id');
    const json = await runHub(['match', '--input', file('broken.json', '{"agencies": [')]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('input: ');
    const missing = await runHub(['match', '--input', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
