import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';

/*
 * Remembered GET responses, for the pages and API reads people open again and again (fifteen
 * people open the same agenda during a sitting). A route opts in with `config.cache: true`.
 *
 * Why it is not stale, two ways. With the change feed (src/db/change-feed.ts), the key holds the
 * count of announced changes: every commit to what people read, by any process, moves it within
 * the moment PostgreSQL takes to deliver a NOTIFY, and this process's own writes move it as their
 * responses go; the feed proves every second that it hears, and while it cannot, the second way is
 * used. Without it, the key holds the database snapshot (`pg_current_snapshot()`) read in the same
 * statement as the request's session or token: equal snapshots see exactly the same committed data
 * and every commit anywhere changes it. Either way nothing needs invalidating and web processes need
 * not talk to each other. The key also holds the user (a response is only ever served to the
 * person it was made for, so scoping is untouched), the URL with its query, and the minute
 * (bounding what a page computes from the clock).
 *
 * Per-response secrets are not remembered: the CSP nonce and the session's CSRF token are cut out
 * and this response's are filled in on every send. Only 200 responses that set no cookie are remembered.
 */

type Secret = 'nonce' | 'csrf';
type Secrets = Partial<Record<Secret, string>>;

/**
 * A remembered body as UTF-8 pieces with the secrets cut out: `parts[i]`, then the secret
 * `gaps[i]`, then `parts[i + 1]`... Stored as bytes so a hit is a copy, not an encoding.
 */
interface Remembered {
  parts: Buffer[];
  gaps: Secret[];
  bytes: number;
  headers: Array<[string, string]>;
}

function cutOut(body: string, secrets: Secrets): Pick<Remembered, 'parts' | 'gaps' | 'bytes'> {
  const names = (Object.keys(secrets) as Secret[]).filter((k) => secrets[k]);
  const parts: Buffer[] = [];
  const gaps: Secret[] = [];
  let at = 0;
  if (names.length > 0) {
    // Secrets are random hex or base64url: nothing to escape, but be exact anyway.
    const pattern = new RegExp(
      names.map((n) => (secrets[n] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
      'g',
    );
    for (const match of body.matchAll(pattern)) {
      parts.push(Buffer.from(body.slice(at, match.index)));
      gaps.push(names.find((n) => secrets[n] === match[0]) as Secret);
      at = match.index + match[0].length;
    }
  }
  parts.push(Buffer.from(body.slice(at)));
  return { parts, gaps, bytes: parts.reduce((n, p) => n + p.length, 0) };
}

function fillIn(remembered: Remembered, secrets: Secrets): Buffer {
  if (remembered.gaps.length === 0) return remembered.parts[0] as Buffer;
  const pieces: Buffer[] = [];
  remembered.parts.forEach((part, i) => {
    pieces.push(part);
    const gap = remembered.gaps[i];
    if (gap !== undefined) pieces.push(Buffer.from(secrets[gap] ?? ''));
  });
  return Buffer.concat(pieces);
}

interface Pending {
  key: string;
  /** Headers already set when the handler started (helmet's and the auth hook's): not remembered. */
  before: Set<string>;
}

const pendingOf = new WeakMap<FastifyRequest, Pending>();

/**
 * The cache key of a request, or null when it may not use the cache. What makes it safe to serve
 * again: the change feed's count when it vouches for hearing every change, else the database
 * snapshot read with the session or token.
 */
function keyFor(request: FastifyRequest, now: Date): string | null {
  if (request.method !== 'GET' || request.routeOptions.config.cache !== true) return null;
  const { principal } = request;
  if (principal === null) return null;
  const generation = request.server.deps.changes?.generation() ?? null;
  const validator = generation !== null ? `changes:${generation}` : request.snapshot;
  if (validator === null) return null;
  const minute = Math.floor(now.getTime() / 60_000);
  return `${principal.userId} ${minute} ${validator} ${request.url}`;
}

/**
 * Installs the cache's hooks; call after the auth hook (the key needs the principal and snapshot).
 * `maxBytes` bounds the memory held (least recently used out first); 0 turns the cache off.
 */
export function registerPageCache(app: FastifyInstance, maxBytes: number): void {
  // Read your own writes: a form post or API write has committed by the time its response goes,
  // so the next request (the redirect's GET) must not get a page remembered from before it.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') request.server.deps.changes?.noteWrite();
    return payload;
  });
  const counts = { hits: 0, misses: 0 };
  let store: LRUCache<string, Remembered> | null = null;
  app.decorate('pageCache', {
    stats: () => ({ ...counts, entries: store?.size ?? 0, bytes: store?.calculatedSize ?? 0 }),
  });
  if (maxBytes <= 0) return;
  store = new LRUCache<string, Remembered>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.bytes + 2 * key.length + 64 * value.parts.length + 256,
  });
  const secrets = (request: FastifyRequest, reply: FastifyReply): Secrets => ({
    nonce: reply.cspNonce?.script,
    csrf: request.session?.csrfToken,
  });

  const remembered = store;
  app.addHook('preHandler', async (request, reply) => {
    const key = keyFor(request, request.server.deps.now());
    if (key === null || reply.sent) return;
    const hit = remembered.get(key);
    if (hit === undefined) {
      counts.misses++;
      pendingOf.set(request, { key, before: new Set(Object.keys(reply.getHeaders())) });
      return;
    }
    counts.hits++;
    for (const [name, value] of hit.headers) reply.header(name, value);
    return reply.code(200).send(fillIn(hit, secrets(request, reply)));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const pending = pendingOf.get(request);
    if (pending === undefined) return payload;
    pendingOf.delete(request);
    if (reply.statusCode !== 200 || typeof payload !== 'string' || reply.hasHeader('set-cookie'))
      return payload;
    const headers: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (!pending.before.has(name) && name !== 'content-length' && value !== undefined)
        headers.push([name, String(value)]);
    remembered.set(pending.key, { ...cutOut(payload, secrets(request, reply)), headers });
    return payload;
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Remember this GET route's responses (see src/web/page-cache.ts). */
    cache?: boolean;
  }
  interface FastifyInstance {
    /** How the page cache is doing (tests, and the admin's queue health). */
    pageCache: { stats(): { hits: number; misses: number; entries: number; bytes: number } };
  }
  interface FastifyRequest {
    /** The database snapshot the principal was read in (set by the auth hook), else null. */
    snapshot: string | null;
  }
}
