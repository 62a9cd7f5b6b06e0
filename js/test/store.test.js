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
  for (const [opts, fill, n] of [[{}, 10, 1], [{}, 4000, 2], [{ chunkSize: 256, maxSize: 49152 }, 30000, 150]]) {
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
  st.setNow(epoch + S);
  const b = st.seal({ data: { who: 'b', fill: 'b'.repeat(4000) } }).cookies;
  const c = st.seal({ data: { who: 'c', fill: 'c'.repeat(4000) } }).cookies;
  assert.throws(() => st.load(header([a[0], b[1]])), TamperedError);
  // The attacker's value first: the real one behind it still opens.
  const forged = { name: 's', value: a[0].value.slice(0, 40) + 'AAAA' + a[0].value.slice(44) };
  assert.equal(st.load(header([forged, ...a])).data.who, 'a');
  // Both sets, host-only and Domain: each chunk 0 pairs with its own
  // chunks, and the one issued last wins, in either order, as in the Go
  // store (browsers send the older cookie first).
  assert.equal(st.load(header([b[0], a[0], b[1], a[1]])).data.who, 'b');
  assert.equal(st.load(header([a[0], b[0], a[1], b[1]])).data.who, 'b');
  // Issued in the same second: the later in the header.
  assert.equal(st.load(header([b[0], c[0], b[1], c[1]])).data.who, 'c');
  assert.equal(st.load(header([c[0], b[0], c[1], b[1]])).data.who, 'b');
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

test('flashes and the cookie choice: sealed as members 4 and 5, only when set', () => {
  for (const serializer of ['cbor', 'json']) {
    const st = storeAt(epoch, { name: 's', insecure: true, serializer });
    const raw = new Codec(ring, { now: () => epoch, maxLength: 6144, serializer: { serialize: (b) => b, deserialize: (b) => Uint8Array.from(b) } });
    const payloadOf = (cookies) => raw.open('s', cookies[0].value).value;
    const flashes = [{ kind: 'info', text: 'Saved.' }, { kind: 'error', text: 'Wrong password. ☃' }];

    const plain = st.seal({ data: { u: 1 } });
    const s0 = st.load(header(plain.cookies));
    assert.deepEqual(s0.flashes, []);
    assert.equal(s0.persistent, null);
    const p0 = payloadOf(plain.cookies);
    if (serializer === 'cbor') {
      assert.equal(p0[0], 0xa3, 'a session without flashes or a choice is a map of three members');
    } else {
      assert.deepEqual(Object.keys(JSON.parse(Buffer.from(p0).toString())), ['id', 'created', 'data']);
    }

    const sealed = st.seal({ data: { u: 1 }, flashes, persistent: false });
    const s = st.load(header(sealed.cookies));
    assert.deepEqual(s.flashes, flashes);
    assert.equal(s.persistent, false);
    assert.equal(sealed.persistent, false);
    assert.equal(sealed.maxAge, 0);
    const p = payloadOf(sealed.cookies);
    if (serializer === 'cbor') {
      // {1: id, 2: created, 3: data, 4: [{1: kind, 2: text}, …], 5: false}
      assert.equal(p[0], 0xa5);
      const hex = Buffer.from(p).toString('hex');
      assert.ok(hex.includes('0482a2016469'+ '6e666f02'), hex);
      assert.ok(hex.endsWith('05f4'), hex);
    } else {
      const o = JSON.parse(Buffer.from(p).toString());
      assert.deepEqual(Object.keys(o), ['id', 'created', 'data', 'flashes', 'persistent']);
      assert.deepEqual(o.flashes, flashes);
      assert.equal(o.persistent, false);
    }
    // Read flashes are gone once the session is saved without them.
    assert.deepEqual(st.load(header(st.seal({ ...s, flashes: [] }).cookies)).flashes, []);
    assert.equal(st.load(header(st.seal({ data: 1, persistent: true }).cookies)).persistent, true);
  }
});

test('the cookie choice decides Max-Age; the store default is browserSessionCookies', () => {
  const st = storeAt(epoch, { name: 's', insecure: true, lifetime: 3600 });
  assert.match(st.setCookieHeaders({ data: 1 })[0], /; Max-Age=3600;/);
  assert.doesNotMatch(st.setCookieHeaders({ data: 1, persistent: false })[0], /Max-Age/);
  const browser = storeAt(epoch, { name: 's', insecure: true, lifetime: 3600, browserSessionCookies: true });
  assert.doesNotMatch(browser.setCookieHeaders({ data: 1 })[0], /Max-Age/);
  assert.match(browser.setCookieHeaders({ data: 1, persistent: true })[0], /; Max-Age=3600;/);
  // Stale chunks are expired whatever the choice.
  assert.match(browser.setCookieHeaders({ data: 1 }, 2)[1], /^s\.1=; .*Max-Age=0/);
  assert.throws(() => st.seal({ data: 1, persistent: 'yes' }), TypeError);
});

test('flashes are bounded as in Go: 16 of them, 1024 bytes of kind and text', () => {
  const st = storeAt(epoch, { name: 's', insecure: true });
  const f = (n, size = 1) => Array.from({ length: n }, () => ({ kind: '', text: 'x'.repeat(size) }));
  st.seal({ data: 1, flashes: f(16, 64) });
  assert.throws(() => st.seal({ data: 1, flashes: f(17) }), (e) => e instanceof TooLargeError && e.unit === 'flashes');
  assert.throws(() => st.seal({ data: 1, flashes: f(16, 65) }), (e) => e instanceof TooLargeError && e.size === 1040);
  assert.throws(() => st.seal({ data: 1, flashes: [{ kind: 1, text: 'x' }] }), TypeError);
});

test('envelope members 4 and 5 of the wrong type are malformed; unknown members are skipped', () => {
  const st = storeAt(epoch, { name: 's', insecure: true });
  const codec = new Codec(ring, { now: () => epoch, maxLength: 6144 });
  const id = new Uint8Array(16).fill(7);
  const env = (...extra) => `s=${codec.seal('s', new Map([[1, id], [2, epoch / S], [3, null], ...extra]))}`;
  assert.deepEqual(st.load(env([4, null], [5, null], [6, 'later'])).flashes, []);
  assert.deepEqual(st.load(env([4, [new Map([[2, 't'], [9, 0]])]])).flashes, [{ kind: '', text: 't' }]);
  assert.throws(() => st.load(env([4, 'x'])), /flashes are not an array/);
  assert.throws(() => st.load(env([4, [1]])), /flash is not a map/);
  assert.throws(() => st.load(env([4, [new Map([[1, 2]])]])), /flash is not text/);
  assert.throws(() => st.load(env([5, 1])), (e) => e instanceof MalformedError && /cookie choice/.test(e.message));
});

test('an idle timeout shorter than the one sealed applies at once', () => {
  const sealed = storeAt(epoch, { name: 's', insecure: true }).seal({ data: 1 });
  const idle = storeAt(epoch + 3660n * S, { name: 's', insecure: true, idleTimeout: 3600 });
  assert.throws(() => idle.load(header(sealed.cookies)), /idle for longer/);
  const within = storeAt(epoch + 3659n * S, { name: 's', insecure: true, idleTimeout: 3600 });
  assert.equal(within.load(header(sealed.cookies)).data, 1);
});

// As Go's Config: a __Host- cookie has no Domain and Path "/", which
// browsers enforce, so a store with either defaults to a __Secure- name.
test('the default name: __Secure-session with a domain or a path other than /', () => {
  assert.equal(new SessionStore(ring).name, '__Host-session');
  assert.equal(new SessionStore(ring, { path: '/' }).name, '__Host-session');
  assert.equal(new SessionStore(ring, { path: '/app' }).name, '__Secure-session');
  assert.equal(new SessionStore(ring, { domain: 'example.com' }).name, '__Secure-session');
  assert.equal(new SessionStore(ring, { path: '/app', insecure: true }).name, 'session');
  const line = storeAt(epoch, { path: '/app' }).setCookieHeaders({ data: 1 })[0];
  assert.match(line, /^__Secure-session=~[^;]*; Path=\/app; Max-Age=604800; HttpOnly; Secure; SameSite=Lax$/);
});

// As Go's NewStore: settings that would make Set-Cookie lines browsers drop,
// or that would inject attributes into them, are refused up front.
test('cookie settings Go refuses are refused: names, paths, domains, prefixes, SameSite', () => {
  const refused = [
    { name: 'a=b' }, { name: 'a;b' }, { name: 'a b' }, { name: '' }, { name: '(x' }, { name: 'a\u0000' }, { name: 'é' },
    { name: 'a,b' }, { name: 'a"b' }, { name: 42 },
    { path: '/a; Domain=evil.example' }, { path: 'a' }, { path: '' }, { path: '/a\nb' }, { path: '/a\u007f' }, { path: '/café' },
    { domain: 'example.com; Secure' }, { domain: 'com' }, { domain: '.com' }, { domain: 'localhost' }, { domain: 'example.com.' },
    { domain: '127.0.0.1' }, { domain: '::1' }, { domain: '[::1]' }, { domain: 'ex ample.com' }, { domain: 'exa_mple.com' },
    { domain: '-example.com' }, { domain: 'example-.com' }, { domain: 'a..com' }, { domain: 'x'.repeat(64) + '.com' },
    { sameSite: 'None' }, { sameSite: 'Lax; Domain=evil.example' },
    { name: '__host-s' }, { name: '__SECURE-s' },
  ];
  for (const o of refused) {
    assert.throws(() => new SessionStore(ring, { name: 's', insecure: true, ...o }), RangeError, JSON.stringify(o));
  }
  const prefixes = [
    { name: '__Host-s', domain: 'example.com' }, { name: '__Host-s', path: '/app' }, { name: '__Host-s', insecure: true },
    { name: '__Secure-s', insecure: true }, { sameSite: 'None', insecure: true },
  ];
  for (const o of prefixes) assert.throws(() => new SessionStore(ring, o), RangeError, JSON.stringify(o));
  assert.throws(() => new SessionStore(ring, { domain: 5 }), TypeError);

  const accepted = [
    {}, { name: '__Host-s' }, { name: '__Secure-s', domain: 'example.com', path: '/app' }, { domain: '.Example.COM' },
    { domain: 'app.example.localhost' }, { domain: '1password.com' }, { path: '/a/b-c_d.e~f%20' },
    { name: "!#$%&'*+-.^_`|~09AZaz" }, { sameSite: 'None' }, { sameSite: 'Strict' }, { sameSite: '' },
    { name: 's', insecure: true, sameSite: 'Lax', domain: 'example.com' },
  ];
  for (const o of accepted) {
    const st = new SessionStore(ring, { now: () => epoch, ...o });
    assert.match(st.setCookieHeaders({ data: 1 })[0], /^[^=]+=~/, JSON.stringify(o));
  }
  assert.equal(new SessionStore(ring, { domain: '.Example.COM' }).domain, 'example.com');
});

// FORMAT.md "Twins": a request that carried a chunk name twice (a host-only
// cookie beside a Domain one: an older login) gets every chunk expired in
// every other form when a response writes or ends the session.
const forms = (lines) => lines.filter((l) => /Max-Age=0/.test(l)).map((l) => `${l.split('=')[0]}@${/; Domain=([^;]*)/.exec(l)?.[1] ?? ''}`);

test('twins: logout after a twin expires the host-only form and each parent up to the domain', () => {
  const st = storeAt(epoch, { domain: 'example.com' });
  const older = st.seal({ data: { user: 'old' } }).cookies;
  st.setNow(epoch + 5n * S);
  const newer = st.seal({ data: { user: 'new' } }).cookies;
  const s = st.load(header([...older, ...newer]), { host: 'App.Shop.Example.com:8443' });
  assert.equal(s.data.user, 'new');
  assert.equal(s.twins, true);
  assert.equal(s.host, 'App.Shop.Example.com:8443');
  assert.deepEqual(forms(st.clearCookieHeaders(s)), [
    '__Secure-session@example.com', '__Secure-session@', '__Secure-session@app.shop.example.com', '__Secure-session@shop.example.com',
  ]);
  // Without a host: the host-only form, which the store can always name.
  const bare = st.load(header([...older, ...newer]));
  assert.deepEqual(forms(st.clearCookieHeaders(bare)), ['__Secure-session@example.com', '__Secure-session@']);
  // No twins: the configured form alone, as before; a bare count knows of no twins.
  const one = st.load(header(newer), { host: 'app.example.com' });
  assert.equal(one.twins, false);
  assert.deepEqual(forms(st.clearCookieHeaders(one)), ['__Secure-session@example.com']);
  assert.deepEqual(forms(st.clearCookieHeaders(s.carried)), ['__Secure-session@example.com']);
  // The host-only login no longer opens once the browser applies the lines.
  const hostOnly = st.clearCookieHeaders(s).filter((l) => !/Domain=/.test(l));
  assert.equal(hostOnly.length, 1);
  assert.match(hostOnly[0], /^__Secure-session=; Path=\/; Max-Age=0; HttpOnly; Secure; SameSite=Lax$/);
});

test('twins: saving expires every chunk carried or written in the other forms', () => {
  const st = storeAt(epoch, { name: 's', insecure: true, chunkSize: 256, maxSize: 4096 });
  const big = st.seal({ data: 'b'.repeat(600) }).cookies;
  assert.ok(big.length >= 3);
  const small = st.seal({ data: 'a' }).cookies;
  const s = st.load(header([...small, ...big]), { host: 'example.com' });
  assert.equal(s.twins, true);
  // A host-only store (no domain): its twins are Domain=host alone.
  const lines = st.setCookieHeaders({ ...s, data: 'x'.repeat(400) }, s.carried);
  const written = lines.filter((l) => !/Max-Age=0/.test(l)).length;
  const twins = lines.filter((l) => /Domain=/.test(l));
  assert.equal(twins.length, Math.max(written, big.length));
  twins.forEach((l, i) => assert.equal(l, `${chunkName('s', i)}=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; SameSite=Lax`));
  // The error of a failed load carries what clearCookieHeaders needs too.
  st.setNow(epoch + 8n * 86400n * S);
  assert.throws(() => st.load(header([...small, ...big]), { host: 'example.com' }), (e) => {
    assert.ok(e instanceof ExpiredError);
    assert.equal(e.twins, true);
    assert.deepEqual(forms(st.clearCookieHeaders(e)).filter((f) => f.endsWith('@example.com')).length, big.length);
    return true;
  });
});

test('twins: the forms of hosts (IP addresses, bad names, trailing dots, __Host-, the 8-form cap)', () => {
  const st = new SessionStore(ring, { domain: 'example.com', now: () => epoch });
  assert.deepEqual(st.twinDomains('app.example.com'), ['', 'app.example.com']);
  assert.deepEqual(st.twinDomains('example.com'), ['']);
  assert.deepEqual(st.twinDomains('app.example.com.'), ['', 'app.example.com.', 'example.com.']);
  assert.deepEqual(st.twinDomains('other.org'), ['', 'other.org']); // not under the domain: its parents are unknown
  assert.deepEqual(st.twinDomains('a.b.c.d.e.f.g.h.i.example.com'), ['', 'a.b.c.d.e.f.g.h.i.example.com',
    'b.c.d.e.f.g.h.i.example.com', 'c.d.e.f.g.h.i.example.com', 'd.e.f.g.h.i.example.com', 'e.f.g.h.i.example.com',
    'f.g.h.i.example.com', 'g.h.i.example.com']);
  for (const h of ['192.0.2.1', '192.0.2.1:80', '[2001:db8::1]:443', '2001:db8::1', 'localhost', 'localhost:3000', '',
    'a b.example.com', 'evil.example.com;x=1', 'bad_.example.com']) {
    assert.deepEqual(st.twinDomains(h), [''], h);
  }
  const plain = new SessionStore(ring, { now: () => epoch, name: 's', insecure: true });
  assert.deepEqual(plain.twinDomains('app.example.com:80'), ['app.example.com']);
  assert.deepEqual(new SessionStore(ring, { now: () => epoch }).twinDomains('app.example.com'), []);
  // __Host-: no lines beyond its own, twins or not.
  const hs = new SessionStore(ring, { now: () => epoch });
  const c = hs.seal({ data: 1 }).cookies;
  const s = hs.load(header([...c, ...c]), { host: 'app.example.com' });
  assert.equal(s.twins, true);
  assert.equal(hs.clearCookieHeaders(s).length, 1);
});

test('JSON.stringify of every error that carries a header works and holds no payload', () => {
  const codec = new Codec(ring, { now: () => epoch, maxAge: 60 });
  const secret = 'do-not-log-me-4242';
  const value = codec.seal('s', { secret });
  const later = new Codec(ring, { now: () => epoch + 3600n * S });
  const errs = [];
  const catchIt = (f) => { try { f(); } catch (e) { errs.push(e); } };
  catchIt(() => later.open('s', value)); // ExpiredError
  const st = storeAt(epoch, { name: 's', insecure: true, lifetime: 3600 });
  catchIt(() => st.load(`s=${codec.seal('s', { secret })}`)); // MalformedError, after authentication
  const live = st.seal({ data: { secret } }).cookies;
  st.setNow(epoch + 7200n * S);
  catchIt(() => st.load(header(live))); // ExpiredError from the store's lifetime
  const bad = new Codec(ring, { now: () => epoch, serializer: { name: 'x', serialize: () => new Uint8Array([1]), deserialize: () => { throw new Error(secret); } } });
  catchIt(() => bad.open('s', bad.seal('s', 1))); // MalformedError from a serializer
  assert.deepEqual(errs.map((e) => e.constructor.name), ['ExpiredError', 'MalformedError', 'ExpiredError', 'MalformedError']);
  for (const e of errs) {
    assert.ok(e.header, e.name);
    assert.equal(typeof e.header.issuedAtUnix, 'bigint');
    const text = JSON.stringify({ msg: 'session load failed', err: e });
    assert.doesNotMatch(text, new RegExp(secret));
    const h = JSON.parse(text).err.header;
    assert.equal(h.issuedAtUnix, String(e.header.issuedAtUnix));
    assert.equal(h.expiresUnix, String(e.header.expiresUnix));
    assert.match(h.issuedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(h.keyId, e.header.keyId);
    assert.equal(h.chunks, e.header.chunks);
    assert.deepEqual(Object.keys(e.header), ['keyId', 'issuedAt', 'expires', 'issuedAtUnix', 'expiresUnix', 'chunks']);
  }
  const far = { ...errs[0].header };
  assert.equal(JSON.stringify(errs[0].header.toJSON.call({ ...far, issuedAtUnix: 1n << 62n })).includes('"issuedAt":null'), true);
});

test('SessionStore: sameSite in any case, a null domain, and domains that end in a number', () => {
  for (const [given, want] of [['lax', 'Lax'], ['STRICT', 'Strict'], ['None', 'None'], ['', '']]) {
    const st = new SessionStore(ring, { sameSite: given });
    assert.equal(st.sameSite, want, given);
    if (want) assert.match(st.clearCookieHeaders()[0], new RegExp(`; SameSite=${want}$`));
  }
  assert.throws(() => new SessionStore(ring, { sameSite: 'laxx' }), RangeError);
  assert.equal(new SessionStore(ring, { domain: null }).domain, '');
  assert.equal(new SessionStore(ring, { domain: null }).name, '__Host-session');
  for (const d of ['0x7f.0.0.1', 'example.0x1f', 'foo.0x', 'example.123']) {
    assert.throws(() => new SessionStore(ring, { domain: d }), /ends in a number/, d);
  }
  for (const d of ['123.example.com', 'example.com', 'xn--bcher-kva.example', 'a0x.example.org']) {
    assert.doesNotThrow(() => new SessionStore(ring, { domain: d }), d);
  }
});

test('an absent session says when the cookie came under the name of another configuration', () => {
  const cases = [
    [{}, 'theme=dark; __Secure-session=~AQAB', '__Secure-session', 'a store with a domain'],
    [{ domain: 'example.com' }, '__Host-session=~AQAB', '__Host-session', 'a store without a domain'],
    [{ insecure: true }, '__Host-session=~AQAB', '__Host-session', 'another configuration'],
    [{}, 'session=abc', undefined, undefined], // another application's cookie
    [{}, '__Secure-session.1=x; __Secure-sessionid=1; xsession=1', undefined, undefined],
  ];
  for (const [opts, cookies, other, says] of cases) {
    const st = storeAt(epoch, opts);
    assert.throws(() => st.load(cookies), (e) => {
      assert.ok(e instanceof AbsentError, e.message);
      assert.equal(e.otherName, other);
      if (other === undefined) {
        assert.equal(e.message, 'cookiesession: no session cookie');
      } else {
        assert.ok(e.message.includes(`the request carries "${other}"`) && e.message.includes(says) &&
          e.message.includes(`"${st.name}"`), e.message);
      }
      return true;
    });
  }
});

// FORMAT.md: the bounds on flashes bind the writer that adds them; a
// reader opens more (another writer's), and what opened seals again.
test('flashes opened past the bounds seal again; more added do not', () => {
  const now = () => epoch;
  const store = new SessionStore(ring, { now, serializer: 'json' });
  const raw = new Codec(ring, { now, serializer: { name: 'raw', serialize: (v) => v, deserialize: (b) => b }, maxLength: 6144 });
  const id = Buffer.alloc(16, 7).toString('base64');
  const many = Array(17).fill('{"kind":"info","text":"saved"}').join(',');
  const value = raw.seal(store.name, Buffer.from(`{"id":"${id}","created":${epoch / S},"data":1,"flashes":[${many}]}`));
  const s = store.load(`${store.name}=${value}`);
  assert.equal(s.flashes.length, 17);
  const again = store.load(header(store.seal(s).cookies));
  assert.equal(again.flashes.length, 17);
  // Read (removed) ones leave fewer; one added past the bound is refused.
  assert.equal(store.load(header(store.seal({ ...again, flashes: again.flashes.slice(1) }).cookies)).flashes.length, 16);
  assert.throws(() => store.seal({ ...again, flashes: [...again.flashes, { kind: 'info', text: 'new' }] }), TooLargeError);
  again.flashes.push({ kind: 'info', text: 'pushed' });
  assert.throws(() => store.seal(again), TooLargeError);
  assert.throws(() => store.seal({ data: 1, flashes: Array(17).fill({ kind: 'a', text: 'b' }) }), TooLargeError);
});

// The count of chunks carried that the cookie-header methods take is at
// most what a request carries: a larger one writes no more lines.
test('the carried count is bounded by MAX_CHUNKS', async () => {
  const { MAX_CHUNKS } = await import('../src/index.js');
  const store = storeAt(epoch);
  assert.equal(store.clearCookieHeaders(1e7).length, MAX_CHUNKS);
  assert.equal(store.clearCookieHeaders({ carried: 300 }).length, MAX_CHUNKS);
  const lines = store.setCookieHeaders(store.seal({ data: 1 }), 300);
  assert.equal(lines.length, MAX_CHUNKS);
});

// A creation time that is not one is refused with a clear TypeError,
// rather than the engine's BigInt message or silently becoming now.
test('created and createdUnix that are not times are refused', () => {
  const store = storeAt(epoch);
  for (const session of [{ data: 1, createdUnix: 1.5 }, { data: 1, createdUnix: NaN }, { data: 1, createdUnix: '5' },
    { data: 1, created: new Date(NaN) }, { data: 1, created: '2020-01-01' }, { data: 1, created: 1748779200 }]) {
    assert.throws(() => store.seal(session), (e) => e instanceof TypeError && /^cookiesession: created/.test(e.message));
  }
  assert.equal(store.seal({ data: 1, createdUnix: 1748779100 }).createdUnix, 1748779100n);
  assert.equal(store.seal({ data: 1, createdUnix: 1748779100n }).createdUnix, 1748779100n);
  assert.equal(store.seal({ data: 1, created: new Date(1748779100_000) }).createdUnix, 1748779100n);
  assert.equal(store.seal({ data: 1, created: null }).createdUnix, epoch / S);
});
