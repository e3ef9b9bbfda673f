import { performance } from 'node:perf_hooks';
import { type AgendaCandidate, type AgendaInput, buildAgenda } from '../../src/domain/agenda.ts';

/*
 * The agenda builder against a trivial reference measured in the same run: sorting the same
 * candidates by (urgency, receivedAt, id). Ratios, not milliseconds, are what to compare across machines.
 */

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const windows = [
  { from: '09:30', to: '11:00' },
  { from: '10:00', to: '12:00' },
  { from: '13:00', to: '15:00' },
];

function candidates(count: number, slots: number, seed: number): AgendaInput {
  const next = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const families = Math.ceil(count * 0.7);
  const requests = Array.from({ length: count }, (_, i): AgendaCandidate => {
    const review = next() < 0.2;
    return {
      id: `EH-${seed}-${String(i).padStart(5, '0')}`,
      familyId: `F-${Math.floor(next() * families)}`,
      schoolId: `S${Math.floor(next() * 40)}`,
      kind: review ? 'review' : 'new',
      urgency: pick(['high', 'normal', 'normal', 'low'] as const),
      receivedAt: new Date(Date.UTC(2027, 0, 1) + Math.floor(next() * 80 * 86_400_000)).toISOString(),
      consent: next() < 0.93,
      proformaSubmitted: next() < 0.8,
      proformaDeadlinePassed: next() < 0.5,
      children: 1 + Math.floor(next() * 2),
      complex: next() < 0.1,
      timesCarriedOver: Math.floor(next() * 3),
      reviewDueAt: review
        ? new Date(Date.UTC(2027, 2, 1) + Math.floor(next() * 60 * 86_400_000)).toISOString()
        : null,
      attendanceWindow: next() < 0.3 ? pick(windows) : null,
      pinnedSlot: next() < 0.003 ? Math.floor(next() * slots) : null,
    };
  });
  return {
    sitting: {
      startsAt: '2027-03-31T09:30:00+01:00',
      slotMinutes: 30,
      slots,
      breakAfterSlot: Math.floor(slots / 2),
      breakMinutes: 15,
      timezone: 'Europe/London',
    },
    policy: { missingProforma: 'flag', complexSlots: 2, childrenForComplex: 3 },
    requests,
  };
}

const RANK = { high: 0, normal: 1, low: 2 } as const;
function reference(input: AgendaInput): number {
  const sorted = [...input.requests].sort(
    (a, b) =>
      RANK[a.urgency] - RANK[b.urgency] ||
      Date.parse(a.receivedAt) - Date.parse(b.receivedAt) ||
      (a.id < b.id ? -1 : 1),
  );
  return sorted.length;
}

/** Median milliseconds of `runs` calls, after a warm-up. */
function time(runs: number, work: () => unknown): number {
  for (let i = 0; i < Math.min(3, runs); i++) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export default async function ({ full }: { full: boolean }): Promise<void> {
  const runs = full ? 40 : 10;

  const big = candidates(2000, 24, 1);
  const bigAgenda = buildAgenda(big);
  const buildMs = time(runs, () => buildAgenda(big));
  const sortMs = time(runs, () => reference(big));
  console.log(
    `2,000 candidates into 24 slots: ${bigAgenda.items.length} items, ${bigAgenda.deferred.length} deferred; ` +
      `build ${buildMs.toFixed(2)} ms = ${(buildMs / sortMs).toFixed(1)}x sorting them (${sortMs.toFixed(2)} ms)`,
  );

  const hubs = Array.from({ length: 50 }, (_, i) => candidates(60, 16, 100 + i));
  const hubsMs = time(runs, () => hubs.map(buildAgenda));
  const hubsSortMs = time(runs, () => hubs.map(reference));
  console.log(
    `50 hubs x 60 candidates into 16 slots: build all ${hubsMs.toFixed(2)} ms = ` +
      `${(hubsMs / hubsSortMs).toFixed(1)}x sorting them (${hubsSortMs.toFixed(2)} ms)`,
  );
}
