import type { Migration } from 'kysely';
import * as initial from './2026-11-23T16-00_initial.ts';
import * as emailOutboxUncertainSends from './2026-11-24T09-00_email-outbox-uncertain-sends.ts';
import * as dueTasksAndProformaLinks from './2026-11-24T10-00_due-tasks-and-proforma-links.ts';
import * as webSessions from './2026-11-25T09-00_web-sessions.ts';
import * as readPathIndexes from './2026-11-26T09-00_read-path-indexes.ts';
import * as unassignedReasons from './2026-11-27T09-00_unassigned-reasons.ts';
import * as changeNotifications from './2026-11-28T09-00_change-notifications.ts';

/**
 * Every migration, in order. A static list (not a folder scan) so the same code runs under
 * tsx, plain Node type stripping, and bundlers. Names are ISO timestamps; never rename one.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-23T16-00_initial': initial,
  '2026-11-24T09-00_email-outbox-uncertain-sends': emailOutboxUncertainSends,
  '2026-11-24T10-00_due-tasks-and-proforma-links': dueTasksAndProformaLinks,
  '2026-11-25T09-00_web-sessions': webSessions,
  '2026-11-26T09-00_read-path-indexes': readPathIndexes,
  '2026-11-27T09-00_unassigned-reasons': unassignedReasons,
  '2026-11-28T09-00_change-notifications': changeNotifications,
};
