import { adminDirectoryRoutes } from './admin-directory.api.ts';
import { adminHubRoutes } from './admin-hubs.api.ts';
import { adminOpsRoutes } from './admin-ops.api.ts';
import { agendaRoutes } from './agenda.api.ts';
import { allocationRoutes } from './allocations.api.ts';
import type { ApiRoute } from './define.ts';
import { directoryRoutes } from './directory.api.ts';
import { requestRoutes } from './requests.api.ts';
import { sittingRoutes } from './sittings.api.ts';
import { suggestionRoutes } from './suggestions.api.ts';

/**
 * Every /api/v1 route, in the order of the document. A feature adds one line here for its routes
 * (agenda, suggestions, allocations, sittings, proformas) and they appear in /api/openapi.json.
 */
export const apiRoutes: readonly ApiRoute[] = [
  ...requestRoutes,
  ...directoryRoutes,
  ...sittingRoutes,
  ...agendaRoutes,
  ...suggestionRoutes,
  ...allocationRoutes,
  ...adminHubRoutes,
  ...adminDirectoryRoutes,
  ...adminOpsRoutes,
];
