/**
 * Who is doing something: a signed-in person (with their role and scope) or a part of the system.
 * Every service that changes data takes an Actor, scopes its queries by it and names it in the
 * audit log.
 */
export type Role = 'admin' | 'chair' | 'coordinator' | 'school' | 'agency';

export type Actor =
  | { kind: 'user'; userId: number; role: Role; schoolId: number | null; agencyId: number | null }
  | { kind: 'system'; name: string };

/** The audit log's `actor` text: `user:12` or `system:worker`. */
export function actorLabel(actor: Actor): string {
  return actor.kind === 'user' ? `user:${actor.userId}` : `system:${actor.name}`;
}

/** The CLI acts as the system, named so the audit log tells it apart from the workers. */
export const cliActor: Actor = { kind: 'system', name: 'cli' };
