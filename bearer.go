package cookiesession

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The bearer transport carries the same sealed session as the cookies, in
// one request header instead of the Cookie header:
//
//	Authorization: Bearer ~AQAB…
//
// for clients that keep no cookies: a command-line tool, a mobile app, a
// single-page application on another origin. The value is sealed with the
// same keyring and format and opened with the same checks (expiry, idle
// timeout, key states, Validate, key usage), under a name of its own, so
// that by default a cookie value never opens as a token nor a token as a
// cookie (Config.ShareTokenAndCookie lifts that).

// A Transport says how a store's sessions travel between client and
// server; OR them to serve both.
type Transport uint8

const (
	// TransportCookie carries the session in cookies: the default.
	TransportCookie Transport = 1 << iota
	// TransportBearer carries the session in an "Authorization: Bearer"
	// request header, and its new value in the [TokenHeader] response
	// header.
	TransportBearer
)

// TokenHeader is the response header that carries a session's new bearer
// token whenever the session changed or had to be re-sealed (its idle
// window half used, or sealed by a key that is no longer the primary). A
// client replaces the token it holds with it. A cross-origin client can
// read the header only if the server lists it in the CORS response header
// Access-Control-Expose-Headers.
const TokenHeader = "Session-Token"

// bearerScheme is the authentication scheme of RFC 6750; schemes are
// case-insensitive (RFC 9110, section 11.1).
const bearerScheme = "Bearer"

// tokenName returns the name a store's bearer tokens are sealed under, in
// place of the cookie name in the associated data. A space never occurs in
// a cookie name (NewStore refuses one), so no cookie value of any store
// opens as a token, unless the configuration asks for one value for both.
func tokenName[T any](cfg Config[T]) string {
	if cfg.ShareTokenAndCookie {
		return cfg.Name
	}
	return bearerScheme + " " + cfg.Name
}

// errNotBearer is the outcome for an Authorization header of another
// scheme, such as the Basic credentials of a staging site's password: not
// a session token, so no session.
var errNotBearer error = noToken("cookiesession: no bearer token: the Authorization header is not of the Bearer scheme")

// errNoAuthorization is the outcome for a request without an
// Authorization header.
var errNoAuthorization error = noToken("cookiesession: no bearer token: the request has no Authorization header")

// noToken is an ErrAbsent that speaks of a token, not of a cookie: what a
// store that serves only tokens says of a request that carries none.
type noToken string

func (e noToken) Error() string { return string(e) }
func (e noToken) Unwrap() error { return ErrAbsent }

// bearerToken finds the request's token. It reports whether the request
// carries an Authorization header that the bearer transport must decide
// (one of the Bearer scheme, well-formed or not, or more than one
// header); when it does not, err says why there is no token.
//
// Every step is bounded: the scheme is read from the first seven bytes,
// and the token is scanned only once its length is known to be within the
// store's MaxSize.
func bearerToken(h http.Header, maxSize int) (token string, ours bool, err error) {
	lines := h["Authorization"]
	switch len(lines) {
	case 0:
		return "", false, errNoAuthorization
	case 1:
	default:
		// Authorization is not a list header: two of them are either a
		// broken client or an attempt to make two parsers disagree on
		// which one counts.
		return "", true, fmt.Errorf("%w: %d Authorization headers, want one", ErrMalformed, len(lines))
	}
	// A server has already removed the whitespace around a header's value;
	// trim it too for requests built in code, so that they read the same.
	v := strings.Trim(lines[0], " \t")
	if len(v) < len(bearerScheme) || !strings.EqualFold(v[:len(bearerScheme)], bearerScheme) ||
		len(v) > len(bearerScheme) && isTokenChar(v[len(bearerScheme)]) {
		return "", false, errNotBearer
	}
	if limit := len(bearerScheme) + 1 + maxSize; len(v) > limit {
		return "", true, &TooLargeError{What: "Authorization header", Size: len(v), Limit: limit}
	}
	rest := v[len(bearerScheme):]
	if rest == "" {
		return "", true, fmt.Errorf("%w: an Authorization header of the Bearer scheme without a token", ErrMalformed)
	}
	// RFC 6750: "Bearer" 1*SP b64token. A tab, a line break or any other
	// separator is refused rather than guessed at.
	if rest[0] != ' ' {
		return "", true, fmt.Errorf("%w: the Bearer scheme is not followed by a space", ErrMalformed)
	}
	token = strings.TrimLeft(rest, " ")
	for i := range len(token) {
		if !isB64TokenChar(token[i]) {
			return "", true, fmt.Errorf("%w: the bearer token holds a character no token may hold, at byte %d", ErrMalformed, i)
		}
	}
	return token, true, nil
}

// isTokenChar reports whether c may occur in an HTTP token (RFC 9110,
// section 5.6.2), and so in an authentication scheme's name: "Bearerx" is
// another scheme.
func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isB64TokenChar reports whether c may occur in a b64token (RFC 6750,
// section 2.1). The codec then refuses all but this package's alphabet.
func isB64TokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0
}

// CarriesToken reports whether [Store.Load] takes r's session from its
// Authorization header. Such a request's cookies play no part in its
// session: the rule is that a request carrying a token means the token,
// and a cookie the browser attached on its own never stands in for it,
// even when the token fails. Browsers never attach an Authorization
// header on their own, so such a request needs no CSRF defence; an
// application may exempt it from its origin checks (examples/api does).
// It is false if the store does not serve [TransportBearer].
func (st *Store[T]) CarriesToken(r *http.Request) bool {
	if st.cfg.Transport&TransportBearer == 0 {
		return false
	}
	_, ours, _ := bearerToken(r.Header, st.cfg.MaxSize)
	return ours
}

// loadBearer loads the session from the request's Authorization header if
// the store serves bearer tokens. It reports whether the token decided the
// request's session: when the request carries no token and the store also
// serves cookies, the cookies decide.
func (st *Store[T]) loadBearer(r *http.Request, s *Session[T], now time.Time) (decided bool, err error) {
	if st.cfg.Transport&TransportBearer == 0 {
		return false, nil
	}
	token, ours, err := bearerToken(r.Header, st.cfg.MaxSize)
	if !ours && st.cfg.Transport&TransportCookie != 0 {
		return false, nil
	}
	s.bearer = true
	if err == nil {
		err = st.openToken(r, s, token, now)
	}
	if err != nil {
		st.reset(s, now)
		s.loadErr = err
		st.reportVia(r, "load", true, err)
	}
	return true, err
}

// openToken opens a token and makes it the request's session.
func (st *Store[T]) openToken(r *http.Request, s *Session[T], token string, now time.Time) error {
	o := opened[T]{env: s.env}
	var err error
	if o.h, err = st.codec.openToken(st.tokenName, token, st.cfg.MaxSize, o.env); err != nil {
		return err
	}
	if err := st.checkOpened(o, now); err != nil {
		return err
	}
	return st.accept(r, s, o, now)
}

// Token seals the session as a bearer token and returns it. Call it when
// a client without cookies logs in (after [Session.Renew] and setting the
// data, as for a cookie login), and return the token in the response's
// body; the client sends it back as "Authorization: Bearer <token>".
// Token sets no header: a body that holds a token is a credential, so
// give that response "Cache-Control: no-store" yourself. (A new token
// that Save sends in [TokenHeader] gets it from the store.)
//
// From then on the session travels by token for the rest of the response:
// Save sets no cookie, and sends a new token in [TokenHeader] only if the
// session changes again. Cookies the request carried are left as they
// are, unless the session is then destroyed: Destroy expires them, as
// ever. Token fails with a *[TooLargeError] if the token would be longer
// than [Config.MaxSize], and with an error if the store does not serve
// [TransportBearer].
func (s *Session[T]) Token() (string, error) {
	s.must()
	st := s.store
	if st.cfg.Transport&TransportBearer == 0 {
		return "", errors.New("cookiesession: Token: the store's Config.Transport has no TransportBearer")
	}
	return st.sealToken(s)
}

// saveBearer is Save for a session that travels by token: it sends the
// new token in TokenHeader if the session changed, was renewed or must be
// re-sealed, and nothing otherwise. A token cannot be taken back from a
// client, so Destroy sends nothing either: the application tells the
// client to drop its token, and the token opens until it expires.
func (st *Store[T]) saveBearer(w http.ResponseWriter, r *http.Request, s *Session[T]) error {
	if s.destroyed && s.carried.highest > 0 {
		// A session that came by cookie and was handed out as a token
		// (Token), then destroyed: the cookies go, as Destroy says.
		st.expire(w, s, 0)
	}
	if !s.changed && !s.renewed && !s.reseal {
		s.destroyed = false
		return nil
	}
	token, err := st.sealToken(s)
	if err != nil {
		s.changed, s.renewed, s.reseal = false, false, false
		st.reportVia(r, "save", true, err)
		return err
	}
	h := w.Header()
	h.Set(TokenHeader, token)
	setTokenCacheHeaders(h)
	s.cache |= cacheToken
	return nil
}

// setTokenCacheHeaders marks a response that carries a new token: it is a
// credential, which no cache may keep.
func setTokenCacheHeaders(h http.Header) {
	dropTargetedCacheHeaders(h)
	if !headerHasBareToken(h, "Cache-Control", "no-store") {
		h.Set("Cache-Control", "no-store")
	}
	if !headerHasToken(h, "Vary", "authorization") && !headerHasToken(h, "Vary", "*") {
		h.Add("Vary", "Authorization")
	}
}

// openToken opens a bearer token sealed under name into dst: the value
// of one chunk, at most maxSize bytes long (FORMAT.md, Bearer tokens,
// step 4).
func (c *Codec) openToken(name, token string, maxSize int, dst any) (Header, error) {
	if len(token) > maxSize {
		return Header{}, &TooLargeError{What: "bearer token", Size: len(token), Limit: maxSize}
	}
	// A token is never split. A value that says it is (the first chunk of
	// a session's cookies, say) is refused before any key is looked up.
	n, err := peekChunks(token)
	if err != nil {
		return Header{}, err
	}
	if n != 1 {
		return Header{}, fmt.Errorf("%w: the bearer token says it is split over %d chunks; tokens never are", ErrMalformed, n)
	}
	return c.open(name, []string{token}, dst, 1)
}

// sealToken seals s as a token, valid until the end of its lifetime or of
// its idle window, whichever comes first, as a cookie would be.
func (st *Store[T]) sealToken(s *Session[T]) (string, error) {
	now := st.cfg.Now()
	exp, err := st.sealing(s, now)
	if err != nil {
		return "", err
	}
	token, keyID, err := st.codec.seal(st.tokenName, s.envelope(), now, exp,
		func(encLen int) (int, error) {
			if encLen > st.cfg.MaxSize {
				return 0, &TooLargeError{What: "bearer token", Size: encLen, Limit: st.cfg.MaxSize}
			}
			return 1, nil
		})
	if err != nil {
		return "", err
	}
	s.bearer = true
	s.keyID = keyID
	s.changed, s.renewed, s.destroyed, s.reseal = false, false, false, false
	return token, nil
}
