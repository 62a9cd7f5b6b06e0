// Hostile input: whatever a request carries, the package throws one of its
// own errors (never a TypeError, a RangeError or a crash) and never hangs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Codec, SessionStore, loadKeyringSync, decodeCBOR, parseKeyring, CookieSessionError, MalformedError, KeyringError } from '../src/index.js';
import { VECTOR_DIR } from './helpers.js';

const ring = loadKeyringSync(path.join(VECTOR_DIR, 'keyring.json'), { allowReadableByOthers: true });
const now = () => 1748779200n * 1_000_000_000n;

// A small deterministic generator, so that a failure can be repeated.
function rng(seed) {
  let x = seed >>> 0;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function mutate(r, s, alphabet) {
  const a = s.split('');
  for (let k = 1 + r(3); k > 0; k--) {
    const i = r(a.length + 1);
    switch (r(4)) {
      case 0: a.splice(i, 1); break;
      case 1: a.splice(i, 0, alphabet[r(alphabet.length)]); break;
      case 2: a[i] = alphabet[r(alphabet.length)]; break;
      default: a.length = Math.min(a.length, i); break;
    }
  }
  return a.join('');
}

test('opening mutated values throws only the package errors', () => {
  const codec = new Codec(ring, { now });
  const store = new SessionStore(ring, { now, name: 's', insecure: true });
  const value = codec.seal('s', { user: 'ada', roles: ['a'] });
  const session = store.seal({ data: { fill: 'x'.repeat(4000) } }).cookies;
  assert.equal(session.length, 2);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~=+/.; \t"\u00e9\u0000';
  const r = rng(42);
  for (let i = 0; i < 3000; i++) {
    const v = mutate(r, value, alphabet);
    try {
      codec.open('s', v);
      assert.equal(v, value, 'a changed value opened');
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(e instanceof CookieSessionError, `${JSON.stringify(v)}: ${e.stack}`);
    }
    const header = mutate(r, session.map((c) => `${c.name}=${c.value}`).join('; '), alphabet);
    try {
      store.load(header);
    } catch (e) {
      assert.ok(e instanceof CookieSessionError, `${e.stack}`);
    }
  }
});

test('random bytes as CBOR throw only MalformedError', () => {
  const r = rng(7);
  for (let i = 0; i < 20000; i++) {
    const b = randomBytes(1 + r(40));
    try {
      decodeCBOR(b);
    } catch (e) {
      assert.ok(e instanceof MalformedError, `${b.toString('hex')}: ${e.stack}`);
    }
  }
});

test('mutated keyring files throw only KeyringError', () => {
  const text = JSON.stringify({
    version: 1,
    keys: [{ id: 'c0ffee01', state: 'retired', secret: Buffer.alloc(32, 7).toString('base64'), created: '2025-05-01T00:00:00Z',
      activates_at: '2025-05-01T00:00:00Z', retire_after: '2025-07-01T00:00:00.5+02:00' },
    { id: 'c0ffee02', state: 'active', secret: Buffer.alloc(32, 8).toString('base64'), created: '2025-05-01T00:00:00Z', activates_at: '2025-05-01T00:00:00Z' }],
    deleted: ['c0ffee00'],
  });
  const r = rng(9);
  let ok = 0;
  for (let i = 0; i < 5000; i++) {
    const t = mutate(r, text, '{}[]",:0123456789.eE+-tfnul aAzZ=\\\u00ff');
    try {
      parseKeyring(t);
      ok++;
    } catch (e) {
      assert.ok(e instanceof KeyringError, `${JSON.stringify(t)}: ${e.stack}`);
    }
  }
  assert.ok(ok > 50, `only ${ok} mutated files parse: the mutations test little`);
});

// What a framework hands over when a request has no such header or cookie
// (Headers.get gives null, req.cookies.x undefined) is no cookie, and what
// is not text is refused by a class of the package: never a TypeError from
// deep inside.
test('missing and non-text inputs get the package errors', async () => {
  const { AbsentError, IncompleteError, openCookieHeader, peekChunks, scanCookies } = await import('../src/index.js');
  const store = new SessionStore(ring, { now });
  const codec = new Codec(ring, { now });
  for (const header of [null, undefined, [undefined], [null, 'other=1'], []]) {
    assert.throws(() => store.load(header), AbsentError, `load(${String(header)})`);
    assert.throws(() => openCookieHeader(codec, header, store.name), AbsentError);
    assert.deepEqual(scanCookies(header, store.name), []);
  }
  // A session after a line that is not there still opens.
  const sealed = store.seal({ data: { n: 1 } });
  const line = sealed.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  assert.deepEqual(store.load([null, line]).data, { n: 1 });
  assert.throws(() => store.load([5]), (e) => e instanceof TypeError && /Cookie header/.test(e.message));
  for (const value of [undefined, null]) assert.throws(() => codec.open('csrf', value), AbsentError);
  for (const value of [5, {}, []]) assert.throws(() => codec.open('csrf', value), MalformedError);
  assert.throws(() => codec.openChunks('n', [null]), IncompleteError);
  assert.throws(() => codec.openChunks('n', ['~AQAB', undefined]), IncompleteError);
  assert.throws(() => codec.openChunks('n', [7]), MalformedError);
  assert.throws(() => peekChunks(null), MalformedError);
  for (const data of [undefined, null, 5, {}]) assert.throws(() => parseKeyring(data), KeyringError);
});
