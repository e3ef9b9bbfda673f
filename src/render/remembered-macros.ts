import nunjucks from 'nunjucks';

/*
 * GOV.UK Frontend's macros are pure: the same params give the same HTML. Each call is costly in
 * nunjucks, though (an include, an import and fresh frames per call: about 10 µs for a tag, 100 µs
 * for a summary card), and a long page calls them hundreds of times with few distinct params (the
 * same four deferral tags, the same cards on every reload). So the environment also offers them as
 * globals that remember their output by params, in a bounded least-recently-used map.
 *
 * Only plain data is remembered: params holding a function (a `caller`), a class instance or
 * anything JSON cannot say exactly are rendered afresh every time. HTML passed in as a safe string
 * and the same text passed as a plain (escaped) string have different keys.
 */

const { SafeString } = nunjucks.runtime;

/** Whether `value` is JSON-exact plain data (safe strings allowed), so its JSON can key a cache. */
function isPlain(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value); // JSON would say null
    case 'object': {
      if (value === null || value instanceof SafeString) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || !isPlain(item)) return false; // JSON: null
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false; // Date, Map, class instances
      // A plain object shaped like a safe string would share its JSON: never remembered.
      if (Object.hasOwn(value, 'val')) return false;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== undefined && !isPlain(item)) return false; // undefined: absent for JSON and the macro
      }
      return true;
    }
    default:
      return false; // function (a `caller`), symbol, bigint, undefined at the top
  }
}

/**
 * A cache key for params made only of plain data, else null (never remembered). A safe string
 * (HTML) is written as `{"val":...,"length":...}`, so it never shares a key with the same text given
 * as a plain (escaped) string.
 */
export function plainKey(params: unknown): string | null {
  return isPlain(params) ? JSON.stringify(params) : null;
}

type Macro = (...args: unknown[]) => unknown;

/** Limits of one remembered macro: entries, and characters of keys and HTML together. */
export interface RememberLimits {
  entries: number;
  chars: number;
}

// About a megabyte of text per component at most: a few megabytes for all of them.
const defaultLimits: RememberLimits = { entries: 500, chars: 1_000_000 };

/**
 * A one-argument pure macro (looked up on first use) wrapped to remember its output by params. A hit
 * moves the entry to the young end; past the limits the oldest entries go.
 */
export function rememberMacro(lookup: () => Macro, limits: RememberLimits = defaultLimits): Macro {
  const cache = new Map<string, unknown>();
  let chars = 0;
  let found: Macro | undefined;
  const macro = (...args: unknown[]) => {
    found ??= lookup();
    return found(...args);
  };
  return (...args: unknown[]) => {
    const key = args.length === 1 ? plainKey(args[0]) : null;
    if (key === null) return macro(...args);
    const hit = cache.get(key);
    if (hit !== undefined) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const html = macro(...args);
    const size = key.length + String(html).length;
    if (size > limits.chars / 4) return html; // one huge call must not flush everything else
    cache.set(key, html);
    chars += size;
    for (const [oldKey, oldHtml] of cache) {
      if (cache.size <= limits.entries && chars <= limits.chars) break;
      cache.delete(oldKey);
      chars -= oldKey.length + String(oldHtml).length;
    }
    return html;
  };
}

/** The macro `name` exported by the template `path` of `env`. */
export function exportedMacro(env: nunjucks.Environment, path: string, name: string): Macro {
  let exported: Record<string, unknown> | undefined;
  // getExported (what `{% from path import name %}` calls) is missing from nunjucks' types. It is
  // synchronous with the file-system loader: the callback runs before it returns.
  const template = env.getTemplate(path) as nunjucks.Template & {
    getExported(cb: (err: Error | null, result: Record<string, unknown>) => void): void;
  };
  template.getExported((err, result) => {
    if (err) throw err;
    exported = result;
  });
  const macro = exported?.[name];
  if (typeof macro !== 'function') throw new Error(`${path} exports no macro ${name}`);
  return macro as Macro;
}
