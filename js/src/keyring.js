// The keyring file, version 1 (FORMAT.md, "Keyring file"): parsing with
// the Go reader's strictness, key states, the primary, and reading the
// file with its permission rules.

import fs from 'node:fs';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CookieSessionError, KeyringError, PermissionError, NoPrimaryKeyError } from './errors.js';
import { parseJSON, RawNumber } from './json.js';
import { parseRFC3339, formatRFC3339, NS } from './time.js';
import { decodeStd } from './base64.js';

export const KEY_SIZE = 32;
export const MAX_KEYS = 64;
export const MAX_DELETED = 4096;
export const MAX_KEYRING_FILE = 1 << 20;
const MAX_KEYRING_DEPTH = 8;
const INFO = new TextEncoder().encode('cookiesession v1 xchacha20poly1305 seal');
// Go's zero time.Time, which its reader takes for a missing time.
const GO_ZERO_TIME = -62135596800n * NS;

const STATES = new Set(['active', 'retired', 'revoked']);
const TOP_FIELDS = new Set(['version', 'keys', 'deleted']);
const KEY_FIELDS = new Set(['id', 'state', 'secret', 'created', 'activates_at', 'retire_after']);

/** True when s is a key id as written: exactly 8 lowercase hex digits. */
export function isKeyId(s) {
  return typeof s === 'string' && /^[0-9a-f]{8}$/.test(s);
}

/** A key id as 8 lowercase hex digits. */
export function keyIdString(n) {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * One key of a keyring. The secret is not reachable from it.
 * Times are BigInt Unix nanoseconds; retireAfter is null when the key has none.
 */
export class Key {
  constructor({ id, state, created, activatesAt, retireAfter }, subkey) {
    this.id = id;
    this.state = state;
    this.created = created;
    this.activatesAt = activatesAt;
    this.retireAfter = retireAfter;
    subkeys.set(this, subkey);
    Object.freeze(this);
  }

  /** Whether values sealed under this key open at time now (BigInt ns). */
  canOpen(now) {
    return this.state !== 'revoked' && (this.retireAfter === null || now < this.retireAfter);
  }

  /** Whether the key is active but its activation time is still to come. */
  pending(now) {
    return this.state === 'active' && now < this.activatesAt;
  }

  canSeal(now) {
    return this.state === 'active' && now >= this.activatesAt && this.canOpen(now);
  }

}

// The AEAD key of each Key, kept out of the object: the package exports
// only ".", so subkeyOf is reachable from this package's modules alone.
const subkeys = new WeakMap();

/** @internal the AEAD key of k; null for a revoked key, which derives nothing. */
export function subkeyOf(k) {
  return subkeys.get(k);
}

function newer(a, b) {
  if (a.activatesAt !== b.activatesAt) return a.activatesAt > b.activatesAt;
  if (a.created !== b.created) return a.created > b.created;
  return parseInt(a.id, 16) > parseInt(b.id, 16);
}

/**
 * An immutable set of keys, as read from a keyring file. Safe to share.
 */
export class Keyring {
  #keys;
  #byId;
  #deleted;

  /** @internal use parseKeyring or loadKeyring */
  constructor(keys, deleted) {
    this.#keys = keys;
    this.#byId = new Map(keys.map((k) => [k.id, k]));
    this.#deleted = deleted;
    Object.freeze(this);
  }

  /** The keys, in file order. */
  keys() {
    return [...this.#keys];
  }

  /** The ids of deleted keys. */
  deleted() {
    return [...this.#deleted];
  }

  /** The key with this id, or undefined. */
  key(id) {
    return this.#byId.get(id);
  }

  /** A keyring is its own key source. */
  keyring() {
    return this;
  }

  /**
   * The key that seals at time now (BigInt ns): the active key with the
   * latest activation time that has passed; ties go to the latest created,
   * then the highest id. Throws NoPrimaryKeyError when there is none.
   */
  primary(now) {
    let best = null;
    for (const k of this.#keys) {
      if (k.canSeal(now) && (best === null || newer(k, best))) best = k;
    }
    if (best === null) throw new NoPrimaryKeyError();
    return best;
  }

  /** Whether the id was deleted from the keyring. */
  isDeleted(id) {
    return this.#deleted.includes(id);
  }
}

function kindOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RawNumber) return 'number';
  return typeof v;
}

/**
 * Parses a keyring file's contents strictly, as the Go reader does:
 * unknown or repeated members, member names that are not lower-case, an
 * unknown version or state, a malformed id, time or secret, duplicate
 * ids and a keyring without an active key all throw a KeyringError.
 * @param {Uint8Array | string} data
 * @param {{path?: string}} [opts]
 */
export function parseKeyring(data, { path = '' } = {}) {
  const bad = (key, problem, cause) => new KeyringError({ path, key, problem, cause });
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw bad('', 'not the contents of a file: give a string or a Uint8Array');
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > MAX_KEYRING_FILE) {
    throw bad('', `file is ${bytes.length} bytes, larger than ${MAX_KEYRING_FILE}`);
  }
  let doc;
  try {
    doc = parseJSON(bytes, {
      maxDepth: MAX_KEYRING_DEPTH,
      duplicates: 'error',
      // Names are matched exactly, so no second spelling of a member
      // ("Secret" beside "secret") can hide.
      checkName(name) {
        if (!/^[a-z_]*$/.test(name)) throw new SyntaxError(`field ${shownValue(name)} is not a lower-case name`);
      },
      number: (text) => new RawNumber(text),
    });
  } catch (e) {
    throw bad('', 'not a single strict JSON object', e);
  }
  const shape = (problem) => bad('', 'bad JSON', new SyntaxError(problem));
  if (kindOf(doc) !== 'object') throw shape('the keyring is not an object');
  for (const name of Object.keys(doc)) {
    if (!TOP_FIELDS.has(name)) throw shape(`unknown field ${JSON.stringify(name)}`);
  }
  // The members' types, as Go's decoder checks them: null counts as absent.
  let version = 0;
  if (doc.version != null) {
    // An integer literal: Go reads 1.0 or 1e0 into no integer.
    if (!(doc.version instanceof RawNumber) || !/^-?(0|[1-9][0-9]{0,17})$/.test(doc.version.text)) {
      throw shape('version is not an integer');
    }
    version = Number(doc.version.text);
  }
  const keysIn = doc.keys ?? [];
  if (!Array.isArray(keysIn)) throw shape('keys is not an array');
  const deletedIn = doc.deleted ?? [];
  if (!Array.isArray(deletedIn)) throw shape('deleted is not an array');
  const raw = keysIn.map((kj, i) => {
    if (kj === null) return {};
    if (kindOf(kj) !== 'object') throw shape(`key #${i} is not an object`);
    for (const [name, v] of Object.entries(kj)) {
      if (!KEY_FIELDS.has(name)) throw shape(`unknown field ${JSON.stringify(name)}`);
      if (v !== null && typeof v !== 'string') throw shape(`${name} is not a string`);
    }
    return kj;
  });
  for (const s of deletedIn) {
    if (s !== null && typeof s !== 'string') throw shape('deleted holds a value that is not a string');
  }

  if (version !== 1) throw bad('', `version ${version} is not supported (want 1)`);
  if (raw.length > MAX_KEYS) throw bad('', `${raw.length} keys, at most ${MAX_KEYS} allowed`);
  const fields = raw.map((kj, i) => {
    // Named by its id, unless the id might hold a part of a secret
    // (mayShow): then by its place in the file.
    const name = kj.id && mayShow(kj.id) ? kj.id : `#${i}`;
    try {
      return keyFields(kj);
    } catch (e) {
      throw bad(name, e.message);
    }
  });
  if (deletedIn.length > MAX_DELETED) throw bad('', `${deletedIn.length} deleted ids, at most ${MAX_DELETED} allowed`);
  const deleted = deletedIn.map((s) => {
    if (!isKeyId(s ?? '')) throw bad('', `deleted: key id ${shownValue(s ?? '')} is not 8 lowercase hex digits`);
    return s;
  });
  return buildKeyring(fields, deleted, path);
}

// Bounds of what an error quotes of a keyring file's value (mayShow), in
// UTF-8 bytes as in Go.
const MAX_SHOWN_TEXT = 10; // 10 base64 characters: 7.5 of a secret's 32 bytes
const MAX_SHOWN_TIME = 40; // longer than any RFC 3339 time the file may hold

// Whether an error may quote s, a keyring file's value that is not valid
// where it stands. Errors reach logs, and an operator may paste a key's
// secret, whole or in part, with or without its padding, into the wrong
// field. So a value is quoted only when it is too short to give away a
// useful part of a secret (every id and state is), or when it is made of
// the characters of a time alone, or of a member name's alone (lower-case
// letters and underscores), as a mistyped time, state or member name is
// and eleven characters in a row of a secret's random base64 text all but
// never are (about one secret in a thousand holds such a run of lower-case
// letters, and the paste would have to be that run exactly).
function mayShow(s) {
  const n = Buffer.byteLength(s);
  return n <= MAX_SHOWN_TEXT || (n <= MAX_SHOWN_TIME && (/^[0-9\-:.+TZtz ]*$/.test(s) || /^[a-z_]*$/.test(s)));
}

// s quoted for an error, or its length if it may not be shown (mayShow).
function shownValue(s) {
  if (!mayShow(s)) return `a value of ${Buffer.byteLength(s)} bytes (not shown: it may hold a secret)`;
  return JSON.stringify(s);
}

function keyFields(kj) {
  const f = {};
  if (!isKeyId(kj.id ?? '')) throw new Error('id: not 8 lowercase hex digits');
  f.id = kj.id;
  if (!STATES.has(kj.state ?? '')) throw new Error(`state: ${shownValue(kj.state ?? '')} is not active, retired or revoked`);
  f.state = kj.state;
  const secret = decodeStd(kj.secret ?? '');
  if (secret === null || !kj.secret) throw new Error('secret: not standard base64');
  if (secret.length !== KEY_SIZE) throw new Error(`secret: ${secret.length} bytes, want ${KEY_SIZE}`);
  f.secret = secret;
  for (const [field, prop, optional] of [['created', 'created', false], ['activates_at', 'activatesAt', false],
    ['retire_after', 'retireAfter', true]]) {
    const s = kj[field] ?? '';
    if (s === '') {
      if (!optional) throw new Error(`${field}: missing`);
      f[prop] = null;
      continue;
    }
    const t = parseRFC3339(s);
    if (t === null) throw new Error(`${field}: ${shownValue(s)} is not an RFC 3339 time`);
    // Go's reader takes its zero time for a missing one.
    f[prop] = t === GO_ZERO_TIME ? null : t;
  }
  return f;
}

function buildKeyring(fields, deleted, path) {
  const bad = (key, problem) => new KeyringError({ path, key, problem });
  if (fields.length === 0) throw bad('', 'no keys');
  const gone = new Set();
  for (const id of deleted) {
    if (gone.has(id)) throw bad('', `deleted id ${id} listed twice`);
    gone.add(id);
  }
  const seen = new Set();
  let active = false;
  const keys = fields.map((f) => {
    if (seen.has(f.id)) throw bad(f.id, 'duplicate id');
    if (gone.has(f.id)) throw bad(f.id, 'id was deleted and may not be reused');
    if (f.created === null) throw bad(f.id, 'created time missing');
    if (f.activatesAt === null) throw bad(f.id, 'activates_at missing');
    if (f.state === 'retired' && f.retireAfter === null) throw bad(f.id, 'a retired key needs retire_after');
    if (f.retireAfter !== null && !(f.retireAfter > f.activatesAt)) throw bad(f.id, 'retire_after is not after activates_at');
    seen.add(f.id);
    if (f.state === 'active') active = true;
    // A revoked key opens nothing: derive nothing from it.
    const subkey = f.state === 'revoked' ? null : hkdf(sha256, f.secret, undefined, INFO, 32);
    f.secret.fill(0);
    return new Key(f, subkey);
  });
  if (!active) throw bad('', 'no usable key: no key is active');
  return new Keyring(keys, deleted);
}

/**
 * How a keyring file is read. By default a file that its group or other
 * users may access is refused with a PermissionError.
 * @typedef {{allowGroupReadable?: boolean, allowReadableByOthers?: boolean}} KeyringFileOptions
 */

/** @internal reads a keyring file's bytes under the permission rules. */
export function readKeyringFileSync(path, opts = {}) {
  try {
    return readFileChecked(path, opts);
  } catch (e) {
    if (e instanceof CookieSessionError) throw e;
    // The file system's own errors (a missing file, a directory on the
    // path, no permission to read) are keyring errors too, which say what
    // to do, so that every failure is a CookieSessionError.
    const problem = e?.code === 'ENOENT'
      ? `no such file; on a first start, create it with "cookiesession keyring init ${path}"; if it went missing ` +
        'from a running fleet, put back the file the other servers hold (a new keyring would end every session)'
      : 'cannot be read';
    throw new KeyringError({ path, problem, cause: e });
  }
}

function readFileChecked(path, opts) {
  // stat follows symlinks, as a Kubernetes Secret volume needs; checking
  // before opening keeps a FIFO from blocking the open.
  let st = fs.statSync(path);
  if (!st.isFile()) throw new KeyringError({ path, problem: 'not a regular file' });
  const fd = fs.openSync(path, 'r');
  try {
    st = fs.fstatSync(fd);
    if (!st.isFile()) throw new KeyringError({ path, problem: 'not a regular file' });
    // Anyone who reads the keys can forge every session: refuse any access
    // by group or others, or with allowGroupReadable any but the group's read.
    let forbidden = 0o077;
    if (opts.allowReadableByOthers) forbidden = 0;
    else if (opts.allowGroupReadable) forbidden = 0o037;
    if (process.platform !== 'win32' && (st.mode & forbidden) !== 0) throw new PermissionError(path, st.mode);
    const buf = Buffer.alloc(MAX_KEYRING_FILE + 1);
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads and parses a keyring file, synchronously. Follows symlinks and
 * refuses a file its group or other users may access unless opts allows it.
 * @param {string} path
 * @param {KeyringFileOptions} [opts]
 */
export function loadKeyringSync(path, opts = {}) {
  const data = readKeyringFileSync(path, opts);
  try {
    return parseKeyring(data, { path });
  } finally {
    data.fill(0);
  }
}

/** loadKeyringSync, as a Promise. */
export async function loadKeyring(path, opts = {}) {
  return loadKeyringSync(path, opts);
}

export { formatRFC3339 };
