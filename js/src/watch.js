// A keyring file that is read again as it changes, so a Node service picks
// up a rotation without a restart, as the Go KeyringFile does.

import { createHash } from 'node:crypto';
import { readKeyringFileSync, parseKeyring } from './keyring.js';
import { KeyringError, KeyRevivedError, NoPrimaryKeyError } from './errors.js';
import { toNanos, systemNow, formatRFC3339 } from './time.js';

/**
 * A key source that follows a keyring file. keyring() never returns null
 * and never blocks. Each check reads the whole file through any symlinks
 * and compares a hash of it with the file in use: modification times and
 * file-system events miss editors that write in place and the swapped
 * symlinks of a Kubernetes Secret volume. A changed file must parse, pass
 * the permission rules, have a primary key, and not bring back a key that
 * has ended (KeyRevivedError, as Go's checkNotStale); until one does, the
 * last good keyring stays in use.
 *
 * Reads are synchronous: the file is at most 1 MiB and read once per
 * interval, and the early reload for an unknown key must answer the
 * request that saw it.
 */
export class KeyringFile {
  #path;
  #opts;
  #interval;
  #minEarly;
  #onReload;
  #now;
  #ring;
  #sum;
  // Ids of keys seen unable to open anything in a keyring in use (revoked,
  // retired past retire_after, or deleted): see #checkNotStale. Bounded by
  // the keys an operator ends, each of which was in a keyring file.
  #ended = new Set();
  #lastEarly = null;
  #lastError = null;
  #timer = null;

  /**
   * Reads the file once; throws if it is not a usable keyring. Starts
   * nothing: call start() to check it every interval.
   * @param {string} path
   * @param {object} [opts] see index.d.ts
   */
  constructor(path, opts = {}) {
    this.#path = path;
    this.#opts = { allowGroupReadable: opts.allowGroupReadable, allowReadableByOthers: opts.allowReadableByOthers };
    this.#interval = opts.interval ?? 5000;
    if (!(this.#interval > 0)) throw new RangeError('cookiesession: interval must be positive');
    this.#minEarly = opts.unknownKeyReloadInterval ?? 1000;
    this.#onReload = opts.onReload ?? null;
    const now = opts.now ?? systemNow;
    this.#now = () => toNanos(now());
    const { ring, sum } = this.#read();
    this.#use(ring, sum);
    this.#report({ path, outcome: 'reloaded', error: null, keyring: ring });
  }

  /** The path given to the constructor. */
  get path() {
    return this.#path;
  }

  /** The keyring in use. */
  keyring() {
    return this.#ring;
  }

  /**
   * The error of the last check that rejected the file, or null when the
   * last check took it (or found it unchanged): while it is set, the
   * server goes on with an older keyring than the file's. As Go's
   * KeyringFile.LastError; keyUsageHandler reports it.
   */
  lastError() {
    return this.#lastError;
  }

  /** Checks the file every interval until close(). The timer does not keep the process alive. */
  start() {
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#check(), this.#interval);
      this.#timer.unref();
    }
    return this;
  }

  /** Stops the checks; the keyring in use stays available. */
  close() {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Checks the file now. Returns null when the keyring in use matches the
   * file, and otherwise the error that rejected it.
   */
  reload() {
    return this.#check().error;
  }

  /**
   * @internal Called by a Codec for a value naming a key the keyring lacks:
   * at most one such reload per unknownKeyReloadInterval, never for a
   * deleted id, so forged values cannot make a server read its disk often.
   */
  reloadFor(id, ring) {
    if (this.#ring !== ring) return this.#ring;
    if (ring.isDeleted(id) || this.#minEarly < 0) return ring;
    // On the configured clock, in nanoseconds; a clock that went back
    // does not block reloads.
    const now = this.#now();
    const since = this.#lastEarly === null ? null : now - this.#lastEarly;
    if (since !== null && since >= 0n && since < BigInt(this.#minEarly) * 1_000_000n) return ring;
    this.#lastEarly = now;
    return this.#check().keyring;
  }

  #read() {
    const data = readKeyringFileSync(this.#path, this.#opts);
    try {
      const sum = createHash('sha256').update(data).digest('hex');
      if (this.#ring && sum === this.#sum) return { same: true };
      const ring = parseKeyring(data, { path: this.#path });
      const now = this.#now();
      // A file without a primary would make every server refuse to seal.
      try {
        ring.primary(now);
      } catch (e) {
        if (e instanceof NoPrimaryKeyError) {
          throw new KeyringError({ path: this.#path, problem: `no key can seal at ${formatRFC3339(now)}`, cause: e });
        }
        throw e;
      }
      this.#checkNotStale(ring, now);
      return { ring, sum };
    } finally {
      data.fill(0);
    }
  }

  #check() {
    const ev = { path: this.#path, outcome: 'unchanged', error: null, keyring: this.#ring };
    try {
      const r = this.#read();
      if (!r.same) {
        this.#use(r.ring, r.sum);
        ev.outcome = 'reloaded';
        ev.keyring = r.ring;
      }
    } catch (e) {
      ev.outcome = 'rejected';
      ev.error = e;
    }
    this.#lastError = ev.error;
    this.#report(ev);
    return ev;
  }

  // #checkNotStale refuses a file that would undo what the keyring in use
  // did: an old copy put back by configuration management, a Secret rolled
  // back. A revocation, or a retirement whose time has passed, is a promise
  // that the key's sessions are dead; a file from before it would bring
  // them back to life. A file that merely lacks keys is taken: replacing a
  // keyring with a new one is how an operator starts over.
  #checkNotStale(ring, now) {
    const cur = this.#ring;
    for (const k of ring.keys()) {
      if (!k.canOpen(now)) continue;
      let ended = this.#ended.has(k.id);
      if (cur) {
        const old = cur.key(k.id);
        if (cur.isDeleted(k.id) || (old !== undefined && !old.canOpen(now))) ended = true;
      }
      if (ended) throw new KeyRevivedError({ path: this.#path, key: k.id, state: k.state });
    }
  }

  // #use puts ring in use and remembers the keys that can no longer open
  // anything.
  #use(ring, sum) {
    const now = this.#now();
    // The keyring it replaces too: a key whose retire_after passed while
    // that keyring was in use ended then, and a file that leaves it out
    // must not let a later one bring it back.
    for (const r of [this.#ring, ring]) {
      if (!r) continue;
      for (const k of r.keys()) {
        if (!k.canOpen(now)) this.#ended.add(k.id);
      }
      for (const id of r.deleted()) this.#ended.add(id); // pruned: they could open nothing
    }
    this.#ring = ring;
    this.#sum = sum;
  }

  #report(ev) {
    if (this.#onReload) this.#onReload(ev);
  }
}
