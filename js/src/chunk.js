// Chunking (FORMAT.md, "Chunking"): a value longer than one cookie holds is
// split over name, name.1, …; a reader scans the Cookie header for them
// with hard caps, whatever a request carries.

import { TooLargeError, AbsentError, IncompleteError, CookieSessionError } from './errors.js';
import { MAX_CHUNKS, peekChunks } from './codec.js';
import { wireBytes } from './utf8.js';

/** The most bytes of name plus value Chromium and Firefox keep in one cookie. */
export const BROWSER_COOKIE_LIMIT = 4096;
/** How many cookies of one name are considered (and so authenticated) per request. */
export const MAX_CANDIDATES = 4;
/** The most Cookie header bytes scanned at all. */
export const MAX_COOKIE_HEADER = 64 << 10;

/** The cookie name of chunk i. */
export function chunkName(name, i) {
  return i === 0 ? name : `${name}.${i}`;
}

function chunkNameLen(name, i) {
  return Buffer.byteLength(name) + (i > 0 ? 1 + String(i).length : 0);
}

/**
 * How many cookies of at most chunkSize bytes of name plus value a value
 * of encLen bytes needs; limit + 1 when it needs more than limit.
 */
export function chunkCount(name, encLen, chunkSize, limit = MAX_CHUNKS) {
  let n = 0;
  for (let rest = encLen; rest > 0 || n === 0; n++) {
    if (n === limit) return limit + 1;
    rest -= chunkSize - chunkNameLen(name, n);
  }
  return n;
}

/** How many bytes n chunks carrying encLen bytes add to a Cookie header. */
export function cookieBytes(name, encLen, n) {
  let total = encLen + n + 2 * (n - 1); // values, "=" signs, "; " separators
  for (let i = 0; i < n; i++) total += chunkNameLen(name, i);
  return total;
}

/**
 * Cuts a value into its chunks: every chunk but the last fills its cookie
 * up to chunkSize bytes of name plus value.
 * @param {string} name
 * @param {string} value
 * @param {number} [chunkSize]
 */
export function splitValue(name, value, chunkSize = 3800) {
  const n = chunkCount(name, value.length, chunkSize);
  if (n > MAX_CHUNKS) throw new TooLargeError('value', value.length, MAX_CHUNKS * chunkSize, 'bytes');
  const parts = [];
  let rest = value;
  for (let i = 0; i < n - 1; i++) {
    const size = chunkSize - chunkNameLen(name, i);
    parts.push(rest.slice(0, size));
    rest = rest.slice(size);
  }
  parts.push(rest);
  return parts;
}

/** Joins chunks in index order. */
export function joinChunks(chunks) {
  return chunks.join('');
}

// chunkIndex parses what follows the session's name: "" is chunk 0, ".N"
// is chunk N (decimal, no leading zero, below maxChunks); -1 otherwise.
function chunkIndex(suffix, maxChunks) {
  if (suffix === '') return 0;
  if (suffix.length < 2 || suffix.length > 4 || suffix[0] !== '.' || suffix[1] === '0') return -1;
  let i = 0;
  for (let k = 1; k < suffix.length; k++) {
    const d = suffix.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    i = i * 10 + d;
  }
  return i < maxChunks ? i : -1;
}

/**
 * Finds the cookies of the session called name in a request's Cookie
 * header(s). Returns, per chunk index, the values in header order (at most
 * MAX_CANDIDATES each). A header longer than 64 KiB in all throws a
 * TooLargeError before anything is decoded.
 * @param {string | string[] | undefined | null} header as Node gives req.headers.cookie, or
 *   Headers.get('cookie') (null: no header)
 * @param {string} name
 * @param {number} [maxChunks]
 * @returns {string[][]}
 */
export function scanCookies(header, name, maxChunks = MAX_CHUNKS) {
  // No header (undefined from req.headers.cookie, null from Headers.get), and
  // lines that are not there, are no cookies.
  const lines = (header === undefined || header === null ? [] : Array.isArray(header) ? header : [header])
    .filter((l) => l !== undefined && l !== null);
  for (const l of lines) {
    if (typeof l !== 'string') throw new TypeError('cookiesession: a Cookie header is a string or an array of strings');
  }
  let size = 0;
  for (const l of lines) size += wireBytes(l);
  if (size > MAX_COOKIE_HEADER) throw new TooLargeError('Cookie header', size, MAX_COOKIE_HEADER);
  const cands = [];
  for (const line of lines) {
    for (let part of line.split(';')) {
      part = part.replace(/^[ \t]+|[ \t]+$/g, '');
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq);
      let v = part.slice(eq + 1);
      if (!k.startsWith(name)) continue;
      const i = chunkIndex(k.slice(name.length), maxChunks);
      if (i < 0) continue;
      // Browsers never quote a value set unquoted, but a quoted one is the same value.
      if (v.length > 1 && v[0] === '"' && v[v.length - 1] === '"') v = v.slice(1, -1);
      while (cands.length <= i) cands.push([]);
      if (cands[i].length < MAX_CANDIDATES) cands[i].push(v);
    }
  }
  return cands;
}

/**
 * The chunks of the j-th way to assemble a value of n chunks: the j-th
 * value of chunk 0 with the j-th of every other chunk (or its last, when
 * it came fewer times); null when a chunk is missing.
 */
export function attempt(cands, j, n) {
  if (n > cands.length) return null;
  const parts = [];
  for (let i = 0; i < n; i++) {
    const cs = cands[i];
    if (cs.length === 0) return null;
    parts.push(cs[Math.min(j, cs.length - 1)]);
  }
  return parts;
}

/** The chunk limit L of FORMAT.md: min(255, floor(maxSize / chunkSize) + 1). */
export function chunkLimit(chunkSize, maxSize) {
  return Math.min(MAX_CHUNKS, Math.floor(maxSize / chunkSize) + 1);
}

/**
 * Reads the value of the cookie called name, split or not, from a
 * request's Cookie header(s), as the Go store does (FORMAT.md, "Chunking",
 * "Reading"), and opens it with codec, whose maxLength is the session
 * layer's maxSize. Throws AbsentError when the header carries no cookie of
 * that name, or, when none opens, the first attempt's failure (or the
 * first later one that another server may not share, when the first's is
 * one that none can get past: FORMAT.md, "Reading", step 6). When more
 * than one opens (a host-only cookie beside a Domain cookie), the one
 * issued last wins, on a tie the later in the header, as in the Go store:
 * browsers send the older cookie first, so the first would keep an old
 * login in force over a newer one.
 *
 * check, when given, runs on each attempt that opened and may throw a
 * CookieSessionError to make it fail, or return what the attempt gives.
 * The result, and every error thrown, carries `carried`: how many chunk
 * indexes the request had (the highest plus one), and `twins`: whether
 * some chunk name came more than once (FORMAT.md, "Twins").
 * @param {import('./codec.js').Codec} codec
 * @param {string | string[] | undefined} header
 * @param {string} name
 * @param {{chunkSize?: number, maxSize?: number, check?: (r: {value: unknown, header: object}) => any}} [opts]
 */
export function openCookieHeader(codec, header, name, { chunkSize = 3800, maxSize = codec.maxLength, check } = {}) {
  const maxChunks = chunkLimit(chunkSize, maxSize);
  const cands = scanCookies(header, name, maxChunks);
  const carried = cands.length;
  // Some chunk name came more than once: a host-only cookie beside a
  // Domain one (FORMAT.md, "Twins").
  const twins = cands.some((c) => c.length > 1);
  const fail = (e) => {
    e.carried = carried;
    e.twins = twins;
    return e;
  };
  if (carried === 0) throw fail(new AbsentError());
  if (cands[0].length === 0) throw fail(new IncompleteError('later chunks without the first'));
  let best = null;
  let first = null;
  for (let j = 0; j < cands[0].length; j++) { // at most MAX_CANDIDATES
    let r;
    try {
      const n = peekChunks(cands[0][j]);
      if (n > maxChunks) throw new TooLargeError('chunk count', n, maxChunks, 'chunks');
      const parts = attempt(cands, j, n);
      if (parts === null) throw new IncompleteError();
      let size = 0;
      for (const p of parts) size += wireBytes(p);
      if (size > maxSize) throw new TooLargeError('value', size, maxSize);
      r = codec.openJoined(name, parts);
      if (check) r = check(r) ?? r;
    } catch (e) {
      if (!(e instanceof CookieSessionError)) throw e;
      if (first === null || (deadEverywhere(first) && !deadEverywhere(e))) first = e;
      continue;
    }
    if (best === null || !(r.header.issuedAtUnix < best.header.issuedAtUnix)) best = r;
  }
  if (best === null) throw fail(first);
  best.carried = carried;
  best.twins = twins;
  return best;
}

// The failures that no server can get past (FORMAT.md, "Expiring stale
// chunks"), but for a payload that authenticated and does not deserialize,
// which a reader of another release may read: it carries its header.
const DEAD = new Set(['revoked-key', 'expired', 'tampered', 'malformed', 'incomplete']);

function deadEverywhere(e) {
  return DEAD.has(e.kind) && !(e.kind === 'malformed' && e.header !== undefined);
}
