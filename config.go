package cookiesession

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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

	// minLifetime is the shortest Lifetime a store takes: a value is
	// sealed only with a second or more left (a shorter one would be dead
	// on arrival), and a session of a 1 s lifetime never has that by the
	// time the request that made it saves it.
	minLifetime = 2 * time.Second
)

// Config configures a [Store]. The zero value of every field means the
// documented default; [NewStore] validates the whole and keeps a copy.
type Config[T any] struct {
	// Name is the session cookie's name; chunks after the first are named
	// Name.1, Name.2, …. Default "__Host-session", or "__Secure-session"
	// when Domain is set or Path is not "/", or "session" when Insecure is
	// set. A "__Host-"
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
	// over plain HTTP. Leave it false: browsers treat http://localhost and
	// http://*.localhost as secure, so development does not need it. curl
	// is not a browser: its cookie jar keeps a Secure cookie for
	// http://localhost but drops one for http://*.localhost, so script a
	// shared Domain such as "example.localhost" over https.
	Insecure bool

	// ScriptAccess drops the HttpOnly attribute, letting page scripts read
	// the (sealed) cookie. Default false.
	ScriptAccess bool

	// SameSite is the cookie's SameSite attribute. Default
	// http.SameSiteLaxMode. http.SameSiteNoneMode requires Secure.
	SameSite http.SameSite

	// Lifetime is the absolute lifetime of a session, from its creation or
	// its last Renew: no activity extends it. It also sets the cookies'
	// Max-Age. Default 7 days; at least 2 seconds, at most 400 days.
	Lifetime time.Duration

	// BrowserSessionCookies makes the cookies of a session that has not
	// chosen with [Session.SetPersistent] browser-session cookies: no
	// Max-Age, so the browser deletes them when it closes. Lifetime and
	// IdleTimeout still hold: the server enforces them. Default false:
	// cookies carry a Max-Age and outlive the browser.
	BrowserSessionCookies bool

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
	// request header line for the site's other cookies; at most 49152,
	// which leaves 16 KiB of the 64 KiB Cookie header that a store reads
	// at all for the other cookies (beyond it, no session loads).
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
	// save (an absent cookie is not a failure), and for the mistakes a
	// store notices in how it is used (a change after the response's
	// header, a cookie the browser would drop). Default nil: the
	// [slog.Default] logger at the time of the record, so that nothing
	// fails without a word, but with one failed load of each kind (a
	// tampered cookie, an unknown key, …) a minute, since any client can
	// send a bad cookie on every request; OnError, and a Logger given
	// here, get every one. slog.New(slog.DiscardHandler) silences it.
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

	// Transport says how sessions travel: [TransportCookie] (the default),
	// [TransportBearer] (an "Authorization: Bearer" request header, for
	// clients that keep no cookies), or both, OR-ed together, on the same
	// routes. See [Session.Token] and [TokenHeader].
	Transport Transport

	// ShareTokenAndCookie seals bearer tokens exactly as one-cookie session
	// values, so that a token also works as the session cookie and the
	// value of a session cookie also works as a token. By default the two
	// are sealed for different uses and neither opens as the other: a
	// cookie is HttpOnly, so that page scripts never see it, and travels
	// under SameSite and origin checks, while a token is held by code.
	// Sharing them lets a cookie value lifted from a browser replay from
	// any client with none of those in its way, and a token leaked from an
	// app's storage be planted as a cookie. Set it only when one client
	// really moves a session between the two, such as a native app taking
	// over the session of its login web view. It requires TransportBearer.
	ShareTokenAndCookie bool
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
		case c.Domain != "" || c.Path != "" && c.Path != "/":
			// A __Host- cookie has no Domain and Path "/".
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
	if c.Transport == 0 {
		c.Transport = TransportCookie
	}

	switch {
	case c.Lifetime < minLifetime || c.Lifetime > MaxLifetime:
		return bad("Lifetime %v is not between 2s and 400 days", c.Lifetime)
	case c.IdleTimeout != 0 && c.IdleTimeout < time.Second:
		return bad("IdleTimeout %v is shorter than 1s", c.IdleTimeout)
	case c.ChunkSize < 256 || c.ChunkSize > BrowserCookieLimit:
		return bad("ChunkSize %d is not between 256 and %d", c.ChunkSize, BrowserCookieLimit)
	case c.MaxSize < 256 || c.MaxSize > maxMaxSize:
		return bad("MaxSize %d is not between 256 and %d", c.MaxSize, maxMaxSize)
	case len(c.Name)+4 > c.ChunkSize/2:
		return bad("Name %q is too long for ChunkSize %d", c.Name, c.ChunkSize)
	case !strings.HasPrefix(c.Path, "/"):
		return bad("Path %q does not start with /", c.Path)
	case c.SameSite < http.SameSiteDefaultMode || c.SameSite > http.SameSiteNoneMode:
		// net/http writes no attribute for a value it does not know: the
		// cookie would lose its cross-site protection without a word.
		return bad("SameSite %d is not one of net/http's SameSite modes", c.SameSite)
	case c.SameSite == http.SameSiteNoneMode && c.Insecure:
		return bad("SameSite=None requires Secure; unset Insecure")
	case c.Transport&^(TransportCookie|TransportBearer) != 0:
		return bad("Transport %d is not TransportCookie, TransportBearer or both", c.Transport)
	case c.ShareTokenAndCookie && c.Transport&TransportBearer == 0:
		return bad("ShareTokenAndCookie needs TransportBearer in Transport")
	case c.Gorilla != nil && c.Transport&TransportCookie == 0:
		return bad("Gorilla reads cookies, and Transport has no TransportCookie")
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
		return bad("Name %q, Path %q, Domain %q: %v", c.Name, c.Path, c.Domain, err)
	}
	return nil
}

// endsInNumber reports whether a browser parses host d as an IPv4 address
// (WHATWG URL, "ends in a number"): its last label is decimal digits, or
// 0x and hexadecimal digits.
func endsInNumber(d string) bool {
	last := d[strings.LastIndexByte(d, '.')+1:]
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// checkDomain refuses a cookie Domain that would share the session beyond
// one site: a public suffix, which browsers refuse anyway, or an IP address;
// and one that names no host in the way browsers read a Domain.
func checkDomain(d string) error {
	if strings.ContainsAny(d, ":/") && net.ParseIP(strings.Trim(d, "[]")) == nil {
		// A URL or host:port pasted in: net/http would only say
		// "invalid Cookie.Domain".
		return fmt.Errorf("Domain %q is not a host name; give the name alone, without a scheme, port or path (example.com)", d)
	}
	if strings.HasSuffix(d, ".") {
		// Browsers refuse a cookie whose Domain ends with a dot: every
		// session would be dropped without a word.
		return fmt.Errorf("Domain %q ends with a dot; write it without", d)
	}
	if strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		// One leading dot is dropped before this check, as Set-Cookie
		// allows; an empty label beyond it names no host.
		return fmt.Errorf("Domain %q has an empty label", d)
	}
	if d == "localhost" {
		return fmt.Errorf("Domain %q cannot be shared (browsers treat it as a top-level domain); use a name under it, such as example.localhost, or leave Domain empty", d)
	}
	if net.ParseIP(strings.Trim(d, "[]")) != nil {
		return fmt.Errorf("Domain %q is an IP address; leave Domain empty for a host-only cookie", d)
	}
	if endsInNumber(d) {
		// Browsers parse such a host as an IPv4 address (0x7f.0.0.1 is
		// 127.0.0.1, WHATWG URL "ends in a number"), where a Domain
		// attribute is refused.
		return fmt.Errorf("Domain %q ends in a number, which browsers read as an IPv4 address; leave Domain empty for a host-only cookie", d)
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return fmt.Errorf("Domain %q is a public suffix; use your registrable domain", d)
	}
	return nil
}
