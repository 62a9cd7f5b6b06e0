package cookiesession

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSetCookieLines holds the Set-Cookie lines that Save writes to the
// ones net/http writes for the same cookies, byte for byte, and to
// Cookie.Valid, on random sessions under random configurations: the
// store skips net/http's per-byte checks only because they cannot fail.
func TestSetCookieLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	names := []string{"", "s", "app_session", "__Secure-sid", "__Host-x", "Session-1.v2"}
	domains := []string{"", "example.com", ".Example.COM", "shop.example.test"}
	paths := []string{"/", "/app", "/a/b;c"[:4], "/~user/"}
	sameSites := []http.SameSite{0, http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode}
	tried := 0
	for range 300 {
		cfg := Config[cart]{
			Name:         names[rng.IntN(len(names))],
			Domain:       domains[rng.IntN(len(domains))],
			Path:         paths[rng.IntN(len(paths))],
			Insecure:     rng.IntN(3) == 0,
			ScriptAccess: rng.IntN(3) == 0,
			SameSite:     sameSites[rng.IntN(len(sameSites))],
			ChunkSize:    256 + rng.IntN(BrowserCookieLimit-255),
			MaxSize:      maxMaxSize,
			Lifetime:     time.Duration(1+rng.IntN(400*24)) * time.Hour,
			Now:          (&clock{t0}).Now,
		}
		st, err := NewStore(testRing(t), cfg)
		if err != nil {
			continue // a configuration the store refuses (a prefix's rules)
		}
		tried++
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		blob := make([]byte, rng.IntN(20000))
		for i := range blob {
			blob[i] = byte(rng.Uint32()) // any bytes: the value must not care
		}
		s.Set(cart{User: "u", Visits: rng.IntN(1000), Blob: string(blob)})
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Fatalf("config %+v: %v", cfg, err)
		}
		lines := rec.Header()["Set-Cookie"]
		if len(lines) == 0 {
			t.Fatalf("config %+v: no Set-Cookie", cfg)
		}
		maxAge := int(st.cfg.Lifetime / time.Second)
		var values []string
		for i, line := range lines {
			// The value is what follows "name=" up to the first
			// attribute; net/http's own parser must agree.
			c, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("line %d %q: %v", i, line, err)
			}
			if c.Name != chunkName(st.cfg.Name, i) {
				t.Fatalf("line %d is named %q, want %q", i, c.Name, chunkName(st.cfg.Name, i))
			}
			want := st.cookie(c.Name, c.Value, maxAge)
			if err := want.Valid(); err != nil {
				t.Fatalf("line %d %q: http.Cookie.Valid: %v", i, line, err)
			}
			if diff := cmp.Diff(want.String(), line); diff != "" {
				t.Fatalf("line %d differs from http.Cookie.String (-net/http +store):\n%s", i, diff)
			}
			values = append(values, c.Value)
		}
		// And the lines carry the session.
		r := httptest.NewRequest("GET", "/", nil)
		for i, v := range values {
			r.AddCookie(&http.Cookie{Name: chunkName(st.cfg.Name, i), Value: v})
		}
		got, err := st.Load(r)
		if err != nil || got.Get().Blob != string(blob) {
			t.Fatalf("config %+v: the cookies written do not load back: %v", cfg, err)
		}
	}
	if tried < 100 {
		t.Fatalf("only %d of 300 configurations were accepted", tried)
	}
}

// TestAppendSetCookies compares the line builder with net/http directly,
// on values of the codec's alphabet, every Max-Age sign and up to the
// most chunks, appending after lines already there.
func TestAppendSetCookies(t *testing.T) {
	const alphabet = "~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	rng := rand.New(rand.NewPCG(3, 5))
	st, _ := newStore(t, testRing(t), Config[cart]{Domain: "example.com", SameSite: http.SameSiteStrictMode})
	for _, maxAge := range []int{-1, 0, 1, 59, 34560000} {
		for _, n := range []int{1, 2, 9, 10, 11, 99, 100, MaxChunks} {
			parts := make([]string, n)
			for i := range parts {
				var b strings.Builder
				for range rng.IntN(40) {
					b.WriteByte(alphabet[rng.IntN(len(alphabet))])
				}
				parts[i] = b.String()
			}
			raw := make([][]byte, n)
			for i, p := range parts {
				raw[i] = []byte(p)
			}
			got := st.appendSetCookies([]string{"before"}, st.Name(), raw, maxAge)
			want := []string{"before"}
			for i, p := range parts {
				c := st.cookie(chunkName(st.Name(), i), p, maxAge)
				if err := c.Valid(); err != nil {
					t.Fatal(err)
				}
				want = append(want, c.String())
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%d chunks, Max-Age %d (-net/http +store):\n%s", n, maxAge, diff)
			}
		}
	}
	// The alphabet is the codec's, and net/http takes every byte of it
	// as it is: no byte dropped, no quotes.
	c := &http.Cookie{Name: "x", Value: alphabet}
	if err := c.Valid(); err != nil || c.String() != "x="+alphabet {
		t.Fatalf("the value alphabet is not plain cookie-octets: %v, %q", err, c.String())
	}
	v, err := st.codec.Encode("x", cart{Blob: fmt.Sprint(rng.Uint64())})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Trim(v, alphabet) != "" {
		t.Fatalf("a sealed value holds bytes outside the alphabet: %q", v)
	}
}

// TestSetCacheHeadersFresh checks the lines written to a header that had
// neither Vary nor Cache-Control, and that they stay apart when a
// handler adds to them afterwards.
func TestSetCacheHeadersFresh(t *testing.T) {
	for _, noStore := range []bool{false, true} {
		h := http.Header{}
		setCacheHeaders(h, noStore)
		wantCC := "private"
		if noStore {
			wantCC = "no-store"
		}
		want := http.Header{"Vary": {"Cookie"}, "Cache-Control": {wantCC}}
		if diff := cmp.Diff(want, h); diff != "" {
			t.Errorf("noStore %v (-want +got):\n%s", noStore, diff)
		}
		h.Add("Vary", "Accept-Encoding")
		h.Add("Cache-Control", "max-age=0")
		want = http.Header{"Vary": {"Cookie", "Accept-Encoding"}, "Cache-Control": {wantCC, "max-age=0"}}
		if diff := cmp.Diff(want, h); diff != "" {
			t.Errorf("noStore %v, after adding (-want +got):\n%s", noStore, diff)
		}
	}
}

// A comma inside a quoted argument separates no directive.
func TestDirectivesQuoted(t *testing.T) {
	var got []string
	for d := range directives(`private="Set-Cookie, X-Foo", max-age=60, x="a\"b,c", y`) {
		got = append(got, strings.TrimSpace(d))
	}
	want := []string{`private="Set-Cookie, X-Foo"`, "max-age=60", `x="a\"b,c"`, "y"}
	if !slices.Equal(got, want) {
		t.Errorf("directives: %q, want %q", got, want)
	}
}

// TestTargetedCacheHeadersDropped checks that a response that sets
// session cookies, expires them or issues a token carries no cache
// header aimed at CDNs alone, which such a CDN would follow over
// Cache-Control, set before the save or after it.
func TestTargetedCacheHeadersDropped(t *testing.T) {
	targeted := []string{"CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control"}
	for _, after := range []bool{false, true} {
		st, _ := newStore(t, testRing(t), Config[cart]{})
		h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			set := func() {
				for _, k := range targeted {
					w.Header().Set(k, "max-age=3600")
				}
			}
			if !after {
				set()
			}
			s.Update(func(c *cart) { c.Visits++ })
			if err := st.Save(w, r, s); err != nil {
				t.Fatal(err)
			}
			if after {
				set()
			}
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		for _, k := range targeted {
			if v := rec.Header().Get(k); v != "" || len(rec.Result().Cookies()) == 0 {
				t.Errorf("set after the save %v: %s: %q, cookies %d", after, k, v, len(rec.Result().Cookies()))
			}
		}
	}
}
