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
//   - tags 0–3 around content of the wrong kind (tagContentProblem);
//   - data after the first item, and an empty payload.
//
// The encoder refuses whatever the decoder would refuse, before anything
// is sealed, so that whatever seals also opens, and comes back equal. It
// also refuses a value that holds itself, and stops as soon as its
// output passes MAX_ENCODED (see json.js), which no codec seals.
//
// Every loop is bounded by the input's length or by these limits. Errors
// never quote the input: it is a session's plaintext.

import { MalformedError } from './errors.js';
import { decodeUTF8 } from './utf8.js';
import { JSONNumber, notPlainObject, MAX_ENCODED, encodedTooLarge, holdsItself, loneSurrogate, ownKeysCounted, jsonNumberText, cborNumberOf, checkRevoked, checkGenuine, repeats, checkArrayProperties } from './json.js';
import { formatRFC3339, toNanos } from './time.js';

/** The deepest nesting of arrays and maps a payload may have. */
export const MAX_NESTING = 32;
/** The most elements of an array, or pairs of a map. */
export const MAX_ELEMENTS = 65536;

/**
 * A CBOR tag other than the bignums (2, 3), which decode to BigInt. The
 * encoder takes tag numbers from 0 to 2^64 − 1, and refuses tags 2 and 3
 * and tags 0 and 1 around content the decoder refuses there.
 */
export class Tagged {
  /** @param {number | bigint} tag @param {unknown} value */
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/**
 * A CBOR simple value other than false, true, null and undefined: 0–19 or
 * 32–255, the only ones that decode as a Simple.
 */
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
        // A copy, as a plain Uint8Array: a Buffer's slice would be a view
        // into the input, which the Codec wipes once it is decoded.
        const v = new Uint8Array(this.b.subarray(this.off, this.off + n));
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
        const ib = this.b[this.off];
        if (ib >> 5 === 6 && ++depth > this.maxDepth) {
          throw bad(`nested deeper than ${this.maxDepth} levels`);
        }
        // The kind of the content is judged by its initial byte, as the Go
        // decoder does: the decoded value alone cannot tell an integer
        // from a bignum (both may be a BigInt here).
        const problem = tagContentProblem(arg, ib);
        if (problem !== null) throw bad(problem);
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
      const id = keyIdentity(this.b.subarray(kstart, this.off));
      if (id !== null) {
        if (seen.has(id)) throw bad('duplicate map key');
        seen.add(id);
      }
      if (typeof k !== 'string') allText = false;
      keys.push(k);
      vals.push(this.item(depth));
    }
    // Keys that are different CBOR keys can still be one JavaScript key:
    // text that is not UTF-8 decodes with U+FFFD, so "a\xff" and "a\xfe"
    // (which Go keeps apart, and seals) are both "a\uFFFD"; a Map holds one
    // of the float 1.0 and the integer 1, and one of two NaNs. Rather than
    // keep the later value and lose the other without a word, the payload
    // is refused: it is valid, but not one JavaScript can hold.
    const lost = () => new MalformedError('two of a map\'s keys, different in CBOR, are one key in JavaScript ' +
      '(text that is not UTF-8, which decodes to U+FFFD; the float 1.0 beside the integer 1; two NaNs): ' +
      'the map cannot be held without losing a value');
    if (!allText) {
      const m = new Map(keys.map((k, i) => [k, vals[i]]));
      if (m.size !== pairs) throw lost();
      return m;
    }
    const obj = {};
    for (let i = 0; i < pairs; i++) {
      if (Object.hasOwn(obj, keys[i])) throw lost();
      // defineProperty, not assignment: a key "__proto__" is data, never
      // the object's prototype.
      Object.defineProperty(obj, keys[i], { value: vals[i], enumerable: true, writable: true, configurable: true });
    }
    return obj;
  }

  // tag builds the value of a tag whose content tagContentProblem passed.
  tag(num, content) {
    if (num === 2 || num === 3) {
      const v = bignumOf(content);
      return num === 2 ? v : -1n - v;
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

// tagContentProblem says what is wrong with the content of tag num, given
// the initial byte ib of that content, or null when nothing is: FORMAT.md
// ("Payload") refuses tag 0 around anything but a text string, tag 1
// around anything but an integer (major type 0 or 1, not a bignum) or a
// float, and tags 2 and 3 around anything but a byte string, as the Go
// decoder does (fxamacker/cbor's validBuiltinTag). Other tags take any
// content. The encoder asks the same question of the bytes it wrote, so
// that it refuses exactly what the decoder would.
//
// Whether tag 0's text is also an RFC 3339 date-time, and whether tag 1's
// seconds fit in 64 bits, depends in Go on the type decoded into (a time
// or an any refuses them, a string or an integer does not), so neither is
// checked.
function tagContentProblem(num, ib) {
  const major = ib >> 5;
  switch (num) {
    case 0:
      return major === 3 ? null : 'date-time tag without a text string';
    case 1:
      // 0xf9–0xfb: a float of two, four or eight bytes. The other simple
      // values (false, null, …) are not numbers.
      return major === 0 || major === 1 || (ib >= 0xf9 && ib <= 0xfb) ? null : 'epoch time tag without an integer or a float';
    case 2:
    case 3:
      return major === 2 ? null : 'bignum tag without a byte string';
    default:
      return null;
  }
}

// A key that holds a NaN equals no key, itself included.
const INCOMPARABLE = Symbol('incomparable');

// keyIdentity names a map key, given its encoding raw (one well-formed
// item), by the value it decodes to, whatever its encoding: two keys are
// duplicates exactly when their identities are equal (FORMAT.md,
// "Payload": keys are equal when they decode to the same value). So a
// short and a long length, or a tag around 1 and around 1 in two bytes,
// are one key. Values compare as Go compares the keys of its generic map:
//
//   - text by its bytes: bytes that are not UTF-8 may decode to the same
//     U+FFFD, but are different keys;
//   - integers (major types 0 and 1) by value, and floats of any size by
//     value, apart from integers (1.0 is not the key 1); -0.0 equals 0.0,
//     and a NaN equals nothing, so a key holding one is never a duplicate
//     (identity null);
//   - a bignum (tags 2, 3) by its value, apart from integers;
//   - other tags by number and content, arrays element by element, maps by
//     their pairs in any order, simple values by number, but null and
//     undefined are one value.
//
// The encoder names the keys it writes with the same function, so that it
// refuses the duplicates the decoder would refuse.
function keyIdentity(raw) {
  const ib = raw[0];
  if (ib >> 5 === 3) {
    // Text, the usual key: by its bytes, after the head.
    const ai = ib & 0x1f;
    const headLen = ai < 24 ? 1 : 1 + (1 << (ai - 24));
    return 't' + Buffer.from(raw.subarray(headLen)).toString('hex') + ';';
  }
  // An integer of up to 32 bits, the envelope's keys: no decoder needed.
  if (ib < 0x40 && (ib & 0x1f) <= 26) {
    const ai = ib & 0x1f;
    let n = ai;
    if (ai === 24) n = raw[1];
    else if (ai === 25) n = raw[1] * 0x100 + raw[2];
    else if (ai === 26) n = ((raw[1] * 0x100 + raw[2]) * 0x100 + raw[3]) * 0x100 + raw[4];
    return 'i' + (ib < 0x20 ? n : -1 - n) + ';';
  }
  const d = new Decoder(raw, MAX_NESTING, MAX_ELEMENTS);
  try {
    return identityOf(d);
  } catch (e) {
    if (e === INCOMPARABLE) return null;
    throw e;
  }
}

// identityOf reads one item from d and returns its identity. Every
// identity starts with a letter for its kind and ends with a closing
// character, so that those of the parts of an array, a map or a tag,
// written one after the other, name them without ambiguity.
function identityOf(d) {
  const start = d.off;
  const { major, ai, arg } = d.head();
  switch (major) {
    case 0:
      return 'i' + arg + ';';
    case 1:
      return 'i' + (-1n - BigInt(arg)) + ';';
    case 2:
    case 3: {
      const n = Number(arg);
      const hex = Buffer.from(d.b.subarray(d.off, d.off + n)).toString('hex');
      d.off += n;
      return (major === 2 ? 'b' : 't') + hex + ';';
    }
    case 4: {
      let s = 'a[';
      for (let i = 0; i < arg; i++) s += identityOf(d);
      return s + ']';
    }
    case 5: {
      const pairs = [];
      for (let i = 0; i < arg; i++) pairs.push(identityOf(d) + identityOf(d));
      return 'm{' + pairs.sort().join('') + '}';
    }
    case 6: {
      if (arg === 2 || arg === 3) {
        const n = Number(d.head().arg);
        const v = bignumOf(d.b.subarray(d.off, d.off + n));
        d.off += n;
        return 'n' + (arg === 2 ? v : -1n - v) + ';';
      }
      return 'g' + arg + '(' + identityOf(d) + ')';
    }
    default: {
      if (ai >= 25 && ai <= 27) {
        const f = d.simple(ai, arg, start);
        if (Number.isNaN(f)) throw INCOMPARABLE;
        const b = Buffer.alloc(8);
        b.writeDoubleBE(f === 0 ? 0 : f); // -0.0 is 0.0
        return 'f' + b.toString('hex') + ';';
      }
      // null and undefined are one key, as in Go, where both decode to nil
      // (and as the encoder writes undefined: as null).
      if (arg === 23) return 's22;';
      // false, true, null and the other simple values.
      return 's' + arg + ';';
    }
  }
}

// bignumOf reads the big-endian unsigned integer of bytes b, through
// hexadecimal, in time linear in its length (shifting in a byte at a time
// takes quadratic time).
function bignumOf(b) {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex'));
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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Encoder writes CBOR into one buffer, which grows as it fills, up to
// MAX_ENCODED: past it the value is refused at once, as len, the bytes
// written so far, plus those about to be, is a lower bound of the whole
// encoding's length.
class Encoder {
  constructor() {
    this.buf = Buffer.alloc(256);
    this.len = 0;
    // The arrays, maps, objects and tags being written, outermost first.
    this.path = [];
    // The own properties of the objects reached (MAX_PARTS).
    this.parts = 0;
  }

  // room makes room for n more bytes, or refuses the value. The buffer is
  // never longer than MAX_ENCODED, so the bound is checked only when it
  // grows.
  room(n) {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > MAX_ENCODED) throw encodedTooLarge(need);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = Buffer.alloc(Math.min(cap, MAX_ENCODED));
    b.set(this.buf.subarray(0, this.len));
    this.buf.fill(0); // it holds part of a plaintext
    this.buf = b;
  }

  byte(x) {
    this.room(1);
    this.buf[this.len++] = x;
  }

  // head writes an item's initial byte and argument n: a safe integer, or
  // a BigInt below 2^64.
  head(major, n) {
    const m = major << 5;
    if (typeof n === 'bigint') {
      if (n > MAX_SAFE) {
        this.room(9);
        this.buf[this.len] = m | 27;
        this.buf.writeBigUInt64BE(n, this.len + 1);
        this.len += 9;
        return;
      }
      n = Number(n);
    }
    if (n < 24) return this.byte(m | n);
    if (n < 0x100) {
      this.room(2);
      this.buf[this.len] = m | 24;
      this.buf[this.len + 1] = n;
      this.len += 2;
    } else if (n < 0x10000) {
      this.room(3);
      this.buf[this.len] = m | 25;
      this.buf.writeUInt16BE(n, this.len + 1);
      this.len += 3;
    } else if (n < 0x100000000) {
      this.room(5);
      this.buf[this.len] = m | 26;
      this.buf.writeUInt32BE(n, this.len + 1);
      this.len += 5;
    } else {
      this.room(9);
      this.buf[this.len] = m | 27;
      this.buf.writeUInt32BE(Math.floor(n / 0x100000000), this.len + 1);
      this.buf.writeUInt32BE(n >>> 0, this.len + 5);
      this.len += 9;
    }
  }

  // raw writes the bytes of b, after room was made for them.
  raw(b) {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  count(n, what) {
    if (n > MAX_ELEMENTS) throw new RangeError(`cookiesession: ${what} of ${n} entries, at most ${MAX_ELEMENTS}`);
  }

  // value writes v at nesting depth. inTag says that v is directly the
  // content of a tag, where a value written as another tag is one more
  // level, as the decoder counts it. stands says that v is what a toJSON
  // returned, whose own toJSON is not called, as JSON.stringify does not:
  // one that returns itself would be called without end. key is the
  // property name, or array index, under which v sits ('' at the top, in
  // a tag or as a Map's key), which a toJSON is given as JSON.stringify
  // gives it.
  value(v, depth, inTag = false, stands = false, key = '') {
    switch (typeof v) {
      case 'undefined':
        return this.byte(0xf6); // as null: undefined has no place in a Go value
      case 'boolean':
        return this.byte(v ? 0xf5 : 0xf4);
      case 'number':
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v >= 0 ? this.head(0, v) : this.head(1, -1 - v);
        this.room(9);
        this.buf[this.len] = 0xfb;
        this.buf.writeDoubleBE(v, this.len + 1);
        this.len += 9;
        return;
      case 'bigint':
        return this.bigint(v, depth, inTag);
      case 'string':
        return this.text(v);
      case 'object':
        break;
      default:
        throw new TypeError(`cookiesession: cannot encode a ${typeof v} as CBOR`);
    }
    if (v === null) return this.byte(0xf6);
    checkRevoked(v);
    if (Array.isArray(v)) {
      checkArrayProperties(v);
      depth = this.enter(v, depth);
      this.count(v.length, 'array');
      const n = v.length;
      this.head(4, n);
      for (let i = 0; i < n; i++) this.value(v[i], depth, false, false, String(i));
      this.path.pop();
      return;
    }
    if (v instanceof Uint8Array) {
      checkGenuine(v, 'Uint8Array');
      this.head(2, v.length);
      return this.raw(v);
    }
    if (v instanceof JSONNumber) {
      return this.value(cborNumberOf(jsonNumberText(v)), depth, inTag);
    }
    if (v instanceof Date) {
      checkGenuine(v, 'Date');
      // As the Go serializer refuses such a time: toISOString writes a
      // year beyond 0–9999 with six digits and a sign, which is not RFC
      // 3339, and opens as a string that is no time.
      const year = v.getUTCFullYear();
      if (year < 0 || year > 9999) {
        throw new TypeError('cookiesession: a Date whose year is outside 0–9999, which RFC 3339 cannot write');
      }
      // As the Go serializer writes a time.Time: RFC 3339 text, untagged.
      return this.value(formatRFC3339(toNanos(v)), depth, inTag);
    }
    if (v instanceof Tagged) return this.tagged(v, depth, inTag);
    if (v instanceof Simple) return this.simple(v.value);
    // An object that stands for another value (toJSON) is that value, at
    // the same depth: it is no level of its own.
    if (!stands && typeof v.toJSON === 'function' && !(v instanceof Map)) {
      // v is among the values being written while what it stands for is
      // (enter): a toJSON that returns a new array holding v loops
      // through v alone.
      this.path.push(v);
      this.value(v.toJSON(key), depth, inTag, true);
      this.path.pop();
      return;
    }
    if (v instanceof Map) {
      checkGenuine(v, 'Map');
      depth = this.enter(v, depth);
      this.count(v.size, 'map');
      this.head(5, v.size);
      // Keys a JavaScript Map holds apart may still encode as one key (1
      // and 1n, null and undefined, a Date and its text, two arrays alike):
      // the decoder refuses such a map, so sealing refuses it first.
      const seen = new Set();
      for (const [k, x] of v) {
        const start = this.len;
        this.value(k, depth);
        const id = keyIdentity(this.buf.subarray(start, this.len));
        if (id !== null) {
          if (seen.has(id)) throw duplicateKey();
          seen.add(id);
        }
        this.value(x, depth, false, false, typeof k === 'string' ? k : '');
      }
      this.path.pop();
      return;
    }
    depth = this.enter(v, depth);
    const problem = notPlainObject(v);
    if (problem !== null) throw new TypeError(`cookiesession: ${problem}`);
    const keys = ownKeysCounted(v, this);
    this.count(keys.length, 'map');
    this.head(5, keys.length);
    // An object's keys are distinct strings, and each is well formed
    // (text refuses a lone surrogate), so none collide.
    for (const k of keys) {
      this.text(k);
      this.value(v[k], depth, false, false, k);
    }
    this.path.pop();
  }

  // enter starts writing v, an array, a map or a tag, below depth, and
  // returns its own depth. A value that holds itself nests without end:
  // it is told from one that is only deep, once past MAX_NESTING, by an
  // object's being twice among the values it is written in (v, or an
  // object whose toJSON gave what is written).
  enter(v, depth) {
    if (depth >= MAX_NESTING) throw this.path.includes(v) || repeats(this.path) ? holdsItself() : tooDeep();
    this.path.push(v);
    return depth + 1;
  }

  text(v) {
    const n = v.length;
    // Weighed before it is converted: each UTF-16 unit takes at least a
    // byte of UTF-8, and the head one more. A long string held in many
    // places is refused before it is copied more than the bound allows.
    if (n >= 256) {
      this.room(1 + n);
    } else {
      // Short ASCII text, most keys and values, is written here: a call
      // into Buffer costs more than this loop. Whatever it wrote past len
      // when it meets another character, the longer UTF-8 form below
      // writes over.
      const h = n < 24 ? 1 : 2;
      this.room(h + n);
      const b = this.buf;
      const at = this.len + h;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        b[at + i] = c;
      }
      if (i === n) {
        if (h === 1) b[this.len] = 0x60 | n;
        else {
          b[this.len] = 0x78;
          b[this.len + 1] = n;
        }
        this.len = at + n;
        return;
      }
    }
    // A lone surrogate has no UTF-8 form: Buffer writes U+FFFD in its
    // place, and the value would open as another string.
    if (!v.isWellFormed()) throw loneSurrogate();
    const m = Buffer.byteLength(v, 'utf8');
    this.head(3, m);
    this.room(m);
    this.len += this.buf.write(v, this.len, m, 'utf8');
  }

  // tagged writes a Tagged, refusing what the decoder would refuse or give
  // back as something else.
  tagged(v, depth, inTag) {
    const num = tagNumber(v.tag);
    // The decoder turns tags 2 and 3 into a BigInt, never into a Tagged
    // (and refuses them around anything but bytes): a BigInt beyond 64
    // bits is how a bignum is written.
    if (num === 2 || num === 3) {
      throw new TypeError('cookiesession: a Tagged with tag 2 or 3 (a bignum) would open as a BigInt; encode the BigInt itself');
    }
    // A tag directly inside a tag is one more level; any other is none.
    if (inTag) depth = this.enter(v, depth);
    else this.path.push(v);
    this.head(6, num);
    const at = this.len;
    this.value(v.value, depth, true);
    // Judged on the bytes written, as the decoder judges them: a Date is
    // text, a BigInt beyond 64 bits a bignum, a JSONNumber a number.
    const problem = tagContentProblem(num, this.buf[at]);
    if (problem !== null) throw new TypeError(`cookiesession: ${problem}, which opening refuses`);
    this.path.pop();
  }

  // simple writes a Simple of number n.
  simple(n) {
    // Only 0–19 and 32–255 decode as a Simple: 20–23 are false, true, null
    // and undefined, 24–31 have no valid encoding (RFC 8949, section 3.3)
    // and the decoder refuses them, and there are no others. Anything else
    // would write another value, or bytes that do not decode.
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255 || (n >= 20 && n < 32)) {
      throw new TypeError('cookiesession: a CBOR simple value is an integer from 0 to 19 or from 32 to 255 ' +
        '(20–23 are false, true, null and undefined; 24–31 have no encoding)');
    }
    if (n < 20) return this.byte(0xe0 | n);
    this.room(2);
    this.buf[this.len] = 0xf8;
    this.buf[this.len + 1] = n;
    this.len += 2;
  }

  bigint(v, depth, inTag) {
    if (v >= 0n && v < 1n << 64n) return this.head(0, v);
    if (v < 0n && v >= -(1n << 64n)) return this.head(1, -1n - v);
    // Beyond 64 bits, a bignum: a tag, one more level when it is directly
    // the content of another tag.
    if (inTag && depth + 1 > MAX_NESTING) throw tooDeep();
    const neg = v < 0n;
    // Through hexadecimal, which takes time linear in the number's
    // length (taking off a byte at a time takes quadratic time).
    const hex = (neg ? -1n - v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    this.head(6, neg ? 3 : 2);
    this.head(2, n);
    this.room(n);
    this.len += this.buf.write(hex.length & 1 ? '0' + hex : hex, this.len, n, 'hex');
  }

  bytes() {
    // A view of the buffer, whose bytes beyond it were never written: a
    // Codec wipes what it is given once it is sealed.
    return this.buf.subarray(0, this.len);
  }
}

function duplicateKey() {
  return new TypeError('cookiesession: two map keys encode as one CBOR key, a duplicate that opening refuses');
}

const MAX_U64 = (1n << 64n) - 1n;

// tagNumber checks the number of a Tagged: CBOR tag numbers are the
// integers from 0 to 2^64 − 1, and any other would be written as another
// tag or as bytes that do not decode. It returns the number as the
// decoder gives it: a Number when it is safe, else a BigInt.
function tagNumber(t) {
  let big;
  if (typeof t === 'number' && Number.isInteger(t)) big = BigInt(t);
  else if (typeof t === 'bigint') big = t;
  if (big === undefined || big < 0n || big > MAX_U64) {
    throw new TypeError('cookiesession: a CBOR tag number is an integer from 0 to 2^64 − 1');
  }
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function tooDeep() {
  return new RangeError(`cookiesession: value nested deeper than ${MAX_NESTING} levels`);
}

/**
 * Encodes a value as CBOR: objects and Maps as maps (in insertion order),
 * arrays as arrays, integers as integers (BigInt beyond 64 bits as a
 * bignum), other numbers as 64-bit floats, Uint8Array as byte strings,
 * Dates as RFC 3339 text, Tagged and Simple as the tag or simple value
 * they hold. Refuses what could not be opened again, or would open as
 * another value: nesting beyond 32 levels or more than 65536 entries
 * (RangeError); map keys that decode as one key, a Simple outside 0–19 and
 * 32–255, a tag number outside 0 to 2^64 − 1, a Tagged of tag 2 or 3, a
 * Tagged of tag 0 or 1 around content the decoder refuses there, and a
 * value that holds itself (TypeError); an encoding longer than 1 MiB
 * (TooLargeError, atLeast), before it is written out in full.
 * @param {unknown} v
 * @returns {Uint8Array}
 */
export function encodeCBOR(v) {
  const e = new Encoder();
  try {
    e.value(v, 0);
  } catch (err) {
    e.buf.fill(0); // what it holds of the value, written before it was refused
    throw err;
  }
  return e.bytes();
}
