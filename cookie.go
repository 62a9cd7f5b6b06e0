package cookiesession

import (
	"iter"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

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

// cookieAttrs holds the attributes every session cookie of a store
// carries, written once, when the store is built, by net/http's own
// Cookie.String, so that they are byte for byte what it writes.
type cookieAttrs struct {
	mid  string // "; Path=/; Domain=example.com": before Max-Age
	tail string // "; HttpOnly; Secure; SameSite=Lax": after it
}

func newCookieAttrs[T any](cfg *Config[T]) cookieAttrs {
	const probe = "x"
	mid := (&http.Cookie{Name: probe, Path: cfg.Path, Domain: cfg.Domain}).String()
	tail := (&http.Cookie{Name: probe, Secure: !cfg.Insecure, HttpOnly: !cfg.ScriptAccess, SameSite: cfg.SameSite}).String()
	return cookieAttrs{mid: mid[len(probe)+1:], tail: tail[len(probe)+1:]}
}

// appendSetCookies appends to lines the Set-Cookie lines of a sealed value
// split into parts, named as chunks of name: the lines that
// st.cookie(chunkName(name, i), parts[i], maxAge).String() returns, byte
// for byte, without the checks that net/http's Cookie.Valid and
// Cookie.String make on every byte of every value, since none of them
// can fail here:
//
//   - the names are valid tokens: Config.normalize checked the name of
//     the store's last possible chunk with Cookie.Valid when the store
//     was built, and every chunk name is the name, a dot and digits;
//   - the path and domain were checked there too, and the attributes
//     are the ones net/http wrote (newCookieAttrs);
//   - a value is ours by construction: the prefix '~' and base64url
//     characters (Codec.seal writes nothing else), all of them
//     cookie-octets of RFC 6265 and none a space or a comma, so net/http
//     would neither drop nor quote any byte of it.
//
// TestSetCookieLines holds this to Cookie.String and Cookie.Valid on
// random sessions and configurations. All the lines share one
// allocation.
func (st *Store[T]) appendSetCookies(lines []string, name string, parts [][]byte, maxAge int) []string {
	a := &st.attrs
	var age [24]byte
	ageAttr := age[:0]
	switch {
	case maxAge > 0:
		ageAttr = strconv.AppendInt(append(ageAttr, "; Max-Age="...), int64(maxAge), 10)
	case maxAge < 0:
		ageAttr = append(ageAttr, "; Max-Age=0"...)
	}
	size := 0
	for i, p := range parts {
		size += chunkNameLen(name, i) + 1 + len(p) + len(a.mid) + len(ageAttr) + len(a.tail)
	}
	var b strings.Builder
	b.Grow(size)
	var num [4]byte
	for i, p := range parts {
		b.WriteString(name)
		if i > 0 {
			b.WriteByte('.')
			b.Write(strconv.AppendInt(num[:0], int64(i), 10))
		}
		b.WriteByte('=')
		b.Write(p)
		b.WriteString(a.mid)
		b.Write(ageAttr)
		b.WriteString(a.tail)
	}
	all := b.String()
	lines = slices.Grow(lines, len(parts))
	for i, p := range parts {
		n := chunkNameLen(name, i) + 1 + len(p) + len(a.mid) + len(ageAttr) + len(a.tail)
		lines = append(lines, all[:n])
		all = all[n:]
	}
	return lines
}

// cacheNeed records what the saves of one response asked of caches, so
// that the middleware can hold the response to it when its header goes
// out (keepCacheHeaders).
type cacheNeed uint8

const (
	cachePrivate cacheNeed = 1 << iota // a session cookie was set
	cacheNoStore                       // the cookies were expired: a logout
	cacheToken                         // a token was issued
)

// keepCacheHeaders applies again, just before the header goes out, the
// cache headers that a save earlier in the response set. A handler that
// calls Save and then sets "Cache-Control: public" (or deletes Vary), as
// a page's own caching policy might, would otherwise let a shared cache
// keep the response, and hand one user's session to everyone it serves.
func keepCacheHeaders(h http.Header, need cacheNeed) {
	if need&(cachePrivate|cacheNoStore) != 0 {
		setCacheHeaders(h, need&cacheNoStore != 0)
	}
	if need&cacheToken != 0 {
		setTokenCacheHeaders(h)
	}
}

// setCacheHeaders keeps shared caches from storing a response that sets
// a session cookie and serving it to someone else: Vary: Cookie, and
// Cache-Control private (no-store on logout).
func setCacheHeaders(h http.Header, noStore bool) {
	dropTargetedCacheHeaders(h)
	setCacheHeadersIn(h, noStore, nil)
}

// setCacheHeadersIn is setCacheHeaders once the targeted cache headers
// are dropped, with room for the two lines in spare when it has length 2:
// the caller's allocation, given only when the caller found neither
// header set (it looked them up already, so they are not looked up
// again).
func setCacheHeadersIn(h http.Header, noStore bool, spare []string) {
	if len(spare) == 2 || len(h["Vary"]) == 0 && len(h["Cache-Control"]) == 0 {
		// Neither header set yet, as on most responses: both lines
		// in one allocation, each slice capped so that appending to
		// one never writes over the other.
		lines := spare
		if len(lines) != 2 {
			lines = make([]string, 2)
		}
		lines[0], lines[1] = "Cookie", "private"
		if noStore {
			lines[1] = "no-store"
		}
		h["Vary"], h["Cache-Control"] = lines[0:1:1], lines[1:2:2]
		return
	}
	if !headerHasToken(h, "Vary", "cookie") && !headerHasToken(h, "Vary", "*") {
		h.Add("Vary", "Cookie")
	}
	switch {
	case noStore:
		h.Set("Cache-Control", "no-store")
	case headerHasBareToken(h, "Cache-Control", "no-store"):
	case headerHasBareToken(h, "Cache-Control", "private") && !headerHasToken(h, "Cache-Control", "public") &&
		!headerHasToken(h, "Cache-Control", "s-maxage"):
	default:
		// private, alone: a private="Set-Cookie" only keeps the header
		// out of a shared cache, which may store and serve the rest of
		// the response (RFC 9111, 5.2.2.7), and public or s-maxage beside
		// private invite a cache to guess which one wins.
		var keep []string
		for _, v := range h.Values("Cache-Control") {
			for d := range directives(v) {
				d = strings.TrimSpace(d)
				name, _, _ := strings.Cut(strings.ToLower(d), "=")
				if d != "" && name != "public" && name != "s-maxage" && name != "private" {
					keep = append(keep, d)
				}
			}
		}
		h.Set("Cache-Control", strings.Join(append([]string{"private"}, keep...), ", "))
	}
}

// dropTargetedCacheHeaders removes the cache headers aimed at CDNs and
// other shared caches alone: a cache that a targeted header addresses
// follows it and ignores Cache-Control (RFC 9213), so a handler's
// "CDN-Cache-Control: max-age=3600" would have a CDN keep one user's
// Set-Cookie and hand it to everyone. The response's Cache-Control
// (private, or no-store) then speaks for every cache.
func dropTargetedCacheHeaders(h http.Header) {
	delete(h, "Cdn-Cache-Control")
	delete(h, "Cloudflare-Cdn-Cache-Control")
	delete(h, "Surrogate-Control")
}

// headerHasToken reports whether a comma-separated header lists token
// (a directive name, case-insensitively).
func headerHasToken(h http.Header, key, token string) bool {
	return headerLists(h, key, token, false)
}

// headerHasBareToken reports whether a comma-separated header lists token
// without an argument: private, not private="Set-Cookie".
func headerHasBareToken(h http.Header, key, token string) bool {
	return headerLists(h, key, token, true)
}

// directives yields the comma-separated elements of a header value, as
// written: a comma inside a quoted string (private="Set-Cookie, X-Foo")
// separates nothing (RFC 9110, 5.6.4, with its backslash escapes).
func directives(v string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start, quoted := 0, false
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case quoted && c == '\\':
				i++ // the escaped byte, whatever it is
			case c == '"':
				quoted = !quoted
			case c == ',' && !quoted:
				if !yield(v[start:i]) {
					return
				}
				start = i + 1
			}
		}
		yield(v[start:])
	}
}

// headerLists reports whether a comma-separated header lists the
// directive token, case-insensitively, and without an argument if bare.
func headerLists(h http.Header, key, token string, bare bool) bool {
	for _, v := range h.Values(key) {
		for d := range directives(v) {
			name, _, hasArg := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, token) && !(bare && hasArg) {
				return true
			}
		}
	}
	return false
}

// requestHost returns the host of a request's Host header, lower case and
// without a port. It runs only when twins or a gorilla cookie are expired,
// not on every request: splitting a Host without a port allocates an error.
func requestHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// maxTwinForms bounds the Domain attributes tried when expiring twins: one
// per label of the request's host, however long a Host header an attacker
// sends.
const maxTwinForms = 8

// cookieDomains returns the Domain attributes under which a browser may
// hold a cookie that it sends to host: "" for a host-only cookie, host
// itself, and each parent domain of host short of a public suffix (which
// browsers refuse as a Domain). An IP address has no parents, and nor
// does a host that is not a domain name net/http writes as a Domain (the
// Host header is the client's to choose: net/http's Cookie.String would
// drop such a Domain, and say so on the standard logger, and no browser
// holds a cookie for it). A host written with the root's trailing dot has
// parents written with it too, short of the public suffix.
func cookieDomains(host string) []string {
	out := []string{""}
	if host == "" || net.ParseIP(host) != nil || (&http.Cookie{Name: "x", Domain: host}).Valid() != nil {
		return out
	}
	name, dot := strings.CutSuffix(host, ".")
	for d := name; d != "" && len(out) < maxTwinForms; {
		if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
			break
		}
		if dot {
			out = append(out, d+".")
		} else {
			out = append(out, d)
		}
		_, d, _ = strings.Cut(d, ".")
	}
	return out
}

// twinDomains returns the Domain attributes other than the store's own
// under which the browser may hold a cookie of the session's name for
// host. A "__Host-" cookie can have no Domain at all, so it has no twins.
func (st *Store[T]) twinDomains(host string) []string {
	if strings.HasPrefix(st.cfg.Name, "__Host-") {
		return nil
	}
	var out []string
	for _, d := range cookieDomains(host) {
		if d != st.cfg.Domain {
			out = append(out, d)
		}
	}
	return out
}

// expireTwins expires, in every form but the store's own, the session's
// chunks from 0 to the highest the request carried or this response set.
// It runs only when the request carried a cookie name twice, so that a
// twin cannot outlive a logout or keep an old login alive beside a new one.
func (st *Store[T]) expireTwins(h http.Header, s *Session[T]) {
	if !s.carried.dup {
		return
	}
	to := max(s.carried.highest, s.written, 1)
	for _, d := range st.twinDomains(requestHost(s.host)) {
		for i := range to {
			c := st.cookie(chunkName(st.cfg.Name, i), "", -1)
			c.Domain = d
			h.Add("Set-Cookie", c.String())
		}
	}
}
