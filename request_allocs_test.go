//go:build !race

// The race detector makes sync.Pool drop buffers at random, and with them
// the allocation counts: these tests run without it.

package cookiesession

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestAllocations holds a request through the middleware (load,
// change, save) to its allocations, which do not grow with the session:
// the session with its writer and context, the request's copy with that
// context, the Set-Cookie lines and the one copy of its plaintext, which
// the session's id and strings are cut from, whatever the number of
// chunks up to smallChunks. The cart type has no slices, so the
// serializer adds nothing of its own.
//
// The request comes over TLS to a store without a Domain, or through a
// proxy that says so, for a host in capitals, to a store with one: each
// save checks such a request for a cookie the browser would drop
// (checkRequest), which allocates nothing either.
func TestRequestAllocations(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		for _, blob := range []int{10, 3000, 12000} {
			requestAllocations(t, proxied, blob)
		}
	}
}

func requestAllocations(t *testing.T, proxied bool, blob int) {
	const want = 4
	cfg := Config[cart]{MaxSize: 20000}
	if proxied {
		cfg.Domain = "example.com"
	}
	// A report switches its check off: allocations after it would go
	// uncounted, so none may be made.
	cfg.OnError = func(_ *http.Request, err error) { t.Errorf("reported: %v", err) }
	st, _ := newStore(t, testRing(t), cfg)
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
	}))
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada", Blob: strings.Repeat("b", blob)})
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	req := tlsRequestWith(rec)
	if proxied {
		behindProxy(req, "App.Example.com")
	}
	w := &discardWriter{h: http.Header{}}
	got := testing.AllocsPerRun(100, func() {
		clear(w.h)
		h.ServeHTTP(w, req)
	})
	if len(w.h["Set-Cookie"]) == 0 {
		t.Fatal("no cookie set")
	}
	if got > want {
		t.Errorf("proxied %v, blob of %d bytes, %d cookies: %v allocations per request, want at most %v",
			proxied, blob, len(w.h["Set-Cookie"]), got, want)
	}
}

// TestRequestWithoutSessionAllocations: a request that carries no
// session cookie, through a handler that reads the session and leaves
// it alone, allocates the session (with its writer and context) and the
// request's copy that carries the context, nothing else: no id is drawn
// and nothing is sealed or written.
func TestRequestWithoutSessionAllocations(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		if s.Get().User != "" || !s.IsNew() {
			t.Fatal("a session came from nowhere")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "theme=dark; _ga=GA1.2.3")
	w := &discardWriter{h: http.Header{}}
	got := testing.AllocsPerRun(100, func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	})
	if len(w.h) != 0 {
		t.Fatalf("the response has headers %v, want none", w.h)
	}
	if got > 2 {
		t.Errorf("%v allocations per request without a session, want at most 2", got)
	}
}
