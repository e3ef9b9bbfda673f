import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Config } from '../config.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import { registerApiRoutes } from './api/define.ts';
import { registerApiDocs } from './api/docs.routes.ts';
import { apiRoutes } from './api/index.ts';
import { registerAssets } from './assets.ts';
import { registerAuth } from './auth.hooks.ts';
import type { RegisteredRoute, WebDeps } from './context.ts';
import { registerErrorHandling } from './errors.ts';
import { registerHealthRoutes } from './health.routes.ts';
import { registerPageCache } from './page-cache.ts';
import { registerAdminPages } from './pages/admin.pages.ts';
import { registerAllocationPages } from './pages/allocation-queue.pages.ts';
import { registerProformaPages } from './pages/proforma.pages.ts';
import { registerRequestPages } from './pages/requests.pages.ts';
import { registerSignInPages } from './pages/sign-in.pages.ts';
import { registerSittingPages } from './pages/sittings.pages.ts';
import { defaultRateLimits, type RateLimits } from './rate-limits.ts';

export interface BuildAppOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  /** The app's clock (default: the system clock). Tests pass a fixed or movable one. */
  now?: () => Date;
  /** Fastify's logger: false in tests; by default pino at config.logLevel, tokens redacted from URLs. */
  logger?: FastifyServerOptions['logger'];
  /** Overrides of the sign-in and token rate limits. */
  rateLimits?: Partial<RateLimits>;
  /** A Redis client for rate limits and /readyz; by default one is opened when config.redisUrl is set. */
  redis?: Redis | null;
  /** Which X-Forwarded-For hops to trust (client IPs in rate limits); default config.trustProxy. */
  trustProxy?: Config['trustProxy'];
  /** Called after a request queued an email that should go at once (a sign-in link). */
  emailQueued?: () => void;
  /**
   * The change feed (src/db/change-feed.ts): with it, sessions, tokens and remembered pages are
   * used without a database read while nothing announced has changed. Not closed by the app.
   */
  changes?: ChangeFeed | null;
}

/** Paths whose second segment is a secret token: never written to a log line. */
const tokenPath = /^\/(sign-in|proforma)\/(?!check-email)[^/?#]+/;

/** A request URL fit for a log line: tokens in the path replaced by `[token]`. */
export function redactUrl(url: string): string {
  return url.replace(tokenPath, '/$1/[token]');
}

function defaultLogger(config: Readonly<Config>): FastifyServerOptions['logger'] {
  if (config.logLevel === 'silent') return false;
  return {
    level: config.logLevel,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip,
      }),
    },
  };
}

/** Fastify's types take no hop count: n hops is "trust the n nearest proxies" (proxy-addr's meaning). */
function fastifyTrustProxy(trust: Config['trustProxy']) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

/**
 * Builds the web application (pages and the JSON API) without listening: `hub serve` listens, tests
 * call `inject`. Stateless: sessions, tokens and idempotency keys live in the database (and rate
 * limits in Redis when configured), so several processes can serve one PostgreSQL. Close the app to
 * close what it opened (its Redis client; never the database it was given).
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const deps: WebDeps = {
    db: options.db,
    config,
    now: options.now ?? (() => new Date()),
    emailQueued: options.emailQueued ?? (() => {}),
    changes: options.changes ?? null,
  };
  const limits: RateLimits = { ...defaultRateLimits, ...options.rateLimits };
  const ownRedis = options.redis === undefined && config.redisUrl !== null;
  const redis: Redis | null =
    options.redis !== undefined
      ? options.redis
      : config.redisUrl === null
        ? null
        : new Redis(config.redisUrl, {
            lazyConnect: true,
            maxRetriesPerRequest: 1,
            enableOfflineQueue: false,
          });
  if (ownRedis) redis?.on('error', () => {}); // reported by /readyz, not by crashing the process

  const app = Fastify({
    logger: options.logger ?? defaultLogger(config),
    trustProxy: fastifyTrustProxy(options.trustProxy ?? config.trustProxy),
    // Ids in paths are small; bound the work a hostile URL can cause.
    routerOptions: { maxParamLength: 120 },
  });
  app.decorate('deps', deps);
  app.decorate('hubRoutes', [] as RegisteredRoute[]);
  // Deny by default: a route that does not say who may call it stops the app from starting.
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) throw new Error(`Route ${route.method} ${route.url} declares no config.access`);
    for (const method of [route.method].flat())
      app.hubRoutes.push({ method, url: route.url ?? route.path, access });
  });
  app.addHook('onClose', async () => {
    if (ownRedis && redis !== null) redis.disconnect();
  });

  const https = config.publicBaseUrl.startsWith('https:');
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // govuk-frontend's template has one inline script: it carries the per-response nonce.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyStatic, { root: process.cwd(), serve: false });
  await app.register(fastifyRateLimit, {
    global: false,
    ...(redis === null ? {} : { redis, nameSpace: 'hub-web-rate:', skipOnError: true }),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many requests: retry in ${context.after}`), {
        statusCode: context.statusCode,
      }),
  });

  registerAuth(app);
  registerPageCache(app, config.pageCacheBytes);
  registerErrorHandling(app);
  registerAssets(app);
  registerHealthRoutes(app, redis);
  registerSignInPages(app, limits);
  registerRequestPages(app);
  registerProformaPages(app, limits);
  registerSittingPages(app);
  registerAllocationPages(app);
  await registerAdminPages(app);
  registerApiRoutes(app, apiRoutes);
  registerApiDocs(app, apiRoutes);
  return app;
}
