// A strict JSON (RFC 8259) parser with the limits the formats need: a
// nesting bound, exactly one value (whitespace may follow), and either
// duplicate member names refused (the keyring file) or the last one kept
// (a payload, as Go's encoding/json does). Unlike JSON.parse it keeps
// integers beyond 2^53 exact, as BigInt. Bytes that are not UTF-8 inside
// strings become U+FFFD, as in Go; a byte order mark is refused, as in Go.


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
  const kind = typeof v.constructor === 'function' && v.constructor.name ? v.constructor.name : Object.prototype.toString.call(v).slice(8, -1);
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} would open as a plain object, another value; convert it first ` +
    '(to an array, a plain object, a Uint8Array for bytes), or give its class a toJSON method';
}

/** JSON text of a value, as Go's encoding/json writes it: BigInt as a number, bytes as base64. */
// MAX_PARTS bounds the parts a value's encoding reaches, each counted
// every time it is reached: an object or array held in several places (a
// tree whose nodes share their children) is written once for each, so
// that a few dozen objects in memory can encode to gigabytes. Nearly
// every part is written as at least one byte, and no codec seals a value
// of more than 1 MiB: past the bound the encoding stops, refused as too
// large, as the Go package refuses it.
export const MAX_PARTS = 1 << 20;

// countPart returns parts + 1, the parts an encoding has reached, or
// throws past MAX_PARTS.
export function countPart(parts) {
  if (++parts > MAX_PARTS) {
    const e = new TooLargeError('value', parts, MAX_PARTS, 'parts');
    e.message += ' (a part held in several places, an object or array, is counted and written once for each)';
    throw e;
  }
  return parts;
}

export function stringifyJSON(v) {
  let parts = 0;
  const out = JSON.stringify(v, function (k, x) {
    parts = countPart(parts);
    // this[k] is the value before toJSON, which a Buffer has.
    const raw = this[k];
    // A lone surrogate has no UTF-8 form: Go reads its \u escape as
    // U+FFFD, and the value would open as another string.
    if (!k.isWellFormed() || (typeof x === 'string' && !x.isWellFormed())) {
      throw new TypeError('cookiesession: a string with a lone surrogate, which UTF-8 cannot hold, would open as another string');
    }
    if (typeof x === 'bigint') return { __bigint: x.toString() };
    // What JSON.stringify would write as null, or leave out: NaN and the
    // infinities (Go's encoding/json refuses them too), functions and
    // symbols.
    if (typeof x === 'number' && !Number.isFinite(x)) {
      throw new TypeError(`cookiesession: the number ${x} has no JSON form; it would open as null`);
    }
    if (typeof x === 'function' || typeof x === 'symbol') {
      throw new TypeError(`cookiesession: a ${typeof x} has no JSON form; it would be left out`);
    }
    if (raw instanceof JSONNumber && DECIMAL.test(raw.text)) return { __bigint: raw.text };
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    if (typeof x === 'object' && x !== null && !Array.isArray(x) && !(raw instanceof JSONNumber)) {
      const problem = notPlainObject(x);
      if (problem !== null) throw new TypeError(`cookiesession: ${problem}`);
    }
    return x;
  });
  if (out === undefined) throw new TypeError('cookiesession: value has no JSON form');
  return out.replace(/\{"__bigint":"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"\}/g, '$1');
}
