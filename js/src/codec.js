// Sealed values, wire format version 1 (FORMAT.md, "Sealed value").

import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  MalformedError, TamperedError, UnknownKeyError, RevokedKeyError, ExpiredError, NotYetValidError,
  TooLargeError, UnsupportedVersionError, IncompleteError, CookieSessionError, AbsentError,
} from './errors.js';
import { subkeyOf, keyIdString } from './keyring.js';
import { decodeURL, encodeURL, encodedLen } from './base64.js';
import { NS, toNanos, systemNow, floorSeconds, dateOfSeconds, secondsToNanos, formatRFC3339 } from './time.js';
import { serializerOf, ownsBuffers } from './serializer.js';
import { wireBytes } from './utf8.js';

export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 19;
export const NONCE_SIZE = 24;
export const TAG_SIZE = 16;
/** Bytes sealing adds to a payload before base64: header, nonce and tag. */
export const OVERHEAD = HEADER_SIZE + NONCE_SIZE + TAG_SIZE;
/** The most cookies one value may be split over. */
export const MAX_CHUNKS = 255;
const MAX_NAME = 4096;
const MAX_PURPOSE = 1024;
const MIN_MAX_LENGTH = 1 + encodedLen(OVERHEAD);
const MAX_MAX_LENGTH = 1 << 20;
const MAX_U32 = 0xffffffffn;

const byteLength = (s) => Buffer.byteLength(s, 'utf8');

/**
 * How many cookies a value says it is split over, from its first four
 * characters. Not yet authenticated: it only decides how many to join.
 * @param {string} value
 */
export function peekChunks(value) {
  if (typeof value !== 'string' || value.length < 5 || value[0] !== '~') throw new MalformedError();
  const b = decodeURL(value.slice(1, 5));
  if (b === null) throw new MalformedError();
  if (b[0] !== FORMAT_VERSION || b[1] !== 0) throw new UnsupportedVersionError();
  if (b[2] === 0) throw new MalformedError();
  return b[2];
}

function appendAD(hdr, name, purpose) {
  const n = Buffer.from(name, 'utf8');
  const p = Buffer.from(purpose, 'utf8');
  const ad = Buffer.alloc(hdr.length + 2 + n.length + 2 + p.length);
  ad.set(hdr, 0);
  ad.writeUInt16BE(n.length, hdr.length);
  ad.set(n, hdr.length + 2);
  ad.writeUInt16BE(p.length, hdr.length + 2 + n.length);
  ad.set(p, hdr.length + 4 + n.length);
  return ad;
}

/**
 * Seals values under a cookie name with the primary key of a keyring, and
 * opens them again. Safe to share: it holds no per-request state.
 */
export class Codec {
  /**
   * @param {{keyring(): import('./keyring.js').Keyring, reloadFor?: Function}} keys a Keyring or KeyringFile
   * @param {object} [opts]
   */
  constructor(keys, opts = {}) {
    if (!keys || typeof keys.keyring !== 'function') throw new TypeError('cookiesession: Codec: keys must be a Keyring or KeyringFile');
    this.keys = keys;
    this.purpose = opts.purpose ?? '';
    // A lone surrogate has no UTF-8 form: written as U+FFFD, two purposes
    // that differ only there would open each other's values.
    if (typeof this.purpose !== 'string' || !this.purpose.isWellFormed()) {
      throw new TypeError('cookiesession: purpose is a string of well-formed UTF-16 (no lone surrogate)');
    }
    if (byteLength(this.purpose) > MAX_PURPOSE) {
      throw new RangeError(`cookiesession: purpose is ${byteLength(this.purpose)} bytes, at most ${MAX_PURPOSE}`);
    }
    // Seconds, with a fraction if need be (1.5), as Go's time.Duration
    // MaxAge: sealing rounds both ends of the lifetime down (FORMAT.md,
    // "Sealing", step 2).
    const maxAge = opts.maxAge ?? 86400;
    if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 1 || maxAge > Number(MAX_U32)) {
      throw new RangeError(`cookiesession: maxAge ${maxAge} is not a number of seconds between 1 and ${MAX_U32}`);
    }
    this.maxAge = secondsToNanos(maxAge);
    const skew = opts.clockSkew ?? 60;
    if (typeof skew !== 'number' || !Number.isFinite(skew)) throw new RangeError('cookiesession: clockSkew is not a number of seconds');
    this.skew = secondsToNanos(Math.max(0, skew));
    this.maxLength = opts.maxLength ?? 4096;
    if (!Number.isInteger(this.maxLength) || this.maxLength < MIN_MAX_LENGTH || this.maxLength > MAX_MAX_LENGTH) {
      throw new RangeError(`cookiesession: maxLength ${this.maxLength} is not between ${MIN_MAX_LENGTH} and ${MAX_MAX_LENGTH}`);
    }
    this.serializer = serializerOf(opts.serializer);
    // Key id → { opened, lastSeen }: how many values each key opened
    // through this codec, and when the last did (keyUsage). Recorded only
    // after a value authenticated and decoded, so it holds ids of real
    // keys, never ids an attacker made up.
    this.usage = new Map();
    const now = opts.now ?? systemNow;
    this.now = () => toNanos(now());
    this.random = opts.random ?? randomBytes;
  }

  /**
   * Serializes v and seals it under the cookie name, valid for maxAge.
   * @param {string} name
   * @param {unknown} v
   * @returns {string}
   */
  seal(name, v) {
    const now = this.now();
    return this.sealAt(name, v, now, now + this.maxAge, () => 1).value;
  }

  /**
   * @internal seals v issued at iat, expiring at exp (BigInt ns); chunksFor
   * maps the encoded length to the chunk count sealed into the header.
   */
  sealAt(name, v, iat, exp, chunksFor) {
    if (byteLength(name) > MAX_NAME) throw new RangeError(`cookiesession: cookie name is ${byteLength(name)} bytes, at most ${MAX_NAME}`);
    const ring = this.keys.keyring();
    const key = ring.primary(iat);
    const iatS = floorSeconds(iat);
    const lifetime = floorSeconds(exp) - iatS;
    if (lifetime <= 0n || lifetime > MAX_U32) throw new RangeError(`cookiesession: lifetime ${lifetime}s is not between 1s and ${MAX_U32}s`);
    const payload = this.serializer.serialize(v);
    try {
      const rawLen = OVERHEAD + payload.length;
      const encLen = 1 + encodedLen(rawLen);
      const chunks = chunksFor(encLen);
      if (encLen > this.maxLength) throw new TooLargeError('value', encLen, this.maxLength);
      if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_CHUNKS) throw new RangeError(`cookiesession: ${chunks} chunks, at most ${MAX_CHUNKS}`);

      const raw = new Uint8Array(rawLen);
      const dv = new DataView(raw.buffer);
      raw[0] = FORMAT_VERSION;
      raw[1] = 0; // flags: none defined in version 1
      raw[2] = chunks;
      dv.setUint32(3, parseInt(key.id, 16));
      dv.setBigInt64(7, iatS);
      dv.setUint32(15, Number(lifetime));
      const hdr = raw.subarray(0, HEADER_SIZE);
      // A fresh random nonce per value. A failing source throws, and so does
      // sealing: a made-up or repeated nonce would reveal plaintexts.
      const nonce = this.random(NONCE_SIZE);
      if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE) throw new Error('cookiesession: the random source gave no nonce');
      raw.set(nonce, HEADER_SIZE);
      const sealed = xchacha20poly1305(subkeyOf(key), raw.subarray(HEADER_SIZE, HEADER_SIZE + NONCE_SIZE), appendAD(hdr, name, this.purpose))
        .encrypt(payload);
      raw.set(sealed, HEADER_SIZE + NONCE_SIZE);
      return { value: '~' + encodeURL(raw), keyId: key.id, chunks };
    } finally {
      // Only a buffer this package's serializer made is wiped, whether the
      // seal succeeded or not: another's may be the caller's value itself,
      // or a cached encoding it returns again.
      if (ownsBuffers(this.serializer)) payload.fill(0);
    }
  }

  /**
   * Opens a single-cookie value sealed under the same name and purpose.
   * Throws one of the package's errors: MalformedError, TamperedError,
   * UnknownKeyError, RevokedKeyError, ExpiredError, NotYetValidError,
   * TooLargeError, UnsupportedVersionError or IncompleteError.
   * @param {string} name
   * @param {string} value
   * @returns {{value: unknown, header: Header}}
   */
  open(name, value) {
    // No cookie (req.cookies.x, Headers.get give undefined or null): absent, as in a store.
    if (value === undefined || value === null) throw new AbsentError();
    return this.openValue(name, value, 1);
  }

  /**
   * Opens a value split over the cookies name, name.1, …, given in order.
   * @param {string} name
   * @param {string[]} chunks
   */
  openChunks(name, chunks) {
    if (!Array.isArray(chunks) || chunks.length === 0 || chunks.length > MAX_CHUNKS) throw new IncompleteError();
    // A chunk that is not there (undefined, null) leaves the value incomplete; one
    // that is not text cannot be part of it.
    for (const c of chunks) {
      if (c === undefined || c === null) throw new IncompleteError();
      if (typeof c !== 'string') throw new MalformedError();
    }
    // The count the first chunk announces decides before anything is decoded.
    if (peekChunks(chunks[0]) !== chunks.length) throw new IncompleteError();
    return this.openJoined(name, chunks);
  }

  /** @internal openChunks for chunks whose count was checked already. */
  openJoined(name, chunks) {
    let size = 0;
    for (const c of chunks) size += wireBytes(c);
    if (size > this.maxLength) throw new TooLargeError('value', size, this.maxLength);
    return this.openValue(name, chunks.join(''), chunks.length);
  }

  /** @internal the checks of FORMAT.md in their order; w is the cookies joined. */
  openValue(name, value, w) {
    if (typeof value !== 'string') throw new MalformedError();
    // Every check before the tag costs no cryptography, and exactly one
    // key is ever tried.
    const len = wireBytes(value);
    if (len > this.maxLength) throw new TooLargeError('value', len, this.maxLength);
    // A longer name is the caller's mistake, not the value's: an error of
    // no class of FORMAT.md, between steps 1 and 2 as in Go.
    if (byteLength(name) > MAX_NAME) throw new RangeError(`cookiesession: cookie name is ${byteLength(name)} bytes, at most ${MAX_NAME}`);
    if (value.length === 0 || value[0] !== '~') throw new MalformedError();
    const raw = decodeURL(value.slice(1));
    if (raw === null || raw.length < OVERHEAD) throw new MalformedError();
    const hdr = raw.subarray(0, HEADER_SIZE);
    if (hdr[0] !== FORMAT_VERSION || hdr[1] !== 0) throw new UnsupportedVersionError();
    if (hdr[2] === 0) throw new MalformedError();
    if (hdr[2] !== w) throw new IncompleteError();
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const id = keyIdString(dv.getUint32(3));
    const iat = dv.getBigInt64(7);
    const lifetime = BigInt(dv.getUint32(15));

    const now = this.now();
    let ring = this.keys.keyring();
    let key = ring.key(id);
    if (key === undefined && typeof this.keys.reloadFor === 'function') {
      // A server may see a new key's values before its copy of the file
      // has the key; a reloading source gets one rate-limited look.
      const newer = this.keys.reloadFor(id, ring);
      if (newer && newer !== ring) {
        ring = newer;
        key = ring.key(id);
      }
    }
    if (key === undefined) {
      // What the log then says, as in Go: the operator's first question
      // is whether the key is gone or was never here.
      throw new UnknownKeyError(id, typeof ring.isDeleted === 'function' && ring.isDeleted(id)
        ? 'pruned from the keyring: no server opens it any more'
        : 'in no keyring this server holds: sealed by a server with another keyring file, ' +
          "or under a key newer than this server's copy of the file");
    }
    if (!key.canOpen(now)) throw new RevokedKeyError(id);
    let plain;
    try {
      plain = xchacha20poly1305(subkeyOf(key), raw.subarray(HEADER_SIZE, HEADER_SIZE + NONCE_SIZE), appendAD(hdr, name, this.purpose))
        .decrypt(raw.subarray(HEADER_SIZE + NONCE_SIZE));
    } catch {
      throw new TamperedError();
    }
    // Times only once they are authentic; in BigInt, so that an issued-at
    // anywhere in the signed 64-bit range cannot overflow.
    if (iat * NS > now + this.skew) throw new NotYetValidError();
    const header = withJSON({
      keyId: id,
      issuedAt: dateOfSeconds(iat),
      expires: dateOfSeconds(iat + lifetime),
      issuedAtUnix: iat,
      expiresUnix: iat + lifetime,
      chunks: hdr[2],
    });
    // From here the header is authentic and travels with the error.
    if (!(now < (iat + lifetime) * NS + this.skew)) throw withHeader(new ExpiredError(), header);
    // This package's serializers copy what they keep, and the plaintext is
    // wiped once they are done. Any other serializer keeps the plaintext:
    // it was decrypted into a buffer of its own, which nothing else holds,
    // and what it returns may be views into it (msgpack's byte strings).
    const owns = ownsBuffers(this.serializer);
    let v;
    try {
      v = this.serializer.deserialize(plain);
    } catch (e) {
      if (e instanceof CookieSessionError) throw withHeader(e, header);
      throw withHeader(new MalformedError('payload does not deserialize'), header);
    } finally {
      if (owns) plain.fill(0);
    }
    const u = this.usage.get(id);
    if (u === undefined) this.usage.set(id, { opened: 1, lastSeen: now });
    else {
      u.opened++;
      u.lastSeen = now;
    }
    return { value: v, header };
  }

  /**
   * For each key that opened at least one value through this codec, how
   * many it opened and when it last did, ordered by key id, as Go's
   * Codec.KeyUsage: a key whose count has stopped growing opens nothing
   * any more, and may be retired.
   * @returns {{id: string, opened: number, lastSeen: Date, lastSeenUnixNano: bigint}[]}
   */
  keyUsage() {
    return [...this.usage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, u]) => ({
      id, opened: u.opened, lastSeen: new Date(Number(u.lastSeen / 1_000_000n)), lastSeenUnixNano: u.lastSeen,
    }));
  }
}

function withHeader(err, header) {
  err.header = header;
  return err;
}

// withJSON gives a header a toJSON (not enumerable, so that the header's
// members are what they were) for JSON loggers, which would otherwise fail
// on its BigInts ("Do not know how to serialize a BigInt") when they log an
// error that carries it: times as RFC 3339 text (null beyond a Date's
// range or of years beyond 0000-9999) and Unix seconds as decimal strings (a signed 64-bit number may
// exceed what a JSON number holds exactly). A header holds nothing of the
// payload.
function withJSON(header) {
  Object.defineProperty(header, 'toJSON', { value: headerJSON, enumerable: false, writable: true, configurable: true });
  return header;
}

function rfc3339OrNull(s) {
  try {
    const t = formatRFC3339(BigInt(s) * NS);
    return /^\d{4}-/.test(t) ? t : null; // RFC 3339 has years 0000 to 9999 only
  } catch {
    return null;
  }
}

function headerJSON() {
  return {
    keyId: this.keyId,
    issuedAt: rfc3339OrNull(this.issuedAtUnix),
    expires: rfc3339OrNull(this.expiresUnix),
    issuedAtUnix: String(this.issuedAtUnix),
    expiresUnix: String(this.expiresUnix),
    chunks: this.chunks,
  };
}
