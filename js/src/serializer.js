// Serializers: how a session value becomes a payload and back.

import { decodeCBOR, encodeCBOR, MAX_NESTING } from './cbor.js';
import { parseJSON, stringifyJSON } from './json.js';
import { MalformedError } from './errors.js';

/**
 * @typedef {{serialize(v: unknown): Uint8Array, deserialize(b: Uint8Array): unknown}} Serializer
 */

/** CBOR, the default: the Go serializer's limits (FORMAT.md, "Payload"). */
export const cbor = Object.freeze({
  name: 'cbor',
  serialize: (v) => encodeCBOR(v),
  deserialize: (b) => decodeCBOR(b),
});

/** JSON: one value, nesting at most 32 levels, integers kept exact. */
export const json = Object.freeze({
  name: 'json',
  serialize(v) {
    const b = Buffer.from(stringifyJSON(v), 'utf8');
    // Refuse to seal what could not be opened again.
    parseJSON(b, { maxDepth: MAX_NESTING, duplicates: 'last' });
    return b;
  },
  deserialize(b) {
    try {
      return parseJSON(b, { maxDepth: MAX_NESTING, duplicates: 'last' });
    } catch (e) {
      throw new MalformedError(`payload is not valid JSON: ${e.message}`);
    }
  },
});

/** The serializer an option names: "cbor", "json", or a serializer object. */
export function serializerOf(s) {
  if (s === undefined || s === 'cbor') return cbor;
  if (s === 'json') return json;
  if (s && typeof s.serialize === 'function' && typeof s.deserialize === 'function') return s;
  throw new TypeError(`cookiesession: unknown serializer ${String(s)}`);
}
