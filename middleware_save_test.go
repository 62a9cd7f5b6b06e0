package cookiesession

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects what a store reports through OnError and its Logger.
type recorder struct {
	mu     sync.Mutex
	errs   []error
	logged strings.Builder
}

func (rec *recorder) onError(r *http.Request, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.errs = append(rec.errs, err)
}

func (rec *recorder) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{&rec.mu, &rec.logged}, nil))
}

// matching returns the reported errors that match target.
func (rec *recorder) matching(target error) []error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []error
	for _, err := range rec.errs {
		if errors.Is(err, target) {
			out = append(out, err)
		}
	}
	return out
}

func (rec *recorder) log() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.logged.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sessionCookies returns the Set-Cookie lines of a response for the store's
// cookie and its chunks.
func sessionCookies(h http.Header, name string) []string {
	var out []string
	for _, line := range h.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") || strings.HasPrefix(line, name+".") {
			out = append(out, line)
		}
	}
	return out
}

func localRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = "localhost:8080"
	return r
}

// A handler under the middleware saves the session itself and learns, before
// it responds, that the change is too large; the middleware neither writes
// the cookies nor reports the failure a second time.
func TestMiddlewareExplicitSaveTooLarge(t *testing.T) {
	rec := &recorder{}
	st, _ := newStore(t, testRing(t), Config[cart]{MaxSize: 1024, OnError: rec.onError})
	var saveErr error
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Blob = strings.Repeat("x", 4000) })
		if saveErr = st.Save(w, r, s); saveErr != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprint(w, "saved")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, localRequest("POST", "/"))
	var tl *TooLargeError
	if !errors.As(saveErr, &tl) || tl.Limit != 1024 {
		t.Fatalf("Save = %v, want a *TooLargeError with limit 1024", saveErr)
	}
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: the handler did not see the error in time", w.Code)
	}
	if got := sessionCookies(w.Result().Header, st.Name()); len(got) != 0 {
		t.Errorf("a refused save set cookies: %q", got)
	}
	if got := rec.matching(ErrTooLarge); len(got) != 1 {
		t.Errorf("the failure was reported %d times, want once: %v", len(got), rec.errs)
	}
}

// An explicit save that succeeds is the only one: the cookies go out once.
func TestMiddlewareExplicitSaveWritesOnce(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
		if err := st.Save(w, r, s); err != nil {
			t.Errorf("Save: %v", err)
		}
		fmt.Fprint(w, "ok")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, localRequest("POST", "/"))
	if got := sessionCookies(w.Result().Header, st.Name()); len(got) != 1 {
		t.Fatalf("Set-Cookie lines for the session: %q, want exactly one", got)
	}
	s, err := st.Load(requestWith(w))
	if err != nil || s.Get().Visits != 1 {
		t.Fatalf("the saved session: %+v, %v", s.Get(), err)
	}
}

// A change made after the header went out cannot reach the browser; it is
// reported, at Warn and to OnError, as ErrLateSave, never dropped silently.
func TestMiddlewareLateChangeIsReported(t *testing.T) {
	for name, tc := range map[string]struct {
		handler func(st *Store[cart], w http.ResponseWriter, r *http.Request)
		saveErr bool // the handler's own Save must return ErrLateSave
	}{
		"Update after Write": {handler: func(st *Store[cart], w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			fmt.Fprint(w, "body first")
			s.Update(func(c *cart) { c.Visits++ })
		}},
		"Renew after WriteHeader": {handler: func(st *Store[cart], w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			w.WriteHeader(http.StatusNoContent)
			s.Renew()
		}},
		"Destroy after Flush": {handler: func(st *Store[cart], w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			w.(http.Flusher).Flush()
			s.Destroy()
		}},
		"flashes read after Write": {handler: func(st *Store[cart], w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			fmt.Fprint(w, "page")
			s.Flashes()
		}},
		"Save after Write": {saveErr: true, handler: func(st *Store[cart], w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			fmt.Fprint(w, "body first")
			s.Update(func(c *cart) { c.Visits++ })
			if err := st.Save(w, r, s); !errors.Is(err, ErrLateSave) {
				t.Errorf("late Save = %v, want ErrLateSave", err)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			st, _ := newStore(t, testRing(t), Config[cart]{OnError: rec.onError, Logger: rec.logger()})
			// A session with a flash, so that reading it is a change.
			seed := httptest.NewRecorder()
			s, _ := st.Load(localRequest("GET", "/"))
			s.AddFlash("info", "hello")
			if err := st.Save(seed, localRequest("GET", "/"), s); err != nil {
				t.Fatal(err)
			}
			r := requestWith(seed)
			r.Host = "localhost"

			w := httptest.NewRecorder()
			st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.handler(st, w, r)
			})).ServeHTTP(w, r)
			if got := rec.matching(ErrLateSave); len(got) != 1 {
				t.Fatalf("ErrLateSave reported %d times, want once; reports: %v", len(got), rec.errs)
			}
			if log := rec.log(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "header was written") {
				t.Errorf("log: %q, want a WARN record about the late change", log)
			}
		})
	}
}

// A hijacked connection carries no Set-Cookie: a change pending at the
// hijack is reported, not lost without a word.
func TestMiddlewareChangeBeforeHijackIsReported(t *testing.T) {
	rec := &recorder{}
	st, _ := newStore(t, testRing(t), Config[cart]{OnError: rec.onError})
	done := make(chan struct{})
	mw := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		buf.Flush()
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		mw.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, bufio.NewReader(resp.Body))
	resp.Body.Close()
	<-done // the middleware has returned
	got := rec.matching(ErrLateSave)
	if len(got) != 1 {
		t.Fatalf("ErrLateSave reported %d times, want once; reports: %v", len(got), rec.errs)
	}
	if !strings.Contains(got[0].Error(), "before Hijack") {
		t.Errorf("%q does not say to save before Hijack", got[0])
	}
}

// A hijack that fails (here a writer that cannot; HTTP/2 refuses it too)
// sends nothing: the response goes on, and carries the session.
func TestMiddlewareFailedHijackSaves(t *testing.T) {
	rec := &recorder{}
	st, _ := newStore(t, testRing(t), Config[cart]{OnError: rec.onError})
	w := httptest.NewRecorder()
	st.Middleware(visiting(st, func(w http.ResponseWriter) {
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack of a recorder: %v, want http.ErrNotSupported", err)
		}
		http.Error(w, "cannot upgrade", http.StatusBadRequest)
	})).ServeHTTP(w, tlsRequestWith(httptest.NewRecorder()))
	if len(rec.errs) != 0 {
		t.Errorf("reports: %v", rec.errs)
	}
	if w.Code != http.StatusBadRequest || len(w.Result().Cookies()) != 1 {
		t.Fatalf("status %d, cookies %v; want 400 and the session", w.Code, w.Result().Cookies())
	}
	s, err := st.Load(requestWith(w))
	if err != nil || s.Get().Visits != 1 {
		t.Errorf("the saved session: %+v, %v", s.Get(), err)
	}
}

// visiting is a handler that counts a visit in the session, then responds.
func visiting(st *Store[cart], respond func(http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Update(func(c *cart) { c.Visits++ })
		respond(w)
	})
}

// A handler that changes the session and writes nothing gets its change
// saved when it returns; an unchanged session reports nothing.
func TestMiddlewareNoWriteNoReport(t *testing.T) {
	rec := &recorder{}
	st, _ := newStore(t, testRing(t), Config[cart]{OnError: rec.onError})
	w := httptest.NewRecorder()
	st.Middleware(visiting(st, func(http.ResponseWriter) {})).ServeHTTP(w, localRequest("POST", "/"))
	if got := sessionCookies(w.Result().Header, st.Name()); len(got) != 1 {
		t.Fatalf("Set-Cookie: %q", got)
	}
	w = httptest.NewRecorder()
	st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "read only")
	})).ServeHTTP(w, localRequest("GET", "/"))
	if len(rec.errs) != 0 {
		t.Fatalf("reports: %v", rec.errs)
	}
}

// Outside the middleware FromContext has no session; using it anyway fails
// with a message that names the middleware, not a bare nil dereference.
func TestNilSessionNamesMiddleware(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	s, ok := st.FromContext(httptest.NewRequest("GET", "/", nil).Context())
	if ok {
		t.Fatal("ok outside the middleware")
	}
	for name, use := range map[string]func(){
		"Get":      func() { s.Get() },
		"Update":   func() { s.Update(func(*cart) {}) },
		"AddFlash": func() { s.AddFlash("info", "x") },
		"Save":     func() { st.Save(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), s) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "Middleware") || !strings.HasPrefix(msg, "cookiesession: ") {
					t.Errorf("panic %q does not name the missing middleware", msg)
				}
			}()
			use()
		})
	}
}

// TestZeroSessionSaysWhereSessionsComeFrom calls every exported method of
// a Session that no store made, and Store.Save with one: each panics with
// a message that says where to get the request's session, never with a
// bare nil dereference.
func TestZeroSessionSaysWhereSessionsComeFrom(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	uses := map[string]func(){
		"Store.Save": func() { st.Save(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), &Session[cart]{}) },
	}
	typ := reflect.TypeFor[*Session[cart]]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Name == "Format" || m.Name == "String" {
			continue // printing never panics: below
		}
		uses[m.Name] = func() {
			args := []reflect.Value{reflect.ValueOf(&Session[cart]{})}
			for j := 1; j < m.Type.NumIn(); j++ {
				args = append(args, reflect.Zero(m.Type.In(j)))
			}
			m.Func.Call(args)
		}
	}
	for name, use := range uses {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if msg := fmt.Sprint(recover()); msg != errZeroSession {
					t.Errorf("panic %q, want %q", msg, errZeroSession)
				}
			}()
			use()
		})
	}
	var nilSession *Session[cart]
	if got := fmt.Sprint(&Session[cart]{}, nilSession); got != "{00000000 false false false false <nil>} <nil>" {
		t.Errorf("a zero and a nil Session print as %q", got)
	}
}

// A handler that saves the session itself, then sets its own caching
// policy, cannot make a shared cache keep the response: the cache headers
// the save asked for are applied again when the header goes out, so that
// one user's cookie or token is never served to others.
func TestMiddlewareKeepsCacheHeadersAfterSave(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{Transport: TransportCookie | TransportBearer})
	respond := func(change func(s *Session[cart]), after func(h http.Header)) http.Handler {
		return st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			if change != nil {
				change(s)
				if err := st.Save(w, r, s); err != nil {
					t.Fatal(err)
				}
			}
			after(w.Header())
			fmt.Fprint(w, "page")
		}))
	}
	visit := func(s *Session[cart]) { s.Update(func(c *cart) { c.Visits++ }) }
	public := func(h http.Header) {
		h.Del("Vary")
		h.Set("Cache-Control", "public, max-age=600")
	}
	login := httptest.NewRecorder()
	respond(visit, func(http.Header) {}).ServeHTTP(login, localRequest("POST", "/"))
	token := func() string {
		w := httptest.NewRecorder()
		var tok string
		st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			s.Update(func(c *cart) { c.User = "app" })
			var err error
			if tok, err = s.Token(); err != nil {
				t.Fatal(err)
			}
		})).ServeHTTP(w, localRequest("POST", "/token"))
		return tok
	}()
	withCookie := func() *http.Request {
		r := requestWith(login)
		r.Host = "localhost:8080"
		return r
	}
	withToken := func() *http.Request {
		r := localRequest("GET", "/api")
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	for _, tc := range []struct {
		name             string
		r                *http.Request
		change           func(*Session[cart])
		after            func(http.Header)
		wantVary, wantCC string
	}{
		{"cookie set, then public", withCookie(), visit, public, "Cookie", "private, max-age=600"},
		{"cookie set, then s-maxage", withCookie(), visit, func(h http.Header) {
			h.Set("Cache-Control", "s-maxage=60, max-age=10")
		}, "Cookie", "private, max-age=10"},
		{"cookie set, then private kept", withCookie(), visit, func(h http.Header) {
			h.Set("Cache-Control", "private, max-age=5")
		}, "Cookie", "private, max-age=5"},
		{"logout, then public", withCookie(), func(s *Session[cart]) { s.Destroy() }, public, "Cookie", "no-store"},
		{"token sent, then public", withToken(), visit, public, "Authorization", "no-store"},
		{"token sent, then no-store kept", withToken(), visit, func(h http.Header) {
			h.Set("Cache-Control", "no-store, max-age=0")
		}, "Authorization", "no-store, max-age=0"},
		// A qualified private keeps only the header out of a shared
		// cache; public or s-maxage beside private are dropped.
		{"cookie set, then private=\"Set-Cookie\"", withCookie(), visit, func(h http.Header) {
			h.Set("Cache-Control", `private="Set-Cookie", max-age=600`)
		}, "Cookie", "private, max-age=600"},
		{"cookie set, then a private whose argument holds a comma", withCookie(), visit, func(h http.Header) {
			h.Set("Cache-Control", `private="Set-Cookie, X-Foo", max-age=60`)
		}, "Cookie", "private, max-age=60"},
		{"cookie set, then public, private, s-maxage", withCookie(), visit, func(h http.Header) {
			h.Set("Cache-Control", "public, private, s-maxage=600")
		}, "Cookie", "private"},
		{"token sent, then no-store=\"x\"", withToken(), visit, func(h http.Header) {
			h.Set("Cache-Control", `no-store="x", max-age=60`)
		}, "Authorization", "no-store"},
		{"nothing saved: the handler's policy", withCookie(), nil, public, "", "public, max-age=600"},
	} {
		w := httptest.NewRecorder()
		respond(tc.change, tc.after).ServeHTTP(w, tc.r)
		if got := strings.Join(w.Result().Header.Values("Vary"), ", "); got != tc.wantVary {
			t.Errorf("%s: Vary %q, want %q", tc.name, got, tc.wantVary)
		}
		if got := strings.Join(w.Result().Header.Values("Cache-Control"), ", "); got != tc.wantCC {
			t.Errorf("%s: Cache-Control %q, want %q", tc.name, got, tc.wantCC)
		}
	}
}

// TestMiddlewareAndTimeoutHandler checks that the middleware refuses to
// wrap an http.TimeoutHandler, whose 503 would save the session from
// another goroutine while the handler still changes it, and that inside
// one it runs without a race: a change after the time is up goes out
// with no response, and nothing is left running.
func TestMiddlewareAndTimeoutHandler(t *testing.T) {
	reports := make(chan error, 10)
	st, _ := newStore(t, testRing(t), Config[cart]{Logger: slog.New(slog.DiscardHandler), OnError: func(_ *http.Request, err error) {
		reports <- err
	}})
	release := make(chan struct{})
	done := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		s, _ := st.FromContext(r.Context())
		<-release // the time is up meanwhile
		for range 100 {
			s.Update(func(c *cart) { c.Visits++ })
		}
		w.Write([]byte("late"))
	})
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "mount the middleware inside it") {
				t.Errorf("Middleware(TimeoutHandler): recovered %v, want the panic that says what to do", r)
			}
		}()
		st.Middleware(http.TimeoutHandler(h, time.Millisecond, "slow"))
	}()

	srv := httptest.NewServer(http.TimeoutHandler(st.Middleware(h), 20*time.Millisecond, "slow"))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(release)
	<-done
	if resp.StatusCode != http.StatusServiceUnavailable || len(resp.Cookies()) != 0 {
		t.Errorf("status %d, cookies %v: want the 503 alone", resp.StatusCode, resp.Cookies())
	}
	// The change, saved when the handler wrote, was lost with the 503,
	// and reported once.
	close(reports)
	var got []error
	for err := range reports {
		got = append(got, err)
	}
	if len(got) != 1 || !errors.Is(got[0], ErrLateSave) || !strings.Contains(got[0].Error(), "http.TimeoutHandler answered") {
		t.Errorf("reports %v, want one ErrLateSave about the timeout", got)
	}
}

// TestLateSaveOfNilRequest checks that a late Save given no request, as
// Save allows, returns ErrLateSave and reports it, with the default
// logger and with one of the application's, without a panic.
func TestLateSaveOfNilRequest(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(slog.New(slog.DiscardHandler))
	for _, l := range []*slog.Logger{nil, slog.New(slog.DiscardHandler)} {
		st, _ := newStore(t, testRing(t), Config[cart]{Logger: l})
		var got error
		h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.FromContext(r.Context())
			w.WriteHeader(http.StatusOK)
			s.Update(func(c *cart) { c.Visits++ })
			got = st.Save(w, nil, s)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if !errors.Is(got, ErrLateSave) {
			t.Errorf("logger %v: late Save(w, nil, s) = %v, want ErrLateSave", l != nil, got)
		}
	}
}

// TestTimeoutHandlerLostSaveReported checks that a save that
// http.TimeoutHandler's 503 dropped is reported whether the handler then
// writes only its header (a redirect after a login) or nothing at all,
// and that a handler that ends in time reports nothing.
func TestTimeoutHandlerLostSaveReported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		late  bool
		write func(w http.ResponseWriter)
	}{
		{"header only", true, func(w http.ResponseWriter) { w.WriteHeader(http.StatusSeeOther) }},
		{"nothing written", true, func(http.ResponseWriter) {}},
		{"in time", false, func(w http.ResponseWriter) { w.WriteHeader(http.StatusSeeOther) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var reports []error
			st, _ := newStore(t, testRing(t), Config[cart]{Logger: slog.New(slog.DiscardHandler), OnError: func(_ *http.Request, err error) {
				mu.Lock()
				reports = append(reports, err)
				mu.Unlock()
			}})
			done := make(chan struct{})
			h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				if tc.late {
					<-r.Context().Done()
				}
				s, _ := st.FromContext(r.Context())
				s.Update(func(c *cart) { c.User = "ada" })
				tc.write(w)
			}))
			srv := httptest.NewServer(http.TimeoutHandler(h, 50*time.Millisecond, "slow"))
			defer srv.Close()
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			<-done
			want := 0
			if tc.late {
				want = 1
			}
			// The middleware ends just after the handler.
			for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				n := len(reports)
				mu.Unlock()
				if n >= want {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if len(reports) != want || want == 1 && !errors.Is(reports[0], ErrLateSave) {
				t.Errorf("reports %v, want %d ErrLateSave", reports, want)
			}
			if !tc.late && (resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0) {
				t.Errorf("in time: status %d, cookies %v", resp.StatusCode, resp.Cookies())
			}
		})
	}
}
