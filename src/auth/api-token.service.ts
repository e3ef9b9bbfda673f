import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import type { Actor, Role } from '../actor.ts';
import { actorLabel } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError } from '../errors.ts';
import { parseOrThrow } from '../validation.ts';
import {
  type ActiveApiToken,
  type ApiTokenRow,
  agencyExists,
  findActiveApiToken,
  findApiTokenByName,
  findSchoolIdByUrn,
  insertApiToken,
  insertServiceUser,
  listApiTokens as listTokenRows,
  revokeApiToken as revokeTokenRow,
  touchApiToken,
  type UserActor,
} from './auth.repository.ts';
import type { Memo } from './principal-memo.ts';
import { looksLikeSecret, randomSecret, sha256Hex } from './secret.ts';

type Db = Kysely<Database>;

export type { ApiTokenRow };

/** Prefix of every API token, so a leaked one is recognisable (and greppable by secret scanners). */
export const apiTokenPrefix = 'hub_';

const createSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes, e.g. frontdoor'),
    role: z.enum(['admin', 'chair', 'coordinator', 'school', 'agency'], {
      error: 'must be admin, chair, coordinator, school or agency',
    }),
    schoolUrn: z.number().int().min(100000).max(999999).optional(),
    agencyId: z.number().int().positive().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.role === 'school' && v.schoolUrn === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['school'],
        message: 'is required for the school role (its URN)',
      });
    if (v.role !== 'school' && v.schoolUrn !== undefined)
      ctx.addIssue({ code: 'custom', path: ['school'], message: 'is only for the school role' });
    if (v.role === 'agency' && v.agencyId === undefined)
      ctx.addIssue({ code: 'custom', path: ['agency'], message: 'is required for the agency role (its id)' });
    if (v.role !== 'agency' && v.agencyId !== undefined)
      ctx.addIssue({ code: 'custom', path: ['agency'], message: 'is only for the agency role' });
  });

export interface CreatedApiToken {
  id: number;
  name: string;
  role: Role;
  schoolId: number | null;
  agencyId: number | null;
  /** The secret itself: shown once, never stored (only its SHA-256 is). */
  token: string;
}

/**
 * Creates an API token with a role (and, for school/agency, a scope). The token acts as a service
 * account user that cannot sign in by email. Throws invalid-input naming the bad option, or conflict
 * when the name is taken.
 */
export async function createApiToken(
  db: Db,
  input: { name: string; role: string; schoolUrn?: number; agencyId?: number },
  options: { actor: Actor; now: Date },
): Promise<CreatedApiToken> {
  const v = parseOrThrow(createSchema, input, 'API token');
  return db.transaction().execute(async (trx) => {
    if ((await findApiTokenByName(trx, v.name)) !== null)
      throw new AppError('conflict', `An API token named "${v.name}" already exists; choose another name`);
    const schoolId = v.schoolUrn === undefined ? null : await findSchoolIdByUrn(trx, v.schoolUrn);
    if (v.schoolUrn !== undefined && schoolId === null)
      throw new AppError('invalid-input', `No school with URN ${v.schoolUrn}`, {
        issues: [{ field: 'school', message: `no school with URN ${v.schoolUrn}` }],
      });
    if (v.agencyId !== undefined && !(await agencyExists(trx, v.agencyId)))
      throw new AppError('invalid-input', `No agency with id ${v.agencyId}`, {
        issues: [{ field: 'agency', message: `no agency with id ${v.agencyId}` }],
      });
    const userId = await insertServiceUser(trx, {
      email: `${v.name}@api-token.invalid`,
      displayName: `API token "${v.name}"`,
      role: v.role,
      schoolId,
      agencyId: v.agencyId ?? null,
    });
    const token = `${apiTokenPrefix}${randomSecret()}`;
    const id = await insertApiToken(trx, {
      name: v.name,
      userId,
      tokenHash: sha256Hex(token),
      createdBy: actorLabel(options.actor),
      createdAt: options.now,
    });
    await writeAudit(trx, options.actor, {
      action: 'api-token.created',
      entity: 'api_token',
      entityId: id,
      details: { name: v.name, role: v.role, schoolId, agencyId: v.agencyId ?? null },
    });
    return { id, name: v.name, role: v.role, schoolId, agencyId: v.agencyId ?? null, token };
  });
}

/** Every token (revoked ones too), by name, with when each was last used. */
export async function listApiTokens(db: Db): Promise<ApiTokenRow[]> {
  return listTokenRows(db);
}

/** Revokes a token by name at `now`; throws not-found when no unrevoked token has that name. */
export async function revokeApiToken(
  db: Db,
  name: string,
  options: { actor: Actor; now: Date },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const id = await revokeTokenRow(trx, name, options.now);
    if (id === null) throw new AppError('not-found', `No active API token named "${name}"`);
    await writeAudit(trx, options.actor, {
      action: 'api-token.revoked',
      entity: 'api_token',
      entityId: id,
      details: { name },
    });
  });
}

/** last_used_at is written at most once a minute per token. */
const touchAfterMs = 60_000;

/**
 * The actor of a bearer token at `now` and the database snapshot it was read in (null when
 * remembered), or null when unknown or revoked. Records its use at most once a minute. With `memo`,
 * a remembered token is used only while its last-used stamp is not due (principal-memo.ts).
 */
export async function authenticateApiToken(
  db: Db,
  token: string,
  now: Date,
  memo?: Memo<ActiveApiToken>,
): Promise<{ actor: UserActor; snapshot: string | null } | null> {
  if (!token.startsWith(apiTokenPrefix) || !looksLikeSecret(token.slice(apiTokenPrefix.length))) return null;
  const tokenHash = sha256Hex(token);
  const remembered = memo?.get(tokenHash);
  if (remembered?.lastUsedAt && now.getTime() - remembered.lastUsedAt.getTime() < touchAfterMs)
    return { actor: remembered.actor, snapshot: null };
  const found = await findActiveApiToken(db, tokenHash);
  if (found === null) return null;
  if (found.lastUsedAt === null || now.getTime() - found.lastUsedAt.getTime() >= touchAfterMs) {
    await touchApiToken(db, found.id, now);
    memo?.set(tokenHash, { ...found, lastUsedAt: now });
  } else memo?.set(tokenHash, found);
  return { actor: found.actor, snapshot: found.snapshot };
}
