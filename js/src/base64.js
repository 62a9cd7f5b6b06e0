// Strict base64: one spelling per byte string. Node's Buffer decoder skips
// characters it does not know and ignores stray bits, so it cannot be used
// to tell a valid value from a malformed one.

const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function table(alphabet) {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const URL_T = table(URL);
const STD_T = table(STD);

/** The length of the unpadded base64 encoding of n bytes. */
export function encodedLen(n) {
  return Math.floor(n / 3) * 4 + [0, 2, 3][n % 3];
}

function decodeWith(s, t) {
  const n = s.length;
  if (n % 4 === 1) return null; // no byte string encodes to this length
  const out = new Uint8Array(Math.floor(n / 4) * 3 + [0, 0, 1, 2][n % 4]);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? t[c] : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  // The low bits of the last character that carry no byte must be zero,
  // or two spellings would give the same bytes.
  if (acc !== 0) return null;
  return out;
}

/** Decodes strict, canonical base64url without padding; null when it is not. */
export function decodeURL(s) {
  return decodeWith(s, URL_T);
}

/** Encodes bytes as base64url without padding. */
export function encodeURL(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes canonical standard base64 with padding; null when it is not. */
export function decodeStd(s) {
  if (s.length % 4 !== 0) return null;
  let body = s;
  if (body.endsWith('==')) body = body.slice(0, -2);
  else if (body.endsWith('=')) body = body.slice(0, -1);
  // Padding only completes a last group of 2 or 3 characters.
  if (body.length !== s.length && body.length % 4 === 0) return null;
  return decodeWith(body, STD_T);
}

/** Encodes bytes as standard base64 with padding. */
export function encodeStd(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes standard base64 with padding as Go's encoding/json reads a
 * []byte (base64.StdEncoding, not strict): CR and LF anywhere are
 * skipped, and the unused low bits of the last character may be set.
 * null when it is not base64.
 */
export function decodeStdLenient(s) {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return null;
  return new Uint8Array(Buffer.from(t, 'base64'));
}
