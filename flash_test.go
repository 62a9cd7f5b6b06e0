package cookiesession

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// flashApp adds a flash on POST /add?kind=&text= and shows (and so
// removes) the flashes on GET /.
func flashApp(st *Store[cart]) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		if err := s.AddFlash(r.FormValue("kind"), r.FormValue("text")); err != nil {
			fmt.Fprint(w, "refused: ", err)
		}
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		s.Renew()
		s.Update(func(c *cart) { c.User = "ada" })
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		for _, f := range s.Flashes() {
			fmt.Fprintf(w, "[%s] %s\n", f.Kind, f.Text)
		}
		fmt.Fprintf(w, "user=%s", s.Get().User)
	})
	return st.Middleware(mux)
}

// Flashes are read on the next request, once: reading them removes them and
// the removal is saved, so they do not come back.
func TestFlashesShownOnce(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	srv := httptest.NewTLSServer(flashApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)
	b.do("POST", "localhost", "/add?kind=info&text=Saved.")
	b.do("POST", "localhost", "/add?kind=error&text=Disk+full.")
	b.do("POST", "localhost", "/login") // Renew keeps them
	if _, body := b.do("GET", "localhost", "/"); body != "[info] Saved.\n[error] Disk full.\nuser=ada" {
		t.Fatalf("first read: %q", body)
	}
	if _, body := b.do("GET", "localhost", "/"); body != "user=ada" {
		t.Fatalf("second read: %q: the flashes came back", body)
	}
}

func TestFlashBounds(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	for i := range MaxFlashes {
		if err := s.AddFlash("info", fmt.Sprint(i)); err != nil {
			t.Fatalf("flash %d: %v", i, err)
		}
	}
	err := s.AddFlash("info", "one too many")
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != MaxFlashes || tl.Unit != "flashes" {
		t.Fatalf("flash %d: %v, want a *TooLargeError of count", MaxFlashes+1, err)
	}
	if n := len(s.Flashes()); n != MaxFlashes {
		t.Fatalf("%d flashes kept, want %d", n, MaxFlashes)
	}
	if err := s.AddFlash("info", strings.Repeat("x", MaxFlashBytes-4)); err != nil {
		t.Fatal(err)
	}
	err = s.AddFlash("e", "")
	if !errors.As(err, &tl) || tl.Size != MaxFlashBytes+1 || tl.Limit != MaxFlashBytes {
		t.Fatalf("flash past %d bytes: %v", MaxFlashBytes, err)
	}
}

// A flash that is not UTF-8 is refused when it is added, on every
// serializer: under JSON the save would otherwise fail and drop the
// session's other change with it. The session is unchanged.
func TestFlashNotUTF8(t *testing.T) {
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		st, _ := newStore(t, testRing(t), Config[cart]{Serializer: ser})
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Update(func(c *cart) { c.User = "ada" })
		for _, kf := range [][2]string{{"info", "\xff\xfe"}, {"\xc3", "text"}} {
			err := s.AddFlash(kf[0], kf[1])
			if !errors.Is(err, ErrUnsupportedValue) || strings.Contains(err.Error(), "\xff") {
				t.Errorf("%s: AddFlash(%q, %q) = %v, want a *ValueError", typeName(ser), kf[0], kf[1], err)
			}
		}
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Fatalf("%s: Save: %v", typeName(ser), err)
		}
		got, err := st.Load(requestWith(rec))
		if err != nil || got.Get().User != "ada" || len(got.Flashes()) != 0 {
			t.Errorf("%s: loaded %+v, %v", typeName(ser), got.Get(), err)
		}
	}
}

// Reading no flashes is no change: a page view of a session without
// flashes sets no cookie.
func TestFlashesReadEmptyIsNoChange(t *testing.T) {
	st, _ := newStore(t, testRing(t), Config[cart]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: "ada"})
	w := httptest.NewRecorder()
	st.Save(w, httptest.NewRequest("GET", "/", nil), s)
	s, err := st.Load(requestWith(w))
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Flashes(); f != nil {
		t.Fatalf("flashes %v", f)
	}
	w = httptest.NewRecorder()
	st.Save(w, httptest.NewRequest("GET", "/", nil), s)
	if got := sessionCookies(w.Result().Header, st.Name()); len(got) != 0 {
		t.Fatalf("Set-Cookie after reading no flashes: %q", got)
	}
}

// Flashes are sealed beside the data, with both serializers; Destroy drops
// them.
func TestFlashesSealedBesideData(t *testing.T) {
	for name, ser := range map[string]Serializer{"cbor": CBOR{}, "json": JSON{}} {
		t.Run(name, func(t *testing.T) {
			st, _ := newStore(t, testRing(t), Config[cart]{Serializer: ser})
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(cart{User: "ada"})
			s.AddFlash("info", "hello")
			w := httptest.NewRecorder()
			if err := st.Save(w, httptest.NewRequest("GET", "/", nil), s); err != nil {
				t.Fatal(err)
			}
			s, err := st.Load(requestWith(w))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]Flash{{"info", "hello"}}, s.Flashes()); d != "" {
				t.Errorf("flashes (-want +got):\n%s", d)
			}
			s.AddFlash("info", "again")
			s.Destroy()
			if f := s.Flashes(); f != nil {
				t.Errorf("flashes after Destroy: %v", f)
			}
		})
	}
}

// A session without flashes or a cookie choice seals the three members it
// always sealed, so values stay as they were and older readers open them.
func TestEnvelopeUnchangedWithoutNewFields(t *testing.T) {
	b, err := CBOR{}.Serialize(envelope[cart]{ID: make([]byte, 16), Created: 1, Data: cart{}})
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0xa3 {
		t.Fatalf("envelope is a map of %#x, want 0xa3 (three members)", b[0])
	}
	yes := true
	b, err = CBOR{}.Serialize(envelope[cart]{ID: make([]byte, 16), Created: 1, Flashes: []Flash{{"a", "b"}}, Persistent: &yes})
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		ID      []byte `cbor:"1,keyasint"`
		Created int64  `cbor:"2,keyasint"`
		Data    cart   `cbor:"3,keyasint"`
	}
	if err := (CBOR{}).Deserialize(b, &old); err != nil || old.Created != 1 {
		t.Fatalf("a reader without keys 4 and 5: %+v, %v", old, err)
	}
}

func maxAgeOf(t *testing.T, h http.Header, name string) (attr bool, maxAge int) {
	t.Helper()
	lines := sessionCookies(h, name)
	if len(lines) == 0 {
		t.Fatal("no session cookie set")
	}
	c, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(lines[0], "Max-Age="), c.MaxAge
}

// Remember me: the session chooses between a persistent cookie and a
// browser-session one; the choice is sealed, holds over re-seals and Renew,
// and the server enforces the idle timeout either way.
func TestRememberMe(t *testing.T) {
	for _, browserDefault := range []bool{false, true} {
		t.Run(fmt.Sprintf("BrowserSessionCookies=%v", browserDefault), func(t *testing.T) {
			st, clk := newStore(t, testRing(t), Config[cart]{BrowserSessionCookies: browserDefault, IdleTimeout: time.Hour})
			save := func(s *Session[cart]) *httptest.ResponseRecorder {
				t.Helper()
				w := httptest.NewRecorder()
				if err := st.Save(w, httptest.NewRequest("GET", "/", nil), s); err != nil {
					t.Fatal(err)
				}
				return w
			}
			// The store's default.
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(cart{User: "ada"})
			if has, _ := maxAgeOf(t, save(s).Header(), st.Name()); has == browserDefault {
				t.Errorf("default: Max-Age present = %v", has)
			}
			// The session's own choice, the opposite of the default.
			s.SetPersistent(browserDefault)
			w := save(s)
			if has, _ := maxAgeOf(t, w.Header(), st.Name()); has != browserDefault {
				t.Fatalf("SetPersistent(%v): Max-Age present = %v", browserDefault, has)
			}
			// Half the idle window later the session is re-sealed; then
			// renewed at login. The choice holds.
			clk.now = clk.now.Add(40 * time.Minute)
			s, err := st.Load(requestWith(w))
			if err != nil {
				t.Fatal(err)
			}
			if s.Persistent() != browserDefault {
				t.Fatalf("loaded: Persistent() = %v", s.Persistent())
			}
			w = save(s) // the re-seal
			if has, _ := maxAgeOf(t, w.Header(), st.Name()); has != browserDefault {
				t.Fatalf("re-sealed: Max-Age present = %v", has)
			}
			s, _ = st.Load(requestWith(w))
			s.Renew()
			w = save(s)
			if has, _ := maxAgeOf(t, w.Header(), st.Name()); has != browserDefault {
				t.Fatalf("renewed: Max-Age present = %v", has)
			}
			// A browser that keeps the cookie past the idle timeout gets
			// nothing from it.
			clk.now = clk.now.Add(time.Hour + 2*time.Minute)
			if _, err := st.Load(requestWith(w)); !errors.Is(err, ErrExpired) {
				t.Fatalf("after the idle timeout: %v, want ErrExpired", err)
			}
			// Destroy forgets the choice.
			s.Destroy()
			if s.Persistent() == browserDefault {
				t.Errorf("after Destroy: Persistent() = %v, want the store's default", s.Persistent())
			}
		})
	}
}
