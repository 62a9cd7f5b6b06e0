import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SessionStore, Codec, loadKeyringSync, scanCookies, splitValue, joinChunks, chunkName, chunkCount,
  AbsentError, IncompleteError, TooLargeError, TamperedError, ExpiredError, MalformedError, MAX_CANDIDATES,
} from '../src/index.js';
import { VECTOR_DIR } from './helpers.js';

const S = 1_000_000_000n;
const epoch = 1748779200n * S;
const ring = loadKeyringSync(path.join(VECTOR_DIR, 'keyring.json'), { allowReadableByOthers: true });
const header = (cookies, extra = []) => [...extra, ...cookies.map((c) => `${c.name}=${c.value}`)].join('; ');

function storeAt(now, opts = {}) {
  let t = now;
  const st = new SessionStore(ring, { now: () => t, ...opts });
  st.setNow = (n) => { t = n; };
  return st;
}

test('splitValue fills every chunk but the last, and joins back', () => {
  const value = '~' + 'x'.repeat(9000);
  const parts = splitValue('session', value, 3800);
  assert.equal(parts.length, 3);
  parts.slice(0, -1).forEach((p, i) => assert.equal(chunkName('session', i).length + p.length, 3800));
  assert.ok(parts.at(-1).length > 0);
  assert.equal(joinChunks(parts), value);
  assert.equal(chunkCount('session', 3793, 3800), 1);
  assert.equal(chunkCount('session', 3794, 3800), 2);
  assert.deepEqual(splitValue('s', 'abc', 3800), ['abc']);
});

test('scanCookies: exact names, index rules, candidates and the header cap', () => {
  const h = 'a=1; session=x; session.1=y; session.01=no; session.0=no; session.x=no; Session=no; sessions=no; session.255=no; session.2=z; "q"; session.3="quoted"';
  assert.deepEqual(scanCookies(h, 'session', 255), [['x'], ['y'], ['z'], ['quoted']]);
  assert.deepEqual(scanCookies(h, 'session', 3), [['x'], ['y'], ['z']]);
  assert.deepEqual(scanCookies(['session=a', 'session=b'], 'session'), [['a', 'b']]);
  const many = Array.from({ length: 10 }, (_, i) => `session=${i}`).join('; ');
  assert.equal(scanCookies(many, 'session')[0].length, MAX_CANDIDATES);
  assert.deepEqual(scanCookies(undefined, 'session'), []);
  assert.throws(() => scanCookies('a=' + 'x'.repeat(65535), 'session'), (e) => e instanceof TooLargeError && e.size === 65537);
  assert.deepEqual(scanCookies('a=' + 'x'.repeat(65534), 'session'), []);
});

test('a session round trip, in one cookie and in many', () => {
  for (const [opts, fill, n] of [[{}, 10, 1], [{}, 4000, 2], [{ chunkSize: 256, maxSize: 65536 }, 40000, 200]]) {
    const st = storeAt(epoch, { name: 's', insecure: true, ...opts });
    const sealed = st.seal({ data: { user: 'ada', fill: 'f'.repeat(fill) } });
    const joined = joinChunks(sealed.cookies.map((c) => c.value));
    assert.equal(sealed.cookies.length, chunkCount('s', joined.length, opts.chunkSize ?? 3800));
    assert.ok(sealed.cookies.length >= n, `${sealed.cookies.length} chunks`);
    const s = st.load(header(sealed.cookies, ['other=1']));
    assert.deepEqual(s.data, { user: 'ada', fill: 'f'.repeat(fill) });
    assert.deepEqual(s.id, sealed.id);
    assert.equal(s.createdUnix, epoch / S);
    assert.equal(s.header.chunks, sealed.cookies.length);
    assert.equal(s.reseal, false);
    // Chunks in any header order are joined in index order.
    assert.deepEqual(st.load(header([...sealed.cookies].reverse())).data.user, 'ada');
    if (sealed.cookies.length > 1) {
      assert.throws(() => st.load(header(sealed.cookies.slice(0, -1))), IncompleteError);
      assert.throws(() => st.load(header(sealed.cookies.slice(1))), IncompleteError);
      // Values swapped between two indexes: the count is read from the
      // wrong piece, or the joined value fails its tag.
      const swapped = sealed.cookies.map((c) => ({ ...c }));
      [swapped[1].value, swapped[2 % swapped.length].value] = [swapped[2 % swapped.length].value, swapped[1].value];
      if (swapped.length > 2) assert.throws(() => st.load(header(swapped)), TamperedError);
    }
  }
});

test('chunks mixed from two sessions, or carried twice, never open as one', () => {
  const st = storeAt(epoch, { name: 's', insecure: true });
  const a = st.seal({ data: { who: 'a', fill: 'a'.repeat(4000) } }).cookies;
  const b = st.seal({ data: { who: 'b', fill: 'b'.repeat(4000) } }).cookies;
  assert.throws(() => st.load(header([a[0], b[1]])), TamperedError);
  // The attacker's value first: the real one behind it still opens.
  const forged = { name: 's', value: a[0].value.slice(0, 40) + 'AAAA' + a[0].value.slice(44) };
  assert.equal(st.load(header([forged, ...a])).data.who, 'a');
  // Both sets, host-only and Domain: each chunk 0 pairs with its own chunks.
  assert.equal(st.load(header([b[0], a[0], b[1], a[1]])).data.who, 'b');
  // If none opens, the first attempt's failure is reported.
  assert.throws(() => st.load(header([forged, a[1]])), TamperedError);
});

test('loading: absent, too many chunks, a shorter lifetime, a bad envelope', () => {
  const st = storeAt(epoch, { name: 's', insecure: true });
  assert.throws(() => st.load(undefined), AbsentError);
  assert.throws(() => st.load('other=1'), AbsentError);
  assert.throws(() => st.load('s.1=x'), IncompleteError);
  // A first chunk that announces more chunks than the store allows.
  assert.throws(() => st.load('s=~AQAD'), (e) => e instanceof TooLargeError && e.unit === 'chunks' && e.size === 3);
  const sealed = st.seal({ data: 1 });
  const shorter = storeAt(epoch + 3660n * S, { name: 's', insecure: true, lifetime: 3600, idleTimeout: -1 });
  assert.throws(() => shorter.load(header(sealed.cookies)), ExpiredError);
  // An authentic payload that is not an envelope, or has a short id.
  const codec = new Codec(ring, { now: () => epoch, maxLength: 6144 });
  assert.throws(() => st.load(`s=${codec.seal('s', { user: 'x' })}`), MalformedError);
  assert.throws(() => st.load(`s=${codec.seal('s', new Map([[1, new Uint8Array(15)], [2, 0]]))}`), /session id of 15 bytes/);
  assert.throws(() => st.load(`s=${codec.seal('s', new Map([[1, new Uint8Array(16)], [2, 'now']]))}`), MalformedError);
});

test('re-sealing: half the idle window used, or a key that is not the primary', () => {
  const st = storeAt(epoch, { name: 's', insecure: true, idleTimeout: 3600 });
  const sealed = st.seal({ data: 1 });
  st.setNow(epoch + 1799n * S);
  assert.equal(st.load(header(sealed.cookies)).reseal, false);
  st.setNow(epoch + 1800n * S);
  assert.equal(st.load(header(sealed.cookies)).reseal, true);
  // The header's expiry is the idle timeout; the cookie's Max-Age the lifetime.
  assert.equal(st.load(header(sealed.cookies)).header.expiresUnix, epoch / S + 3600n);
  assert.equal(sealed.maxAge, 7 * 86400);
});

test('saving: too large, Set-Cookie lines, and stale chunks expired', () => {
  const st = storeAt(epoch, { domain: 'example.com' });
  assert.equal(st.name, '__Secure-session');
  assert.throws(() => st.seal({ data: 'x'.repeat(7000) }), (e) => e instanceof TooLargeError && e.what === 'session cookies' && e.limit === 6144);
  const lines = st.setCookieHeaders({ data: 'small' }, 3);
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^__Secure-session=~AQAB[^;]*; Path=\/; Domain=example\.com; Max-Age=604800; HttpOnly; Secure; SameSite=Lax$/);
  assert.equal(lines[1], '__Secure-session.1=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; Secure; SameSite=Lax');
  assert.equal(lines[2].split(';')[0], '__Secure-session.2=');
  assert.deepEqual(st.clearCookieHeaders(0).map((l) => l.split(';')[0]), ['__Secure-session=']);
  assert.equal(new SessionStore(ring).name, '__Host-session');
  assert.throws(() => new SessionStore(ring, { chunkSize: 100 }), RangeError);
  assert.throws(() => new SessionStore(ring, { idleTimeout: 0.5 }), RangeError);
  assert.throws(() => new SessionStore(ring, { lifetime: 401 * 86400 }), RangeError);
});
