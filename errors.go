package cookiesession

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// The outcomes of opening a value or loading a session. Every error the
// package returns for bad input matches exactly one of them with [errors.Is],
// so an application can branch on the reason while its user simply gets a
// fresh session.
var (
	// ErrAbsent means the request carried no session cookie.
	ErrAbsent = errors.New("cookiesession: no session cookie")

	// ErrMalformed means the value is not in this package's format: wrong
	// prefix, invalid or non-canonical base64, too short to hold a header,
	// or an authentic payload that does not decode into the destination.
	ErrMalformed = errors.New("cookiesession: malformed value")

	// ErrTampered means authentication failed. It is deliberately opaque:
	// it never says which byte, field or key made the tag check fail.
	ErrTampered = errors.New("cookiesession: value failed authentication")

	// ErrUnknownKey means the value names a key id that the keyring does
	// not hold. Errors matching it are a *KeyError carrying the id.
	ErrUnknownKey = errors.New("cookiesession: unknown key")

	// ErrRevokedKey means the value names a key that may no longer open
	// anything: revoked, or retired past its retire-after time. Errors
	// matching it are a *KeyError carrying the id.
	ErrRevokedKey = errors.New("cookiesession: revoked or retired key")

	// ErrExpired means the value authenticated but its expiry, plus the
	// allowed clock skew, has passed.
	ErrExpired = errors.New("cookiesession: value expired")

	// ErrNotYetValid means the value authenticated but claims to have been
	// issued further in the future than the allowed clock skew.
	ErrNotYetValid = errors.New("cookiesession: value issued in the future")

	// ErrTooLarge means a value is longer than the configured limit, checked
	// before any decoding on the way in and before any cookie is written on
	// the way out. Errors matching it are a *TooLargeError.
	ErrTooLarge = errors.New("cookiesession: value too large")

	// ErrUnsupportedVersion means the value was written by a format version
	// or with flags that this version of the package does not read.
	ErrUnsupportedVersion = errors.New("cookiesession: unsupported format version")

	// ErrIncomplete means the value is split over several cookies and the
	// request did not carry all of them, or carried too many.
	ErrIncomplete = errors.New("cookiesession: incomplete chunks")

	// ErrNoPrimaryKey means the keyring holds no key that may seal at this
	// time: every active key is still pending, retired or revoked.
	ErrNoPrimaryKey = errors.New("cookiesession: no primary key")
)

// TooLargeError reports a value that exceeds a size limit. It matches
// [ErrTooLarge].
type TooLargeError struct {
	What  string // what was measured: "value", "session cookies", "Cookie header", …
	Size  int    // its size, in Unit
	Limit int    // the limit, in Unit
	Unit  string // "bytes" when empty; "chunks" for a chunk count; "parts" for the parts of a value reached before it is encoded, each counted every time it is reached
	// AtLeast says that Size is a lower bound: the value was refused
	// before it was encoded, once it was plain that its encoding would
	// be longer than Limit (a part held in several places is written once
	// for each).
	AtLeast bool
}

func (e *TooLargeError) Error() string {
	unit := e.Unit
	if unit == "" {
		unit = "bytes"
	}
	atLeast := ""
	if e.AtLeast {
		atLeast = "at least "
	}
	s := fmt.Sprintf("cookiesession: %s too large: %s%d %s, limit %d", e.What, atLeast, e.Size, unit, e.Limit)
	if e.What == "session cookies" {
		s += " (Config.MaxSize: keep less in the session, or raise it within what proxies accept)"
	}
	switch {
	case e.AtLeast:
		s += " (weighed before it was encoded: a part held in several places, a pointer, map, slice or string, is written once for each)"
	case e.Unit == "parts":
		s += " (a part held in several places, a pointer, map or slice, is counted and written once for each)"
	}
	return s
}

// Is reports whether target is [ErrTooLarge].
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// KeyError reports a key id that cannot be used: a value sealed under a
// key that cannot open it, or a keyring operation naming such a key. Err
// is [ErrUnknownKey] or [ErrRevokedKey].
type KeyError struct {
	ID  KeyID
	Err error
	// Reason says, for an operator, what the keyring knows of the id:
	// for an unknown key, whether it was pruned or is in no keyring this
	// server holds; "" when there is nothing more to say.
	Reason string
}

func (e *KeyError) Error() string {
	s := "cookiesession: key " + e.ID.String() + ": " + strings.TrimPrefix(e.Err.Error(), "cookiesession: ")
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

func (e *KeyError) Unwrap() error { return e.Err }

// ErrInvalidKeyring matches every *KeyringError.
var ErrInvalidKeyring = errors.New("cookiesession: invalid keyring")

// KeyringError reports a keyring that cannot be used, naming the key and
// the problem. It matches [ErrInvalidKeyring].
type KeyringError struct {
	Path    string // the file, or "" when parsed from memory
	Key     string // the key id as written, "#N" when it has no usable id, or "" for the whole file
	Problem string // what is wrong, in words
	Err     error  // an underlying error, if any (a JSON syntax error, …)
}

func (e *KeyringError) Error() string {
	s := "cookiesession: keyring"
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Key != "" {
		s += ": key " + boundedText(e.Key)
	}
	s += ": " + boundedText(e.Problem)
	if e.Err != nil {
		s += ": " + boundedText(e.Err.Error())
	}
	return s
}

// maxErrorText bounds each part of a keyring error's text. The parts may
// quote the file (a state, a time, a number of 500,000 digits, or the
// JSON decoder's words about it), and the text goes to logs on every
// failed reload: a broken file must not make a log line of a megabyte.
const maxErrorText = 512

// boundedText returns s cut to maxErrorText bytes, at a character's
// start, with how much was left out.
func boundedText(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes more)", len(s)-cut)
}

// Is reports whether target is [ErrInvalidKeyring].
func (e *KeyringError) Is(target error) bool { return target == ErrInvalidKeyring }

func (e *KeyringError) Unwrap() error { return e.Err }

// ErrKeyRevived means a keyring file would make a key usable again that
// the keyring in use has ended: revoked it, or retired it past its
// retire-after time. A [KeyringFile] refuses such a file (an old copy put
// back) and keeps the keyring in use; errors matching it are a
// *KeyringError naming the key. To undo a revocation on purpose, rotate to
// a new key instead, or restart every server with the file (a restart
// forgets what it had seen ended, so every server restarted with an old
// file accepts the key's sessions again).
var ErrKeyRevived = errors.New("cookiesession: an ended key made usable again")

// ErrKeyringPermissions matches every *PermissionError.
var ErrKeyringPermissions = errors.New("cookiesession: keyring file readable by others")

// PermissionError reports a keyring file whose mode lets its group or other
// users read it. It matches [ErrKeyringPermissions].
type PermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("cookiesession: keyring %s has mode %04o, which lets group or others read the keys; "+
		"run chmod 600 %s (on Kubernetes, set defaultMode: 0400 on the Secret volume; a pod with an fsGroup "+
		"makes it 0440, which KeyringFileOptions.AllowGroupReadable accepts), "+
		"or accept it with KeyringFileOptions.AllowReadableByOthers",
		e.Path, e.Mode.Perm(), e.Path)
}

// Is reports whether target is [ErrKeyringPermissions].
func (e *PermissionError) Is(target error) bool { return target == ErrKeyringPermissions }
