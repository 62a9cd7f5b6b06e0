package cookiesession

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"
)

// A Store loads and saves sessions of type T in cookies, or in bearer
// tokens (see [Config.Transport]). It is safe for concurrent use; make one
// per application and share it.
type Store[T any] struct {
	cfg       Config[T]
	codec     *Codec
	maxChunks int
	mapType   reflect.Type // T when it is a map type, so new sessions get an empty map
	ctxKey    *contextKey
	rand      io.Reader     // the session id source; only tests replace it
	legacy    *migration[T] // nil unless Config.Gorilla is set
	tokenName string        // the name bearer tokens are sealed under
	reported  hostReports   // the misconfigurations reported so far
	attrs     cookieAttrs   // the Set-Cookie attributes, written once
	// otherNames are the names the store's cookie gets under another
	// configuration, which a request without a session is looked at for
	// (otherName); none is the gorilla cookie it migrates from.
	otherNames []string
	loadLogs   loadLogLimit // with the default logger, how often failed loads were logged
}

// loadLogLimit lets the default logger have one record a minute of each
// kind of failed load. Any client can send a tampered or foreign cookie
// on every request: an application that gave no Logger of its own must
// not have its log flooded by them. An application's own Logger, and
// OnError, get every one.
type loadLogLimit struct {
	last [len(loadLogKinds) + 1]atomic.Int64 // Unix nanoseconds of the last record of each kind
}

var loadLogKinds = [...]error{ErrTampered, ErrMalformed, ErrUnknownKey, ErrRevokedKey, ErrExpired, ErrNotYetValid,
	ErrIncomplete, ErrTooLarge, ErrUnsupportedVersion, ErrRejected}

// allow reports whether a failed load with err may be logged at now, and
// if so counts it as logged.
func (l *loadLogLimit) allow(err error, now time.Time) bool {
	kind := len(loadLogKinds) // any other
	for i, k := range loadLogKinds {
		if errors.Is(err, k) {
			kind = i
			break
		}
	}
	last, t := &l.last[kind], now.UnixNano()
	prev := last.Load()
	return (prev == 0 || t-prev >= int64(time.Minute) || t < prev) && last.CompareAndSwap(prev, t)
}

type contextKey struct{ name string }

// MapStore is a store of untyped sessions.
type MapStore = Store[map[string]any]

// NewStore returns a store whose sessions are sealed with keys from keys:
// a *Keyring, or a watched keyring file that picks up rotations.
func NewStore[T any](keys KeySource, cfg Config[T]) (*Store[T], error) {
	if keys == nil {
		return nil, errors.New("cookiesession: NewStore: nil key source; give it the *KeyringFile of the fleet's keyring file (NewKeyringFile), or a *Keyring")
	}
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
		tokenName: tokenName(cfg),
		attrs:     newCookieAttrs(&cfg),
	}
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Map {
		st.mapType = t
	}
	if err := checkSessionType(reflect.TypeFor[T](), cfg.Serializer); err != nil {
		return nil, err
	}
	if cfg.Gorilla != nil {
		if st.legacy, err = newMigration(cfg.Gorilla); err != nil {
			return nil, err
		}
	}
	st.otherNames = otherNames(cfg.Name, cfg.Gorilla)
	return st, nil
}

// Name returns the session cookie's name (that of its first chunk).
func (st *Store[T]) Name() string { return st.cfg.Name }

// KeyUsage reports, for each key, how many values it opened in this store
// and when it last did. A value is a session's cookies or token that
// authenticated and decoded: a twin that lost to a newer one counts, and
// so does a session that a later check (Lifetime, IdleTimeout, Validate)
// refused. A key whose count has stopped growing opens nothing any more.
func (st *Store[T]) KeyUsage() []KeyUsage { return st.codec.KeyUsage() }

// KeyUsageHandler serves the store's key usage as JSON, with the ids of
// the keyring it has loaded, which the cookiesession command's "keyring
// usage" sums over a fleet (and checks: has every server loaded the key
// about to activate?):
//
//	{"keys":[{"id":"1a2b3c4d","opened":1200,"last_seen":"2026-11-21T10:00:00Z"}],
//	 "loaded":["1a2b3c4d","5e6f7a8b"],
//	 "keyring_error":"cookiesession: keyring keys.json: key 1a2b3c4d: was revoked, …"}
//
// keyring_error is there only while the store's [KeyringFile] rejects its
// file (see [KeyringFile.LastError]): the server goes on with an older
// keyring than the file's.
//
// It answers GET and HEAD only, to anyone who asks: the figures hold no
// secret, but they tell which keys exist, how many sessions each opened
// and when the last one came, and that is for operators. Mount it on an
// internal listener or behind authentication, never on the public mux.
func (st *Store[T]) KeyUsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		type key struct {
			ID       string    `json:"id"`
			Opened   uint64    `json:"opened"`
			LastSeen time.Time `json:"last_seen"`
		}
		out := struct {
			Keys         []key    `json:"keys"`
			Loaded       []string `json:"loaded"`
			KeyringError string   `json:"keyring_error,omitempty"`
		}{Keys: []key{}, Loaded: []string{}}
		for _, u := range st.KeyUsage() {
			out.Keys = append(out.Keys, key{u.ID.String(), u.Opened, u.LastSeen.UTC()})
		}
		if ring := st.codec.keys.Keyring(); ring != nil {
			for _, k := range ring.keys {
				out.Loaded = append(out.Loaded, k.ID.String())
			}
		}
		if f, ok := st.codec.keys.(*KeyringFile); ok {
			if err := f.LastError(); err != nil {
				out.KeyringError = err.Error()
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
// [ErrExpired], …; see [Session.LoadError]). A store that serves bearer
// tokens takes the session of a request that carries one from its token
// alone; see [Store.CarriesToken].
func (st *Store[T]) Load(r *http.Request) (*Session[T], error) {
	s := new(sessionParts[T]).init()
	return s, st.load(r, s)
}

// load is Load into s, a zero Session: the middleware's comes in one
// allocation with its writer and context.
func (st *Store[T]) load(r *http.Request, s *Session[T]) error {
	if r == nil {
		panic("cookiesession: Store.Load of a nil *http.Request") // a programming error, said plainly
	}
	now := st.cfg.Now()
	s.store, s.host = st, r.Host
	if decided, err := st.loadBearer(r, s, now); decided {
		return err
	}
	var c carried // on the stack: it holds the header's values only while they open
	err := c.scan(r.Header, st.cfg.Name, st.maxChunks)
	s.carried = c.seen()
	if err == nil {
		err = st.open(r, s, &c, now)
	}
	if st.legacy != nil {
		err = st.openLegacy(r, s, now, err)
	}
	if err == ErrAbsent {
		if other := st.otherName(r.Header); other != "" {
			err = &otherNameError{want: st.cfg.Name, got: other}
			if st.reported.otherName.CompareAndSwap(false, true) {
				st.warn(r, "load", err)
			}
		}
	}
	if err != nil {
		st.reset(s, now)
		s.loadErr = err
		s.dead = deadOnEveryServer(err)
		st.report(r, "load", err)
	}
	return err
}

// deadOnEveryServer reports whether a session that failed to load with err
// can never open anywhere, so that its cookies may be expired rather than
// sent, and failed, on every request. An unknown key may be one this
// server has not loaded yet, a newer format one it does not read yet, an
// issue time in the future a clock behind; a header too large is not the
// session's doing; a payload that does not decode into T (its type
// changed) may decode on a server of the previous release. Those cookies
// are left alone.
func deadOnEveryServer(err error) bool {
	if err == ErrAbsent {
		// Nothing carried, nothing to expire: the outcome of every
		// request without a session, answered without the walks of
		// errors.As and errors.Is below.
		return false
	}
	// An authentic payload that does not decode into T is alive for a
	// server that still runs the release with the old type: during a
	// rolling deploy, or after a rollback, it opens there.
	var de *DecodeError
	if errors.As(err, &de) {
		return false
	}
	for _, e := range []error{ErrRevokedKey, ErrExpired, ErrTampered, ErrMalformed, ErrIncomplete, ErrRejected} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// openLegacy looks at the request's gorilla cookie, given err, the outcome
// of the store's own cookies. A gorilla cookie is only ever converted when
// the request carries no session of this store, or one that is dead on
// every server: a session another server may still open (under a key this
// one has not loaded yet, issued by a clock ahead, of a newer format)
// must not be overwritten, or expired, because of an older cookie. A
// converted session is new to this store: it gets an id and is sealed in
// this package's format by the response, which expires the gorilla cookie.
func (st *Store[T]) openLegacy(r *http.Request, s *Session[T], now time.Time, err error) error {
	convert := errors.Is(err, ErrAbsent) || err != nil && deadOnEveryServer(err)
	present, data, lerr := st.legacy.open(r, now, convert)
	// Whatever happens next, a gorilla cookie the request carried is
	// expired by every response that writes or ends the session, so that
	// it cannot come back after a logout.
	s.legacyCarried = present
	switch {
	case !convert || errors.Is(lerr, ErrAbsent):
		return err // the store's own outcome stands
	case lerr != nil:
		if errors.Is(err, ErrAbsent) {
			return lerr
		}
		return err // the store's own cookie, dead, is the reason to give
	}
	// A converted session holds what Convert gave and nothing of the
	// store's own session that was refused: not its flashes, not its
	// cookie choice, not its id.
	st.reset(s, now)
	s.env.Data = data
	s.keepMap() // Convert may give a nil map
	s.fresh, s.changed = false, true
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

// opened is a value that authenticated: its envelope and its header.
type opened[T any] struct {
	env *envelope[T]
	h   Header
}

// open makes the request's session the one its cookies carry: of several
// that authenticate (a host-only cookie beside a Domain cookie of the same
// name, one tossed by a sibling subdomain), the one sealed last
// (carried.openBest).
func (st *Store[T]) open(r *http.Request, s *Session[T], c *carried, now time.Time) error {
	if c.highest() == 1 && len(c.cands(0)) == 1 {
		// One cookie, not split, as nearly every request carries: its
		// one way to assemble, opened straight into the session, as
		// openBest would open it, without its rounds.
		if _, err := c.announced(0, st.maxChunks); err != nil {
			return err
		}
		o, err := st.openInto(s.env, c.cands(0), now)
		if err != nil {
			return err
		}
		return st.accept(r, s, o, now)
	}
	var tried [maxCandidates]opened[T]
	best, err := c.openBest(st.maxChunks, func(j, n int) (Header, error) {
		parts, err := c.chunks(j, n)
		if err != nil {
			return Header{}, err
		}
		// The first candidate, nearly always the only one, opens straight
		// into the session, which is still zero, as a decoding wants it.
		// Should it lose to another, or fail, the session is overwritten
		// by the winner, or reset by load.
		env := s.env
		if j > 0 {
			env = new(envelope[T])
		}
		o, err := st.openInto(env, parts, now)
		tried[j] = o
		return o.h, err
	})
	if err != nil {
		return err
	}
	return st.accept(r, s, tried[best], now)
}

// openInto opens the value joined from parts into env, and runs the
// session's own checks on it.
func (st *Store[T]) openInto(env *envelope[T], parts []string, now time.Time) (opened[T], error) {
	o := opened[T]{env: env}
	var err error
	if o.h, err = st.codec.openJoined(st.cfg.Name, parts, env); err == nil {
		err = st.checkOpened(o, now)
	}
	return o, err
}

// accept makes o, a value that authenticated and passed checkOpened,
// whichever transport carried it, the request's session: the Validate
// hook, and whether the response must re-seal it.
func (st *Store[T]) accept(r *http.Request, s *Session[T], o opened[T], now time.Time) error {
	if o.env != s.env {
		*s.env = *o.env
	}
	s.created, s.keyID = time.Unix(s.env.Created, 0), o.h.KeyID
	s.keepMap()
	// Re-seal a session opened by a key that no longer seals, so that it
	// moves to the primary before its key is retired; and one whose idle
	// window is half used, so that an active user's session slides.
	// Decided before the Validate hook, which may end the session
	// (Destroy clears it) or change it.
	if ring := st.codec.keys.Keyring(); ring != nil {
		if p := ring.primary(now); p >= 0 && ring.keys[p].ID != o.h.KeyID {
			s.reseal = true
		}
	}
	if idle := st.cfg.IdleTimeout; idle > 0 && atOrAfter(now, o.h.IssuedAt.Unix(), idle/2) {
		s.reseal = true
	}
	return st.validate(r, s)
}

// checkOpened runs the session's own checks on a value that authenticated,
// whichever transport carried it.
func (st *Store[T]) checkOpened(o opened[T], now time.Time) error {
	if len(o.env.ID) != sessionIDLen {
		return fmt.Errorf("%w: session id of %d bytes", ErrMalformed, len(o.env.ID))
	}
	// The header's expiry already caps the session at its lifetime and
	// idle timeout as configured when it was sealed; a shorter lifetime or
	// idle timeout applies at once, to the sessions already out there.
	if atOrAfter(now, o.env.Created, st.cfg.Lifetime+st.codec.skew) {
		return fmt.Errorf("%w: older than the Lifetime", ErrExpired)
	}
	if idle := st.cfg.IdleTimeout; idle > 0 && atOrAfter(now, o.h.IssuedAt.Unix(), idle+st.codec.skew) {
		return fmt.Errorf("%w: idle for longer than the IdleTimeout", ErrExpired)
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
// a later Set or Update makes the session pending again. Under the
// middleware, a handler may call Save itself to learn the outcome before it
// responds; the middleware then writes nothing more unless the session
// changes again. Once the header is out, Save there returns [ErrLateSave].
// A session that travels by token gets its new token in the [TokenHeader]
// header instead, and never a cookie.
func (st *Store[T]) Save(w http.ResponseWriter, r *http.Request, s *Session[T]) error {
	if s.lateSave() {
		return st.refuseLate(r, s)
	}
	if s.bearer {
		return st.saveBearer(w, r, s)
	}
	var err error
	switch {
	case s.changed || s.renewed || s.reseal:
		err = st.write(w, s)
		if err == nil {
			st.checkRequest(r) // will the browser keep what was just set?
		}
	case s.destroyed, s.dead:
		st.expire(w, s, 0)
	}
	if err != nil {
		s.changed, s.renewed, s.reseal = false, false, false
		st.report(r, "save", err)
	}
	return err
}

// sealing returns when a value of s sealed at now expires, whichever
// transport carries it: at the end of its lifetime or of its idle window,
// whichever comes first. It gives s an id if it has none yet.
//
// Its times are whole seconds and nanoseconds (unixAdd), as the sealed
// header's are, rather than time.Time values: Add, Before and Sub read and
// rebuild a time's wall and monotonic clocks at each step, on the path of
// every request that saves.
func (st *Store[T]) sealing(s *Session[T], now time.Time) (exp time.Time, err error) {
	sec, nsec := st.lifeEnd(s)
	if st.cfg.IdleTimeout > 0 {
		if is, ins := unixAdd(now, st.cfg.IdleTimeout); unixBefore(is, ins, sec, nsec) {
			sec, nsec = is, ins
		}
	}
	// Less than a second left (exp.Sub(now) < time.Second): a value sealed
	// now, whose lifetime is in whole seconds, would be dead on arrival.
	if unixBefore(sec, nsec, now.Unix()+1, int64(now.Nanosecond())) {
		return time.Time{}, fmt.Errorf("%w: the session's lifetime has run out", ErrExpired)
	}
	if s.env.ID == nil {
		if s.env.ID, err = st.newID(); err != nil {
			return time.Time{}, err
		}
	}
	return time.Unix(sec, nsec), nil
}

// lifeEnd returns when s's lifetime ends, in seconds and nanoseconds since
// the Unix epoch: its creation plus the Lifetime.
func (st *Store[T]) lifeEnd(s *Session[T]) (sec, nsec int64) {
	return unixAdd(s.created, st.cfg.Lifetime)
}

// maxAge returns the Max-Age, in seconds rounded up, of a cookie of s set
// at now: the time left until the end of its lifetime. It is at least 1
// for a session that sealing let through, but for a clock within a
// lifetime of the end of int64 seconds, where the seal itself fails.
func (st *Store[T]) maxAge(s *Session[T], now time.Time) int {
	sec, nsec := st.lifeEnd(s)
	left := sec - now.Unix()
	if nsec > int64(now.Nanosecond()) {
		left++ // a part of a second left over: rounded up
	}
	return int(left)
}

func (st *Store[T]) write(w http.ResponseWriter, s *Session[T]) error {
	now := st.cfg.Now()
	exp, err := st.sealing(s, now)
	if err != nil {
		return err
	}
	name := st.cfg.Name
	var n int
	// The value stays in the codec's scratch buffer, and goes from there
	// into the Set-Cookie lines: one copy, and no string of its own.
	value, buf, keyID, err := st.codec.sealScratch(name, s.envelope(), now, exp,
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
	maxAge := st.maxAge(s, now)
	if !s.Persistent() {
		maxAge = 0 // a browser-session cookie: no Max-Age
	}
	var room [16][]byte // for the chunks of most sessions, without allocating
	parts := splitValue(room[:0], name, value, st.cfg.ChunkSize, n)
	h := w.Header()
	// Before the first line is added: deleting from a header that holds
	// nothing yet, as many do when their session is saved, costs
	// nothing, not a hash of each name.
	dropTargetedCacheHeaders(h)
	lines, spare := h["Set-Cookie"], []string(nil)
	// spare is set only when neither cache header is: what follows adds
	// Set-Cookie lines only, and setCacheHeadersIn takes spare as saying so.
	if lines == nil && len(h["Vary"]) == 0 && len(h["Cache-Control"]) == 0 {
		// As on most responses: the Set-Cookie lines and the cache
		// headers' two share one allocation, each slice capped so that
		// appending to one never writes over another. For a session of
		// up to smallChunks cookies it is the session's own room, used
		// once: a second save (after the handler removed the headers)
		// might otherwise write over lines that someone still holds.
		var all []string
		if n+2 <= len(s.lines) && !s.linesUsed {
			all, s.linesUsed = s.lines[:0], true
		} else {
			all = make([]string, 0, n+2)
		}
		lines, spare = all[:0:n], all[n:n+2:n+2]
	}
	// The lines are valid by construction: see appendSetCookies.
	h["Set-Cookie"] = st.appendSetCookies(lines, name, parts, maxAge)
	putScratch(buf, 0)
	// The chunks beyond n that the request carried, or that an earlier
	// save of this response set: expire counts the latter by s.written.
	st.expire(w, s, n)
	s.written = n
	st.expireTwins(h, s)
	if s.legacyCarried {
		st.legacy.expireLegacy(h, name, requestHost(s.host))
		s.legacyCarried = false
	}
	s.keyID = keyID
	s.changed, s.renewed, s.destroyed, s.reseal = false, false, false, false
	setCacheHeadersIn(h, false, spare)
	s.cache |= cachePrivate
	return nil
}

// expire writes an expired cookie for every chunk from index from up to
// the highest the request carried or this response set, and at least
// chunk 0 when from is 0.
func (st *Store[T]) expire(w http.ResponseWriter, s *Session[T], from int) {
	to := max(s.carried.highest, s.written)
	if from == 0 {
		to = max(to, 1)
	}
	for i := from; i < to; i++ {
		w.Header().Add("Set-Cookie", st.cookie(chunkName(st.cfg.Name, i), "", -1).String())
	}
	if from == 0 {
		st.expireTwins(w.Header(), s)
		if s.legacyCarried {
			st.legacy.expireLegacy(w.Header(), st.cfg.Name, requestHost(s.host))
			s.legacyCarried = false
		}
		s.written = 0
		s.destroyed = false
		setCacheHeaders(w.Header(), true)
		s.cache |= cacheNoStore
	}
	s.dead = false
}

func (st *Store[T]) report(r *http.Request, op string, err error) {
	st.reportVia(r, op, false, err)
}

// reportVia reports a failure to load or save a session that travels by
// cookie, or by bearer token when bearer is set: the log says which, so
// that an operator looks in the right place.
func (st *Store[T]) reportVia(r *http.Request, op string, bearer bool, err error) {
	if errors.Is(err, ErrAbsent) {
		return
	}
	if st.cfg.OnError != nil {
		st.cfg.OnError(r, err)
	}
	quiet := st.cfg.Logger == nil && op == "load"
	if quiet && !st.loadLogs.allow(err, st.cfg.Now()) {
		return // OnError had it; the default logger had one of its kind this minute
	}
	l := logger(st.cfg.Logger)
	level := slog.LevelWarn
	switch {
	case op == "save":
		level = slog.LevelError
	case errors.Is(err, ErrExpired):
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if r != nil { // Save accepts a nil request
		ctx = r.Context()
	}
	where := []any{"cookie", st.cfg.Name}
	if bearer {
		where = []any{"transport", "bearer token"}
	}
	if quiet {
		where = append(where, "note", "the default logger gets one failed load of each kind a minute; "+
			"OnError gets each, and so does a Config.Logger")
	}
	l.Log(ctx, level, "cookiesession: "+op+" failed", append(where, "err", err)...)
}
