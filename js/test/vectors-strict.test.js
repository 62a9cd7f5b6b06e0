// The vector test must fail on any vector it does not understand, never
// pass it unread: each vector below is changed in one way that FORMAT.md
// does not allow (an unknown input, field, expect value or payload member,
// a field of another kind), and the vector test runs, in a child process,
// on a folder of the vectors' keyring and that one file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VECTOR_DIR } from './helpers.js';
import { tempDir } from './fixtures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const read = (name) => fs.readFileSync(path.join(VECTOR_DIR, name), 'utf8');
const addField = (text, line) => text.replace('\n\n', `\n${line}\n\n`);

const cases = [
  ['an unmodified vector', 'valid-tiny.txt', (t) => t, true],
  ['an unmodified seal', 'seal-fraction.txt', (t) => t, true],
  ['an unmodified keyring file', 'keyring-valid.txt', (t) => t, true],
  ['an unknown input', 'chunks-valid-two.txt', (t) => t.replace('input: chunks', 'input: cookie-jar'), false],
  ['an empty input', 'valid-tiny.txt', (t) => addField(t, 'input:'), false],
  ['an unknown field', 'valid-tiny.txt', (t) => addField(t, 'flavour: vanilla'), false],
  ['a field of another kind', 'valid-tiny.txt', (t) => addField(t, 'chunk-size: 3800'), false],
  ['an ok-only field on a failure', 'tampered-tag.txt', (t) => addField(t, 'key-id: c0ffee01'), false],
  ['an unknown expect', 'tampered-tag.txt', (t) => t.replace('expect: tampered', 'expect: mangled'), false],
  ['absent for a single value', 'tampered-tag.txt', (t) => t.replace('expect: tampered', 'expect: absent'), false],
  ['an unknown payload member', 'valid-tiny.txt', (t) => t.replace('payload: {"user"', 'payload: {"shoe":1,"user"'), false],
  ['a wrong payload member', 'valid-tiny.txt', (t) => t.replace('"uid":42', '"uid":43'), false],
  ['a wrong payload hash', 'payload-cbor-tags.txt', (t) => t.replace(/payload-sha256: ./, 'payload-sha256: 0'), false],
  ['a seal without its nonce', 'seal-fraction.txt', (t) => t.replace(/^nonce:.*\n/m, ''), false],
  ['a keyring field on a value', 'valid-tiny.txt', (t) => addField(t, 'primary: c0ffee01'), false],
  ['a wrong primary', 'keyring-valid.txt', (t) => t.replace('primary: c0ffee01', 'primary: c0ffee03'), false],
  ['a value field on a keyring file', 'keyring-valid.txt', (t) => addField(t, 'serializer: cbor'), false],
];

for (const [what, file, change, passes] of cases) {
  test(`the vector test ${passes ? 'passes' : 'fails on'} ${what}`, (t) => {
    const dir = tempDir(t);
    fs.copyFileSync(path.join(VECTOR_DIR, 'keyring.json'), path.join(dir, 'keyring.json'));
    const changed = change(read(file));
    assert.ok(passes || changed !== read(file), 'the change changed nothing');
    fs.writeFileSync(path.join(dir, file), changed);
    const env = { ...process.env, COOKIESESSION_VECTOR_DIR: dir };
    delete env.NODE_TEST_CONTEXT; // a test run of its own, reporting to us
    const r = spawnSync(process.execPath, ['--test-reporter=tap', path.join(HERE, 'vectors.test.js')], { env, encoding: 'utf8' });
    const name = file.replace(/[.]/g, '[.]');
    const verdict = new RegExp(`^(not ok|ok) \\d+ - vector ${name}$`, 'm').exec(r.stdout);
    assert.ok(verdict, `no verdict on ${file}:\n${r.stdout}\n${r.stderr}`);
    assert.equal(verdict[1], passes ? 'ok' : 'not ok', r.stdout);
  });
}
