package cookiesession

import (
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// mwSession is the session a typical logged-in shopper carries: identity,
// a CSRF token, where to go back to, and a cart that grows the session to
// the sizes measured (~512 B and ~12 KB serialized).
type mwSession struct {
	UserID   int64
	Email    string
	Roles    []string
	CSRF     string
	ReturnTo string
	Visits   int
	Cart     []mwLine
}

type mwLine struct {
	SKU      string
	Title    string
	Quantity int
	Cents    int64
}

func mwPayload(lines int) mwSession {
	s := mwSession{
		UserID:   184467440737095,
		Email:    "ada.lovelace@example.com",
		Roles:    []string{"customer", "beta"},
		CSRF:     "Jk2n8Qz1pV7xR4sT9wY3bC6dF0gH5jL2",
		ReturnTo: "/account/orders?page=2",
	}
	for i := range lines {
		s.Cart = append(s.Cart, mwLine{
			SKU:      fmt.Sprintf("SKU-%06d", i),
			Title:    "Hand-thrown stoneware mug, speckled glaze",
			Quantity: 1 + i%3,
			Cents:    2450 + int64(i),
		})
	}
	return s
}

// mwSizes are the cart sizes that give ~512 B and ~12 KB sessions.
var mwSizes = []struct {
	name  string
	lines int
}{{"512B", 4}, {"12KB", 140}}

// BenchmarkMiddleware measures a whole request through the middleware:
// scan the Cookie header, join the chunks, open and decode the session,
// change it, seal it and write its Set-Cookie headers.
//
//	go test -run '^$' -bench 'Middleware|GorillaSessions' -benchmem
func BenchmarkMiddleware(b *testing.B) {
	for _, size := range mwSizes {
		b.Run(size.name, func(b *testing.B) {
			st, err := NewStore(testRing(b), Config[mwSession]{MaxSize: 20000, Now: (&clock{t0}).Now})
			if err != nil {
				b.Fatal(err)
			}
			h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, _ := st.FromContext(r.Context())
				s.Update(func(v *mwSession) { v.Visits++ })
				w.WriteHeader(http.StatusNoContent)
			}))
			// The request carries the session a first request set.
			seed := httptest.NewRecorder()
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(mwPayload(size.lines))
			if err := st.Save(seed, nil, s); err != nil {
				b.Fatal(err)
			}
			req := requestWith(seed)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
				if len(w.h["Set-Cookie"]) == 0 {
					b.Fatal("no cookie set")
				}
			}
			// After the loop: b.Loop drops metrics reported before it.
			b.ReportMetric(float64(len(req.Header.Get("Cookie"))), "cookie-bytes")
			b.ReportMetric(float64(len(seed.Result().Cookies())), "cookies")
		})
	}
}

// BenchmarkGorillaSessions is the same request through gorilla/sessions'
// CookieStore (securecookie, gob, AES-CTR + HMAC-SHA-256). Its default
// MaxLength of 4096 refuses the 12 KB session (TestGorillaRefuses12KB);
// the 12KB case raises it to measure the work, though no browser would
// keep a cookie that long.
func BenchmarkGorillaSessions(b *testing.B) {
	gob.Register(mwSession{}) // gorilla stores values in map[any]any
	for _, size := range mwSizes {
		b.Run(size.name, func(b *testing.B) {
			store := sessions.NewCookieStore(make32(1), make32(2))
			for _, c := range store.Codecs {
				c.(*securecookie.SecureCookie).MaxLength(1 << 20)
			}
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, err := store.Get(r, "s")
				if err != nil {
					b.Fatal(err)
				}
				v := s.Values["data"].(mwSession)
				v.Visits++
				s.Values["data"] = v
				if err := s.Save(r, w); err != nil {
					b.Fatal(err)
				}
				w.WriteHeader(http.StatusNoContent)
			})
			seed := httptest.NewRecorder()
			r0 := httptest.NewRequest("GET", "/", nil)
			s, _ := store.New(r0, "s")
			s.Values["data"] = mwPayload(size.lines)
			if err := s.Save(r0, seed); err != nil {
				b.Fatal(err)
			}
			cookies := seed.Result().Cookies()
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				// gorilla caches sessions per request, so each request is new.
				r := httptest.NewRequest("GET", "/", nil)
				r.AddCookie(cookies[0])
				h.ServeHTTP(w, r)
			}
			b.ReportMetric(float64(len(cookies[0].Name)+1+len(cookies[0].Value)), "cookie-bytes")
			b.ReportMetric(1, "cookies")
		})
	}
}

func TestGorillaRefuses12KB(t *testing.T) {
	gob.Register(mwSession{})
	store := sessions.NewCookieStore(make32(1), make32(2))
	r := httptest.NewRequest("GET", "/", nil)
	s, _ := store.New(r, "s")
	s.Values["data"] = mwPayload(140)
	err := s.Save(r, httptest.NewRecorder())
	if err == nil || !strings.Contains(err.Error(), "the value is too long") {
		t.Fatalf("gorilla saved a 12 KB session: %v", err)
	}

	// The same session through the middleware: split over 5 cookies.
	st, _ := newStore(t, testRing(t), Config[mwSession]{MaxSize: 20000})
	s2, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s2.Set(mwPayload(140))
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s2); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Result().Cookies()); n != 5 {
		t.Errorf("12 KB session in %d cookies, want 5", n)
	}
	var tl *TooLargeError
	st6, _ := newStore(t, testRing(t), Config[mwSession]{})
	s6, _ := st6.Load(httptest.NewRequest("GET", "/", nil))
	s6.Set(mwPayload(140))
	if err := st6.Save(httptest.NewRecorder(), nil, s6); !errors.As(err, &tl) {
		t.Errorf("default MaxSize: err = %v, want a *TooLargeError", err)
	}
}

func make32(seed byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = seed
	}
	return b
}

// discardWriter is a ResponseWriter that keeps the header and drops the
// body, so that benchmarks measure the session work, not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
