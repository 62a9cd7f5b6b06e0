package cookiesession

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tokenApp serves a small API over the store, for clients that keep their
// session in a token (and, when the store also serves cookies, for those
// that keep it in a cookie):
//
//	GET  /             the session as JSON
//	POST /token?user=  logs the user in and returns {"token": …}
//	POST /login?user=  logs the user in, the session travelling as it came
//	POST /visit        counts a visit
//	POST /logout       destroys the session
func tokenApp(t testing.TB, st *Store[cart]) http.Handler {
	login := func(r *http.Request) *Session[cart] {
		s, _ := st.FromContext(r.Context())
		s.Renew()
		s.Update(func(c *cart) { c.User = r.FormValue("user") })
		return s
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		json.NewEncoder(w).Encode(map[string]any{"user": s.Get().User, "visits": s.Get().Visits, "new": s.IsNew()})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		token, err := login(r).Token()
		if err != nil {
			t.Errorf("Token: %v", err)
			http.Error(w, "no token", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": token})
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { login(r) })
	mux.HandleFunc("POST /visit", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Destroy()
	})
	return st.Middleware(mux)
}

// tokenClient is an API client that keeps no cookies: it holds a token,
// sends it in the Authorization header and swaps in the one a response's
// Session-Token header brings.
type tokenClient struct {
	t       testing.TB
	h       http.Handler
	token   string
	swapped int // how many times a response brought a new token
}

type apiView struct {
	User   string `json:"user"`
	Visits int    `json:"visits"`
	New    bool   `json:"new"`
}

func (c *tokenClient) do(method, target string) *http.Response {
	c.t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, r)
	resp := rec.Result()
	if cs := resp.Header.Values("Set-Cookie"); len(cs) > 0 {
		c.t.Errorf("%s %s: a token request got cookies %q", method, target, cs)
	}
	if tok := resp.Header.Get(TokenHeader); tok != "" {
		c.token = tok
		c.swapped++
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			c.t.Errorf("%s %s: a response with a new token has Cache-Control %q, want no-store", method, target, got)
		}
		if !headerHasToken(resp.Header, "Vary", "Authorization") {
			c.t.Errorf("%s %s: a response with a new token has Vary %q", method, target, resp.Header.Values("Vary"))
		}
	}
	return resp
}

func (c *tokenClient) view() apiView {
	c.t.Helper()
	var v apiView
	if err := json.NewDecoder(c.do("GET", "/").Body).Decode(&v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

func (c *tokenClient) login(user string) {
	c.t.Helper()
	var body struct{ Token string }
	if err := json.NewDecoder(c.do("POST", "/token?user="+user).Body).Decode(&body); err != nil || body.Token == "" {
		c.t.Fatalf("login: token %q, %v", body.Token, err)
	}
	c.token = body.Token
}

func TestBearerLoginUseLogout(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Transport: TransportBearer})
	c := &tokenClient{t: t, h: tokenApp(t, st)}

	if d := cmp.Diff(apiView{New: true}, c.view()); d != "" {
		t.Errorf("before login (-want +got):\n%s", d)
	}
	c.login("ada")
	if c.swapped != 0 {
		t.Errorf("the login response also sent %s; the token in its body is the session", TokenHeader)
	}
	if !strings.HasPrefix(c.token, "~") {
		t.Errorf("token %q is not a sealed value", c.token)
	}
	if d := cmp.Diff(apiView{User: "ada"}, c.view()); d != "" {
		t.Errorf("after login (-want +got):\n%s", d)
	}
	if c.swapped != 0 {
		t.Errorf("an unchanged session got a new token")
	}
	c.do("POST", "/visit")
	if c.swapped != 1 {
		t.Errorf("a change brought %d new tokens, want 1", c.swapped)
	}
	if d := cmp.Diff(apiView{User: "ada", Visits: 1}, c.view()); d != "" {
		t.Errorf("after a visit (-want +got):\n%s", d)
	}

	// Logout cannot take the token back: the response sends nothing, and
	// a copy of the token kept by the client still opens.
	kept := c.token
	if resp := c.do("POST", "/logout"); resp.Header.Get(TokenHeader) != "" {
		t.Errorf("logout sent a token")
	}
	c.token = kept
	if d := cmp.Diff(apiView{User: "ada", Visits: 1}, c.view()); d != "" {
		t.Errorf("a token kept past logout (-want +got):\n%s", d)
	}
	c.token = ""
	if d := cmp.Diff(apiView{New: true}, c.view()); d != "" {
		t.Errorf("after dropping the token (-want +got):\n%s", d)
	}
}

// TestBearerRefresh checks that a token is re-sealed, and the new one
// sent, exactly when a cookie would be: its idle window half used, or its
// key no longer the primary.
func TestBearerRefresh(t *testing.T) {
	ring := testRing(t) // 0000000a primary; 0000000b becomes primary on 2026-11-22
	st, clk := newStore(t, ring, Config[cart]{Transport: TransportBearer, Lifetime: 7 * 24 * time.Hour, IdleTimeout: 4 * time.Hour})
	c := &tokenClient{t: t, h: tokenApp(t, st)}
	c.login("ada")
	created := clk.now
	for _, step := range []struct {
		advance time.Duration
		swapped int
		user    string
	}{
		{time.Hour, 0, "ada"},              // a quarter of the idle window
		{time.Hour, 1, "ada"},              // half of it: a new token slides the window
		{time.Hour, 1, "ada"},              // a fresh window again
		{3*time.Hour + time.Minute, 1, ""}, // idle for more than 4 hours: gone
	} {
		clk.now = clk.now.Add(step.advance)
		if got := c.view().User; got != step.user || c.swapped != step.swapped {
			t.Errorf("at +%v: user %q, %d new tokens; want %q, %d", clk.now.Sub(created), got, c.swapped, step.user, step.swapped)
		}
	}

	// A token sealed by a key that is no longer the primary comes back
	// re-sealed by the primary, unchanged otherwise.
	clk.now = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	c.login("bob")
	c.swapped = 0
	clk.now = time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
	if got := c.view().User; got != "bob" || c.swapped != 1 {
		t.Fatalf("after the rotation: user %q, %d new tokens; want bob, 1", got, c.swapped)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+c.token)
	s, err := st.Load(r)
	if err != nil || s.KeyID() != 0x0b {
		t.Errorf("the new token: key %v, %v; want 0000000b", s.KeyID(), err)
	}
	if d := cmp.Diff([]KeyUsage{{0x0a, 4, clk.now}, {0x0b, 1, clk.now}}, st.KeyUsage()); d != "" {
		t.Errorf("key usage counts tokens (-want +got):\n%s", d)
	}
}

// mintCookie and mintToken seal a session for user through the store.
func mintCookie(t testing.TB, st *Store[cart], user string) *http.Cookie {
	t.Helper()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: user})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("%d cookies, want 1", len(cs))
	}
	return cs[0]
}

func mintToken(t testing.TB, st *Store[cart], user string) string {
	t.Helper()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: user})
	token, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// loadWith loads a request carrying the given cookie and Authorization
// header (each unless empty), saves it, and returns the session, the load
// error and the response's header.
func loadWith(t testing.TB, st *Store[cart], cookie *http.Cookie, authorization string) (*Session[cart], error, http.Header) {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	s, err := st.Load(r)
	if err != nil && (s.Get() != cart{} || !s.IsNew()) {
		t.Fatalf("a failed load gave a session with %+v", s.Get())
	}
	rec := httptest.NewRecorder()
	if err := st.Save(rec, r, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return s, err, rec.Result().Header
}

func TestBearerBinding(t *testing.T) {
	both := Config[cart]{Name: "__Host-s", Transport: TransportCookie | TransportBearer}
	st, _ := newStore(t, testRing(t), both)
	cookie := mintCookie(t, st, "cookie")
	token := mintToken(t, st, "token")

	// By default a cookie value is not a token, nor a token a cookie.
	if s, err, _ := loadWith(t, st, nil, "Bearer "+cookie.Value); !errors.Is(err, ErrTampered) || s.Get().User != "" {
		t.Errorf("a cookie's value as a token: user %q, %v; want a fresh session and ErrTampered", s.Get().User, err)
	}
	if s, err, _ := loadWith(t, st, &http.Cookie{Name: "__Host-s", Value: token}, ""); !errors.Is(err, ErrTampered) || s.Get().User != "" {
		t.Errorf("a token as the cookie: user %q, %v; want a fresh session and ErrTampered", s.Get().User, err)
	}
	// A token is bound to its store's name, as a cookie is.
	other, _ := newStore(t, testRing(t), Config[cart]{Name: "__Host-t", Transport: TransportBearer})
	if _, err, _ := loadWith(t, other, nil, "Bearer "+token); !errors.Is(err, ErrTampered) {
		t.Errorf("a token of another store: %v, want ErrTampered", err)
	}

	// Opted in, one value serves both.
	shared := both
	shared.ShareTokenAndCookie = true
	st, _ = newStore(t, testRing(t), shared)
	cookie = mintCookie(t, st, "cookie")
	token = mintToken(t, st, "token")
	if s, err, _ := loadWith(t, st, nil, "Bearer "+cookie.Value); err != nil || s.Get().User != "cookie" {
		t.Errorf("shared: a cookie's value as a token: user %q, %v", s.Get().User, err)
	}
	if s, err, _ := loadWith(t, st, &http.Cookie{Name: "__Host-s", Value: token}, ""); err != nil || s.Get().User != "token" {
		t.Errorf("shared: a token as the cookie: user %q, %v", s.Get().User, err)
	}
}

// TestBearerAndCookieRule checks the documented rule for a request that
// carries both: the token decides, and the cookie plays no part, not even
// when the token fails.
func TestBearerAndCookieRule(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Name: "__Host-s", Transport: TransportCookie | TransportBearer})
	cookie := mintCookie(t, st, "cookie")
	token := mintToken(t, st, "token")

	for _, tc := range []struct {
		name          string
		cookie        *http.Cookie
		authorization string
		user          string
		err           error
		carriesToken  bool
	}{
		{"cookie only", cookie, "", "cookie", nil, false},
		{"token only", nil, "Bearer " + token, "token", nil, true},
		{"both: the token decides", cookie, "Bearer " + token, "token", nil, true},
		{"both, the token tampered: a fresh session, not the cookie's", cookie, "Bearer " + otherChar(token, 40), "", ErrTampered, true},
		{"both, the token malformed: a fresh session", cookie, "Bearer\t" + token, "", ErrMalformed, true},
		{"a cookie and Basic credentials: the cookie decides", cookie, "Basic YWRhOnNlY3JldA==", "cookie", nil, false},
		{"Basic credentials alone: no session", nil, "Basic YWRhOnNlY3JldA==", "", ErrAbsent, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err, h := loadWith(t, st, tc.cookie, tc.authorization)
			if s.Get().User != tc.user || !sameOutcome(t, err, tc.err) {
				t.Errorf("user %q, %v; want %q, %v", s.Get().User, err, tc.user, tc.err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			if tc.authorization != "" {
				r.Header.Set("Authorization", tc.authorization)
			}
			if got := st.CarriesToken(r); got != tc.carriesToken {
				t.Errorf("CarriesToken %v, want %v", got, tc.carriesToken)
			}
			// A request the token decided never touches the cookies: the
			// browser's stay as they are, whatever became of the token.
			if tc.carriesToken && len(h.Values("Set-Cookie")) > 0 {
				t.Errorf("a token request wrote cookies %q", h.Values("Set-Cookie"))
			}
		})
	}
}

func TestBearerValidateAndExpiry(t *testing.T) {
	var rejected error
	st, clk := newStore(t, testRing(t), Config[cart]{
		Transport: TransportBearer, Lifetime: 2 * time.Hour, IdleTimeout: -1, ClockSkew: -1,
		Validate: func(_ *http.Request, s *Session[cart]) error {
			if s.Get().User == "mallory" {
				return errors.New("logged out everywhere")
			}
			return nil
		},
		OnError: func(_ *http.Request, err error) { rejected = err },
	})
	if _, err, _ := loadWith(t, st, nil, "Bearer "+mintToken(t, st, "mallory")); !errors.Is(err, ErrRejected) || rejected != err {
		t.Errorf("Validate refusing a token: %v (reported %v), want ErrRejected", err, rejected)
	}
	token := mintToken(t, st, "ada")
	clk.now = clk.now.Add(2*time.Hour - time.Second)
	if s, err, _ := loadWith(t, st, nil, "Bearer "+token); err != nil || s.Get().User != "ada" {
		t.Errorf("a second before the end of its lifetime: user %q, %v", s.Get().User, err)
	}
	clk.now = clk.now.Add(time.Second)
	if _, err, _ := loadWith(t, st, nil, "Bearer "+token); !errors.Is(err, ErrExpired) {
		t.Errorf("at the end of its lifetime: %v, want ErrExpired", err)
	}
}

func TestBearerTokenErrors(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	if _, err := s.Token(); err == nil || !strings.HasPrefix(err.Error(), "cookiesession: ") {
		t.Errorf("Token on a cookie-only store: %v, want an error", err)
	}

	st, _ = newStore(t, testRing(t), Config[cart]{Transport: TransportBearer, MaxSize: 1024})
	s, _ = st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada", Blob: strings.Repeat("x", 2000)})
	_, err := s.Token()
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.What != "bearer token" || tl.Limit != 1024 || tl.Size <= 1024 {
		t.Errorf("a token over MaxSize: %v, want a *TooLargeError for the bearer token", err)
	}
	// A failed save writes nothing and drops the pending change.
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); !errors.As(err, &tl) {
		t.Errorf("Save of a token over MaxSize: %v", err)
	}
	if got := rec.Result().Header.Get(TokenHeader); got != "" {
		t.Errorf("a failed save sent a token")
	}
	if err := st.Save(httptest.NewRecorder(), nil, s); err != nil {
		t.Errorf("a second Save tried again: %v", err)
	}
}

func TestBearerConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config[cart]
		want string
	}{
		{"unknown transport", Config[cart]{Transport: 4}, "Transport 4"},
		{"sharing without tokens", Config[cart]{ShareTokenAndCookie: true}, "ShareTokenAndCookie needs TransportBearer"},
		{"gorilla without cookies", Config[cart]{Transport: TransportBearer, Gorilla: &GorillaMigration[cart]{}}, "Gorilla reads cookies"},
	} {
		_, err := NewStore(testRing(t), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cookiesession: ") {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}

// TestBearerThroughCookieStoreUnchanged checks that the default store,
// cookies only, ignores an Authorization header altogether.
func TestBearerThroughCookieStoreUnchanged(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Name: "__Host-s"})
	cookie := mintCookie(t, st, "cookie")
	if s, err, _ := loadWith(t, st, cookie, "Bearer ~AQAB"); err != nil || s.Get().User != "cookie" {
		t.Errorf("a cookie store with a stray Authorization header: user %q, %v", s.Get().User, err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer ~AQAB")
	if st.CarriesToken(r) {
		t.Errorf("CarriesToken on a cookie-only store")
	}
}

// TestTokenThenDestroyExpiresCookies checks a cookie session handed out as
// a token, then destroyed in the same response: its cookies are expired,
// as Destroy says, and the failure logs of tokens name the transport.
func TestTokenThenDestroyExpiresCookies(t *testing.T) {
	var logged strings.Builder
	st, _ := newStore(t, testRing(t), Config[cart]{
		Transport: TransportCookie | TransportBearer,
		Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
	})
	cookie := mintCookie(t, st, "ada")
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(cookie)
	s, err := st.Load(r)
	if err != nil || s.Get().User != "ada" {
		t.Fatalf("Load: %+v, %v", s.Get(), err)
	}
	if _, err := s.Token(); err != nil {
		t.Fatal(err)
	}
	s.Destroy()
	rec := httptest.NewRecorder()
	if err := st.Save(rec, r, s); err != nil {
		t.Fatal(err)
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != cookie.Name || cs[0].MaxAge >= 0 {
		t.Errorf("Set-Cookie %v, want the session cookie expired", rec.Header().Values("Set-Cookie"))
	}

	bad := httptest.NewRequest("GET", "/", nil)
	bad.Header.Set("Authorization", "Bearer ~AAAA")
	st.Load(bad)
	if !strings.Contains(logged.String(), "transport=\"bearer token\"") || strings.Contains(logged.String(), "cookie=") {
		t.Errorf("a token's failure logged as %q", logged.String())
	}
}

// TestTokenCarriesFlashes checks that a token seals the whole session, its
// flashes with it, as a cookie does.
func TestTokenCarriesFlashes(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Transport: TransportBearer})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	if err := s.AddFlash("info", "welcome"); err != nil {
		t.Fatal(err)
	}
	token, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	got, err := st.Load(r)
	if err != nil {
		t.Fatal(err)
	}
	if fl := got.Flashes(); len(fl) != 1 || fl[0].Text != "welcome" {
		t.Errorf("flashes through a token: %+v, want the one added", fl)
	}
}

// A store that serves only tokens says of a request without one that it
// carries no token, not no cookie; the error is still ErrAbsent.
func TestBearerAbsentSpeaksOfTokens(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Transport: TransportBearer})
	for _, auth := range []string{"", "Basic dXNlcjpwYXNz"} {
		r := localRequest("GET", "/api")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		s, err := st.Load(r)
		if !errors.Is(err, ErrAbsent) || !errors.Is(s.LoadError(), ErrAbsent) {
			t.Fatalf("Authorization %q: %v, want ErrAbsent", auth, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "bearer token") || strings.Contains(msg, "session cookie") {
			t.Errorf("Authorization %q: %q, want it to speak of a bearer token", auth, msg)
		}
	}
}
