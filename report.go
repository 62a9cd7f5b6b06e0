package cookiesession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

// Misconfigurations under which the browser drops the session cookie that
// a response sets, so that every request starts a fresh session. A store
// reports each of them once, the first time it sets a cookie on such a
// request, to [Config.Logger] at Warn and to [Config.OnError], with what
// to change in the message. It changes nothing else: the cookie is set as
// configured.
var (
	// ErrInsecureRequest means a Secure cookie was set in answer to a
	// plain-http request for a host that browsers do not treat as secure
	// (anything but localhost, *.localhost and loopback addresses).
	ErrInsecureRequest = errors.New("cookiesession: Secure session cookie set over plain http")

	// ErrHostOutsideDomain means a cookie for [Config.Domain] was set in
	// answer to a request for a host that is neither that domain nor one
	// of its subdomains.
	ErrHostOutsideDomain = errors.New("cookiesession: request host outside Config.Domain")

	// ErrCookieNameMismatch means a request carried no cookie of the
	// store's name but one of the name the store would give its cookie
	// under another configuration: "__Secure-session", which a store with
	// a Domain writes, reaching a store without one ("__Host-session"),
	// or the other way round. The servers and services that share the
	// session disagree on Domain (or Path, or Insecure), and the store
	// sees every such request as one without a session. The session's
	// load error matches both it and [ErrAbsent]; the store reports it
	// once.
	ErrCookieNameMismatch = errors.New("cookiesession: session cookie under another name")
)

// hostReports remembers which misconfigurations a store reported, so that
// each is reported once, not on every request.
type hostReports struct {
	insecure, outside, otherName atomic.Bool
}

// otherNameError is the load error of a request that carries the
// store's session cookie under another name (ErrCookieNameMismatch).
type otherNameError struct{ want, got string }

func (e *otherNameError) Error() string {
	why := "a name the store's cookie gets under another configuration"
	switch {
	case strings.HasPrefix(e.got, "__Secure-") && strings.HasPrefix(e.want, "__Host-"):
		why = "the name a store with Config.Domain set gives it (a __Host- cookie cannot carry a Domain)"
	case strings.HasPrefix(e.got, "__Host-") && strings.HasPrefix(e.want, "__Secure-"):
		why = "the name a store without Config.Domain gives it"
	}
	return fmt.Sprintf("%v %q: the request carries %q, %s; every server and service that shares the session "+
		"needs the same Name, Domain, Path and Insecure", ErrAbsent, e.want, e.got, why)
}

func (e *otherNameError) Unwrap() []error { return []error{ErrAbsent, ErrCookieNameMismatch} }

// otherNames returns the names the store's cookie, called name, gets
// under another configuration: its __Host- prefix swapped for __Secure-
// or the other way round, and, for a cookie without a prefix (an Insecure
// store), either prefix. A prefixed store does not look for the bare
// name, which other applications' cookies often have ("session": gorilla's,
// Express's), nor for the gorilla cookie it migrates from.
func otherNames[T any](name string, gorilla *GorillaMigration[T]) []string {
	var out []string
	switch {
	case strings.HasPrefix(name, "__Host-"):
		out = []string{"__Secure-" + name[len("__Host-"):]}
	case strings.HasPrefix(name, "__Secure-"):
		out = []string{"__Host-" + name[len("__Secure-"):]}
	default:
		out = []string{"__Host-" + name, "__Secure-" + name}
	}
	if gorilla != nil {
		out = slices.DeleteFunc(out, func(n string) bool { return n == gorilla.CookieName })
	}
	return out
}

// otherName returns which of the store's otherNames the Cookie header h
// carries a cookie of, or "". It runs only for a request that carries no
// session cookie, and reads nothing but the cookies' names.
func (st *Store[T]) otherName(h http.Header) string {
	for _, line := range h["Cookie"] {
		for _, other := range st.otherNames {
			if !strings.Contains(line, other) {
				continue
			}
			for part := range strings.SplitSeq(line, ";") {
				if k, _, _ := strings.Cut(trimBlanks(part), "="); k == other {
					return k
				}
			}
		}
	}
	return ""
}

// checkRequest reports, once per store and cause, a request on which the
// browser will not keep the cookie just set. The request's scheme and host
// come from the connection and the Host header, or from a proxy's
// Forwarded or X-Forwarded-Proto/-Host headers when present: they only
// decide whether to report, so a forged one can at worst silence a report
// or raise a false one, and it cannot change what is sent.
func (st *Store[T]) checkRequest(r *http.Request) {
	insecure := !st.cfg.Insecure && !st.reported.insecure.Load()
	outside := st.cfg.Domain != "" && !st.reported.outside.Load()
	if r == nil || !insecure && !outside {
		return // nothing to check, or nothing left to report
	}
	o := requestOrigin(r)
	if insecure = insecure && asciiEqualFold(o.scheme, "http"); !insecure && !outside {
		return // over https, with no Domain to hold the host to, as most are
	}
	// A name, in the case it was sent: lower-cased only for a report or
	// on plain http, as lower-casing allocates for a name in capitals.
	host := strings.TrimSuffix(withoutPort(o.host), ".")
	name := st.cfg.Name
	if insecure && !secureHost(asciiLower(host)) && st.reported.insecure.CompareAndSwap(false, true) {
		st.warn(r, "set cookie", fmt.Errorf("%w: the request for %+q came over plain http (%s), so the browser drops "+
			"the Secure cookie %q and every request starts a fresh session; serve the site over https, %s"+
			"or set Config.Insecure on a development server; behind a proxy that terminates TLS, have it send "+
			"X-Forwarded-Proto: https",
			ErrInsecureRequest, reportedHost(host), o.via+o.viaValue, name, st.secureDevHost()))
	}
	if d := st.cfg.Domain; outside && !domainMatch(host, d) && st.reported.outside.CompareAndSwap(false, true) {
		st.warn(r, "set cookie", fmt.Errorf("%w: the request is for %+q, which is not %s or a subdomain of it, so the "+
			"browser refuses the cookie %q for Domain=%s and every request starts a fresh session; serve the site "+
			"under %s, set Config.Domain to the site's own registrable domain, or leave Domain empty for a "+
			"host-only cookie", ErrHostOutsideDomain, reportedHost(host), d, name, d, d))
	}
}

// secureDevHost suggests a name browsers treat as secure over plain http
// that the store's cookie can be set for: localhost for a host-only
// cookie, the Domain itself when it is under localhost, and none for any
// other Domain (localhost is outside it).
func (st *Store[T]) secureDevHost() string {
	switch d := st.cfg.Domain; {
	case d == "":
		return "open it as http://localhost instead (browsers treat localhost as secure), "
	case strings.HasSuffix(d, ".localhost"):
		return "open it as http://" + d + " or a name under it instead (browsers treat *.localhost as secure), "
	}
	return ""
}

// domainMatch reports whether host is domain or one of its subdomains, by
// the rule a browser applies to a cookie's Domain (RFC 6265, 5.1.3), with
// ASCII letters in either case; without the concatenation "."+domain or
// the lower-casing that would cost every save.
func domainMatch(host, domain string) bool {
	if len(host) <= len(domain) {
		return host == domain || asciiEqualFold(host, domain)
	}
	cut := len(host) - len(domain)
	// == first: a host is nearly always sent in lower case, as Domain is
	// held (Config.normalize), and == is cheaper than the fold.
	return host[cut-1] == '.' && (host[cut:] == domain || asciiEqualFold(host[cut:], domain))
}

// asciiEqualFold reports whether a and b are equal but for the case of
// ASCII letters. Unlike strings.EqualFold it folds no other letter (the
// Kelvin sign is not a k): host names compare so (RFC 6265, 5.1.3).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lowerByte(a[i]) != lowerByte(b[i]) {
			return false
		}
	}
	return true
}

// lowerByte returns c, an ASCII capital in lower case, else unchanged.
func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// maxReportedHost bounds how much of a request's host a report quotes.
const maxReportedHost = 253

// origin is where the browser sent a request, as far as the request tells.
type origin struct {
	scheme string // as sent: compared without regard to ASCII case
	host   string // as sent, with any port
	// via and viaValue say where the scheme came from, for a report: they
	// are joined only when one is made, not on every save. A report is
	// made only for a scheme of "http" in some case, so viaValue is then
	// four bytes long.
	via, viaValue string
}

// requestOrigin returns the scheme and host the browser used for r, from
// the connection and the Host header, or from a proxy's headers.
func requestOrigin(r *http.Request) origin {
	o := origin{scheme: "http", host: r.Host, via: "no TLS on the connection"}
	if r.TLS != nil {
		o.scheme, o.via = "https", "TLS"
	}
	// Only the first element of each header: the one the proxy nearest
	// the browser wrote. Forwarded's word comes first, parameter by
	// parameter: a Forwarded header that gives only for= (a proxy that
	// records the client) leaves the scheme and host to X-Forwarded-*.
	proto, host := forwardedParams(r.Header)
	if proto != "" {
		o.scheme, o.via, o.viaValue = proto, "Forwarded: proto=", proto
	} else if p := proxyHeader(r.Header, "X-Forwarded-Proto"); p != "" {
		o.scheme, o.via, o.viaValue = p, "X-Forwarded-Proto: ", p
	}
	if host != "" {
		o.host = host
	} else if h := proxyHeader(r.Header, "X-Forwarded-Host"); h != "" {
		o.host = h
	}
	return o
}

// maxProxyHeader bounds how much of a proxy header is read.
const maxProxyHeader = 1024

// forwardedParams returns the proto and host parameters of the first
// element of h's Forwarded header (RFC 7239, section 4): its first value
// is read up to the first comma outside a quoted string, its pairs split
// at semicolons outside quoted strings, and a quoted value is taken
// without its quotes and escapes, so that for="x,y" neither ends the
// element nor hides the parameters after it. Bounded: at most
// maxProxyHeader bytes are read.
func forwardedParams(h http.Header) (proto, host string) {
	s := firstValue(h, "Forwarded")
	if s == "" {
		return "", "" // no proxy's word, as on most requests
	}
	empty := true // the element so far holds nothing but blanks
	for {
		pair, rest, end := forwardedPair(s)
		pair = strings.TrimSpace(pair)
		k, val, _ := strings.Cut(pair, "=")
		k, val = strings.TrimSpace(k), unquoteParam(strings.TrimSpace(val))
		switch {
		case proto == "" && asciiEqualFold(k, "proto"):
			proto = val
		case host == "" && asciiEqualFold(k, "host"):
			host = val
		}
		empty = empty && pair == ""
		switch {
		case end && (!empty || rest == ""):
			return proto, host
		case end:
			// An empty element (", proto=https"), which a list may
			// hold and a reader skips (RFC 9110, section 5.6.1).
			empty = true
		}
		s = rest
	}
}

// forwardedPair cuts s at its first semicolon or comma outside a quoted
// string: pair is what comes before it, rest what follows, and end is set
// when the element ends there (a comma, or the end of s, where rest is
// empty). A backslash in a quoted string escapes the byte after it.
func forwardedPair(s string) (pair, rest string, end bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ';':
			return s[:i], s[i+1:], false
		case !quoted && c == ',':
			return s[:i], s[i+1:], true
		}
	}
	return s, "", true
}

// unquoteParam returns v without the quotes of a quoted string and with
// its escapes read (RFC 9110, section 5.6.4), or v as it is.
func unquoteParam(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	if strings.IndexByte(v, '\\') < 0 {
		return v // no escape, no copy
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b = append(b, v[i])
	}
	return string(b)
}

// reportedHost returns host, a name without its port, as a report quotes
// it: with ASCII letters in lower case, as the checks compare it, bounded.
// A report quotes it with %+q, which escapes anything but ASCII: a host
// that is not plain ASCII (browsers send names in punycode) then reads
// as what it is.
func reportedHost(host string) string {
	if len(host) > maxReportedHost {
		host = host[:maxReportedHost]
	}
	return asciiLower(host)
}

// asciiLower returns s with its ASCII capitals in lower case, and no other
// letter changed (strings.ToLower would make the Kelvin sign a k).
func asciiLower(s string) string {
	for i := range len(s) {
		if lowerByte(s[i]) != s[i] {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s // no capital, no copy
}

// proxyHeader returns the first element of h's comma-separated header
// key, of its first value (firstValue: Get would canonicalize these
// constant keys byte by byte on every save over TLS, at more than the
// cost of the rest of checkRequest).
func proxyHeader(h http.Header, key string) string {
	s := firstValue(h, key)
	for {
		first, rest, more := strings.Cut(s, ",")
		// An empty element (", https") is skipped, as a list's reader
		// does (RFC 9110, section 5.6.1).
		if first = strings.TrimSpace(first); first != "" || !more {
			return first
		}
		s = rest
	}
}

// firstValue returns the first value of h's header key, a canonical name
// (what h.Get(key) returns, without Get's canonicalization on every call),
// cut to maxProxyHeader bytes; "" when there is none, as on most requests.
func firstValue(h http.Header, key string) string {
	v := h[key]
	if len(v) == 0 {
		return ""
	}
	if len(v[0]) > maxProxyHeader {
		return v[0][:maxProxyHeader]
	}
	return v[0]
}

// withoutPort returns host without its port and, for an IPv6 address,
// without its brackets. Unlike net.SplitHostPort it allocates nothing for
// a host without a port, which is the common case on every save.
func withoutPort(host string) string {
	if rest, ok := strings.CutPrefix(host, "["); ok {
		ip, _, _ := strings.Cut(rest, "]")
		return ip
	}
	if i := strings.IndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		return host[:i]
	}
	return host
}

// secureHost reports whether browsers treat plain http to host as a
// secure context, where they keep Secure cookies: localhost, its
// subdomains and the loopback addresses.
func secureHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logger is l, or when l is nil the default logger as it is now: an
// application that calls slog.SetDefault after building its store still
// gets the store's records in its own logger.
func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}

// warn reports a problem that is not a failed load or save of the
// session's own data: to OnError, and to the Logger at Warn, with the
// error's text, which says what to change, as the message. The path
// helps find the handler; it is the request's, not the session's.
func (st *Store[T]) warn(r *http.Request, op string, err error) {
	if st.cfg.OnError != nil {
		st.cfg.OnError(r, err)
	}
	// Save takes a nil request, and a request built by hand for Load may
	// have no URL.
	ctx, path := context.Background(), ""
	if r != nil {
		ctx = r.Context()
		if r.URL != nil {
			path = r.URL.Path
		}
	}
	logger(st.cfg.Logger).Log(ctx, slog.LevelWarn, err.Error(), "op", op, "cookie", st.cfg.Name, "path", path)
}
