import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.ts';
import { type ChangeFeed, openChangeFeed } from '../../src/db/change-feed.ts';
import type { DbHandle } from '../../src/db/client.ts';

/*
 * The change feed's promise: it vouches (a count) only while it provably hears every change, and
 * nothing remembered while it was deaf is used again. Driven here by a fake listener, so the test
 * decides what is heard and when; the real engines are in tests/integration/change-feed.test.ts.
 */

const beatMs = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handle whose NOTIFYs are held for the test to deliver, and whose listening connection it can cut. */
function fakeHandle() {
  const beats: string[] = [];
  let onNotify: ((payload: string) => void) | null = null;
  let onLost: ((error: unknown) => void) | null = null;
  let listens = 0;
  let refuse = false;
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      const payload = event.query.parameters[1];
      if (typeof payload === 'string' && payload.startsWith('beat:')) beats.push(payload);
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
        onNotify = null;
      };
    },
  };
  return {
    handle,
    /** Delivers every beat sent so far (the listener hears). */
    hearBeats: async () => {
      await sleep(5); // a beat is sent by a query that runs asynchronously
      for (const beat of beats.splice(0)) onNotify?.(beat);
    },
    dropBeats: () => beats.splice(0),
    announce: (table: string) => onNotify?.(table),
    cut: () => onLost?.(new Error('connection reset')),
    refuse: (value: boolean) => {
      refuse = value;
    },
    listens: () => listens,
  };
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
    await fake.hearBeats();
    const first = feed.generation();
    expect(first).not.toBeNull();
    fake.announce('agenda_items');
    fake.announce('requests');
    expect(feed.generation()).toBe((first as number) + 2);
    // Another process's beat is not a change.
    fake.announce('beat:000000000000:7');
    expect(feed.generation()).toBe((first as number) + 2);
  });

  it('stops vouching when its beats stop coming back, and never reuses a count from before', async () => {
    const fake = fakeHandle();
    feed = await openChangeFeed(fake.handle, { beatMs });
    await fake.hearBeats();
    const before = feed.generation() as number;
    // A listener that died without a word: beats go out, nothing comes back.
    await sleep(beatMs * 3);
    fake.dropBeats();
    expect(feed.generation()).toBeNull();
    // A change during the deaf spell is missed; hearing again must not vouch for `before`.
    await sleep(beatMs * 2);
    await fake.hearBeats();
    const after = feed.generation();
    expect(after).not.toBeNull();
    expect(after).toBeGreaterThan(before);
  });

  it('stops vouching at once when the listening connection is lost, and listens again', async () => {
    const fake = fakeHandle();
    const states: boolean[] = [];
    feed = await openChangeFeed(fake.handle, { beatMs, onStateChange: (live) => states.push(live) });
    await fake.hearBeats();
    const before = feed.generation() as number;
    fake.refuse(true);
    fake.cut();
    expect(feed.generation()).toBeNull();
    await sleep(beatMs * 3);
    expect(feed.generation()).toBeNull(); // reconnecting is refused
    fake.refuse(false);
    await sleep(beatMs * 3);
    await fake.hearBeats();
    expect(fake.listens()).toBe(2);
    expect(feed.generation()).toBeGreaterThan(before);
    expect(states).toEqual([true, false, true]);
  });

  it('says so when it never hears its own beats (LISTEN through a transaction pooler)', async () => {
    const fake = fakeHandle();
    const states: Array<[boolean, string]> = [];
    feed = await openChangeFeed(fake.handle, {
      beatMs,
      onStateChange: (live, why) => states.push([live, why]),
    });
    await sleep(beatMs * 5);
    fake.dropBeats();
    expect(feed.generation()).toBeNull();
    expect(states).toHaveLength(1);
    expect(states[0]?.[0]).toBe(false);
    expect(states[0]?.[1]).toMatch(/unheard/);
  });

  it('vouches for nothing after it is closed', async () => {
    const fake = fakeHandle();
    feed = await openChangeFeed(fake.handle, { beatMs });
    await fake.hearBeats();
    await feed.close();
    expect(feed.generation()).toBeNull();
  });
});
