import { describe, expect, it } from 'vitest';
import { parseAgendaInput } from '../../src/agenda/agenda.input.ts';
import { isAppError } from '../../src/errors.ts';
import { request } from '../helpers/agenda-input.ts';

describe('parseAgendaInput', () => {
  const valid = {
    sitting: { startsAt: '2027-03-31T09:30:00+01:00', slotMinutes: 30, slots: 8 },
    requests: [],
  };

  function issueFields(raw: unknown): string[] {
    try {
      parseAgendaInput(raw);
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid-input') return error.issues.map((i) => i.field);
      throw error;
    }
    return [];
  }

  it('names every bad field', () => {
    const fields = issueFields({
      sitting: { ...valid.sitting, breakAfterSlot: 8 },
      requests: [
        { ...request('R1'), urgency: 'urgent' },
        { ...request('R2'), attendanceWindow: { from: '12:00', to: '10:00' }, receivedAt: '2027-03-01' },
      ],
    });
    expect(fields.sort()).toEqual([
      'requests.0.urgency',
      'requests.1.attendanceWindow.to',
      'requests.1.receivedAt',
      'sitting.breakAfterSlot',
    ]);
  });

  it('refuses duplicate ids and pins outside the sitting', () => {
    const fields = issueFields({ ...valid, requests: [request('R1'), { ...request('R1'), pinnedSlot: 8 }] });
    expect(fields).toEqual(['requests.1.id', 'requests.1.pinnedSlot']);
  });

  it('fills the hub defaults for what a person usually leaves out', () => {
    const parsed = parseAgendaInput({
      ...valid,
      requests: [
        {
          id: 'R1',
          familyId: 'F1',
          kind: 'new',
          urgency: 'low',
          receivedAt: '2027-03-01T10:00:00Z',
          consent: true,
          proformaSubmitted: true,
        },
      ],
    });
    expect(parsed.policy).toEqual({ missingProforma: 'flag', complexSlots: 2, childrenForComplex: 3 });
    expect(parsed.requests[0]).toMatchObject({
      children: 1,
      pinnedSlot: null,
      attendanceWindow: null,
      timesCarriedOver: 0,
    });
  });
});
