package cookiesession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSessionContext holds the middleware's context to what
// context.WithValue would give: the session under the store's key, every
// other key, deadline, cancellation and cause from the parent, and
// contexts derived from it finding both.
func TestSessionContext(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	type parentKey struct{}
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), parentKey{}, "from the parent"))
	defer cancel(nil)
	parent, cancelTimeout := context.WithTimeout(parent, time.Hour)
	defer cancelTimeout()

	var got context.Context
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Context()
		s, ok := st.FromContext(got)
		if !ok {
			t.Fatal("FromContext found no session")
		}
		s.Update(func(c *cart) { c.User = "secret-user-name" })
		if v := got.Value(parentKey{}); v != "from the parent" {
			t.Errorf("the parent's value: %v", v)
		}
		if _, ok := got.Deadline(); !ok {
			t.Error("the parent's deadline is lost")
		}
		// A derived context, and one without cancellation, still carry
		// the session.
		derived, stop := context.WithCancel(got)
		defer stop()
		if s2, ok := st.FromContext(derived); !ok || s2 != s {
			t.Error("a derived context lost the session")
		}
		if s2, ok := st.FromContext(context.WithoutCancel(got)); !ok || s2 != s {
			t.Error("WithoutCancel lost the session")
		}
		// Another store's key is not this one's.
		other, _ := newStore(t, testRing(t), Config[cart]{Name: "other"})
		if _, ok := other.FromContext(got); ok {
			t.Error("another store found this store's session")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))

	// What %v prints names the store, never the session's data.
	if s := fmt.Sprint(got); strings.Contains(s, "secret-user-name") || !strings.Contains(s, st.ctxKey.name) {
		t.Errorf("the context prints as %q", s)
	}
	// Cancelling the parent reaches the request's context and what was
	// derived from it, with the cause.
	derived, stop := context.WithCancel(got)
	defer stop()
	fired := make(chan struct{})
	context.AfterFunc(got, func() { close(fired) })
	cause := errors.New("client went away")
	cancel(cause)
	for _, ctx := range []context.Context{got, derived} {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the parent's cancellation did not arrive")
		}
		if !errors.Is(context.Cause(ctx), cause) {
			t.Errorf("cause %v, want %v", context.Cause(ctx), cause)
		}
	}
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc did not run")
	}
}

// TestSetCookieLinesShareNoRoom checks that the Set-Cookie lines and the
// cache headers, which share one allocation, never write over each other
// when a handler or a later middleware appends to any of them.
func TestSetCookieLinesShareNoRoom(t *testing.T) {
	for _, chunks := range []int{1, 3} {
		st, _ := newStore(t, testRing(t), Config[cart]{MaxSize: 16000})
		h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			s.Set(cart{User: "ada", Blob: strings.Repeat("b", (chunks-1)*4000)})
			if err := st.Save(w, r, s); err != nil {
				t.Fatal(err)
			}
			hd := w.Header()
			cookies := append([]string(nil), hd["Set-Cookie"]...)
			if len(cookies) != chunks {
				t.Fatalf("%d Set-Cookie lines, want %d", len(cookies), chunks)
			}
			hd.Add("Set-Cookie", "other=1")
			hd.Add("Vary", "Accept-Encoding")
			hd.Add("Cache-Control", "max-age=0")
			want := map[string][]string{
				"Set-Cookie":    append(cookies, "other=1"),
				"Vary":          {"Cookie", "Accept-Encoding"},
				"Cache-Control": {"private", "max-age=0"},
			}
			for k, v := range want {
				if got := hd[k]; fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("%d chunks: %s is %q, want %q", chunks, k, got, v)
				}
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
}

// TestSetCookieRoomUsedOnce saves a session twice in one response, the
// handler removing the headers in between and keeping the first save's
// lines: the second save writes its own, and the first ones stay as
// they were.
func TestSetCookieRoomUsedOnce(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		hd := w.Header()
		var kept [][]string
		for i := range 3 {
			s.Set(cart{User: fmt.Sprint("user", i)})
			if err := st.Save(w, r, s); err != nil {
				t.Fatal(err)
			}
			kept = append(kept, hd["Set-Cookie"], hd["Vary"], hd["Cache-Control"])
			copies := slices.Clone(kept)
			for j := range copies {
				copies[j] = slices.Clone(copies[j])
			}
			hd.Del("Set-Cookie")
			hd.Del("Vary")
			hd.Del("Cache-Control")
			defer func() {
				for j := range copies {
					if !slices.Equal(kept[j], copies[j]) {
						t.Errorf("a later save changed the lines of an earlier one: %q, were %q", kept[j], copies[j])
					}
				}
			}()
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

// TestRequestCandidatesBeyondTheRoom loads sessions whose cookies need
// more chunks, or more duplicates, than a carried holds without
// allocating, beside ones that fit, so that both ways of holding the
// candidates are used: each loads the session that was saved.
func TestRequestCandidatesBeyondTheRoom(t *testing.T) {
	for _, chunks := range []int{1, 2, 3, smallChunks, smallChunks + 1, 20} {
		for _, twins := range []int{1, 2, maxCandidates} {
			st, clk := newStore(t, testRing(t), Config[cart]{MaxSize: 12000, ChunkSize: 512})
			// save returns the Cookie header pairs of a session.
			save := func(c cart) []string {
				rec := httptest.NewRecorder()
				s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
				s.Set(c)
				if err := st.Save(rec, nil, s); err != nil {
					t.Fatal(err)
				}
				var pairs []string
				for _, c := range rec.Result().Cookies() {
					pairs = append(pairs, c.Name+"="+c.Value)
				}
				return pairs
			}
			blob := 0 // the shortest blob that takes the chunks, in steps of 100
			for len(save(cart{Blob: strings.Repeat("x", blob)})) < chunks {
				blob += 100
			}
			var header []string
			var want cart
			// twins sessions, each sealed a second later than the last:
			// the newest wins.
			for i := range twins {
				want = cart{User: fmt.Sprint("user", i), Blob: strings.Repeat("x", blob)}
				pairs := save(want)
				if len(pairs) != chunks {
					t.Fatalf("%d chunks written, want %d", len(pairs), chunks)
				}
				header = append(header, strings.Join(pairs, "; "))
				clk.now = clk.now.Add(time.Second)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Cookie"] = header
			s, err := st.Load(r)
			if err != nil {
				t.Fatalf("%d chunks, %d twins: %v", chunks, twins, err)
			}
			if got := s.Get(); got != want {
				t.Fatalf("%d chunks, %d twins: loaded %q, want %q", chunks, twins, got.User, want.User)
			}
		}
	}
}

// TestMiddlewareNested runs one store's middleware twice for a request,
// with a change from a handler between the two and one from the handler
// inside: both are saved, in one set of cookies. A context kept from a
// finished request is no live middleware: a request carrying it loads
// its own session.
func TestMiddlewareNested(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	between := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			s.Update(func(c *cart) { c.User = "outer" })
			next.ServeHTTP(w, r)
		})
	}
	var kept context.Context
	var keptSession *Session[cart]
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		if s.Get().User != "outer" {
			t.Errorf("the inner handler sees %+v, not the outer change", s.Get())
		}
		s.Update(func(c *cart) { c.Visits++ })
		kept, keptSession = r.Context(), s
		w.Write([]byte("done"))
	})
	h := st.Middleware(between(st.Middleware(inner)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if n := len(rec.Result().Cookies()); n != 1 {
		t.Fatalf("%d cookies set, want 1", n)
	}
	s, err := st.Load(requestWith(rec))
	if err != nil || s.Get() != (cart{User: "outer", Visits: 1}) {
		t.Fatalf("saved %+v, %v; want both changes", s.Get(), err)
	}

	// A request that carries the kept context: its own session.
	next := requestWith(rec).WithContext(kept)
	var seen *Session[cart]
	st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = st.FromContext(r.Context())
		seen.Update(func(c *cart) { c.Visits++ })
	})).ServeHTTP(httptest.NewRecorder(), next)
	if seen == keptSession || seen.Get().Visits != 2 {
		t.Fatalf("a request with a kept context got %+v", seen.Get())
	}
}
