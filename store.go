package cookiesession

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"time"
)

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
	attrs     cookieAttrs   // the Set-Cookie attributes, written once
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
		attrs:     newCookieAttrs(&cfg),
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
	h := w.Header()
	// The lines are valid by construction: see appendSetCookies.
	h["Set-Cookie"] = st.appendSetCookies(h["Set-Cookie"], name, parts, maxAge)
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
