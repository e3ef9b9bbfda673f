import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DbHandle, Unlisten } from './client.ts';

/*
 * Hears every committed change to what people read (the `hub_changes` triggers of the
 * 2026-11-28 migration) and counts them. A web process remembers pages and sessions under the count
 * (src/web/page-cache.ts, src/web/remembered-principals.ts): while it stands still, nothing anyone
 * reads has changed, in this process or any other, so a repeat view needs no database.
 *
 * It must never claim to have heard everything when it has not. So it proves, every beat, that it
 * is listening: it announces a beat of its own through the ordinary pool and must hear it back on
 * the listening connection. Until the first beat is heard, after a connection is lost, or when a
 * beat is more than one beat late, `generation()` is null (callers then go to the database), and
 * the count jumps when hearing resumes, so nothing remembered while deaf is used again. A listener
 * that dies without a word is noticed within two beats and replaced after four.
 */

export const changesChannel = 'hub_changes';

export interface ChangeFeed {
  /** How many changes were heard, or null while the feed cannot vouch that it heard every one. */
  generation(): number | null;
  /**
   * Counts a change this process has just committed, before its NOTIFY comes back: the person who
   * made it must see it on the very next page, not a remembered one.
   */
  noteWrite(): void;
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  /** How often the feed proves it is listening (default 1 s). */
  beatMs?: number;
  /** Told when the feed starts or stops vouching, with the reason. */
  onStateChange?: (live: boolean, reason: string) => void;
}

export async function openChangeFeed(handle: DbHandle, options: ChangeFeedOptions = {}): Promise<ChangeFeed> {
  const beatMs = options.beatMs ?? 1000;
  const beatPrefix = `beat:${randomBytes(6).toString('hex')}:`;
  let generation = 0;
  let sent = 0;
  let heard = 0;
  /** The last beat sent before the current listening connection began: only later ones prove it. */
  let listeningFrom = 0;
  let unlisten: Unlisten | null = null;
  let connecting = false;
  // null until first decided, so a feed that never hears (LISTEN through a transaction pooler) says so.
  let live: boolean | null = null;
  let closed = false;

  const setLive = (next: boolean, reason: string) => {
    if (next === live) return;
    live = next;
    // Whatever was remembered before a deaf spell is never used again.
    if (next) generation++;
    options.onStateChange?.(next, reason);
  };

  const onNotify = (payload: string) => {
    if (payload.startsWith('beat:')) {
      if (payload.startsWith(beatPrefix)) heard = Math.max(heard, Number(payload.slice(beatPrefix.length)));
      return; // another process's beat
    }
    generation++;
  };

  const beat = () => {
    sent++;
    sql`select pg_notify(${changesChannel}, ${`${beatPrefix}${sent}`})`.execute(handle.db).catch(() => {});
  };

  const connect = async () => {
    if (connecting || closed) return;
    connecting = true;
    try {
      const stop = await handle.listen(changesChannel, onNotify, (error) => {
        unlisten = null;
        setLive(false, `the listening connection was lost: ${String(error)}`);
      });
      if (closed) await stop();
      else {
        unlisten = stop;
        listeningFrom = sent;
        beat();
      }
    } catch (error) {
      setLive(false, `cannot listen: ${String(error)}`);
    } finally {
      connecting = false;
    }
  };

  /** Decides whether the feed vouches now: listening, and its beat before last is back. */
  const assess = () => {
    const hearing = unlisten !== null && heard > listeningFrom && heard >= sent - 1;
    if (hearing) setLive(true, 'hearing every change');
    else if (unlisten !== null && heard < sent - 1)
      setLive(false, `a beat went unheard for ${beatMs} ms or more`);
    else if (live === true) setLive(false, 'not listening');
  };

  const timer = setInterval(() => {
    if (unlisten === null) {
      void connect();
      return;
    }
    assess();
    if (heard < sent - 3) {
      // Several beats unheard: the connection may be dead without a word. Listen afresh.
      const stale = unlisten;
      unlisten = null;
      void stale().catch(() => {});
      return;
    }
    beat();
  }, beatMs);
  timer.unref();

  await connect();

  return {
    generation() {
      assess();
      return live === true ? generation : null;
    },
    noteWrite() {
      generation++;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      const stop = unlisten;
      unlisten = null;
      live = false;
      await stop?.();
    },
  };
}
