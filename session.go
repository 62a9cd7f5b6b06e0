package cookiesession

import (
	"encoding/base64"
	"fmt"
	"io"
	"reflect"
	"time"
	"unicode/utf8"
)

// A Session is one request's view of a user's session. It is not safe for
// concurrent use: it belongs to the request that loaded it.
type Session[T any] struct {
	store *Store[T]
	// env holds what the session seals: the data, the id (nil until
	// needed: a fresh session nobody saves needs none), the flashes and
	// the cookie choice (nil: the store's default). The request's first
	// candidate opens straight into it, and a save seals it as it is,
	// so that neither copies the data nor allocates an envelope. Its
	// Created is written from created when it is sealed.
	//
	// env and lines are pointers, into the allocation that holds the
	// session (sessionParts), so that nothing prints them: fmt's %p of a
	// Session value, which bypasses Format, prints its fields, but a
	// pointer below the top level only as an address.
	env     *envelope[T]
	created time.Time
	keyID   KeyID // the key that sealed it, as loaded or last saved
	fresh   bool  // it did not come with the request, or was destroyed
	loadErr error

	changed   bool // Set or Update was called
	renewed   bool
	destroyed bool
	reseal    bool // sealed by a key that is no longer primary, or idle window half used

	carried       seen      // the chunks the request carried
	host          string    // the request's Host, as sent: where twins of the cookies may sit (see requestHost)
	written       int       // chunks this response set so far
	legacyCarried bool      // the request carried a gorilla cookie to expire
	dead          bool      // the carried cookies can never open: expire them
	bearer        bool      // it travels by token, not cookie (see bearer.go)
	cache         cacheNeed // what the cache headers of this response's saves asked for

	out *sessionWriter[T] // the middleware's writer, if the session came from it

	// lines is room for the header lines of a save of up to smallChunks
	// cookies (their Set-Cookie lines, Vary and Cache-Control), so that
	// they take no allocation of their own; linesUsed says it is taken.
	lines     *[smallChunks + 2]string
	linesUsed bool
}

// sessionParts is a session and what it points to, in one allocation.
type sessionParts[T any] struct {
	s     Session[T]
	env   envelope[T]
	lines [smallChunks + 2]string
}

// init points the session at its parts. Field by field, into memory that
// is still zero: a whole struct assigned at once is copied with the
// garbage collector's bulk barrier whenever it is marking.
func (p *sessionParts[T]) init() *Session[T] {
	p.s.env, p.s.lines = &p.env, &p.lines
	return &p.s
}

// envelope is what a session seals: its id, its creation time and the
// application's data. CBOR writes the fields with integer keys.
type envelope[T any] struct {
	ID      []byte `cbor:"1,keyasint" json:"id"`
	Created int64  `cbor:"2,keyasint" json:"created"`
	Data    T      `cbor:"3,keyasint" json:"data"`
	// Added after the first three; absent when empty, so a session
	// without flashes or a cookie choice seals as it always did, and a
	// reader that predates them skips them.
	Flashes    []Flash `cbor:"4,keyasint,omitempty" json:"flashes,omitempty"`
	Persistent *bool   `cbor:"5,keyasint,omitempty" json:"persistent,omitempty"`
}

// envelope returns what s seals: its own envelope, with its creation time.
func (s *Session[T]) envelope() *envelope[T] {
	s.env.Created = s.created.Unix()
	return s.env
}

// errNilSession is the panic of a method called on a nil *Session: what
// FromContext returns, with ok false, outside the store's middleware.
const errNilSession = "cookiesession: nil *Session: Store.FromContext found no session in the request's context, " +
	"because the handler does not run under that store's Middleware; wrap the handler in store.Middleware " +
	"(or call Store.Load and Store.Save), and check the ok that FromContext returns"

// errZeroSession is the panic of a method called on a Session that no
// store made.
const errZeroSession = "cookiesession: a Session that no Store made (a Session{} or new(Session)): " +
	"get the request's session from Store.Load, or from Store.FromContext under Store.Middleware"

// must turns a nil receiver's bare nil dereference into a panic that names
// the missing middleware, and a zero Session's into one that says where
// sessions come from.
func (s *Session[T]) must() {
	if s == nil {
		panic(errNilSession)
	}
	if s.store == nil {
		panic(errZeroSession)
	}
}

const sessionIDLen = 16

// Get returns the session's data. Change it with Set or Update, so that
// the change is saved. Of a store whose T is a map type ([MapStore]'s),
// the data is never nil: a new session's is an empty map, and a nil map
// saved comes back empty, so that a handler can write into it at once.
func (s *Session[T]) Get() T {
	s.must()
	return s.env.Data
}

// Set replaces the session's data.
func (s *Session[T]) Set(v T) {
	s.must()
	s.env.Data = v
	s.changed = true
	s.keepMap()
}

// Update calls fn with a pointer to the session's data and marks it changed.
func (s *Session[T]) Update(fn func(*T)) {
	s.must()
	fn(&s.env.Data)
	s.changed = true
	s.keepMap()
}

// keepMap keeps the data of a store whose T is a map type a map, as Get
// promises: a new session's, one that opened as null, and a nil one set
// become empty, as the last would come back.
func (s *Session[T]) keepMap() {
	if t := s.store.mapType; t != nil {
		if v := reflect.ValueOf(&s.env.Data).Elem(); v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
	}
}

// ID returns the session's random identifier, base64url-encoded. Renew
// gives the session a new one. It is "" only if the random source failed,
// in which case saving the session fails too.
func (s *Session[T]) ID() string {
	s.must()
	if s.env.ID == nil {
		s.env.ID, _ = s.store.newID()
	}
	return base64.RawURLEncoding.EncodeToString(s.env.ID)
}

// IsNew reports whether the session did not come with the request: it was
// absent or could not be loaded, or it was destroyed.
func (s *Session[T]) IsNew() bool {
	s.must()
	return s.fresh
}

// Created returns when the session began; Lifetime counts from then.
func (s *Session[T]) Created() time.Time {
	s.must()
	return s.created
}

// KeyID returns the id of the key that sealed the session as the request
// carried it, or as this response last saved it; zero for a new session.
func (s *Session[T]) KeyID() KeyID {
	s.must()
	return s.keyID
}

// LoadError returns why the request's session could not be used, or nil
// if it could. It is [ErrAbsent] when the request carried no session.
func (s *Session[T]) LoadError() error {
	s.must()
	return s.loadErr
}

// Renew gives the session a new id and a new creation time, keeping its
// data, its flashes and its cookie choice ([Session.SetPersistent]). Call it when the user logs in or changes privileges, so that a
// session id planted before login (session fixation) is worthless after.
func (s *Session[T]) Renew() {
	s.must()
	s.env.ID = nil
	s.created = s.store.cfg.Now()
	s.renewed = true
}

// Destroy ends the session: the response expires every cookie of it, and
// the session is empty and new again: no data, no flashes, the store's
// default cookie choice. Setting data afterwards starts a
// new session with a new id.
func (s *Session[T]) Destroy() {
	s.must()
	s.store.reset(s, s.store.cfg.Now())
	s.destroyed = true
}

// A Flash is a message for the user's next page ("Saved.", "Wrong
// password."), kept in the session until it is read. Kind is the
// application's own category ("info", "error", …).
type Flash struct {
	Kind string `cbor:"1,keyasint" json:"kind"`
	Text string `cbor:"2,keyasint" json:"text"`
}

// Bounds of a session's flashes: they travel in the cookie on every
// request until read, so a page that adds one per request without ever
// showing them must not grow the session without end.
const (
	MaxFlashes    = 16   // flashes a session holds at once
	MaxFlashBytes = 1024 // bytes of Kind plus Text over all of them
)

// AddFlash adds a message for a later request to read with Flashes. The
// flash is sealed beside the session's data and saved with it. If the
// session already holds [MaxFlashes] flashes, or the new one would take
// their Kind and Text past [MaxFlashBytes], AddFlash adds nothing and
// returns a *[TooLargeError]; if kind or text is not UTF-8, it adds
// nothing and returns a *[ValueError].
func (s *Session[T]) AddFlash(kind, text string) error {
	s.must()
	if !utf8.ValidString(kind) || !utf8.ValidString(text) {
		// A flash is text to show: JSON cannot hold bytes that are not
		// UTF-8 (the save would fail, and lose the session's change with
		// it), and a reader in another language sees them replaced.
		return &ValueError{Field: "flash", Problem: "its kind or text is not UTF-8"}
	}
	if len(s.env.Flashes) >= MaxFlashes {
		return &TooLargeError{What: "flashes", Size: len(s.env.Flashes) + 1, Limit: MaxFlashes, Unit: "flashes"}
	}
	size := len(kind) + len(text)
	for _, f := range s.env.Flashes {
		size += len(f.Kind) + len(f.Text)
	}
	if size > MaxFlashBytes {
		return &TooLargeError{What: "flashes", Size: size, Limit: MaxFlashBytes}
	}
	s.env.Flashes = append(s.env.Flashes, Flash{Kind: kind, Text: text})
	s.changed = true
	return nil
}

// Flashes returns the session's flashes, oldest first, and removes them.
// The removal is a change like any other: the response saves the session
// without them, so a flash is shown once, not again on the next request.
// Read them before the response's header is written (under the
// middleware, a later change is lost, and reported as [ErrLateSave]).
func (s *Session[T]) Flashes() []Flash {
	s.must()
	f := s.env.Flashes
	if len(f) > 0 {
		s.env.Flashes = nil
		s.changed = true
	}
	return f
}

// SetPersistent chooses the session's kind of cookie. Persistent cookies
// ("remember me") carry a Max-Age, the rest of [Config.Lifetime], and
// outlive the browser; browser-session cookies carry none, and the
// browser deletes them when it closes (browsers that restore the last
// session may keep them). Either way the server enforces Lifetime and
// IdleTimeout, which are sealed into the value. The choice is sealed too:
// it holds on later requests, re-seals and [Session.Renew], until
// [Session.Destroy]. A session that has not chosen follows
// [Config.BrowserSessionCookies]. It marks the session changed.
func (s *Session[T]) SetPersistent(persistent bool) {
	s.must()
	s.env.Persistent = &persistent
	s.changed = true
}

// Persistent reports whether the session's cookies carry a Max-Age: its
// own choice, if it made one with SetPersistent, or else the store's.
func (s *Session[T]) Persistent() bool {
	s.must()
	if s.env.Persistent != nil {
		return *s.env.Persistent
	}
	return !s.store.cfg.BrowserSessionCookies
}

// reset makes s a fresh, empty session.
func (st *Store[T]) reset(s *Session[T], now time.Time) {
	*s.env = envelope[T]{}
	s.keepMap()
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
