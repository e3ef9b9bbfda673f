import { describe, expect, it } from 'vitest';
import { agendaBuildDueAt, dailyTasks } from '../../src/domain/schedule.ts';

const hubs = [
  { id: 1, timezone: 'Europe/London' },
  { id: 2, timezone: 'Europe/London' },
];

describe('daily tasks', () => {
  it('plans at 02:00 and chases at 08:00 local, keyed by the local date', () => {
    const tasks = dailyTasks(new Date('2027-07-07T12:00:00Z'), hubs);
    expect(tasks).toEqual([
      { kind: 'plan-sittings', key: '1:2027-07-07', hubId: 1, dueAt: new Date('2027-07-07T01:00:00Z') },
      { kind: 'plan-sittings', key: '2:2027-07-07', hubId: 2, dueAt: new Date('2027-07-07T01:00:00Z') },
      { kind: 'chase-proformas', key: '2027-07-07', hubId: null, dueAt: new Date('2027-07-07T07:00:00Z') },
    ]);
  });

  it('does not chase on a weekend or bank holiday', () => {
    expect(dailyTasks(new Date('2027-03-29T10:00:00Z'), hubs).map((t) => t.kind)).toEqual([
      'plan-sittings',
      'plan-sittings',
    ]);
    expect(dailyTasks(new Date('2027-03-27T10:00:00Z'), hubs).some((t) => t.kind === 'chase-proformas')).toBe(
      false,
    );
  });

  it('keeps one task per local day across the clock change (23-hour and 25-hour days)', () => {
    // Sunday 31 October 2027 is 25 hours long in London; hourly sweeps see one key per day.
    const keys = new Set<string>();
    for (let h = 0; h < 72; h++) {
      const now = new Date(Date.parse('2027-10-30T00:00:00Z') + h * 3600_000);
      for (const t of dailyTasks(now, [hubs[0]!])) keys.add(`${t.kind}:${t.key}:${t.dueAt.toISOString()}`);
    }
    expect([...keys].filter((k) => k.startsWith('plan-sittings'))).toEqual([
      'plan-sittings:1:2027-10-30:2027-10-30T01:00:00.000Z',
      // 02:00 on the day the clocks go back is already GMT (the change happens at 02:00 BST).
      'plan-sittings:1:2027-10-31:2027-10-31T02:00:00.000Z',
      'plan-sittings:1:2027-11-01:2027-11-01T02:00:00.000Z',
    ]);
  });
});

describe('agenda build due time', () => {
  it('is 07:00 local seven working days before the sitting', () => {
    // Wednesday 14 April 2027: seven working days back skips Easter Monday (29 March) is not in range;
    // 13,12,9,8,7,6,5 April -> Monday 5 April 07:00 BST.
    expect(agendaBuildDueAt('2027-04-14', 7, 'Europe/London')).toEqual(new Date('2027-04-05T06:00:00Z'));
  });
});
