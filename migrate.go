package cookiesession

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// GorillaMigration lets a [Store] read the cookies that a gorilla/sessions
// CookieStore wrote, so that users stay logged in when an application
// switches: a request that carries no session of this store but a valid
// gorilla cookie gets a session converted from it, which the response
// re-seals in this package's format while expiring the gorilla cookie.
// After Sunset, gorilla cookies are no longer read (only expired).
//
// A gorilla cookie is consulted only when the request carries no session
// of the store's own, or one that can never open on any server (expired,
// tampered, under a revoked key). A session that another server may still
// open (under a key this one has not loaded yet, of a newer format, issued
// by a clock ahead) is never replaced or expired because of a gorilla
// cookie. Every response that writes or destroys the session expires the
// gorilla cookie the request carried, so a logout is a logout.
//
// During the migration, mind what a gorilla cookie is: its name has no
// __Host- or __Secure- prefix, so any sibling subdomain (or a man in the
// middle on plain HTTP) can plant one for the whole domain. An authentic
// gorilla cookie of another user, planted in a browser that has no
// session of the store's own, logs that browser in as the other user.
// Keep the window short: a Sunset soon after the switch, and a MaxAge no
// longer than the users who matter take to come back (default 7 days).
type GorillaMigration[T any] struct {
	// CookieName is the gorilla session's name, which is its cookie's name.
	CookieName string

	// KeyPairs are the hash and block keys the CookieStore was made with
	// (sessions.NewCookieStore(keyPairs...)), in the same order.
	KeyPairs [][]byte

	// MaxAge is the oldest gorilla cookie accepted, measured by the
	// timestamp securecookie sealed into it. Default 7 days (the
	// CookieStore's own default is 30): see above why the window should
	// be short.
	MaxAge time.Duration

	// MaxLength is the longest gorilla cookie value read; longer ones are
	// refused before any decoding. Default 4096, securecookie's default.
	MaxLength int

	// Serializer is the one the CookieStore used. Default
	// securecookie.GobEncoder, the CookieStore's default; values of your
	// own types need the same gob.Register calls as before.
	Serializer securecookie.Serializer

	// Convert turns the gorilla session's Values into the new session's
	// data. An error discards the gorilla session.
	Convert func(values map[any]any) (T, error)

	// Sunset is when the migration ends: from then on gorilla cookies are
	// not read. Required; pick a time after which every user who matters
	// has come back once (the gorilla MaxAge is a natural choice).
	Sunset time.Time

	// Path and Domain are the gorilla cookie's, so that it can be
	// expired. Defaults "/" and "".
	Path, Domain string
}

// migration is a validated GorillaMigration with its decoders.
type migration[T any] struct {
	GorillaMigration[T]
	codecs []securecookie.Codec
}

func newMigration[T any](g *GorillaMigration[T]) (*migration[T], error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cookiesession: GorillaMigration: "+format, args...)
	}
	m := &migration[T]{GorillaMigration: *g}
	switch {
	case m.CookieName == "":
		return nil, bad("CookieName is empty")
	case len(m.KeyPairs) == 0 || len(m.KeyPairs[0]) == 0:
		return nil, bad("KeyPairs has no hash key")
	case m.Convert == nil:
		return nil, bad("Convert is nil")
	case m.Sunset.IsZero():
		return nil, bad("Sunset is not set")
	}
	if m.MaxAge == 0 {
		m.MaxAge = 7 * 24 * time.Hour
	}
	if m.MaxLength == 0 {
		m.MaxLength = 4096
	}
	if m.Path == "" {
		m.Path = "/"
	}
	if m.MaxAge < time.Second || m.MaxLength < 0 {
		return nil, bad("MaxAge %v or MaxLength %d out of range", m.MaxAge, m.MaxLength)
	}
	if err := (&http.Cookie{Name: m.CookieName, Value: "x", Path: m.Path, Domain: m.Domain}).Valid(); err != nil {
		return nil, bad("%v", err)
	}
	m.codecs = securecookie.CodecsFromPairs(m.KeyPairs...)
	for _, c := range m.codecs {
		sc := c.(*securecookie.SecureCookie)
		// securecookie checks MaxAge only after the MAC, so an old but
		// authentic cookie is told apart from a forged one.
		sc.MaxAge(int(m.MaxAge / time.Second))
		sc.MaxLength(m.MaxLength)
		if m.Serializer != nil {
			sc.SetSerializer(m.Serializer)
		}
	}
	return m, nil
}

// open reports whether the request carries a gorilla cookie and, if
// convert is set and Sunset has not passed, converts the first one that
// decodes into data. It returns ErrAbsent when it converted nothing
// because there was nothing to convert or it was not asked to.
func (m *migration[T]) open(r *http.Request, now time.Time, convert bool) (present bool, data T, err error) {
	c, err := scanCookies(r.Header, m.CookieName, 1)
	if err != nil {
		return false, data, err
	}
	if c.highest() == 0 {
		return false, data, ErrAbsent
	}
	if !convert || !now.Before(m.Sunset) {
		return true, data, ErrAbsent
	}
	var first error
	for _, v := range c.cands(0) { // at most maxCandidates
		d, err := m.decode(v)
		if err == nil {
			return true, d, nil
		}
		if first == nil {
			first = err
		}
	}
	return true, data, first
}

func (m *migration[T]) decode(value string) (data T, err error) {
	if len(value) > m.MaxLength {
		return data, &TooLargeError{What: "gorilla cookie", Size: len(value), Limit: m.MaxLength}
	}
	var values map[any]any
	if err := securecookie.DecodeMulti(m.CookieName, value, &values, m.codecs...); err != nil {
		return data, gorillaError(err)
	}
	if data, err = m.Convert(values); err != nil {
		return data, fmt.Errorf("%w: converting the gorilla session: %w", ErrMalformed, err)
	}
	return data, nil
}

// gorillaError gives a securecookie failure this package's outcome. One
// codec whose MAC matched decides (the cookie is authentic, its age or
// contents are not); if none matched, the cookie was not ours or forged.
func gorillaError(err error) error {
	var errs securecookie.MultiError
	if !errors.As(err, &errs) {
		errs = securecookie.MultiError{err}
	}
	outcome := ErrTampered
	for _, e := range errs {
		switch {
		case errors.Is(e, securecookie.ErrMacInvalid):
		case strings.Contains(e.Error(), "expired timestamp"):
			outcome = ErrExpired
		case outcome != ErrExpired:
			outcome = ErrMalformed
		}
	}
	return fmt.Errorf("%w: gorilla cookie: %w", outcome, err)
}

// expireLegacy expires the gorilla cookie the request carried, unless this
// store writes a cookie of the same name, which replaces it anyway. It is
// expired in every form the browser may hold it in for host (host-only,
// and each Domain from host up), besides the configured one: a gorilla
// cookie left in another form would be converted again on the next
// request, undoing a logout.
func (m *migration[T]) expireLegacy(h http.Header, ours, host string) {
	if m.CookieName == ours {
		return
	}
	domains := cookieDomains(host)
	if !slices.Contains(domains, m.Domain) {
		domains = append(domains, m.Domain)
	}
	for _, d := range domains {
		c := &http.Cookie{Name: m.CookieName, Path: m.Path, Domain: d, MaxAge: -1}
		h.Add("Set-Cookie", c.String())
	}
}
