import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCBOR, encodeCBOR, Tagged, Simple, MalformedError, Codec, parseKeyring, JSONNumber } from '../src/index.js';
import { keyJSON, keyringText } from './fixtures.js';

const hex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const enc = (v) => Buffer.from(encodeCBOR(v)).toString('hex');

test('encodings as the Go serializer writes them', () => {
  assert.equal(enc({ user: 'alice', uid: 42, roles: ['admin'] }), 'a3647573657265616c69636563756964182a65726f6c6573816561646d696e');
  assert.equal(enc(new Map([[1, new Uint8Array([1, 2])], [2, 1748779200], [3, null]])), 'a301420102021a683c40c003f6');
  assert.equal(enc(-1), '20');
  assert.equal(enc(2n ** 64n - 1n), '1bffffffffffffffff');
  assert.equal(enc(-(2n ** 64n)), '3bffffffffffffffff');
  assert.equal(enc(2n ** 64n), 'c249010000000000000000');
  assert.equal(enc(1.5), 'fb3ff8000000000000');
  assert.equal(enc(new Date(Date.UTC(2025, 5, 1, 12))), '74' + Buffer.from('2025-06-01T12:00:00Z').toString('hex'));
  assert.equal(enc(new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 250))), '77' + Buffer.from('2025-06-01T12:00:00.25Z').toString('hex'));
  assert.equal(enc(new Tagged(100, 0)), 'd86400');
  assert.equal(enc(new Simple(16)), 'f0');
});

test('decoding every major type', () => {
  assert.deepStrictEqual(decodeCBOR(hex('83f4f5f6')), [false, true, null]);
  assert.equal(decodeCBOR(hex('f7')), undefined);
  assert.equal(decodeCBOR(hex('3bffffffffffffffff')), -(2n ** 64n));
  assert.equal(decodeCBOR(hex('1b001fffffffffffff')), 2 ** 53 - 1);
  assert.equal(decodeCBOR(hex('1b0020000000000000')), 2n ** 53n);
  assert.equal(decodeCBOR(hex('c349010000000000000000')), -(2n ** 64n) - 1n);
  assert.equal(decodeCBOR(hex('f93e00')), 1.5);
  assert.ok(Number.isNaN(decodeCBOR(hex('f97e00'))));
  assert.equal(decodeCBOR(hex('f90001')), 2 ** -24);
  assert.equal(decodeCBOR(hex('fa3fc00000')), 1.5);
  assert.deepStrictEqual(decodeCBOR(hex('d86400')), new Tagged(100, 0));
  assert.deepStrictEqual(decodeCBOR(hex('f820')), new Simple(32));
  assert.equal(decodeCBOR(hex('62c328')), '\ufffd(', 'text that is not UTF-8 opens');
  // A map with a key that is not text is a Map; with text keys only, an object.
  const m = decodeCBOR(hex('a201026161f5'));
  assert.ok(m instanceof Map);
  assert.deepEqual([...m], [[1, 2], ['a', true]]);
  assert.deepStrictEqual(decodeCBOR(hex('a16161f5')), { a: true });
});

test('the limits of FORMAT.md', () => {
  const refuse = (h, why) => assert.throws(() => decodeCBOR(hex(h)), (e) => e instanceof MalformedError && why.test(e.message), h.slice(0, 20));
  assert.deepEqual(decodeCBOR(hex('81'.repeat(32) + '00')).flat(40), [0]);
  refuse('81'.repeat(33) + '00', /nested deeper than 32/);
  refuse('81'.repeat(31) + 'd864d864d86400', /nested deeper than 32/);
  assert.equal(decodeCBOR(hex('9a00010000' + '00'.repeat(65536))).length, 65536);
  refuse('9a00010001' + '00'.repeat(65537), /more than 65536 elements/);
  refuse('ba00010001', /more than 65536 pairs/);
  refuse('9f00ff', /indefinite/);
  refuse('5f4100ff', /indefinite/);
  refuse('ff', /break/);
  refuse('a2616101616102', /duplicate/);
  refuse('a2010101180102', /duplicate/);
  refuse('0000', /data after/);
  refuse('', /empty/);
  refuse('9bffffffffffffffff', /elements/);
  refuse('5bffffffffffffffff', /too large/);
  refuse('5a7fffffff', /too large|truncated/);
  refuse('9a7fffffff', /elements/);
  refuse('f818', /simple/);
  refuse('1c', /reserved/);
  refuse('c200', /bignum/);
  refuse('c000', /date-time/);
  // Two invalid UTF-8 keys are two keys, not duplicates, but both decode
  // to U+FFFD: no object holds both, and the map is refused rather than
  // opened with one value lost.
  refuse('a261ff0061fe01', /one key in JavaScript/);
  refuse('a263efbfbd0061ff01', /one key in JavaScript/); // U+FFFD itself beside the byte ff
  refuse('a1 61 78 a2 6261ff 00 6261fe 01'.replaceAll(' ', ''), /one key in JavaScript/); // deeper
});

test('the encoder refuses what could not be opened again', () => {
  let deep = 0;
  for (let i = 0; i < 32; i++) deep = [deep];
  assert.deepEqual(decodeCBOR(encodeCBOR(deep)), deep);
  assert.throws(() => encodeCBOR([deep]), /nested deeper than 32/);
  assert.throws(() => encodeCBOR(new Array(65537).fill(0)), /at most 65536/);
  assert.throws(() => encodeCBOR(() => 1), TypeError);
  assert.throws(() => encodeCBOR(Symbol('x')), TypeError);
});

test('map keys are equal when their values are: floats are not integers', () => {
  // 1.0 in two bytes and in four is one key; the integer 1 is another.
  assert.throws(() => decodeCBOR(Buffer.from('a2f93c0001fa3f80000002', 'hex')), /duplicate map key/);
  // Not duplicates, but a JavaScript Map, whose keys are numbers, holds
  // one of them only: refused rather than opened with one value lost.
  assert.throws(() => decodeCBOR(Buffer.from('a2f93c00010102', 'hex')), /one key in JavaScript/);
  assert.throws(() => decodeCBOR(Buffer.from('a2010118010102', 'hex')), /duplicate map key/); // 1 and 1 in two bytes
  assert.throws(() => decodeCBOR(Buffer.from('a2410101580101' + '02', 'hex')), /duplicate map key/); // h'01' twice
  assert.throws(() => decodeCBOR(Buffer.from('a2f93e00' + '01' + 'fb3ff8000000000000' + '02', 'hex')), /duplicate map key/); // 1.5 twice
});

test('text that is not UTF-8: one U+FFFD per byte that is not part of a valid sequence, as Go reads it', () => {
  const text = (hex) => decodeCBOR(Buffer.from(hex, 'hex'));
  assert.equal(text('62c328'), '\ufffd(');
  assert.equal(text('63e28228'), '\ufffd\ufffd(');
  assert.equal(text('63eda080'), '\ufffd\ufffd\ufffd'); // an encoded surrogate
  assert.equal(text('64f0908080'.slice(0, 10)), '\u{10000}');
  assert.equal(text('62c0af'), '\ufffd\ufffd'); // overlong
  assert.equal(text('64f4908080'), '\ufffd\ufffd\ufffd\ufffd'); // beyond U+10FFFF
  assert.equal(text('63efbbbf'), '\ufeff'); // a BOM in text is text
});

// FORMAT.md: whatever seals also opens. Keys a Map (or an object) holds
// apart but that encode as one key would make a value the decoder refuses
// ("duplicate map key"), so encoding refuses them, before anything seals.
test('the encoder refuses map keys that would decode as duplicates', () => {
  const duplicates = {
    'integer and BigInt': new Map([[1, 'a'], [1n, 'b']]),
    'negative integer and BigInt': new Map([[-5, 'a'], [-5n, 'b']]),
    'null and undefined': new Map([[null, 'a'], [undefined, 'b']]),
    'a Date and its text': new Map([[new Date(0), 'a'], ['1970-01-01T00:00:00Z', 'b']]),
    'equal arrays': new Map([[[1], 'a'], [[1n], 'b']]),
    'equal objects': new Map([[{}, 'a'], [{}, 'b']]),
    'equal byte strings': new Map([[new Uint8Array([1]), 'a'], [Buffer.from([1]), 'b']]),
    'a JSONNumber and its double': new Map([[new JSONNumber('1.5'), 'a'], [1.5, 'b']]),
    'equal tags': new Map([[new Tagged(5, 1), 'a'], [new Tagged(5, 1n), 'b']]),
    'nested': { m: [new Map([[2, 'a'], [2n, 'b']])] },
  };
  const codec = new Codec(parseKeyring(keyringText([keyJSON('0000000a')])), { now: () => 1748779200n * 1_000_000_000n });
  for (const [name, v] of Object.entries(duplicates)) {
    assert.throws(() => encodeCBOR(v), (e) => e instanceof TypeError && /duplicate/.test(e.message), name);
    assert.throws(() => codec.seal('c', v), TypeError, name);
  }
  // Keys the decoder tells apart still encode, and come back.
  const distinct = new Map([[1, 'a'], ['1', 'b'], [1.5, 'c'], [2 ** 53, 'd'], [2n ** 53n, 'e'], [new Uint8Array([1]), 'f'],
    [-1, 'g'], [2n ** 64n, 'h'], [NaN, 'i'], [null, 'j'], [false, 'k'], [[1], 'l'], [[2], 'm']]);
  const back = decodeCBOR(encodeCBOR(distinct));
  assert.equal(back.size, distinct.size);
  assert.equal(codec.open('c', codec.seal('c', distinct)).value.size, distinct.size);
});

// A lone surrogate has no UTF-8 form: a string holding one would open as
// another string (U+FFFD in its place), so encoding refuses it, as a
// value, a key of an object or of a Map.
test('the encoder refuses strings with lone surrogates', () => {
  const codec = new Codec(parseKeyring(keyringText([keyJSON('0000000a')])), { now: () => 1748779200n * 1_000_000_000n });
  for (const v of ['\ud800', 'a\udc00b', ['x', '\udbff'], { '\ud800': 'a' }, new Map([['\udc00', 1]]), { k: '\ud800\ud800' }]) {
    assert.throws(() => encodeCBOR(v), (e) => e instanceof TypeError && /lone surrogate/.test(e.message), JSON.stringify(v));
    assert.throws(() => codec.seal('c', v), TypeError);
  }
  // Surrogate pairs are characters like any other.
  assert.equal(decodeCBOR(encodeCBOR('\ud83d\ude00')), '\u{1f600}');
});
