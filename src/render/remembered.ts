/*
 * A small memo for pure string functions of strings (formatting instants with luxon is costly: each
 * zone-offset look-up goes through Intl, and a page shows the same few times over and over).
 */

/**
 * `fn` remembering up to `max` results by its arguments. When full, it starts afresh: cheap, and the
 * working set is small.
 * Only for pure functions: same arguments, same result. A call that throws is not remembered.
 */
export function rememberStrings<A extends string[]>(fn: (...args: A) => string, max = 5000) {
  const cache = new Map<string, string>();
  return (...args: A): string => {
    const key = JSON.stringify(args);
    let value = cache.get(key);
    if (value === undefined) {
      value = fn(...args);
      if (cache.size >= max) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}
