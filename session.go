package cookiesession

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// ErrRejected means the session authenticated but the store's Validate
// hook refused it, for example because the user logged out everywhere.
var ErrRejected = errors.New("cookiesession: session rejected by Validate")

// Defaults of [Config].
const (
	DefaultLifetime    = 7 * 24 * time.Hour
	DefaultIdleTimeout = 24 * time.Hour
	DefaultChunkSize   = 3800
	DefaultMaxSize     = 6144
	// MaxLifetime is the longest lifetime browsers honour: they clamp a
	// cookie's Max-Age to 400 days.
	MaxLifetime = 400 * 24 * time.Hour
)

// Config configures a [Store]. The zero value of every field means the
// documented default; [NewStore] validates the whole and keeps a copy.
type Config[T any] struct {
	// Name is the session cookie's name; chunks after the first are named
	// Name.1, Name.2, …. Default "__Host-session", or "__Secure-session"
	// when Domain is set, or "session" when Insecure is set. A "__Host-"
	// name requires Secure, Path "/" and no Domain; a "__Secure-" name
	// requires Secure.
	Name string

	// Domain shares the session with every subdomain: set it to the
	// registrable domain ("example.com") and app.example.com and
	// api.example.com see the same session. A public suffix ("com",
	// "github.io") or an IP address is refused. Default "": the cookie
	// goes back only to the host that set it.
	Domain string

	// Path is the cookie's Path. Default "/".
	Path string

	// Insecure drops the Secure attribute, so that the cookie also travels
	// over plain HTTP. Leave it false: browsers treat http://localhost as
	// secure, so development does not need it.
	Insecure bool

	// ScriptAccess drops the HttpOnly attribute, letting page scripts read
	// the (sealed) cookie. Default false.
	ScriptAccess bool

	// SameSite is the cookie's SameSite attribute. Default
	// http.SameSiteLaxMode. http.SameSiteNoneMode requires Secure.
	SameSite http.SameSite

	// Lifetime is the absolute lifetime of a session, from its creation or
	// its last Renew: no activity extends it. It also sets the cookies'
	// Max-Age. Default 7 days; at most 400 days.
	Lifetime time.Duration

	// IdleTimeout ends a session that sees no request for this long. A
	// session whose idle window is half used is re-sealed, which slides
	// the window, never past Lifetime. Default 24 hours; negative means
	// no idle timeout.
	IdleTimeout time.Duration

	// ClockSkew is how far the clocks of the servers sharing the keyring
	// may disagree. Default one minute; negative means none.
	ClockSkew time.Duration

	// ChunkSize is the most bytes of name plus value written in one
	// cookie; longer sessions are split. Between 256 and 4096 (browsers
	// silently drop a cookie over 4096). Default 3800.
	ChunkSize int

	// MaxSize is the most bytes the session's cookies may add to a
	// request's Cookie header ("name=value" pairs and their "; "
	// separators). Save refuses a larger session with a *TooLargeError
	// and leaves the cookies already in the browser alone. Default 6144,
	// which leaves 2 KiB of the 8 KiB that nginx and Apache accept in one
	// request header line for the site's other cookies; at most 65536.
	MaxSize int

	// Purpose is bound into every sealed value, so sessions of two
	// applications sharing a keyring (or a session value pasted into
	// another of the application's cookies) never open for each other.
	// Default "".
	Purpose string

	// Serializer encodes the session data. Default [CBOR].
	Serializer Serializer

	// Now returns the current time. Default time.Now.
	Now func() time.Time

	// Logger receives a record for every session that fails to load or
	// save (an absent cookie is not a failure). Default nil: silent.
	Logger *slog.Logger

	// OnError, if set, is called with the request and the error for every
	// session that fails to load (except [ErrAbsent]) or to save.
	OnError func(r *http.Request, err error)

	// Validate, if set, is called for every session that authenticated,
	// before the application sees it. Returning an error discards the
	// session: the request gets a fresh one and the load error matches
	// [ErrRejected] and wraps the returned error. Use it to end sessions
	// early, for example "log out everywhere": keep a generation number
	// in the session and compare it with the user's record.
	Validate func(r *http.Request, s *Session[T]) error

	// Gorilla, if set, reads the cookies of a gorilla/sessions CookieStore
	// that this store replaces, so that its users stay logged in.
	Gorilla *GorillaMigration[T]
}

// A Store loads and saves sessions of type T in cookies. It is safe for
// concurrent use; make one per application and share it.
type Store[T any] struct {
	cfg       Config[T]
	codec     *Codec
	maxChunks int
	mapType   reflect.Type // T when it is a map type, so new sessions get an empty map
	ctxKey    *contextKey
	rand      io.Reader     // the session id source; only tests replace it
	legacy    *migration[T] // nil unless Config.Gorilla is set
}

type contextKey struct{ name string }

// MapStore is a store of untyped sessions.
type MapStore = Store[map[string]any]

// NewStore returns a store whose sessions are sealed with keys from keys:
// a *Keyring, or a watched keyring file that picks up rotations.
func NewStore[T any](keys KeySource, cfg Config[T]) (*Store[T], error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	codec, err := NewCodec(keys, CodecConfig{
		Purpose:    cfg.Purpose,
		MaxAge:     cfg.Lifetime,
		ClockSkew:  cfg.ClockSkew,
		MaxLength:  cfg.MaxSize,
		Serializer: cfg.Serializer,
		Now:        cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	st := &Store[T]{
		cfg:   cfg,
		codec: codec,
		// Every chunk but the last fills ChunkSize bytes, and adds more
		// than that to the Cookie header.
		maxChunks: min(MaxChunks, cfg.MaxSize/cfg.ChunkSize+1),
		ctxKey:    &contextKey{name: "cookiesession " + cfg.Name},
		rand:      rand.Reader,
	}
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Map {
		st.mapType = t
	}
	if cfg.Gorilla != nil {
		if st.legacy, err = newMigration(cfg.Gorilla); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// normalize applies the defaults and validates the configuration.
func (c *Config[T]) normalize() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cookiesession: Config: "+format, args...)
	}
	c.Domain = strings.ToLower(strings.TrimPrefix(c.Domain, "."))
	if c.Name == "" {
		switch {
		case c.Insecure:
			c.Name = "session"
		case c.Domain != "":
			c.Name = "__Secure-session"
		default:
			c.Name = "__Host-session"
		}
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultLifetime
	}
	switch {
	case c.IdleTimeout == 0:
		c.IdleTimeout = DefaultIdleTimeout
	case c.IdleTimeout < 0:
		c.IdleTimeout = 0
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}

	switch {
	case c.Lifetime < time.Second || c.Lifetime > MaxLifetime:
		return bad("Lifetime %v is not between 1s and 400 days", c.Lifetime)
	case c.IdleTimeout != 0 && c.IdleTimeout < time.Second:
		return bad("IdleTimeout %v is shorter than 1s", c.IdleTimeout)
	case c.ChunkSize < 256 || c.ChunkSize > BrowserCookieLimit:
		return bad("ChunkSize %d is not between 256 and %d", c.ChunkSize, BrowserCookieLimit)
	case c.MaxSize < 256 || c.MaxSize > maxCookieHeader:
		return bad("MaxSize %d is not between 256 and %d", c.MaxSize, maxCookieHeader)
	case len(c.Name)+4 > c.ChunkSize/2:
		return bad("Name %q is too long for ChunkSize %d", c.Name, c.ChunkSize)
	case !strings.HasPrefix(c.Path, "/"):
		return bad("Path %q does not start with /", c.Path)
	case c.SameSite == http.SameSiteNoneMode && c.Insecure:
		return bad("SameSite=None requires Secure; unset Insecure")
	}

	// Cookie prefixes are promises browsers enforce; refuse a
	// configuration that breaks them rather than have every cookie dropped.
	switch {
	case strings.HasPrefix(c.Name, "__Host-"):
		if c.Insecure || c.Domain != "" || c.Path != "/" {
			return bad("a __Host- cookie needs Secure, Path / and no Domain; to share it with subdomains use a __Secure- name")
		}
	case strings.HasPrefix(c.Name, "__Secure-"):
		if c.Insecure {
			return bad("a __Secure- cookie needs Secure; unset Insecure")
		}
	case strings.HasPrefix(strings.ToLower(c.Name), "__host-"), strings.HasPrefix(strings.ToLower(c.Name), "__secure-"):
		return bad("Name %q: write the prefix as __Host- or __Secure-", c.Name)
	}
	if c.Domain != "" {
		if err := checkDomain(c.Domain); err != nil {
			return bad("%v", err)
		}
	}
	// net/http silently drops invalid cookies when writing; find out now.
	probe := &http.Cookie{Name: chunkName(c.Name, MaxChunks-1), Value: "~", Path: c.Path, Domain: c.Domain}
	if err := probe.Valid(); err != nil {
		return bad("%v", err)
	}
	return nil
}

// checkDomain refuses a cookie Domain that would share the session beyond
// one site: a public suffix, which browsers refuse anyway, or an IP address.
func checkDomain(d string) error {
	if net.ParseIP(strings.Trim(d, "[]")) != nil {
		return fmt.Errorf("Domain %q is an IP address; leave Domain empty for a host-only cookie", d)
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return fmt.Errorf("Domain %q is a public suffix; use your registrable domain", d)
	}
	return nil
}

// Name returns the session cookie's name (that of its first chunk).
func (st *Store[T]) Name() string { return st.cfg.Name }

// KeyUsage reports how many sessions each key opened in this store.
func (st *Store[T]) KeyUsage() []KeyUsage { return st.codec.KeyUsage() }

// KeyUsageHandler serves the store's key usage as JSON, with the ids of
// the keyring it has loaded, which the cookiesession command's "keyring
// usage" sums over a fleet (and checks: has every server loaded the key
// about to activate?):
//
//	{"keys":[{"id":"1a2b3c4d","opened":1200,"last_seen":"2026-11-21T10:00:00Z"}],
//	 "loaded":["1a2b3c4d","5e6f7a8b"]}
//
// The figures reveal no secret, but serve them where operators, not the
// public, can reach them.
func (st *Store[T]) KeyUsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type key struct {
			ID       string    `json:"id"`
			Opened   uint64    `json:"opened"`
			LastSeen time.Time `json:"last_seen"`
		}
		out := struct {
			Keys   []key    `json:"keys"`
			Loaded []string `json:"loaded"`
		}{Keys: []key{}, Loaded: []string{}}
		for _, u := range st.KeyUsage() {
			out.Keys = append(out.Keys, key{u.ID.String(), u.Opened, u.LastSeen.UTC()})
		}
		if ring := st.codec.keys.Keyring(); ring != nil {
			for _, k := range ring.keys {
				out.Loaded = append(out.Loaded, k.ID.String())
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(out)
	})
}

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
	written       int     // chunks this response set so far
	legacyCarried bool    // the request carried a gorilla cookie to expire
	dead          bool    // the carried cookies can never open: expire them
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

// Load returns the request's session. It always returns a usable session:
// when the request carries none, or one that cannot be used, the session
// is fresh and empty and the error says why ([ErrAbsent], [ErrTampered],
// [ErrExpired], …; see [Session.LoadError]).
func (st *Store[T]) Load(r *http.Request) (*Session[T], error) {
	now := st.cfg.Now()
	s := &Session[T]{store: st}
	c, err := scanCookies(r.Header, st.cfg.Name, st.maxChunks)
	s.carried = c
	if err == nil {
		err = st.open(r, s, now)
	}
	if err != nil && st.legacy != nil {
		err = st.openLegacy(r, s, now, err)
	}
	if err != nil {
		st.reset(s, now)
		s.loadErr = err
		s.dead = deadOnEveryServer(err)
		st.report(r, "load", err)
	}
	return s, err
}

// deadOnEveryServer reports whether a session that failed to load with err
// can never open anywhere, so that its cookies may be expired rather than
// sent, and failed, on every request. An unknown key may be one this
// server has not loaded yet, a newer format one it does not read yet, an
// issue time in the future a clock behind; a header too large is not the
// session's doing. Those cookies are left alone.
func deadOnEveryServer(err error) bool {
	for _, e := range []error{ErrRevokedKey, ErrExpired, ErrTampered, ErrMalformed, ErrIncomplete, ErrRejected} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// openLegacy falls back on a gorilla cookie when the request's own session
// failed with err. A converted session is new to this store: it gets an id
// and is sealed in this package's format by the response.
func (st *Store[T]) openLegacy(r *http.Request, s *Session[T], now time.Time, err error) error {
	lerr := st.legacy.open(r, s, now)
	if lerr != nil {
		if errors.Is(lerr, ErrAbsent) {
			return err // no gorilla cookie: the store's own reason stands
		}
		return lerr
	}
	s.id, s.created, s.keyID, s.fresh, s.changed = nil, now, 0, false, true
	return st.validate(r, s)
}

// validate runs the Validate hook, if any, on a session that opened.
func (st *Store[T]) validate(r *http.Request, s *Session[T]) error {
	if st.cfg.Validate == nil {
		return nil
	}
	if err := st.cfg.Validate(r, s); err != nil {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	return nil
}

// open tries the bounded ways to assemble the request's chunks into a
// session and keeps the first that authenticates.
func (st *Store[T]) open(r *http.Request, s *Session[T], now time.Time) error {
	c := &s.carried
	if c.highest() == 0 {
		return ErrAbsent
	}
	if len(c.cands[0]) == 0 {
		return ErrIncomplete // later chunks without the first
	}
	var first error
	for j := range c.cands[0] {
		err := st.openAttempt(r, s, j, now)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func (st *Store[T]) openAttempt(r *http.Request, s *Session[T], j int, now time.Time) error {
	c := &s.carried
	n, err := peekChunks(c.cands[0][j])
	if err != nil {
		return err
	}
	if n > st.maxChunks {
		return &TooLargeError{What: "chunk count", Size: n, Limit: st.maxChunks, Unit: "chunks"}
	}
	parts, ok := c.attempt(j, n)
	if !ok {
		return ErrIncomplete
	}
	var env envelope[T]
	h, err := st.codec.openJoined(st.cfg.Name, parts, &env) // n was peeked above
	if err != nil {
		return err
	}
	if len(env.ID) != sessionIDLen {
		return fmt.Errorf("%w: session id of %d bytes", ErrMalformed, len(env.ID))
	}
	created := time.Unix(env.Created, 0)
	// The header's expiry already caps the session at its lifetime as
	// configured when it was sealed; a shorter lifetime applies at once.
	if !now.Before(created.Add(st.cfg.Lifetime + st.codec.skew)) {
		return ErrExpired
	}
	s.data, s.id, s.created, s.keyID = env.Data, env.ID, created, h.KeyID
	if st.mapType != nil && reflect.ValueOf(&s.data).Elem().IsNil() {
		s.data = reflect.MakeMap(st.mapType).Interface().(T)
	}
	if err := st.validate(r, s); err != nil {
		return err
	}
	// Re-seal a session opened by a key that no longer seals, so that it
	// moves to the primary before its key is retired; and one whose idle
	// window is half used, so that an active user's session slides.
	if ring := st.codec.keys.Keyring(); ring != nil {
		if p := ring.primary(now); p >= 0 && ring.keys[p].ID != h.KeyID {
			s.reseal = true
		}
	}
	if idle := st.cfg.IdleTimeout; idle > 0 && now.Sub(h.IssuedAt) >= idle/2 {
		s.reseal = true
	}
	return nil
}

// Save writes the session's cookies to w if it changed, was renewed or
// destroyed, or must be re-sealed, and expires the request's session
// cookies if they can never open on any server (a revoked key, an expired
// or tampered value); otherwise it writes nothing. Call it
// before the response's header is written (the middleware does). On any
// error it writes nothing and drops the pending change, so the cookies the
// browser holds stay as they were and the middleware does not try again;
// a later Set or Update makes the session pending again.
func (st *Store[T]) Save(w http.ResponseWriter, r *http.Request, s *Session[T]) error {
	var err error
	switch {
	case s.changed || s.renewed || s.reseal:
		err = st.write(w, s)
	case s.destroyed, s.dead:
		st.expire(w, s, 0)
	}
	if err != nil {
		s.changed, s.renewed, s.reseal = false, false, false
		st.report(r, "save", err)
	}
	return err
}

func (st *Store[T]) write(w http.ResponseWriter, s *Session[T]) error {
	now := st.cfg.Now()
	exp := s.created.Add(st.cfg.Lifetime)
	if st.cfg.IdleTimeout > 0 {
		if idleEnd := now.Add(st.cfg.IdleTimeout); idleEnd.Before(exp) {
			exp = idleEnd
		}
	}
	if exp.Sub(now) < time.Second {
		return fmt.Errorf("%w: the session's lifetime has run out", ErrExpired)
	}
	if s.id == nil {
		id, err := st.newID()
		if err != nil {
			return err
		}
		s.id = id
	}
	name := st.cfg.Name
	var n int
	value, keyID, err := st.codec.seal(name, envelope[T]{ID: s.id, Created: s.created.Unix(), Data: s.data}, now, exp,
		func(encLen int) (int, error) {
			n = chunkCount(name, encLen, st.cfg.ChunkSize, st.maxChunks)
			if size := cookieBytes(name, encLen, n); n > st.maxChunks || size > st.cfg.MaxSize {
				return 0, &TooLargeError{What: "session cookies", Size: size, Limit: st.cfg.MaxSize}
			}
			return n, nil
		})
	if err != nil {
		return err
	}
	maxAge := int((s.created.Add(st.cfg.Lifetime).Sub(now) + time.Second - 1) / time.Second)
	parts := splitValue(name, value, st.cfg.ChunkSize, n)
	cookies := make([]*http.Cookie, n)
	for i, p := range parts {
		cookies[i] = st.cookie(chunkName(name, i), p, maxAge)
		if err := cookies[i].Valid(); err != nil {
			return fmt.Errorf("cookiesession: %w", err)
		}
	}
	h := w.Header()
	for _, c := range cookies {
		h.Add("Set-Cookie", c.String())
	}
	st.expire(w, s, n) // the chunks a larger session used before
	if s.legacyCarried {
		st.legacy.expireLegacy(h, name)
		s.legacyCarried = false
	}
	s.written = n
	s.keyID = keyID
	s.changed, s.renewed, s.destroyed, s.reseal = false, false, false, false
	setCacheHeaders(h, false)
	return nil
}

// expire writes an expired cookie for every chunk from index from up to
// the highest the request carried or this response set, and at least
// chunk 0 when from is 0.
func (st *Store[T]) expire(w http.ResponseWriter, s *Session[T], from int) {
	to := max(s.carried.highest(), s.written)
	if from == 0 {
		to = max(to, 1)
	}
	for i := from; i < to; i++ {
		w.Header().Add("Set-Cookie", st.cookie(chunkName(st.cfg.Name, i), "", -1).String())
	}
	if from == 0 {
		if s.legacyCarried {
			st.legacy.expireLegacy(w.Header(), st.cfg.Name)
			s.legacyCarried = false
		}
		s.written = 0
		s.destroyed = false
		setCacheHeaders(w.Header(), true)
	}
	s.dead = false
}

func (st *Store[T]) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     st.cfg.Path,
		Domain:   st.cfg.Domain,
		MaxAge:   maxAge,
		Secure:   !st.cfg.Insecure,
		HttpOnly: !st.cfg.ScriptAccess,
		SameSite: st.cfg.SameSite,
	}
}

// setCacheHeaders keeps shared caches from storing a response that sets
// a session cookie and serving it to someone else: Vary: Cookie, and
// Cache-Control private (no-store on logout).
func setCacheHeaders(h http.Header, noStore bool) {
	if !headerHasToken(h, "Vary", "cookie") && !headerHasToken(h, "Vary", "*") {
		h.Add("Vary", "Cookie")
	}
	switch {
	case noStore:
		h.Set("Cache-Control", "no-store")
	case headerHasToken(h, "Cache-Control", "private") || headerHasToken(h, "Cache-Control", "no-store"):
	default:
		var keep []string
		for _, v := range h.Values("Cache-Control") {
			for d := range strings.SplitSeq(v, ",") {
				d = strings.TrimSpace(d)
				name, _, _ := strings.Cut(strings.ToLower(d), "=")
				if d != "" && name != "public" && name != "s-maxage" {
					keep = append(keep, d)
				}
			}
		}
		h.Set("Cache-Control", strings.Join(append([]string{"private"}, keep...), ", "))
	}
}

// headerHasToken reports whether a comma-separated header lists token
// (a directive name, case-insensitively).
func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for d := range strings.SplitSeq(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, token) {
				return true
			}
		}
	}
	return false
}

func (st *Store[T]) report(r *http.Request, op string, err error) {
	if errors.Is(err, ErrAbsent) {
		return
	}
	if st.cfg.OnError != nil {
		st.cfg.OnError(r, err)
	}
	if l := st.cfg.Logger; l != nil {
		level := slog.LevelWarn
		switch {
		case op == "save":
			level = slog.LevelError
		case errors.Is(err, ErrExpired):
			level = slog.LevelDebug
		}
		l.Log(r.Context(), level, "cookiesession: "+op+" failed", "cookie", st.cfg.Name, "err", err)
	}
}

// Middleware loads the session of every request into its context, where
// [Store.FromContext] finds it, and saves it just before the response's
// header is written, without buffering the body.
func (st *Store[T]) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Load(r) // the error is reported, and kept in s
		r = r.WithContext(context.WithValue(r.Context(), st.ctxKey, s))
		sw := &sessionWriter[T]{ResponseWriter: w, st: st, r: r, s: s}
		next.ServeHTTP(sw, r)
		sw.commit()
	})
}

// FromContext returns the session that the store's middleware loaded for
// the request whose context is ctx; ok is false outside the middleware.
func (st *Store[T]) FromContext(ctx context.Context) (s *Session[T], ok bool) {
	s, ok = ctx.Value(st.ctxKey).(*Session[T])
	return s, ok
}

// sessionWriter saves the session just before the header goes out.
type sessionWriter[T any] struct {
	http.ResponseWriter
	st        *Store[T]
	r         *http.Request
	s         *Session[T]
	committed bool
}

func (w *sessionWriter[T]) commit() {
	if !w.committed {
		w.committed = true
		w.st.Save(w.ResponseWriter, w.r, w.s) // failures are reported by Save
	}
}

func (w *sessionWriter[T]) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// An informational response (103 Early Hints): the final header
		// is still to come, and the cookies with it.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.commit()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter[T]) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *sessionWriter[T]) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for handlers that assert it.
func (w *sessionWriter[T]) Flush() {
	w.commit()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for handlers that assert it. A hijacked
// connection carries no header from the server, so the session is not
// saved: save it before hijacking, if it must be.
func (w *sessionWriter[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.committed = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
