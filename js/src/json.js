// A strict JSON (RFC 8259) parser with the limits the formats need: a
// nesting bound, exactly one value (whitespace may follow), and either
// duplicate member names refused (the keyring file) or the last one kept
// (a payload, as Go's encoding/json does). Unlike JSON.parse it keeps
// integers beyond 2^53 exact, as BigInt. Bytes that are not UTF-8 inside
// strings become U+FFFD, as in Go; a byte order mark is refused, as in Go.


import { types } from 'node:util';
import { decodeUTF8 } from './utf8.js';
import { TooLargeError } from './errors.js';

/**
 * With the parser option `entries`, every object also carries its members
 * in order, repeated names included, as [name, value] pairs under this
 * (non-enumerable) key: for readers that, like Go's encoding/json into a
 * struct, see every member and not only the last of each name.
 */
export const MEMBERS = Symbol('cookiesession.jsonMembers');

/** A JSON number as written, for callers that need its exact form. */
export class RawNumber {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * A JSON number that no JavaScript number holds without loss (beyond a
 * double's precision or range, such as 123456789012345678901234567890.5
 * or 1e400), kept as the text it was written as, like Go's json.Number.
 * The JSON serializer writes it back as that number.
 */
export class JSONNumber {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

// JSON's number grammar exactly (RFC 8259, section 6): no leading zeros,
// no "+", digits on both sides of a point. DECIMAL is looser.
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * @internal the text of JSONNumber v, read once (a getter could give
 * another text to a second read than to the check), or a TypeError when
 * it is not a JSON number, which no encoding writes as one.
 * @param {JSONNumber} v
 */
export function jsonNumberText(v) {
  const text = v.text;
  if (typeof text !== 'string' || !JSON_NUMBER.test(text)) {
    throw new TypeError('cookiesession: a JSONNumber whose text is not a JSON number has no encoding');
  }
  return text;
}

/**
 * @internal what a JSONNumber's text is written as in CBOR, which has no
 * decimal of its own (a decimal fraction tag opens as a Tagged, and in Go
 * as a cbor.Tag): an integer as a BigInt, exact at any size (-0 apart, a
 * double), another number as the double it names when that double names
 * the same decimal, which opens as the number JSON opens it as. Refuses a
 * number no double holds, which would open as another number.
 * @param {string} text JSON number text (jsonNumberText)
 * @returns {number | bigint}
 */
export function cborNumberOf(text) {
  if (/^-?[0-9]+$/.test(text) && text !== '-0') return BigInt(text);
  const n = Number(text);
  if (Number.isFinite(n) && decimalOf(text) === decimalOf(String(n))) return n;
  throw new TypeError('cookiesession: a JSONNumber that no double holds exactly would open as another number under CBOR, ' +
    'which has no decimal form; seal it with the JSON serializer, or convert it first');
}

// decimalOf gives a number's text one spelling per value: sign, digits
// without leading or trailing zeros, and the power of ten.
function decimalOf(text) {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  let digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '');
  if (digits === '') return '0';
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}${digits}e${exp}`;
}

/**
 * Numbers as values, without loss (FORMAT.md, "Payload", JSON): integers
 * exact (BigInt beyond 2^53), other numbers as doubles when the double
 * names the same decimal (1.5, 1.10, 2e3), else a JSONNumber.
 */
export function losslessNumber(text) {
  if (/^-?[0-9]+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  const n = Number(text);
  if (Number.isFinite(n) && decimalOf(text) === decimalOf(String(n))) return n;
  return new JSONNumber(text);
}

class Parser {
  constructor(text, opts) {
    this.s = text;
    this.i = 0;
    this.maxDepth = opts.maxDepth;
    this.duplicates = opts.duplicates;
    this.checkName = opts.checkName;
    this.number = opts.number;
    this.entries = Boolean(opts.entries);
  }

  fail(why) {
    const e = new SyntaxError(`${why} at offset ${this.i}`);
    throw e;
  }

  ws() {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  value(depth) {
    this.ws();
    const c = this.s[this.i];
    switch (c) {
      case '{':
      case '[':
        if (depth + 1 > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
        return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      default: {
        NUMBER.lastIndex = this.i;
        const m = NUMBER.exec(this.s);
        if (!m) this.fail(this.i >= this.s.length ? 'unexpected end' : 'unexpected character');
        this.i += m[0].length;
        return this.number(m[0]);
      }
    }
  }

  word(w, v) {
    if (!this.s.startsWith(w, this.i)) this.fail('unexpected character');
    this.i += w.length;
    return v;
  }

  array(depth) {
    this.i++; // [
    const out = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected , or ]');
    }
  }

  object(depth) {
    this.i++; // {
    const out = {};
    const members = [];
    if (this.entries) Object.defineProperty(out, MEMBERS, { value: members, configurable: true });
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a member name');
      const name = this.string();
      if (this.checkName) this.checkName(name);
      if (this.duplicates === 'error' && Object.hasOwn(out, name)) {
        throw new SyntaxError(`member ${JSON.stringify(name)} repeated`);
      }
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      const v = this.value(depth);
      Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
      if (this.entries) members.push([name, v]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected , or }');
    }
  }

  string() {
    this.i++; // "
    const s = this.s;
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(start, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          this.i += 4;
          break;
        }
        default:
          this.fail('bad escape');
      }
      start = this.i;
    }
  }
}

/**
 * Parses exactly one JSON value from bytes or text.
 * @param {Uint8Array | string} input
 * @param {{maxDepth: number, duplicates: 'last' | 'error', entries?: boolean,
 *   checkName?: (name: string) => void, number?: (text: string) => unknown}} opts
 */
export function parseJSON(input, opts) {
  const text = typeof input === 'string' ? input : decodeUTF8(input);
  const p = new Parser(text, { number: losslessNumber, ...opts });
  const v = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail('data after the JSON value');
  return v;
}

/**
 * What is wrong with sealing object v as a map of its own keys, or null
 * when nothing is: v is an object of a class (a Set, a RegExp, an Error,
 * an ArrayBuffer, a typed array other than Uint8Array, a boxed Number, an
 * instance of the application's), which would open as a plain object, a
 * value of another kind. Plain objects (and those of no prototype) are
 * what opening gives back.
 * @param {object} v
 */
export function notPlainObject(v) {
  const proto = Object.getPrototypeOf(v);
  // Object.prototype of this realm or of another (a vm context's), whose
  // own prototype is null, or none at all.
  if (proto === null || Object.getPrototypeOf(proto) === null) return null;
  return `${kindOf(v)} would open as a plain object, another value; convert it first ` +
    '(to an array, a plain object, a Uint8Array for bytes), or give its class a toJSON method';
}

// kindOf names what object v is, for a message, from its internal slots
// alone: a class's name, its constructor and its Symbol.toStringTag are
// the application's (or the value's) to set, of any length, and reading
// them may run a getter, so none of them is quoted.
function kindOf(v) {
  if (types.isMap(v)) return 'a Map';
  if (types.isSet(v)) return 'a Set';
  if (types.isRegExp(v)) return 'a RegExp';
  if (types.isNativeError(v)) return 'an Error';
  if (types.isAnyArrayBuffer(v)) return 'an ArrayBuffer';
  if (types.isTypedArray(v) || types.isDataView(v)) return 'a typed array';
  if (types.isBoxedPrimitive(v)) return 'a boxed primitive';
  if (types.isWeakMap(v) || types.isWeakSet(v)) return 'a WeakMap or WeakSet';
  if (types.isPromise(v)) return 'a Promise';
  return 'an instance of a class';
}

// MAX_ENCODED bounds the length of a value's encoding, in bytes: no codec
// seals more (maxLength is at most 1 MiB). A part held in several places
// (a tree whose nodes share their children, an array of many references
// to one long string or to one byte array) is written once for each place
// that holds it, so that a value of a few kilobytes in memory can encode
// to gigabytes, and take minutes and all the memory there is. The
// encoders keep a lower bound of the length they will write, and stop as
// soon as it passes the bound, before anything is written beyond it: the
// time and memory spent on a value they refuse are about those of 1 MiB
// of output, whatever the value shares.
export const MAX_ENCODED = 1 << 20;

// MAX_PARTS bounds the own properties of the objects an encoding reaches,
// each counted every time it is reached, whether it is written or not. A
// member that is undefined is left out of JSON, and a property that is
// not enumerable, or named by a symbol, is left out of both encodings:
// they write nothing for the byte bound to weigh, but listing an object's
// keys takes time in all of its properties, so that an object of many of
// them, held in many places, would be read in full for each.
export const MAX_PARTS = MAX_ENCODED;

/**
 * @internal the keys an encoder writes of plain object x (its enumerable
 * own string keys, in order), after counting every own property x has
 * against MAX_PARTS in counter c (c.parts, the properties counted so far).
 * @param {object} x @param {{parts: number}} c
 */
// checkArrayProperties refuses an array with an enumerable property that is no
// index (arr.note = 'x'): neither serializer writes it (JSON.stringify
// leaves it out too), so the array would open without it. Object.keys
// lists an array's indices first, in order, then its other names.
export function checkArrayProperties(a) {
  const keys = Object.keys(a);
  if (keys.length === 0) return;
  const last = keys[keys.length - 1];
  if (!/^(0|[1-9][0-9]*)$/.test(last) || Number(last) >= a.length) {
    throw new TypeError('cookiesession: an array with a property that is no index, which is not written and would open without it');
  }
}

export function ownKeysCounted(x, c) {
  // Every own property, which Object.keys skips but reads: the names (not
  // enumerable ones included) and the symbols, counted before Object.keys
  // runs. Two calls, as V8 lists names much faster than Reflect.ownKeys
  // lists names and symbols together.
  const n = Object.getOwnPropertyNames(x).length + Object.getOwnPropertySymbols(x).length;
  if (n > MAX_PARTS - c.parts) throw new TooLargeError('value', c.parts + n, MAX_PARTS, 'parts');
  c.parts += n;
  return Object.keys(x);
}

/** @internal the error of an encoding that passes MAX_ENCODED, having written at least size bytes. */
export function encodedTooLarge(size) {
  return new TooLargeError('value', size, MAX_ENCODED, 'bytes', { atLeast: true });
}

/** @internal whether an object is twice in path, the values being written, outermost first. */
export function repeats(path) {
  return new Set(path).size < path.length;
}

/** @internal the error of a value that holds itself, which no encoding can write out. */
export function holdsItself() {
  return new TypeError('cookiesession: the value holds itself (an object, array or map inside itself), which no encoding can write');
}

/**
 * @internal refuses object v when it is a revoked Proxy, which throws on
 * every question asked of it, from Array.isArray on.
 */
export function checkRevoked(v) {
  if (!types.isProxy(v)) return;
  try {
    Array.isArray(v);
  } catch {
    throw new TypeError('cookiesession: a revoked Proxy has no encoding');
  }
}

/**
 * @internal refuses v, which instanceof takes for a kind (a Date, a
 * Uint8Array, a Map), unless it is one: instanceof asks the prototype
 * chain, which a Proxy of one, or an object made from its prototype, has
 * too, while the methods and getters of the kind throw on anything else.
 * It refuses a Uint8Array whose buffer was transferred (detached), whose
 * bytes are gone (it seems empty, but reading it throws).
 * @param {object} v @param {'Date' | 'Uint8Array' | 'Map'} kind
 */
export function checkGenuine(v, kind) {
  const genuine = kind === 'Date' ? types.isDate(v) : kind === 'Map' ? types.isMap(v) : types.isUint8Array(v);
  if (!genuine) {
    throw new TypeError(`cookiesession: an object that passes for a ${kind} without being one (a Proxy of one, or an object ` +
      `made from its prototype) has no encoding; pass the ${kind} itself`);
  }
  if (kind === 'Uint8Array' && v.length === 0) {
    try {
      new Uint8Array(v.buffer, 0, 0);
    } catch {
      throw new TypeError('cookiesession: a Uint8Array whose buffer was transferred (detached) has no bytes to encode');
    }
  }
}

/** @internal the error of a string no UTF-8 holds. */
export function loneSurrogate() {
  return new TypeError('cookiesession: a string with a lone surrogate, which UTF-8 cannot hold, would open as another string');
}

const MAX_U64 = (1n << 64n) - 1n;

// What JSON.stringify escapes in a well-formed string.
const ESCAPED = /["\\\u0000-\u001f]/;

// quote writes a well-formed string as JSON.stringify does, without its
// call for the many strings with nothing to escape.
function quote(s) {
  return ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// JSONWriter writes a value as JSON, as JSON.stringify does (toJSON, the
// enumerable own string keys of objects in their order, holes and
// undefined elements as null, undefined members left out), but for what
// Go's encoding/json reads back otherwise or not at all, which it refuses,
// and with the encoding's length bounded as it goes (MAX_ENCODED).
class JSONWriter {
  constructor(maxDepth) {
    this.maxDepth = maxDepth;
    this.out = '';
    // A lower bound of the UTF-8 bytes written: the UTF-16 units of the
    // text, each of which takes at least a byte.
    this.size = 0;
    this.parts = 0;
    // The arrays and objects being written, outermost first.
    this.path = [];
  }

  // need refuses the value unless n more bytes fit in MAX_ENCODED: it
  // runs before what is long is converted.
  need(n) {
    if (this.size + n > MAX_ENCODED) throw encodedTooLarge(this.size + n);
  }

  push(s) {
    this.size += s.length;
    if (this.size > MAX_ENCODED) throw encodedTooLarge(this.size);
    this.out += s;
  }

  // resolve gives what raw, held under key k (a name, or an array's
  // index), is written as: its toJSON's result, or raw itself. It
  // refuses what JSON has no form for.
  resolve(k, raw) {
    let x = raw;
    if (typeof raw === 'object' && raw !== null) {
      checkRevoked(raw);
      if (raw instanceof Uint8Array) checkGenuine(raw, 'Uint8Array');
    }
    // Bytes are base64 text, whatever toJSON a Buffer has; a JSONNumber
    // the number it was read as.
    if (!(raw instanceof Uint8Array) && !(raw instanceof JSONNumber) &&
      ((typeof raw === 'object' && raw !== null) || typeof raw === 'bigint') && typeof raw.toJSON === 'function') {
      // Date's toJSON throws on what only passes for a Date.
      if (raw instanceof Date) checkGenuine(raw, 'Date');
      x = raw.toJSON(String(k));
      if (typeof x === 'object' && x !== null && x !== raw) checkRevoked(x);
    }
    switch (typeof x) {
      case 'function':
      case 'symbol':
        // What JSON.stringify would leave out, or write as null.
        throw new TypeError(`cookiesession: a ${typeof x} has no JSON form; it would be left out`);
      case 'number':
        // NaN and the infinities, which JSON.stringify writes as null (Go's
        // encoding/json refuses them too).
        if (!Number.isFinite(x)) throw new TypeError(`cookiesession: the number ${x} has no JSON form; it would open as null`);
        break;
      case 'object':
        if (x !== null && !Array.isArray(x) && !(raw instanceof Uint8Array) && !(raw instanceof JSONNumber)) {
          const problem = notPlainObject(x);
          if (problem !== null) throw new TypeError(`cookiesession: ${problem}`);
        }
        break;
    }
    return x;
  }

  // member writes raw, the value under key k of an object (named) or of
  // an array (k its index), after a comma when comma is set. It returns
  // whether it wrote anything: an object's member that is undefined (or
  // whose toJSON returns undefined) is left out, as JSON.stringify does.
  member(k, raw, depth, named, comma) {
    if (raw === undefined && named) return false;
    const x = this.resolve(k, raw);
    if (x === undefined && named) return false;
    if (comma) this.push(',');
    if (named) {
      this.need(k.length + 3);
      // A lone surrogate has no UTF-8 form: Go reads its \u escape as
      // U+FFFD, and the value would open as another string.
      if (!k.isWellFormed()) throw loneSurrogate();
      this.push(quote(k));
      this.push(':');
    }
    this.value(x, raw, depth);
    return true;
  }

  // value writes x, which raw's toJSON gave (or raw itself).
  value(x, raw, depth) {
    switch (typeof x) {
      case 'undefined':
        return this.push('null'); // an element of an array, as JSON.stringify writes it
      case 'boolean':
        return this.push(x ? 'true' : 'false');
      case 'number':
        // -0 as Go's encoding/json writes it (JSON.stringify writes 0), so
        // that it opens as -0.
        return this.push(Object.is(x, -0) ? '-0' : String(x));
      case 'bigint':
        return this.bigint(x);
      case 'string':
        this.need(x.length + 2);
        if (!x.isWellFormed()) throw loneSurrogate();
        return this.push(quote(x));
    }
    if (x === null) return this.push('null');
    if (raw instanceof Uint8Array) {
      this.need(4 * Math.ceil(raw.length / 3) + 2);
      return this.push(`"${Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')}"`);
    }
    if (raw instanceof JSONNumber) return this.push(jsonNumberText(raw));
    // An array or a plain object (member checked what else it may be).
    // A value that holds itself nests without end: it is told from one
    // that is only deep, once past maxDepth, by an object's being twice
    // among those it is written in. raw is among them when x is its
    // toJSON's: a toJSON that returns a new array holding raw loops
    // through raw alone.
    if (depth >= this.maxDepth) {
      if (this.path.includes(x) || this.path.includes(raw) || repeats(this.path)) throw holdsItself();
      throw new RangeError(`cookiesession: value nested deeper than ${this.maxDepth} levels`);
    }
    depth++;
    const stands = raw !== x;
    if (stands) this.path.push(raw);
    this.path.push(x);
    if (Array.isArray(x)) {
      checkArrayProperties(x);
      this.push('[');
      // Every element is written, as at least a byte: the length of a
      // sparse array does not outrun the byte bound.
      const n = x.length;
      for (let i = 0; i < n; i++) this.member(i, x[i], depth, false, i > 0);
      this.push(']');
    } else {
      const keys = ownKeysCounted(x, this);
      this.push('{');
      let comma = false;
      for (const k of keys) {
        if (this.member(k, x[k], depth, true, comma)) comma = true;
      }
      this.push('}');
    }
    this.path.pop();
    if (stands) this.path.pop();
  }

  bigint(x) {
    if (x >= -MAX_U64 && x <= MAX_U64) return this.push(String(x));
    // Writing a number in decimal takes time superlinear in its length, so
    // it is weighed first: it has at least 3 decimal digits for every 10
    // of its bits (2^10 > 10^3), which its hexadecimal form, linear to
    // write, counts (4 bits to a digit, the first at least 1).
    const bits = 4 * (x < 0n ? -x : x).toString(16).length - 3;
    this.need(Math.floor(bits / 10) * 3 + (x < 0n ? 1 : 0));
    return this.push(String(x));
  }
}

/**
 * JSON text of a value, as Go's encoding/json writes it: BigInt as a
 * number, bytes as base64, -0 as -0. Refuses, with a TypeError, what
 * would open as another value or not at all (see JSONWriter and
 * notPlainObject), with a RangeError nesting deeper than maxDepth, and
 * with a TooLargeError an encoding longer than MAX_ENCODED, before it is
 * written out in full.
 * @param {unknown} v
 * @param {number} maxDepth
 */
export function stringifyJSON(v, maxDepth) {
  const w = new JSONWriter(maxDepth);
  // As JSON.stringify, which calls toJSON with the key "" for the value
  // itself.
  const x = w.resolve('', v);
  if (x === undefined) throw new TypeError('cookiesession: value has no JSON form');
  w.value(x, v, 0);
  return w.out;
}
