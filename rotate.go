package cookiesession

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// The key lifecycle. A key is added pending (active, with an activation
// time still to come), becomes the primary when that time passes, stops
// being the primary when a newer key activates, keeps opening values until
// its retire-after time, and is then pruned: removed, its id remembered so
// that it is never used again. Revoking a key skips all that: it opens
// nothing from then on, and it stays in the keyring so that values sealed
// under it are refused as revoked rather than as unknown.
//
// Every operation takes the time as a parameter and returns a new keyring
// built and validated like one read from a file; the receiver never
// changes. None of them leaves the keyring without a primary at that time.

// Errors of the key lifecycle.
var (
	// ErrKeyPending means a rotation was asked for while a key is still
	// waiting for its activation time. Two pending keys would make the
	// first one primary only until the second activates, with nothing to
	// retire it: promote or revoke the pending key first, or wait.
	ErrKeyPending = errors.New("cookiesession: a key is already pending activation")

	// ErrLeavesNoPrimary means a change was refused because no key could
	// seal afterwards: at the time given, or, for a rotation, at some
	// moment before the new key activates.
	ErrLeavesNoPrimary = errors.New("cookiesession: the change would leave no primary key")
)

// Defaults of [RotateOptions].
const (
	// DefaultActivationDelay is how long after a rotation the new key
	// starts sealing. A [KeyringFile] sees a new file within seconds; the
	// hour leaves room for slower ways of shipping the file to every
	// server, such as a Kubernetes Secret volume (a minute or two) or a
	// configuration management run.
	DefaultActivationDelay = time.Hour

	// DefaultRetireAfter is how long the keys that sealed before a
	// rotation keep opening values once the new key activates. Thirty
	// days covers sessions whose absolute lifetime is up to thirty days,
	// and keeps a keyring rotated monthly at two or three keys.
	DefaultRetireAfter = 30 * 24 * time.Hour
)

// RotateOptions adjusts [Keyring.Rotate]. The zero value of every field
// means its default.
type RotateOptions struct {
	// ActivationDelay is how long after now the new key becomes the
	// primary. It must be longer than the new keyring file takes to reach
	// every server: a server that seals with a key the others do not have
	// yet logs its users out on those other servers. Default
	// DefaultActivationDelay; negative means at once.
	ActivationDelay time.Duration

	// RetireAfter is how long the keys that sealed until the rotation go
	// on opening values once the new key has activated. Make it at least
	// the longest lifetime of a sealed value (the session's absolute
	// lifetime, or CodecConfig.MaxAge) plus the clock skew, or sessions
	// sealed just before the activation end early. Sessions in use are
	// re-sealed under the primary long before. Default DefaultRetireAfter;
	// negative is an error.
	RetireAfter time.Duration
}

// Rotate returns a keyring with a new key, drawn from crypto/rand, that
// becomes the primary at now + ActivationDelay, rounded up to the second so
// that the delay the file has to reach every server never shrinks (with a
// negative ActivationDelay, at once: now rounded down to the second unless
// that would tie it with another key's activation, and just after a key
// activated at that very instant). Until then it is pending:
// it opens values (a server that already has it can open what a server
// with a fast clock sealed) but never seals. Every active key that has
// already activated is given a retire-after time of the new key's
// activation + RetireAfter, unless it already stops opening earlier; these
// keys stay active, so the current primary goes on sealing until the new
// key activates, and opening until it retires. Prune removes them after
// that.
//
// Rotate fails with [ErrKeyPending] if a key is already pending at now,
// and with [ErrLeavesNoPrimary] if some moment before the new key
// activates would have no primary. It returns the new key.
func (r *Keyring) Rotate(now time.Time, opts *RotateOptions) (*Keyring, Key, error) {
	return r.rotate(rand.Reader, now, opts)
}

func (r *Keyring) rotate(random io.Reader, now time.Time, opts *RotateOptions) (*Keyring, Key, error) {
	delay, retire := DefaultActivationDelay, DefaultRetireAfter
	if opts != nil {
		switch {
		case opts.ActivationDelay < 0:
			delay = 0
		case opts.ActivationDelay > 0:
			delay = opts.ActivationDelay
		}
		switch {
		case opts.RetireAfter < 0:
			return nil, Key{}, fmt.Errorf("cookiesession: RetireAfter %v is negative", opts.RetireAfter)
		case opts.RetireAfter > 0:
			retire = opts.RetireAfter
		}
	}
	for _, k := range r.keys {
		if k.Pending(now) {
			return nil, Key{}, fmt.Errorf("%w: key %s activates at %s", ErrKeyPending, k.ID, k.ActivatesAt.UTC().Format(time.RFC3339))
		}
	}

	at := now.Add(delay)
	if delay > 0 {
		// Round a later activation up, never down: the delay is the time
		// the file has to reach every server, and must not shrink.
		if up := at.Truncate(time.Second); up.Before(at) {
			at = up.Add(time.Second)
		}
	}
	activates := r.tidyActivation(at, -1)
	nk, err := generateKey(random, now, activates, func(id KeyID) bool {
		return r.index(id) >= 0 || slices.Contains(r.deleted, id)
	})
	if err != nil {
		return nil, Key{}, err
	}
	nk.ActivatesAt = activates

	retireAt := activates.Add(retire)
	keys := r.Keys()
	for i := range keys {
		k := &keys[i]
		if k.State == KeyActive && !k.Pending(now) && (k.RetireAfter.IsZero() || k.RetireAfter.After(retireAt)) {
			k.RetireAfter = retireAt
		}
	}
	ring, err := buildKeyring(append(keys, nk), r.deleted, "")
	if err != nil {
		return nil, Key{}, err
	}
	if t, ok := ring.gap(now, activates); ok {
		return nil, Key{}, fmt.Errorf("%w at %s", ErrLeavesNoPrimary, t.UTC().Format(time.RFC3339))
	}
	if p := ring.primary(activates); p < 0 || ring.keys[p].ID != nk.ID {
		return nil, Key{}, fmt.Errorf("cookiesession: the new key would not be the primary at its activation time %s",
			activates.Format(time.RFC3339))
	}
	return ring, nk, nil
}

// Promote returns a keyring in which the key id is the primary at now. The
// key becomes active with no retire-after time; unless it already is the
// primary, its activation time becomes now. The key that was the primary
// stays active and opens values; retire it to end that.
//
// Promote fails with an error matching [ErrUnknownKey] if there is no
// such key, and [ErrRevokedKey] if the key no longer opens values:
// reviving it would bring back every value sealed under it.
func (r *Keyring) Promote(id KeyID, now time.Time) (*Keyring, error) {
	i, err := r.openingKey(id, now)
	if err != nil {
		return nil, err
	}
	isPrimary := r.primary(now) == i
	if isPrimary && r.keys[i].RetireAfter.IsZero() {
		return r, nil
	}
	keys := r.Keys()
	k := &keys[i]
	k.State = KeyActive
	k.RetireAfter = time.Time{}
	if !isPrimary {
		k.ActivatesAt = r.tidyActivation(now, i)
	}
	ring, err := buildKeyring(keys, r.deleted, "")
	if err != nil {
		return nil, err
	}
	if ring.primary(now) != i {
		// Only a key activated at this very instant and created later
		// can win over it.
		return nil, fmt.Errorf("cookiesession: key %s cannot be made the primary at %s: another key activated at the same instant",
			id, now.UTC().Format(time.RFC3339))
	}
	return ring, nil
}

// Retire returns a keyring in which the key id is retired: it never seals
// again and opens values until the time until, which must be after its
// activation. An until at or before now retires it at once. Prune removes
// it once until has passed. Retiring a retired key changes its time.
//
// Retire fails with an error matching [ErrUnknownKey] if there is no such
// key, [ErrRevokedKey] if the key no longer opens values, and
// [ErrLeavesNoPrimary] if no key could seal at now without it.
func (r *Keyring) Retire(id KeyID, until, now time.Time) (*Keyring, error) {
	i, err := r.openingKey(id, now)
	if err != nil {
		return nil, err
	}
	k := r.keys[i]
	if !until.After(k.ActivatesAt) {
		return nil, fmt.Errorf("cookiesession: key %s activates at %s: it cannot retire at %s",
			id, k.ActivatesAt.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	}
	keys := r.Keys()
	keys[i].State = KeyRetired
	keys[i].RetireAfter = until.UTC()
	return r.rebuildKeepingPrimary(keys, id, now)
}

// Revoke returns a keyring in which the key id is revoked: it opens
// nothing from then on, which logs out every session sealed under it, and
// it is never pruned, so that those values keep failing with
// [ErrRevokedKey] rather than [ErrUnknownKey]. Revoking a revoked key
// changes nothing.
//
// Revoke fails with an error matching [ErrUnknownKey] if there is no such
// key, and [ErrLeavesNoPrimary] if no key could seal at now without it:
// to replace a compromised primary, rotate with a negative
// ActivationDelay (or promote a pending key) first.
func (r *Keyring) Revoke(id KeyID, now time.Time) (*Keyring, error) {
	i := r.index(id)
	if i < 0 {
		return nil, r.unknownKey(id)
	}
	if r.keys[i].State == KeyRevoked {
		return r, nil
	}
	keys := r.Keys()
	keys[i].State = KeyRevoked
	return r.rebuildKeepingPrimary(keys, id, now)
}

// Prune returns a keyring without the keys whose retire-after time is at
// or before now, and their ids. Those keys open nothing any more; their
// ids join the keyring's deleted list so that no new key ever takes them
// (a value sealed under an old key must never open under a new one that
// happens to share its id). The list keeps the newest 4096 ids and
// forgets older ones, so pruning never stops working. Forgetting is safe:
// should a new key draw a forgotten id (one chance in 2^32), the old
// key's values still fail to authenticate under it, as the secrets
// differ; they are refused as tampered rather than as unknown. Revoked
// keys are kept. If there is nothing to prune, Prune returns r itself and
// no ids.
func (r *Keyring) Prune(now time.Time) (*Keyring, []KeyID, error) {
	var keep []Key
	var pruned []KeyID
	active := false
	for _, k := range r.keys {
		if k.State != KeyRevoked && !k.RetireAfter.IsZero() && !now.Before(k.RetireAfter) {
			pruned = append(pruned, k.ID)
			continue
		}
		active = active || k.State == KeyActive
		keep = append(keep, k)
	}
	if len(pruned) == 0 {
		return r, nil, nil
	}
	if !active {
		return nil, nil, fmt.Errorf("%w: every active key is past its retire-after time", ErrLeavesNoPrimary)
	}
	deleted := append(slices.Clone(r.deleted), pruned...)
	// Oldest first: forget from the front.
	deleted = deleted[max(0, len(deleted)-maxDeleted):]
	ring, err := buildKeyring(keep, deleted, "")
	if err != nil {
		return nil, nil, err
	}
	return ring, pruned, nil
}

// openingKey returns the index of the key id, which must still open
// values at now.
func (r *Keyring) openingKey(id KeyID, now time.Time) (int, error) {
	i := r.index(id)
	if i < 0 {
		return -1, r.unknownKey(id)
	}
	if !r.keys[i].CanOpen(now) {
		return -1, &KeyError{ID: id, Err: ErrRevokedKey}
	}
	return i, nil
}

func (r *Keyring) unknownKey(id KeyID) error {
	err := &KeyError{ID: id, Err: ErrUnknownKey}
	if slices.Contains(r.deleted, id) {
		return fmt.Errorf("%w (it was pruned)", err)
	}
	return err
}

// rebuildKeepingPrimary builds a keyring from keys, in which the key id
// was changed, and checks that a key can still seal at now.
func (r *Keyring) rebuildKeepingPrimary(keys []Key, id KeyID, now time.Time) (*Keyring, error) {
	if !slices.ContainsFunc(keys, func(k Key) bool { return k.canSeal(now) }) {
		return nil, fmt.Errorf("%w at %s: key %s is the only one that can seal",
			ErrLeavesNoPrimary, now.UTC().Format(time.RFC3339), id)
	}
	return buildKeyring(keys, r.deleted, "")
}

// tidyActivation returns the activation time t, in UTC, for a key that
// must win over every other active key (other than the one at index
// except) activated by t. It is rounded to the second, which reads better
// in the file, unless that would tie with or come before another key's
// activation: the primary would then be decided by creation times or ids.
// If another key activated at t itself, the result is just after it.
func (r *Keyring) tidyActivation(t time.Time, except int) time.Time {
	t = t.UTC()
	var latest time.Time
	for i, k := range r.keys {
		if i != except && k.State == KeyActive && !k.ActivatesAt.After(t) && k.ActivatesAt.After(latest) {
			latest = k.ActivatesAt
		}
	}
	switch s := t.Truncate(time.Second); {
	case latest.Before(s):
		return s
	case latest.Before(t):
		return t
	}
	return latest.Add(time.Nanosecond)
}

// gap returns the first moment from from to to, both included, at which
// no key can seal. Keys start sealing at their activation times and stop
// at their retire-after times, so a gap, if there is one, begins at from
// or at one of the retire-after times in between.
func (r *Keyring) gap(from, to time.Time) (time.Time, bool) {
	if r.primary(from) < 0 {
		return from, true
	}
	var first time.Time
	for _, k := range r.keys {
		t := k.RetireAfter
		if t.IsZero() || !t.After(from) || t.After(to) || r.primary(t) >= 0 {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}
