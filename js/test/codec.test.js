import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Codec, parseKeyring, loadKeyringSync, peekChunks, OVERHEAD, TamperedError, TooLargeError, ExpiredError,
  NotYetValidError, MalformedError, UnsupportedVersionError, IncompleteError, UnknownKeyError, RevokedKeyError,
  NoPrimaryKeyError, CookieSessionError, SessionStore,
} from '../src/index.js';
import { VECTOR_DIR } from './helpers.js';
import { keyJSON, keyringText } from './fixtures.js';

const S = 1_000_000_000n;
const epoch = 1748779200n * S; // 2025-06-01T12:00:00Z, the vectors' clock
const ring = loadKeyringSync(path.join(VECTOR_DIR, 'keyring.json'), { allowReadableByOthers: true });

function codecAt(now, opts = {}) {
  return new Codec(ring, { now: () => now, ...opts });
}

test('seal and open: every kind of value comes back', () => {
  const c = codecAt(epoch, { purpose: 'app' });
  const v = {
    user: 'ada', uid: 42, neg: -7, big: 2n ** 64n - 1n, huge: 2n ** 80n, ratio: 1.5, ok: true, none: null,
    blob: new Uint8Array([0, 255]), list: [1, 'x', [2]], nested: { a: { b: 'c' } }, __proto__key: 1,
  };
  const value = c.seal('sid', v);
  assert.match(value, /^~AQAB/);
  const got = c.open('sid', value);
  assert.deepStrictEqual(got.value, v);
  assert.equal(got.header.keyId, 'c0ffee01');
  assert.equal(got.header.issuedAtUnix, epoch / S);
  assert.equal(got.header.expiresUnix - got.header.issuedAtUnix, 86400n);
  assert.equal(got.header.issuedAt.toISOString(), '2025-06-01T12:00:00.000Z');
  const j = codecAt(epoch, { serializer: 'json' });
  assert.deepStrictEqual(j.open('sid', j.seal('sid', { a: [1, { b: 2n ** 60n }] })).value, { a: [1, { b: 2n ** 60n }] });
});

test('a key named __proto__ is data', () => {
  const c = codecAt(epoch);
  const v = JSON.parse('{"__proto__": {"admin": true}}');
  const got = c.open('sid', c.seal('sid', v)).value;
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.deepEqual(Object.keys(got), ['__proto__']);
  assert.equal(got.admin, undefined);
});

test('the value length: exactly max length opens, one more is too large, before anything', () => {
  const c = codecAt(epoch, { maxLength: 200 });
  // 1 + ceil(4 (59 + p) / 3) = 200 for p = 90: a CBOR text of 88 bytes (2-byte head).
  const value = c.seal('sid', 'x'.repeat(88));
  assert.equal(value.length, 200);
  assert.equal(c.open('sid', value).value, 'x'.repeat(88));
  assert.throws(() => c.seal('sid', 'x'.repeat(89)), (e) => e instanceof TooLargeError && e.size === 201 && e.limit === 200);
  assert.throws(() => c.open('sid', value + 'AA'), (e) => e instanceof TooLargeError && e.size === 202);
  // Too large wins even over a value that is not one at all.
  assert.throws(() => c.open('sid', '!'.repeat(201)), TooLargeError);
  assert.throws(() => new Codec(ring, { maxLength: 79 }), RangeError);
});

test('every changed character of a value fails, and never opens', () => {
  const c = codecAt(epoch);
  const value = c.seal('sid', { user: 'ada' });
  const kinds = new Set();
  for (let i = 0; i < value.length; i++) {
    for (const ch of ['A', 'B', '_']) {
      if (value[i] === ch) continue;
      const v = value.slice(0, i) + ch + value.slice(i + 1);
      assert.throws(() => c.open('sid', v), (e) => {
        assert.ok(e instanceof CookieSessionError, `position ${i}: ${e}`);
        kinds.add(e.kind);
        return true;
      });
    }
  }
  // The header's version, flags, count and key id are checked before the tag.
  assert.deepEqual([...kinds].sort(), ['incomplete', 'malformed', 'revoked-key', 'tampered', 'unknown-key', 'unsupported-version']);
  for (let n = 0; n < value.length; n++) {
    assert.throws(() => c.open('sid', value.slice(0, n)), CookieSessionError);
  }
});

test('the order of the checks', () => {
  const c = codecAt(epoch);
  const value = c.seal('sid', 1);
  const raw = Buffer.from(value.slice(1), 'base64url');
  const enc = (b) => '~' + Buffer.from(b).toString('base64url');
  const edit = (f) => {
    const b = Buffer.from(raw);
    f(b);
    return enc(b);
  };
  assert.throws(() => c.open('sid', ''), MalformedError);
  assert.throws(() => c.open('sid', value.slice(1)), MalformedError);
  assert.throws(() => c.open('sid', enc(raw.subarray(0, OVERHEAD - 1))), MalformedError);
  assert.throws(() => c.open('sid', edit((b) => { b[0] = 2; b[2] = 0; })), UnsupportedVersionError);
  assert.throws(() => c.open('sid', edit((b) => { b[2] = 0; b.writeUInt32BE(0xdeadbeef, 3); })), MalformedError);
  assert.throws(() => c.open('sid', edit((b) => { b[2] = 2; b.writeUInt32BE(0xdeadbeef, 3); })), IncompleteError);
  assert.throws(() => c.open('sid', edit((b) => b.writeUInt32BE(0xdeadbeef, 3))), (e) => e instanceof UnknownKeyError && e.keyId === 'deadbeef');
  assert.throws(() => c.open('sid', edit((b) => b.writeUInt32BE(0xc0ffee05, 3))), (e) => e instanceof RevokedKeyError && e.keyId === 'c0ffee05');
  assert.throws(() => c.open('sid', edit((b) => b.writeUInt32BE(0xc0ffee03, 3))), TamperedError);
  assert.throws(() => c.open('other', value), TamperedError);
  assert.throws(() => codecAt(epoch, { purpose: 'x' }).open('sid', value), TamperedError);
});

test('time: nanoseconds, the skew on both sides, and signed issue times', () => {
  const c = codecAt(epoch, { maxAge: 3600 });
  const value = c.seal('sid', 'v');
  const expiry = epoch + 3600n * S;
  assert.equal(codecAt(expiry + 60n * S - 1n).open('sid', value).value, 'v');
  assert.throws(() => codecAt(expiry + 60n * S).open('sid', value), (e) => e instanceof ExpiredError && e.header.keyId === 'c0ffee01');
  assert.throws(() => codecAt(expiry, { clockSkew: 0 }).open('sid', value), ExpiredError);
  assert.equal(codecAt(expiry - 1n, { clockSkew: 0 }).open('sid', value).value, 'v');
  assert.equal(codecAt(epoch - 60n * S).open('sid', value).value, 'v');
  assert.throws(() => codecAt(epoch - 60n * S - 1n).open('sid', value), NotYetValidError);
  // A Date clock works too, to the millisecond.
  assert.equal(new Codec(ring, { now: () => new Date(Number(epoch / 1_000_000n)) }).open('sid', value).value, 'v');
  // Sealing rounds now down to whole seconds.
  const frac = codecAt(epoch + S - 1n).open('sid', codecAt(epoch + S - 1n).seal('sid', 1));
  assert.equal(frac.header.issuedAtUnix, epoch / S);
});

test('sealing fails without a primary, or with a failing random source', () => {
  const pending = parseKeyring(keyringText([keyJSON('0000000a', { activates_at: '2030-01-01T00:00:00Z' })]));
  assert.throws(() => new Codec(pending, { now: () => epoch }).seal('sid', 1), NoPrimaryKeyError);
  const broken = codecAt(epoch, { random: () => { throw new Error('no entropy'); } });
  assert.throws(() => broken.seal('sid', 1), /no entropy/);
  const short = codecAt(epoch, { random: () => new Uint8Array(23) });
  assert.throws(() => short.seal('sid', 1), /random source/);
});

test('a payload that does not deserialize is malformed, with its header', () => {
  const c = codecAt(epoch, { serializer: { name: 'raw', serialize: (v) => v, deserialize: (b) => b } });
  const cb = codecAt(epoch);
  for (const payload of [[], [0xff], [0x00, 0x00], [0x9f, 0xff], [0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]]) {
    const value = c.seal('sid', new Uint8Array(payload));
    assert.throws(() => cb.open('sid', value), (e) => e instanceof MalformedError && e.header.keyId === 'c0ffee01');
  }
  const jc = codecAt(epoch, { serializer: 'json' });
  for (const payload of ['', '{}{}', '[' .repeat(33) + ']'.repeat(33), '\ufeff{}', '{"a":}']) {
    const value = c.seal('sid', Buffer.from(payload));
    assert.throws(() => jc.open('sid', value), MalformedError, JSON.stringify(payload));
  }
  assert.deepEqual(jc.open('sid', c.seal('sid', Buffer.from(' {"a":1,"a":2} \n'))).value, { a: 2 });
});

test('peekChunks reads the count from four characters', () => {
  assert.equal(peekChunks('~AQAB'), 1);
  assert.equal(peekChunks('~AQD_xyz'), 255);
  assert.throws(() => peekChunks('~AQA'), MalformedError);
  assert.throws(() => peekChunks('AQAB~'), MalformedError);
  assert.throws(() => peekChunks('~AQAA'), MalformedError);
  assert.throws(() => peekChunks('~AgAB'), UnsupportedVersionError);
  assert.throws(() => peekChunks('~AQEB'), UnsupportedVersionError);
  assert.throws(() => peekChunks('~AQ+B'), MalformedError);
});

test('the error classes have the kinds and codes of FORMAT.md', () => {
  const e = new TooLargeError('value', 5000, 4096);
  assert.equal(e.message, 'cookiesession: value too large: 5000 bytes, limit 4096');
  assert.equal(e.kind, 'too-large');
  assert.equal(e.code, 'COOKIESESSION_TOO_LARGE');
  assert.equal(e.atLeast, false);
  const bound = new TooLargeError('value', 1048577, 1048576, 'bytes', { atLeast: true });
  assert.equal(bound.atLeast, true);
  assert.equal(bound.message, 'cookiesession: value too large: at least 1048577 bytes, limit 1048576 ' +
    '(a part held in several places, an object, an array or a string, is written once for each place that holds it)');
  assert.equal(new TamperedError().message, 'cookiesession: value failed authentication');
  assert.equal(new NotYetValidError().code, 'COOKIESESSION_NOT_YET_VALID');
  assert.equal(new UnknownKeyError('deadbeef').message, 'cookiesession: key deadbeef: unknown key');
  assert.ok(new RevokedKeyError('c0ffee05') instanceof CookieSessionError);
  assert.equal(new ExpiredError().name, 'ExpiredError');
});

test("a cookie name longer than 4096 bytes is the caller's mistake: an error of no class", () => {
  const c = codecAt(epoch);
  const value = c.seal('sid', 1);
  const long = 'é'.repeat(2049); // 4098 bytes, 2049 characters
  assert.throws(() => c.open(long, value), (e) => e instanceof RangeError && !(e instanceof CookieSessionError) && /4098 bytes/.test(e.message));
  // Step 1 still comes first.
  assert.throws(() => c.open(long, '~' + 'A'.repeat(5000)), TooLargeError);
  assert.throws(() => c.seal(long, 1), RangeError);
});

test('maxAge may have a fraction: both ends of the lifetime round down', () => {
  // Sealed at 12:00:00.7 for 1.5 s: issued-at 12:00:00, expiry 12:00:02.2
  // rounded down to 12:00:02, so lifetime 2 (vector seal-fraction).
  const c = codecAt(epoch + 700_000_000n, { maxAge: 1.5 });
  const { header } = c.open('sid', c.seal('sid', 1));
  assert.equal(header.issuedAtUnix, epoch / S);
  assert.equal(header.expiresUnix - header.issuedAtUnix, 2n);
  // At 12:00:00.2 for 1.5 s, the expiry 12:00:01.7 rounds to 12:00:01.
  const d = codecAt(epoch + 200_000_000n, { maxAge: 1.5 });
  assert.equal(d.open('sid', d.seal('sid', 1)).header.expiresUnix - epoch / S, 1n);
  for (const bad of [0.5, 0, -1, NaN, Infinity, 2 ** 32, '60']) {
    assert.throws(() => codecAt(epoch, { maxAge: bad }), RangeError, String(bad));
  }
});

test('a value is measured in bytes: latin1 characters as Node gives them, one byte each', () => {
  const c = codecAt(epoch, { maxLength: 100 });
  // 99 characters with one above U+007F: 99 bytes as Node hands them over,
  // so not too large but malformed, as the Go reader judges those bytes.
  assert.throws(() => c.open('sid', '~' + 'A'.repeat(96) + '\u00e9A'), MalformedError);
  assert.throws(() => c.open('sid', '~' + 'A'.repeat(100)), TooLargeError);
  // Text beyond U+00FF did not come from a header: its UTF-8 bytes count.
  assert.throws(() => c.open('sid', '~' + 'A'.repeat(97) + '\u2603'), (e) => e instanceof TooLargeError && e.size === 101);
});

// A custom serializer owns its buffers: its output may alias its input or
// be cached, and its values may be views into the plaintext (as
// @msgpack/msgpack's byte strings are). The Codec zeroes neither.
test('custom serializers: the Codec never zeroes their output or the plaintext their values view', () => {
  // Decoded values are views into the plaintext.
  const views = {
    serialize: (v) => Uint8Array.from([v.tag, ...v.bytes]),
    deserialize: (b) => ({ tag: b[0], bytes: b.subarray(1) }),
  };
  const codec = codecAt(epoch, { serializer: views });
  const opened = codec.open('s', codec.seal('s', { tag: 9, bytes: [1, 2, 3, 4] })).value;
  assert.equal(opened.tag, 9);
  assert.deepEqual([...opened.bytes], [1, 2, 3, 4], 'open wiped the plaintext a value refers to');

  // The output is the caller's own buffer.
  const identity = { serialize: (b) => b, deserialize: (b) => b };
  const id = codecAt(epoch, { serializer: identity });
  const mine = new Uint8Array([7, 7, 7]);
  const sealed = id.seal('s', mine);
  assert.deepEqual([...mine], [7, 7, 7], "seal zeroed the caller's buffer");
  assert.deepEqual([...id.open('s', sealed).value], [7, 7, 7]);
  // Also when sealing fails after serializing.
  const big = new Uint8Array(100).fill(7);
  assert.throws(() => codecAt(epoch, { serializer: identity, maxLength: 100 }).seal('s', big), TooLargeError);
  assert.ok(big.every((x) => x === 7));

  // The output is cached and returned again.
  const cache = new Map();
  const memo = {
    serialize: (v) => {
      if (!cache.has(v)) cache.set(v, new Uint8Array(Buffer.from(v)));
      return cache.get(v);
    },
    deserialize: (b) => Buffer.from(b).toString(),
  };
  const m = codecAt(epoch, { serializer: memo });
  m.seal('s', 'hello');
  assert.equal(m.open('s', m.seal('s', 'hello')).value, 'hello');
});

test("custom serializers in a SessionStore: the session's byte data survives", () => {
  // The data as a byte view into the plaintext, with the envelope around it.
  const viewSerializer = {
    name: 'views',
    serialize: (env) => {
      const data = env.get(3);
      return Uint8Array.from([...env.get(1), ...new Uint8Array(8), ...data]);
    },
    deserialize: (b) => new Map([[1, b.subarray(0, 16)], [2, 1748779200], [3, b.subarray(24)]]),
  };
  const st = new SessionStore(ring, { now: () => epoch, name: 's', insecure: true, serializer: viewSerializer });
  const sealed = st.seal({ data: new Uint8Array([5, 6]) });
  const loaded = st.load(`s=${sealed.cookies[0].value}`);
  assert.deepEqual([...loaded.data], [5, 6]);
  assert.deepEqual([...loaded.id], [...sealed.id]);
});

test('an unknown key says whether it was pruned or never in this keyring, as Go does', async () => {
  const { readFileSync } = await import('node:fs');
  const value = (name) => readFileSync(path.join(VECTOR_DIR, `${name}.txt`), 'utf8').split('\n\n')[1].trim();
  const c = codecAt(epoch);
  for (const [name, says] of [
    ['deleted-key', 'pruned from the keyring: no server opens it any more'],
    ['unknown-key', 'in no keyring this server holds: sealed by a server with another keyring file'],
  ]) {
    assert.throws(() => c.open('session', value(name)), (e) => {
      assert.ok(e instanceof UnknownKeyError, e.message);
      assert.ok(e.message.startsWith(`cookiesession: key ${e.keyId}: unknown key (${says}`), e.message);
      return true;
    });
  }
});

test('a value whose parts are held in several places is refused as too large before it encodes without end', () => {
  // Thirty objects in memory, each holding the next twice: 2^30 parts to
  // write, which would take hours and gigabytes.
  let m = { v: 1 };
  let list = [1];
  for (let i = 0; i < 30; i++) {
    m = { a: m, b: m };
    list = [list, list];
  }
  for (const serializer of ['cbor', 'json']) {
    const c = codecAt(epoch, { serializer, maxLength: 1 << 20 });
    for (const v of [m, list]) {
      assert.throws(() => c.seal('sid', v), (e) => e instanceof TooLargeError && e.unit === 'bytes' && e.atLeast === true &&
        e.limit === 1 << 20 && e.size > 1 << 20 && /at least \d+ bytes/.test(e.message), `${serializer}: a shared tree`);
    }
  }
  // Under the bound, the encoding is measured as any other.
  let small = { v: 1 };
  for (let i = 0; i < 12; i++) small = { a: small, b: small };
  assert.throws(() => codecAt(epoch).seal('sid', small), (e) => e instanceof TooLargeError && e.unit === 'bytes' && !e.atLeast);
});

// refusedEarly checks that sealing v is refused as at least 1 MiB long,
// with a lower bound no more than slack bytes past what stopped it, in
// well under a second: the encoding stops at the bound, whatever v shares.
function refusedEarly(c, v, what, slack = 1 << 20) {
  const t0 = performance.now();
  assert.throws(() => c.seal('sid', v), (e) => {
    assert.ok(e instanceof TooLargeError, `${what}: ${e}`);
    assert.equal(e.unit, 'bytes', what);
    assert.equal(e.atLeast, true, what);
    assert.equal(e.limit, 1 << 20, what);
    assert.ok(e.size > 1 << 20 && e.size <= (1 << 20) + slack, `${what}: size ${e.size}`);
    assert.match(e.message, /^cookiesession: value too large: at least \d+ bytes, limit 1048576 \(a part held in several places/);
    return true;
  }, what);
  const ms = performance.now() - t0;
  assert.ok(ms < 1500, `${what}: refused in ${ms.toFixed(0)} ms`);
}

test('a long part held in many places is refused after about 1 MiB of encoding, not once written out', () => {
  // Each a few kilobytes or megabytes in memory, and a gigabyte or more
  // once every place that holds a part has written it.
  const s4k = 's'.repeat(4096);
  const inner = new Array(512).fill(s4k);
  const s10m = 'a'.repeat(10_000_000);
  const b10m = new Uint8Array(10_000_000);
  for (const serializer of ['cbor', 'json']) {
    const c = codecAt(epoch, { serializer, maxLength: 1 << 20 });
    // 2^18 references to one 4 KiB string (in two levels for CBOR, whose
    // arrays hold at most 65536 elements).
    refusedEarly(c, { x: new Array(512).fill(inner) }, `${serializer}: 2^18 references to a 4 KiB string`, 8192);
    if (serializer === 'json') refusedEarly(c, new Array(1 << 18).fill(s4k), 'json: 2^18 references in one array', 8192);
    // A part longer than the bound on its own is refused before it is
    // copied even once.
    refusedEarly(c, new Array(200).fill(s10m), `${serializer}: a 10 MB string held 200 times`, 15_000_000);
    refusedEarly(c, { b: new Array(200).fill(b10m) }, `${serializer}: a 10 MB byte array held 200 times`, 15_000_000);
  }
});

test('a deep tree of empty arrays or objects sharing their children is refused after about 1 MiB', () => {
  // Nearly nothing written per part: a byte in CBOR, two in JSON, but
  // each is written, so the byte bound stops the walk too.
  let list = [];
  let obj = {};
  for (let i = 0; i < 30; i++) {
    list = [list, list];
    obj = { a: obj, b: obj };
  }
  for (const serializer of ['cbor', 'json']) {
    const c = codecAt(epoch, { serializer, maxLength: 1 << 20 });
    refusedEarly(c, list, `${serializer}: shared empty arrays`, 16);
    refusedEarly(c, { t: obj }, `${serializer}: shared empty objects`, 16);
  }
});

test('a JSON object of members left out, held in many places, is refused before it is read member by member for each', () => {
  // An undefined member writes nothing, so no byte bound weighs it: the
  // members reached are bounded instead.
  const o = {};
  for (let i = 0; i < 64; i++) o['k' + i] = undefined;
  const c = codecAt(epoch, { serializer: 'json', maxLength: 1 << 20 });
  const t0 = performance.now();
  assert.throws(() => c.seal('sid', new Array(1 << 18).fill(o)),
    (e) => e instanceof TooLargeError && e.unit === 'parts' && e.limit === 1 << 20 && /held in several places/.test(e.message));
  assert.ok(performance.now() - t0 < 1500);
  // An object of members left out, held once, is written as any other.
  assert.deepEqual(c.open('sid', c.seal('sid', [o, o])).value, [{}, {}]);
});

test('a long BigInt is written and read in time linear in its length, and refused before it is converted past the bound', () => {
  // 300 KB: a CBOR bignum of as many bytes, which seals under a maxLength
  // of 1 MiB and opens equal.
  const big = (1n << 2_400_000n) - 12345n;
  for (const [serializer, n] of [['cbor', big], ['cbor', -big]]) {
    const c = codecAt(epoch, { serializer, maxLength: 1 << 20 });
    const t0 = performance.now();
    assert.equal(c.open('sid', c.seal('sid', [n])).value[0], n);
    // Refused by the default maxLength, once measured.
    assert.throws(() => codecAt(epoch, { serializer }).seal('sid', n),
      (e) => e instanceof TooLargeError && !e.atLeast && e.size > 300_000);
    const ms = performance.now() - t0;
    assert.ok(ms < 1500, `${serializer}: ${ms.toFixed(0)} ms`);
  }
  // 2 MB, more than the bound once written in either form: refused before
  // its decimal digits, which take superlinear time, are written out.
  const huge = 1n << 16_000_000n;
  for (const serializer of ['cbor', 'json']) {
    const c = codecAt(epoch, { serializer, maxLength: 1 << 20 });
    refusedEarly(c, [huge], `${serializer}: a 2 MB BigInt`, 5_000_000);
    refusedEarly(c, [-huge], `${serializer}: a negative 2 MB BigInt`, 5_000_000);
  }
});

// Two purposes that differ in a lone surrogate would both be written as
// U+FFFD: such a purpose is refused.
test('a purpose with a lone surrogate is refused', () => {
  for (const purpose of ['t-\ud800', 't-\udfff', 5]) assert.throws(() => new Codec(ring, { purpose }), TypeError);
  assert.equal(new Codec(ring, { purpose: 't-\ufffd' }).purpose, 't-\ufffd');
});
