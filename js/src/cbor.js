// A strict CBOR (RFC 8949) codec with the limits of FORMAT.md, written to
// refuse exactly what the Go implementation refuses:
//
//   - nesting of arrays and maps deeper than 32 levels (a tag directly
//     inside a tag counts as one more level, as in the Go decoder);
//   - an array of more than 65536 elements, a map of more than 65536 pairs;
//   - indefinite-length items (and so every "break" byte);
//   - duplicate map keys;
//   - reserved additional information (28–30), simple values 0–31 written
//     in two bytes, and truncated items;
//   - data after the first item, and an empty payload.
//
// Every loop is bounded by the input's length or by these limits. Errors
// never quote the input: it is a session's plaintext.

import { MalformedError } from './errors.js';
import { decodeUTF8 } from './utf8.js';
import { JSONNumber } from './json.js';
import { formatRFC3339, toNanos } from './time.js';

/** The deepest nesting of arrays and maps a payload may have. */
export const MAX_NESTING = 32;
/** The most elements of an array, or pairs of a map. */
export const MAX_ELEMENTS = 65536;

/** A CBOR tag other than the bignums (2, 3), which decode to BigInt. */
export class Tagged {
  /** @param {number | bigint} tag @param {unknown} value */
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** A CBOR simple value other than false, true, null and undefined. */
export class Simple {
  /** @param {number} value */
  constructor(value) {
    this.value = value;
  }
}


function bad(why) {
  return new MalformedError(`payload is not valid CBOR: ${why}`);
}

class Decoder {
  constructor(bytes, maxDepth, maxElements) {
    this.b = bytes;
    this.off = 0;
    this.maxDepth = maxDepth;
    this.maxElements = maxElements;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n) {
    if (this.b.length - this.off < n) throw bad('truncated');
  }

  // head reads an item's initial byte and argument. The argument is a
  // Number when it is safe, else a BigInt.
  head() {
    this.need(1);
    const ib = this.b[this.off++];
    const major = ib >> 5;
    const ai = ib & 0x1f;
    let arg;
    if (ai < 24) {
      arg = ai;
    } else if (ai === 24) {
      this.need(1);
      arg = this.b[this.off++];
      // Simple values below 32 have a one-byte form only.
      if (major === 7 && arg < 32) throw bad('invalid simple value');
    } else if (ai === 25) {
      this.need(2);
      arg = this.view.getUint16(this.off);
      this.off += 2;
    } else if (ai === 26) {
      this.need(4);
      arg = this.view.getUint32(this.off);
      this.off += 4;
    } else if (ai === 27) {
      this.need(8);
      const big = this.view.getBigUint64(this.off);
      this.off += 8;
      arg = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    } else if (ai === 31) {
      throw bad(major === 7 ? 'unexpected break' : 'indefinite length');
    } else {
      throw bad('reserved additional information');
    }
    return { major, ai, arg };
  }

  // length turns an argument into a count that fits the rest of the input
  // (or the element limit), so no allocation is driven by a claimed size.
  length(arg) {
    if (typeof arg === 'bigint' || arg > this.b.length) throw bad('length too large');
    return arg;
  }

  item(depth) {
    const start = this.off;
    const { major, ai, arg } = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        return typeof arg === 'bigint' || arg > Number.MAX_SAFE_INTEGER - 1 ? -1n - BigInt(arg) : -1 - arg;
      case 2: {
        const n = this.length(arg);
        this.need(n);
        const v = this.b.slice(this.off, this.off + n);
        this.off += n;
        return v;
      }
      case 3: {
        const n = this.length(arg);
        this.need(n);
        // Text holds whatever bytes the sealer's string held; the payload
        // is authenticated, so bytes that are not UTF-8 are not refused.
        const v = decodeUTF8(this.b.subarray(this.off, this.off + n));
        this.off += n;
        return v;
      }
      case 4: {
        if (++depth > this.maxDepth) throw bad(`nested deeper than ${this.maxDepth} levels`);
        if (typeof arg === 'bigint' || arg > this.maxElements) throw bad(`array of more than ${this.maxElements} elements`);
        // Every element takes at least one byte.
        this.need(arg);
        const out = new Array(arg);
        for (let i = 0; i < arg; i++) out[i] = this.item(depth);
        return out;
      }
      case 5:
        if (++depth > this.maxDepth) throw bad(`nested deeper than ${this.maxDepth} levels`);
        if (typeof arg === 'bigint' || arg > this.maxElements) throw bad(`map of more than ${this.maxElements} pairs`);
        this.need(2 * arg);
        return this.map(arg, depth);
      case 6: {
        // The Go decoder counts a tag whose content is another tag as one
        // more level of nesting; a single tag adds none.
        this.need(1);
        if (this.b[this.off] >> 5 === 6 && ++depth > this.maxDepth) {
          throw bad(`nested deeper than ${this.maxDepth} levels`);
        }
        const content = this.item(depth);
        return this.tag(arg, content);
      }
      default:
        return this.simple(ai, arg, start);
    }
  }

  map(pairs, depth) {
    const keys = [];
    const vals = [];
    const seen = new Set();
    let allText = true;
    for (let i = 0; i < pairs; i++) {
      const kstart = this.off;
      const k = this.item(depth);
      const id = keyIdentity(k, this.b.subarray(kstart, this.off));
      if (seen.has(id)) throw bad('duplicate map key');
      seen.add(id);
      if (typeof k !== 'string') allText = false;
      keys.push(k);
      vals.push(this.item(depth));
    }
    if (!allText) return new Map(keys.map((k, i) => [k, vals[i]]));
    const obj = {};
    for (let i = 0; i < pairs; i++) {
      // defineProperty, not assignment: a key "__proto__" is data, never
      // the object's prototype.
      Object.defineProperty(obj, keys[i], { value: vals[i], enumerable: true, writable: true, configurable: true });
    }
    return obj;
  }

  tag(num, content) {
    switch (num) {
      case 2:
      case 3: {
        if (!(content instanceof Uint8Array)) throw bad('bignum tag without a byte string');
        let v = 0n;
        for (const x of content) v = (v << 8n) | BigInt(x);
        return num === 2 ? v : -1n - v;
      }
      case 0:
        // RFC 8949 wants text here. Whether the text must also be an RFC
        // 3339 date-time depends, in Go, on the type decoded into (a time
        // or an any refuses it, a string does not), so it is not checked.
        if (typeof content !== 'string') throw bad('date-time tag without a text string');
        break;
      case 1:
        if (typeof content !== 'number' && typeof content !== 'bigint') throw bad('epoch time tag without a number');
        break;
    }
    return new Tagged(num, content);
  }

  simple(ai, arg, start) {
    switch (ai) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 25: return halfToNumber(arg);
      case 26: return this.view.getFloat32(start + 1);
      case 27: return this.view.getFloat64(start + 1);
      default: return new Simple(arg);
    }
  }
}

// keyIdentity names a map key by its decoded value, so that two encodings
// of one key (a short and a long length, say) are still duplicates.
function keyIdentity(k, raw) {
  const major = raw[0] >> 5;
  if (major === 3) {
    // Text by its bytes, after the head: bytes that are not UTF-8 may
    // decode to the same U+FFFD, but are different keys.
    const ai = raw[0] & 0x1f;
    const headLen = ai < 24 ? 1 : { 24: 2, 25: 3, 26: 5, 27: 9 }[ai];
    return 't' + Buffer.from(raw.subarray(headLen)).toString('hex');
  }
  if (major === 0 || major === 1) return 'i' + BigInt(k);
  if (major === 2) return 'b' + Buffer.from(k).toString('hex');
  if (major === 7 && typeof k === 'number') {
    // A float of any size, by its value: 1.0 in two bytes and in eight is
    // one key, the integer 1 another.
    const b = Buffer.alloc(8);
    b.writeDoubleBE(k);
    return 'f' + b.toString('hex');
  }
  return 'r' + Buffer.from(raw).toString('hex');
}

function halfToNumber(h) {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes one CBOR item that must fill bytes exactly. Throws MalformedError.
 * @param {Uint8Array} bytes
 * @param {{maxDepth?: number, maxElements?: number}} [limits]
 */
export function decodeCBOR(bytes, limits = {}) {
  if (bytes.length === 0) throw bad('empty payload');
  const d = new Decoder(bytes, limits.maxDepth ?? MAX_NESTING, limits.maxElements ?? MAX_ELEMENTS);
  const v = d.item(0);
  if (d.off !== bytes.length) throw bad('data after the first item');
  return v;
}

/**
 * @internal decodeCBOR for a payload that should be a map, also returning
 * the major type (0–7) of the item under each key of that map, so that a
 * reader can tell the integer 1 from the float 1.0, as Go's typed fields do.
 * @returns {{value: unknown, majors: Map<unknown, number>}}
 */
export function decodeCBORWithMajors(bytes) {
  const value = decodeCBOR(bytes);
  const majors = new Map();
  if (bytes[0] >> 5 === 5) {
    // Go decodes the envelope, and each flash in member 4, into a struct
    // with integer keys: a key that is neither an integer of int64 nor
    // text (a float, bytes, null, a tag, an integer beyond int64) does
    // not fit it, while text keys and other integers are skipped.
    const d = new Decoder(bytes, MAX_NESTING, MAX_ELEMENTS);
    const { arg } = d.head();
    for (let i = 0; i < arg; i++) {
      const kmajor = bytes[d.off] >> 5;
      const k = d.item(1);
      if (!structKey(kmajor, k)) majors.badKey ??= 'envelope key is not an integer or text';
      majors.set(k, bytes[d.off] >> 5);
      if (k === 4 && bytes[d.off] >> 5 === 4) {
        const n = d.head().arg;
        for (let j = 0; j < n; j++) {
          if (bytes[d.off] >> 5 !== 5) {
            d.item(2);
            continue;
          }
          const pairs = d.head().arg;
          for (let p = 0; p < pairs; p++) {
            const fmajor = bytes[d.off] >> 5;
            if (!structKey(fmajor, d.item(3))) majors.badKey ??= 'flash key is not an integer or text';
            d.item(3);
          }
        }
      } else {
        d.item(1);
      }
    }
  }
  return { value, majors };
}

const MAX_I64 = (1n << 63n) - 1n;

// structKey reports whether a map key, of CBOR major type major, fits a
// Go struct with integer keys: an integer within int64, or text.
function structKey(major, k) {
  if (major === 3) return true;
  if (major === 0) return typeof k === 'number' || k <= MAX_I64;
  if (major === 1) return typeof k === 'number' || k >= -MAX_I64 - 1n;
  return false;
}

class Encoder {
  constructor() {
    this.chunks = [];
    this.len = 0;
  }

  push(u8) {
    this.chunks.push(u8);
    this.len += u8.length;
  }

  head(major, n) {
    const m = major << 5;
    if (typeof n === 'number' && n < 24) return this.push(Uint8Array.of(m | n));
    const big = BigInt(n);
    if (big < 0x100n) return this.push(Uint8Array.of(m | 24, Number(big)));
    if (big < 0x10000n) return this.push(Uint8Array.of(m | 25, Number(big >> 8n), Number(big & 0xffn)));
    const b = new Uint8Array(big < 0x100000000n ? 5 : 9);
    const dv = new DataView(b.buffer);
    if (b.length === 5) {
      b[0] = m | 26;
      dv.setUint32(1, Number(big));
    } else {
      b[0] = m | 27;
      dv.setBigUint64(1, big);
    }
    this.push(b);
  }

  count(n, what) {
    if (n > MAX_ELEMENTS) throw new RangeError(`cookiesession: ${what} of ${n} entries, at most ${MAX_ELEMENTS}`);
  }

  value(v, depth) {
    switch (typeof v) {
      case 'undefined':
        return this.push(Uint8Array.of(0xf6)); // as null: undefined has no place in a Go value
      case 'boolean':
        return this.push(Uint8Array.of(v ? 0xf5 : 0xf4));
      case 'number':
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v >= 0 ? this.head(0, v) : this.head(1, -1 - v);
        {
          const b = new Uint8Array(9);
          b[0] = 0xfb;
          new DataView(b.buffer).setFloat64(1, v);
          return this.push(b);
        }
      case 'bigint':
        return this.bigint(v);
      case 'string': {
        const b = Buffer.from(v, 'utf8');
        this.head(3, b.length);
        return this.push(b);
      }
      case 'object':
        break;
      default:
        throw new TypeError(`cookiesession: cannot encode a ${typeof v} as CBOR`);
    }
    if (v === null) return this.push(Uint8Array.of(0xf6));
    if (v instanceof Uint8Array) {
      this.head(2, v.length);
      return this.push(v);
    }
    if (v instanceof JSONNumber) {
      // A JSON number no double holds: CBOR has no decimal of its own here.
      return this.value(Number(v.text), depth);
    }
    if (v instanceof Date) {
      // As the Go serializer writes a time.Time: RFC 3339 text, untagged.
      return this.value(formatRFC3339(toNanos(v)), depth);
    }
    if (v instanceof Tagged) {
      this.head(6, v.tag);
      if (v.value instanceof Tagged && ++depth > MAX_NESTING) throw tooDeep();
      return this.value(v.value, depth);
    }
    if (v instanceof Simple) {
      if (v.value < 24) return this.push(Uint8Array.of(0xe0 | v.value));
      return this.push(Uint8Array.of(0xf8, v.value));
    }
    if (++depth > MAX_NESTING) throw tooDeep();
    if (Array.isArray(v)) {
      this.count(v.length, 'array');
      this.head(4, v.length);
      for (const x of v) this.value(x, depth);
      return;
    }
    if (v instanceof Map) {
      this.count(v.size, 'map');
      this.head(5, v.size);
      // Keys a JavaScript Map holds apart may still encode as one key (1
      // and 1n, null and undefined, a Date and its text, two arrays alike):
      // the decoder refuses such a map, so sealing refuses it first.
      const seen = new Set();
      for (const [k, x] of v) {
        const start = this.chunks.length;
        this.value(k, depth);
        const id = encodedKeyIdentity(Buffer.concat(this.chunks.slice(start)));
        if (seen.has(id)) throw duplicateKey();
        seen.add(id);
        this.value(x, depth);
      }
      return;
    }
    if (typeof v.toJSON === 'function') {
      return this.value(v.toJSON(), depth - 1);
    }
    const keys = Object.keys(v);
    this.count(keys.length, 'map');
    this.head(5, keys.length);
    // An object's keys are distinct strings, but those with lone
    // surrogates encode to U+FFFD and may collide ("\ud800", "\ufffd").
    const seen = keys.every((k) => k.isWellFormed()) ? null : new Set();
    for (const k of keys) {
      if (seen) {
        const id = Buffer.from(k, 'utf8').toString('latin1');
        if (seen.has(id)) throw duplicateKey();
        seen.add(id);
      }
      this.value(k, depth);
      this.value(v[k], depth);
    }
  }

  bigint(v) {
    if (v >= 0n && v < 1n << 64n) return this.head(0, v < BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    if (v < 0n && v >= -(1n << 64n)) {
      const n = -1n - v;
      return this.head(1, n < BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
    }
    const neg = v < 0n;
    let n = neg ? -1n - v : v;
    const bytes = [];
    while (n > 0n) {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    }
    this.head(6, neg ? 3 : 2);
    this.head(2, bytes.length);
    this.push(Uint8Array.from(bytes));
  }

  bytes() {
    return Buffer.concat(this.chunks, this.len);
  }
}

function duplicateKey() {
  return new TypeError('cookiesession: two map keys encode as one CBOR key, a duplicate that opening refuses');
}

// encodedKeyIdentity is keyIdentity for a key the encoder wrote, raw: the
// identity the decoder gives the same bytes when it checks for duplicates.
function encodedKeyIdentity(raw) {
  const d = new Decoder(raw, MAX_NESTING, MAX_ELEMENTS);
  const { major, ai, arg } = d.head();
  switch (major) {
    case 0: return keyIdentity(arg, raw);
    case 1: return keyIdentity(-1n - BigInt(arg), raw);
    case 2: return keyIdentity(raw.subarray(d.off), raw);
    case 7: return keyIdentity(ai >= 25 && ai <= 27 ? d.simple(ai, arg, 0) : null, raw);
    default: return keyIdentity(null, raw);
  }
}

function tooDeep() {
  return new RangeError(`cookiesession: value nested deeper than ${MAX_NESTING} levels`);
}

/**
 * Encodes a value as CBOR: objects and Maps as maps (in insertion order),
 * arrays as arrays, integers as integers (BigInt beyond 64 bits as a
 * bignum), other numbers as 64-bit floats, Uint8Array as byte strings,
 * Dates as RFC 3339 text. Refuses what could not be opened again: nesting
 * beyond 32 levels or more than 65536 entries.
 * @param {unknown} v
 * @returns {Uint8Array}
 */
export function encodeCBOR(v) {
  const e = new Encoder();
  e.value(v, 0);
  return e.bytes();
}
