package cookiesession

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the length in bytes of every key's secret.
const KeySize = 32

// Limits on a keyring. They bound every loop that a keyring file drives.
const (
	// MaxKeys is the most keys a keyring may hold. A keyring rotated
	// monthly and pruned holds two or three.
	MaxKeys = 64
	// maxDeleted is the most deleted ids a keyring remembers.
	maxDeleted = 4096
	// maxKeyringFile is the largest keyring file read, in bytes.
	maxKeyringFile = 1 << 20
	// keyringVersion is the only keyring file version this package reads.
	keyringVersion = 1
)

// hkdfInfoSeal is the HKDF info string for the subkey that seals values.
// A different purpose (a future signed-only mode, say) uses a different
// string, so no subkey is ever used for two purposes.
const hkdfInfoSeal = "cookiesession v1 xchacha20poly1305 seal"

// A KeyID names a key. It is written into every sealed value so that
// opening picks exactly one key, and printed as 8 lowercase hex digits.
type KeyID uint32

// String returns the id as 8 lowercase hex digits.
func (id KeyID) String() string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(id))
	return hex.EncodeToString(b[:])
}

// MarshalText returns the id as [KeyID.String] prints it, so that JSON
// and logs show the same 8 hex digits as the keyring file and the CLI.
func (id KeyID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the id as [ParseKeyID] does.
func (id *KeyID) UnmarshalText(b []byte) error {
	v, err := ParseKeyID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseKeyID parses the 8 hex digit form that [KeyID.String] returns.
func ParseKeyID(s string) (KeyID, error) {
	if len(s) != 8 {
		return 0, fmt.Errorf("cookiesession: key id %s is not 8 hex digits", shownValue(s))
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || s != KeyID(v).String() { // refuse upper case: one spelling per id
		return 0, fmt.Errorf("cookiesession: key id %q is not 8 lowercase hex digits", s)
	}
	return KeyID(v), nil
}

// KeyState is the state an operator gives a key. Whether an active key is
// pending, primary or merely able to open also depends on the time.
type KeyState uint8

const (
	// KeyActive keys open values; the newest one whose activation time has
	// passed seals them (the primary); one whose activation time is still
	// to come is pending: it opens but never seals.
	KeyActive KeyState = iota + 1
	// KeyRetired keys open values until their retire-after time, so that
	// they are re-sealed under the primary, but never seal.
	KeyRetired
	// KeyRevoked keys open nothing: every value sealed under them is
	// refused, which logs out every session they sealed.
	KeyRevoked
)

func (s KeyState) String() string {
	switch s {
	case KeyActive:
		return "active"
	case KeyRetired:
		return "retired"
	case KeyRevoked:
		return "revoked"
	}
	return "KeyState(" + strconv.Itoa(int(s)) + ")"
}

func parseKeyState(s string) (KeyState, bool) {
	switch s {
	case "active":
		return KeyActive, true
	case "retired":
		return KeyRetired, true
	case "revoked":
		return KeyRevoked, true
	}
	return 0, false
}

// Key describes one key of a keyring. The secret is not reachable from it,
// and no printing shows it: fmt's verbs and slog print the fields above.
type Key struct {
	ID          KeyID
	State       KeyState
	Created     time.Time
	ActivatesAt time.Time // the key may seal from this time on
	RetireAfter time.Time // the key opens nothing from this time on; zero means no such time

	secret *keySecret
}

// keySecret holds a key's secret where neither printing nor reflection
// reaches it, in a closure: whatever holds keys (a Keyring, a
// KeyringFile, a Codec, a Key in an unexported field of any struct) and
// whatever prints it (fmt with any verb, slog, a reflective dumper), a
// func prints as an address and reflection cannot read the variables of
// a closure. Key's own Format prints its other fields. A secret is never
// written after it is made.
type keySecret struct {
	bytes func() []byte // the KeySize bytes; callers only read them
}

func newKeySecret(b *[KeySize]byte) *keySecret {
	s := *b
	return &keySecret{bytes: func() []byte { return s[:] }}
}

// Pending reports whether k is active but its activation time is still to come.
func (k Key) Pending(now time.Time) bool {
	return k.State == KeyActive && now.Before(k.ActivatesAt)
}

// CanOpen reports whether values sealed under k open at time now.
func (k Key) CanOpen(now time.Time) bool {
	return k.State != KeyRevoked && (k.RetireAfter.IsZero() || now.Before(k.RetireAfter))
}

// canSeal reports whether k may be the primary at time now.
func (k Key) canSeal(now time.Time) bool {
	return k.State == KeyActive && !now.Before(k.ActivatesAt) && k.CanOpen(now)
}

// A Keyring is an immutable set of keys: the primary seals, the others
// that may open do so. Operations that change a keyring return a new one,
// so a *Keyring is safe for concurrent use and may be swapped atomically.
type Keyring struct {
	keys    []Key
	aeads   []cipher.AEAD // aeads[i] seals and opens for keys[i]; derived once, here
	deleted []KeyID       // ids that were pruned and may never be used again

	// lastPrimary is the primary found last, with the span of time over
	// which it stays the primary: every request asks, and the answer
	// changes only at a key's activation or retire-after time. Behind a
	// pointer so that a copy of the Keyring shares it, as it shares keys.
	lastPrimary *atomic.Pointer[primarySpan]
}

// primarySpan says that keys[index] is the primary (or, for -1, that
// there is none) at every time from from (or ever, if from is zero) up to
// until (or forever, if until is zero).
type primarySpan struct {
	index       int
	from, until time.Time
}

func (p *primarySpan) holds(now time.Time) bool {
	return (p.from.IsZero() || !now.Before(p.from)) && (p.until.IsZero() || now.Before(p.until))
}

// A KeySource supplies the keyring to use for each operation. A *Keyring
// is a KeySource that never changes; a watched keyring file is one that
// does. Implementations must be safe for concurrent use.
type KeySource interface {
	Keyring() *Keyring
}

// Keyring returns r itself, making a *Keyring a [KeySource].
func (r *Keyring) Keyring() *Keyring { return r }

var _ KeySource = (*Keyring)(nil)

// NewKeyring returns a keyring holding one new active key, created and
// activated at now, drawn from crypto/rand.
func NewKeyring(now time.Time) (*Keyring, error) {
	return newKeyring(rand.Reader, now)
}

func newKeyring(random io.Reader, now time.Time) (*Keyring, error) {
	k, err := generateKey(random, now, now, nil)
	if err != nil {
		return nil, err
	}
	return buildKeyring([]Key{k}, nil, "")
}

// generateKey draws a new key whose id collides with no id in taken.
func generateKey(random io.Reader, created, activates time.Time, taken func(KeyID) bool) (Key, error) {
	k := Key{
		State:       KeyActive,
		Created:     created.UTC().Truncate(time.Second),
		ActivatesAt: activates.UTC().Truncate(time.Second),
	}
	var secret [KeySize]byte
	if _, err := io.ReadFull(random, secret[:]); err != nil {
		return Key{}, fmt.Errorf("cookiesession: generating a key: %w", err)
	}
	k.secret = newKeySecret(&secret)
	clear(secret[:])
	// Ids are random so that independently made keyrings rarely share
	// one; a collision with this keyring's own ids is retried, boundedly.
	for range 16 {
		var b [4]byte
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return Key{}, fmt.Errorf("cookiesession: generating a key id: %w", err)
		}
		k.ID = KeyID(binary.BigEndian.Uint32(b[:]))
		if taken == nil || !taken(k.ID) {
			return k, nil
		}
	}
	return Key{}, errors.New("cookiesession: generating a key id: every draw collided")
}

// Keys returns a copy of the keyring's keys, in file order.
func (r *Keyring) Keys() []Key { return slices.Clone(r.keys) }

// Deleted returns the ids of keys that were pruned; they are never reused.
func (r *Keyring) Deleted() []KeyID { return slices.Clone(r.deleted) }

// Primary returns the key that seals at time now: the active key with the
// latest activation time that has passed (ties go to the latest created,
// then the highest id). It fails with [ErrNoPrimaryKey] if there is none.
func (r *Keyring) Primary(now time.Time) (Key, error) {
	i := r.primary(now)
	if i < 0 {
		return Key{}, ErrNoPrimaryKey
	}
	return r.keys[i], nil
}

func (r *Keyring) primary(now time.Time) int {
	if r.lastPrimary == nil { // a Keyring not built by this package
		return r.findPrimary(now)
	}
	if p := r.lastPrimary.Load(); p != nil && p.holds(now) {
		return p.index
	}
	best := r.findPrimary(now)
	// Which keys may seal changes only at the times canSeal compares now
	// with: the nearest of them at or before now and after now bound
	// the span over which every answer is best.
	span := &primarySpan{index: best}
	for _, k := range r.keys {
		for _, t := range [2]time.Time{k.ActivatesAt, k.RetireAfter} {
			switch {
			case t.IsZero():
			case !now.Before(t):
				if span.from.IsZero() || t.After(span.from) {
					span.from = t
				}
			case span.until.IsZero() || t.Before(span.until):
				span.until = t
			}
		}
	}
	r.lastPrimary.Store(span)
	return best
}

// findPrimary is primary without the span of the last answer.
func (r *Keyring) findPrimary(now time.Time) int {
	best := -1
	for i, k := range r.keys {
		if !k.canSeal(now) {
			continue
		}
		if best < 0 || newer(k, r.keys[best]) {
			best = i
		}
	}
	return best
}

func newer(a, b Key) bool {
	if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
		return c > 0
	}
	if c := a.Created.Compare(b.Created); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

// Status says in one word what the key id does at time now: "primary"
// (it seals), "pending" (it opens, and will seal from its activation),
// "open" (it opens but another key seals), "retired-until" (retired, it
// opens until its retire-after time), "expired" (past that time),
// "revoked", "deleted" (pruned) or "unknown".
func (r *Keyring) Status(id KeyID, now time.Time) string {
	i := r.index(id)
	switch {
	case i < 0 && slices.Contains(r.deleted, id):
		return "deleted"
	case i < 0:
		return "unknown"
	}
	k := r.keys[i]
	switch {
	case k.State == KeyRevoked:
		return "revoked"
	case !k.CanOpen(now):
		return "expired"
	case k.Pending(now):
		return "pending"
	case r.primary(now) == i:
		return "primary"
	case k.State == KeyRetired:
		return "retired-until"
	}
	return "open"
}

// index returns the position of the key with this id, or -1.
func (r *Keyring) index(id KeyID) int {
	if r == nil {
		return -1
	}
	for i := range r.keys {
		if r.keys[i].ID == id {
			return i
		}
	}
	return -1
}

// opener returns the AEAD of the one key named id, if it may open at now.
// There is never a fallback to another key: trying several keys would
// turn every forgery attempt into several and blur which key is in use.
func (r *Keyring) opener(id KeyID, now time.Time) (cipher.AEAD, error) {
	i := r.index(id)
	if i < 0 {
		// What the server's log then says: the operator's first
		// question is whether the key is gone or was never here.
		why := "in no keyring this server holds: sealed by a server with another keyring file, " +
			"or under a key newer than this server's copy of the file"
		if slices.Contains(r.deleted, id) {
			why = "pruned from the keyring: no server opens it any more"
		}
		return nil, &KeyError{ID: id, Err: ErrUnknownKey, Reason: why}
	}
	if !r.keys[i].CanOpen(now) {
		return nil, &KeyError{ID: id, Err: ErrRevokedKey}
	}
	return r.aeads[i], nil
}

// buildKeyring validates keys and derives each key's AEAD once. It is the
// only way a *Keyring is made, so every keyring in use has passed it.
func buildKeyring(keys []Key, deleted []KeyID, path string) (*Keyring, error) {
	bad := func(key, problem string) error {
		return &KeyringError{Path: path, Key: key, Problem: problem}
	}
	if len(keys) == 0 {
		return nil, bad("", "no keys")
	}
	if len(keys) > MaxKeys {
		return nil, bad("", fmt.Sprintf("%d keys, at most %d allowed", len(keys), MaxKeys))
	}
	if len(deleted) > maxDeleted {
		return nil, bad("", fmt.Sprintf("%d deleted ids, at most %d allowed", len(deleted), maxDeleted))
	}
	gone := make(map[KeyID]bool, len(deleted))
	for _, id := range deleted {
		if gone[id] {
			return nil, bad("", "deleted id "+id.String()+" listed twice")
		}
		gone[id] = true
	}
	r := &Keyring{
		keys:    slices.Clone(keys),
		aeads:   make([]cipher.AEAD, len(keys)),
		deleted: slices.Clone(deleted),

		lastPrimary: new(atomic.Pointer[primarySpan]),
	}
	seen := make(map[KeyID]bool, len(keys))
	active := false
	for i, k := range r.keys {
		name := k.ID.String()
		switch {
		case seen[k.ID]:
			return nil, bad(name, "duplicate id")
		case gone[k.ID]:
			return nil, bad(name, "id was deleted and may not be reused")
		case k.State != KeyActive && k.State != KeyRetired && k.State != KeyRevoked:
			return nil, bad(name, "unknown state "+k.State.String())
		case k.Created.IsZero():
			return nil, bad(name, "created time missing")
		case k.ActivatesAt.IsZero():
			return nil, bad(name, "activates_at missing")
		case k.State == KeyRetired && k.RetireAfter.IsZero():
			return nil, bad(name, "a retired key needs retire_after")
		case !k.RetireAfter.IsZero() && !k.RetireAfter.After(k.ActivatesAt):
			return nil, bad(name, "retire_after is not after activates_at")
		}
		seen[k.ID] = true
		if k.State == KeyActive {
			active = true
		}
		if k.State == KeyRevoked {
			continue // a revoked key opens nothing; derive nothing from it
		}
		if k.secret == nil {
			return nil, bad(name, "no secret") // a Key made outside this package
		}
		aead, err := deriveAEAD(k.secret.bytes())
		if err != nil {
			return nil, bad(name, err.Error())
		}
		r.aeads[i] = aead
	}
	if !active {
		return nil, bad("", "no usable key: no key is active")
	}
	return r, nil
}

// deriveAEAD derives the sealing subkey with HKDF-SHA256 (no salt, info
// hkdfInfoSeal) and returns its XChaCha20-Poly1305 AEAD. The secret itself
// never keys a cipher directly.
func deriveAEAD(secret []byte) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, secret, nil, hkdfInfoSeal, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.NewX(sub)
}

// The keyring file, as JSON. Times are RFC 3339; secrets are standard
// base64 with padding.
type keyringFile struct {
	Version int       `json:"version"`
	Keys    []keyJSON `json:"keys"`
	Deleted []string  `json:"deleted,omitempty"`
}

type keyJSON struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	Secret      string `json:"secret"`
	Created     string `json:"created"`
	ActivatesAt string `json:"activates_at"`
	RetireAfter string `json:"retire_after,omitempty"`
}

// ParseKeyring parses a keyring file's contents strictly: unknown or
// repeated fields, an unknown version or state, a malformed id, time or
// secret, duplicate ids and a keyring without an active key are all
// refused with a *KeyringError naming the key and the problem.
func ParseKeyring(data []byte) (*Keyring, error) {
	return parseKeyring(data, "")
}

func parseKeyring(data []byte, path string) (*Keyring, error) {
	bad := func(key, problem string, err error) error {
		return &KeyringError{Path: path, Key: key, Problem: problem, Err: err}
	}
	if len(data) > maxKeyringFile {
		return nil, bad("", fmt.Sprintf("file is %d bytes, larger than %d", len(data), maxKeyringFile), nil)
	}
	if len(bytes.Trim(data, " \t\r\n")) == 0 {
		// A file truncated to nothing, or created empty: say so, rather
		// than the JSON reader's "unexpected EOF".
		return nil, bad("", `the file is empty (see FORMAT.md for what it holds); create one with "cookiesession keyring init FILE"`, nil)
	}
	// encoding/json lets a later field silently override an earlier one
	// of the same name; a second "secret" in a key must not go unnoticed.
	if err := checkJSONStrict(data); err != nil {
		return nil, bad("", "not a single strict JSON object", err)
	}
	var f keyringFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, bad("", "bad JSON", err)
	}
	if f.Version == 0 { // "{}", or a file of some other tool
		return nil, bad("", `no "version": a keyring file looks like {"version": 1, "keys": [{"id": …, "secret": …}]} (see FORMAT.md); create one with "cookiesession keyring init FILE", which never overwrites a file`, nil)
	}
	if f.Version != keyringVersion {
		return nil, bad("", fmt.Sprintf("version %d is not supported (want %d)", f.Version, keyringVersion), nil)
	}
	if len(f.Keys) > MaxKeys {
		return nil, bad("", fmt.Sprintf("%d keys, at most %d allowed", len(f.Keys), MaxKeys), nil)
	}
	keys := make([]Key, 0, len(f.Keys))
	for i, kj := range f.Keys {
		k, name, err := kj.key(i)
		if err != nil {
			return nil, bad(name, err.Error(), nil)
		}
		keys = append(keys, k)
	}
	if len(f.Deleted) > maxDeleted {
		return nil, bad("", fmt.Sprintf("%d deleted ids, at most %d allowed", len(f.Deleted), maxDeleted), nil)
	}
	deleted := make([]KeyID, 0, len(f.Deleted))
	for _, s := range f.Deleted {
		id, err := ParseKeyID(s)
		if err != nil {
			return nil, bad("", "deleted: "+strings.TrimPrefix(err.Error(), "cookiesession: "), nil)
		}
		deleted = append(deleted, id)
	}
	return buildKeyring(keys, deleted, path)
}

// key converts one key of the file; name is how errors refer to it.
func (kj keyJSON) key(i int) (k Key, name string, err error) {
	// Errors name the key by its id, unless the id field might hold a
	// part of a secret (mayShow): then by its place in the file.
	name = "#" + strconv.Itoa(i)
	if kj.ID != "" && mayShow(kj.ID) {
		name = kj.ID
	}
	if k.ID, err = ParseKeyID(kj.ID); err != nil {
		return k, name, errors.New("id: not 8 lowercase hex digits")
	}
	var ok bool
	if k.State, ok = parseKeyState(kj.State); !ok {
		return k, name, fmt.Errorf("state: %s is not active, retired or revoked", shownValue(kj.State))
	}
	secret, err := base64.StdEncoding.Strict().DecodeString(kj.Secret)
	// The decoder skips CR and LF; one secret has one spelling.
	if err != nil || base64.StdEncoding.EncodedLen(len(secret)) != len(kj.Secret) {
		return k, name, errors.New("secret: not standard base64")
	}
	if len(secret) != KeySize {
		return k, name, fmt.Errorf("secret: %d bytes, want %d", len(secret), KeySize)
	}
	k.secret = newKeySecret((*[KeySize]byte)(secret))
	clear(secret)
	for _, t := range []struct {
		field    string
		s        string
		dst      *time.Time
		optional bool
	}{
		{"created", kj.Created, &k.Created, false},
		{"activates_at", kj.ActivatesAt, &k.ActivatesAt, false},
		{"retire_after", kj.RetireAfter, &k.RetireAfter, true},
	} {
		if t.s == "" {
			if t.optional {
				continue
			}
			return k, name, errors.New(t.field + ": missing")
		}
		if *t.dst, err = parseKeyringTime(t.s); err != nil {
			return k, name, fmt.Errorf("%s: %s is not an RFC 3339 time", t.field, shownValue(t.s))
		}
	}
	return k, name, nil
}

// Bounds of what an error quotes of a keyring file's value (mayShow).
const (
	maxShownText = 10 // 10 base64 characters: 7.5 of a secret's 32 bytes
	maxShownTime = 40 // longer than any RFC 3339 time the file may hold
)

// mayShow reports whether an error may quote s, a keyring file's value
// that is not valid where it stands. Errors reach logs, and an operator
// may paste a key's secret, whole or in part, with or without its
// padding, into the wrong field. So a value is quoted only when it is too
// short to give away a useful part of a secret (every id and state is),
// or when it is made of the characters of a time alone, or of a member
// name's alone (lower-case letters and underscores), as a mistyped time,
// state or member name is and eleven characters in a row of a secret's
// random base64 text all but never are (about one secret in a thousand
// holds such a run of lower-case letters, and the paste would have to be
// that run exactly).
func mayShow(s string) bool {
	if len(s) <= maxShownText {
		return true
	}
	return len(s) <= maxShownTime && (strings.Trim(s, "0123456789-:.+TZtz ") == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_") == "")
}

// shownValue is s quoted for an error, or its length if it may not be
// shown (mayShow).
func shownValue(s string) string {
	if !mayShow(s) {
		return fmt.Sprintf("a value of %d bytes (not shown: it may hold a secret)", len(s))
	}
	return strconv.Quote(s)
}

// parseKeyringTime parses an RFC 3339 date-time as the keyring format
// allows it: upper-case T and Z, at most nine fraction digits after a
// period, a numeric offset of at most 23:59, no leap second. time.Parse
// alone accepts more than RFC 3339 does (ten or more fraction digits, a
// comma before them, offsets such as +24:00 or +00:60), and each extra
// spelling is one more way for two readers of one file to disagree.
func parseKeyringTime(s string) (time.Time, error) {
	const layout = "dddd-dd-ddTdd:dd:dd" // then fraction, then zone
	bad := errors.New("not an RFC 3339 date-time")
	isDigits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if len(s) < len(layout)+1 {
		return time.Time{}, bad
	}
	for i := range len(layout) {
		if layout[i] == 'd' && !isDigits(s[i:i+1]) || layout[i] != 'd' && s[i] != layout[i] {
			return time.Time{}, bad
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 { // one to nine digits
			return time.Time{}, bad
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && isDigits(rest[1:3]) && isDigits(rest[4:6]):
		if h, m := (rest[1]-'0')*10+rest[2]-'0', (rest[4]-'0')*10+rest[5]-'0'; h > 23 || m > 59 {
			return time.Time{}, bad
		}
	default:
		return time.Time{}, bad
	}
	// time.Parse checks the ranges of the fields: month, day of the
	// month, hour, minute, and seconds up to 59 (it knows no leap seconds).
	return time.Parse(time.RFC3339Nano, s)
}

// maxJSONDepth bounds the nesting checkJSONStrict follows; a keyring file
// nests three levels deep.
const maxJSONDepth = 8

// checkJSONStrict accepts exactly one JSON value, with no object holding
// the same name twice and no nesting deeper than maxJSONDepth.
func checkJSONStrict(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := checkJSONValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the keyring object")
	}
	return nil
}

func checkJSONValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	open, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	if depth == maxJSONDepth {
		return errors.New("nested too deeply")
	}
	names := map[string]bool{}
	for dec.More() {
		if open == '{' {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := tok.(string) // the decoder only yields strings here
			// encoding/json matches names case-insensitively (even "ſecret"
			// for "secret"), which would let a second spelling of a field
			// override the first unseen. The schema's names are lower case.
			if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" {
				return fmt.Errorf("field %s is not a lower-case name", shownValue(name))
			}
			if names[name] {
				return fmt.Errorf("field %s repeated", shownValue(name))
			}
			names[name] = true
		}
		if err := checkJSONValue(dec, depth+1); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// Marshal returns the keyring in its file format: indented JSON, keys in
// order, times in UTC.
func (r *Keyring) Marshal() ([]byte, error) {
	f := keyringFile{Version: keyringVersion, Keys: make([]keyJSON, len(r.keys))}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	for i, k := range r.keys {
		f.Keys[i] = keyJSON{
			ID:          k.ID.String(),
			State:       k.State.String(),
			Secret:      base64.StdEncoding.EncodeToString(k.secret.bytes()),
			Created:     ts(k.Created),
			ActivatesAt: ts(k.ActivatesAt),
			RetireAfter: ts(k.RetireAfter),
		}
	}
	for _, id := range r.deleted {
		f.Deleted = append(f.Deleted, id.String())
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// KeyringFileOptions adjusts how a keyring file is read. The zero value is
// the strict default.
type KeyringFileOptions struct {
	// AllowGroupReadable accepts a file that its group may read, but not
	// write, and other users may not access: mode 0440 or 0640. On
	// Kubernetes, a Secret volume of a pod with a securityContext.fsGroup
	// gets such files whatever its defaultMode says. Set it only when the
	// group is the application's own.
	AllowGroupReadable bool

	// AllowReadableByOthers accepts a file whose mode gives its group or
	// other users any access. By default such a file is refused with a
	// *PermissionError, because anyone who can read the keys can forge
	// every session. Set it only where the platform cannot do better.
	AllowReadableByOthers bool
}

// LoadKeyring reads and parses a keyring file. It follows symlinks (a
// Kubernetes Secret volume is a chain of them) and refuses a file that its
// group or other users may access unless opts allows it; opts may be nil.
func LoadKeyring(path string, opts *KeyringFileOptions) (*Keyring, error) {
	data, err := readKeyringFile(path, opts)
	if err != nil {
		return nil, err
	}
	return parseKeyring(data, path)
}

func readKeyringFile(path string, opts *KeyringFileOptions) ([]byte, error) {
	// Opening a FIFO (or a device) blocks until a writer shows up, which
	// may be never; a keyring is only ever a regular file. So the type is
	// checked before the open, the open itself does not wait (openNoBlock
	// sets O_NONBLOCK where the system has it), and the file that was
	// opened is checked again, so one swapped in between is caught too.
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Two different cases: a first start, and a file gone from under
		// a running fleet, where a new keyring would log everyone out.
		return nil, fmt.Errorf(`cookiesession: keyring: %w; on a first start, create it with "cookiesession keyring init %s" `+
			`(see FORMAT.md for its JSON); if it went missing from a running fleet, put back the file the other servers hold `+
			`(a new keyring would end every session)`, err, path)
	}
	if err != nil {
		return nil, fmt.Errorf("cookiesession: keyring: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &KeyringError{Path: path, Problem: "not a regular file (" + fi.Mode().String() + ")"}
	}
	f, err := openNoBlock(path)
	if err != nil {
		return nil, fmt.Errorf("cookiesession: keyring: %w", err)
	}
	defer f.Close()
	ofi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cookiesession: keyring: %w", err)
	}
	if !ofi.Mode().IsRegular() || !os.SameFile(fi, ofi) {
		return nil, &KeyringError{Path: path, Problem: "the file changed while it was opened; not a regular file"}
	}
	fi = ofi
	// The bits that may not be set: any access by group or others, or with
	// AllowGroupReadable any but the group's read.
	forbidden := fs.FileMode(0o077)
	switch {
	case opts != nil && opts.AllowReadableByOthers:
		forbidden = 0
	case opts != nil && opts.AllowGroupReadable:
		forbidden = 0o037
	}
	// Windows has no Unix permission bits to check.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&forbidden != 0 {
		return nil, &PermissionError{Path: path, Mode: fi.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyringFile+1))
	if err != nil {
		return nil, fmt.Errorf("cookiesession: keyring: %w", err)
	}
	return data, nil
}

// Save writes the keyring to path atomically with mode 0600: it writes a
// temporary file in the same folder, syncs it, renames it over path and
// syncs the folder, so a crash at any point leaves either the old file or
// the new one, never a mix. If path is a symlink, its target is replaced.
// The new file keeps the owner and group of the one it replaces, and its
// group's read permission if that was all the group and others had (mode
// 0640), so that a keyring
// rotated by root, or by another account than the servers', stays
// readable by the servers that read it; if the owner cannot be kept, Save
// fails and the old file stays.
func (r *Keyring) Save(path string) error {
	return r.save(path, true)
}

// SaveNew is [Keyring.Save] for a file that must not exist yet: it fails
// with an error matching [fs.ErrExist] rather than replace one.
func (r *Keyring) SaveNew(path string) error {
	return r.save(path, false)
}

func (r *Keyring) save(path string, replace bool) error {
	data, err := r.Marshal()
	if err != nil {
		return err
	}
	defer clear(data)
	return writeFileAtomic(path, replace, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeFileAtomic writes a new file at path through write. With replace
// false it refuses to overwrite an existing file, atomically: the new file
// is hard-linked into place, which fails if path exists.
func writeFileAtomic(path string, replace bool, write func(io.Writer) error) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// What the new file keeps of the one it replaces (see Save).
	var prev os.FileInfo
	if replace {
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			prev = fi
		}
	}
	// os.CreateTemp makes the file with mode 0600, so the keys are never
	// readable by others, not even for a moment.
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("cookiesession: saving keyring: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("cookiesession: saving keyring %s: %w", path, err)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	mode := os.FileMode(0o600)
	if prev != nil && prev.Mode().Perm()&0o037 == 0 {
		// Group read, and nothing more for the group or others: a file
		// that readers allowing group read take (a Kubernetes fsGroup).
		// A file readable by others, which readers refuse, gets 0600.
		mode |= prev.Mode().Perm() & 0o040
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if prev != nil {
		if uid, gid, ok := fileOwner(prev); ok && (uid != os.Geteuid() || gid != os.Getegid()) {
			// Only root may give a file away; anyone may give it a group
			// of their own. Failing here leaves the old file in place,
			// rather than a keyring its servers may no longer read.
			if err = tmp.Chown(uid, gid); err != nil {
				return fmt.Errorf("keeping the owner %d and group %d of the file it replaces: %w", uid, gid, err)
			}
		}
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
		if err == nil {
			err = os.Remove(tmp.Name())
		}
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there; rename is durable enough
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
