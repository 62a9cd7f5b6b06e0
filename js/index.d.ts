// Types of the cookiesession package for Node.js (hand-written; the
// package is plain JavaScript). Times are BigInt Unix nanoseconds where
// precision matters, or Dates.

/** What a clock returns: a Date, or BigInt nanoseconds since the Unix epoch. */
export type Instant = Date | bigint;

// ---- Errors ---------------------------------------------------------------

/** The base of every error this package throws for bad input. */
export class CookieSessionError extends Error {
  /** The class of FORMAT.md ("malformed", "tampered", …; the vectors' expect:). */
  readonly kind: string;
  /** A Node-style code: "COOKIESESSION_MALFORMED", … */
  readonly code: string;
  /** For errors after authentication (expired, a payload that does not deserialize): the value's header. */
  header?: Header;
  /** On errors of SessionStore.load: how many chunk indexes the request carried. */
  carried?: number;
  /** On errors of SessionStore.load (and openCookieHeader): whether a chunk name came more than once (FORMAT.md, "Twins"). */
  twins?: boolean;
  /** On errors of SessionStore.load: the host given to load ('' without). */
  host?: string;
}
/** The request carried no session cookie. */
export class AbsentError extends CookieSessionError {
  readonly kind: 'absent';
  /**
   * Set by SessionStore.load when the Cookie header carries the store's
   * session cookie under the name another configuration gives it
   * ("__Secure-session" from a store with a domain, reaching one without):
   * the services that share the session disagree on domain, path or
   * insecure. The message says so.
   */
  readonly otherName?: string;
}
/** Not a value of this format, or an authentic payload that does not deserialize. */
export class MalformedError extends CookieSessionError { readonly kind: 'malformed'; }
/** Authentication failed; deliberately says nothing more. */
export class TamperedError extends CookieSessionError { readonly kind: 'tampered'; }
/** Expiry plus clock skew has passed. */
export class ExpiredError extends CookieSessionError { readonly kind: 'expired'; }
/** Issued further in the future than the clock skew. */
export class NotYetValidError extends CookieSessionError { readonly kind: 'not-yet-valid'; }
/** A format version other than 1, or unknown flags. */
export class UnsupportedVersionError extends CookieSessionError { readonly kind: 'unsupported-version'; }
/** The chunk count differs from the number of cookies joined. */
export class IncompleteError extends CookieSessionError { readonly kind: 'incomplete'; }
/** No key may seal at this time. */
export class NoPrimaryKeyError extends CookieSessionError { readonly kind: 'no-primary-key'; }
/** A key that cannot open the value. */
export class KeyError extends CookieSessionError {
  /** The key id, 8 lowercase hex digits. */
  readonly keyId: string;
}
/** No key with this id in the keyring (never there, or deleted). */
export class UnknownKeyError extends KeyError { readonly kind: 'unknown-key'; }
/** The key is revoked, or past its retire_after. */
export class RevokedKeyError extends KeyError { readonly kind: 'revoked-key'; }
/** Something is longer than its limit. */
export class TooLargeError extends CookieSessionError {
  readonly kind: 'too-large';
  /** What was measured: "value", "session cookies", "Cookie header", "chunk count", "flashes". */
  readonly what: string;
  /** Its size, in unit; a lower bound of it when atLeast is set. */
  readonly size: number;
  readonly limit: number;
  /**
   * "bytes", "chunks", "flashes", or "parts": the own properties of the
   * objects an encoding reached (those not enumerable and symbol-keyed
   * too), each counted every time it is reached (an object held in
   * several places is read once for each), bounded at 1 MiB of them, as
   * a property left out writes nothing for the byte bound to weigh.
   */
  readonly unit: string;
  /**
   * Whether size is a lower bound: the value was refused before it was
   * encoded in full, once its encoding passed 1 MiB (1048576 bytes, more
   * than any Codec seals), with limit 1048576. A part held in several
   * places (a tree whose nodes share their children, an array of many
   * references to one long string) is written once for each place that
   * holds it, so that a value small in memory may encode to gigabytes:
   * sealing stops there, having spent the time and memory of about 1 MiB
   * of output. False for every other TooLargeError.
   */
  readonly atLeast: boolean;
  constructor(what: string, size: number, limit: number, unit?: string, opts?: { atLeast?: boolean });
}
/** A keyring file, or keyring, that cannot be used. */
export class KeyringError extends CookieSessionError {
  readonly kind: 'invalid-keyring';
  /** The file, or "" when parsed from memory. */
  readonly path: string;
  /** The key id as written, "#N" for a key without a usable id, or "" for the whole file. */
  readonly key: string;
  readonly problem: string;
}
/**
 * A keyring file that would make a key usable again that the keyring in
 * use has ended (revoked, retired past its retire_after, or deleted), or
 * that an earlier reload saw ended: KeyringFile.reload refuses it and keeps
 * the keyring in use (Go's ErrKeyRevived). `key` names the key.
 */
export class KeyRevivedError extends KeyringError {
  readonly code: 'COOKIESESSION_KEY_REVIVED';
}
/** A keyring file whose mode lets its group or other users read it. */
export class PermissionError extends CookieSessionError {
  readonly kind: 'keyring-permissions';
  readonly path: string;
  readonly mode: number;
}

// ---- Keys -----------------------------------------------------------------

export type KeyState = 'active' | 'retired' | 'revoked';

/** One key of a keyring; its secret is not reachable from it. */
export class Key {
  readonly id: string;
  readonly state: KeyState;
  readonly created: bigint;
  readonly activatesAt: bigint;
  /** null when the key has none. */
  readonly retireAfter: bigint | null;
  canOpen(now: bigint): boolean;
  pending(now: bigint): boolean;
}

/** Anything that supplies the keyring to use: a Keyring or a KeyringFile. */
export interface KeySource {
  keyring(): Keyring;
}

/** An immutable set of keys. */
export class Keyring implements KeySource {
  keys(): Key[];
  deleted(): string[];
  key(id: string): Key | undefined;
  isDeleted(id: string): boolean;
  keyring(): Keyring;
  /** The key that seals at now; throws NoPrimaryKeyError when there is none. */
  primary(now: bigint): Key;
}

export interface KeyringFileOptions {
  /** Accept a file its group may read (mode 0440 or 0640), as a Kubernetes pod with an fsGroup gets. */
  allowGroupReadable?: boolean;
  /** Accept any mode. */
  allowReadableByOthers?: boolean;
}

/** Parses a keyring file's contents; throws KeyringError. */
export function parseKeyring(data: Uint8Array | string, opts?: { path?: string }): Keyring;
/** Reads and parses a keyring file under the permission rules. */
export function loadKeyringSync(path: string, opts?: KeyringFileOptions): Keyring;
export function loadKeyring(path: string, opts?: KeyringFileOptions): Promise<Keyring>;
export function isKeyId(s: unknown): boolean;

export interface ReloadEvent {
  path: string;
  outcome: 'reloaded' | 'unchanged' | 'rejected';
  /** Why the file was rejected; null otherwise. */
  error: Error | null;
  /** The keyring in use after the check. */
  keyring: Keyring;
}

export interface KeyringFileConfig extends KeyringFileOptions {
  /** Milliseconds between checks once started. Default 5000. */
  interval?: number;
  /** Least milliseconds between reloads that values naming unknown keys trigger. Default 1000; negative: never. */
  unknownKeyReloadInterval?: number;
  onReload?: (ev: ReloadEvent) => void;
  now?: () => Instant;
}

/**
 * A key source that follows a keyring file as it changes. A changed file
 * is taken only if it parses, passes the permission rules, has a primary
 * key, and brings back no key that has ended (KeyRevivedError); until one
 * is, the last good keyring stays in use.
 */
export class KeyringFile implements KeySource {
  /** Reads the file once; throws if it is not a usable keyring. Starts nothing. */
  constructor(path: string, config?: KeyringFileConfig);
  readonly path: string;
  keyring(): Keyring;
  /** Checks the file every interval (an unref'd timer) until close(). */
  start(): this;
  close(): void;
  /** Checks the file now: null when in use, else why it was rejected. */
  reload(): Error | null;
  /** Why the last check rejected the file, or null: while set, the keyring in use is older than the file. */
  lastError(): Error | null;
}

// ---- Values ---------------------------------------------------------------

/**
 * A serializer: "cbor" (the default), "json", or your own. A Codec never
 * zeroes what your serialize returns, nor the plaintext your deserialize
 * was given, which is a buffer of its own that values may view; it wipes
 * only the buffers of the package's own serializers.
 */
export interface Serializer {
  name?: string;
  serialize(v: unknown): Uint8Array;
  deserialize(b: Uint8Array): unknown;
}
/**
 * The package's serializers refuse, before anything is sealed, a value
 * that could not be opened again, or would open as another value: a
 * TypeError for what has no form in the format or comes back different
 * (see encodeCBOR; with json also a Map, NaN and the infinities, functions
 * and symbols), and for a value that holds itself (an object, array, Map
 * or Tagged inside itself); a RangeError past 32 levels of nesting (and,
 * with cbor, past 65536 elements of an array or entries of a map); a
 * TooLargeError (atLeast) once the encoding passes 1 MiB. No message
 * quotes the value. What is not written, by design, as JSON.stringify and
 * structuredClone leave it: symbol keys and properties that are not
 * enumerable. undefined is written as null by cbor, and by json in an
 * array, while json leaves an undefined member out. -0 comes back -0
 * from both (json writes it as -0, as Go's encoding/json does). A toJSON
 * is called once, as JSON.stringify calls it: what it returns is written
 * as it is, without calling its own toJSON.
 */
export const cbor: Serializer;
export const json: Serializer;

/** The authenticated header of an opened value. */
export interface Header {
  keyId: string;
  issuedAt: Date;
  expires: Date;
  issuedAtUnix: bigint;
  expiresUnix: bigint;
  chunks: number;
  /** For JSON.stringify (not enumerable): times as RFC 3339 text, Unix seconds as decimal strings. */
  toJSON(): HeaderJSON;
}

/** What JSON.stringify writes for a Header. */
export interface HeaderJSON {
  keyId: string;
  /** RFC 3339 in UTC; null beyond years 0000-9999. */
  issuedAt: string | null;
  expires: string | null;
  /** Unix seconds, in decimal. */
  issuedAtUnix: string;
  expiresUnix: string;
  chunks: number;
}

export interface CodecOptions {
  /** Bound into every value: a value of one purpose never opens for another. At most 1024 bytes. Default "". */
  purpose?: string;
  /**
   * Seconds a sealed value stays valid, from 1 to 2^32 - 1; may have a
   * fraction (1.5). Both ends of the lifetime round down to whole seconds,
   * as FORMAT.md's Sealing says. Default 86400.
   */
  maxAge?: number;
  /** Seconds the servers' clocks may disagree. Default 60; 0 means none. */
  clockSkew?: number;
  /** The longest value, in bytes, sealed or opened. Default 4096; 80 to 1048576. */
  maxLength?: number;
  serializer?: 'cbor' | 'json' | Serializer;
  now?: () => Instant;
  /** The nonce source; default crypto.randomBytes. */
  random?: (n: number) => Uint8Array;
}

/** Seals and opens single values. */
export class Codec {
  constructor(keys: KeySource, opts?: CodecOptions);
  seal(name: string, value: unknown): string;
  /** An undefined or null value (no such cookie) throws an AbsentError. */
  open(name: string, value: string | undefined | null): { value: unknown; header: Header };
  openChunks(name: string, chunks: string[]): { value: unknown; header: Header };
  /** For each key that opened a value through this codec: how many, and when the last; by key id. */
  keyUsage(): KeyUsage[];
}

/**
 * Reads the value of the cookie `name`, split or not, from a request's
 * Cookie header(s) as the Go store does (FORMAT.md, Chunking, Reading),
 * and opens it with `codec` (whose maxLength is the session layer's
 * maxSize). Of the candidates that open, the one issued last wins; when
 * none does, throws the first one's failure, and AbsentError when there
 * is no cookie of that name. `check` runs on each candidate that opened
 * and may throw to refuse it. The result and every error carry `carried`.
 */
export function openCookieHeader<R = { value: unknown; header: Header }>(
  codec: Codec,
  header: string | string[] | undefined | null,
  name: string,
  opts?: { chunkSize?: number; maxSize?: number; check?: (r: { value: unknown; header: Header }) => R | void },
): R & { carried: number; twins: boolean };
/**
 * Opens the bearer token of a request's Authorization header(s) as the Go
 * store reads it (FORMAT.md, Bearer tokens): sealed under "Bearer " + name
 * (or tokenName), at most maxSize bytes (default: codec.maxLength), never
 * split. Pass req.headersDistinct.authorization, as Node's req.headers
 * keeps only the first of two headers. Throws AbsentError without a token
 * (no header, or another scheme), TooLargeError, MalformedError, or the
 * failure of opening the value.
 */
export function openBearerToken(
  codec: Codec,
  authorization: string | string[] | undefined,
  name: string,
  opts?: { maxSize?: number; tokenName?: string },
): { value: unknown; header: Header };
/** How many values a key opened through a codec, and when the last did. */
export interface KeyUsage {
  id: string;
  opened: number;
  lastSeen: Date;
  lastSeenUnixNano: bigint;
}
/**
 * A node:http handler serving the key usage of a SessionStore or Codec as
 * JSON, as the Go store's KeyUsageHandler does, for `cookiesession keyring
 * usage`: {keys: [{id, opened, last_seen}], loaded: [ids], keyring_error?}.
 * GET and HEAD only; mount it on an internal listener.
 */
export function keyUsageHandler(
  source: SessionStore | Codec,
): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
/** The chunk limit L: min(255, floor(maxSize / chunkSize) + 1). */
export function chunkLimit(chunkSize: number, maxSize: number): number;

/** How many cookies a value says it is split over (not yet authenticated). */
export function peekChunks(value: string): number;
export const OVERHEAD: number;
export const MAX_CHUNKS: number;

// ---- Chunks and the Cookie header -------------------------------------------

export const BROWSER_COOKIE_LIMIT: number;
export const MAX_CANDIDATES: number;
export const MAX_COOKIE_HEADER: number;
export function chunkName(name: string, i: number): string;
export function chunkCount(name: string, encLen: number, chunkSize: number, limit?: number): number;
export function splitValue(name: string, value: string, chunkSize?: number): string[];
export function joinChunks(chunks: string[]): string;
/** The values of name, name.1, … in a Cookie header, per index, at most MAX_CANDIDATES each. */
export function scanCookies(header: string | string[] | undefined | null, name: string, maxChunks?: number): string[][];

// ---- Sessions of the Go store ------------------------------------------------

export const SESSION_ID_LENGTH: 16;
/** The most flashes a session holds at once. */
export const MAX_FLASHES: 16;
/** The most bytes of kind plus text over all of a session's flashes. */
export const MAX_FLASH_BYTES: 1024;

/** A message for the user's next page, kept in the session until read (Go's Flash). */
export interface Flash {
  /** The application's own category: "info", "error", … */
  kind: string;
  text: string;
}

export interface SessionStoreOptions {
  /**
   * Default "__Host-session", or "__Secure-session" with a domain or a path
   * other than "/", or "session" when insecure. An RFC 7230 token; a
   * "__Host-" name needs Secure, path "/" and no domain, a "__Secure-" name
   * Secure.
   */
  name?: string;
  /**
   * Shares the session with subdomains: a registrable domain. An IP address,
   * "localhost", a single label ("com") or a name with a final dot is
   * refused; longer public suffixes ("co.uk") are not detected.
   */
  domain?: string;
  /** Default "/". Starts with "/"; printable ASCII without ";". */
  path?: string;
  insecure?: boolean;
  scriptAccess?: boolean;
  /** Default 'Lax'; '' writes no SameSite attribute. 'None' needs Secure. */
  sameSite?: 'Lax' | 'Strict' | 'None' | '';
  /** Absolute lifetime in whole seconds, from 2 to 400 days' worth. Default (and 0): 7 days, as Go's. */
  lifetime?: number;
  /**
   * Cookies of a session that made no choice (persistent null) are
   * browser-session cookies, without Max-Age, as Go's BrowserSessionCookies.
   * Default false: they carry a Max-Age.
   */
  browserSessionCookies?: boolean;
  /** Idle timeout in whole seconds. Default (and 0): 86400, as Go's; negative: none. */
  idleTimeout?: number;
  clockSkew?: number;
  /** Bytes of name plus value per cookie. Default 3800. */
  chunkSize?: number;
  /** Bytes the cookies may add to a Cookie header, and the longest bearer token. Default 6144. */
  maxSize?: number;
  purpose?: string;
  /** Seal and open bearer tokens under the cookie name, not "Bearer " + name, as Go's Config.ShareTokenAndCookie. */
  shareTokenAndCookie?: boolean;
  serializer?: 'cbor' | 'json' | Serializer;
  now?: () => Instant;
  random?: (n: number) => Uint8Array;
}

export interface LoadedSession<T = unknown> {
  id: Uint8Array;
  created: Date;
  createdUnix: bigint;
  data: T;
  /** Messages not yet read, oldest first (envelope member 4); [] when none. Save with flashes: [] once shown. */
  flashes: Flash[];
  /** The session's cookie choice (member 5): true for cookies with a Max-Age, false for browser-session ones, null for the store's default. */
  persistent: boolean | null;
  keyId: string;
  header: Header;
  /** The Go store would re-seal it: its key is not the primary, or half its idle window is used. */
  reseal: boolean;
  /** How many chunk indexes the request carried. */
  carried: number;
  /** Whether a chunk name came more than once (a host-only cookie beside a Domain one: FORMAT.md, "Twins"). */
  twins: boolean;
  /** The host given to load ('' without): where twins may sit. */
  host: string;
}

/** What setCookieHeaders and clearCookieHeaders take as carried: a count, or what load gave. */
export type Carried = number | { carried?: number; twins?: boolean; host?: string };

export interface SealedSession {
  id: Uint8Array;
  createdUnix: bigint;
  keyId: string;
  /** Whether the cookies carry a Max-Age: the session's choice, or else the store's default. */
  persistent: boolean;
  /** The cookies' Max-Age, in seconds; 0 for browser-session cookies, which have none. */
  maxAge: number;
  cookies: { name: string; value: string }[];
}

/** What SessionStore.seal takes; a LoadedSession, changed or not, is one. */
export interface SessionToSeal {
  /** A new random one when left out. */
  id?: Uint8Array;
  /** Now when left out (createdUnix wins over created). */
  created?: Date;
  createdUnix?: bigint | number;
  data: unknown;
  /** Sealed as envelope member 4 when not empty. */
  flashes?: Flash[];
  /** Sealed as envelope member 5 when not null. */
  persistent?: boolean | null;
}

/** Loads and saves sessions as the Go Store writes them. */
export class SessionStore {
  /** Throws RangeError for settings Go's NewStore refuses (see SessionStoreOptions). */
  constructor(keys: KeySource, opts?: SessionStoreOptions);
  readonly name: string;
  /** Throws AbsentError when the request carried no session, or why it cannot be used. */
  load<T = unknown>(cookieHeader: string | string[] | undefined | null, opts?: { host?: string }): LoadedSession<T>;
  /** Throws TooLargeError for more than MAX_FLASHES flashes or MAX_FLASH_BYTES of them, or cookies past maxSize. */
  seal(session: SessionToSeal): SealedSession;
  /**
   * Loads the session of a bearer token from the Authorization header(s)
   * (pass req.headersDistinct.authorization), with the checks of load.
   * Throws AbsentError when there is no token, or why it cannot be used.
   */
  loadToken<T = unknown>(authorization: string | string[] | undefined): Omit<LoadedSession<T>, 'carried' | 'twins' | 'host'>;
  /** Seals a session as a bearer token of at most maxSize bytes; throws TooLargeError past it. */
  sealToken(session: SessionToSeal): { id: Uint8Array; createdUnix: bigint; keyId: string; token: string };
  /** Also expires the chunks of a larger session carried, and, with twins (from carried or else session), every chunk in the other forms. */
  setCookieHeaders(session: SessionToSeal & { twins?: boolean; host?: string }, carried?: Carried): string[];
  /** Expires every chunk carried, chunk 0 in any case, and with twins every chunk in the other forms. */
  clearCookieHeaders(carried?: Carried): string[];
  /** The key usage of the store's codec (see keyUsageHandler). */
  keyUsage(): KeyUsage[];
  /** The Domain attributes ('' for host-only) other than the store's own under which twins may sit for a Host header. */
  twinDomains(host: string): string[];
}

/** Reads the Go store's envelope from a deserialized payload. */
export function readEnvelope(v: unknown, serializer?: 'cbor' | 'json'): {
  id: Uint8Array;
  created: bigint;
  data: unknown;
  flashes: Flash[];
  persistent: boolean | null;
};

// ---- CBOR and times ------------------------------------------------------------

export const MAX_NESTING: 32;
export const MAX_ELEMENTS: 65536;
/**
 * A CBOR tag other than the bignums (2, 3), which decode to BigInt. The
 * number is an integer from 0 to 2^64 − 1 (a BigInt beyond 2^53); tag 0
 * holds text, tag 1 an integer or a float.
 */
export class Tagged {
  constructor(tag: number | bigint, value: unknown);
  tag: number | bigint;
  value: unknown;
}
/** A CBOR simple value other than false, true, null and undefined: 0–19 or 32–255. */
export class Simple {
  constructor(value: number);
  value: number;
}
export function decodeCBOR(bytes: Uint8Array, limits?: { maxDepth?: number; maxElements?: number }): unknown;
/**
 * Throws RangeError beyond the nesting and element limits, and TypeError
 * for what has no CBOR form, or that the decoder would refuse or give back
 * as another value: a map whose keys encode as one key (1 and 1n, null and
 * undefined), a Simple outside 0–19 and 32–255, a Tagged whose number is
 * not an integer from 0 to 2^64 − 1, a Tagged of tag 2 or 3, a Tagged of
 * tag 0 around what is not text or of tag 1 around what is not an integer
 * (of at most 64 bits) or a float, once encoded, and a value that holds
 * itself; a JSONNumber that no double holds exactly (it would open as
 * another number; one of integer text is written as that integer) or
 * whose text is not a JSON number; a Date whose year is outside 0–9999,
 * which RFC 3339 cannot write; a revoked Proxy, and what passes for a
 * Date, a Uint8Array or a Map without being one (a Proxy of one), or a
 * detached Uint8Array. Throws TooLargeError, with atLeast set, once the
 * encoding passes 1 MiB, before it is written out in full, or (unit
 * "parts") once it has reached more than 1 MiB of objects' own
 * properties, each counted every time it is reached. undefined is written as null;
 * symbol keys and properties that are not enumerable are not written.
 */
export function encodeCBOR(v: unknown): Uint8Array;
/** RFC 3339 as FORMAT.md allows it, to BigInt nanoseconds; null when not. */
export function parseRFC3339(s: string): bigint | null;
export function formatRFC3339(ns: bigint): string;
