// Every golden vector of testdata/vectors, interpreted by its declared
// fields: the folder grows, and every file in it must be understood.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Codec, loadKeyringSync, parseRFC3339, formatRFC3339, CookieSessionError } from '../src/index.js';
import { parseJSON } from '../src/json.js';
import { VECTOR_DIR, normalize } from './helpers.js';

const KNOWN_FIELDS = new Set(['name', 'comment', 'cookie-name', 'purpose', 'now', 'clock-skew', 'max-length',
  'serializer', 'expect', 'key-id', 'issued-at', 'expires', 'payload']);
const REQUIRED = ['name', 'cookie-name', 'purpose', 'now', 'clock-skew', 'max-length', 'serializer', 'expect'];

// The vectors' keyring is in git with the repository's usual mode; the
// permission rules are tested on files of their own.
const keyring = loadKeyringSync(path.join(VECTOR_DIR, 'keyring.json'), { allowReadableByOthers: true });

/** Parses a vector file: header lines, a blank line, the value on one line (or its chunks, one a line). */
export function parseVector(text) {
  const cut = text.indexOf('\n\n');
  assert.ok(cut >= 0, 'no blank line after the header');
  const fields = new Map();
  for (const line of text.slice(0, cut).split('\n')) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `header line without a field: ${JSON.stringify(line)}`);
    const k = line.slice(0, colon);
    assert.ok(!fields.has(k), `field ${k} repeated`);
    fields.set(k, line.slice(colon + 1).trim());
  }
  const body = text.slice(cut + 2);
  assert.ok(body.endsWith('\n'), 'the value does not end in a newline');
  const lines = body.slice(0, -1).split('\n');
  return { fields, lines };
}

const files = fs.readdirSync(VECTOR_DIR).sort();

test('the vector folder holds vectors', () => {
  assert.ok(files.filter((f) => f.endsWith('.txt')).length >= 57, `only ${files.length} files`);
});

for (const file of files) {
  if (file === 'keyring.json' || file.startsWith('.')) continue; // the keyring, and git's attributes
  test(`vector ${file}`, () => {
    assert.ok(file.endsWith('.txt'), `${file}: a file of the vector folder this reader does not understand`);
    const { fields, lines } = parseVector(fs.readFileSync(path.join(VECTOR_DIR, file), 'utf8'));
    const unknown = [...fields.keys()].filter((k) => !KNOWN_FIELDS.has(k));
    assert.deepEqual(unknown, [], `fields this reader does not understand: ${unknown.join(', ')}`);
    for (const k of REQUIRED) assert.ok(fields.has(k), `field ${k} missing`);
    assert.equal(fields.get('name') + '.txt', file);
    // One line is one cookie (W = 1); several lines, should a vector hold
    // a split value, are its chunks in index order.
    assert.ok(lines.length >= 1 && lines.length <= 255, `${lines.length} lines of value`);

    const now = parseRFC3339(fields.get('now'));
    assert.notEqual(now, null, 'now is not RFC 3339');
    const skew = Number(fields.get('clock-skew'));
    assert.ok(Number.isInteger(skew) && skew >= 0, 'clock-skew');
    const ser = fields.get('serializer');
    assert.ok(ser === 'cbor' || ser === 'json', `serializer ${ser}`);
    const codec = new Codec(keyring, {
      purpose: fields.get('purpose'),
      clockSkew: skew,
      maxLength: Number(fields.get('max-length')),
      serializer: ser,
      now: () => now,
    });

    const expect = fields.get('expect');
    let got;
    try {
      got = lines.length === 1 ? codec.open(fields.get('cookie-name'), lines[0]) : codec.openChunks(fields.get('cookie-name'), lines);
    } catch (e) {
      if (!(e instanceof CookieSessionError)) throw e;
      assert.equal(e.kind, expect, `opening gave ${e.kind} (${e.message}), want ${expect}`);
      return;
    }
    assert.equal('ok', expect, `opened, want ${expect}`);
    assert.equal(got.header.keyId, fields.get('key-id'));
    assert.equal(formatRFC3339(got.header.issuedAtUnix * 1_000_000_000n), formatRFC3339(parseRFC3339(fields.get('issued-at'))));
    assert.equal(formatRFC3339(got.header.expiresUnix * 1_000_000_000n), formatRFC3339(parseRFC3339(fields.get('expires'))));
    const want = parseJSON(fields.get('payload'), { maxDepth: 64, duplicates: 'error' });
    assert.deepStrictEqual(normalize(got.value), normalize(want));
  });
}
