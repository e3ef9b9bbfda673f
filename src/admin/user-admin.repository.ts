import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Role } from '../actor.ts';
import { containsPattern, type ListPage, type PageRequest } from './directory-admin.repository.ts';

/*
 * People who sign in, for admins. API tokens' service accounts are users too (so tokens are scoped
 * and audited like people) but they are managed with `hub token`, so they are left out here.
 */

type Db = Kysely<Database> | Transaction<Database>;

export interface UserView {
  id: number;
  email: string;
  displayName: string;
  role: Role;
  schoolId: number | null;
  schoolName: string | null;
  agencyId: number | null;
  agencyName: string | null;
  active: boolean;
  createdAt: Date;
}

function userQuery(db: Db) {
  return db
    .selectFrom('users as u')
    .leftJoin('schools as s', 's.id', 'u.school_id')
    .leftJoin('agencies as a', 'a.id', 'u.agency_id')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('api_tokens as t').select('t.id').whereRef('t.user_id', '=', 'u.id'))),
    )
    .select([
      'u.id',
      'u.email',
      'u.display_name',
      'u.role',
      'u.school_id',
      's.name as school_name',
      'u.agency_id',
      'a.name as agency_name',
      'u.active',
      'u.created_at',
    ]);
}

type UserSelect = Awaited<ReturnType<ReturnType<typeof userQuery>['executeTakeFirstOrThrow']>>;

function toUser(r: UserSelect): UserView {
  return {
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    role: r.role as Role,
    schoolId: r.school_id,
    schoolName: r.school_name,
    agencyId: r.agency_id,
    agencyName: r.agency_name,
    active: r.active,
    createdAt: r.created_at,
  };
}

/** People by name; `q` matches the email or the name; `role` narrows to one role. */
export async function listUserViews(
  db: Db,
  page: PageRequest & { role?: Role | undefined },
): Promise<ListPage<UserView>> {
  const q = page.q?.trim();
  const filter = <T extends ReturnType<typeof userQuery>>(query: T): T => {
    let out = query;
    if (q)
      out = out.where((eb) =>
        eb.or([
          eb('u.email', 'ilike', containsPattern(q)),
          eb('u.display_name', 'ilike', containsPattern(q)),
        ]),
      ) as T;
    if (page.role) out = out.where('u.role', '=', page.role) as T;
    return out;
  };
  const [rows, count] = await Promise.all([
    filter(userQuery(db))
      .orderBy('u.active', 'desc')
      .orderBy('u.display_name')
      .orderBy('u.id')
      .limit(page.size)
      .offset((page.page - 1) * page.size)
      .execute(),
    filter(userQuery(db)).clearSelect().select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toUser), total: count.n };
}

/** A person (not a service account) by id, or null. */
export async function getUserView(db: Db, id: number): Promise<UserView | null> {
  const row = await userQuery(db).where('u.id', '=', id).executeTakeFirst();
  return row ? toUser(row) : null;
}

export interface UserValues {
  email: string;
  displayName: string;
  role: Role;
  schoolId: number | null;
  agencyId: number | null;
}

export async function insertUser(db: Db, user: UserValues): Promise<number> {
  const { id } = await db
    .insertInto('users')
    .values({
      email: user.email,
      display_name: user.displayName,
      role: user.role,
      school_id: user.schoolId,
      agency_id: user.agencyId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateUser(db: Db, id: number, user: UserValues): Promise<void> {
  await db
    .updateTable('users')
    .set({
      email: user.email,
      display_name: user.displayName,
      role: user.role,
      school_id: user.schoolId,
      agency_id: user.agencyId,
    })
    .where('id', '=', id)
    .execute();
}

/** Sets a person's `active` flag; returns whether it changed. */
export async function setUserActive(db: Db, id: number, active: boolean): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ active })
    .where('id', '=', id)
    .where('active', '=', !active)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Ends every session of a person (their next request must sign in again). Returns how many. */
export async function deleteUserSessions(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Schools and agencies by name, for the scope pickers. */
export async function scopeOptions(db: Db): Promise<{
  schools: Array<{ id: number; name: string; urn: number }>;
  agencies: Array<{ id: number; name: string }>;
}> {
  const [schools, agencies] = await Promise.all([
    db.selectFrom('schools').select(['id', 'name', 'urn']).orderBy('name').execute(),
    db.selectFrom('agencies').select(['id', 'name']).orderBy('name').execute(),
  ]);
  return { schools, agencies };
}
