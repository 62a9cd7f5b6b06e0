package cookiesession

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The attack-case suite for the bearer transport: what a hostile client
// can put in the Authorization header, and the exact outcome of each. The
// store serves cookies and tokens at once, so every case also shows that
// a header the token path decides never falls back on a cookie.

func newBearerAttackFixture(t testing.TB) *attackFixture {
	t.Helper()
	f := newAttackFixture(t)
	f.cfg.Transport = TransportCookie | TransportBearer
	var err error
	if f.st, err = NewStore(f.hits, f.cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

// mintToken seals a token for user under the keyring keys (the store's
// own unless given), at time at, with blob bytes of padding.
func (f *attackFixture) mintToken(t testing.TB, user string, blob int, keys KeySource, at time.Time, mod func(*Config[cart])) string {
	t.Helper()
	_, s := f.minting(t, user, blob, keys, at, mod)
	token, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// loadBearer loads a request with the given Authorization headers (none
// if empty) and Cookie header (none if empty), and saves the session. The
// result's resealed is the key of the token the response sent.
func (f *attackFixture) loadBearer(t testing.TB, cookieHeader string, authorization ...string) result {
	t.Helper()
	r := httptest.NewRequest("GET", "https://api.example.test/", nil)
	if cookieHeader != "" {
		r.Header.Set("Cookie", cookieHeader)
	}
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	s, rec, err := f.loadAndSave(t, r)
	h := rec.Result().Header
	if f.st.CarriesToken(r) && len(h.Values("Set-Cookie")) > 0 {
		t.Fatalf("a request the token decided wrote cookies: %q", h.Values("Set-Cookie"))
	}
	res := result{user: s.Get().User, err: err}
	if h.Get(TokenHeader) != "" {
		res.resealed = s.KeyID()
	}
	return res
}

func TestAttackBearer(t *testing.T) {
	f := newBearerAttackFixture(t)
	token := f.mintToken(t, "victim", 0, nil, t0, nil)
	cookie := f.mint(t, "cookie", 0, nil, t0, nil)[0]
	chunked := f.mint(t, "victim", 700, nil, t0, nil) // 4 chunks

	for _, tc := range []struct {
		name   string
		auth   func() []string // the request's Authorization headers
		cookie string          // its Cookie header
		at     time.Duration   // the server's clock, after t0
		want   result
	}{
		// The baseline, and the spellings RFC 6750 and RFC 9110 allow.
		{"legitimate token", func() []string { return []string{"Bearer " + token} }, "", 0, result{"victim", nil, 0}},
		{"scheme in lower case", func() []string { return []string{"bearer " + token} }, "", 0, result{"victim", nil, 0}},
		{"scheme in upper case", func() []string { return []string{"BEARER " + token} }, "", 0, result{"victim", nil, 0}},
		{"several spaces after the scheme", func() []string { return []string{"Bearer    " + token} }, "", 0, result{"victim", nil, 0}},
		{"whitespace around the value", func() []string { return []string{" \tBearer " + token + " \t"} }, "", 0, result{"victim", nil, 0}},

		// The header's shape.
		{"two Authorization headers", func() []string { return []string{"Bearer " + token, "Bearer " + token} }, "", 0, result{"", ErrMalformed, 0}},
		{"two Authorization headers, one Basic", func() []string { return []string{"Basic YTpi", "Bearer " + token} }, "", 0, result{"", ErrMalformed, 0}},
		{"a tab after the scheme", func() []string { return []string{"Bearer\t" + token} }, "", 0, result{"", ErrMalformed, 0}},
		{"a line break in the token", func() []string { return []string{"Bearer " + token[:20] + "\r\n" + token[20:]} }, "", 0, result{"", ErrMalformed, 0}},
		{"a second word after the token", func() []string { return []string{"Bearer " + token + " extra"} }, "", 0, result{"", ErrMalformed, 0}},
		{"a parameter list after the token", func() []string { return []string{"Bearer " + token + ", realm=x"} }, "", 0, result{"", ErrMalformed, 0}},
		{"a comma for the space", func() []string { return []string{"Bearer," + token} }, "", 0, result{"", ErrMalformed, 0}},
		{"the scheme alone", func() []string { return []string{"Bearer"} }, "", 0, result{"", ErrMalformed, 0}},
		{"the scheme and spaces", func() []string { return []string{"Bearer    "} }, "", 0, result{"", ErrMalformed, 0}},
		{"a NUL byte in the token", func() []string { return []string{"Bearer " + token[:20] + "\x00" + token[20:]} }, "", 0, result{"", ErrMalformed, 0}},

		// Other schemes are not tokens: no session from them, and a cookie
		// beside them still counts.
		{"Basic credentials", func() []string { return []string{"Basic YWRhOnNlY3JldA=="} }, "", 0, result{"", ErrAbsent, 0}},
		{"Basic credentials beside a cookie", func() []string { return []string{"Basic YWRhOnNlY3JldA=="} }, header(cookie), 0, result{"cookie", nil, 0}},
		{"a scheme that starts with Bearer", func() []string { return []string{"Bearerx " + token} }, "", 0, result{"", ErrAbsent, 0}},
		{"the token without a scheme", func() []string { return []string{token} }, "", 0, result{"", ErrAbsent, 0}},

		// A token and a cookie: the token decides, even when it fails.
		{"a token beside another session's cookie", func() []string { return []string{"Bearer " + token} }, header(cookie), 0, result{"victim", nil, 0}},
		{"a tampered token beside a good cookie", func() []string { return []string{"Bearer " + otherChar(token, 40)} }, header(cookie), 0, result{"", ErrTampered, 0}},
		{"a malformed header beside a good cookie", func() []string { return []string{"Bearer"} }, header(cookie), 0, result{"", ErrMalformed, 0}},

		// Encoding tricks on the value, as for cookies.
		{"trailing byte", func() []string { return []string{"Bearer " + token + "A"} }, "", 0, result{"", ErrTampered, 0}},
		{"non-canonical last character", func() []string { return []string{"Bearer " + nonCanonical(t, token)} }, "", 0, result{"", ErrMalformed, 0}},
		{"padding added", func() []string { return []string{"Bearer " + token + "=="} }, "", 0, result{"", ErrMalformed, 0}},
		{"standard alphabet", func() []string {
			for range 100 {
				if v := f.mintToken(t, "victim", 0, nil, t0, nil); strings.ContainsAny(v, "-_") {
					return []string{"Bearer " + strings.NewReplacer("-", "+", "_", "/").Replace(v)}
				}
			}
			t.Fatal("no token with - or _ in 100 tries")
			return nil
		}, "", 0, result{"", ErrMalformed, 0}},
		{"no marker", func() []string { return []string{"Bearer " + token[1:]} }, "", 0, result{"", ErrMalformed, 0}},

		// Values moved to where they were not sealed.
		{"the session cookie's value as a token", func() []string { return []string{"Bearer " + cookie.Value} }, "", 0, result{"", ErrTampered, 0}},
		{"a token of another purpose", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, nil, t0, func(c *Config[cart]) { c.Purpose = "admin" })}
		}, "", 0, result{"", ErrTampered, 0}},
		{"a token of another store's name", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, nil, t0, func(c *Config[cart]) { c.Name = "__Secure-t" })}
		}, "", 0, result{"", ErrTampered, 0}},
		{"the token as the session cookie", func() []string { return nil }, attackName + "=" + token, 0, result{"", ErrTampered, 0}},

		// Chunk counts: a token is one value.
		{"a session's first chunk as a token", func() []string { return []string{"Bearer " + chunked[0].Value} }, "", 0, result{"", ErrMalformed, 0}},
		{"absurd chunk count", func() []string { return []string{"Bearer ~AQD_" + strings.Repeat("A", 100)} }, "", 0, result{"", ErrMalformed, 0}},
		{"chunk count zero", func() []string { return []string{"Bearer ~AQAA" + strings.Repeat("A", 100)} }, "", 0, result{"", ErrMalformed, 0}},
		{"unknown format version", func() []string { return []string{"Bearer ~AgAB" + strings.Repeat("A", 100)} }, "", 0, result{"", ErrUnsupportedVersion, 0}},

		// Size: MaxSize applies to the token, and to the header before it
		// is scanned.
		{"token over MaxSize", func() []string { return []string{"Bearer ~" + strings.Repeat("A", 3000)} }, "", 0, result{"", ErrTooLarge, 0}},
		{"header over MaxSize in spaces", func() []string { return []string{"Bearer" + strings.Repeat(" ", 3000) + token} }, "", 0, result{"", ErrTooLarge, 0}},
		{"a sealed token over MaxSize", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 3000, nil, t0, func(c *Config[cart]) { c.MaxSize = 8000 })}
		}, "", 0, result{"", ErrTooLarge, 0}},

		// Time.
		{"expired: idle for longer than the idle timeout", func() []string { return []string{"Bearer " + token} }, "", 4*time.Hour + time.Minute, result{"", ErrExpired, 0}},
		{"idle window half used: a new token", func() []string { return []string{"Bearer " + token} }, "", 2 * time.Hour, result{"victim", nil, 0xa1}},
		{"issued in the future beyond the skew", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, nil, t0.Add(2*time.Minute), nil)}
		}, "", 0, result{"", ErrNotYetValid, 0}},

		// Keys.
		{"retired key: opens, and a new token from the primary", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, keysSealing(t, 0xa3, 0xa3), t0, nil)}
		}, "", 0, result{"victim", nil, 0xa1}},
		{"pending key: opens, and a new token from the primary", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, keysSealing(t, 0xa2, 0xa2), t0, nil)}
		}, "", 0, result{"victim", nil, 0xa1}},
		{"revoked key: refused, though another id has its secret", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, keysSealing(t, 0xa4, 0xa1), t0, nil)}
		}, "", 0, result{"", ErrRevokedKey, 0}},
		{"unknown key id with the primary's secret", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, keysSealing(t, 0xdead, 0xa1), t0, nil)}
		}, "", 0, result{"", ErrUnknownKey, 0}},
		{"known key id with another key's secret", func() []string {
			return []string{"Bearer " + f.mintToken(t, "victim", 0, keysSealing(t, 0xa1, 0xa3), t0, nil)}
		}, "", 0, result{"", ErrTampered, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clk.now = t0.Add(tc.at)
			got := f.loadBearer(t, tc.cookie, tc.auth()...)
			if got.user != tc.want.user || !sameOutcome(t, got.err, tc.want.err) || got.resealed != tc.want.resealed {
				t.Errorf("got user %q err %v new token by %v;\nwant user %q err %v new token by %v",
					got.user, got.err, got.resealed, tc.want.user, tc.want.err, tc.want.resealed)
			}
		})
	}
}

// TestAttackBearerRefusedBeforeKeys checks that a header refused for its
// shape or size costs no key lookup, let alone a decryption.
func TestAttackBearerRefusedBeforeKeys(t *testing.T) {
	f := newBearerAttackFixture(t)
	chunked := f.mint(t, "victim", 700, nil, t0, nil)
	for name, auth := range map[string][]string{
		"a 1 MiB header":            {"Bearer ~" + strings.Repeat("A", 1<<20)},
		"a thousand headers":        slicesRepeat("Bearer ~AQAB", 1000),
		"a first chunk as a token":  {"Bearer " + chunked[0].Value},
		"a tab after the scheme":    {"Bearer\t~AQAB"},
		"a token of bad characters": {"Bearer ~AQAB!!!!"},
		"two headers":               {"Bearer ~AQAB", "Bearer ~AQAB"},
		"the scheme alone":          {"Bearer"},
		"a second word":             {"Bearer ~AQABAAAA extra"},
		"a comma for the space":     {"Bearer,~AQABAAAA"},
		"a chunk count of 255":      {"Bearer ~AQD_" + strings.Repeat("A", 100)},
	} {
		f.hits.calls = 0
		got := f.loadBearer(t, "", auth...)
		if got.user != "" || got.err == nil || f.hits.calls != 0 {
			t.Errorf("%s: user %q err %v, %d keyring lookups; want a refusal before any", name, got.user, got.err, f.hits.calls)
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestAttackBearerEveryBitFlipAndCut(t *testing.T) {
	f := newBearerAttackFixture(t)
	token := f.mintToken(t, "victim", 100, nil, t0, nil)
	for pos := range len(token) {
		for bit := range 8 {
			mut := []byte(token)
			mut[pos] ^= 1 << bit
			if got := f.loadBearer(t, "", "Bearer "+string(mut)); got.user != "" || got.err == nil {
				t.Fatalf("byte %d bit %d: accepted", pos, bit)
			}
		}
	}
	for n := range len(token) {
		if got := f.loadBearer(t, "", "Bearer "+token[:n]); got.user != "" || got.err == nil {
			t.Fatalf("cut to %d: accepted", n)
		}
	}
}

func TestAttackBearerReplayAfterLogout(t *testing.T) {
	// A token cannot be deleted from a client, and the server keeps no
	// state: a copy opens after logout. Validate is how an application
	// refuses it.
	f := newBearerAttackFixture(t)
	stolen := f.mintToken(t, "victim", 0, nil, t0, nil)
	if got := f.loadBearer(t, "", "Bearer "+stolen); got.user != "victim" {
		t.Fatalf("without Validate: user %q err %v; the replay is accepted", got.user, got.err)
	}
	st, loggedOut := f.withLogouts(t)
	r := httptest.NewRequest("POST", "/logout", nil)
	r.Header.Set("Authorization", "Bearer "+stolen)
	s, _ := st.Load(r)
	loggedOut[s.ID()] = true // the application records the logout
	s.Destroy()
	rec := httptest.NewRecorder()
	st.Save(rec, r, s)
	if len(rec.Result().Header) != 0 {
		t.Errorf("logout over a token wrote %v; there is nothing to delete", rec.Result().Header)
	}
	if s, err := st.Load(r); !errors.Is(err, ErrRejected) || s.Get().User != "" {
		t.Fatalf("with Validate: user %q err %v; want the replay refused", s.Get().User, err)
	}
}
