import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AppError } from '../errors.ts';

/** One input row with its number as a person sees it: CSV header is row 1, first data row is row 2. */
export interface InputRow {
  row: number;
  values: Record<string, unknown>;
}

/**
 * Reads a CSV (with a header row) or JSON (an array of objects) file into rows.
 * Empty CSV cells become undefined, so "missing" and "empty" are the same to the validators.
 */
export async function readRows(file: string): Promise<{ format: 'csv' | 'json'; rows: InputRow[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AppError('invalid-input', `Cannot read ${file}: ${(error as Error).message}`, {
      issues: [{ field: 'FILE', message: 'cannot be read' }],
      cause: error,
    });
  }
  const format = extname(file).toLowerCase() === '.json' ? 'json' : 'csv';
  return { format, rows: format === 'json' ? parseJsonRows(text) : parseCsvRows(text) };
}

export function parseCsvRows(text: string): InputRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, bom: true, trim: true, skip_empty_lines: true });
  } catch (error) {
    throw new AppError('invalid-input', `The CSV file cannot be read: ${(error as Error).message}`, {
      issues: [{ field: 'FILE', message: (error as Error).message }],
      cause: error,
    });
  }
  return records.map((record, index) => ({
    row: index + 2,
    values: Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === '' ? undefined : v])),
  }));
}

export function parseJsonRows(text: string): InputRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid-input', `The JSON file is not valid JSON: ${(error as Error).message}`, {
      issues: [{ field: 'FILE', message: 'is not valid JSON' }],
      cause: error,
    });
  }
  if (
    !Array.isArray(data) ||
    data.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))
  ) {
    throw new AppError('invalid-input', 'The JSON file must be an array of objects, one per row', {
      issues: [{ field: 'FILE', message: 'must be an array of objects' }],
    });
  }
  // JSON rows are numbered from 1 (the first object is row 1).
  return data.map((values, index) => ({ row: index + 1, values: values as Record<string, unknown> }));
}
