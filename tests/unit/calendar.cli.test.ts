import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `hub plan --config` needs no database: run the real CLI as a user would.

const dir = mkdtempSync(join(tmpdir(), 'hub-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cityHub = {
  name: 'City Hub',
  timezone: 'Europe/London',
  rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
  firstSitting: '2027-01-06',
  startTime: '09:30',
  slotMinutes: 30,
  slotsPerSitting: 8,
  breakAfterSlot: null,
  breakMinutes: 0,
  holidayPolicy: 'skip',
  closures: ['2027-12-29'],
};

function config(name: string, value: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function hub(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/hub.mjs', ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('hub plan --config', { timeout: 60_000 }, () => {
  it('prints the plan as JSON in the documented shape', async () => {
    const result = await hub([
      'plan',
      '--config',
      config('city', cityHub),
      '--from',
      '2027-01-01',
      '--to',
      '2027-12-31',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(Object.keys(plan)).toEqual(['sittings', 'skipped']);
    expect(plan.sittings).toHaveLength(26);
    expect(plan.sittings[0]).toEqual({
      date: '2027-01-06',
      startsAt: '2027-01-06T09:30:00+00:00',
      endsAt: '2027-01-06T13:30:00+00:00',
      slots: expect.any(Array),
      movedFrom: null,
    });
    expect(plan.sittings[0].slots[0]).toEqual({
      index: 0,
      startsAt: '2027-01-06T09:30:00+00:00',
      endsAt: '2027-01-06T10:00:00+00:00',
    });
    expect(plan.sittings[13].startsAt).toBe('2027-07-07T09:30:00+01:00');
  });

  it('gives the same JSON whatever the server zone', async () => {
    const args = [
      'plan',
      '--config',
      config('city-tz', cityHub),
      '--from',
      '2027-03-01',
      '--to',
      '2027-11-30',
      '--json',
    ];
    const [utc, london] = await Promise.all([
      hub(args, { TZ: 'UTC' }),
      hub(args, { TZ: 'Australia/Sydney' }),
    ]);
    expect(utc.code).toBe(0);
    expect(london.stdout).toBe(utc.stdout);
  });

  it('prints a table with moves and their reasons for people', async () => {
    const mondays = {
      ...cityHub,
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO',
      firstSitting: '2027-01-04',
      holidayPolicy: 'next-working-day',
    };
    const result = await hub([
      'plan',
      '--config',
      config('mondays', mondays),
      '--from',
      '2027-01-01',
      '--to',
      '2027-12-31',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^2027-01-04 {2}Mon {2}09:30-13:30 GMT +8$/m);
    expect(result.stdout).toMatch(
      /^2027-03-30 {2}Tue {2}09:30-13:30 BST +8 {2}moved from 2027-03-29 \(Easter Monday\)$/m,
    );
    expect(result.stdout).toMatch(/^2027-08-30 {2}Mon {2}Summer bank holiday -> 2027-08-31$/m);
  });

  it('refuses a bad config with exit code 2, naming every bad field', async () => {
    const bad = {
      ...cityHub,
      rrule: 'FREQ=WEEKLY;BYDAY=XX',
      startTime: '25:00',
      slotsPerSitting: 0,
      timezone: 'Mars/Olympus',
    };
    const result = await hub([
      'plan',
      '--config',
      config('bad', bad),
      '--from',
      '2027-01-01',
      '--to',
      '2027-12-31',
    ]);
    expect(result.code).toBe(2);
    for (const field of ['rrule', 'startTime', 'slotsPerSitting', 'timezone']) {
      expect(result.stderr).toMatch(new RegExp(`^\\s*- ${field}: `, 'm'));
    }
    expect(result.stdout).toBe('');
  });

  it('reports a bad config as JSON issues with --json', async () => {
    const result = await hub([
      'plan',
      '--config',
      config('bad-break', { ...cityHub, breakAfterSlot: 8 }),
      '--from',
      '2027-01-01',
      '--to',
      '2027-12-31',
      '--json',
    ]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout).error).toMatchObject({
      code: 'invalid-input',
      issues: [{ field: 'breakAfterSlot', message: expect.stringMatching(/1 to 7/) }],
    });
  });

  it.each([
    [['--from', '2027-12-31', '--to', '2027-01-01'], /to: must be on or after from/],
    [['--to', '2027-12-31'], /--from is needed/],
  ])('refuses dates %j with exit code 2', async (dates, message) => {
    const result = await hub(['plan', '--config', config('dates', cityHub), ...dates]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a file that is not JSON, and one that does not exist, with exit code 2', async () => {
    const notJson = await hub([
      'plan',
      '--config',
      config('broken', '{ "name": '),
      '--from',
      '2027-01-01',
      '--to',
      '2027-01-31',
    ]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/not valid JSON/);
    const missing = await hub([
      'plan',
      '--config',
      join(dir, 'nope.json'),
      '--from',
      '2027-01-01',
      '--to',
      '2027-01-31',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read/);
  });
});
