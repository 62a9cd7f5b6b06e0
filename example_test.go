package cookiesession_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/sessions"
)

func ExampleCodec() {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{
		Purpose: "session",
		MaxAge:  time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}

	type login struct {
		UserID int64
		Roles  []string
	}
	value, err := codec.Encode("sid", login{UserID: 42, Roles: []string{"admin"}})
	if err != nil {
		log.Fatal(err)
	}

	var got login
	if err := codec.Decode("sid", value, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.UserID, got.Roles)

	// The value is bound to its cookie name.
	err = codec.Decode("other", value, &got)
	fmt.Println(errors.Is(err, cookiesession.ErrTampered))
	// Output:
	// 42 [admin]
	// true
}

func ExampleLoadKeyring() {
	dir, err := os.MkdirTemp("", "keyring")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keys.json")

	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	// SaveNew refuses to overwrite; the file gets mode 0600.
	if err := ring.SaveNew(path); err != nil {
		log.Fatal(err)
	}

	loaded, err := cookiesession.LoadKeyring(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	primary, err := loaded.Primary(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(primary.ID == ring.Keys()[0].ID, primary.State)

	// A keyring others can read is refused, with the fix in the message.
	os.Chmod(path, 0o644)
	_, err = cookiesession.LoadKeyring(path, nil)
	fmt.Println(errors.Is(err, cookiesession.ErrKeyringPermissions))
	// Output:
	// true active
	// true
}

// The examples below pass cookies from one response to the next request as
// a browser would; carry does that.
func carry(method, url string, prev *httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	for _, c := range prev.Result().Cookies() {
		if c.MaxAge >= 0 { // not an expired one
			r.AddCookie(c)
		}
	}
	return r
}

type Login struct {
	UserID     int64
	Name       string
	Visits     int
	Generation int
}

func ExampleNewStore() {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	// The zero Config is a host-only, Secure, HttpOnly, SameSite=Lax
	// cookie with the documented lifetimes.
	store, err := cookiesession.NewStore(ring, cookiesession.Config[Login]{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.Name())

	// With a Domain every subdomain shares the session.
	shared, err := cookiesession.NewStore(ring, cookiesession.Config[Login]{Domain: "example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shared.Name())

	// A Config that browsers could not honour is refused.
	_, err = cookiesession.NewStore(ring, cookiesession.Config[Login]{Domain: "co.uk"})
	fmt.Println(err)
	// Output:
	// __Host-session
	// __Secure-session
	// cookiesession: Config: Domain "co.uk" is a public suffix; use your registrable domain
}

func ExampleStore_Middleware() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, err := cookiesession.NewStore(ring, cookiesession.Config[Login]{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /visit", func(w http.ResponseWriter, r *http.Request) {
		s, ok := store.FromContext(r.Context())
		if !ok { // the route is not behind store.Middleware
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		s.Update(func(l *Login) { l.Visits++ })
		fmt.Fprintf(w, "visits=%d", s.Get().Visits)
	})
	h := store.Middleware(mux)

	// The session is saved just before the header goes out, and only when
	// it changed; the browser sends it back on the next request.
	w := httptest.NewRecorder()
	for range 3 {
		r := carry("POST", "https://example.com/visit", w)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Body, len(w.Result().Cookies()), "cookie")
	}
	// Output:
	// visits=1 1 cookie
	// visits=2 1 cookie
	// visits=3 1 cookie
}

// Without the middleware, Load and Save do the same by hand. Load always
// returns a usable session; its error says why it is new.
func ExampleStore_Load() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{})

	r := httptest.NewRequest("GET", "https://example.com/", nil)
	s, err := store.Load(r)
	fmt.Println(s.IsNew(), errors.Is(err, cookiesession.ErrAbsent))
	s.Set(Login{UserID: 42, Name: "Ada"})
	w := httptest.NewRecorder()
	if err := store.Save(w, r, s); err != nil { // before the header is written
		log.Fatal(err)
	}

	s, err = store.Load(carry("GET", "https://example.com/", w))
	fmt.Println(s.IsNew(), err, s.Get().Name)

	// A cookie changed by the client is a fresh session, with the reason.
	r = httptest.NewRequest("GET", "https://example.com/", nil)
	r.Header.Set("Cookie", store.Name()+"=~AQAAAAAAAAAA")
	s, err = store.Load(r)
	fmt.Println(s.IsNew(), errors.Is(err, cookiesession.ErrMalformed))
	// Output:
	// true true
	// false <nil> Ada
	// true true
}

// A handler under the middleware that must know whether its change can be
// saved, because it might make the session too large, saves the session
// itself before it responds. The middleware then writes nothing more.
func ExampleStore_Save() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{MaxSize: 1024})
	h := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := store.FromContext(r.Context())
		if !ok {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		s.Update(func(l *Login) { l.Name = r.FormValue("name") })
		if err := store.Save(w, r, s); err != nil {
			// Nothing was written: the browser keeps its cookies.
			var tl *cookiesession.TooLargeError
			if errors.As(err, &tl) {
				http.Error(w, fmt.Sprintf("too much: %d bytes, limit %d", tl.Size, tl.Limit), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not save the session", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "saved")
	}))
	for _, name := range []string{"Ada", strings.Repeat("A", 2000)} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "https://example.com/?name="+name, nil))
		fmt.Print(w.Code, " ", len(w.Result().Cookies()), " cookies: ", w.Body)
	}
	// Output:
	// 200 1 cookies: saved
	// 413 0 cookies: too much: 2846 bytes, limit 1024
}

// At login, Renew gives the session a new id, so that an id planted in the
// browser before the login is worthless after it.
func ExampleSession_Renew() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{})
	r := httptest.NewRequest("POST", "https://example.com/login", nil)
	s, _ := store.Load(r)
	before := s.ID()
	s.Renew()
	s.Set(Login{UserID: 42, Name: "Ada"})
	fmt.Println(s.ID() != before, s.Get().Name)
	// Output: true Ada
}

// At logout, Destroy expires every cookie of the session, and the session
// is new and empty again.
func ExampleSession_Destroy() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{})
	login := httptest.NewRecorder()
	s, _ := store.Load(httptest.NewRequest("GET", "https://example.com/", nil))
	s.Set(Login{Name: "Ada"})
	store.Save(login, httptest.NewRequest("GET", "https://example.com/", nil), s)

	r := carry("POST", "https://example.com/logout", login)
	s, _ = store.Load(r)
	s.Destroy()
	w := httptest.NewRecorder()
	if err := store.Save(w, r, s); err != nil {
		log.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	fmt.Println(c.Name, c.MaxAge < 0, s.IsNew(), s.Get().Name == "")
	// Output: __Host-session true true true
}

// A flash is shown once: reading it removes it, and the removal is saved.
func ExampleSession_AddFlash() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{})
	h := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := store.FromContext(r.Context())
		if !ok {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		if r.Method == "POST" {
			if err := s.AddFlash("info", "Saved."); err != nil { // too many, or too long
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		// Read them before the first write: their removal is a change.
		flashes := s.Flashes()
		fmt.Fprintf(w, "%d flashes %v", len(flashes), flashes)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "https://example.com/save", nil))
	for range 2 {
		r := carry("GET", "https://example.com/", w)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Body)
	}
	// Output:
	// 1 flashes [{info Saved.}]
	// 0 flashes []
}

// "Remember me": a persistent cookie for users who ask for one, a cookie
// that ends with the browser for the others. The server enforces Lifetime
// and IdleTimeout either way.
func ExampleSession_SetPersistent() {
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{
		BrowserSessionCookies: true, // the default for a session that does not choose
		Lifetime:              30 * 24 * time.Hour,
	})
	for _, remember := range []bool{false, true} {
		r := httptest.NewRequest("POST", "https://example.com/login", nil)
		s, _ := store.Load(r)
		s.Renew()
		s.SetPersistent(remember) // sealed in the session: it holds until Destroy
		s.Set(Login{Name: "Ada"})
		w := httptest.NewRecorder()
		store.Save(w, r, s)
		fmt.Printf("remember=%v Max-Age=%d\n", remember, w.Result().Cookies()[0].MaxAge)
	}
	// Output:
	// remember=false Max-Age=0
	// remember=true Max-Age=2592000
}

// A KeyringFile serves the keyring file's keys to a store and, once Run is
// going, picks up every rotation written to the file.
func ExampleNewKeyringFile() {
	dir, err := os.MkdirTemp("", "keyring")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keys.json")
	ring, _ := cookiesession.NewKeyring(time.Now())
	if err := ring.SaveNew(path); err != nil { // or: cookiesession keyring init keys.json
		log.Fatal(err)
	}

	keys, err := cookiesession.NewKeyringFile(path, cookiesession.KeyringFileConfig{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- keys.Run(ctx) }()
	store, err := cookiesession.NewStore(keys, cookiesession.Config[Login]{})
	if err != nil {
		log.Fatal(err)
	}
	_ = store // serve store.Middleware(mux) …
	fmt.Println(len(keys.Keyring().Keys()), "key")

	// A rotation, as "cookiesession keyring rotate keys.json" writes it.
	rotated, _, err := ring.Rotate(time.Now(), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := rotated.Save(path); err != nil {
		log.Fatal(err)
	}
	if err := keys.Reload(); err != nil { // Run would find it within its Interval
		log.Fatal(err)
	}
	fmt.Println(len(keys.Keyring().Keys()), "keys")
	cancel()
	fmt.Println(<-done)
	// Output:
	// 1 key
	// 2 keys
	// context canceled
}

// Logging out everywhere: the session carries a generation number, and
// Validate compares it with the user's record, which logout-everywhere
// bumps.
func ExampleConfig_validate() {
	generation := map[int64]int{42: 1} // the application's own user records
	ring, _ := cookiesession.NewKeyring(time.Now())
	store, _ := cookiesession.NewStore(ring, cookiesession.Config[Login]{
		Validate: func(r *http.Request, s *cookiesession.Session[Login]) error {
			if l := s.Get(); l.Generation != generation[l.UserID] {
				return errors.New("logged out everywhere")
			}
			return nil
		},
	})
	r := httptest.NewRequest("POST", "https://example.com/login", nil)
	s, _ := store.Load(r)
	s.Set(Login{UserID: 42, Generation: generation[42]})
	w := httptest.NewRecorder()
	store.Save(w, r, s)

	_, err := store.Load(carry("GET", "https://example.com/", w))
	fmt.Println(err)
	generation[42]++ // "log out everywhere"
	s, err = store.Load(carry("GET", "https://example.com/", w))
	fmt.Println(errors.Is(err, cookiesession.ErrRejected), s.IsNew())
	fmt.Println(err)
	// Output:
	// <nil>
	// true true
	// cookiesession: session rejected by Validate: logged out everywhere
}

// Moving from gorilla/sessions: a request with a gorilla cookie gets a
// session converted from it, sealed in the new format on the same response,
// and the gorilla cookie expires.
func ExampleGorillaMigration() {
	hashKey, blockKey := make([]byte, 32), make([]byte, 32) // the CookieStore's keys
	old := sessions.NewCookieStore(hashKey, blockKey)
	r := httptest.NewRequest("GET", "https://example.com/", nil)
	gs, _ := old.Get(r, "app-session")
	gs.Values["user"] = "ada"
	before := httptest.NewRecorder()
	if err := gs.Save(r, before); err != nil {
		log.Fatal(err)
	}

	ring, _ := cookiesession.NewKeyring(time.Now())
	store, err := cookiesession.NewStore(ring, cookiesession.Config[Login]{
		Gorilla: &cookiesession.GorillaMigration[Login]{
			CookieName: "app-session",
			KeyPairs:   [][]byte{hashKey, blockKey},
			Sunset:     time.Now().Add(30 * 24 * time.Hour),
			Convert: func(v map[any]any) (Login, error) {
				name, _ := v["user"].(string)
				return Login{Name: name}, nil
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	r = carry("GET", "https://example.com/", before)
	s, err := store.Load(r)
	fmt.Println(s.Get().Name, err)
	w := httptest.NewRecorder()
	store.Save(w, r, s)
	// The new session is written, and the gorilla cookie expired, both
	// host-only and for the request's domain, wherever the browser keeps it.
	for _, c := range w.Result().Cookies() {
		fmt.Println(c.Name, c.MaxAge > 0, "domain="+c.Domain)
	}
	// Output:
	// ada <nil>
	// __Host-session true domain=
	// app-session false domain=
	// app-session false domain=example.com
}

// Changing a field's type between deploys. Deploy 1 kept the quantity as
// text; deploy 2 wants a number. Changing the field's type in place would
// log out every user whose session deploy 1 sealed (their sessions no
// longer decode); instead deploy 2 keeps the old field, adds the new one
// under a new name, and converts in Validate, so each session moves to the
// new shape on its next request.
func ExampleConfig_schemaEvolution() {
	type cartV1 struct {
		Item string
		Qty  string // deploy 1: text
	}
	type cartInPlace struct { // the change not to make
		Item string
		Qty  int
	}
	type cartV2 struct {
		Version  int // 0 in sessions that deploy 1 sealed
		Item     string
		Qty      string `cbor:",omitempty" json:",omitempty"` // deploy 1's field, read once to convert; drop it in a later deploy
		Quantity int
	}
	ring, _ := cookiesession.NewKeyring(time.Now())

	v1, _ := cookiesession.NewStore(ring, cookiesession.Config[cartV1]{})
	r := httptest.NewRequest("POST", "https://example.com/cart", nil)
	s, _ := v1.Load(r)
	s.Set(cartV1{Item: "tea", Qty: "3"})
	deploy1 := httptest.NewRecorder()
	v1.Save(deploy1, r, s)

	inPlace, _ := cookiesession.NewStore(ring, cookiesession.Config[cartInPlace]{})
	_, err := inPlace.Load(carry("GET", "https://example.com/", deploy1))
	fmt.Println("in place:", errors.Is(err, cookiesession.ErrMalformed))

	v2, _ := cookiesession.NewStore(ring, cookiesession.Config[cartV2]{
		Validate: func(r *http.Request, s *cookiesession.Session[cartV2]) error {
			if s.Get().Version >= 2 {
				return nil
			}
			n, err := strconv.Atoi(s.Get().Qty)
			if err != nil {
				return err // the session is discarded: the load error matches ErrRejected
			}
			s.Update(func(c *cartV2) { c.Version, c.Quantity, c.Qty = 2, n, "" })
			return nil
		},
	})
	r = carry("GET", "https://example.com/", deploy1)
	s2, err := v2.Load(r)
	fmt.Printf("converted: %+v %v\n", s2.Get(), err)
	w := httptest.NewRecorder()
	v2.Save(w, r, s2) // the converted session is sealed in the new shape
	s2, err = v2.Load(carry("GET", "https://example.com/", w))
	fmt.Printf("next request: %+v %v\n", s2.Get(), err)
	// Output:
	// in place: true
	// converted: {Version:2 Item:tea Qty: Quantity:3} <nil>
	// next request: {Version:2 Item:tea Qty: Quantity:3} <nil>
}
