package cookiesession

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/publicsuffix"
)

type cart struct {
	User   string
	Visits int
	Blob   string
}

func newStore[T any](t testing.TB, keys KeySource, cfg Config[T]) (*Store[T], *clock) {
	t.Helper()
	clk := &clock{now: t0}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	st, err := NewStore(keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, clk
}

// cartApp serves a small application over the store:
//
//	GET  /            the session as text
//	POST /visit       counts a visit
//	POST /login?user= renews the session and logs the user in
//	POST /logout      destroys the session
//	POST /grow?n=     sets Blob to n bytes
func cartApp(st *Store[cart]) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		c := s.Get()
		fmt.Fprintf(w, "user=%s visits=%d blob=%d new=%v", c.User, c.Visits, len(c.Blob), s.IsNew())
	})
	mux.HandleFunc("POST /visit", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Renew()
		s.Update(func(c *cart) { c.User = r.FormValue("user") })
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Destroy()
	})
	mux.HandleFunc("POST /grow", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		n, _ := strconv.Atoi(r.FormValue("n"))
		s.Update(func(c *cart) { c.Blob = strings.Repeat("x", n) })
	})
	return st.Middleware(mux)
}

// browser is an HTTP client with a cookie jar that resolves every host
// name to the test server, so that subdomains can be tested on loopback.
type browser struct {
	t      testing.TB
	client *http.Client
	jar    *cookiejar.Jar
	port   string
}

func newBrowser(t testing.TB, srv *httptest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the test server's certificate names no test host
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &browser{t: t, client: &http.Client{Transport: tr, Jar: jar}, jar: jar, port: port}
}

func (b *browser) url(host, path string) string {
	return "https://" + host + ":" + b.port + path
}

func (b *browser) do(method, host, path string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.url(host, path), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %s: %s", method, path, resp.Status, body)
	}
	return resp, string(body)
}

// jarNames returns the names of the cookies the jar would send to host.
func (b *browser) jarNames(host string) []string {
	u, _ := url.Parse(b.url(host, "/"))
	var names []string
	for _, c := range b.jar.Cookies(u) {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

func TestStoreVisitLoginLogout(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	srv := httptest.NewTLSServer(cartApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)
	const host = "app.example.test"

	resp, body := b.do("GET", host, "/")
	if body != "user= visits=0 blob=0 new=true" || len(resp.Cookies()) != 0 {
		t.Fatalf("first visit: %q, %d cookies; an unchanged session sets none", body, len(resp.Cookies()))
	}
	for range 3 {
		b.do("POST", host, "/visit")
	}
	_, body = b.do("GET", host, "/")
	if body != "user= visits=3 blob=0 new=false" {
		t.Fatalf("after 3 visits: %q", body)
	}

	resp, _ = b.do("POST", host, "/login?user=ada")
	c := resp.Cookies()[0]
	want := &http.Cookie{
		Name: "__Host-session", Value: c.Value, Path: "/", MaxAge: int(DefaultLifetime / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, Raw: c.Raw,
	}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("cookie attributes (-want +got):\n%s", d)
	}
	if got := resp.Header.Get("Vary"); got != "Cookie" {
		t.Errorf("Vary = %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "private" {
		t.Errorf("Cache-Control = %q", got)
	}
	_, body = b.do("GET", host, "/")
	if body != "user=ada visits=3 blob=0 new=false" {
		t.Fatalf("after login: %q", body)
	}

	resp, _ = b.do("POST", host, "/logout")
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("logout Cache-Control = %q", got)
	}
	if names := b.jarNames(host); len(names) != 0 {
		t.Errorf("cookies left after logout: %v", names)
	}
	_, body = b.do("GET", host, "/")
	if body != "user= visits=0 blob=0 new=true" {
		t.Fatalf("after logout: %q", body)
	}
}

func TestStoreRenewChangesID(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Update(func(c *cart) { c.Visits = 1 })
	before := s.ID()
	st.Save(rec, nil, s)

	s, err := st.Load(requestWith(rec))
	if err != nil || s.ID() != before {
		t.Fatalf("reload: id %q (%v), want %q", s.ID(), err, before)
	}
	s.Renew()
	if s.ID() == before {
		t.Fatal("Renew kept the id")
	}
	if s.Get().Visits != 1 {
		t.Fatal("Renew lost the data")
	}
}

// requestWith returns a request carrying the cookies a response set.
func requestWith(rec *httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 {
			r.AddCookie(c)
		}
	}
	return r
}

func TestStoreSubdomains(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Domain: "example.test"})
	if st.Name() != "__Secure-session" {
		t.Errorf("default name with a Domain: %q", st.Name())
	}
	srv := httptest.NewTLSServer(cartApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)

	b.do("POST", "app.example.test", "/login?user=ada")
	_, body := b.do("GET", "api.example.test", "/")
	if body != "user=ada visits=0 blob=0 new=false" {
		t.Fatalf("api sees %q", body)
	}
	if _, body := b.do("GET", "elsewhere.test", "/"); !strings.HasPrefix(body, "user= ") {
		t.Fatalf("another site sees %q", body)
	}
}

func TestStoreGrowShrink(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{MaxSize: 20000})
	srv := httptest.NewTLSServer(cartApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)
	const host = "app.example.test"

	for _, step := range []struct {
		n      int
		chunks int
	}{
		{10, 1}, {5000, 2}, {13500, 5}, {8000, 3}, {10, 1}, {11000, 4}, {0, 1},
	} {
		resp, _ := b.do("POST", host, "/grow?n="+strconv.Itoa(step.n))
		var want []string
		for i := range step.chunks {
			want = append(want, chunkName("__Host-session", i))
		}
		slices.Sort(want)
		if d := cmp.Diff(want, b.jarNames(host)); d != "" {
			t.Fatalf("grow to %d bytes: cookies (-want +got):\n%s", step.n, d)
		}
		for _, c := range resp.Cookies() {
			if len(c.Name)+len(c.Value) > DefaultChunkSize {
				t.Errorf("cookie %s holds %d bytes", c.Name, len(c.Name)+len(c.Value))
			}
			if c.MaxAge < 0 && (c.Path != "/" || c.Domain != "") {
				t.Errorf("expired %s with other attributes: %+v", c.Name, c)
			}
		}
		_, body := b.do("GET", host, "/")
		if want := fmt.Sprintf("blob=%d", step.n); !strings.Contains(body, want) {
			t.Fatalf("grow to %d: body %q", step.n, body)
		}
	}
}

// TestSavesInOneResponse saves the session several times in one
// response, growing, shrinking and destroying it: the browser ends up
// with the chunks of the last save, and no chunk of an earlier one.
func TestSavesInOneResponse(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{MaxSize: 20000})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Load(r)
		for step := range strings.SplitSeq(r.URL.Query().Get("steps"), ",") {
			switch step {
			case "":
				continue
			case "destroy":
				s.Destroy()
			default:
				n, _ := strconv.Atoi(step)
				s.Set(cart{User: "ada", Blob: strings.Repeat("b", n)})
			}
			if err := st.Save(w, r, s); err != nil {
				t.Error(err)
			}
		}
		fmt.Fprintf(w, "blob=%d", len(s.Get().Blob))
	}))
	defer srv.Close()
	const host = "app.example.test"
	for _, tc := range []struct {
		before, steps string
		chunks        int
	}{
		{"", "13500,10", 1},
		{"", "13500,8000,10", 1},
		{"", "10,13500,5000", 2},
		{"", "8000,destroy", 0},
		{"", "13500,10,destroy", 0},
		{"", "13500,destroy,10", 1},
		{"13500", "8000,10", 1},
		{"8000", "13500,destroy", 0},
	} {
		b := newBrowser(t, srv)
		b.do("POST", host, "/?steps="+tc.before)
		b.do("POST", host, "/?steps="+tc.steps)
		var want []string
		for i := range tc.chunks {
			want = append(want, chunkName("__Host-session", i))
		}
		if d := cmp.Diff(want, b.jarNames(host), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("saves %s after %q: cookies (-want +got):\n%s", tc.steps, tc.before, d)
		}
		last := tc.steps[strings.LastIndex(tc.steps, ",")+1:]
		if last == "destroy" {
			last = "0"
		}
		if _, body := b.do("GET", host, "/"); body != "blob="+last {
			t.Errorf("saves %s after %q: next request %q, want blob=%s", tc.steps, tc.before, body, last)
		}
	}
}

func TestStoreChunkBoundaries(t *testing.T) {
	// Sessions whose encoded length is exactly N chunks full, one byte
	// less and one more, and the first size over MaxSize.
	const chunkSize, maxSize = 512, 3000
	st, _ := newStore(t, testRing(t), Config[cart]{ChunkSize: chunkSize, MaxSize: maxSize, Insecure: true, Name: "s"})
	type result struct {
		n     int
		err   error
		value int
	}
	save := func(blob int) result {
		rec := httptest.NewRecorder()
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{Blob: strings.Repeat("x", blob)})
		err := st.Save(rec, nil, s)
		var total int
		for _, c := range rec.Result().Cookies() {
			total += len(c.Value)
		}
		if err == nil {
			back, lerr := st.Load(requestWith(rec))
			if lerr != nil || back.Get().Blob != s.Get().Blob {
				t.Fatalf("blob %d: reload failed: %v", blob, lerr)
			}
		}
		return result{len(rec.Result().Cookies()), err, total}
	}
	capacity := func(n int) int { // value bytes n full chunks hold
		c := 0
		for i := range n {
			c += chunkSize - chunkNameLen("s", i)
		}
		return c
	}
	found := map[int]bool{}
	var tooLarge bool
	for blob := 0; blob < 4000; blob++ {
		r := save(blob)
		if r.err != nil {
			var tl *TooLargeError
			if !errors.As(r.err, &tl) || tl.Limit != maxSize || tl.Size <= maxSize || r.n != 0 {
				t.Fatalf("blob %d: err = %v with %d cookies written", blob, r.err, r.n)
			}
			tooLarge = true
			break
		}
		for n := 1; n <= 6; n++ {
			switch r.value {
			case capacity(n):
				found[n] = true
				if r.n != n {
					t.Errorf("value of exactly %d full chunks took %d", n, r.n)
				}
			case capacity(n) + 1:
				if r.n != n+1 {
					t.Errorf("one byte over %d full chunks took %d", n, r.n)
				}
			case capacity(n) - 1:
				if r.n != n {
					t.Errorf("one byte under %d full chunks took %d", n, r.n)
				}
			}
		}
	}
	if !tooLarge || len(found) < 4 {
		t.Fatalf("boundaries hit: %v, too large reached: %v", found, tooLarge)
	}
}

func TestStoreTooLargeKeepsCookies(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	s, err := st.Load(requestWith(rec))
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(c *cart) { c.Blob = strings.Repeat("x", 10000) })
	rec2 := httptest.NewRecorder()
	err = st.Save(rec2, nil, s)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != DefaultMaxSize || tl.Size < 10000 {
		t.Fatalf("err = %v, want a *TooLargeError with the sizes", err)
	}
	if h := rec2.Header(); len(h["Set-Cookie"]) != 0 {
		t.Fatalf("a refused save wrote %v", h["Set-Cookie"])
	}
}

func TestStoreDuplicateNames(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Domain: "example.test"})
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "victim"})
	st.Save(rec, nil, s)
	good := rec.Result().Cookies()[0].Value

	other, _ := newStore(t, testRing(t), Config[cart]{Domain: "example.test", Purpose: "elsewhere"})
	rec = httptest.NewRecorder()
	s, _ = other.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "attacker"})
	other.Save(rec, nil, s)
	foreign := rec.Result().Cookies()[0].Value

	for _, tc := range []struct {
		name   string
		header string
		user   string
		err    error
	}{
		{"attacker's garbage first", "__Secure-session=~garbage; __Secure-session=" + good, "victim", nil},
		{"attacker's sealed value first", "__Secure-session=" + foreign + "; __Secure-session=" + good, "victim", nil},
		{"ours first", "__Secure-session=" + good + "; __Secure-session=~garbage", "victim", nil},
		{"only bad ones: the first failure is reported", "__Secure-session=~garbage; __Secure-session=" + foreign, "", ErrUnsupportedVersion},
		{"prefix case trick", "__secure-session=" + good, "", ErrAbsent},
		{"nameless cookie", "=__Secure-session=" + good, "", ErrAbsent},
		{"more duplicates than are tried", strings.Repeat("__Secure-session=~x; ", maxCandidates) + "__Secure-session=" + good, "", ErrMalformed},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", tc.header)
		s, err := st.Load(r)
		if s.Get().User != tc.user || !errors.Is(err, tc.err) {
			t.Errorf("%s: user %q err %v; want %q, %v", tc.name, s.Get().User, err, tc.user, tc.err)
		}
	}
}

func TestStoreChunkAttacks(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Name: "s", Insecure: true, ChunkSize: 256, MaxSize: 4000})
	sealed := func(user string, blob int) []*http.Cookie {
		rec := httptest.NewRecorder()
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{User: user, Blob: strings.Repeat("x", blob)})
		if err := st.Save(rec, nil, s); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()
	}
	a, b := sealed("a", 600), sealed("b", 600)
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("%d and %d chunks, want 4", len(a), len(b))
	}
	header := func(cs ...*http.Cookie) string {
		var pairs []string
		for _, c := range cs {
			pairs = append(pairs, c.Name+"="+c.Value)
		}
		return strings.Join(pairs, "; ")
	}
	renamed := func(c *http.Cookie, name string) *http.Cookie { return &http.Cookie{Name: name, Value: c.Value} }
	for _, tc := range []struct {
		name   string
		header string
		err    error
	}{
		{"all chunks", header(a...), nil},
		{"any order in the header", header(a[3], a[1], a[0], a[2]), nil},
		{"chunks swapped", header(a[0], renamed(a[2], "s.1"), renamed(a[1], "s.2"), a[3]), ErrTampered},
		{"chunk missing", header(a[0], a[1], a[3]), ErrIncomplete},
		{"first chunk missing", header(a[1], a[2], a[3]), ErrIncomplete},
		{"mixed sessions", header(a[0], a[1], b[2], a[3]), ErrTampered},
		{"extra chunk", header(append(a, &http.Cookie{Name: "s.4", Value: "x"})...), nil},
		{"absurd count", "s=~AQD_", &TooLargeError{}},
		{"zero count", "s=~AQAA", ErrMalformed},
		{"index 2^31", header(a...) + "; s.2147483648=x", nil},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", tc.header)
		s, err := st.Load(r)
		if tc.err == nil {
			if err != nil || s.Get().User != "a" {
				t.Errorf("%s: user %q, err %v", tc.name, s.Get().User, err)
			}
			continue
		}
		var tl *TooLargeError
		if _, wantTL := tc.err.(*TooLargeError); wantTL && !errors.As(err, &tl) || !wantTL && !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
		if !s.IsNew() || s.Get().User != "" {
			t.Errorf("%s: a failed load gave a session %+v", tc.name, s.Get())
		}
	}
}

func TestStoreReseal(t *testing.T) {
	ring := testRing(t) // 0000000a primary; 0000000b becomes primary on 2026-11-22
	st, clk := newStore(t, ring, Config[cart]{Lifetime: 7 * 24 * time.Hour, IdleTimeout: 4 * time.Hour})
	var cookie []*http.Cookie
	request := func() (*Session[cart], *httptest.ResponseRecorder) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		for _, c := range cookie {
			r.AddCookie(c)
		}
		s, _ := st.Load(r)
		st.Save(rec, r, s)
		if cs := rec.Result().Cookies(); len(cs) > 0 {
			cookie = cs
		}
		return s, rec
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	rec := httptest.NewRecorder()
	st.Save(rec, nil, s)
	cookie = rec.Result().Cookies()
	created := clk.now

	for _, step := range []struct {
		advance  time.Duration
		resealed bool
		key      KeyID
		user     string
	}{
		{time.Hour, false, 0x0a, "ada"},           // a quarter of the idle window
		{time.Hour, true, 0x0a, "ada"},            // half of it (since the seal): slide
		{time.Hour, false, 0x0a, "ada"},           // a fresh window again
		{3*time.Hour + time.Minute, false, 0, ""}, // idle for more than 4 hours: gone
	} {
		clk.now = clk.now.Add(step.advance)
		s, rec := request()
		if got := len(rec.Result().Cookies()) > 0 && rec.Result().Cookies()[0].MaxAge > 0; got != step.resealed {
			t.Errorf("at +%v: resealed %v, want %v", clk.now.Sub(created), got, step.resealed)
		}
		if s.Get().User != step.user || s.KeyID() != step.key {
			t.Errorf("at +%v: user %q key %v; want %q %v", clk.now.Sub(created), s.Get().User, s.KeyID(), step.user, step.key)
		}
	}

	// A session sealed by a key that is no longer primary is re-sealed
	// by the primary at once, even unchanged.
	clk.now = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	s, _ = st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "bob"})
	rec = httptest.NewRecorder()
	st.Save(rec, nil, s)
	cookie = rec.Result().Cookies()
	clk.now = time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
	s, rec = request()
	if s.KeyID() != 0x0b || len(rec.Result().Cookies()) == 0 || s.Get().User != "bob" {
		t.Errorf("after rotation: key %v, %d cookies, user %q", s.KeyID(), len(rec.Result().Cookies()), s.Get().User)
	}
}

func TestStoreSlidingNeverPassesLifetime(t *testing.T) {
	st, clk := newStore(t, testRing(t), Config[cart]{Lifetime: 10 * time.Hour, IdleTimeout: 4 * time.Hour, ClockSkew: -1})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	rec := httptest.NewRecorder()
	st.Save(rec, nil, s)
	created := clk.now
	for clk.now.Sub(created) < 12*time.Hour {
		clk.now = clk.now.Add(time.Hour)
		r := requestWith(rec)
		s, err := st.Load(r)
		if clk.now.Sub(created) >= 10*time.Hour {
			if !errors.Is(err, ErrExpired) {
				t.Fatalf("at +%v, past the lifetime: err = %v", clk.now.Sub(created), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("at +%v: %v", clk.now.Sub(created), err)
		}
		next := httptest.NewRecorder()
		st.Save(next, r, s)
		if len(next.Result().Cookies()) > 0 {
			rec = next
			if ma := next.Result().Cookies()[0].MaxAge; ma != int((created.Add(10*time.Hour).Sub(clk.now))/time.Second) {
				t.Errorf("at +%v: Max-Age %d does not count down the lifetime", clk.now.Sub(created), ma)
			}
		}
	}
	t.Fatal("the session outlived its lifetime")
}

func TestStoreHeaders(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	for _, tc := range []struct {
		name             string
		vary, cc         []string
		wantVary, wantCC string
	}{
		{"none", nil, nil, "Cookie", "private"},
		{"public", nil, []string{"public, max-age=60"}, "Cookie", "private, max-age=60"},
		{"s-maxage", nil, []string{"s-maxage=60, max-age=10"}, "Cookie", "private, max-age=10"},
		{"already private", []string{"Accept-Encoding"}, []string{"private, max-age=5"}, "Accept-Encoding, Cookie", "private, max-age=5"},
		{"no-store", []string{"cookie"}, []string{"no-store"}, "cookie", "no-store"},
		{"vary star", []string{"*"}, nil, "*", "private"},
	} {
		rec := httptest.NewRecorder()
		for _, v := range tc.vary {
			rec.Header().Add("Vary", v)
		}
		for _, v := range tc.cc {
			rec.Header().Add("Cache-Control", v)
		}
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{User: "x"})
		st.Save(rec, nil, s)
		if got := strings.Join(rec.Header().Values("Vary"), ", "); got != tc.wantVary {
			t.Errorf("%s: Vary %q, want %q", tc.name, got, tc.wantVary)
		}
		if got := strings.Join(rec.Header().Values("Cache-Control"), ", "); got != tc.wantCC {
			t.Errorf("%s: Cache-Control %q, want %q", tc.name, got, tc.wantCC)
		}
	}
	// A response that sets no cookie gets no extra header.
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	st.Save(rec, nil, s)
	if len(rec.Header()) != 0 {
		t.Errorf("unchanged session: headers %v", rec.Header())
	}
}

func TestMiddlewareCommitsBeforeBody(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	var flushErr, hijackErr error
	mux := http.NewServeMux()
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Set(cart{User: "streamer"})
		w.Write([]byte("part 1\n"))
		flushErr = http.NewResponseController(w).Flush()
		s.Set(cart{User: "too late"}) // the header is gone: not saved
		w.Write([]byte("part 2\n"))
	})
	mux.HandleFunc("/flusher", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Set(cart{User: "asserted"})
		w.(http.Flusher).Flush()
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		s.Set(cart{User: "after hints"})
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		hijackErr = err
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		buf.Flush()
	})
	srv := httptest.NewTLSServer(st.Middleware(mux))
	defer srv.Close()
	b := newBrowser(t, srv)

	resp, body := b.do("GET", "app.example.test", "/flush")
	if flushErr != nil || body != "part 1\npart 2\n" || len(resp.Cookies()) != 1 {
		t.Fatalf("flush: err %v body %q cookies %d", flushErr, body, len(resp.Cookies()))
	}
	s, _ := st.Load(requestWithCookies(resp.Cookies()))
	if s.Get().User != "streamer" {
		t.Errorf("saved %q, want the state at the first write", s.Get().User)
	}

	resp, _ = b.do("GET", "app.example.test", "/flusher")
	if len(resp.Cookies()) != 1 {
		t.Errorf("http.Flusher assertion: %d cookies", len(resp.Cookies()))
	}

	req, _ := http.NewRequest("GET", b.url("app.example.test", "/hints"), nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(resp.Cookies()) != 1 {
		t.Errorf("early hints: status %d, %d cookies", resp.StatusCode, len(resp.Cookies()))
	}

	// Hijacking needs HTTP/1.1.
	srv1 := httptest.NewServer(st.Middleware(mux))
	defer srv1.Close()
	resp, err = http.Get(srv1.URL + "/hijack")
	if err != nil {
		t.Fatal(err)
	}
	body1, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if hijackErr != nil || string(body1) != "hijacked" {
		t.Errorf("hijack: %v, body %q", hijackErr, body1)
	}
}

// tlsRequestWith is requestWith over TLS. A store checks each save's
// request over TLS for a misconfiguration to report (checkRequest), while
// a plain-http one is reported once and then no longer checked: the
// benchmarks and allocation counts take requests over TLS, or behind a
// proxy that terminated it (behindProxy), so that they include that check.
func tlsRequestWith(rec *httptest.ResponseRecorder) *http.Request {
	r := requestWith(rec)
	r.TLS = &tls.ConnectionState{}
	return r
}

// behindProxy makes r a request as a server of a fleet receives it: from
// a load balancer that terminated TLS and says so, for host.
func behindProxy(r *http.Request, host string) *http.Request {
	r.TLS = nil
	r.Host = "10.0.0.5:8080"
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", host)
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	return r
}

func requestWithCookies(cs []*http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range cs {
		r.AddCookie(c)
	}
	return r
}

func TestFromContextOutsideMiddleware(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	if s, ok := st.FromContext(context.Background()); ok || s != nil {
		t.Fatal("FromContext found a session outside the middleware")
	}
	// Another store's middleware does not count either.
	other, _ := newStore(t, testRing(t), Config[cart]{})
	var ok bool
	h := other.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok = st.FromContext(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if ok {
		t.Fatal("FromContext found another store's session")
	}
}

func TestStoreValidate(t *testing.T) {
	generation := map[string]int{"ada": 1}
	var mu sync.Mutex
	type login struct {
		User       string
		Generation int
	}
	st, _ := newStore(t, testRing(t), Config[login]{
		Validate: func(r *http.Request, s *Session[login]) error {
			mu.Lock()
			defer mu.Unlock()
			if l := s.Get(); l.User != "" && l.Generation != generation[l.User] {
				return errors.New("logged out everywhere")
			}
			return nil
		},
	})
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(login{User: "ada", Generation: 1})
	st.Save(rec, nil, s)

	if s, err := st.Load(requestWith(rec)); err != nil || s.Get().User != "ada" {
		t.Fatalf("before: %v, %+v", err, s.Get())
	}
	mu.Lock()
	generation["ada"]++ // "log out everywhere"
	mu.Unlock()
	s, err := st.Load(requestWith(rec))
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "logged out everywhere") || !s.IsNew() || s.Get().User != "" {
		t.Fatalf("after: err %v, session %+v", err, s.Get())
	}
	if !errors.Is(s.LoadError(), ErrRejected) {
		t.Fatalf("LoadError = %v", s.LoadError())
	}
}

// TestDestroyInValidate: a Validate hook that ends the session with
// Destroy (and accepts the request) gets the cookies expired, also when
// the session was due to be re-sealed, by its idle window half used or
// by a key that no longer seals; none is re-sealed in its place.
func TestDestroyInValidate(t *testing.T) {
	for _, due := range []string{"not due", "idle window", "old key"} {
		t.Run(due, func(t *testing.T) {
			clk := &clock{t0}
			cfg := Config[cart]{Now: clk.Now}
			if due == "idle window" {
				cfg.IdleTimeout = time.Hour
			}
			st, _ := newStore(t, testRing(t), cfg)
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(cart{User: "ada"})
			rec := httptest.NewRecorder()
			if err := st.Save(rec, nil, s); err != nil {
				t.Fatal(err)
			}
			switch due {
			case "idle window":
				clk.now = t0.Add(40 * time.Minute)
			case "old key":
				clk.now = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC) // key b seals from midnight
			}
			cfg.Validate = func(r *http.Request, s *Session[cart]) error {
				s.Destroy()
				return nil
			}
			vst, _ := newStore(t, testRing(t), cfg)
			r := requestWith(rec)
			got, err := vst.Load(r)
			if err != nil {
				t.Fatal(err)
			}
			out := httptest.NewRecorder()
			if err := vst.Save(out, r, got); err != nil {
				t.Fatal(err)
			}
			lines := out.Header().Values("Set-Cookie")
			if len(lines) == 0 {
				t.Fatal("the response set no cookie: the session goes on")
			}
			for _, c := range out.Result().Cookies() {
				if c.MaxAge >= 0 {
					t.Errorf("the response sets a live cookie %s (Max-Age %d): %q", c.Name, c.MaxAge, lines)
				}
			}
			if cc := out.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
}

func TestMapStore(t *testing.T) {
	st, err := NewStore(testRing(t), Config[map[string]any]{Now: (&clock{t0}).Now})
	if err != nil {
		t.Fatal(err)
	}
	var _ *MapStore = st
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Update(func(m *map[string]any) { (*m)["user"] = "ada"; (*m)["id"] = int64(1) << 60 })
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	s, err = st.Load(requestWith(rec))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"user": "ada", "id": int64(1) << 60}, s.Get()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestStoreLoggingAndHook(t *testing.T) {
	var hooked []error
	var logged strings.Builder
	st, _ := newStore(t, testRing(t), Config[cart]{
		OnError: func(r *http.Request, err error) { hooked = append(hooked, err) },
		Logger:  slog.New(slog.NewTextHandler(&logged, nil)),
	})
	st.Load(httptest.NewRequest("GET", "/", nil)) // absent: not a failure
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "__Host-session=~AQABAAAA")
	st.Load(r)
	if len(hooked) != 1 || !errors.Is(hooked[0], ErrMalformed) {
		t.Fatalf("hook saw %v", hooked)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "malformed") {
		t.Fatalf("log: %q", logged.String())
	}
}

func TestConfigValidation(t *testing.T) {
	ring := testRing(t)
	for _, tc := range []struct {
		name string
		cfg  Config[cart]
		want string
	}{
		{"public suffix", Config[cart]{Domain: "com"}, "public suffix"},
		{"public suffix two labels", Config[cart]{Domain: "co.uk"}, "public suffix"},
		{"private public suffix", Config[cart]{Domain: "github.io"}, "public suffix"},
		{"IPv4", Config[cart]{Domain: "127.0.0.1"}, "IP address"},
		{"IPv6", Config[cart]{Domain: "[::1]"}, "IP address"},
		{"host prefix with domain", Config[cart]{Name: "__Host-s", Domain: "example.com"}, "__Host-"},
		{"host prefix with path", Config[cart]{Name: "__Host-s", Path: "/app"}, "__Host-"},
		{"host prefix insecure", Config[cart]{Name: "__Host-s", Insecure: true}, "__Host-"},
		{"secure prefix insecure", Config[cart]{Name: "__Secure-s", Insecure: true}, "__Secure-"},
		{"prefix in other case", Config[cart]{Name: "__secure-s"}, "write the prefix"},
		{"chunk size over the browser limit", Config[cart]{ChunkSize: 4097}, "ChunkSize"},
		{"chunk size tiny", Config[cart]{ChunkSize: 100}, "ChunkSize"},
		{"max size over the header cap", Config[cart]{MaxSize: 1 << 20}, "MaxSize"},
		{"lifetime over 400 days", Config[cart]{Lifetime: 401 * 24 * time.Hour}, "Lifetime"},
		// A session of a 1 s lifetime never has the second left that a
		// seal needs by the time its request saves it.
		{"lifetime of 1s", Config[cart]{Lifetime: time.Second}, "between 2s and 400 days"},
		{"lifetime under 2s", Config[cart]{Lifetime: 1999 * time.Millisecond}, "between 2s and 400 days"},
		{"SameSite None insecure", Config[cart]{SameSite: http.SameSiteNoneMode, Insecure: true}, "SameSite"},
		{"SameSite unknown", Config[cart]{SameSite: http.SameSite(9)}, "SameSite 9 is not"},
		{"Domain with an empty label", Config[cart]{Domain: "..example.com"}, "empty label"},
		{"Domain with an empty label inside", Config[cart]{Domain: "app..example.com"}, "empty label"},
		{"Domain in hexadecimal IPv4", Config[cart]{Domain: "0x7f.0.0.1"}, "ends in a number"},
		{"Domain with a port", Config[cart]{Domain: "example.localhost:8080"}, "without a scheme, port or path"},
		{"Domain as a URL", Config[cart]{Domain: "https://example.com"}, "without a scheme, port or path"},
		{"Domain ending in a number", Config[cart]{Domain: "example.123"}, "ends in a number"},
		{"Domain ending in 0x", Config[cart]{Domain: "a.0X"}, "ends in a number"},
		{"SameSite negative", Config[cart]{SameSite: http.SameSite(-1)}, "SameSite -1 is not"},
		{"invalid name", Config[cart]{Name: "my session"}, "Cookie.Name"},
		{"invalid domain", Config[cart]{Domain: "exa mple.com"}, "Domain"},
		{"relative path", Config[cart]{Path: "app"}, "Path"},
		{"domain with a trailing dot", Config[cart]{Domain: "example.com."}, "ends with a dot"},
		{"domain localhost", Config[cart]{Domain: "localhost"}, "example.localhost"},
		{"max size beyond what a header leaves", Config[cart]{MaxSize: 49153}, "MaxSize"},
		{"invalid name named", Config[cart]{Name: "a;b"}, `Name "a;b"`},
	} {
		if _, err := NewStore(ring, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	for _, cfg := range []Config[cart]{
		{Domain: "example.com"},
		{Domain: ".Example.COM"},
		{Domain: "example.localhost"},
		{Domain: "example.co.uk"},
		{Insecure: true},
		{ChunkSize: 4096},
		{Path: "/app"}, // the default name is then __Secure-session
		{MaxSize: 49152},
	} {
		if _, err := NewStore(ring, cfg); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

// The writer satisfies the interfaces that handlers assert.
var (
	_ http.Flusher  = (*sessionWriter[cart])(nil)
	_ http.Hijacker = (*sessionWriter[cart])(nil)
)

func TestFailedSaveIsNotRetried(t *testing.T) {
	// A handler's explicit Save fails; the middleware neither writes nor
	// reports the failure a second time, and the browser keeps its cookie.
	var reports int
	st, _ := newStore(t, testRing(t), Config[cart]{OnError: func(*http.Request, error) { reports++ }})
	var saveErr error
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Set(cart{Blob: strings.Repeat("x", 10000)})
		saveErr = st.Save(w, r, s)
		w.Write([]byte("ok"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var tl *TooLargeError
	if !errors.As(saveErr, &tl) || tl.What != "session cookies" || tl.Limit != DefaultMaxSize {
		t.Fatalf("Save: %v; want the cookie budget exceeded", saveErr)
	}
	if reports != 1 || len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("%d reports, Set-Cookie %v; want 1 report and no cookie", reports, rec.Header()["Set-Cookie"])
	}
}

func TestKeyUsageHandler(t *testing.T) {
	st, clk := newStore(t, testRing(t), Config[cart]{})
	rec := httptest.NewRecorder()
	st.KeyUsageHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Body.String(); got != `{"keys":[],"loaded":["0000000a","0000000b","0000000c","0000000d"]}`+"\n" {
		t.Fatalf("before any session: %s", got)
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	saved := httptest.NewRecorder()
	st.Save(saved, nil, s)
	clk.now = t0.Add(time.Minute)
	for range 2 {
		st.Load(requestWith(saved))
	}
	out := httptest.NewRecorder()
	st.KeyUsageHandler().ServeHTTP(out, httptest.NewRequest("GET", "/", nil))
	want := `{"keys":[{"id":"0000000a","opened":2,"last_seen":"2026-11-21T10:01:00Z"}],"loaded":["0000000a","0000000b","0000000c","0000000d"]}` + "\n"
	if out.Body.String() != want || out.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %s (%s), want %s", out.Body, out.Header().Get("Content-Type"), want)
	}
}

func TestStoreExpiresDeadCookies(t *testing.T) {
	// A session that can never open anywhere has its cookies expired, so
	// the browser stops sending them; one that another server may still
	// open is left alone.
	ring := testRing(t)
	st, clk := newStore(t, ring, Config[cart]{MaxSize: 20000, IdleTimeout: time.Hour})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada", Blob: strings.Repeat("x", 5000)})
	rec := httptest.NewRecorder()
	st.Save(rec, nil, s)
	good := rec.Result().Cookies()
	if len(good) != 2 {
		t.Fatalf("%d chunks, want 2", len(good))
	}
	other, _ := NewKeyring(t0)
	ost, _ := newStore(t, other, Config[cart]{})
	s, _ = ost.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "eve"})
	rec = httptest.NewRecorder()
	ost.Save(rec, nil, s)
	unknownKey := rec.Result().Cookies()

	for _, tc := range []struct {
		name    string
		cookies []*http.Cookie
		at      time.Duration
		err     error
		expired []string
	}{
		{"expired", good, 2 * time.Hour, ErrExpired, []string{"__Host-session", "__Host-session.1"}},
		{"tampered", []*http.Cookie{good[0], {Name: good[1].Name, Value: otherChar(good[1].Value, 100)}}, 0, ErrTampered, []string{"__Host-session", "__Host-session.1"}},
		{"incomplete", good[:1], 0, ErrIncomplete, []string{"__Host-session"}},
		{"unknown key: another server may know it", unknownKey, 0, ErrUnknownKey, nil},
	} {
		clk.now = t0.Add(tc.at)
		r := requestWithCookies(tc.cookies)
		s, err := st.Load(r)
		rec := httptest.NewRecorder()
		if serr := st.Save(rec, r, s); serr != nil || !errors.Is(err, tc.err) {
			t.Fatalf("%s: load %v, save %v", tc.name, err, serr)
		}
		var expired []string
		for _, c := range rec.Result().Cookies() {
			if c.MaxAge >= 0 {
				t.Errorf("%s: a live cookie was set: %s", tc.name, c.Name)
			}
			expired = append(expired, c.Name)
		}
		if d := cmp.Diff(tc.expired, expired); d != "" {
			t.Errorf("%s: expired cookies (-want +got):\n%s", tc.name, d)
		}
	}
}

// otherChar returns v with its i-th character replaced by another one of
// the base64url alphabet, whatever it was.
func otherChar(v string, i int) string {
	c := byte('A')
	if v[i] == c {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

func TestKeyUsageHandlerMethods(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		rec := httptest.NewRecorder()
		st.KeyUsageHandler().ServeHTTP(rec, httptest.NewRequest(m, "/", nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" || strings.Contains(rec.Body.String(), "loaded") {
			t.Errorf("%s: %d %q %q, want 405 with Allow and no figures", m, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	st.KeyUsageHandler().ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD: %d", rec.Code)
	}
}

// TestKeyUsageHandlerReportsRejectedFile checks that a server whose
// keyring file is rejected says so to "keyring usage".
func TestKeyUsageHandlerReportsRejectedFile(t *testing.T) {
	path := t.TempDir() + "/keys.json"
	if err := testRing(t).Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := NewKeyringFile(path, KeyringFileConfig{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := newStore(t, f, Config[cart]{})
	get := func() string {
		rec := httptest.NewRecorder()
		st.KeyUsageHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		return rec.Body.String()
	}
	if strings.Contains(get(), "keyring_error") {
		t.Fatal("keyring_error while the file is good")
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.Reload()
	if got := get(); !strings.Contains(got, `"keyring_error":"cookiesession: keyring `) {
		t.Errorf("after a bad file: %s", got)
	}
}

// TestSaveWithoutRequest checks that Save's documented nil request works
// on every path, including a failed save with a Logger and OnError.
func TestSaveWithoutRequest(t *testing.T) {
	var logged strings.Builder
	var hooked []error
	st, _ := newStore(t, testRing(t), Config[cart]{
		MaxSize: 256,
		Logger:  slog.New(slog.NewTextHandler(&logged, nil)),
		OnError: func(r *http.Request, err error) { hooked = append(hooked, err) },
	})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{Blob: strings.Repeat("x", 1000)})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save: %v, want ErrTooLarge", err)
	}
	if len(hooked) != 1 || !strings.Contains(logged.String(), "save failed") {
		t.Errorf("OnError %v, log %q", hooked, logged.String())
	}
	s.Destroy()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
}

// TestIdleTimeoutShortenedApplies checks that a shorter IdleTimeout ends
// the sessions already out there, as a shorter Lifetime does.
func TestIdleTimeoutShortenedApplies(t *testing.T) {
	ring := testRing(t)
	before, _ := newStore(t, ring, Config[cart]{IdleTimeout: 24 * time.Hour})
	s, _ := before.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	rec := httptest.NewRecorder()
	if err := before.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	after, clk := newStore(t, ring, Config[cart]{IdleTimeout: 15 * time.Minute})
	for _, tc := range []struct {
		idle time.Duration
		want error
	}{
		{10 * time.Minute, nil},
		{15*time.Minute + time.Minute - time.Second, nil}, // within the clock skew
		{16 * time.Minute, ErrExpired},
		{3 * time.Hour, ErrExpired},
	} {
		clk.now = t0.Add(tc.idle)
		got, err := after.Load(requestWith(rec))
		if !errors.Is(err, tc.want) || (err == nil) != (got.Get().User == "ada") {
			t.Errorf("idle %v: %+v, %v, want %v", tc.idle, got.Get(), err, tc.want)
		}
	}
}

// TestTwinCookies checks a host-only cookie beside a Domain cookie of the
// same name: the newer login wins, and a logout ends both.
func TestTwinCookies(t *testing.T) {
	ring := testRing(t)
	shared, clk := newStore(t, ring, Config[cart]{Domain: "example.com"})
	hostOnly, _ := newStore(t, ring, Config[cart]{Name: shared.Name(), Now: clk.Now})
	mux := http.NewServeMux()
	mux.Handle("/host-only/", http.StripPrefix("/host-only", cartApp(hostOnly)))
	mux.Handle("/", cartApp(shared))
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	b := newBrowser(t, srv)

	b.do("POST", "app.example.com", "/host-only/login?user=ada")
	clk.now = clk.now.Add(time.Second)
	b.do("POST", "app.example.com", "/login?user=bob")
	if got := b.jarNames("app.example.com"); len(got) != 2 {
		t.Fatalf("jar %v, want the twin and the shared cookie", got)
	}
	if _, body := b.do("GET", "app.example.com", "/"); !strings.HasPrefix(body, "user=bob ") {
		t.Errorf("after the newer login: %s, want bob", body)
	}
	b.do("POST", "app.example.com", "/visit") // a write expires the twin
	if got := b.jarNames("app.example.com"); len(got) != 1 {
		t.Errorf("after a write: jar %v, want the shared cookie alone", got)
	}

	// The twin again, planted later than the shared cookie; then logout.
	clk.now = clk.now.Add(time.Second)
	b.do("POST", "app.example.com", "/host-only/login?user=ada")
	if _, body := b.do("GET", "app.example.com", "/"); !strings.HasPrefix(body, "user=ada ") {
		t.Errorf("a newer twin: %s, want ada (it was sealed last)", body)
	}
	b.do("POST", "app.example.com", "/logout")
	if got := b.jarNames("app.example.com"); len(got) != 0 {
		t.Errorf("after logout: jar %v, want empty", got)
	}
	if _, body := b.do("GET", "app.example.com", "/"); !strings.HasPrefix(body, "user= ") {
		t.Errorf("after logout: %s, want anonymous", body)
	}
}

func TestTwinDomains(t *testing.T) {
	for _, tc := range []struct {
		name, domain, host string
		want               []string
	}{
		{"", "example.com", "app.example.com", []string{"", "app.example.com"}},
		{"", "example.com", "a.b.example.com", []string{"", "a.b.example.com", "b.example.com"}},
		{"session", "", "app.example.com", []string{"app.example.com", "example.com"}},
		{"", "", "app.example.com", nil}, // __Host-: no Domain possible
		{"", "example.localhost", "app.example.localhost", []string{"", "app.example.localhost"}},
		{"session", "", "127.0.0.1", nil},
		{"session", "", "", nil},
		{"session", "", strings.Repeat("a.", 100) + "example.com", nil}, // capped below
		// The root's trailing dot: the forms keep it, short of the
		// public suffix ("com."), which browsers refuse.
		{"session", "", "app.example.com.", []string{"app.example.com.", "example.com."}},
		{"", "example.com", "app.example.com.", []string{"", "app.example.com.", "example.com."}},
		// Hosts that are no domain name net/http writes as a Domain:
		// the host-only form alone.
		{"session", "", "app;x.example.com", []string{}},
		{"session", "", "my_app.example.com", []string{}},
		{"", "example.com", "a b.example.com", []string{""}},
	} {
		st, _ := newStore(t, testRing(t), Config[cart]{Name: tc.name, Domain: tc.domain, Insecure: tc.name == "session"})
		got := st.twinDomains(tc.host)
		if tc.want == nil && len(got) > maxTwinForms || tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("%q %q %q: %q, want %q", tc.name, tc.domain, tc.host, got, tc.want)
		}
	}
}

// TestTwinsOfOddHostsLogNothing: expiring the twins of a session whose
// request came with a Host that is no domain name writes no Domain that
// net/http's Cookie.String would drop, which it would say on the
// process's standard logger, once per line.
func TestTwinsOfOddHostsLogNothing(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	st, _ := newStore(t, testRing(t), Config[cart]{Name: "session", ChunkSize: 256, MaxSize: 8000})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada", Blob: strings.Repeat("x", 600)})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, c := range rec.Result().Cookies() {
		pairs = append(pairs, c.Name+"="+c.Value, c.Name+"="+c.Value) // each twice: twins
	}
	for _, host := range []string{"app;x.example.com", "a,b.example.com", "my_app.example.com", "app.example.com."} {
		r := httptest.NewRequest("GET", "https://app.example.com/", nil)
		r.Host = host
		r.Header.Set("Cookie", strings.Join(pairs, "; "))
		s, err := st.Load(r)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		s.Update(func(c *cart) { c.Visits++ })
		w := httptest.NewRecorder()
		if err := st.Save(w, r, s); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		for _, line := range w.Result().Header.Values("Set-Cookie") {
			if strings.Contains(line, "Domain=com") {
				t.Errorf("%s: %q names the public suffix", host, line)
			}
		}
	}
	if logged.Len() > 0 {
		t.Errorf("the standard logger got: %s", logged.String())
	}
}

// TestDeadTwinLeavesLiveTwin: of two cookies of the session's name, one
// dead on every server (tampered, expired) and one that another server may
// open (under a key this server has not loaded yet, or of more chunks than
// this server's MaxSize allows), neither is expired, whichever the browser
// sends first, and the load says why it failed by the live one's reason.
func TestDeadTwinLeavesLiveTwin(t *testing.T) {
	ring := testRing(t)
	st, clk := newStore(t, ring, Config[cart]{Domain: "example.com"})
	newer, err := NewKeyring(t0.Add(-time.Hour)) // another server's, not yet this one's
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, _ := newStore(t, newer, Config[cart]{Domain: "example.com", Now: clk.Now})
	larger, _ := newStore(t, ring, Config[cart]{Domain: "example.com", Now: clk.Now, MaxSize: 3 * DefaultChunkSize})
	seal := func(st *Store[cart], c cart) []*http.Cookie {
		t.Helper()
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(c)
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()
	}
	ada := cart{User: "ada"}
	unknown := seal(elsewhere, ada)
	big := seal(larger, cart{User: "ada", Blob: strings.Repeat("x", 2*DefaultChunkSize)})
	if len(big) != 3 {
		t.Fatalf("the larger session has %d cookies, want 3", len(big))
	}
	good := seal(st, ada)[0]
	// A character of the tag changed: ErrTampered.
	b := []byte(good.Value)
	if i := len(b) - 5; b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	tampered := []*http.Cookie{{Name: good.Name, Value: string(b)}}
	old, _ := newStore(t, ring, Config[cart]{Domain: "example.com", Now: (&clock{t0.Add(-48 * time.Hour)}).Now})
	expired := seal(old, ada)
	for _, live := range []struct {
		name    string
		cookies []*http.Cookie
		want    error
	}{{"unknown key", unknown, ErrUnknownKey}, {"too large", big, ErrTooLarge}} {
		for _, dead := range [][]*http.Cookie{tampered, expired} {
			for _, cs := range [][]*http.Cookie{slices.Concat(dead, live.cookies), slices.Concat(live.cookies, dead)} {
				r := httptest.NewRequest("GET", "https://app.example.com/", nil)
				r.Header.Set("Cookie", header(cs...))
				s, err := st.Load(r)
				if !errors.Is(err, live.want) {
					t.Errorf("%s: load: %v, want %v", live.name, err, live.want)
				}
				w := httptest.NewRecorder()
				if err := st.Save(w, r, s); err != nil {
					t.Fatal(err)
				}
				if lines := w.Result().Header.Values("Set-Cookie"); len(lines) > 0 {
					t.Errorf("%s: the cookies were expired: %q", live.name, lines)
				}
			}
		}
	}
}

// TestSealingMatchesTimeArithmetic holds the expiry that sealing gives a
// value, its refusal of a session with less than a second left, and the
// cookie's Max-Age, all in whole seconds and nanoseconds, to the same
// computed with time.Time's Add, Before and Sub: lifetimes and idle
// windows with parts of a second, creation times with them, clocks with
// and without a monotonic reading, around every second's edge.
func TestSealingMatchesTimeArithmetic(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	rng := rand.New(rand.NewPCG(3, 5))
	pick := func(ds ...time.Duration) time.Duration { return ds[rng.IntN(len(ds))] }
	refused := 0
	for range 50000 {
		st.cfg.Lifetime = pick(time.Second, time.Second+1, 2*time.Second-1, time.Hour, MaxLifetime,
			time.Second+time.Duration(rng.Int64N(int64(time.Hour))))
		st.cfg.IdleTimeout = pick(0, time.Second, time.Second+time.Duration(rng.Int64N(int64(2*time.Second))), 30*time.Minute, st.cfg.Lifetime)
		now := t0.Add(time.Duration(rng.Int64N(int64(time.Second))))
		if rng.IntN(2) == 0 {
			now = time.Now() // with a monotonic reading
		}
		// Created up to the lifetime and two seconds before now, near a
		// second's edge of the lifetime's end or anywhere.
		age := time.Duration(rng.Int64N(int64(st.cfg.Lifetime + 2*time.Second)))
		if rng.IntN(2) == 0 {
			age = st.cfg.Lifetime - time.Second + time.Duration(rng.Int64N(5))*time.Second/2 + time.Duration(rng.Int64N(3)) - 1
		}
		s := &Session[cart]{store: st, created: now.Add(-age), env: &envelope[cart]{ID: make([]byte, sessionIDLen)}}

		want := s.created.Add(st.cfg.Lifetime)
		if idleEnd := now.Add(st.cfg.IdleTimeout); st.cfg.IdleTimeout > 0 && idleEnd.Before(want) {
			want = idleEnd
		}
		wantErr := want.Sub(now) < time.Second
		exp, err := st.sealing(s, now)
		if (err != nil) != wantErr || err != nil && !errors.Is(err, ErrExpired) {
			t.Fatalf("Lifetime %v, IdleTimeout %v, created %v before now: sealing: %v, want an error %v",
				st.cfg.Lifetime, st.cfg.IdleTimeout, age, err, wantErr)
		}
		if err != nil {
			refused++
			continue
		}
		if !exp.Equal(want) {
			t.Fatalf("Lifetime %v, IdleTimeout %v, created %v before now: expires at %v, want %v",
				st.cfg.Lifetime, st.cfg.IdleTimeout, age, exp, want)
		}
		wantAge := int((s.created.Add(st.cfg.Lifetime).Sub(now) + time.Second - 1) / time.Second)
		if got := st.maxAge(s, now); got != wantAge || got < 1 {
			t.Fatalf("Lifetime %v, created %v before now: Max-Age %d, want %d (at least 1)", st.cfg.Lifetime, age, got, wantAge)
		}
	}
	if refused == 0 {
		t.Fatal("no session was refused: the cases miss the lifetime's end")
	}
}

// The data of a map store is never nil, within a request as after one: a
// nil map set, or set by Update, reads back as an empty map that a
// handler can write into.
func TestMapDataNeverNil(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[map[string]any]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(nil)
	if s.Get() == nil {
		t.Fatal("after Set(nil): Get() is nil")
	}
	s.Get()["a"] = int64(1)
	s.Update(func(m *map[string]any) { *m = nil })
	if s.Get() == nil {
		t.Fatal("after Update to nil: Get() is nil")
	}
}

// The shortest Lifetime a store takes seals a session, and a token, that
// opens: a store never takes a setting under which nothing can be saved.
func TestShortestLifetimeSeals(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Lifetime: minLifetime, Transport: TransportCookie | TransportBearer, Now: time.Now})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	time.Sleep(10 * time.Millisecond) // the save comes a little after the load, as in a request
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if got, err := st.Load(requestWith(rec)); err != nil || got.Get().User != "ada" {
		t.Fatalf("Load: %+v, %v", got.Get(), err)
	}
	if _, err := s.Token(); err != nil {
		t.Fatalf("Token: %v", err)
	}
}

// TestJSONCreatedIsWrittenAsAnInteger checks FORMAT.md's rule for a JSON
// session's created: digits, with a minus sign or not, and nothing else.
func TestJSONCreatedIsWrittenAsAnInteger(t *testing.T) {
	ring := testRing(t)
	c, _ := testCodec(t, ring, CodecConfig{Serializer: rawSerializer{}, MaxAge: 7 * 24 * time.Hour})
	st, _ := newStore(t, ring, Config[map[string]any]{Serializer: JSON{}, Logger: slog.New(slog.DiscardHandler)})
	sec := strconv.FormatInt(t0.Unix(), 10)
	for text, opens := range map[string]bool{sec: true, sec + "e0": false, sec + "E0": false, sec + ".0": false, sec + ".5": false} {
		b := []byte(`{"id":"AAAAAAAAAAAAAAAAAAAAAA==","created":` + text + `,"data":{"a":1}}`)
		s, err := st.Load(requestCarrying(t, c, st.Name(), b))
		if opens && (err != nil || s.fresh) {
			t.Errorf("created %s: err %v, fresh %v; want it opened", text, err, s.fresh)
		}
		if !opens && (!errors.Is(err, ErrMalformed) || !s.fresh) {
			t.Errorf("created %s: err %v, fresh %v; want ErrMalformed and a fresh session", text, err, s.fresh)
		}
	}
}
