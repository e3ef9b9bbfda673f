import type { Kysely } from 'kysely';

/*
 * Renders schema/database.ts from a migrated database, so the Database type is derived from the
 * migrations rather than kept in step by hand. `npm run db:types` writes it; a test renders it
 * again and fails if the committed file differs.
 */

const scalar: Record<string, string> = {
  int2: 'number',
  int4: 'number',
  int8: 'number',
  float4: 'number',
  float8: 'number',
  numeric: 'string',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  uuid: 'string',
  date: 'string',
  timestamptz: 'Date',
  jsonb: 'Json',
  json: 'Json',
  bytea: 'Buffer',
};

function tsType(dataType: string): string {
  if (dataType.startsWith('_')) return `${tsType(dataType.slice(1))}[]`;
  const t = scalar[dataType];
  if (t === undefined) throw new Error(`No TypeScript type for column type ${dataType}: add it to scalar`);
  return t;
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
}

export async function renderDatabaseType(
  // biome-ignore lint/suspicious/noExplicitAny: works on any schema
  db: Kysely<any>,
): Promise<string> {
  const tables = (await db.introspection.getTables())
    .filter((t) => !t.name.startsWith('kysely_'))
    .sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [
    '// Generated from the migrations by `npm run db:types`; do not edit by hand.',
    "import type { ColumnType, Generated, GeneratedAlways } from 'kysely';",
    '',
    'export type Json = unknown;',
    '/** timestamptz: read as Date, written as Date or ISO string. */',
    'export type Timestamp = ColumnType<Date, Date | string, Date | string>;',
    '/** timestamptz with a default: optional on insert. */',
    'export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;',
    '',
  ];
  for (const table of tables) {
    out.push(`export interface ${pascal(table.name)}Table {`);
    for (const column of table.columns) {
      let type = tsType(column.dataType);
      if (type === 'Date') type = 'Timestamp';
      if (column.isNullable) type = `${type} | null`;
      if (column.isAutoIncrementing) type = `GeneratedAlways<${type}>`;
      else if (column.hasDefaultValue)
        type = type === 'Timestamp' ? 'GeneratedTimestamp' : `Generated<${type}>`;
      out.push(`  ${column.name}: ${type};`);
    }
    out.push('}', '');
  }
  out.push('export interface Database {');
  for (const table of tables) out.push(`  ${table.name}: ${pascal(table.name)}Table;`);
  out.push('}', '');
  return out.join('\n');
}
