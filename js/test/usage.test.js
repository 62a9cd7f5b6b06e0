// keyUsageHandler: a Node.js service's key usage, served over a real
// node:http server as the Go store's KeyUsageHandler serves it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { KeyringFile, SessionStore, keyUsageHandler, TamperedError } from '../src/index.js';
import { keyJSON, keyringText, tempDir, writeKeyring } from './fixtures.js';

async function serve(t, handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return `http://127.0.0.1:${server.address().port}/`;
}

test('the key usage: values opened per key, the keys loaded, and why the file is rejected', async (t) => {
  const dir = tempDir(t);
  const file = writeKeyring(dir, 'keys.json', keyringText([keyJSON('0000000a'), keyJSON('0000000b', { activates_at: '2030-01-01T00:00:00Z' })]));
  const keys = new KeyringFile(file);
  let now = 1748779200n * 1_000_000_000n;
  const st = new SessionStore(keys, { domain: 'example.com', now: () => now });
  const url = await serve(t, keyUsageHandler(st));

  let body = await (await fetch(url)).json();
  assert.deepEqual(body, { keys: [], loaded: ['0000000a', '0000000b'] });

  const cookie = st.seal({ data: { n: 1 } }).cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  st.load(cookie);
  now += 1_500_000_000n;
  st.load(cookie);
  // What does not authenticate counts for no key.
  assert.throws(() => st.load(cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'AB' : 'AA')), TamperedError);
  const res = await fetch(url);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  body = await res.json();
  assert.deepEqual(body.keys, [{ id: '0000000a', opened: 2, last_seen: '2025-06-01T12:00:01.5Z' }]);
  assert.equal(body.keyring_error, undefined);

  // A broken file: the keyring in use stays, and the handler says why.
  fs.writeFileSync(file, '{"version": 1');
  assert.notEqual(keys.reload(), null);
  body = await (await fetch(url)).json();
  assert.deepEqual(body.loaded, ['0000000a', '0000000b']);
  assert.match(body.keyring_error, /keys\.json/);

  const post = await fetch(url, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
});
