// Serializers: how a session value becomes a payload and back.

import { decodeCBOR, encodeCBOR, MAX_NESTING } from './cbor.js';
import { parseJSON, stringifyJSON } from './json.js';
import { MalformedError } from './errors.js';

/**
 * @typedef {{serialize(v: unknown): Uint8Array, deserialize(b: Uint8Array): unknown}} Serializer
 */

// The serializers whose buffers the package may wipe: serialize returns a
// buffer of its own making, which nothing else refers to, and deserialize
// copies what it keeps (no value it returns is a view into its input).
// This package's serializers are; any other is not, and a Codec neither
// zeroes what it returns nor wipes the plaintext it was given. The Go
// package's rule: "This package's serializers copy what they keep; any
// other gets its own copy".
const owned = new WeakSet();

/** @internal marks s as copying what it keeps (see owned). */
export function markOwned(s) {
  owned.add(s);
  return s;
}

/** @internal whether a Codec may wipe s's output and the plaintext it read. */
export function ownsBuffers(s) {
  return owned.has(s);
}

/** CBOR, the default: the Go serializer's limits (FORMAT.md, "Payload"). */
export const cbor = markOwned(Object.freeze({
  name: 'cbor',
  serialize: (v) => encodeCBOR(v),
  deserialize: (b) => decodeCBOR(b),
}));

/** JSON: one value, nesting at most 32 levels, integers kept exact. */
export const json = markOwned(Object.freeze({
  name: 'json',
  serialize(v) {
    const b = Buffer.from(stringifyJSON(v, MAX_NESTING), 'utf8');
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
}));

/** The serializer an option names: "cbor", "json", or a serializer object. */
export function serializerOf(s) {
  if (s === undefined || s === 'cbor') return cbor;
  if (s === 'json') return json;
  if (s && typeof s.serialize === 'function' && typeof s.deserialize === 'function') return s;
  throw new TypeError(`cookiesession: unknown serializer ${String(s)}`);
}
