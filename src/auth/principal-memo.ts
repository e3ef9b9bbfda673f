import { LRUCache } from 'lru-cache';

/*
 * Sessions and API tokens as last read, remembered under the change feed's count
 * (src/db/change-feed.ts): a session that ends, a user deactivated or re-roled, a token revoked
 * are all announced changes, so a remembered row is true while the count stands still. The
 * services use a remembered row only to say yes, and only while no activity stamp is due; anything
 * else (expired, idle, stamp due) is decided on a fresh read.
 */

export interface Memo<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

export interface GenerationMemo<V> {
  /** The memo for this count, or undefined when the feed cannot vouch (null): read the database. */
  at(generation: number | null): Memo<V> | undefined;
}

export function generationMemo<V extends {}>(max = 10_000): GenerationMemo<V> {
  const store = new LRUCache<string, { generation: number; value: V }>({ max });
  return {
    at(generation) {
      if (generation === null) return undefined;
      return {
        get: (key) => {
          const entry = store.get(key);
          return entry !== undefined && entry.generation === generation ? entry.value : undefined;
        },
        set: (key, value) => {
          store.set(key, { generation, value });
        },
      };
    },
  };
}
