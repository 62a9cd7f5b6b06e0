// Errors of the cookiesession format. Every failure to open a value is one
// of the classes of FORMAT.md, as a subclass of CookieSessionError with a
// `kind` equal to the class name of the spec (the vectors' `expect:`) and
// a Node-style `code`. Messages start with "cookiesession: " and never
// carry any part of a payload.

/** The base of every error this package throws for bad input. */
export class CookieSessionError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

function define(name, kind, message) {
  const C = class extends CookieSessionError {
    constructor(detail, options) {
      super(detail ? `${message}: ${detail}` : message, options);
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  C.prototype.kind = kind;
  C.prototype.code = 'COOKIESESSION_' + kind.toUpperCase().replaceAll('-', '_');
  return C;
}

/** The request carried no session cookie. */
export const AbsentError = define('AbsentError', 'absent', 'cookiesession: no session cookie');
/** Not a value of this format, or an authentic payload that does not deserialize. */
export const MalformedError = define('MalformedError', 'malformed', 'cookiesession: malformed value');
/** Authentication failed. Deliberately says nothing more. */
export const TamperedError = define('TamperedError', 'tampered', 'cookiesession: value failed authentication');
/** Expiry plus clock skew has passed. */
export const ExpiredError = define('ExpiredError', 'expired', 'cookiesession: value expired');
/** Issued further in the future than the clock skew. */
export const NotYetValidError = define('NotYetValidError', 'not-yet-valid', 'cookiesession: value issued in the future');
/** A version other than 1, or flags this version does not know. */
export const UnsupportedVersionError = define('UnsupportedVersionError', 'unsupported-version',
  'cookiesession: unsupported format version');
/** The chunk count differs from the number of cookies joined. */
export const IncompleteError = define('IncompleteError', 'incomplete', 'cookiesession: incomplete chunks');
/** The keyring holds no key that may seal at this time. */
export const NoPrimaryKeyError = define('NoPrimaryKeyError', 'no-primary-key', 'cookiesession: no primary key');

/** A key that cannot open the value: base of UnknownKeyError and RevokedKeyError. */
export class KeyError extends CookieSessionError {
  constructor(keyId, message) {
    super(`cookiesession: key ${keyId}: ${message}`);
    /** The key id, as 8 lowercase hex digits. */
    this.keyId = keyId;
  }
}

/** No key with this id in the keyring (never there, or deleted). */
export class UnknownKeyError extends KeyError {
  /** @param {string} keyId @param {string} [why] what the keyring knows of the id, as Go says it */
  constructor(keyId, why) { super(keyId, why ? `unknown key (${why})` : 'unknown key'); }
}
UnknownKeyError.prototype.kind = 'unknown-key';
UnknownKeyError.prototype.code = 'COOKIESESSION_UNKNOWN_KEY';

/** The key is revoked, or past its retire_after. */
export class RevokedKeyError extends KeyError {
  constructor(keyId) { super(keyId, 'revoked or retired key'); }
}
RevokedKeyError.prototype.kind = 'revoked-key';
RevokedKeyError.prototype.code = 'COOKIESESSION_REVOKED_KEY';

/** Something is longer than its limit. */
export class TooLargeError extends CookieSessionError {
  /**
   * @param {string} what what was measured: "value", "session cookies", "Cookie header", "chunk count", "flashes"
   * @param {number} size its size, in unit (with atLeast, a lower bound of it)
   * @param {number} limit the limit, in unit
   * @param {string} [unit] "bytes" by default, "chunks", "flashes", or "parts" (the own properties of the
   *   objects an encoding reached, each counted every time it is reached)
   * @param {{atLeast?: boolean}} [opts] atLeast: size is a lower bound, as the value was refused before
   *   it was encoded in full
   */
  constructor(what, size, limit, unit = 'bytes', { atLeast = false } = {}) {
    let s = `cookiesession: ${what} too large: ${atLeast ? 'at least ' : ''}${size} ${unit}, limit ${limit}`;
    // A value of a few kilobytes in memory can encode to gigabytes, and
    // the message says how, as nothing else would.
    if (atLeast) s += ' (a part held in several places, an object, an array or a string, is written once for each place that holds it)';
    else if (unit === 'parts') s += ' (an object held in several places is read once for each place that holds it)';
    super(s);
    this.what = what;
    this.size = size;
    this.limit = limit;
    this.unit = unit;
    /** Whether size is a lower bound: the value was refused before it was encoded in full. */
    this.atLeast = atLeast;
  }
}
TooLargeError.prototype.kind = 'too-large';
TooLargeError.prototype.code = 'COOKIESESSION_TOO_LARGE';

/** A keyring file or keyring that cannot be used. */
export class KeyringError extends CookieSessionError {
  /**
   * @param {{path?: string, key?: string, problem: string, cause?: unknown}} f
   */
  constructor({ path = '', key = '', problem, cause }) {
    let s = 'cookiesession: keyring';
    if (path) s += ' ' + path;
    if (key) s += ': key ' + key;
    s += ': ' + problem;
    if (cause instanceof Error) s += ': ' + cause.message;
    super(s, cause === undefined ? undefined : { cause });
    this.path = path;
    this.key = key;
    this.problem = problem;
  }
}
KeyringError.prototype.kind = 'invalid-keyring';
KeyringError.prototype.code = 'COOKIESESSION_INVALID_KEYRING';

/**
 * A keyring file that would make a key usable again that the keyring in
 * use has ended: revoked it, retired it past its retire_after, or pruned
 * it (listed it as deleted), as Go's ErrKeyRevived. A KeyringFile refuses
 * such a file (an old copy put back) and keeps the keyring in use. It is a
 * KeyringError (kind invalid-keyring) naming the key, with a code of its
 * own. To undo a revocation on purpose, rotate to a new key, or restart
 * every server with the file (a restart forgets which keys it saw ended).
 */
export class KeyRevivedError extends KeyringError {
  /**
   * @param {{path?: string, key: string, state: string}} f the file, the key's id and its state in the file
   */
  constructor({ path = '', key, state }) {
    super({
      path,
      key,
      problem: 'can no longer open sessions (revoked, or retired past its retire-after time), ' +
        `and this file makes it ${state} again (an old copy of the file?)`,
    });
    this.message += ': cookiesession: an ended key made usable again';
  }
}
KeyRevivedError.prototype.code = 'COOKIESESSION_KEY_REVIVED';

/** A keyring file whose mode lets its group or other users read it. */
export class PermissionError extends CookieSessionError {
  constructor(path, mode) {
    const m = (mode & 0o777).toString(8).padStart(4, '0');
    super(`cookiesession: keyring ${path} has mode ${m}, which lets group or others read the keys; ` +
      `run chmod 600 ${path} (on Kubernetes, set defaultMode: 0400 on the Secret volume; a pod with an fsGroup ` +
      'makes it 0440, which allowGroupReadable accepts), or accept it with allowReadableByOthers');
    this.path = path;
    this.mode = mode;
  }
}
PermissionError.prototype.kind = 'keyring-permissions';
PermissionError.prototype.code = 'COOKIESESSION_KEYRING_PERMISSIONS';
