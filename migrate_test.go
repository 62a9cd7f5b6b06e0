package cookiesession

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
)

var (
	gorillaHash  = bytes.Repeat([]byte{'h'}, 32)
	gorillaBlock = bytes.Repeat([]byte{'b'}, 32)
)

// mintGorilla saves a session the way the application did before it
// switched, with gorilla/sessions' own CookieStore.
func mintGorilla(t testing.TB, name string, values map[any]any, keyPairs ...[]byte) *http.Cookie {
	t.Helper()
	store := sessions.NewCookieStore(keyPairs...)
	r := httptest.NewRequest("GET", "/", nil)
	s, err := store.New(r, name)
	if err != nil && !s.IsNew {
		t.Fatal(err)
	}
	for k, v := range values {
		s.Values[k] = v
	}
	rec := httptest.NewRecorder()
	if err := s.Save(r, rec); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()[0]
}

func cartFromGorilla(values map[any]any) (cart, error) {
	user, ok := values["user"].(string)
	if !ok {
		return cart{}, fmt.Errorf("no user in %v", values)
	}
	visits, _ := values["visits"].(int)
	return cart{User: user, Visits: visits}, nil
}

func migratingStore(t testing.TB, m GorillaMigration[cart]) (*Store[cart], *clock) {
	t.Helper()
	if m.CookieName == "" {
		m.CookieName = "gsession"
	}
	if m.KeyPairs == nil {
		m.KeyPairs = [][]byte{gorillaHash, gorillaBlock}
	}
	if m.Convert == nil {
		m.Convert = cartFromGorilla
	}
	if m.Sunset.IsZero() {
		m.Sunset = t0.Add(30 * 24 * time.Hour)
	}
	return newStore(t, testRing(t), Config[cart]{Gorilla: &m})
}

func TestGorillaCookieLogsIn(t *testing.T) {
	st, _ := migratingStore(t, GorillaMigration[cart]{})
	legacy := mintGorilla(t, "gsession", map[any]any{"user": "ada", "visits": 7}, gorillaHash, gorillaBlock)

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(legacy)
	s, err := st.Load(r)
	if err != nil || s.IsNew() || s.Get() != (cart{User: "ada", Visits: 7}) {
		t.Fatalf("Load = %+v new=%v, %v", s.Get(), s.IsNew(), err)
	}
	rec := httptest.NewRecorder()
	if err := st.Save(rec, r, s); err != nil {
		t.Fatal(err)
	}
	// The response re-seals the session in the new format and expires the
	// gorilla cookie, host-only and for the request's domain.
	var names []string
	for _, c := range rec.Result().Cookies() {
		names = append(names, c.Name+" max-age="+strconv.Itoa(c.MaxAge)+" domain="+c.Domain)
	}
	want := []string{"__Host-session max-age=604800 domain=", "gsession max-age=-1 domain=", "gsession max-age=-1 domain=example.com"}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Fatalf("cookies %v, want %v", names, want)
	}

	// From then on the new cookie alone carries the session.
	s, err = st.Load(requestWith(rec))
	if err != nil || s.Get().User != "ada" {
		t.Fatalf("next request: %+v, %v", s.Get(), err)
	}
}

func TestGorillaMiddleware(t *testing.T) {
	// Through the middleware, a page view that changes nothing still
	// migrates the session.
	st, _ := migratingStore(t, GorillaMigration[cart]{})
	srv := httptest.NewTLSServer(cartApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)
	legacy := mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock)
	u, _ := http.NewRequest("GET", b.url("app.example.test", "/"), nil)
	b.jar.SetCookies(u.URL, []*http.Cookie{legacy})

	_, body := b.do("GET", "app.example.test", "/")
	if body != "user=ada visits=0 blob=0 new=false" {
		t.Fatalf("body %q", body)
	}
	if got := strings.Join(b.jarNames("app.example.test"), ","); got != "__Host-session" {
		t.Fatalf("cookies after the first request: %s", got)
	}
	if _, body := b.do("GET", "app.example.test", "/"); body != "user=ada visits=0 blob=0 new=false" {
		t.Fatalf("second request: %q", body)
	}
}

func TestGorillaMigrationOutcomes(t *testing.T) {
	st, clk := migratingStore(t, GorillaMigration[cart]{})
	good := mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock)
	otherKeys := mintGorilla(t, "gsession", map[any]any{"user": "eve"}, bytes.Repeat([]byte{'x'}, 32), gorillaBlock)
	noUser := mintGorilla(t, "gsession", map[any]any{"theme": "dark"}, gorillaHash, gorillaBlock)
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		at     time.Time
		user   string
		err    error
	}{
		{"valid", good, t0, "ada", nil},
		{"tampered", &http.Cookie{Name: "gsession", Value: otherChar(good.Value, 40)}, t0, "", ErrTampered},
		{"other keys", otherKeys, t0, "", ErrTampered},
		{"not base64", &http.Cookie{Name: "gsession", Value: "%%%"}, t0, "", ErrMalformed},
		{"convert fails", noUser, t0, "", ErrMalformed},
		{"too long", &http.Cookie{Name: "gsession", Value: strings.Repeat("A", 4097)}, t0, "", ErrTooLarge},
		{"after the sunset", good, t0.Add(31 * 24 * time.Hour), "", ErrAbsent},
	} {
		clk.now = tc.at
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(tc.cookie)
		s, err := st.Load(r)
		if s.Get().User != tc.user || !errors.Is(err, tc.err) {
			t.Errorf("%s: user %q err %v; want %q, %v", tc.name, s.Get().User, err, tc.user, tc.err)
		}
		if tc.err != nil && !s.IsNew() {
			t.Errorf("%s: a failed migration gave an old session", tc.name)
		}
	}
}

// TestGorillaExpiredCookie builds a gorilla cookie by hand, with a hash key
// only (gorilla's signed, unencrypted mode), stamped 40 days ago: it is
// authentic but past the 30-day MaxAge, so it reads as expired.
func TestGorillaExpiredCookie(t *testing.T) {
	st, _ := migratingStore(t, GorillaMigration[cart]{KeyPairs: [][]byte{gorillaHash, nil}})
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(map[any]any{"user": "ada"}); err != nil {
		t.Fatal(err)
	}
	forge := func(age time.Duration) *http.Cookie {
		value := base64.URLEncoding.EncodeToString(payload.Bytes())
		stamp := strconv.FormatInt(time.Now().Add(-age).Unix(), 10)
		mac := hmac.New(sha256.New, gorillaHash)
		mac.Write([]byte("gsession|" + stamp + "|" + value))
		raw := stamp + "|" + value + "|" + string(mac.Sum(nil))
		return &http.Cookie{Name: "gsession", Value: base64.URLEncoding.EncodeToString([]byte(raw))}
	}
	for _, tc := range []struct {
		age  time.Duration
		user string
		err  error
	}{
		{time.Hour, "ada", nil}, // the hand-built cookie is a real one
		{40 * 24 * time.Hour, "", ErrExpired},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(forge(tc.age))
		s, err := st.Load(r)
		if s.Get().User != tc.user || !errors.Is(err, tc.err) {
			t.Errorf("age %v: user %q, err %v; want %q, %v", tc.age, s.Get().User, err, tc.user, tc.err)
		}
	}
}

func TestGorillaRotatedKeys(t *testing.T) {
	// The CookieStore had rotated its keys: new pair first, old second. A
	// cookie from before the rotation still migrates.
	newHash := bytes.Repeat([]byte{'n'}, 32)
	st, _ := migratingStore(t, GorillaMigration[cart]{KeyPairs: [][]byte{newHash, gorillaBlock, gorillaHash, gorillaBlock}})
	for _, pairs := range [][][]byte{{newHash, gorillaBlock}, {gorillaHash, gorillaBlock}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(mintGorilla(t, "gsession", map[any]any{"user": "ada"}, pairs...))
		if s, err := st.Load(r); err != nil || s.Get().User != "ada" {
			t.Errorf("keys %q: %+v, %v", pairs[0][:1], s.Get(), err)
		}
	}
}

func TestGorillaSameCookieName(t *testing.T) {
	// The new store took over the gorilla cookie's name: the gorilla value
	// is not in this format, so the migration reads it, and the new cookie
	// replaces it without a separate expiry.
	m := GorillaMigration[cart]{CookieName: "session"}
	m.KeyPairs, m.Convert, m.Sunset = [][]byte{gorillaHash, gorillaBlock}, cartFromGorilla, t0.Add(time.Hour)
	st, _ := newStore(t, testRing(t), Config[cart]{Name: "session", Gorilla: &m})
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(mintGorilla(t, "session", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock))
	s, err := st.Load(r)
	if err != nil || s.Get().User != "ada" {
		t.Fatalf("%+v, %v", s.Get(), err)
	}
	rec := httptest.NewRecorder()
	st.Save(rec, r, s)
	if cs := rec.Result().Cookies(); len(cs) != 1 || cs[0].Name != "session" || cs[0].MaxAge <= 0 {
		t.Fatalf("cookies %v", cs)
	}
}

func TestGorillaDestroyExpiresLegacy(t *testing.T) {
	st, _ := migratingStore(t, GorillaMigration[cart]{})
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock))
	s, _ := st.Load(r)
	s.Destroy()
	rec := httptest.NewRecorder()
	st.Save(rec, r, s)
	var expired []string
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			expired = append(expired, c.Name)
		}
	}
	if strings.Join(expired, ",") != "__Host-session,gsession,gsession" {
		t.Fatalf("expired %v", expired)
	}
}

func TestGorillaMigrationValidation(t *testing.T) {
	ok := GorillaMigration[cart]{CookieName: "g", KeyPairs: [][]byte{gorillaHash}, Convert: cartFromGorilla, Sunset: t0}
	for name, mut := range map[string]func(*GorillaMigration[cart]){
		"no name":    func(m *GorillaMigration[cart]) { m.CookieName = "" },
		"no keys":    func(m *GorillaMigration[cart]) { m.KeyPairs = nil },
		"no convert": func(m *GorillaMigration[cart]) { m.Convert = nil },
		"no sunset":  func(m *GorillaMigration[cart]) { m.Sunset = time.Time{} },
		"bad name":   func(m *GorillaMigration[cart]) { m.CookieName = "a b" },
	} {
		m := ok
		mut(&m)
		if _, err := NewStore(testRing(t), Config[cart]{Gorilla: &m}); err == nil || !strings.Contains(err.Error(), "GorillaMigration") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := NewStore(testRing(t), Config[cart]{Gorilla: &ok}); err != nil {
		t.Error(err)
	}
}

// TestGorillaNeverOverridesALiveSession checks that a gorilla cookie is not
// consulted while the request carries a session of the store's own that
// another server may still open: under a key this server lacks, issued by
// a clock ahead, or of a newer format. Whatever the gorilla cookie holds,
// the response then writes nothing.
func TestGorillaNeverOverridesALiveSession(t *testing.T) {
	st, clk := migratingStore(t, GorillaMigration[cart]{})
	other, _ := newStore(t, lcRing(t, nil, lcKey(0x77, KeyActive, lcT0, time.Time{})), Config[cart]{Now: clk.Now})
	ahead, _ := newStore(t, testRing(t), Config[cart]{Now: func() time.Time { return t0.Add(10 * time.Minute) }})
	seal := func(st *Store[cart], user string) []*http.Cookie {
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{User: user})
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()
	}
	newer := seal(st, "ada")
	raw, _ := b64.DecodeString(newer[0].Value[1:])
	raw[0] = 2 // a format version this server does not read yet
	newer[0].Value = "~" + b64.EncodeToString(raw)

	own := map[string]struct {
		cookies []*http.Cookie
		want    error
	}{
		"unknown key":   {seal(other, "ada"), ErrUnknownKey},
		"clock ahead":   {seal(ahead, "ada"), ErrNotYetValid},
		"newer version": {newer, ErrUnsupportedVersion},
	}
	legacy := map[string]*http.Cookie{
		"valid gorilla cookie":   mintGorilla(t, "gsession", map[any]any{"user": "mallory"}, gorillaHash, gorillaBlock),
		"forged gorilla cookie":  mintGorilla(t, "gsession", map[any]any{"user": "mallory"}, []byte("wrong hash key 0123456789abcdef")),
		"garbage gorilla cookie": {Name: "gsession", Value: "garbage"},
	}
	for oname, o := range own {
		for lname, l := range legacy {
			t.Run(oname+"/"+lname, func(t *testing.T) {
				r := httptest.NewRequest("GET", "/", nil)
				for _, c := range o.cookies {
					r.AddCookie(c)
				}
				r.AddCookie(l)
				s, err := st.Load(r)
				if !errors.Is(err, o.want) || s.Get().User != "" {
					t.Fatalf("Load: %+v, %v, want a fresh session and %v", s.Get(), err, o.want)
				}
				rec := httptest.NewRecorder()
				if err := st.Save(rec, r, s); err != nil {
					t.Fatal(err)
				}
				if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
					t.Errorf("the response set %q, want nothing", got)
				}
			})
		}
	}
}

// TestGorillaLogoutEndsBoth checks that a logout expires the gorilla
// cookie the request carried beside the store's own session, so that the
// next request is anonymous, and that a conversion expires it too.
func TestGorillaLogoutEndsBoth(t *testing.T) {
	st, _ := migratingStore(t, GorillaMigration[cart]{})
	srv := httptest.NewTLSServer(cartApp(st))
	defer srv.Close()
	b := newBrowser(t, srv)
	u, _ := url.Parse(b.url("app.example.com", "/"))
	plant := func() {
		b.jar.SetCookies(u, []*http.Cookie{mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock)})
	}

	plant()
	if _, body := b.do("GET", "app.example.com", "/"); !strings.HasPrefix(body, "user=ada ") {
		t.Fatalf("conversion: %s", body)
	}
	if got := b.jarNames("app.example.com"); !slices.Equal(got, []string{"__Host-session"}) {
		t.Errorf("after the conversion: jar %v, want the new cookie alone", got)
	}
	plant() // the gorilla cookie again, beside the new session
	b.do("POST", "app.example.com", "/logout")
	if got := b.jarNames("app.example.com"); len(got) != 0 {
		t.Errorf("after logout: jar %v, want empty", got)
	}
	if _, body := b.do("GET", "app.example.com", "/"); !strings.HasPrefix(body, "user= ") {
		t.Errorf("after logout: %s, want anonymous", body)
	}
}

// TestGorillaConversionStartsAfresh: a request carries a session of the
// store's own that authenticates but is refused (by the Validate hook, or
// by a Lifetime shortened since it was sealed), with flashes and a cookie
// choice, beside a valid gorilla cookie. The converted session holds what
// Convert gave and nothing of the refused one.
func TestGorillaConversionStartsAfresh(t *testing.T) {
	for _, refuse := range []string{"validate", "lifetime"} {
		t.Run(refuse, func(t *testing.T) {
			clk := &clock{t0}
			m := GorillaMigration[cart]{
				CookieName: "gsession", KeyPairs: [][]byte{gorillaHash, gorillaBlock},
				Convert: cartFromGorilla, Sunset: t0.Add(30 * 24 * time.Hour),
			}
			cfg := Config[cart]{Now: clk.Now, BrowserSessionCookies: true, Gorilla: &m}
			writer, _ := newStore(t, testRing(t), cfg)
			s, _ := writer.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(cart{User: "mallory"})
			s.SetPersistent(true)
			if err := s.AddFlash("info", "planted"); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if err := writer.Save(rec, nil, s); err != nil {
				t.Fatal(err)
			}
			var seen []Flash
			switch refuse {
			case "validate":
				cfg.Validate = func(r *http.Request, s *Session[cart]) error {
					if s.Get().User == "mallory" {
						return errors.New("logged out everywhere")
					}
					seen = append(seen, s.env.Flashes...)
					return nil
				}
			case "lifetime":
				cfg.Lifetime = time.Hour
				clk.now = t0.Add(2 * time.Hour)
			}
			reader, _ := newStore(t, testRing(t), cfg)
			r := requestWith(rec)
			r.AddCookie(mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock))
			got, err := reader.Load(r)
			if err != nil || got.Get() != (cart{User: "ada"}) {
				t.Fatalf("Load = %+v, %v; want the gorilla session", got.Get(), err)
			}
			if f := got.Flashes(); len(f) != 0 || len(seen) != 0 {
				t.Errorf("the converted session carries the refused one's flashes: %v (Validate saw %v)", f, seen)
			}
			if got.Persistent() {
				t.Error("the converted session carries the refused one's cookie choice")
			}
			if got.ID() == s.ID() {
				t.Error("the converted session carries the refused one's id")
			}
		})
	}
}

// A map store's Convert that gives a nil map gives a session whose data is
// an empty map all the same, as Get promises: a handler writes into it.
func TestGorillaConversionToNilMap(t *testing.T) {
	m := GorillaMigration[map[string]any]{
		CookieName: "gsession", KeyPairs: [][]byte{gorillaHash, gorillaBlock},
		Convert: func(map[any]any) (map[string]any, error) { return nil, nil },
		Sunset:  t0.Add(30 * 24 * time.Hour),
	}
	st, _ := newStore(t, testRing(t), Config[map[string]any]{Now: (&clock{t0}).Now, Gorilla: &m})
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(mintGorilla(t, "gsession", map[any]any{"user": "ada"}, gorillaHash, gorillaBlock))
	s, err := st.Load(r)
	if err != nil || s.IsNew() {
		t.Fatalf("Load: %v, new %v", err, s.IsNew())
	}
	if s.Get() == nil {
		t.Fatal("converted to a nil map: Get() is nil")
	}
}
