package cookiesession

import (
	"encoding/base64"
	"fmt"
	"io"
	"reflect"
	"time"
)

// A Session is one request's view of a user's session. It is not safe for
// concurrent use: it belongs to the request that loaded it.
type Session[T any] struct {
	store   *Store[T]
	data    T
	id      []byte // nil until needed: a fresh session nobody saves needs none
	created time.Time
	keyID   KeyID // the key that sealed it, as loaded or last saved
	fresh   bool  // it did not come with the request, or was destroyed
	loadErr error

	changed   bool // Set or Update was called
	renewed   bool
	destroyed bool
	reseal    bool // sealed by a key that is no longer primary, or idle window half used

	carried       carried // the chunks the request carried
	host          string  // the request's host, without a port: where twins of the cookies may sit
	written       int     // chunks this response set so far
	legacyCarried bool    // the request carried a gorilla cookie to expire
	dead          bool    // the carried cookies can never open: expire them
	bearer        bool    // it travels by token, not cookie (see bearer.go)
}

// envelope is what a session seals: its id, its creation time and the
// application's data. CBOR writes the fields with integer keys.
type envelope[T any] struct {
	ID      []byte `cbor:"1,keyasint" json:"id"`
	Created int64  `cbor:"2,keyasint" json:"created"`
	Data    T      `cbor:"3,keyasint" json:"data"`
}

const sessionIDLen = 16

// Get returns the session's data. Change it with Set or Update, so that
// the change is saved.
func (s *Session[T]) Get() T { return s.data }

// Set replaces the session's data.
func (s *Session[T]) Set(v T) {
	s.data = v
	s.changed = true
}

// Update calls fn with a pointer to the session's data and marks it changed.
func (s *Session[T]) Update(fn func(*T)) {
	fn(&s.data)
	s.changed = true
}

// ID returns the session's random identifier, base64url-encoded. Renew
// gives the session a new one. It is "" only if the random source failed,
// in which case saving the session fails too.
func (s *Session[T]) ID() string {
	if s.id == nil {
		s.id, _ = s.store.newID()
	}
	return base64.RawURLEncoding.EncodeToString(s.id)
}

// IsNew reports whether the session did not come with the request: it was
// absent or could not be loaded, or it was destroyed.
func (s *Session[T]) IsNew() bool { return s.fresh }

// Created returns when the session began; Lifetime counts from then.
func (s *Session[T]) Created() time.Time { return s.created }

// KeyID returns the id of the key that sealed the session as the request
// carried it, or as this response last saved it; zero for a new session.
func (s *Session[T]) KeyID() KeyID { return s.keyID }

// LoadError returns why the request's session could not be used, or nil
// if it could. It is [ErrAbsent] when the request carried no session.
func (s *Session[T]) LoadError() error { return s.loadErr }

// Renew gives the session a new id and a new creation time, keeping its
// data. Call it when the user logs in or changes privileges, so that a
// session id planted before login (session fixation) is worthless after.
func (s *Session[T]) Renew() {
	s.id = nil
	s.created = s.store.cfg.Now()
	s.renewed = true
}

// Destroy ends the session: the response expires every cookie of it, and
// the session is empty and new again. Setting data afterwards starts a
// new session with a new id.
func (s *Session[T]) Destroy() {
	s.store.reset(s, s.store.cfg.Now())
	s.destroyed = true
}

// reset makes s a fresh, empty session.
func (st *Store[T]) reset(s *Session[T], now time.Time) {
	var zero T
	s.data = zero
	if st.mapType != nil {
		s.data = reflect.MakeMap(st.mapType).Interface().(T)
	}
	s.id = nil
	s.created = now
	s.keyID = 0
	s.fresh = true
	s.changed, s.renewed, s.destroyed, s.reseal = false, false, false, false
}

// newID draws a session id. A failed random source is an error, never a
// predictable id.
func (st *Store[T]) newID() ([]byte, error) {
	id := make([]byte, sessionIDLen)
	if _, err := io.ReadFull(st.rand, id); err != nil {
		return nil, fmt.Errorf("cookiesession: reading a random session id: %w", err)
	}
	return id, nil
}
