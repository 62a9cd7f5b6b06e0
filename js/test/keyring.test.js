import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseKeyring, loadKeyringSync, loadKeyring, KeyringError, PermissionError, NoPrimaryKeyError } from '../src/index.js';
import { keyJSON, keyringText, tempDir, writeKeyring } from './fixtures.js';

const S = 1_000_000_000n;
const at = (iso) => BigInt(Date.parse(iso)) * 1_000_000n;

test('a valid keyring file parses, with every field', () => {
  const ring = parseKeyring(keyringText([
    keyJSON('0000000a'),
    keyJSON('0000000b', { state: 'retired', retire_after: '2025-07-01T00:00:00.5+02:00' }),
    keyJSON('0000000c', { state: 'revoked', retire_after: null, created: '2025-05-01T02:00:00+02:00' }),
  ], { deleted: ['00000001'] }));
  assert.deepEqual(ring.keys().map((k) => [k.id, k.state]), [['0000000a', 'active'], ['0000000b', 'retired'], ['0000000c', 'revoked']]);
  assert.equal(ring.key('0000000b').retireAfter, at('2025-06-30T22:00:00.500Z'));
  assert.equal(ring.key('0000000c').created, at('2025-05-01T00:00:00Z'));
  assert.deepEqual(ring.deleted(), ['00000001']);
  assert.equal(ring.isDeleted('00000001'), true);
});

// Each of these breaks one rule of FORMAT.md's "Validation"; the problem
// named must be the one the file has.
const SECRET = Buffer.alloc(32, 2).toString('base64'); // AgICAg…
const invalid = {
  'not JSON': ['{', /not a single strict JSON object/],
  'two values': [keyringText([keyJSON('0000000a')]) + '{}', /data after the JSON value/],
  'a byte order mark': ['\ufeff' + keyringText([keyJSON('0000000a')]), /not a single strict JSON object/],
  'an array': ['[]', /not an object/],
  'a repeated member': ['{"version":1,"version":1,"keys":[]}', /repeated/],
  'a repeated member in a key': [keyringText([keyJSON('0000000a')]).replace('"state": "active"', '"state": "active", "state": "revoked"'), /repeated/],
  'an upper-case member': [keyringText([keyJSON('0000000a')]).replace('"secret"', '"Secret"'), /not a lower-case name/],
  'an escaped upper-case member': [keyringText([keyJSON('0000000a')]).replace('"secret"', '"\\u0053ecret"'), /not a lower-case name/],
  'an unknown member': [keyringText([keyJSON('0000000a')], { comment: 'x' }), /unknown field "comment"/],
  'an unknown key member': [keyringText([keyJSON('0000000a', { note: 'x' })]), /unknown field "note"/],
  'nested too deeply': [keyringText([keyJSON('0000000a')], { deleted: [[[[[[[['x']]]]]]]] }), /nested deeper than 8/],
  'version 2': [keyringText([keyJSON('0000000a')]).replace('"version": 1', '"version": 2'), /version 2 is not supported/],
  'version 1.0': [keyringText([keyJSON('0000000a')]).replace('"version": 1', '"version": 1.0'), /version is not an integer/],
  'version "1"': [keyringText([keyJSON('0000000a')]).replace('"version": 1', '"version": "1"'), /version is not an integer/],
  'no version': [JSON.stringify({ keys: [keyJSON('0000000a')] }), /version 0 is not supported/],
  'no keys': [keyringText([]), /no keys/],
  'keys missing': ['{"version":1}', /no keys/],
  '65 keys': [keyringText(Array.from({ length: 65 }, (_, i) => keyJSON(i.toString(16).padStart(8, '0')))), /65 keys, at most 64/],
  'an upper-case id': [keyringText([keyJSON('0000000A')]), /key 0000000A: id: not 8 lowercase hex digits/],
  'a short id': [keyringText([keyJSON('abc')]), /id: not 8 lowercase hex digits/],
  'no id': [keyringText([keyJSON('')]), /key #0: id/],
  'an unknown state': [keyringText([keyJSON('0000000a', { state: 'primary' })]), /state: "primary" is not active, retired or revoked/],
  'a secret of 31 bytes': [keyringText([keyJSON('0000000a', { secret: Buffer.alloc(31).toString('base64') })]), /secret: 31 bytes, want 32/],
  'a secret without padding': [keyringText([keyJSON('0000000a', { secret: Buffer.alloc(32).toString('base64').replace('=', '') })]), /secret: not standard base64/],
  'a URL-safe secret': [keyringText([keyJSON('0000000a', { secret: Buffer.alloc(32, 0xfb).toString('base64url') + '=' })]), /secret: not standard base64/],
  'a non-canonical secret': [keyringText([keyJSON('0000000a', { secret: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=' })]), /secret: not standard base64/],
  'no created': [keyringText([keyJSON('0000000a', { created: '' })]), /created: missing/],
  'no activates_at': [keyringText([keyJSON('0000000a', { activates_at: null })]), /activates_at: missing/],
  'a lower-case z': [keyringText([keyJSON('0000000a', { created: '2025-05-01T00:00:00z' })]), /created: .* is not an RFC 3339 time/],
  'a lower-case t': [keyringText([keyJSON('0000000a', { created: '2025-05-01t00:00:00Z' })]), /is not an RFC 3339 time/],
  'ten fraction digits': [keyringText([keyJSON('0000000a', { created: '2025-05-01T00:00:00.0000000001Z' })]), /is not an RFC 3339 time/],
  'an offset of 24 hours': [keyringText([keyJSON('0000000a', { created: '2025-05-01T00:00:00+24:00' })]), /is not an RFC 3339 time/],
  'a leap second': [keyringText([keyJSON('0000000a', { created: '2016-12-31T23:59:60Z' })]), /is not an RFC 3339 time/],
  'February 30': [keyringText([keyJSON('0000000a', { created: '2025-02-30T00:00:00Z' })]), /is not an RFC 3339 time/],
  'no offset': [keyringText([keyJSON('0000000a', { created: '2025-05-01T00:00:00' })]), /is not an RFC 3339 time/],
  'a duplicate id': [keyringText([keyJSON('0000000a'), keyJSON('0000000a')]), /key 0000000a: duplicate id/],
  'a deleted id in use': [keyringText([keyJSON('0000000a')], { deleted: ['0000000a'] }), /id was deleted and may not be reused/],
  'a retired key without retire_after': [keyringText([keyJSON('0000000a'), keyJSON('0000000b', { state: 'retired' })]), /a retired key needs retire_after/],
  'retire_after at activation': [keyringText([keyJSON('0000000a', { retire_after: '2025-05-01T00:00:00Z' })]), /retire_after is not after activates_at/],
  'a deleted id twice': [keyringText([keyJSON('0000000a')], { deleted: ['00000001', '00000001'] }), /deleted id 00000001 listed twice/],
  'a bad deleted id': [keyringText([keyJSON('0000000a')], { deleted: ['0000001'] }), /deleted: key id "0000001"/],
  'a deleted number': [keyringText([keyJSON('0000000a')], { deleted: [1] }), /not a string/],
  '4097 deleted ids': [keyringText([keyJSON('0000000a')], { deleted: Array.from({ length: 4097 }, (_, i) => (i + 1).toString(16).padStart(8, '0')) }), /4097 deleted ids, at most 4096/],
  // A secret pasted into another field reaches no error, which a log may keep.
  'a secret as its id': [keyringText([keyJSON('0000000a'), keyJSON('0000000b', { id: SECRET })]), /^(?!.*AgIC).*key #1: id: not 8 lowercase hex digits/],
  'a secret as its state': [keyringText([keyJSON('0000000a', { state: SECRET })]), /^(?!.*AgIC).*state: a value of 44 bytes \(not shown: it may hold a secret\) is not active/],
  'a secret as its created time': [keyringText([keyJSON('0000000a', { created: SECRET })]), /^(?!.*AgIC).*created: a value of 44 bytes \(not shown/],
  'a secret as a deleted id': [keyringText([keyJSON('0000000a')], { deleted: [SECRET] }), /^(?!.*AgIC).*deleted: key id a value of 44 bytes \(not shown/],
  'a secret as a member name': [keyringText([keyJSON('0000000a')]).replace('"secret"', `"${SECRET}": 1, "secret"`), /^(?!.*AgIC).*field a value of 44 bytes \(not shown/],
  'an unpadded secret as its id': [keyringText([keyJSON('0000000a'), keyJSON('0000000b', { id: SECRET.slice(0, 43) })]), /^(?!.*AgIC).*key #1: id: not 8 lowercase hex digits/],
  'part of a secret as its state': [keyringText([keyJSON('0000000a', { state: SECRET.slice(22) })]), /^(?!.*ICAg).*state: a value of 22 bytes \(not shown: it may hold a secret\)/],
  'part of a secret as a member name': [keyringText([keyJSON('0000000a')]).replace('"secret"', `"${SECRET.slice(0, 30)}": 1, "secret"`), /^(?!.*AgIC).*field a value of 30 bytes \(not shown/],
  'a mistyped time': [keyringText([keyJSON('0000000a', { created: '2025-05-01 00:00:00+01' })]), /created: "2025-05-01 00:00:00\+01" is not an RFC 3339 time/],
  'a mistyped state': [keyringText([keyJSON('0000000a', { state: 'deactivated' })]), /state: "deactivated" is not active, retired or revoked/],
  'a long misspelt member': [keyringText([keyJSON('0000000a', { retire_aftr: 'x' })]), /unknown field "retire_aftr"/],
  'no active key': [keyringText([keyJSON('0000000a', { state: 'revoked' })]), /no usable key/],
  'a file over 1 MiB': [keyringText([keyJSON('0000000a')]) + ' '.repeat(1 << 20), /larger than 1048576/],
};

for (const [name, [text, problem]] of Object.entries(invalid)) {
  test(`a keyring file with ${name} is refused`, () => {
    assert.throws(() => parseKeyring(text), (e) => {
      assert.ok(e instanceof KeyringError, `${e}`);
      assert.equal(e.kind, 'invalid-keyring');
      assert.match(e.message, /^cookiesession: keyring/);
      assert.match(e.message, problem);
      return true;
    });
  });
}

test('the primary is the newest active key whose activation passed', () => {
  const ring = parseKeyring(keyringText([
    keyJSON('00000001', { activates_at: '2025-05-01T00:00:00Z' }),
    keyJSON('00000003', { activates_at: '2025-06-01T00:00:00Z' }), // ties with 02 on activation and created
    keyJSON('00000002', { activates_at: '2025-06-01T00:00:00Z' }),
    keyJSON('00000004', { activates_at: '2025-06-01T00:00:00Z', created: '2025-04-01T00:00:00Z' }),
    keyJSON('00000005', { activates_at: '2025-07-01T00:00:00Z' }), // pending until July
    keyJSON('00000006', { activates_at: '2025-06-15T00:00:00Z', retire_after: '2025-06-20T00:00:00Z' }),
  ]));
  assert.equal(ring.primary(at('2025-05-15T00:00:00Z')).id, '00000001');
  assert.equal(ring.primary(at('2025-06-02T00:00:00Z')).id, '00000003', 'ties: latest created, then highest id');
  assert.equal(ring.primary(at('2025-06-16T00:00:00Z')).id, '00000006');
  assert.equal(ring.primary(at('2025-06-20T00:00:00Z')).id, '00000003', 'past its retire_after a key seals nothing');
  assert.equal(ring.primary(at('2025-07-01T00:00:00Z')).id, '00000005');
  assert.equal(ring.key('00000005').pending(at('2025-06-30T23:59:59Z')), true);
  assert.throws(() => ring.primary(at('2025-04-01T00:00:00Z')), NoPrimaryKeyError);
  assert.equal(ring.key('00000006').canOpen(at('2025-06-20T00:00:00Z') - 1n), true);
  assert.equal(ring.key('00000006').canOpen(at('2025-06-20T00:00:00Z')), false);
  void S;
});

test('the file permission rules', async (t) => {
  const dir = tempDir(t);
  const text = keyringText([keyJSON('0000000a')]);
  const cases = [
    [0o600, {}, null],
    [0o400, {}, null],
    [0o640, {}, PermissionError],
    [0o604, {}, PermissionError],
    [0o620, {}, PermissionError],
    [0o640, { allowGroupReadable: true }, null],
    [0o440, { allowGroupReadable: true }, null],
    [0o660, { allowGroupReadable: true }, PermissionError],
    [0o644, { allowGroupReadable: true }, PermissionError],
    [0o666, { allowReadableByOthers: true }, null],
  ];
  for (const [mode, opts, want] of cases) {
    const p = writeKeyring(dir, `keys-${mode.toString(8)}-${Object.keys(opts).join('')}.json`, text, mode);
    if (want === null) {
      assert.equal(loadKeyringSync(p, opts).keys().length, 1, `mode ${mode.toString(8)} ${JSON.stringify(opts)}`);
      assert.equal((await loadKeyring(p, opts)).keys().length, 1);
    } else {
      assert.throws(() => loadKeyringSync(p, opts), (e) => {
        assert.ok(e instanceof want, `mode ${mode.toString(8)}: ${e}`);
        assert.equal(e.mode & 0o777, mode);
        assert.match(e.message, new RegExp(`has mode 0${mode.toString(8)}.*chmod 600`));
        return true;
      });
    }
  }
  // Symbolic links are followed, as a Kubernetes Secret volume needs:
  // keys.json -> ..data/keys.json, ..data -> ..2025_06_01.
  fs.mkdirSync(path.join(dir, '..2025_06_01'));
  writeKeyring(path.join(dir, '..2025_06_01'), 'keys.json', text);
  fs.symlinkSync('..2025_06_01', path.join(dir, '..data'));
  fs.symlinkSync('..data/keys.json', path.join(dir, 'linked.json'));
  assert.equal(loadKeyringSync(path.join(dir, 'linked.json')).keys()[0].id, '0000000a');
  // A folder is not a keyring file; a missing file is the system's error.
  assert.throws(() => loadKeyringSync(dir), (e) => e instanceof KeyringError && /not a regular file/.test(e.message));
  // A missing file is a KeyringError that says how to make one, with the
  // file system's error as its cause.
  assert.throws(() => loadKeyringSync(path.join(dir, 'missing.json')), (e) =>
    e instanceof KeyringError && e.cause?.code === 'ENOENT' && /cookiesession keyring init/.test(e.message) &&
    /put back the file the other servers hold/.test(e.message));
  // An invalid file names its path.
  const broken = writeKeyring(dir, 'broken.json', '{"version":1}');
  assert.throws(() => loadKeyringSync(broken), (e) => e instanceof KeyringError && e.path === broken && e.message.includes(broken));
});
