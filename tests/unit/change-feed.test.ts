import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.ts';
import { type ChangeFeed, openChangeFeed } from '../../src/db/change-feed.ts';
import type { DbHandle } from '../../src/db/client.ts';

/*
 * The change feed's promise: it vouches (a count) only while it provably hears every change, and
 * nothing remembered while it was deaf is used again. Driven here by a fake listener that the test
 * makes deaf or hearing, cuts, or refuses; the real engines are in tests/integration/change-feed.test.ts.
 */

const beatMs = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handle whose listening connection hears its NOTIFYs only while the test says so. */
function fakeHandle() {
  let onNotify: ((payload: string) => void) | null = null;
  let onLost: ((error: unknown) => void) | null = null;
  let listens = 0;
  let stops = 0;
  let refuse = false;
  let hearing = true;
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    // The beat's NOTIFY, "delivered" to whoever listens now when the connection hears.
    log: (event) => {
      const payload = event.query.parameters[1];
      const listener = onNotify;
      if (hearing && listener && typeof payload === 'string') setTimeout(() => listener(payload), 1);
    },
  });
  const handle: DbHandle = {
    db,
    engine: 'postgres',
    close: async () => {},
    listen: async (_channel, notify, lost) => {
      if (refuse) throw new Error('connection refused');
      listens++;
      onNotify = notify;
      onLost = lost;
      return async () => {
        stops++;
        onNotify = null;
      };
    },
  };
  return {
    handle,
    hear: (value: boolean) => {
      hearing = value;
    },
    announce: (table: string) => onNotify?.(table),
    cut: () => {
      onNotify = null;
      onLost?.(new Error('connection reset'));
    },
    refuse: (value: boolean) => {
      refuse = value;
    },
    listens: () => listens,
    stops: () => stops,
  };
}

/** Waits until `feed` vouches (or fails after a second). */
async function vouching(feed: ChangeFeed): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const g = feed.generation();
    if (g !== null) return g;
    await sleep(10);
  }
  throw new Error('the feed never vouched');
}

describe('the change feed', () => {
  let feed: ChangeFeed | null = null;
  afterEach(async () => {
    await feed?.close();
  });

  it('vouches only once its own beat comes back, then counts every change announced', async () => {
    const fake = fakeHandle();
    feed = await openChangeFeed(fake.handle, { beatMs });
    expect(feed.generation()).toBeNull();
    const first = await vouching(feed);
    fake.announce('agenda_items');
    fake.announce('requests');
    expect(feed.generation()).toBe(first + 2);
    // Another process's beat is not a change.
    fake.announce('beat:000000000000:7');
    expect(feed.generation()).toBe(first + 2);
  });

  it('stops vouching when its beats stop coming back, listens afresh, and never reuses a count', async () => {
    const fake = fakeHandle();
    const states: boolean[] = [];
    feed = await openChangeFeed(fake.handle, { beatMs, onStateChange: (live) => states.push(live) });
    const before = await vouching(feed);
    // A listener that died without a word: beats go out, nothing comes back.
    fake.hear(false);
    await sleep(beatMs * 3);
    expect(feed.generation()).toBeNull();
    // Still deaf after four beats: it drops that connection and listens on a new one.
    await sleep(beatMs * 4);
    expect(fake.stops()).toBeGreaterThanOrEqual(1);
    expect(fake.listens()).toBeGreaterThanOrEqual(2);
    expect(feed.generation()).toBeNull();
    // Hearing again: it vouches, for a count that no one has seen before.
    fake.hear(true);
    const after = await vouching(feed);
    expect(after).toBeGreaterThan(before);
    expect(states).toEqual([true, false, true]);
  });

  it('stops vouching at once when the listening connection is lost, and listens again', async () => {
    const fake = fakeHandle();
    const states: boolean[] = [];
    feed = await openChangeFeed(fake.handle, { beatMs, onStateChange: (live) => states.push(live) });
    const before = await vouching(feed);
    fake.refuse(true);
    fake.cut();
    expect(feed.generation()).toBeNull();
    await sleep(beatMs * 3);
    expect(feed.generation()).toBeNull(); // reconnecting is refused
    expect(fake.listens()).toBe(1);
    fake.refuse(false);
    const after = await vouching(feed);
    expect(fake.listens()).toBe(2);
    expect(after).toBeGreaterThan(before);
    expect(states).toEqual([true, false, true]);
  });

  it('does not vouch on a new connection until a beat comes back on it', async () => {
    const fake = fakeHandle();
    feed = await openChangeFeed(fake.handle, { beatMs });
    await vouching(feed);
    fake.hear(false);
    fake.cut();
    for (let i = 0; i < 100 && fake.listens() < 2; i++) await sleep(2);
    // Listening again, with every earlier beat heard, but none on this connection yet.
    expect(fake.listens()).toBe(2);
    expect(feed.generation()).toBeNull();
    await sleep(beatMs * 3);
    expect(feed.generation()).toBeNull();
  });

  it('says so when it never hears its own beats (LISTEN through a transaction pooler)', async () => {
    const fake = fakeHandle();
    fake.hear(false);
    const states: Array<[boolean, string]> = [];
    feed = await openChangeFeed(fake.handle, {
      beatMs,
      onStateChange: (live, why) => states.push([live, why]),
    });
    await sleep(beatMs * 3);
    expect(feed.generation()).toBeNull();
    expect(states).toHaveLength(1);
    expect(states[0]?.[0]).toBe(false);
    expect(states[0]?.[1]).toMatch(/unheard/);
  });

  it('vouches for nothing after it is closed', async () => {
    const fake = fakeHandle();
    feed = await openChangeFeed(fake.handle, { beatMs });
    await vouching(feed);
    await feed.close();
    expect(feed.generation()).toBeNull();
  });
});
