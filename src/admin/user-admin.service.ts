import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import type { Actor, Role } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import { email, requiredText } from '../import/fields.ts';
import { parseOrThrow } from '../validation.ts';
import { mapRefusal } from './constraint-errors.ts';
import {
  deleteUserSessions,
  getUserView,
  insertUser,
  setUserActive,
  type UserValues,
  updateUser,
} from './user-admin.repository.ts';

/*
 * People: created, edited, deactivated (never deleted: the audit log and decisions name them).
 * Whether a role's scope is consistent (a school user has a school and no agency...) is the users
 * table's CHECK: the database refuses, and the refusal names the field to fix.
 */

type Db = Kysely<Database>;

export const roles: readonly Role[] = ['admin', 'chair', 'coordinator', 'school', 'agency'];

const optionalId = z.preprocess(
  (v) => (v === undefined || v === null || (typeof v === 'string' && v.trim() === '') ? null : v),
  z.coerce
    .number({ error: 'must be an id' })
    .int('must be an id')
    .positive('must be an id')
    .max(2147483647)
    .nullable(),
);

/** A person as typed by an admin (form or API). */
export const userInput = z.object({
  email: z.preprocess(
    (v) => (typeof v === 'string' ? v : undefined),
    z.string({ error: 'is required' }).pipe(email()),
  ),
  displayName: requiredText('is required, e.g. Sam Patel'),
  role: z.enum(roles as [Role, ...Role[]], { error: `must be one of ${roles.join(', ')}` }),
  schoolId: optionalId.default(null),
  agencyId: optionalId.default(null),
});

const userRefusals: Record<string, FieldIssue> = {
  users_email_key: { field: 'email', message: 'is already the email of another person' },
  users_check: {
    field: 'schoolId',
    message: 'must be chosen for a school user, and left empty for any other role',
  },
  users_check1: {
    field: 'agencyId',
    message: 'must be chosen for an agency user, and left empty for any other role',
  },
  users_school_id_fkey: { field: 'schoolId', message: 'is not a school' },
  users_agency_id_fkey: { field: 'agencyId', message: 'is not an agency' },
  users_email_check: { field: 'email', message: 'must be an email address' },
};

/** Creates a person who can sign in by email link; returns their id. */
export async function createUser(db: Db, actor: Actor, input: unknown): Promise<number> {
  const user: UserValues = parseOrThrow(userInput, input, 'user');
  return mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const id = await insertUser(trx, user);
        await writeAudit(trx, actor, {
          action: 'user.created',
          entity: 'user',
          entityId: id,
          details: { role: user.role, schoolId: user.schoolId, agencyId: user.agencyId },
        });
        return id;
      }),
    userRefusals,
    'user',
  );
}

/** Edits a person; a change of role or scope ends their sessions (their rights changed). */
export async function updateUserById(db: Db, actor: Actor, id: number, input: unknown): Promise<void> {
  const user: UserValues = parseOrThrow(userInput, input, 'user');
  await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const current = await getUserView(trx, id);
        if (current === null) throw new AppError('not-found', `There is no person ${id}.`);
        const before: UserValues = {
          email: current.email,
          displayName: current.displayName,
          role: current.role,
          schoolId: current.schoolId,
          agencyId: current.agencyId,
        };
        const changed = (Object.keys(user) as Array<keyof UserValues>).filter((k) => before[k] !== user[k]);
        if (changed.length === 0) return;
        if (actor.kind === 'user' && actor.userId === id && user.role !== 'admin')
          throw new AppError('invalid-input', 'You cannot take away your own admin role', {
            issues: [{ field: 'role', message: 'cannot be changed on your own account; ask another admin' }],
          });
        await updateUser(trx, id, user);
        const rightsChanged = changed.some((k) => k === 'role' || k === 'schoolId' || k === 'agencyId');
        if (rightsChanged) await deleteUserSessions(trx, id);
        await writeAudit(trx, actor, {
          action: 'user.updated',
          entity: 'user',
          entityId: id,
          details: { changed, role: user.role, schoolId: user.schoolId, agencyId: user.agencyId },
        });
      }),
    userRefusals,
    'user',
  );
}

/**
 * Deactivates (active false: cannot sign in, sessions ended at once) or reactivates a person.
 * An admin cannot deactivate themselves. Doing it twice changes nothing the second time.
 */
export async function setUserActiveById(db: Db, actor: Actor, id: number, active: boolean): Promise<boolean> {
  if (!active && actor.kind === 'user' && actor.userId === id)
    throw new AppError('conflict', 'You cannot deactivate yourself; ask another admin');
  return db.transaction().execute(async (trx) => {
    if ((await getUserView(trx, id)) === null) throw new AppError('not-found', `There is no person ${id}.`);
    const changed = await setUserActive(trx, id, active);
    if (!changed) return false;
    const sessions = active ? 0 : await deleteUserSessions(trx, id);
    await writeAudit(trx, actor, {
      action: active ? 'user.reactivated' : 'user.deactivated',
      entity: 'user',
      entityId: id,
      details: active ? {} : { sessionsEnded: sessions },
    });
    return true;
  });
}
