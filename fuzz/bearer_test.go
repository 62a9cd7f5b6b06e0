package fuzz

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// hostileAuthorizations are Authorization headers aimed at the bearer
// transport's parser; a line break separates two headers of one request.
var hostileAuthorizations = []string{
	"", "Bearer", "Bearer ", "bearer ~AQAB", "Bearer\t~AQAB", "Bearer  ~AQAB", "Bearerx ~AQAB",
	"Basic YTpi", "Bearer ~AQAB\nBearer ~AQAB", "Basic YTpi\nBearer ~AQAB", "Bearer ~AQAB, realm=x",
	"Bearer ~AQD_" + strings.Repeat("A", 100), "Bearer ~AQAC" + strings.Repeat("A", 100),
	"Bearer ~" + strings.Repeat("A", 5000), "Bearer" + strings.Repeat(" ", 5000) + "~AQAB",
	"Bearer ~AQ\x00AB", "Bearer ~AQAB====", "Bearer ~AQAB+/+/", " Bearer ~AQAB ", "~AQAB",
}

// FuzzBearer loads requests whose Authorization and Cookie headers are
// hostile through a store that serves both transports. Besides the checks
// every target makes, it holds the transport rule: a request whose token
// decides its session never gets a cookie, and one whose cookies decide
// never gets a token; and whatever came in, the session saves and the
// value it saves opens again.
func FuzzBearer(f *testing.F) {
	store, err := cookiesession.NewStore(vectorKeyring(f), cookiesession.Config[map[string]any]{
		Name: "session", Insecure: true, ChunkSize: 512, MaxSize: 8192,
		Transport: cookiesession.TransportCookie | cookiesession.TransportBearer,
		Now:       func() time.Time { return vectorNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	s, _ := store.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(map[string]any{"user": "ada"})
	token, err := s.Token()
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{"Bearer " + token, "bearer   " + token, "Bearer " + token + "\nBearer " + token}
	values := vectorValues(f)
	for _, v := range values {
		seeds = append(seeds, "Bearer "+v) // cookie values: never tokens
	}
	seed(f, append(seeds, hostileAuthorizations...), func(a string) {
		f.Add(a, "")
		f.Add(a, "session="+values[0])
	})

	f.Fuzz(func(t *testing.T, authorization, cookieHeader string) {
		r := httptest.NewRequest("GET", "/", nil)
		if authorization != "" {
			for a := range strings.SplitSeq(authorization, "\n") {
				r.Header.Add("Authorization", a)
			}
		}
		if cookieHeader != "" {
			r.Header.Set("Cookie", cookieHeader)
		}
		var s *cookiesession.Session[map[string]any]
		bounded(t, 64*uint64(len(authorization)+len(cookieHeader))+1<<16, func() {
			s, err = store.Load(r)
		})
		checkOutcome(t, err)
		if err != nil && (!s.IsNew() || len(s.Get()) != 0) {
			t.Fatalf("a failed load gave a session with %v", s.Get())
		}
		byToken := store.CarriesToken(r)
		s.Update(func(m *map[string]any) { (*m)["k"] = "v" })
		rec := httptest.NewRecorder()
		if err := store.Save(rec, r, s); err != nil {
			t.Fatalf("Save after a hostile request: %v", err)
		}
		h := rec.Result().Header
		again := httptest.NewRequest("GET", "/", nil)
		switch {
		case byToken && len(h.Values("Set-Cookie")) > 0:
			t.Fatalf("a request its token decided got cookies %q", h.Values("Set-Cookie"))
		case byToken:
			again.Header.Set("Authorization", "Bearer "+h.Get(cookiesession.TokenHeader))
		case h.Get(cookiesession.TokenHeader) != "":
			t.Fatalf("a request its cookies decided got a token")
		default:
			for _, c := range rec.Result().Cookies() {
				if c.MaxAge >= 0 {
					again.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
				}
			}
		}
		s, err = store.Load(again)
		if err != nil || s.Get()["k"] != "v" {
			t.Fatalf("the saved session does not open again: %v, %v", s.Get(), err)
		}
	})
}
