// Every golden vector of testdata/vectors, run as FORMAT.md's "Test
// vectors" says for its kind (its `input:` field). The folder grows: a
// file, an input, a field or an expect value this reader does not know
// fails the test rather than pass unread.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  Codec, loadKeyringSync, parseKeyring, parseRFC3339, formatRFC3339, CookieSessionError, openCookieHeader,
  openBearerToken, splitValue, chunkCount, cbor, json,
} from '../src/index.js';
import { parseJSON } from '../src/json.js';
import { VECTOR_DIR, normalize } from './helpers.js';

// The classes opening a value may give, and those of reading a Cookie
// header and parsing a keyring file.
const OPEN_CLASSES = ['malformed', 'unsupported-version', 'incomplete', 'unknown-key', 'revoked-key', 'tampered',
  'not-yet-valid', 'expired', 'too-large'];
const EXPECT = {
  '': ['ok', ...OPEN_CLASSES],
  chunks: ['ok', ...OPEN_CLASSES],
  'cookie-header': ['ok', 'absent', ...OPEN_CLASSES],
  bearer: ['ok', 'absent', ...OPEN_CLASSES],
  seal: ['ok'],
  keyring: ['ok', 'invalid-keyring'],
};

// The fields of each input, as FORMAT.md's tables give them: required
// ones always, ok-only ones exactly when expect is ok (the payload fields
// as the rules below say), and nothing else.
const VALUE_FIELDS = ['name', 'comment', 'cookie-name', 'purpose', 'now', 'clock-skew', 'max-length', 'serializer', 'expect'];
const REQUIRED = {
  '': VALUE_FIELDS,
  chunks: [...VALUE_FIELDS, 'input', 'chunk-size'],
  'cookie-header': [...VALUE_FIELDS, 'input', 'chunk-size'],
  bearer: [...VALUE_FIELDS, 'input'],
  seal: [...VALUE_FIELDS, 'input', 'max-age', 'payload-hex', 'nonce'],
  keyring: ['name', 'comment', 'input', 'expect'],
};
const OK_ONLY = {
  '': ['key-id', 'issued-at', 'expires', 'payload', 'payload-hex', 'payload-sha256'],
  chunks: ['key-id', 'issued-at', 'expires', 'payload', 'payload-hex', 'payload-sha256'],
  'cookie-header': ['key-id', 'issued-at', 'expires', 'payload', 'payload-hex', 'payload-sha256'],
  bearer: ['key-id', 'issued-at', 'expires', 'payload', 'payload-hex', 'payload-sha256'],
  seal: ['key-id', 'issued-at', 'expires', 'payload', 'payload-sha256'],
  keyring: ['now', 'primary'],
};
const OK_REQUIRED = {
  '': ['key-id', 'issued-at', 'expires'],
  chunks: ['key-id', 'issued-at', 'expires'],
  'cookie-header': ['key-id', 'issued-at', 'expires'],
  bearer: ['key-id', 'issued-at', 'expires'],
  seal: ['key-id', 'issued-at', 'expires'],
  keyring: ['now', 'primary'],
};
// The members a `payload:` field may name, with the JavaScript type each
// must have, and the value a reader into Go's struct sees when absent.
const PAYLOAD_MEMBERS = {
  user: (v) => typeof v === 'string',
  uid: (v) => (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint',
  roles: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  data: (v) => typeof v === 'string',
};

// The vectors' keyring is in git with the repository's usual mode; the
// permission rules are tested on files of their own.
const keyring = loadKeyringSync(path.join(VECTOR_DIR, 'keyring.json'), { allowReadableByOthers: true });

/**
 * Parses a vector file: `field: value` header lines (UTF-8), a blank line,
 * then the body, returned as bytes (a keyring file is every byte as is).
 */
export function parseVector(bytes) {
  const cut = bytes.indexOf('\n\n');
  assert.ok(cut >= 0, 'no blank line after the header');
  const head = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, cut));
  const fields = new Map();
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `header line without a field: ${JSON.stringify(line)}`);
    const k = line.slice(0, colon);
    assert.ok(!fields.has(k), `field ${k} repeated`);
    let v = line.slice(colon + 1);
    // One space after the colon, none anywhere else around the value.
    if (v !== '') {
      assert.ok(v.startsWith(' '), `field ${k}: no space after the colon`);
      v = v.slice(1);
    }
    assert.equal(v, v.trim(), `field ${k}: spaces around the value`);
    fields.set(k, v);
  }
  return { fields, body: bytes.subarray(cut + 2) };
}

/** The body of a value vector: lines, each ending in LF, with no CR. */
function bodyLines(body) {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  assert.ok(text.endsWith('\n'), 'the body does not end in LF');
  assert.ok(!text.includes('\r'), 'the body holds a CR');
  return text.slice(0, -1).split('\n');
}

function decimal(fields, k) {
  const s = fields.get(k);
  assert.match(s, /^(0|[1-9][0-9]*)$/, `${k}: ${s} is not a whole number`);
  return Number(s);
}

function hexBytes(s, what) {
  assert.match(s, /^([0-9a-f]{2})*$/, `${what} is not lowercase hex`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

// A serializer that hands the payload's bytes over as they are: for
// sealing payload-hex, and for reading back what a value carries.
const rawBytes = {
  name: 'raw',
  serialize: (b) => Uint8Array.from(b),
  deserialize: (b) => Uint8Array.from(b),
};

const files = fs.readdirSync(VECTOR_DIR).sort();

test('the vector folder holds vectors of every kind and class', () => {
  const seen = new Map();
  for (const f of files) {
    if (!f.endsWith('.txt')) continue;
    const { fields } = parseVector(fs.readFileSync(path.join(VECTOR_DIR, f)));
    const k = `${fields.get('input') ?? ''}/${fields.get('expect')}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [input, expects] of Object.entries(EXPECT)) {
    for (const e of expects) {
      // Seals are all ok; every other pair FORMAT.md lists has vectors.
      if (input === 'chunks' && ['malformed', 'unknown-key', 'revoked-key', 'not-yet-valid', 'expired'].includes(e)) continue;
      if (input === 'cookie-header' && ['malformed', 'unsupported-version', 'revoked-key', 'not-yet-valid', 'expired'].includes(e)) continue;
      if (input === 'bearer' && ['unsupported-version', 'incomplete', 'revoked-key', 'not-yet-valid'].includes(e)) continue;
      assert.ok(seen.get(`${input}/${e}`) > 0, `no vector of input ${JSON.stringify(input)} expects ${e}`);
    }
  }
});

for (const file of files) {
  if (file === 'keyring.json' || file.startsWith('.')) continue; // the keyring, and git's attributes
  test(`vector ${file}`, () => {
    assert.ok(file.endsWith('.txt'), `${file}: a file of the vector folder this reader does not understand`);
    const { fields, body } = parseVector(fs.readFileSync(path.join(VECTOR_DIR, file)));
    assert.equal(fields.get('name') + '.txt', file);
    const input = fields.get('input') ?? '';
    assert.ok(Object.hasOwn(EXPECT, input) && input !== '' || !fields.has('input'), `input ${JSON.stringify(input)} unknown`);
    const expect = fields.get('expect');
    assert.ok(EXPECT[input].includes(expect), `expect ${expect} unknown for input ${JSON.stringify(input)}`);
    const ok = expect === 'ok';
    const allowed = new Set([...REQUIRED[input], ...(ok ? OK_ONLY[input] : [])]);
    const unknown = [...fields.keys()].filter((k) => !allowed.has(k));
    assert.deepEqual(unknown, [], `fields this reader does not understand here: ${unknown.join(', ')}`);
    for (const k of [...REQUIRED[input], ...(ok ? OK_REQUIRED[input] : [])]) assert.ok(fields.has(k), `field ${k} missing`);

    if (input === 'keyring') return checkKeyring(fields, body, expect);
    const now = parseRFC3339(fields.get('now'));
    assert.notEqual(now, null, 'now is not RFC 3339');
    const ser = fields.get('serializer');
    assert.ok(ser === 'cbor' || ser === 'json', `serializer ${ser}`);
    // A bearer vector's body is the Authorization headers, one a line:
    // none for a request without one.
    const lines = input === 'bearer' && body.length === 0 ? [] : bodyLines(body);
    if (input !== 'chunks' && input !== 'bearer') assert.equal(lines.length, 1, 'the body is not one line');
    const name = fields.get('cookie-name');
    const opts = {
      purpose: fields.get('purpose'),
      clockSkew: decimal(fields, 'clock-skew'),
      maxLength: decimal(fields, 'max-length'),
      now: () => now,
    };
    const chunkSize = input === 'chunks' || input === 'cookie-header' ? decimal(fields, 'chunk-size') : 0;
    const open = (codec) => {
      switch (input) {
        case 'chunks':
          return codec.openChunks(name, lines);
        case 'cookie-header':
          return openCookieHeader(codec, lines[0], name, { chunkSize, maxSize: opts.maxLength });
        case 'bearer':
          return openBearerToken(codec, lines, name, { maxSize: opts.maxLength });
        default:
          return codec.open(name, lines[0]);
      }
    };

    if (input === 'seal') {
      // Sealing the payload at now with the vector's lifetime setting and
      // nonce gives exactly the vector's value.
      const maxAge = fields.get('max-age');
      assert.match(maxAge, /^[0-9]+(\.[0-9]+)?$/, 'max-age is not a decimal number');
      const nonce = hexBytes(fields.get('nonce'), 'nonce');
      assert.equal(nonce.length, 24, 'nonce length');
      const sealer = new Codec(keyring, { ...opts, maxAge: Number(maxAge), serializer: rawBytes, random: () => nonce });
      assert.equal(sealer.seal(name, hexBytes(fields.get('payload-hex'), 'payload-hex')), lines[0]);
    }

    const codec = new Codec(keyring, { ...opts, serializer: ser });
    let got;
    try {
      got = open(codec);
    } catch (e) {
      if (!(e instanceof CookieSessionError)) throw e;
      assert.equal(e.kind, expect, `opening gave ${e.kind} (${e.message}), want ${expect}`);
      return;
    }
    assert.equal('ok', expect, `opened, want ${expect}`);
    assert.equal(got.header.keyId, fields.get('key-id'));
    const second = (f) => {
      const t = parseRFC3339(fields.get(f));
      assert.notEqual(t, null, `${f} is not RFC 3339`);
      return formatRFC3339(t);
    };
    assert.equal(formatRFC3339(got.header.issuedAtUnix * 1_000_000_000n), second('issued-at'));
    assert.equal(formatRFC3339(got.header.expiresUnix * 1_000_000_000n), second('expires'));
    if (input === 'chunks') {
      assert.equal(got.header.chunks, lines.length);
      // A writer splits the joined value into exactly these chunks.
      const joined = lines.join('');
      assert.deepEqual(splitValue(name, joined, chunkSize), lines);
      assert.equal(chunkCount(name, joined.length, chunkSize), lines.length);
    } else if (input !== 'cookie-header') {
      assert.equal(got.header.chunks, 1);
    }

    assert.ok(fields.has('payload') || fields.has('payload-sha256'), 'an ok vector without payload or payload-sha256');
    if (fields.has('payload-sha256') || fields.has('payload-hex')) {
      // The payload bytes are those, and they are one item of the
      // serializer's format within its limits, read into no type.
      const plain = open(new Codec(keyring, { ...opts, serializer: rawBytes })).value;
      if (fields.has('payload-sha256')) {
        assert.equal(createHash('sha256').update(plain).digest('hex'), fields.get('payload-sha256'), 'payload SHA-256');
      }
      if (fields.has('payload-hex')) assert.equal(Buffer.from(plain).toString('hex'), fields.get('payload-hex'), 'payload bytes');
      (ser === 'json' ? json : cbor).deserialize(plain);
    }
    if (fields.has('payload')) checkPayload(got.value, fields.get('payload'));
  });
}

// checkPayload compares the opened payload, read as an object, with the
// members the vector names: those it gives must be there, equal; those
// it leaves out must be absent or empty, as in a reader into Go's struct.
function checkPayload(value, text) {
  const want = parseJSON(text, { maxDepth: 4, duplicates: 'error' });
  assert.ok(want !== null && typeof want === 'object' && !Array.isArray(want), 'payload: not a JSON object');
  for (const k of Object.keys(want)) {
    assert.ok(Object.hasOwn(PAYLOAD_MEMBERS, k), `payload: member ${k} this reader does not understand`);
    assert.ok(PAYLOAD_MEMBERS[k](want[k]), `payload: member ${k} of the wrong type`);
  }
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Map),
    'the payload is not a map of text keys');
  for (const [k, isType] of Object.entries(PAYLOAD_MEMBERS)) {
    if (Object.hasOwn(want, k)) {
      assert.ok(isType(value[k]), `payload member ${k} of the wrong type`);
      assert.deepStrictEqual(normalize(value[k]), normalize(want[k]), `payload member ${k}`);
    } else if (Object.hasOwn(value, k) && value[k] !== null) {
      const empty = { user: '', uid: 0, roles: [], data: '' }[k];
      assert.deepStrictEqual(normalize(value[k]), normalize(empty), `payload member ${k} not in the vector`);
    }
  }
}

function checkKeyring(fields, body, expect) {
  let ring;
  try {
    ring = parseKeyring(body);
  } catch (e) {
    if (!(e instanceof CookieSessionError)) throw e;
    assert.equal(e.kind, expect, `parsing gave ${e.kind} (${e.message}), want ${expect}`);
    return;
  }
  assert.equal('ok', expect, `parsed, want ${expect}`);
  const now = parseRFC3339(fields.get('now'));
  assert.notEqual(now, null, 'now is not RFC 3339');
  let primary = 'none';
  try {
    primary = ring.primary(now).id;
  } catch (e) {
    if (!(e instanceof CookieSessionError) || e.kind !== 'no-primary-key') throw e;
  }
  const want = fields.get('primary');
  assert.ok(want === 'none' || /^[0-9a-f]{8}$/.test(want), `primary ${want}`);
  assert.equal(primary, want, 'primary');
}
