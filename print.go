package cookiesession

import (
	"fmt"
	"time"
)

// What printing a key, a keyring or a session shows. Logs and error
// reports print whatever they are handed, with any verb: a key's secret
// would let whoever reads the log forge every session, and a session's
// data and id are the user's. So these types format themselves, for
// every verb of fmt (and so for slog's text handler, and for tools that
// call String), as a copy of their exported facts that holds neither.
// The JSON encoders see only exported fields, which hold neither either.

// printedKey is what a Key prints as: every field but the secret.
type printedKey struct {
	ID          KeyID
	State       KeyState
	Created     time.Time
	ActivatesAt time.Time
	RetireAfter time.Time
}

// Format prints k's fields, never its secret.
func (k Key) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), printedKey{k.ID, k.State, k.Created, k.ActivatesAt, k.RetireAfter})
}

// String is k as %v prints it.
func (k Key) String() string { return fmt.Sprint(k) }

// printedKeyring is what a Keyring prints as: its keys, as they print, and
// the ids it pruned.
type printedKeyring struct {
	Keys    []Key
	Deleted []KeyID
}

// Format prints r's keys, never their secrets (nor the ciphers derived
// from them). It has a value receiver so that a Keyring value, a copy of
// *r or an exported field of a struct, prints the same as a *Keyring; fmt
// prints a nil *Keyring as <nil>. (fmt calls no method of an unexported
// field: a struct that holds a Keyring or a Session there prints all of
// it, as it would any other value, so keep such structs out of logs.)
func (r Keyring) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), printedKeyring{r.keys, r.deleted})
}

// String is r as %v prints it; "<nil>" for a nil *Keyring.
func (r *Keyring) String() string { return fmt.Sprint(r) }

// printedSession is what a Session prints as: what it is, not what it
// holds.
type printedSession struct {
	KeyID     KeyID
	New       bool
	Changed   bool
	Renewed   bool
	Destroyed bool
	LoadError error
}

// Format prints what s is (the key that sealed it, whether it is new,
// changed, renewed or destroyed, why it did not load), never its data,
// its id or the cookies it came in. It has a value receiver so that a
// Session value (a copy of *s, an exported field of a struct) prints the
// same as a *Session; fmt prints a nil *Session as <nil>. See Keyring's
// Format for unexported fields.
func (s Session[T]) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), printedSession{s.keyID, s.fresh, s.changed, s.renewed, s.destroyed, s.loadErr})
}

// String is s as %v prints it; "<nil>" for a nil *Session, which
// printing never panics on.
func (s *Session[T]) String() string { return fmt.Sprint(s) }
