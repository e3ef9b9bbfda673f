import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random secret: 32 bytes (256 bits) as base64url, 43 characters, safe in a URL path. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of `value` as 64 lower-case hex digits: what the database stores instead of a secret. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares two strings in constant time (for their common length); false when lengths differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether `value` looks like a secret made by randomSecret (cheap check before any lookup). */
export function looksLikeSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
