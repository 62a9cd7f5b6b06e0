// Whatever the CBOR encoder accepts, the decoder opens, and gives back
// equal; what the decoder would refuse, the encoder refuses first, with a
// TypeError or RangeError of the package, before anything is sealed. And
// the decoder's rules are those of FORMAT.md ("Payload"), as Go reads them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import {
  decodeCBOR, encodeCBOR, Tagged, Simple, MalformedError, Codec, SessionStore, parseKeyring, JSONNumber, MAX_NESTING,
} from '../src/index.js';
import { keyJSON, keyringText } from './fixtures.js';

const hex = (h) => new Uint8Array(Buffer.from(h.replaceAll(' ', ''), 'hex'));
const enc = (v) => Buffer.from(encodeCBOR(v)).toString('hex');
const now = 1748779200n * 1_000_000_000n;
const ring = parseKeyring(keyringText([keyJSON('0000000a')]));

// refusedAtEncode checks that v is refused by encodeCBOR, by Codec.seal
// before it draws a nonce, and by SessionStore.seal, each with a
// TypeError (or RangeError) whose message starts with "cookiesession: ".
function refusedAtEncode(v, what, Err = TypeError) {
  const ours = (e) => e instanceof Err && e.message.startsWith('cookiesession: ');
  assert.throws(() => encodeCBOR(v), ours, what);
  let nonces = 0;
  const codec = new Codec(ring, { now: () => now, random: (n) => { nonces++; return new Uint8Array(n); } });
  assert.throws(() => codec.seal('c', v), ours, what);
  assert.equal(nonces, 0, `${what}: no nonce drawn`);
  assert.throws(() => new SessionStore(ring, { now: () => now }).seal({ data: { v } }), ours, what);
}

function roundTrips(v, want, what) {
  assert.deepStrictEqual(decodeCBOR(encodeCBOR(v)), want, what);
  const codec = new Codec(ring, { now: () => now });
  assert.deepStrictEqual(codec.open('c', codec.seal('c', v)).value, want, what);
}

test('a Simple the decoder would refuse, or read as another value, is refused at encode', () => {
  // 24–31 have no valid encoding (f8 18 … f8 1f are not well-formed); 20–23
  // are false, true, null and undefined; the rest is not a simple value
  // (256 wrapped to f8 00, -1 to the break byte ff, 1.5 to simple(1)).
  for (const n of [20, 21, 22, 23, 24, 25, 28, 31, 256, 300, 1000, -1, -24, 1.5, 31.5, NaN, Infinity, 5n, '5', null, undefined]) {
    refusedAtEncode(new Simple(n), `Simple(${String(n)})`);
  }
  for (const n of [0, 1, 16, 19, 32, 33, 100, 254, 255]) roundTrips(new Simple(n), new Simple(n), `Simple(${n})`);
  assert.equal(enc(new Simple(19)), 'f3');
  assert.equal(enc(new Simple(32)), 'f820');
  assert.equal(enc(new Simple(255)), 'f8ff');
  refusedAtEncode({ deep: [new Map([[1, new Simple(24)]])] }, 'nested Simple(24)');
  refusedAtEncode(new Map([[new Simple(24), 1]]), 'Simple(24) as a key');
});

test('a tag number outside 0 to 2^64 − 1 is refused at encode', () => {
  // -1 wrote the break byte, 1.5 tag 1, 2^64 tag 0 (wrapped), '5' tag 5.
  for (const t of [-1, -1n, 1.5, 2 ** 64, 2n ** 64n, 2n ** 70n, NaN, Infinity, '5', null, undefined]) {
    refusedAtEncode(new Tagged(t, 0), `Tagged(${String(t)}, 0)`);
  }
  roundTrips(new Tagged(2n ** 64n - 1n, 0), new Tagged(2n ** 64n - 1n, 0), 'the largest tag');
  roundTrips(new Tagged(2 ** 60, 0), new Tagged(2n ** 60n, 0), 'a tag number beyond 2^53, as a Number');
  roundTrips(new Tagged(100n, 0), new Tagged(100, 0), 'a small tag number, as a BigInt');
});

test('tags 0–3 around content the decoder refuses are refused at encode, whatever the content is written from', () => {
  const refused = {
    'tag 0 around an integer': new Tagged(0, 1),
    'tag 0 around bytes': new Tagged(0, new Uint8Array([0x61])),
    'tag 0 around null': new Tagged(0, null),
    'tag 0 around a tag': new Tagged(0, new Tagged(100, 'x')),
    'tag 1 around text': new Tagged(1, 'x'),
    'tag 1 around a Date (written as text)': new Tagged(1, new Date(0)),
    'tag 1 around a BigInt beyond 64 bits (a bignum)': new Tagged(1, 2n ** 64n),
    'tag 1 around a negative BigInt beyond 64 bits': new Tagged(1, -(2n ** 64n) - 1n),
    'tag 1 around false': new Tagged(1, false),
    'tag 1 around undefined (written as null)': new Tagged(1, undefined),
    'tag 1 around a Simple': new Tagged(1, new Simple(32)),
    'tag 1 around an array': new Tagged(1, [1]),
    'tag 1 around a tag': new Tagged(1, new Tagged(1, 1)),
    'tag 1 around what toJSON gives: text': new Tagged(1, { toJSON: () => 'x' }),
    // The decoder gives tags 2 and 3 back as a BigInt, never as a Tagged,
    // and refuses them around anything but bytes.
    'tag 2 around bytes': new Tagged(2, new Uint8Array([1])),
    'tag 3 around bytes': new Tagged(3, new Uint8Array([1])),
    'tag 2 around an integer': new Tagged(2, 5),
    'tag 3 around text': new Tagged(3, 'x'),
    'a bad tag inside another tag': new Tagged(100, new Tagged(0, 1)),
    'a bad tag in a map of a session': { a: [new Map([['t', new Tagged(1, 'x')]])] },
  };
  for (const [what, v] of Object.entries(refused)) refusedAtEncode(v, what);
  const accepted = [
    [new Tagged(0, '2025-06-01T12:00:00Z'), new Tagged(0, '2025-06-01T12:00:00Z')],
    [new Tagged(0, 'not a date'), new Tagged(0, 'not a date')],
    [new Tagged(0, new Date(0)), new Tagged(0, '1970-01-01T00:00:00Z')],
    [new Tagged(1, 1748779200), new Tagged(1, 1748779200)],
    [new Tagged(1, -1), new Tagged(1, -1)],
    [new Tagged(1, 1.5), new Tagged(1, 1.5)],
    [new Tagged(1, NaN), new Tagged(1, NaN)],
    [new Tagged(1, 2n ** 64n - 1n), new Tagged(1, 2n ** 64n - 1n)],
    [new Tagged(1, -(2n ** 64n)), new Tagged(1, -(2n ** 64n))],
    [new Tagged(1, new JSONNumber('15e-1')), new Tagged(1, 1.5)],
    [new Tagged(24, 1), new Tagged(24, 1)], // tags other than 0–3 take any content
    [new Tagged(100, 2n ** 64n), new Tagged(100, 2n ** 64n)],
  ];
  for (const [v, want] of accepted) roundTrips(v, want, enc(v));
});

test('a bignum or a Tagged directly in a tag is one more level when encoding, as when decoding', () => {
  const nest = (n, v) => {
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  // 31 arrays, a tag, and a tag in it (the bignum) are 32 levels.
  roundTrips(nest(31, new Tagged(100, 2n ** 64n)), nest(31, new Tagged(100, 2n ** 64n)), '32 levels');
  assert.throws(() => decodeCBOR(hex('81'.repeat(32) + 'd864 c249010000000000000000')), /nested deeper than 32/);
  refusedAtEncode(nest(32, new Tagged(100, 2n ** 64n)), 'a bignum in a tag at level 33', RangeError);
  refusedAtEncode(nest(32, new Tagged(100, -(2n ** 64n) - 1n)), 'a negative bignum in a tag at level 33', RangeError);
  refusedAtEncode(nest(32, new Tagged(100, { toJSON: () => new Tagged(5, 1) })), 'a Tagged from toJSON at level 33', RangeError);
  refusedAtEncode(nest(32, new Tagged(100, new Tagged(5, 1))), 'a Tagged at level 33', RangeError);
  // An object that toJSON turns into text is no level of its own.
  roundTrips(nest(MAX_NESTING, { toJSON: () => 'x' }), nest(MAX_NESTING, 'x'), 'toJSON at the deepest level');
});

test('the decoder refuses tag 1 around a bignum, as FORMAT.md and Go do, and takes integers and floats', () => {
  const refuse = (h, what) => assert.throws(() => decodeCBOR(hex(h)), (e) => e instanceof MalformedError && /epoch time tag/.test(e.message), what);
  refuse('c1 c2 4101', 'tag 1 around tag 2');
  refuse('c1 c3 4101', 'tag 1 around tag 3');
  refuse('c1 d864 01', 'tag 1 around another tag');
  refuse('c1 f4', 'tag 1 around false');
  refuse('c1 f6', 'tag 1 around null');
  refuse('c1 f7', 'tag 1 around undefined');
  refuse('c1 f820', 'tag 1 around simple(32)');
  refuse('c1 6178', 'tag 1 around text');
  refuse('c1 4101', 'tag 1 around bytes');
  refuse('c1 80', 'tag 1 around an array');
  refuse('d864 c1 c2 4101', 'tag 1 around a bignum, inside another tag');
  assert.deepStrictEqual(decodeCBOR(hex('c1 1a683c40c0')), new Tagged(1, 1748779200));
  assert.deepStrictEqual(decodeCBOR(hex('c1 3bffffffffffffffff')), new Tagged(1, -(2n ** 64n)));
  assert.deepStrictEqual(decodeCBOR(hex('c1 f93e00')), new Tagged(1, 1.5));
  assert.deepStrictEqual(decodeCBOR(hex('c1 fa3fc00000')), new Tagged(1, 1.5));
  assert.deepStrictEqual(decodeCBOR(hex('c1 fb3ff8000000000000')), new Tagged(1, 1.5));
  assert.deepStrictEqual(decodeCBOR(hex('c1 f97e00')), new Tagged(1, NaN));
  assert.throws(() => decodeCBOR(hex('c0 01')), /date-time tag/);
  assert.throws(() => decodeCBOR(hex('c2 01')), /bignum tag/);
  assert.throws(() => decodeCBOR(hex('c3 6178')), /bignum tag/);
});

test('map keys are duplicates when they decode to the same value, whatever their encodings', () => {
  const dup = (h, what) => assert.throws(() => decodeCBOR(hex(h)), (e) => e instanceof MalformedError && /duplicate map key/.test(e.message), what);
  // Compound keys by value: a short and a long argument inside them are
  // one key, as the text "user" in two lengths is (vector
  // payload-cbor-duplicate-key-long-form).
  dup('a2 d864 01 01 d864 1801 02', 'tag 100 around 1, then around 1 in two bytes');
  dup('a2 d864 6161 01 d864 780161 02', 'tag 100 around "a" in two lengths');
  dup('a2 d8 64 01 01 d9 0064 01 02', 'tag 100 in one byte and in two');
  dup('a2 81 01 01 81 1801 02', '[1] twice, once with a long argument');
  dup('a2 a2 6161 01 6162 02 01 a2 6162 02 6161 01 02', 'one map in two orders');
  dup('a2 c2 4101 01 c2 420001 02', 'the bignum 1 with a leading zero byte');
  dup('a2 f98000 01 f90000 02', '-0.0 and 0.0, equal floats');
  dup('a2 f98000 01 fb0000000000000000 02', '-0.0 and 0.0 in eight bytes');
  dup('a2 f820 01 f820 02', 'simple(32) twice');
  dup('a2 f6 01 f7 02', 'null and undefined, both nil in Go (and one key for the encoder)');
  dup('a2 81f6 01 81f7 02', '[null] and [undefined]');
  dup('a2 1a80000000 01 1b0000000080000000 02', '2^31 in four bytes and in eight');
  dup('a2 3a7fffffff 01 3b000000007fffffff 02', '-2^31 in four bytes and in eight');
  dup('a2 1bffffffffffffffff 01 1bffffffffffffffff 02', '2^64 − 1 twice');
  // Not duplicates: a NaN equals no value, as in Go, where a map may hold
  // NaN keys side by side. A JavaScript Map holds one: refused rather
  // than opened with one value lost.
  assert.throws(() => decodeCBOR(hex('a2 f97e00 01 fb7ff8000000000000 02')),
    (e) => e instanceof MalformedError && /one key in JavaScript/.test(e.message));
  assert.equal(decodeCBOR(hex('a2 81f97e00 01 81f97e00 02')).size, 2, '[NaN] twice');
  assert.equal(decodeCBOR(hex('a2 d864 01 01 d864 02 02')).size, 2, 'tags around different values');
  assert.equal(decodeCBOR(hex('a2 d864 01 01 d865 01 02')).size, 2, 'different tags around one value');
  assert.equal(decodeCBOR(hex('a2 81 01 01 81 f93c00 02')).size, 2, '[1] and [1.0]');
  assert.equal(decodeCBOR(hex('a2 c2 4101 01 01 02')).size, 2, 'a bignum is not an integer');
});

test('a float key 2^53 beside the integer key 2^53 is two keys, as in Go', () => {
  const m = decodeCBOR(hex('a2 fb4340000000000000 01 1b0020000000000000 02'));
  assert.deepStrictEqual(m, new Map([[2 ** 53, 1], [2n ** 53n, 2]]));
  roundTrips(new Map([[2 ** 53, 1], [2n ** 53n, 2]]), m, 'sealed in Node');
  assert.deepStrictEqual(decodeCBOR(hex('a2 fbc340000000000000 01 3b001fffffffffffff 02')), new Map([[-(2 ** 53), 1], [-(2n ** 53n), 2]]));
});

test('the encoder refuses the NaN keys and -0 it cannot tell apart only when the decoder would', () => {
  // A Map holds one NaN and no -0 (it is 0): such keys encode and come back.
  roundTrips(new Map([[NaN, 1], [0, 2], [0.5, 3]]), new Map([[NaN, 1], [0, 2], [0.5, 3]]), 'NaN, 0, 0.5');
  // Two arrays holding NaN are two keys for the decoder too.
  const two = new Map([[[NaN], 1], [[NaN], 2]]);
  assert.equal(decodeCBOR(encodeCBOR(two)).size, 2);
  // [-0] and [0] decode to equal floats and integers: -0 is a float, 0 an
  // integer, so they are two keys; two [-0] are one.
  assert.equal(decodeCBOR(encodeCBOR(new Map([[[-0], 1], [[0], 2]]))).size, 2);
  refusedAtEncode(new Map([[[-0], 1], [[-0], 2]]), '[-0] twice');
});

// ---- Property: refused at encode, or back equal -----------------------------

// A small deterministic generator (mulberry32), so that a failure repeats.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const numbers = [0, -0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 60,
    -(2 ** 64), 2 ** 64, 0.5, -1.5, 1e300, 5e-324, NaN, Infinity, -Infinity];
  const bigints = [0n, 1n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n),
    -(2n ** 64n) - 1n, 2n ** 100n, -(2n ** 100n)];
  const strings = ['', 'a', 'user', '__proto__', 'é', '☕', '\u{1f600}', '\ud800', '\udc00', '\ufffd', 'x'.repeat(30), '1', 'constructor'];
  const simples = [0, 1, 19, 20, 22, 23, 24, 27, 31, 32, 200, 255, 256, -1, 1.5, 5n];
  const tags = [0, 1, 2, 3, 4, 21, 24, 100, 1000, 55799, 2 ** 53, 2n ** 64n - 1n, 2n ** 64n, -1, 1.5, 100n];
  const leaf = () => {
    switch (int(0, 11)) {
      case 0: return pick(numbers);
      case 1: return int(-100000, 100000);
      case 2: return pick(bigints);
      case 3: return pick(strings);
      case 4: return pick([true, false, null, undefined]);
      case 5: return new Uint8Array(Array.from({ length: int(0, 4) }, () => int(0, 255)));
      case 6: return new Simple(pick(simples));
      case 7: return new Date(pick([0, 1748779200000, 1748779200250, -1000]));
      case 8: return new JSONNumber(pick(['1.5', '2.5e3', '1e400', '12345678901234567890']));
      case 9: return r() * 1e6;
      default: return pick(strings);
    }
  };
  const value = (depth) => {
    // Mostly shallow, sometimes a long chain of containers or tags, so that
    // the nesting limit is crossed now and then.
    if (depth > 0 && r() < 0.02) {
      let v = leaf();
      for (let i = 0, n = int(28, 36); i < n; i++) v = r() < 0.7 ? [v] : new Tagged(pick([100, 5]), v);
      return v;
    }
    if (depth >= 4 || r() < 0.35) return leaf();
    switch (int(0, 4)) {
      case 0: return Array.from({ length: int(0, 4) }, () => value(depth + 1));
      case 1: {
        const o = {};
        for (let i = 0, n = int(0, 4); i < n; i++) Object.defineProperty(o, pick(strings), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
        return o;
      }
      case 2: {
        const m = new Map();
        for (let i = 0, n = int(0, 4); i < n; i++) m.set(r() < 0.6 ? leaf() : value(depth + 1), value(depth + 1));
        return m;
      }
      default: return new Tagged(pick(tags), value(depth + 1));
    }
  };
  return () => value(0);
}

// expected is what v decodes back to after encoding, by the conversions the
// package documents: undefined as null, integers as a Number when safe and
// a BigInt otherwise, Dates as RFC 3339 text, JSONNumbers as the integer or
// double they name (one no double holds is refused), text
// with lone surrogates as U+FFFD, byte strings as plain Uint8Arrays, maps
// with text keys only as objects, tag numbers as the decoder gives them.
function expected(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
  if (typeof v === 'string') return v.toWellFormed();
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (v instanceof JSONNumber) return /^-?[0-9]+$/.test(v.text) ? expected(BigInt(v.text)) : Number(v.text);
  if (v instanceof Date) return decodeCBOR(encodeCBOR(v)); // its RFC 3339 text
  if (v instanceof Simple) return new Simple(v.value);
  if (v instanceof Tagged) return new Tagged(expected(BigInt(v.tag)), expected(v.value));
  if (Array.isArray(v)) return v.map(expected);
  const entries = v instanceof Map ? [...v].map(([k, x]) => [expected(k), expected(x)]) : Object.keys(v).map((k) => [expected(k), expected(v[k])]);
  if (entries.every(([k]) => typeof k === 'string')) {
    const o = {};
    for (const [k, x] of entries) Object.defineProperty(o, k, { value: x, enumerable: true, configurable: true, writable: true });
    return o;
  }
  return new Map(entries);
}

test('property: a value built from plain values, Tagged and Simple is refused at encode, or decodes back equal', () => {
  const next = generator(20250601);
  const codec = new Codec(ring, { now: () => now, maxLength: 1 << 20 });
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const v = next();
    let bytes;
    try {
      bytes = encodeCBOR(v);
    } catch (e) {
      // Refused: with the package's own error, never a bare JavaScript one.
      assert.ok((e instanceof TypeError || e instanceof RangeError) && e.message.startsWith('cookiesession: '), `value ${i}: ${e.message}`);
      assert.throws(() => codec.seal('c', v), e.constructor, `value ${i}: seal refuses it too`);
      refused++;
      continue;
    }
    let back;
    try {
      back = decodeCBOR(bytes);
    } catch (e) {
      assert.fail(`value ${i} encodes as ${Buffer.from(bytes).toString('hex').slice(0, 200)} but does not decode: ${e.message}`);
    }
    assert.deepStrictEqual(back, expected(v), `value ${i}: ${Buffer.from(bytes).toString('hex').slice(0, 200)}`);
    if (i % 8 === 0) assert.deepStrictEqual(codec.open('c', codec.seal('c', v)).value, back, `value ${i} sealed`);
    accepted++;
  }
  // The generator makes plenty of both.
  assert.ok(accepted > 1000 && refused > 400, `${accepted} accepted, ${refused} refused`);
});

test('byte strings decode to copies, plain Uint8Arrays, even from a Buffer', () => {
  const input = Buffer.from('a1616143010203', 'hex');
  const v = decodeCBOR(input);
  assert.deepStrictEqual(v, { a: new Uint8Array([1, 2, 3]) });
  input.fill(0); // as the Codec wipes a plaintext once it is decoded
  assert.deepStrictEqual(v.a, new Uint8Array([1, 2, 3]));
});

test('an object of a class, which would open as a plain object, is refused by both serializers', () => {
  class Visit { constructor() { this.path = '/'; } }
  class Stamp { toJSON() { return 'stamp'; } } // as a URL and a Date, it stands for its toJSON
  const refused = [new Set([1]), new ArrayBuffer(2), /x/, new Error('e'), new Number(3), new Int32Array([7]), new Visit(),
    new WeakMap()];
  for (const serializer of ['cbor', 'json']) {
    const c = new Codec(ring, { now: () => now, serializer });
    for (const v of refused) {
      assert.throws(() => c.seal('session', { v }), (e) => e instanceof TypeError && /^cookiesession: an? (\w+ )+would open as a plain object/.test(e.message),
        `${serializer}: ${Object.prototype.toString.call(v)}`);
    }
    const plain = { a: 1, n: Object.assign(Object.create(null), { b: 2 }), s: new Stamp(), d: new Date(0), bytes: new Uint8Array([1]) };
    const back = c.open('session', c.seal('session', plain)).value;
    assert.equal(back.a, 1);
    assert.equal(back.n.b, 2);
    assert.equal(back.s, 'stamp');
  }
  // A plain object of another realm (a vm context's) is a plain object.
  const realm = vm.runInNewContext('({ cart: [1, 2] })');
  for (const serializer of ['cbor', 'json']) {
    const c = new Codec(ring, { now: () => now, serializer });
    assert.deepEqual(c.open('session', c.seal('session', realm)).value, { cart: [1, 2] });
  }
  // What JSON.stringify would write as null or leave out.
  const js = new Codec(ring, { now: () => now, serializer: 'json' });
  for (const v of [NaN, Infinity, -Infinity, () => 1, Symbol('s')]) {
    assert.throws(() => js.seal('session', { v }), (e) => e instanceof TypeError && /has no JSON form/.test(e.message), String(v));
  }
  // A Map is CBOR's map of any keys; JSON has none.
  assert.throws(() => new Codec(ring, { now: () => now, serializer: 'json' }).seal('session', new Map([['a', 1]])), TypeError);
});

// A token in names and text, which no refusal may quote: a session's
// plaintext.
const SECRET = 'hunter2-secret';
const quotesNothing = (e) => !e.message.includes(SECRET) && !e.message.includes('hunter2');

test('a value that holds itself is refused, by both serializers, with a TypeError that quotes nothing of it', () => {
  const self = () => { const o = { [SECRET]: SECRET }; o[SECRET + '2'] = o; return o; };
  const list = () => { const a = [SECRET]; a.push(a); return { a }; };
  const deep = () => {
    const root = { [SECRET]: [] };
    let x = root[SECRET];
    for (let i = 0; i < 20; i++) x = x[x.push([]) - 1];
    x.push(root);
    return root;
  };
  const viaToJSON = () => { const o = { [SECRET]: 1 }; o.x = { toJSON: () => o }; return o; };
  const cases = [['an object', self], ['an array', list], ['a cycle 20 levels down', deep], ['a toJSON giving an outer object', viaToJSON]];
  const cborOnly = [
    ['a Map', () => { const m = new Map([[SECRET, 1]]); m.set('m', m); return m; }],
    ['a Tagged', () => { const t = new Tagged(100, SECRET); t.value = [t]; return t; }],
    ['a Tagged in itself', () => { const t = new Tagged(100, SECRET); t.value = t; return t; }],
  ];
  const ours = (e) => e instanceof TypeError && /^cookiesession: the value holds itself/.test(e.message) && quotesNothing(e);
  for (const [what, make] of [...cases, ...cborOnly]) refusedAtEncode(make(), what);
  for (const [what, make] of [...cases, ...cborOnly]) assert.throws(() => encodeCBOR(make()), ours, what);
  const js = new Codec(ring, { now: () => now, serializer: 'json' });
  for (const [what, make] of cases) assert.throws(() => js.seal('c', make()), ours, `json: ${what}`);
});

test('a toJSON is called once: what it returns is written as it is, even the object itself', () => {
  // It returns its own object, whose toJSON, a member, is a function: as
  // JSON.stringify would write it (left out), refused by both.
  const o = { toJSON() { return o; } };
  // The same, not enumerable: the object's members are written.
  const p = Object.defineProperty({ a: 1 }, 'toJSON', { value() { return this; } });
  // A toJSON whose result has one too, which JSON.stringify does not call.
  const chain = { toJSON: () => ({ v: 1, toJSON: () => 'never' }) };
  for (const serializer of ['cbor', 'json']) {
    const c = new Codec(ring, { now: () => now, serializer });
    for (const [what, v] of [['itself', o], ['a chain', chain]]) {
      assert.throws(() => c.seal('c', { v }), (e) => e instanceof TypeError && /^cookiesession: .*\bfunction\b/.test(e.message),
        `${serializer}: ${what}`);
    }
    assert.deepStrictEqual(c.open('c', c.seal('c', { v: p })).value, { v: { a: 1 } }, serializer);
  }
});

test('an array or map of more than 65536 entries is refused before CBOR seals it, quoting nothing of it', () => {
  const many = new Array(65537).fill(7);
  const obj = Object.fromEntries(Array.from({ length: 65537 }, (_, i) => [SECRET + i, SECRET]));
  const map = new Map(Array.from({ length: 65537 }, (_, i) => [i, SECRET]));
  for (const [what, v] of [['an array', many], ['an object', obj], ['a Map', map]]) {
    refusedAtEncode(v, what, RangeError);
    assert.throws(() => encodeCBOR(v), (e) => /at most 65536/.test(e.message) && quotesNothing(e), what);
  }
  refusedAtEncode(new Array(65536).fill(many), 'an array held 65536 times', RangeError);
  // JSON has no such limit in Go's reader, or in this one.
  const js = new Codec(ring, { now: () => now, serializer: 'json', maxLength: 1 << 20 });
  assert.equal(js.open('c', js.seal('c', many)).value.length, 65537);
});

test('a JSON value nested deeper than 32 levels is refused with the RangeError of CBOR, before it is written out', () => {
  let deep = SECRET;
  for (let i = 0; i < 33; i++) deep = i % 2 ? [deep] : { [SECRET]: deep };
  const js = new Codec(ring, { now: () => now, serializer: 'json' });
  for (const c of [js, new Codec(ring, { now: () => now })]) {
    assert.throws(() => c.seal('c', deep), (e) => e instanceof RangeError && e.message === 'cookiesession: value nested deeper than 32 levels');
  }
  let ok = 1;
  for (let i = 0; i < 32; i++) ok = [ok];
  assert.deepStrictEqual(js.open('c', js.seal('c', ok)).value, ok);
});

test('what is not part of a value, or stands for nothing, by design', () => {
  const sym = Symbol('s');
  const v = { a: undefined, list: [undefined, 1], [sym]: SECRET, n: -0 };
  Object.defineProperty(v, 'hidden', { value: SECRET, enumerable: false });
  const back = {};
  for (const serializer of ['cbor', 'json']) {
    const c = new Codec(ring, { now: () => now, serializer });
    back[serializer] = c.open('c', c.seal('c', v)).value;
  }
  // Symbol keys and properties that are not enumerable are not written,
  // as JSON.stringify and structuredClone leave them; undefined is null in
  // CBOR, and in JSON an undefined member is left out; -0 comes back -0.
  assert.deepStrictEqual(back.cbor, { a: null, list: [null, 1], n: -0 });
  assert.deepStrictEqual(back.json, { list: [null, 1], n: -0 });
  assert.ok(Object.is(back.json.n, -0) && Object.is(back.cbor.n, -0));
});

// Both serializers, by name, as a Codec is given them.
const serializers = { cbor: (v) => encodeCBOR(v), json: (v) => new Codec(ring, { now: () => now, serializer: 'json', maxLength: 1 << 20 }).seal('c', v) };
const refusedWith = (re) => (e) => e instanceof TypeError && re.test(e.message) && e.message.length < 400;

test('every own property an object has, not enumerable or symbol-keyed too, counts against the parts bound each time it is reached', () => {
  for (const kind of ['hidden', 'symbol']) {
    const o = {};
    for (let i = 0; i < 20000; i++) {
      if (kind === 'symbol') o[Symbol()] = 1;
      else Object.defineProperty(o, 'k' + i, { value: 1, enumerable: false });
    }
    // 2^10 places, 20 million properties to read for "{}" or an empty map each.
    let v = o;
    for (let d = 0; d < 10; d++) v = [v, v];
    for (const [name, seal] of Object.entries(serializers)) {
      const t0 = performance.now();
      assert.throws(() => seal(v), (e) => e.code === 'COOKIESESSION_TOO_LARGE' && e.unit === 'parts', `${name} ${kind}`);
      assert.ok(performance.now() - t0 < 5000, `${name} ${kind}: refused within the bound's work`);
      // Held once, it is written as what its enumerable properties are.
      assert.doesNotThrow(() => seal([o]));
    }
  }
});

test('a JSONNumber is refused under CBOR when no double or integer holds it exactly, and when its text is not a JSON number', () => {
  for (const text of ['1e400', '123456789012345678901234567890.5', '0.1000000000000000000001']) {
    assert.throws(() => encodeCBOR([new JSONNumber(text)]), refusedWith(/^cookiesession: a JSONNumber that no double holds exactly/), text);
  }
  for (const text of ['not a number', '', '0x10', '01', '1.', '+1', '.5', ' 1', '1e']) {
    for (const [name, seal] of Object.entries(serializers)) {
      assert.throws(() => seal([new JSONNumber(text)]), refusedWith(/^cookiesession: a JSONNumber whose text is not a JSON number/), `${name} ${JSON.stringify(text)}`);
    }
  }
  // What round-trips: as the integer or the double it names, as JSON opens it.
  assert.deepEqual(decodeCBOR(encodeCBOR([new JSONNumber('15e-1'), new JSONNumber('123456789012345678901234567890'), new JSONNumber('-0')])),
    [1.5, 123456789012345678901234567890n, -0]);
  // The text is read once: what is checked is what is written.
  let reads = 0;
  const sly = Object.create(JSONNumber.prototype, { text: { get: () => (reads++ === 0 ? '1' : '1,"admin":true'), enumerable: true } });
  const c = new Codec(ring, { now: () => now, serializer: 'json' });
  assert.deepEqual(c.open('c', c.seal('c', { a: sly })).value, { a: 1 });
});

test('a revoked Proxy, an impostor of a Date, a Uint8Array or a Map, and a detached Uint8Array are refused with the package\'s TypeError', () => {
  const revoked = () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    return r.proxy;
  };
  const detached = () => {
    const u = new Uint8Array(4);
    structuredClone(u.buffer, { transfer: [u.buffer] });
    return u;
  };
  const cases = [
    [revoked(), /revoked Proxy/], [{ toJSON: revoked }, /revoked Proxy/],
    [new Proxy(new Date(0), {}), /passes for a Date/], [Object.create(Date.prototype), /passes for a Date/],
    [new Proxy(new Uint8Array(2), {}), /passes for a Uint8Array/], [detached(), /detached/],
  ];
  for (const [name, seal] of Object.entries(serializers)) {
    for (const [v, re] of cases) assert.throws(() => seal({ v }), refusedWith(re), `${name} ${re}`);
  }
  assert.throws(() => encodeCBOR(new Proxy(new Map([[1, 2]]), {})), refusedWith(/passes for a Map/));
});

test('refusing an object of a class quotes nothing of it and runs no getter of its class', () => {
  class A {}
  Object.defineProperty(A, 'name', { get() { throw new Error('name read'); } });
  class B {}
  Object.defineProperty(B, 'name', { value: 'user=alice;token=' + 'S'.repeat(100000) });
  class C { get [Symbol.toStringTag]() { throw new Error('tag read'); } }
  class D {}
  Object.defineProperty(D.prototype, 'constructor', { get() { throw new Error('constructor read'); } });
  for (const [name, seal] of Object.entries(serializers)) {
    for (const v of [new A(), new B(), new C(), new D()]) {
      assert.throws(() => seal({ v }), refusedWith(/^cookiesession: an instance of a class would open as a plain object/), name);
    }
    assert.throws(() => seal({ v: new Set() }), refusedWith(/^cookiesession: a Set would open as a plain object/), name);
  }
});

test('a loop through toJSON holds itself, and CBOR refuses a Date whose year RFC 3339 cannot write', () => {
  const o = { toJSON: () => [o] };
  for (const [name, seal] of Object.entries(serializers)) {
    assert.throws(() => seal(o), refusedWith(/holds itself/), name);
  }
  for (const d of [new Date(Date.UTC(10000, 0, 1)), new Date('-000001-12-31T00:00:00Z')]) {
    assert.throws(() => encodeCBOR(d), refusedWith(/^cookiesession: a Date whose year is outside 0–9999, which RFC 3339 cannot write$/));
  }
  assert.equal(decodeCBOR(encodeCBOR(new Date('9999-12-31T23:59:59Z'))), '9999-12-31T23:59:59Z');
  assert.equal(decodeCBOR(encodeCBOR(new Date('0000-01-01T00:00:00Z'))), '0000-01-01T00:00:00Z');
});

// A toJSON is given the key its value sits under, as JSON.stringify gives
// it, by both serializers alike.
test('toJSON is called with its key under cbor as under json', async () => {
  const { cbor: c, json: j } = await import('../src/index.js');
  const keyed = { toJSON: (k) => `key=${k}` };
  const v = { f: keyed, list: [keyed, keyed], top: 1 };
  const want = { f: 'key=f', list: ['key=0', 'key=1'], top: 1 };
  assert.deepEqual(c.deserialize(c.serialize(v)), want);
  assert.deepEqual(j.deserialize(j.serialize(v)), want);
  assert.equal(c.deserialize(c.serialize(keyed)), 'key=');
  assert.equal(j.deserialize(j.serialize(keyed)), 'key=');
});

// An array's properties that are no index are written by neither
// serializer: such an array is refused rather than opened without them.
test('an array with a named property is refused by both serializers', async () => {
  const { cbor: c, json: j } = await import('../src/index.js');
  for (const s of [c, j]) {
    assert.throws(() => s.serialize({ a: Object.assign([1, 2], { note: 'x' }) }), TypeError);
    assert.throws(() => s.serialize(Object.assign([], { note: 'x' })), TypeError);
    assert.throws(() => s.serialize(Object.assign([1, , 3], { x: 1 })), TypeError); // eslint-disable-line no-sparse-arrays
    assert.deepEqual(s.deserialize(s.serialize([1, 2])), [1, 2]);
    assert.deepEqual(s.deserialize(s.serialize([])), []);
    const hidden = [1];
    Object.defineProperty(hidden, 'note', { value: 'x', enumerable: false });
    assert.deepEqual(s.deserialize(s.serialize(hidden)), [1]); // not enumerable: left out, as documented
  }
});
