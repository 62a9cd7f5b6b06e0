// openBearerToken: the token of an Authorization header, as the Go store
// reads it (the vectors of input bearer hold the rest), and the header as
// a real node:http server hands it over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Codec, parseKeyring, openBearerToken, AbsentError, MalformedError, TooLargeError, TamperedError } from '../src/index.js';
import { keyJSON, keyringText } from './fixtures.js';

const codec = new Codec(parseKeyring(keyringText([keyJSON('0000000a')])));

test('a token sealed under "Bearer " and the cookie name opens, from a string or a list of one', () => {
  const token = codec.seal('Bearer session', { user: 'alice' });
  for (const header of [`Bearer ${token}`, [`bearer   ${token}\t`]]) {
    assert.deepEqual(openBearerToken(codec, header, 'session').value, { user: 'alice' });
  }
  // A cookie's value is not a token, nor a token a cookie's value.
  assert.throws(() => openBearerToken(codec, `Bearer ${codec.seal('session', 1)}`, 'session'), TamperedError);
  assert.throws(() => codec.open('session', token), TamperedError);
});

test('no header and other schemes are no token; broken ones are malformed; long ones too large', () => {
  const token = codec.seal('Bearer session', 1);
  assert.throws(() => openBearerToken(codec, undefined, 'session'), AbsentError);
  assert.throws(() => openBearerToken(codec, [], 'session'), AbsentError);
  assert.throws(() => openBearerToken(codec, 'Basic dXNlcjpwYXNz', 'session'), (e) =>
    e instanceof AbsentError && /^cookiesession: no bearer token: /.test(e.message) && !/cookie:/.test(e.message));
  assert.throws(() => openBearerToken(codec, [`Bearer ${token}`, `Bearer ${token}`], 'session'), MalformedError);
  assert.throws(() => openBearerToken(codec, `Bearer ${token} more`, 'session'), MalformedError);
  assert.throws(() => openBearerToken(codec, `Bearer ${token}`, 'session', { maxSize: token.length - 1 }), TooLargeError);
  assert.throws(() => openBearerToken(codec, [42], 'session'), TypeError);
});

test('through a real server, two Authorization headers reach headersDistinct and fail', async (t) => {
  const token = codec.seal('Bearer session', { user: 'alice' });
  const seen = [];
  const server = http.createServer((req, res) => {
    try {
      seen.push(openBearerToken(codec, req.headersDistinct.authorization, 'session').value.user);
    } catch (e) {
      seen.push(e.kind);
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const send = (headers) => new Promise((resolve, reject) => {
    const sock = net.connect(server.address().port, '127.0.0.1', () => {
      sock.end(`GET / HTTP/1.1\r\nHost: api.example.localhost\r\n${headers}Connection: close\r\n\r\n`);
    });
    sock.on('error', reject);
    sock.on('close', resolve);
    sock.resume();
  });
  await send(`Authorization: Bearer ${token}\r\n`);
  await send(`Authorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\n`);
  await send('');
  assert.deepEqual(seen, ['alice', 'malformed', 'absent']);
});

test('SessionStore seals a session as a token and loads it with the session checks of cookies', async () => {
  const { SessionStore, ExpiredError } = await import('../src/index.js');
  const S = 1_000_000_000n;
  let now = 1748779200n * S;
  const ring = parseKeyring(keyringText([keyJSON('0000000a')]));
  const st = new SessionStore(ring, { domain: 'example.com', idleTimeout: 600, now: () => now });
  const sealed = st.sealToken({ data: { user: 'alice' }, flashes: [{ kind: 'info', text: 'hi' }] });
  const s = st.loadToken([`Bearer ${sealed.token}`]);
  assert.deepEqual(s.data, { user: 'alice' });
  assert.deepEqual(s.flashes, [{ kind: 'info', text: 'hi' }]);
  assert.deepEqual(s.id, sealed.id);
  // A token is not a cookie: neither opens as the other.
  assert.throws(() => st.load(`${st.name}=${sealed.token}`), TamperedError);
  const cookie = st.seal({ data: 1 }).cookies[0].value;
  assert.throws(() => st.loadToken(`Bearer ${cookie}`), TamperedError);
  // Idle for longer than the idle timeout: expired, as a cookie would be.
  now += 700n * S;
  assert.throws(() => st.loadToken(`Bearer ${sealed.token}`), ExpiredError);
  // One value for both, when the configuration asks for it, as Go's
  // Config.ShareTokenAndCookie.
  const shared = new SessionStore(ring, { domain: 'example.com', shareTokenAndCookie: true, now: () => now });
  const t2 = shared.sealToken({ data: 2 }).token;
  assert.equal(shared.load(`${shared.name}=${t2}`).data, 2);
  assert.equal(shared.loadToken(`Bearer ${t2}`).data, 2);
  assert.throws(() => shared.sealToken({ data: 'x'.repeat(7000) }), TooLargeError);
});

test('a created so late that adding the lifetime leaves 64-bit seconds is expired, as in Go; sealing refuses one beyond them', async () => {
  const { SessionStore, ExpiredError } = await import('../src/index.js');
  const ring = parseKeyring(keyringText([keyJSON('0000000a')]));
  const now = 1748779200n * 1_000_000_000n;
  const st = new SessionStore(ring, { domain: 'example.com', now: () => now });
  const max = (1n << 63n) - 1n;
  // Sealed as the Go envelope, with a created near the end of int64: Go
  // says expired (its check fails closed), and so must this reader.
  for (const created of [max, max - 1000n]) {
    const env = new Map([[1, new Uint8Array(16)], [2, created], [3, 'x']]);
    const token = new Codec(ring, { now: () => now, maxAge: 3600 }).seal('Bearer ' + st.name, env);
    assert.throws(() => st.loadToken(`Bearer ${token}`), ExpiredError, String(created));
  }
  assert.throws(() => st.sealToken({ data: 1, createdUnix: (1n << 64n) - 1n }), RangeError);
  // Within 64 bits, but its lifetime runs past them: no reader opens it.
  for (const created of [max - 10n, max - 7n * 86400n]) {
    assert.throws(() => st.seal({ data: 1, createdUnix: created }), /beyond 64-bit seconds/, String(created));
  }
  assert.throws(() => st.seal({ data: 1, createdUnix: -(1n << 63n) - 1n }), RangeError);
});

test('the JSON serializer refuses a string with a lone surrogate, as CBOR does', async () => {
  const { SessionStore } = await import('../src/index.js');
  const st = new SessionStore(parseKeyring(keyringText([keyJSON('0000000a')])), { domain: 'example.com', serializer: 'json' });
  assert.throws(() => st.seal({ data: { a: 'x\ud800y' } }), /lone surrogate/);
  assert.throws(() => st.seal({ data: { '\udc00': 1 } }), /lone surrogate/);
  assert.throws(() => st.seal({ data: 1, flashes: [{ kind: 'k', text: 'a\udc00' }] }), /lone surrogate/);
  assert.equal(st.load(st.seal({ data: { a: '\u{1f600}' } }).cookies.map((c) => `${c.name}=${c.value}`).join('; ')).data.a, '\u{1f600}');
});

test('lifetime and idleTimeout of 0 are the defaults, as Go\'s zero durations; a lifetime under 2 s is refused', async () => {
  const { SessionStore } = await import('../src/index.js');
  const ring = parseKeyring(keyringText([keyJSON('0000000a')]));
  const zero = new SessionStore(ring, { domain: 'example.com', lifetime: 0, idleTimeout: 0 });
  assert.equal(zero.lifetime, 7 * 86400);
  assert.equal(zero.idleTimeout, 86400);
  assert.equal(new SessionStore(ring, { domain: 'example.com', idleTimeout: -1 }).idleTimeout, 0);
  for (const lifetime of [1, 1.5, -1, 400 * 86400 + 1]) {
    assert.throws(() => new SessionStore(ring, { lifetime }), /lifetime .* is not a whole number of seconds between 2 and 400 days/);
  }
  const shortest = new SessionStore(ring, { domain: 'example.com', lifetime: 2 });
  assert.equal(shortest.loadToken(`Bearer ${shortest.sealToken({ data: 1 }).token}`).data, 1);
});
