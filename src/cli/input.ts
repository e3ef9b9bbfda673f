import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.ts';

/** A bad option of a command as an `invalid-input` error naming it. */
export const invalidOption = (field: string, message: string): AppError =>
  new AppError('invalid-input', `${field}: ${message}`, { issues: [{ field, message }] });

/** Reads a command's JSON input from a file, or from stdin for "-"; errors name the field `input`. */
export async function readJsonInput(file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw invalidOption('input', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidOption('input', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
