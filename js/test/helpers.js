// Shared by the tests: the golden vectors' folder and value comparison.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

// COOKIESESSION_VECTOR_DIR points the vector test at another folder: the
// test that checks it refuses what it does not understand uses it.
export const VECTOR_DIR = process.env.COOKIESESSION_VECTOR_DIR ||
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/vectors');

/**
 * A comparable form of a decoded value: integers as BigInt whatever their
 * size, byte strings as standard base64 (as JSON writes them), objects
 * with their own keys only.
 */
export function normalize(v) {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [normalize(k), normalize(x)]));
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalize(v[k]);
    return o;
  }
  return v;
}
