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

// mwSessionMap is the shopper's session as a map[string]any: ints as
// int64, lists as []any and cart lines as maps.
func mwSessionMap(s *mwSession) map[string]any {
	roles := make([]any, len(s.Roles))
	for i, r := range s.Roles {
		roles[i] = r
	}
	m := map[string]any{
		"UserID": s.UserID, "Email": s.Email, "Roles": roles, "CSRF": s.CSRF,
		"ReturnTo": s.ReturnTo, "Visits": int64(s.Visits),
	}
	if len(s.Cart) > 0 {
		lines := make([]any, len(s.Cart))
		for i, l := range s.Cart {
			lines[i] = map[string]any{"SKU": l.SKU, "Title": l.Title, "Quantity": int64(l.Quantity), "Cents": l.Cents}
		}
		m["Cart"] = lines
	}
	return m
}

// requestShape is a session measured through a whole request: its typed
// and map[string]any forms, and the change a request makes to each.
type requestShape[T any] struct {
	name   string
	typed  func(size int) T // size is 0 for ~512 B, 1 for ~12 KB
	asMap  func(*T) map[string]any
	change func(*T)
}

var (
	cartShape = requestShape[mwSession]{
		name:   "cart",
		typed:  func(i int) mwSession { return mwPayload(mwSizes[i].lines) },
		asMap:  mwSessionMap,
		change: func(v *mwSession) { v.Visits++ },
	}
	historyShape = requestShape[historySession]{
		name:  "history",
		typed: func(i int) historySession { return newHistorySession([]int{512, 12 << 10}[i]) },
		asMap: historySessionMap,
		// A visit to the page last seen again: the session keeps its size.
		change: func(v *historySession) { v.History[len(v.History)-1].Count++ },
	}
)

// changeMap is the requests' change to a map session: a counter.
func changeMap(m *map[string]any) {
	n, _ := (*m)["Visits"].(int64)
	(*m)["Visits"] = n + 1
}

// BenchmarkMiddleware measures a whole request through the middleware:
// scan the Cookie header, join the chunks, open and decode the session,
// change it, seal it and write its Set-Cookie headers, for a store of a
// root domain (Config.Domain) behind a load balancer that terminated TLS,
// so that each save also checks the request for a misconfiguration to
// report, as it does in production. Beside it, one
// size and form at a time, run the codec's Encode then Decode of the same
// session (what the request cannot do without), and the same request
// through gorilla/sessions' CookieStore (securecookie, gob, AES-CTR +
// HMAC-SHA-256). Its default MaxLength of 4096 refuses the 12 KB session
// (TestGorillaRefuses12KB); the 12KB case raises it to measure the work,
// though no browser would keep a cookie that long.
//
//	go test -run '^$' -bench Middleware -benchmem
func BenchmarkMiddleware(b *testing.B) {
	benchRequests(b, cartShape)
	benchRequests(b, historyShape)
}

func benchRequests[T any](b *testing.B, shape requestShape[T]) {
	registerGobTypes()
	gob.Register(*new(T)) // gorilla stores values in map[any]any
	for i, size := range mwSizes {
		typed := shape.typed(i)
		m := shape.asMap(&typed)
		prefix := "shape=" + shape.name + "/session=" + size.name
		b.Run(prefix+"/form=typed/store=cookiesession", func(b *testing.B) {
			benchStoreRequest(b, typed, shape.change)
		})
		b.Run(prefix+"/form=typed/store=codec", func(b *testing.B) {
			benchCodecRequest(b, &typed, func() any { return new(T) })
		})
		b.Run(prefix+"/form=typed/store=gorilla", func(b *testing.B) {
			benchGorillaRequest(b, map[any]any{"data": typed}, func(vs map[any]any) {
				v := vs["data"].(T)
				shape.change(&v)
				vs["data"] = v
			})
		})
		b.Run(prefix+"/form=map/store=cookiesession", func(b *testing.B) {
			benchStoreRequest(b, m, changeMap)
		})
		b.Run(prefix+"/form=map/store=codec", func(b *testing.B) {
			benchCodecRequest(b, m, func() any { return new(map[string]any) })
		})
		b.Run(prefix+"/form=map/store=gorilla", func(b *testing.B) {
			vs := map[any]any{}
			for k, v := range m {
				vs[k] = v
			}
			benchGorillaRequest(b, vs, func(vs map[any]any) {
				n, _ := vs["Visits"].(int64)
				vs["Visits"] = n + 1
			})
		})
	}
}

// benchStoreRequest runs requests carrying the session seed through the
// store's middleware, each making the change.
func benchStoreRequest[T any](b *testing.B, seed T, change func(*T)) {
	// A store for a root domain, behind a load balancer: the request
	// comes through the proxy that terminated TLS (behindProxy).
	st, err := NewStore(testRing(b), Config[T]{MaxSize: 20000, Now: (&clock{t0}).Now, Domain: "example.com"})
	if err != nil {
		b.Fatal(err)
	}
	h := st.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.FromContext(r.Context())
		if err := s.LoadError(); err != nil {
			b.Fatal(err)
		}
		s.Update(change)
		w.WriteHeader(http.StatusNoContent)
	}))
	// The request carries the session a first request set.
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(seed)
	if err := st.Save(rec, nil, s); err != nil {
		b.Fatal(err)
	}
	req := behindProxy(requestWith(rec), "app.example.com")
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
	b.ReportMetric(float64(len(rec.Result().Cookies())), "cookies")
}

// benchCodecRequest is the codec's Encode then Decode of v, with the
// configuration of the store above.
func benchCodecRequest(b *testing.B, v any, zero func() any) {
	c, err := NewCodec(testRing(b), CodecConfig{MaxLength: 20000, Now: (&clock{t0}).Now})
	if err != nil {
		b.Fatal(err)
	}
	value := ""
	b.ReportAllocs()
	for b.Loop() {
		value, err = c.Encode("__Host-session", v)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Decode("__Host-session", value, zero()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(value)), "value-bytes")
}

// benchGorillaRequest runs the same requests through a gorilla/sessions
// CookieStore whose session holds values.
func benchGorillaRequest(b *testing.B, values map[any]any, change func(map[any]any)) {
	store := sessions.NewCookieStore(make32(1), make32(2))
	for _, c := range store.Codecs {
		c.(*securecookie.SecureCookie).MaxLength(1 << 20)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "s")
		if err != nil || s.IsNew {
			b.Fatal("gorilla/sessions lost the session:", err)
		}
		change(s.Values)
		if err := s.Save(r, w); err != nil {
			b.Fatal(err)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	seed := httptest.NewRecorder()
	r0 := httptest.NewRequest("GET", "/", nil)
	s, _ := store.New(r0, "s")
	s.Values = values
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
