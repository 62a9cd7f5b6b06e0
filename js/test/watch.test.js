import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KeyringFile, Codec, KeyringError, KeyRevivedError, PermissionError, UnknownKeyError, RevokedKeyError, parseKeyring } from '../src/index.js';
import { keyJSON, keyringText, tempDir, writeKeyring } from './fixtures.js';

const now = () => 1748779200n * 1_000_000_000n; // 2025-06-01T12:00:00Z

test('a KeyringFile follows the file, and keeps the last good keyring', (t) => {
  const dir = tempDir(t);
  const p = writeKeyring(dir, 'keys.json', keyringText([keyJSON('0000000a')]));
  const events = [];
  const f = new KeyringFile(p, { now, onReload: (ev) => events.push(ev.outcome) });
  const first = f.keyring();
  assert.deepEqual(first.keys().map((k) => k.id), ['0000000a']);
  assert.equal(f.reload(), null);
  assert.equal(f.keyring(), first, 'an unchanged file keeps the same keyring');

  // Written in place with new contents: picked up at the next check.
  fs.writeFileSync(p, keyringText([keyJSON('0000000a'), keyJSON('0000000b')]));
  assert.equal(f.reload(), null);
  assert.deepEqual(f.keyring().keys().map((k) => k.id), ['0000000a', '0000000b']);
  const good = f.keyring();

  // Broken, readable by others, without a primary, or gone: refused, the last good stays.
  fs.writeFileSync(p, '{"version":1,');
  assert.ok(f.reload() instanceof KeyringError);
  fs.writeFileSync(p, keyringText([keyJSON('0000000c')]));
  fs.chmodSync(p, 0o644);
  assert.ok(f.reload() instanceof PermissionError);
  fs.chmodSync(p, 0o600);
  fs.writeFileSync(p, keyringText([keyJSON('0000000c', { activates_at: '2030-01-01T00:00:00Z' })]));
  assert.match(f.reload().message, /no key can seal at 2025-06-01T12:00:00Z/);
  fs.rmSync(p);
  assert.equal(f.reload().cause?.code, 'ENOENT');
  assert.equal(f.keyring(), good);
  assert.deepEqual(events, ['reloaded', 'unchanged', 'reloaded', 'rejected', 'rejected', 'rejected', 'rejected']);
});

test('a KeyringFile follows a Kubernetes Secret volume: symlinks swapped atomically', (t) => {
  const dir = tempDir(t);
  const version = (name, keys) => {
    fs.mkdirSync(path.join(dir, name));
    writeKeyring(path.join(dir, name), 'keys.json', keyringText(keys));
  };
  version('..v1', [keyJSON('0000000a')]);
  fs.symlinkSync('..v1', path.join(dir, '..data'));
  fs.symlinkSync('..data/keys.json', path.join(dir, 'keys.json'));
  const f = new KeyringFile(path.join(dir, 'keys.json'), { now });
  version('..v2', [keyJSON('0000000a'), keyJSON('0000000b')]);
  fs.symlinkSync('..v2', path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  fs.rmSync(path.join(dir, '..v1'), { recursive: true });
  assert.equal(f.reload(), null);
  assert.deepEqual(f.keyring().keys().map((k) => k.id), ['0000000a', '0000000b']);
});

test('a value under a key the file gained opens at once, at most one early reload a second', (t) => {
  const dir = tempDir(t);
  const oldKey = keyJSON('0000000a');
  const p = writeKeyring(dir, 'keys.json', keyringText([oldKey], { deleted: ['000000dd'] }));
  let reads = 0;
  let clock = now();
  const f = new KeyringFile(p, { now: () => clock, interval: 60_000, onReload: () => reads++ });
  const sealer = (keys) => new Codec(new KeyringFile(writeKeyring(dir, `${keys[0].id}.json`, keyringText(keys)), { now }), { now });
  // Another server already has the newer file, with key 0b primary.
  const newKey = keyJSON('0000000b', { activates_at: '2025-06-01T00:00:00Z' });
  const value = sealer([newKey, oldKey]).seal('sid', 'hello');
  const codec = new Codec(f, { now });

  fs.writeFileSync(p, keyringText([oldKey, newKey], { deleted: ['000000dd'] }));
  assert.equal(codec.open('sid', value).value, 'hello', 'the unknown key made the file be read again');
  assert.equal(reads, 2);

  // A forged id within the same second: no read. A second later: one.
  const forged = sealer([keyJSON('0000000f')]).seal('sid', 1);
  assert.throws(() => codec.open('sid', forged), UnknownKeyError);
  assert.equal(reads, 2);
  clock += 1_000_000_000n;
  assert.throws(() => codec.open('sid', forged), UnknownKeyError);
  assert.throws(() => codec.open('sid', forged), UnknownKeyError);
  assert.equal(reads, 3);
  // A deleted id never makes the file be read.
  clock += 10_000_000_000n;
  const deleted = sealer([keyJSON('000000dd')]).seal('sid', 1);
  assert.throws(() => codec.open('sid', deleted), UnknownKeyError);
  assert.equal(reads, 3);
  // With a negative interval, unknown keys never do.
  const never = new KeyringFile(p, { now: () => clock, unknownKeyReloadInterval: -1, onReload: () => reads++ });
  assert.throws(() => new Codec(never, { now }).open('sid', forged), UnknownKeyError);
  assert.equal(reads, 4, 'only the first read of the file');
});

test('start checks the file every interval; close stops it', async (t) => {
  const dir = tempDir(t);
  const p = writeKeyring(dir, 'keys.json', keyringText([keyJSON('0000000a')]));
  let resolve;
  const reloaded = new Promise((r) => { resolve = r; });
  const f = new KeyringFile(p, { now, interval: 20, onReload: (ev) => ev.keyring.key('0000000b') && resolve() });
  f.start();
  t.after(() => f.close());
  fs.writeFileSync(p, keyringText([keyJSON('0000000a'), keyJSON('0000000b')]));
  // The checks' timer does not keep the process alive; this one does, and
  // bounds the wait.
  let guard;
  const timeout = new Promise((_, reject) => { guard = setTimeout(() => reject(new Error('no reload within 5 s')), 5000); });
  await Promise.race([reloaded, timeout]);
  clearTimeout(guard);
  f.close();
  assert.ok(f.keyring().key('0000000b'));
  assert.throws(() => new KeyringFile(p, { interval: 0 }), RangeError);
});

// An old copy of the file put back must not bring back a key that the
// keyring in use ended, as Go's checkNotStale refuses (ErrKeyRevived).
test('a KeyringFile refuses a file that revives a revoked, retired or deleted key', async (t) => {
  const dir = tempDir(t);
  const primary = keyJSON('0000000a');
  const revoked = keyJSON('0000000b', { state: 'revoked' });
  const p = writeKeyring(dir, 'keys.json', keyringText([primary, revoked]));
  const events = [];
  const f = new KeyringFile(p, { now, unknownKeyReloadInterval: -1, onReload: (ev) => events.push(ev.outcome) });
  const inUse = f.keyring();
  const revived = (e, key, file = p) => e instanceof KeyRevivedError && e instanceof KeyringError && e.kind === 'invalid-keyring' &&
    e.code === 'COOKIESESSION_KEY_REVIVED' && e.key === key && e.path === file && /made usable again/.test(e.message);

  await t.test('unrevoke: a revoked key made active again', () => {
    const sealed = new Codec(parseKeyring(keyringText([{ ...revoked, state: 'active', activates_at: '2025-06-01T00:00:00Z' }, primary])), { now })
      .seal('sid', 'back from the dead');
    fs.writeFileSync(p, keyringText([primary, { ...revoked, state: 'active' }]));
    assert.ok(revived(f.reload(), '0000000b'));
    assert.equal(f.keyring(), inUse, 'the keyring in use stays');
    assert.equal(events.at(-1), 'rejected');
    assert.throws(() => new Codec(f, { now }).open('sid', sealed), RevokedKeyError);
  });

  await t.test('a key retired past its retire_after given a later one', () => {
    const r = keyJSON('0000000c', { state: 'retired', retire_after: '2025-05-15T00:00:00Z' });
    fs.writeFileSync(p, keyringText([primary, revoked, r]));
    assert.equal(f.reload(), null, 'a new key that cannot open is taken');
    const cur = f.keyring();
    fs.writeFileSync(p, keyringText([primary, revoked, { ...r, retire_after: '2030-01-01T00:00:00Z' }]));
    assert.ok(revived(f.reload(), '0000000c'));
    assert.equal(f.keyring(), cur);
  });

  await t.test('revived pruned key: a deleted id reappears', () => {
    fs.writeFileSync(p, keyringText([primary], { deleted: ['0000000b', '0000000d'] }));
    assert.equal(f.reload(), null);
    const cur = f.keyring();
    fs.writeFileSync(p, keyringText([primary, keyJSON('0000000d')]));
    assert.ok(revived(f.reload(), '0000000d'), 'in the deleted list of the keyring in use');
    assert.equal(f.keyring(), cur);
  });

  await t.test('an ended key is remembered across reloads that dropped it', () => {
    fs.writeFileSync(p, keyringText([primary]));
    assert.equal(f.reload(), null, 'a file that merely lacks keys is taken');
    for (const id of ['0000000b', '0000000c', '0000000d']) {
      fs.writeFileSync(p, keyringText([primary, keyJSON(id)]));
      assert.ok(revived(f.reload(), id), `key ${id}`);
    }
    // Ended keys kept ended, and keys never seen, are fine.
    fs.writeFileSync(p, keyringText([primary, { ...revoked }, keyJSON('0000000e')]));
    assert.equal(f.reload(), null);
    assert.ok(f.keyring().key('0000000e'));
  });

  await t.test('the constructor remembers the ended keys of the first file', () => {
    const q = writeKeyring(dir, 'first.json', keyringText([primary, revoked], { deleted: ['000000dd'] }));
    const g = new KeyringFile(q, { now });
    fs.writeFileSync(q, keyringText([primary]));
    assert.equal(g.reload(), null);
    fs.writeFileSync(q, keyringText([primary, { ...revoked, state: 'active' }]));
    assert.ok(revived(g.reload(), '0000000b', q));
    fs.writeFileSync(q, keyringText([primary, keyJSON('000000dd')]));
    assert.ok(revived(g.reload(), '000000dd', q));
    // A new KeyringFile (a restart) forgets: the operator's way to undo it.
    assert.ok(new KeyringFile(q, { now }).keyring().key('000000dd'));
  });
});

test('a KeyringFile refuses to bring back a key that ended while its keyring was in use, after a file without it', (t) => {
  let n = 1748779200n * 1_000_000_000n; // 2025-06-01T12:00:00Z
  const dir = tempDir(t);
  const primary = keyJSON('0000000a');
  const retiring = keyJSON('0000000c', { state: 'retired', retire_after: '2025-06-01T13:00:00Z' });
  const p = writeKeyring(dir, 'keys.json', keyringText([primary, retiring]));
  const f = new KeyringFile(p, { now: () => n, unknownKeyReloadInterval: -1 });
  n += 2n * 3600n * 1_000_000_000n; // its retire_after passes while the file is in use
  fs.writeFileSync(p, keyringText([primary]));
  assert.equal(f.reload(), null);
  fs.writeFileSync(p, keyringText([primary, { ...retiring, retire_after: '2030-01-01T00:00:00Z' }]));
  const e = f.reload();
  assert.ok(e instanceof KeyRevivedError, `reload: ${e}`);
  assert.equal(f.keyring().key('0000000c'), undefined);
});
