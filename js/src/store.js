// Sessions as the Go Store writes them (FORMAT.md, "Session payload"): the
// payload is an envelope of the session's random id, its creation time and
// the application's data, split over cookies when large.

import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Codec, MAX_CHUNKS } from './codec.js';
import { MalformedError, ExpiredError, TooLargeError, CookieSessionError, AbsentError } from './errors.js';
import { openBearerToken, TOKEN } from './bearer.js';
import { openCookieHeader, chunkCount, chunkLimit, cookieBytes, splitValue, chunkName, BROWSER_COOKIE_LIMIT, MAX_COOKIE_HEADER } from './chunk.js';

const MAX_MAX_SIZE = MAX_COOKIE_HEADER - (16 << 10);
import { NS, floorSeconds, dateOfSeconds } from './time.js';
import { decodeStdLenient } from './base64.js';
import { serializerOf, cbor, json, markOwned, ownsBuffers } from './serializer.js';
import { decodeCBORWithMajors, MAX_NESTING } from './cbor.js';
import { parseJSON, RawNumber, losslessNumber, MEMBERS } from './json.js';

export const SESSION_ID_LENGTH = 16;

/**
 * Loads and saves sessions in the cookies a Go cookiesession Store reads
 * and writes with the same keyring and configuration. Safe to share.
 */
export class SessionStore {
  /**
   * @param {{keyring(): import('./keyring.js').Keyring}} keys a Keyring or KeyringFile
   * @param {object} [opts] see index.d.ts
   */
  constructor(keys, opts = {}) {
    // null, like undefined, is no domain: a host-only cookie.
    if (opts.domain != null && typeof opts.domain !== 'string') throw new TypeError('cookiesession: domain is a string');
    this.domain = (opts.domain ?? '').replace(/^\./, '').toLowerCase();
    this.insecure = Boolean(opts.insecure);
    this.path = opts.path ?? '/';
    // As Go's Config: a __Host- cookie has no Domain and Path "/", so a
    // store with either gets a __Secure- name.
    this.name = opts.name ?? (this.insecure ? 'session'
      : this.domain || this.path !== '/' ? '__Secure-session' : '__Host-session');
    // Browsers read SameSite's value without regard to case: 'lax' is Lax,
    // written as Go writes it.
    this.sameSite = typeof opts.sameSite === 'string' ? (SAME_SITE_SPELLING.get(opts.sameSite.toLowerCase()) ?? opts.sameSite) : opts.sameSite ?? 'Lax';
    this.httpOnly = !opts.scriptAccess;
    // 0, as Go's zero Duration, is the default.
    this.lifetime = opts.lifetime == null || opts.lifetime === 0 ? 7 * 86400 : opts.lifetime;
    this.browserSessionCookies = Boolean(opts.browserSessionCookies);
    // 0 is the default, as in Go; negative means none.
    this.idleTimeout = opts.idleTimeout == null || opts.idleTimeout === 0 ? 86400 : opts.idleTimeout;
    if (this.idleTimeout < 0) this.idleTimeout = 0; // negative: no idle timeout
    this.chunkSize = opts.chunkSize ?? 3800;
    this.maxSize = opts.maxSize ?? 6144;
    // At least 2 s, as in Go: a value is sealed only with a second left,
    // which a session of a 1 s lifetime never has once its request saves.
    if (!Number.isInteger(this.lifetime) || this.lifetime < 2 || this.lifetime > 400 * 86400) {
      throw new RangeError(`cookiesession: lifetime ${this.lifetime} is not a whole number of seconds between 2 and 400 days`);
    }
    if (!Number.isInteger(this.idleTimeout) || (this.idleTimeout !== 0 && this.idleTimeout < 1)) {
      throw new RangeError(`cookiesession: idleTimeout ${this.idleTimeout} is not a whole number of seconds`);
    }
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 256 || this.chunkSize > BROWSER_COOKIE_LIMIT) {
      throw new RangeError(`cookiesession: chunkSize ${this.chunkSize} is not between 256 and ${BROWSER_COOKIE_LIMIT}`);
    }
    // As in Go: a session as large as the whole Cookie header a reader
    // reads would stop loading at the site's first other cookie.
    if (!Number.isInteger(this.maxSize) || this.maxSize < 256 || this.maxSize > MAX_MAX_SIZE) {
      throw new RangeError(`cookiesession: maxSize ${this.maxSize} is not between 256 and ${MAX_MAX_SIZE}`);
    }
    if (this.name.length + 4 > this.chunkSize / 2) throw new RangeError(`cookiesession: name ${this.name} is too long for chunkSize ${this.chunkSize}`);
    checkCookieConfig(this);
    this.codec = new Codec(keys, {
      purpose: opts.purpose,
      maxAge: this.lifetime,
      clockSkew: opts.clockSkew,
      maxLength: this.maxSize,
      serializer: envelopeSerializer(serializerOf(opts.serializer)),
      now: opts.now,
    });
    // Every chunk but the last fills chunkSize bytes and adds more than
    // that to the Cookie header.
    this.maxChunks = chunkLimit(this.chunkSize, this.maxSize);
    // Tokens are sealed under a name of their own, as in Go, so that a
    // cookie's value never opens as a token nor a token as a cookie,
    // unless the configuration asks for one value for both.
    this.tokenName = opts.shareTokenAndCookie ? this.name : `Bearer ${this.name}`;
    this.random = opts.random ?? randomBytes;
  }

  /**
   * Reads the session from a request's Cookie header (req.headers.cookie).
   * Throws AbsentError when there is none, and the reason when it cannot
   * be used. Of at most four candidates, the one issued last that opens
   * wins, as in the Go store; when none does, the first one's failure.
   *
   * The result, and every error thrown, carries `carried` (how many chunk
   * indexes the request had), `twins` (whether a chunk name came more than
   * once: a host-only cookie beside a Domain one, FORMAT.md "Twins") and
   * `host` (opts.host, the request's Host header, as given; '' without).
   * Pass the result, or the error, to setCookieHeaders or
   * clearCookieHeaders, which then also expire the twins.
   * @param {string | string[] | undefined | null} cookieHeader (null, as Headers.get gives it: no header)
   * @param {{host?: string}} [opts] host: req.headers.host
   */
  load(cookieHeader, opts = {}) {
    const host = typeof opts?.host === 'string' ? opts.host : '';
    try {
      const s = openCookieHeader(this.codec, cookieHeader, this.name, {
        chunkSize: this.chunkSize,
        maxSize: this.maxSize,
        check: (r) => this.checkOpened(r),
      });
      s.host = host;
      return s;
    } catch (e) {
      if (e instanceof CookieSessionError && e.carried !== undefined) e.host = host;
      if (e instanceof AbsentError) explainOtherName(e, cookieHeader, this.name);
      throw e;
    }
  }

  // checkOpened runs the session's own checks on a value that opened, as
  // the Go store's checkOpened: the envelope, and the lifetime and idle
  // timeout as configured now (a shorter one applies at once, to the
  // sessions already out there, whatever the header's expiry says).
  checkOpened({ value, header }) {
    let env;
    try {
      env = readEnvelope(value.value, this.codec.serializer.name, value.majors);
    } catch (e) {
      throw withHeader(e, header);
    }
    const now = this.codec.now();
    const skew = this.codec.skew;
    if (atOrAfter(now, env.created, this.lifetime, skew)) {
      throw withHeader(new ExpiredError('older than the lifetime'), header);
    }
    if (this.idleTimeout > 0 && atOrAfter(now, header.issuedAtUnix, this.idleTimeout, skew)) {
      throw withHeader(new ExpiredError('idle for longer than the idle timeout'), header);
    }
    let reseal = false;
    try {
      if (this.codec.keys.keyring().primary(now).id !== header.keyId) reseal = true;
    } catch { /* no primary: nothing to move the session to */ }
    if (this.idleTimeout > 0 && now - header.issuedAtUnix * NS >= (BigInt(this.idleTimeout) * NS) / 2n) reseal = true;
    return {
      id: env.id,
      created: dateOfSeconds(env.created),
      createdUnix: env.created,
      data: env.data,
      flashes: opened(env.flashes),
      persistent: env.persistent,
      keyId: header.keyId,
      header,
      reseal,
    };
  }

  /**
   * Seals a session into its cookies' values. A session without an id gets
   * a new random one, and one without a creation time starts now.
   * @param {{id?: Uint8Array, created?: Date | bigint, data: unknown}} session
   * @returns {{id: Uint8Array, createdUnix: bigint, keyId: string, maxAge: number, cookies: {name: string, value: string}[]}}
   */
  seal(session) {
    const { now, id, created, lifeEnd, exp, env, persistent } = this.envelopeOf(session);
    const name = this.name;
    let n = 0;
    const sealed = this.codec.sealAt(name, env, now, exp, (encLen) => {
      n = chunkCount(name, encLen, this.chunkSize, this.maxChunks);
      const size = cookieBytes(name, encLen, n);
      if (n > this.maxChunks || size > this.maxSize) throw new TooLargeError('session cookies', size, this.maxSize);
      return n;
    });
    const parts = splitValue(name, sealed.value, this.chunkSize);
    // A browser-session cookie has no Max-Age (0 here, as in Go's
    // http.Cookie); the server still enforces lifetime and idle timeout.
    const persists = persistent ?? !this.browserSessionCookies;
    const maxAge = persists ? Number((lifeEnd - now + NS - 1n) / NS) : 0;
    return {
      id, createdUnix: created, keyId: sealed.keyId, persistent: persists, maxAge,
      cookies: parts.map((value, i) => ({ name: chunkName(name, i), value })),
    };
  }

  /** The key usage of the store's codec: see Codec.keyUsage and keyUsageHandler. */
  keyUsage() {
    return this.codec.keyUsage();
  }

  /**
   * Reads the session of a client that keeps no cookies from its
   * Authorization header, as the Go store's bearer transport does
   * (FORMAT.md, "Bearer tokens"): the token sealed under "Bearer " and the
   * store's name (the name itself with shareTokenAndCookie), judged as
   * load judges cookies. Pass req.headersDistinct.authorization: Node's
   * req.headers keeps only the first of two Authorization headers, which
   * must fail. Throws AbsentError when the request carries no token (no
   * header, or another scheme), and otherwise the reason it cannot be used.
   * @param {string | string[] | undefined} authorization
   */
  loadToken(authorization) {
    return this.checkOpened(openBearerToken(this.codec, authorization, this.name, {
      maxSize: this.maxSize,
      tokenName: this.tokenName,
    }));
  }

  /**
   * Seals a session as a bearer token, as the Go store's Session.Token
   * does: one value, at most maxSize bytes, valid until the end of its
   * lifetime or idle window. Send it to the client in the body of the
   * login response, or in the Session-Token header when the session
   * changed, with Cache-Control: no-store: it is a credential.
   * @param {{id?: Uint8Array, created?: Date | bigint, data: unknown}} session
   * @returns {{id: Uint8Array, createdUnix: bigint, keyId: string, token: string}}
   */
  sealToken(session) {
    const { now, id, created, exp, env } = this.envelopeOf(session);
    const sealed = this.codec.sealAt(this.tokenName, env, now, exp, (encLen) => {
      if (encLen > this.maxSize) throw new TooLargeError('bearer token', encLen, this.maxSize);
      return 1;
    });
    return { id, createdUnix: created, keyId: sealed.keyId, token: sealed.value };
  }

  // envelopeOf checks a session to seal and returns its envelope, and when
  // a value of it sealed now expires: at the end of its lifetime or of its
  // idle window, whichever comes first. A session without an id gets a
  // new random one, and one without a creation time starts now.
  envelopeOf(session) {
    const now = this.codec.now();
    const id = session.id ?? new Uint8Array(this.random(SESSION_ID_LENGTH));
    if (!(id instanceof Uint8Array) || id.length !== SESSION_ID_LENGTH) throw new TypeError('cookiesession: a session id is 16 bytes');
    let created = floorSeconds(now);
    const { createdUnix: unix, created: date } = session;
    if (unix !== undefined) {
      // Whole seconds, as a BigInt or a number that is an integer.
      if (typeof unix !== 'bigint' && !Number.isInteger(unix)) {
        throw new TypeError('cookiesession: createdUnix is whole seconds since 1970, a BigInt or an integer number');
      }
      created = BigInt(unix);
    } else if (date !== undefined && date !== null) {
      // A creation time that is not a valid Date would silently become now.
      if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
        throw new TypeError('cookiesession: created is a valid Date (or give createdUnix)');
      }
      created = BigInt(Math.floor(date.getTime() / 1000));
    }
    // The envelope holds it as a signed 64-bit integer: beyond, no reader
    // opens the session.
    if (created < MIN_I64 || created > MAX_I64) throw new RangeError('cookiesession: created is not a signed 64-bit number of seconds');
    // Nor may its lifetime run past them: every reader, this one and Go's,
    // counts such a session as expired.
    if (beyondInt64(created, this.lifetime, this.codec.skew)) {
      throw new RangeError('cookiesession: created plus the lifetime is beyond 64-bit seconds, where no reader opens the session');
    }
    const lifeEnd = (created + BigInt(this.lifetime)) * NS;
    let exp = lifeEnd;
    if (this.idleTimeout > 0 && now + BigInt(this.idleTimeout) * NS < exp) exp = now + BigInt(this.idleTimeout) * NS;
    if (exp - now < NS) throw new ExpiredError("the session's lifetime has run out");
    const flashes = checkFlashes(session.flashes ?? []);
    const persistent = session.persistent ?? null;
    if (persistent !== null && typeof persistent !== 'boolean') throw new TypeError('cookiesession: persistent is true, false or null');
    const env = envelope(id, created, session.data, flashes, persistent, this.codec.serializer.name);
    return { now, id, created, lifeEnd, exp, env, persistent };
  }

  /**
   * The Set-Cookie header values that store a session, and expire the
   * chunks of a larger session the request carried. carried is what load
   * gave (the session, or the error it threw), or just how many chunk
   * indexes the request had (session.carried). When the request carried a
   * chunk name twice (twins, from carried or else from session, as a
   * loaded session spread into it carries them), the lines also expire
   * every chunk in the other forms the browser may hold (see twinDomains).
   */
  setCookieHeaders(session, carried = 0) {
    const s = this.seal(session);
    const from = loadState(carried, session);
    const out = s.cookies.map((c) => this.cookie(c.name, c.value, s.maxAge));
    for (let i = s.cookies.length; i < from.carried; i++) out.push(this.cookie(chunkName(this.name, i), '', -1));
    this.expireTwins(out, from, s.cookies.length);
    return out;
  }

  /**
   * The Set-Cookie header values that end a session: every chunk carried,
   * and chunk 0 in any case, and, when the request carried twins, every
   * chunk in the other forms. carried: as for setCookieHeaders.
   */
  clearCookieHeaders(carried = 0) {
    const from = loadState(carried, null);
    const out = [];
    for (let i = 0; i < Math.max(1, from.carried); i++) out.push(this.cookie(chunkName(this.name, i), '', -1));
    this.expireTwins(out, from, 0);
    return out;
  }

  /**
   * The Domain attributes other than the store's own ('' for host-only)
   * under which a browser may hold a cookie of the session's name that it
   * sends to host, as Go's Store.twinDomains but without a public-suffix
   * list: host-only, Domain equal to the host, and each parent domain of
   * the host up to the configured domain (which lie within the registrable
   * domain by construction), at most 8 forms. A host not under the
   * configured domain, or any host when none is configured, gives the
   * host-only form and Domain=host alone (none of its other parents is
   * known not to be a public suffix); an IP address, a single label, or a
   * host that is not a domain name, the host-only form alone. A host with
   * the root's trailing dot gives forms with it. A __Host- cookie has no
   * other form.
   * @param {string} host the request's Host header, as sent
   */
  twinDomains(host) {
    if (this.name.startsWith('__Host-')) return [];
    return cookieDomains(requestHost(host), this.domain).filter((d) => d !== this.domain);
  }

  // expireTwins adds to out, when the request carried twins, an expired
  // cookie for each chunk from 0 to the highest carried or written, in
  // each form but the store's own, as Go's Store.expireTwins.
  expireTwins(out, { carried, twins, host }, written) {
    if (!twins) return;
    const to = Math.max(carried, written, 1);
    for (const d of this.twinDomains(host)) {
      for (let i = 0; i < to; i++) out.push(this.cookie(chunkName(this.name, i), '', -1, d));
    }
  }

  cookie(name, value, maxAge, domain = this.domain) {
    let c = `${name}=${value}; Path=${this.path}`;
    if (domain) c += `; Domain=${domain}`;
    if (maxAge < 0) c += '; Max-Age=0';
    else if (maxAge > 0) c += `; Max-Age=${maxAge}`;
    if (this.httpOnly) c += '; HttpOnly';
    if (!this.insecure) c += '; Secure';
    if (this.sameSite) c += `; SameSite=${this.sameSite}`;
    return c;
  }
}

// loadState reads what setCookieHeaders and clearCookieHeaders take as
// carried: a number, or what load gave (a session or an error), whose
// twins and host may otherwise come from the session being saved.
function loadState(carried, session) {
  const of = (v) => (v !== null && typeof v === 'object' ? v : {});
  const c = of(carried);
  const s = of(session);
  const n = typeof carried === 'number' ? carried : Number(c.carried ?? s.carried ?? 0);
  const twins = c.twins ?? s.twins;
  const host = c.host ?? s.host;
  return {
    // A request carries at most MAX_CHUNKS chunks: a larger count is not one a load gave.
    carried: Number.isInteger(n) && n > 0 ? Math.min(n, MAX_CHUNKS) : 0,
    twins: twins === true,
    host: typeof host === 'string' ? host : '',
  };
}

/** The most Domain forms tried when expiring twins, as Go's maxTwinForms. */
export const MAX_TWIN_FORMS = 8;

// requestHost is Go's requestHost: the host of a Host header, lower case,
// without a port (net.SplitHostPort's "host:port" and "[host]:port") and
// without brackets.
function requestHost(host) {
  let h = host;
  const bracketed = /^\[([^\[\]]*)\]:([^\[\]:]*)$/.exec(h);
  if (bracketed) h = bracketed[1];
  else if (!h.startsWith('[')) {
    const i = h.indexOf(':');
    if (i >= 0 && h.indexOf(':', i + 1) < 0 && !/[\[\]]/.test(h.slice(i + 1))) h = h.slice(0, i);
  }
  return h.replace(/^[\[\]]+|[\[\]]+$/g, '').toLowerCase();
}

// cookieDomains is Go's cookieDomains with the configured domain standing
// in for the public-suffix list: "" (host-only), the host, and its parents
// down to (and with) the configured domain when the host lies under it.
function cookieDomains(host, domain) {
  const out = [''];
  if (host === '' || isIP(host) || !isCookieDomainName(host.replace(/^\./, ''))) return out;
  const dot = host.endsWith('.');
  const name = dot ? host.slice(0, -1) : host;
  // A single label (localhost, com) is a public suffix to Go's list too.
  if (!name.includes('.')) return out;
  const under = domain !== '' && (name === domain || name.endsWith('.' + domain));
  for (let d = name; d !== '' && out.length < MAX_TWIN_FORMS;) {
    out.push(dot ? d + '.' : d);
    const i = d.indexOf('.');
    if (!under || d === domain || i < 0) break;
    d = d.slice(i + 1);
  }
  return out;
}

// The bytes of a cookie Path that Go's net/http writes: printable ASCII but ';'.
const PATH = /^[\x20-\x3a\x3c-\x7e]*$/;
const SAME_SITE = new Set(['Lax', 'Strict', 'None', '']);
const SAME_SITE_SPELLING = new Map([...SAME_SITE].map((v) => [v.toLowerCase(), v]));

// checkCookieConfig refuses, as Go's NewStore does (Config.normalize), a
// configuration whose Set-Cookie lines browsers would drop or that would
// inject attributes into them.
function checkCookieConfig({ name, path, domain, insecure, sameSite }) {
  const bad = (why) => new RangeError(`cookiesession: SessionStore: ${why}`);
  if (typeof name !== 'string' || !TOKEN.test(name)) throw bad(`name ${JSON.stringify(name)} is not a cookie name (an RFC 7230 token)`);
  if (typeof path !== 'string' || !path.startsWith('/')) throw bad(`path ${JSON.stringify(path)} does not start with /`);
  if (!PATH.test(path)) throw bad(`path ${JSON.stringify(path)} has a control character, ';' or a character beyond ASCII`);
  if (!SAME_SITE.has(sameSite)) throw bad(`sameSite ${JSON.stringify(sameSite)} is not 'Lax', 'Strict', 'None' or ''`);
  if (sameSite === 'None' && insecure) throw bad('sameSite None requires Secure; unset insecure');
  // Cookie prefixes are promises browsers enforce: refuse a configuration
  // that breaks them rather than have every cookie dropped.
  if (name.startsWith('__Host-')) {
    if (insecure || domain !== '' || path !== '/') {
      throw bad('a __Host- cookie needs Secure, path / and no domain; to share it with subdomains use a __Secure- name');
    }
  } else if (name.startsWith('__Secure-')) {
    if (insecure) throw bad('a __Secure- cookie needs Secure; unset insecure');
  } else if (/^__(host|secure)-/i.test(name)) {
    throw bad(`name ${JSON.stringify(name)}: write the prefix as __Host- or __Secure-`);
  }
  if (domain !== '') checkDomain(domain, bad);
}

// checkDomain refuses a cookie domain that would share the session beyond
// one site, or that browsers drop, as Go's checkDomain and net/http do.
// Go also refuses every public suffix ("co.uk", "github.io") from its
// list; without that list, only single-label domains are (every one of
// which Go refuses too: an unlisted top-level domain is a public suffix).
function checkDomain(d, bad) {
  if (d.endsWith('.')) throw bad(`domain ${JSON.stringify(d)} ends with a dot; write it without`);
  if (d === 'localhost') {
    throw bad(`domain "localhost" cannot be shared (browsers treat it as a top-level domain); use a name under it, such as example.localhost, or leave domain empty`);
  }
  if (isIP(d.replace(/^\[+|\]+$/g, ''))) throw bad(`domain ${JSON.stringify(d)} is an IP address; leave domain empty for a host-only cookie`);
  if (endsInNumber(d)) {
    // Browsers parse such a host as an IPv4 address (0x7f.0.0.1 is
    // 127.0.0.1: WHATWG URL, "ends in a number"), where a Domain is refused.
    throw bad(`domain ${JSON.stringify(d)} ends in a number, which browsers read as an IPv4 address; leave domain empty for a host-only cookie`);
  }
  if (!isCookieDomainName(d)) throw bad(`domain ${JSON.stringify(d)} is not a domain name`);
  if (!d.includes('.')) throw bad(`domain ${JSON.stringify(d)} is a public suffix; use your registrable domain`);
}

// endsInNumber reports whether a browser parses host d as an IPv4 address:
// its last label is decimal digits, or 0x and hexadecimal digits, as Go's
// endsInNumber.
function endsInNumber(d) {
  const last = d.slice(d.lastIndexOf('.') + 1).toLowerCase();
  if (last.startsWith('0x')) return /^[0-9a-f]*$/.test(last.slice(2));
  return /^[0-9]+$/.test(last);
}

// isCookieDomainName is net/http's check of a Cookie's Domain: labels of
// ASCII letters, digits and inner hyphens, at most 63 bytes each, 255 in
// all, and at least one letter.
function isCookieDomainName(s) {
  if (s.length === 0 || s.length > 255) return false;
  let last = '.';
  let letter = false;
  let partlen = 0;
  for (const c of s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
      partlen++;
    } else if (c >= '0' && c <= '9') {
      partlen++;
    } else if (c === '-') {
      if (last === '.') return false;
      partlen++;
    } else if (c === '.') {
      if (last === '.' || last === '-' || partlen > 63 || partlen === 0) return false;
      partlen = 0;
    } else {
      return false;
    }
    last = c;
  }
  return last !== '-' && partlen <= 63 && letter;
}

// envelopeSerializer wraps a serializer so that opening also reports, for
// CBOR, the major type of each envelope member: Go reads created into an
// int64, which takes an integer but refuses a float.
function envelopeSerializer(ser) {
  const env = {
    name: ser.name,
    serialize: (v) => ser.serialize(v),
    deserialize(b) {
      if (ser === cbor) return decodeCBORWithMajors(b);
      if (ser !== json) return { value: ser.deserialize(b), majors: null };
      // JSON: every member in order, numbers as written, so that the
      // envelope is read as Go's encoding/json reads it into its struct.
      let value;
      try {
        value = parseJSON(b, { maxDepth: MAX_NESTING, duplicates: 'last', entries: true, number: (t) => new RawNumber(t) });
      } catch (e) {
        throw new MalformedError(`payload is not valid JSON: ${e.message}`);
      }
      return { value, majors: null };
    },
  };
  // The envelope copies what it keeps exactly when the inner serializer does.
  return ownsBuffers(ser) ? markOwned(env) : env;
}

// unraw turns what the JSON envelope reader parsed into the values the
// JSON serializer gives: numbers as values, no member lists.
function unraw(v) {
  if (v instanceof RawNumber) return losslessNumber(v.text);
  if (Array.isArray(v)) return v.map(unraw);
  if (v !== null && typeof v === 'object') {
    delete v[MEMBERS];
    for (const k of Object.keys(v)) v[k] = unraw(v[k]);
  }
  return v;
}

// envelope is what a session seals, as the Go store writes it (FORMAT.md,
// "Session payload"): members 4 (flashes) and 5 (the cookie choice) only
// when they hold something, so that a session without them seals as the
// three-member map a reader that predates them knows.
function envelope(id, created, data, flashes, persistent, ser) {
  if (ser === 'json') {
    const env = { id, created, data: data === undefined ? null : data };
    if (flashes.length > 0) env.flashes = flashes.map((f) => ({ kind: f.kind, text: f.text }));
    if (persistent !== null) env.persistent = persistent;
    return env;
  }
  // CBOR: a map with integer keys, flashes as maps {1: kind, 2: text}.
  const env = new Map([[1, id], [2, created], [3, data === undefined ? null : data]]);
  if (flashes.length > 0) env.set(4, flashes.map((f) => new Map([[1, f.kind], [2, f.text]])));
  if (persistent !== null) env.set(5, persistent);
  return env;
}

/** The most flashes a session holds at once, as in the Go package. */
export const MAX_FLASHES = 16;
/** The most bytes of kind plus text over all of a session's flashes. */
export const MAX_FLASH_BYTES = 1024;

// openedFlashes holds, for each flashes array that a load returned, how
// many flashes it opened with. FORMAT.md's bounds bind the writer that
// adds flashes: a reader opens more (another writer's), and what opened
// seals again, so an array sealed as it was opened is held to no bound,
// and one that grew past its opened length (or any other) to the bounds.
const openedFlashes = new WeakMap();

function opened(flashes) {
  openedFlashes.set(flashes, flashes.length);
  return flashes;
}

// checkFlashes holds the flashes a session seals to the Go package's
// bounds: they travel in the cookie on every request until read.
function checkFlashes(flashes) {
  if (!Array.isArray(flashes)) throw new TypeError('cookiesession: flashes is an array of {kind, text}');
  const asOpened = flashes.length <= (openedFlashes.get(flashes) ?? -1);
  if (!asOpened && flashes.length > MAX_FLASHES) throw new TooLargeError('flashes', flashes.length, MAX_FLASHES, 'flashes');
  let size = 0;
  for (const f of flashes) {
    if (f === null || typeof f !== 'object' || typeof f.kind !== 'string' || typeof f.text !== 'string') {
      throw new TypeError('cookiesession: a flash is {kind: string, text: string}');
    }
    size += Buffer.byteLength(f.kind) + Buffer.byteLength(f.text);
  }
  if (!asOpened && size > MAX_FLASH_BYTES) throw new TooLargeError('flashes', size, MAX_FLASH_BYTES);
  return flashes;
}

// atOrAfter reports whether now (nanoseconds) is at or after sec seconds
// plus a duration of seconds and the skew (nanoseconds, never negative),
// as Go's atOrAfter: a deadline beyond what signed 64-bit seconds hold
// counts as reached, so the check fails closed rather than open a session
// no Go server opens.
function atOrAfter(now, sec, seconds, skew) {
  return beyondInt64(sec, seconds, skew) || !(now < (sec + BigInt(seconds)) * NS + skew);
}

// beyondInt64 reports whether sec seconds plus a duration of seconds and
// the skew (nanoseconds) is past the last signed 64-bit second.
function beyondInt64(sec, seconds, skew) {
  return sec > MAX_I64 - (BigInt(seconds) + skew / NS);
}

function withHeader(err, header) {
  err.header = header;
  return err;
}

const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

function int64Of(v) {
  if (v === undefined || v === null) return 0n;
  if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint') {
    const b = BigInt(v);
    if (b >= MIN_I64 && b <= MAX_I64) return b;
  }
  throw new MalformedError('session created time is not a 64-bit integer');
}

/**
 * Reads the Go store's envelope from a deserialized payload. majors, when
 * known, gives the CBOR major type of each member (see decodeCBORWithMajors).
 * Members the reader does not know are skipped, as in Go.
 * @returns {{id: Uint8Array, created: bigint, data: unknown, flashes: {kind: string, text: string}[], persistent: boolean | null}}
 */
export function readEnvelope(v, ser = 'cbor', majors = null) {
  let id;
  let created;
  let data;
  let flashes;
  let persistent;
  if (ser === 'json') {
    return readJSONEnvelope(v);
  } else {
    if (!(v instanceof Map)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
        v = new Map(); // a map of text keys only: no envelope field is present
      } else {
        throw new MalformedError('session payload is not a map');
      }
    }
    id = v.get(1) ?? new Uint8Array(0);
    created = v.get(2);
    // Only an integer (major type 0 or 1, or a bignum tag) reads as one.
    if (majors && majors.has(2) && ![0, 1, 6, 7].includes(majors.get(2))) throw new MalformedError('session created time is not an integer');
    if (majors && majors.get(2) === 7 && created !== null && created !== undefined) {
      throw new MalformedError('session created time is not an integer');
    }
    data = v.get(3);
    flashes = v.get(4);
    persistent = v.get(5);
  }
  if (majors && majors.badKey) throw new MalformedError(majors.badKey);
  if (!(id instanceof Uint8Array)) throw new MalformedError('session id is not a byte string');
  if (id.length !== SESSION_ID_LENGTH) throw new MalformedError(`session id of ${id.length} bytes`);
  if (persistent === undefined) persistent = null;
  if (persistent !== null && typeof persistent !== 'boolean') throw new MalformedError('session cookie choice is not a boolean');
  return { id, created: int64Of(created), data: data ?? null, flashes: readFlashes(flashes, ser), persistent };
}

// readFlashes reads member 4: an array of flashes, each a map {1: kind,
// 2: text} (JSON: {"kind", "text"}) of text strings. null, or a member
// left out, is none; a flash's other members are skipped.
function readFlashes(v, ser) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MalformedError('session flashes are not an array');
  return v.map((f) => {
    let kind;
    let text;
    if (f === null || f === undefined) return { kind: '', text: '' };
    if (ser !== 'json' && f instanceof Map) {
      kind = f.get(1);
      text = f.get(2);
    } else if (typeof f === 'object' && !Array.isArray(f) && !(f instanceof Uint8Array) && !(f instanceof Map)) {
      // JSON names; in CBOR, a map of text keys only has neither member.
      kind = ser === 'json' ? f.kind : undefined;
      text = ser === 'json' ? f.text : undefined;
    } else {
      throw new MalformedError('a session flash is not a map');
    }
    kind ??= '';
    text ??= '';
    if (typeof kind !== 'string' || typeof text !== 'string') throw new MalformedError('a session flash is not text');
    return { kind, text };
  });
}

// Go's encoding/json matches a member to a struct field by its name,
// exactly or else case-insensitively under Unicode simple folding, in
// which only U+017F (long s) and U+212A (Kelvin sign) fold to ASCII
// letters: "ID", "Created" and "per\u017fistent" are the fields too.
function foldName(s) {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase()).replace(/\u017f/g, 'S').replace(/\u212a/g, 'K');
}

function fieldOf(name, fields) {
  const f = foldName(name);
  return fields.find((x) => foldName(x) === f);
}

const ENVELOPE_FIELDS = ['id', 'created', 'data', 'flashes', 'persistent'];
const FLASH_FIELDS = ['kind', 'text'];
const INT64_LITERAL = /^-?(0|[1-9][0-9]*)$/;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawNumber);

/**
 * Reads the JSON envelope (parsed with member lists and raw numbers) as
 * Go's encoding/json decodes it into the store's struct: every member in
 * order, a later one of a field overriding an earlier one, null leaving
 * an id, a cookie choice and the flashes empty but a created time or a
 * flash's text as they were, a repeated flashes array decoding into the
 * flashes the earlier one left, and any member of the wrong type making
 * the whole payload malformed, even one a later member overrides. Members
 * of other names are skipped.
 */
function readJSONEnvelope(v) {
  const bad = (what) => new MalformedError(`session ${what}`);
  if (v === null) throw bad('id of 0 bytes'); // null into a struct sets nothing
  if (!isObject(v)) throw bad('payload is not an object');
  let id = new Uint8Array(0);
  let created = 0n;
  let data = null;
  let store = []; // the flashes' backing array: Go reuses its elements
  let len = 0;
  let persistent = null;
  let err = null;
  const fail = (what) => {
    err ??= bad(what);
  };
  // Parsed here with its member list; an object from elsewhere (a caller
  // of readEnvelope) gives its own members.
  for (const [name, x] of v[MEMBERS] ?? Object.entries(v)) {
    switch (fieldOf(name, ENVELOPE_FIELDS)) {
      case 'id':
        if (x === null) id = new Uint8Array(0);
        else if (typeof x !== 'string') fail('id is not a byte string');
        else {
          const b = decodeStdLenient(x);
          if (b === null) fail('id is not base64');
          else id = b;
        }
        break;
      case 'created':
      {
        if (x === null) break;
        const n = x instanceof RawNumber ? (INT64_LITERAL.test(x.text) ? BigInt(x.text) : null)
          : Number.isSafeInteger(x) || typeof x === 'bigint' ? BigInt(x) : null;
        if (n === null) fail('created time is not an integer');
        else if (n < MIN_I64 || n > MAX_I64) fail('created time is not a 64-bit integer');
        else created = n;
        break;
      }
      case 'data':
        data = x;
        break;
      case 'flashes':
        if (x === null || (Array.isArray(x) && x.length === 0)) {
          store = [];
          len = 0;
          break;
        }
        if (!Array.isArray(x)) {
          fail('flashes are not an array');
          break;
        }
        x.forEach((f, i) => {
          const el = store[i] ?? { kind: '', text: '' };
          store[i] = el;
          if (f === null) return;
          if (!isObject(f)) {
            fail('flash is not an object');
            return;
          }
          for (const [n, t] of f[MEMBERS] ?? Object.entries(f)) {
            const field = fieldOf(n, FLASH_FIELDS);
            if (field === undefined || t === null) continue;
            if (typeof t !== 'string') fail('flash is not text');
            else el[field] = t;
          }
        });
        len = x.length;
        break;
      case 'persistent':
        if (x === null) persistent = null;
        else if (typeof x !== 'boolean') fail('cookie choice is not a boolean');
        else persistent = x;
        break;
      default:
        break; // a member this reader does not know
    }
  }
  if (err) throw err;
  if (id.length !== SESSION_ID_LENGTH) throw bad(`id of ${id.length} bytes`);
  const flashes = store.slice(0, len).map((f) => ({ kind: f.kind, text: f.text }));
  return { id, created, data: unraw(data), flashes, persistent };
}

// explainOtherName says, in the AbsentError e, when the Cookie header
// carries the store's session cookie under the name another configuration
// gives it, as Go's store does: "__Secure-session", which a store with a
// domain writes, reaching a store without one ("__Host-session"), or the
// other way round. The servers and services that share the session then
// disagree on domain (or path, or insecure). e.otherName is that name.
function explainOtherName(e, header, name) {
  // As Go's otherNames: the prefix swapped, or either prefix for a name
  // without one. A prefixed store does not look for the bare name, which
  // other applications' cookies often have ("session").
  const others = name.startsWith('__Host-') ? [`__Secure-${name.slice(7)}`]
    : name.startsWith('__Secure-') ? [`__Host-${name.slice(9)}`]
      : [`__Host-${name}`, `__Secure-${name}`];
  const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : [];
  for (const line of lines) {
    if (typeof line !== 'string' || !others.some((o) => line.includes(o))) continue;
    for (const part of line.split(';')) {
      const k = part.replace(/^[ \t]+|[ \t]+$/g, '').split('=', 1)[0];
      if (!others.includes(k)) continue;
      let why = "a name the store's cookie gets under another configuration";
      if (k.startsWith('__Secure-') && name.startsWith('__Host-')) {
        why = 'the name a store with a domain gives it (a __Host- cookie cannot carry a Domain)';
      } else if (k.startsWith('__Host-') && name.startsWith('__Secure-')) {
        why = 'the name a store without a domain gives it';
      }
      e.message = `cookiesession: no session cookie "${name}": the request carries "${k}", ${why}; ` +
        'every server and service that shares the session needs the same name, domain, path and insecure';
      e.otherName = k;
      return;
    }
  }
}
