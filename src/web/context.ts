import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor, Role } from '../actor.ts';
import type { Session } from '../auth/session.service.ts';
import type { Config } from '../config.ts';
import type { ChangeFeed } from '../db/change-feed.ts';

/**
 * Who may call a route, declared on every route (`config.access`); a route without one makes the
 * app refuse to start. `'static'` is public and skips the session lookup (assets, health checks);
 * `'public'` is public but knows who is signed in (sign-in pages, the proforma link); a role list
 * admits only those roles (pages redirect anonymous visitors to sign in, the API answers 401).
 */
export type Access = 'static' | 'public' | readonly Role[];

/** Every role, for routes any signed-in principal may call. */
export const everyRole: readonly Role[] = ['admin', 'chair', 'coordinator', 'school', 'agency'];
/** The hub's own staff: they see every request. */
export const staffRoles: readonly Role[] = ['admin', 'chair', 'coordinator'];

/** The principal of a request: the Actor of a signed-in person or of an API token (a service account). */
export type Principal = Extract<Actor, { kind: 'user' }>;

/** What every route handler can reach: the database, the config and the app's clock. */
export interface WebDeps {
  db: Kysely<Database>;
  config: Readonly<Config>;
  /** The clock of the app (tests pass a fixed one). */
  now: () => Date;
  /** Asks the workers to send queued email now rather than at the next sweep (sign-in links). */
  emailQueued: () => void;
  /** Every announced change, counted (src/db/change-feed.ts); null: read the database each time. */
  changes: ChangeFeed | null;
}

/** One registered route, as the onRoute hook saw it (the access-matrix test reads these). */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Resolved by the auth hook: the session's or bearer token's principal, else null. */
    principal: Principal | null;
    session: Session | null;
  }
  interface FastifyInstance {
    deps: WebDeps;
    /** Every route registered, for the access-matrix test and the startup check. */
    hubRoutes: RegisteredRoute[];
  }
}
