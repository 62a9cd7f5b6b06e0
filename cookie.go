package cookiesession

import (
	"net/http"
	"strings"
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
