// Bearer tokens (FORMAT.md, "Bearer tokens"): the session a client that
// keeps no cookies carries in an "Authorization: Bearer" request header,
// sealed under the name "Bearer " and the cookie name, never split.

import { peekChunks } from './codec.js';
import { AbsentError, MalformedError, TooLargeError } from './errors.js';

const SCHEME = 'Bearer';

// An RFC 9110 token (RFC 7230's): a cookie name is one, and a scheme
// whose name goes on past "Bearer" with a token character ("Bearerx") is
// another scheme.
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6750's b64token characters; the codec then refuses all but base64url.
const B64TOKEN = /^[-._~+/=0-9A-Za-z]+$/;

/**
 * Opens the bearer token of a request's Authorization header, sealed for
 * the session cookie `name` (so under the name "Bearer " + name), as the
 * Go store reads it. `authorization` is the header's value, or its values
 * when it came more than once: pass `req.headersDistinct.authorization`,
 * since Node's `req.headers` keeps only the first Authorization header,
 * and two of them must fail, not let two parsers disagree on which counts.
 *
 * Throws an AbsentError when there is no token (no header, or one of
 * another scheme, such as Basic), a TooLargeError when the header is
 * longer than "Bearer " and maxSize bytes, a MalformedError for anything
 * else that is not one token of the Bearer scheme (two headers, a tab, a
 * second word, a token that says it is split), and then whatever opening
 * the value gives. The result is the codec's: `{value, header}`.
 * @param {import('./codec.js').Codec} codec
 * @param {string | string[] | undefined} authorization
 * @param {string} name
 * @param {{maxSize?: number, tokenName?: string}} [opts] tokenName: the name
 *   the token is sealed under, if not "Bearer " + name (Go's
 *   Config.ShareTokenAndCookie seals tokens under the cookie name)
 */
export function openBearerToken(codec, authorization, name, { maxSize = codec.maxLength, tokenName = `${SCHEME} ${name}` } = {}) {
  const lines = authorization === undefined ? [] : Array.isArray(authorization) ? authorization : [authorization];
  if (lines.length === 0) throw noToken('the request has no Authorization header');
  // Authorization is not a list header: two are a broken client, or an
  // attempt to make two parsers disagree on which one counts.
  if (lines.length > 1) throw new MalformedError(`${lines.length} Authorization headers, want one`);
  if (typeof lines[0] !== 'string') throw new TypeError('cookiesession: the Authorization header is not a string');
  const v = lines[0].replace(/^[ \t]+|[ \t]+$/g, '');
  // The scheme is read from the first seven bytes only: any header, however
  // long, is settled before its length is looked at.
  if (v.length < SCHEME.length || v.slice(0, SCHEME.length).toLowerCase() !== 'bearer' ||
      (v.length > SCHEME.length && TOKEN.test(v[SCHEME.length]))) {
    throw noToken('the Authorization header is not of the Bearer scheme');
  }
  // The bound comes before the characters are scanned, so that the work
  // on a hostile header is bounded by maxSize.
  const limit = SCHEME.length + 1 + maxSize;
  if (v.length > limit) throw new TooLargeError('Authorization header', v.length, limit);
  const rest = v.slice(SCHEME.length);
  if (rest === '') throw new MalformedError('an Authorization header of the Bearer scheme without a token');
  if (rest[0] !== ' ') throw new MalformedError('the Bearer scheme is not followed by a space');
  const token = rest.replace(/^ +/, '');
  if (!B64TOKEN.test(token)) throw new MalformedError('the bearer token holds a character no token may hold');
  if (token.length > maxSize) throw new TooLargeError('bearer token', token.length, maxSize);
  // A token is never split: a value that says it is (the first chunk of
  // a session's cookies, say) is refused before any key is looked up.
  const n = peekChunks(token);
  if (n !== 1) throw new MalformedError(`the bearer token says it is split over ${n} chunks; tokens never are`);
  return codec.open(tokenName, token);
}

// noToken is an AbsentError that speaks of a token, not of a cookie, as
// Go's does.
function noToken(detail) {
  const e = new AbsentError();
  e.message = `cookiesession: no bearer token: ${detail}`;
  return e;
}
