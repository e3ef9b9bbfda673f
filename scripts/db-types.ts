import { writeFileSync } from 'node:fs';
import { openPglite } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { renderDatabaseType } from './database-type.ts';

// Writes schema/database.ts from a freshly migrated in-memory database.
const handle = openPglite(null);
await migrateToLatest(handle.db);
writeFileSync(new URL('../schema/database.ts', import.meta.url), await renderDatabaseType(handle.db));
await handle.close();
console.log('schema/database.ts written');
