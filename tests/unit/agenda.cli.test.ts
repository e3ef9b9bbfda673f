import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/agenda-input.ts';
import { runHub } from '../helpers/cli.ts';

/* `hub agenda --input`: the dry run needs no database, so it runs with the unit tests. */

const dir = mkdtempSync(join(tmpdir(), 'hub-agenda-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const input = {
  sitting: {
    startsAt: '2027-03-31T09:30:00+01:00',
    slotMinutes: 30,
    slots: 2,
    breakAfterSlot: null,
    breakMinutes: 0,
  },
  policy: { missingProforma: 'defer', complexSlots: 2, childrenForComplex: 3 },
  requests: [
    request('R1', { familyId: 'F1', urgency: 'high', attendanceWindow: { from: '10:00', to: '12:00' } }),
    request('R2', { familyId: 'F1', schoolId: 'S2' }),
    request('R3', { urgency: 'low' }),
    request('R4', { urgency: 'low', receivedAt: '2027-03-02T10:00:00Z' }),
    request('R5', { consent: false, proformaSubmitted: false }),
  ],
};

describe('hub agenda --input', { timeout: 60_000 }, () => {
  it('prints the agenda as JSON in the shape of the issue', async () => {
    const result = await runHub(['agenda', '--input', file('ok.json', input), '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      items: [
        {
          slot: 0,
          slotsUsed: 1,
          startsAt: '2027-03-31T09:30:00+01:00',
          endsAt: '2027-03-31T10:00:00+01:00',
          familyId: 'F-R3',
          requestIds: ['R3'],
          flags: [],
        },
        {
          slot: 1,
          slotsUsed: 1,
          startsAt: '2027-03-31T10:00:00+01:00',
          endsAt: '2027-03-31T10:30:00+01:00',
          familyId: 'F1',
          requestIds: ['R1', 'R2'],
          flags: [],
        },
      ],
      deferred: [
        { requestId: 'R5', reason: 'consent-missing' },
        { requestId: 'R4', reason: 'no-slot' },
      ],
    });
  });

  it('prints a readable summary without --json', async () => {
    const result = await runHub(['agenda', '--input', file('ok2.json', input)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('slot 1  10:00-10:30  F1: R1, R2');
    expect(result.stdout).toContain('deferred  R4  no-slot');
  });

  it('refuses invalid input with exit code 2, naming the field', async () => {
    const bad = { ...input, requests: [{ ...request('R1'), urgency: 'urgent' }] };
    const result = await runHub(['agenda', '--input', file('bad.json', bad)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('requests.0.urgency');
    expect(result.stdout).toBe('');
  });

  it('refuses a file that is not JSON, and a missing file, with exit code 2', async () => {
    const notJson = await runHub(['agenda', '--input', file('bad.txt', '{ nope')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('not valid JSON');
    const missing = await runHub(['agenda', '--input', join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });

  it('reads the input from stdin with --input -', async () => {
    const result = await runHub(['agenda', '--input', '-', '--json'], {}, JSON.stringify(input));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).items).toHaveLength(2);
  });
});
