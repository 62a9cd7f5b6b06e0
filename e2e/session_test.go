package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// pageState reads the state that the test server's page shows.
func pageState(b *tab) state {
	b.t.Helper()
	return decodeState(b.t, b.text("state"))
}

// apiState opens the API and reads the state it returns as JSON.
func apiState(b *tab, srv *server) state {
	b.t.Helper()
	b.open(srv.url(apiHost, "/"))
	return decodeState(b.t, b.body())
}

func decodeState(t *testing.T, s string) state {
	t.Helper()
	var st state
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		t.Fatalf("decoding the state %q: %v", s, err)
	}
	return st
}

// login opens the app and logs user in.
func login(b *tab, srv *server, user string) state {
	b.t.Helper()
	b.open(srv.url(appHost, "/"))
	b.submit("login", "user", user)
	st := pageState(b)
	if st.New || st.User != user {
		b.t.Fatalf("after logging in as %s: %+v", user, st)
	}
	return st
}

// grow sets the session's ballast to n bytes, on the app's page.
func grow(b *tab, n int) state {
	b.t.Helper()
	b.submit("grow", "n", strconv.Itoa(n))
	st := pageState(b)
	if st.New || st.Blob != n {
		b.t.Fatalf("after growing the session to %d bytes: %+v", n, st)
	}
	return st
}

// blobFor returns a ballast size whose session needs n cookies. The sealed
// value is about 4/3 of the data plus 150 bytes, and each cookie carries
// about 3780 bytes of it (3800 minus the name and the "="): aim at the
// middle of the n-th cookie, far from either edge.
func blobFor(n int) int {
	return ((2*n-1)*3780/2 - 150) * 3 / 4
}

// seal seals a as the server's store would at time now, and returns the
// cookies a response would set for it.
func (srv *server) seal(t *testing.T, now time.Time, a account) []*http.Cookie {
	t.Helper()
	cfg := srv.cfg
	cfg.Now = func() time.Time { return now }
	cfg.MaxSize = 48 << 10 // measure any size; the server's store decides what it refuses
	cfg.OnError = nil
	st, err := cookiesession.NewStore(srv.ring, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", srv.url(appHost, "/"), nil)
	s, _ := st.Load(r)
	s.Set(a)
	w := httptest.NewRecorder()
	if err := st.Save(w, r, s); err != nil {
		t.Fatal(err)
	}
	var cs []*http.Cookie
	for _, line := range w.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxAge >= 0 {
			cs = append(cs, c)
		}
	}
	return cs
}

// blobForValue returns the ballast size at which the server's store seals
// the session of user into exactly want bytes of cookie values, measured
// by sealing, not computed from the format.
func blobForValue(t *testing.T, srv *server, user string, want int) int {
	t.Helper()
	size := func(n int) int {
		total := 0
		for _, c := range srv.seal(t, time.Now(), account{User: user, Blob: strings.Repeat("x", n)}) {
			total += len(c.Value)
		}
		return total
	}
	lo, hi := 0, want // a ballast of want bytes seals into more than want
	for lo < hi {
		mid := (lo + hi) / 2
		if size(mid) < want {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if got := size(lo); got != want {
		t.Fatalf("no ballast seals into exactly %d bytes: %d bytes seal into %d", want, lo, got)
	}
	return lo
}

// ignoreFetchSite compares states whatever led to their requests.
var ignoreFetchSite = cmpopts.IgnoreFields(state{}, "FetchSite")

// noErrors fails the test if the store reported any error.
func noErrors(t *testing.T, srv *server) {
	t.Helper()
	for _, err := range srv.errors() {
		t.Errorf("the store reported: %v", err)
	}
}

// checkJar fails the test unless the browser holds exactly the cookies
// named want, each with the attributes the server's store is configured
// for and small enough for every browser.
func checkJar(b *tab, want []string) []cookie {
	b.t.Helper()
	t := b.t
	cs := b.settledCookies(func(cs []cookie) bool { return slices.Equal(want, cookieNames(cs)) })
	if d := cmp.Diff(want, cookieNames(cs)); d != "" {
		t.Errorf("%s: cookie names in the browser (-want +got):\n%s", b.engine, d)
	}
	type attributes struct {
		Domain, Path     string
		Secure, HTTPOnly bool
		SameSite         string
		EmptyValue       bool
	}
	wantAttrs := attributes{Domain: "." + domain, Path: "/", Secure: true, HTTPOnly: true, SameSite: "Lax"}
	for _, c := range cs {
		got := attributes{c.Domain, c.Path, c.Secure, c.HTTPOnly, c.SameSite, c.Value == ""}
		if d := cmp.Diff(wantAttrs, got); d != "" {
			t.Errorf("%s: cookie %s attributes (-want +got):\n%s", b.engine, c.Name, d)
		}
		if size := len(c.Name) + len(c.Value); size > cookiesession.BrowserCookieLimit {
			t.Errorf("%s: cookie %s: %d bytes of name and value, more than browsers keep (%d)",
				b.engine, c.Name, size, cookiesession.BrowserCookieLimit)
		}
		// Max-Age runs to the end of the lifetime, which began at login,
		// moments ago.
		if c.Expires.IsZero() {
			t.Errorf("%s: cookie %s is a session cookie, want one that lasts %v", b.engine, c.Name, lifetime)
			continue
		}
		left := time.Until(c.Expires)
		if left > lifetime+2*time.Second || left < lifetime-time.Minute {
			t.Errorf("%s: cookie %s expires in %v, want about %v", b.engine, c.Name, left.Round(time.Second), lifetime)
		}
	}
	return cs
}

// sessionSetCookies returns the Set-Cookie headers for the cookies of the
// session called name in the responses to method path.
func sessionSetCookies(exs []exchange, name, method, path string) (lines []string, seen bool) {
	for _, ex := range exs {
		if ex.Method != method || ex.Path != path {
			continue
		}
		seen = true
		for _, l := range ex.SetCookie {
			if strings.HasPrefix(l, name) {
				lines = append(lines, l)
			}
		}
	}
	return lines, seen
}

func TestSessionSharedBySubdomains(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)

		b.open(srv.url(appHost, "/"))
		if st := pageState(b); !st.New || st.LoadError != "" {
			t.Fatalf("first visit: %+v, want a new session", st)
		}
		app := login(b, srv, "ada")
		checkJar(b, []string{cookieName})

		api := apiState(b, srv)
		want := state{Host: api.Host, ID: app.ID, User: "ada", FetchSite: api.FetchSite}
		if d := cmp.Diff(want, api); d != "" {
			t.Errorf("the API's view of the app's session (-want +got):\n%s", d)
		}
		if api.Host != apiHost+":"+srv.port {
			t.Errorf("the API was served for host %q", api.Host)
		}

		// A host outside the domain gets no session.
		b.open(srv.url("other.localhost", "/"))
		if st := pageState(b); !st.New || st.LoadError != "" {
			t.Errorf("other.localhost: %+v, want no session", st)
		}
		noErrors(t, srv)
	})
}

func TestChunksGrowAndShrink(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)

		id := login(b, srv, "ada").ID
		// Up one cookie at a time, a jump of two, then down by one and by
		// three: each response must expire exactly the chunks the new
		// value no longer uses.
		for _, n := range []int{1, 2, 3, 5, 4, 1} {
			st := grow(b, blobFor(n))
			if st.ID != id {
				t.Errorf("%d cookies: session id %s, want %s", n, st.ID, id)
			}
			checkJar(b, chunkNames(cookieName, n))
			if api := apiState(b, srv); api.ID != id || api.Blob != st.Blob {
				t.Errorf("%d cookies: the API sees %+v", n, api)
			}
			b.open(srv.url(appHost, "/"))
		}
		noErrors(t, srv)
	})
}

// TestChunksAtTheCookieLimit fills two chunks to exactly the 4096 bytes of
// name plus value that both engines keep, then adds one byte: the store's
// own size check refuses it, so no cookie is ever sent for the browser to
// drop.
func TestChunksAtTheCookieLimit(t *testing.T) {
	const limit = cookiesession.BrowserCookieLimit
	// Unpadded base64 has no length of the form 4k+1, and with the
	// store's prefix, two full cookies hold a value that it can reach
	// only under a name of odd length (blobForValue checks).
	const name = "__Secure-full"
	full := func(c *cookiesession.Config[account]) {
		c.Name = name
		c.ChunkSize = limit
		// Two full cookies, each with its "=", and the "; " between them.
		c.MaxSize = 2*limit + 2 + 2
	}
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t, full)
		n := blobForValue(t, srv, "ada", 2*limit-len(name)-len(name+".1"))

		login(b, srv, "ada")
		grow(b, n)
		jar := checkJar(b, chunkNames(name, 2))
		for _, c := range jar {
			if size := len(c.Name) + len(c.Value); size != limit {
				t.Errorf("cookie %s: %d bytes of name and value, want exactly %d", c.Name, size, limit)
			}
		}
		if api := apiState(b, srv); api.User != "ada" || api.Blob != n {
			t.Errorf("with both chunks full the API sees %+v", api)
		}
		noErrors(t, srv)

		b.open(srv.url(appHost, "/"))
		srv.takeExchanges()
		b.submit("grow", "n", strconv.Itoa(n+1))
		if st := pageState(b); st.Blob != n {
			t.Errorf("after growing one byte past the limit the page shows %+v, want the %d bytes before", st, n)
		}
		errs := srv.errors()
		var tooLarge *cookiesession.TooLargeError
		if len(errs) != 1 || !errors.As(errs[0], &tooLarge) || tooLarge.Limit != 2*limit+4 {
			t.Errorf("the store reported %v, want one *TooLargeError with limit %d", errs, 2*limit+4)
		}
		lines, seen := sessionSetCookies(srv.takeExchanges(), name, "POST", "/grow")
		if !seen || len(lines) != 0 {
			t.Errorf("the refused save answered (seen %v) with Set-Cookie %q, want none", seen, lines)
		}
		if d := cmp.Diff(jar, b.cookies()); d != "" {
			t.Errorf("the jar after the refused save (-before +after):\n%s", d)
		}
		noErrors(t, srv)
	})
}

// TestTooLargeSaveLeavesTheJar grows a session of three cookies past
// MaxSize: the save is refused, and the browser keeps its cookies as
// they were.
func TestTooLargeSaveLeavesTheJar(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)
		login(b, srv, "ada")
		before := grow(b, blobFor(3))
		jar := checkJar(b, chunkNames(cookieName, 3))

		srv.takeExchanges()
		b.submit("grow", "n", strconv.Itoa(blobFor(8)))
		if d := cmp.Diff(before, pageState(b), ignoreFetchSite); d != "" {
			t.Errorf("after the refused save the page shows (-want +got):\n%s", d)
		}
		errs := srv.errors()
		var tooLarge *cookiesession.TooLargeError
		if len(errs) != 1 || !errors.As(errs[0], &tooLarge) {
			t.Errorf("the store reported %v, want one *TooLargeError", errs)
		}
		if lines, seen := sessionSetCookies(srv.takeExchanges(), cookieName, "POST", "/grow"); !seen || len(lines) != 0 {
			t.Errorf("the refused save answered (seen %v) with Set-Cookie %q, want none", seen, lines)
		}
		if d := cmp.Diff(jar, b.cookies()); d != "" {
			t.Errorf("the jar after the refused save (-before +after):\n%s", d)
		}
		if api := apiState(b, srv); api.ID != before.ID || api.Blob != before.Blob {
			t.Errorf("after the refused save the API sees %+v", api)
		}
		noErrors(t, srv)
	})
}

func TestLogoutLeavesNoChunk(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)

		login(b, srv, "ada")
		grow(b, blobFor(3))
		checkJar(b, chunkNames(cookieName, 3))

		b.submit("logout")
		if st := pageState(b); !st.New || st.User != "" || st.LoadError != "" {
			t.Errorf("after logout: %+v, want no session", st)
		}
		checkJar(b, []string{})
		if api := apiState(b, srv); !api.New {
			t.Errorf("after logout the API sees %+v", api)
		}
		noErrors(t, srv)
	})
}

// TestDamagedCookieGivesFreshSession changes each chunk of a session in
// the browser's jar, a flipped character or a cut-off end: the next
// request gets a fresh session, and its response expires every chunk.
func TestDamagedCookieGivesFreshSession(t *testing.T) {
	damages := []struct {
		name string
		do   func(string) string
		want []error // the error is one of these
	}{
		{"tampered", flip, []error{cookiesession.ErrTampered}},
		// Four characters of base64 are three whole bytes, so the joined
		// value keeps a length that decodes: cut from the first chunk, its
		// tag no longer matches; cut from the last, its new final
		// character has stray low bits, which strict base64 refuses.
		{"truncated", func(v string) string { return v[:len(v)-4] },
			[]error{cookiesession.ErrTampered, cookiesession.ErrMalformed}},
	}
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)
		login(b, srv, "ada")
		before := grow(b, blobFor(2))
		names := chunkNames(cookieName, 2)
		for _, dmg := range damages {
			for i, name := range names {
				t.Run(dmg.name+"/"+name, func(t *testing.T) {
					b := b.in(t)
					originals := checkJar(b, names)
					c := originals[i]
					c.Value = dmg.do(c.Value)
					b.setCookie(c)
					if got := b.cookies()[i].Value; got != c.Value {
						t.Fatalf("the browser holds %s of %d bytes, want the %s value of %d", name, len(got), dmg.name, len(c.Value))
					}

					b.open(srv.url(appHost, "/")) // fails unless the status is 200
					st := pageState(b)
					if !st.New || st.User != "" || st.Blob != 0 {
						t.Errorf("with %s %s: %+v, want a fresh session", name, dmg.name, st)
					}
					errs := srv.errors()
					if len(errs) != 1 || !slices.ContainsFunc(dmg.want, func(e error) bool { return errors.Is(errs[0], e) }) {
						t.Errorf("the store reported %v, want one error matching %v", errs, dmg.want)
					}

					// A damaged session can never open anywhere: the
					// response expired every chunk of it. Put the original
					// cookies back and the session is back.
					checkJar(b, []string{})
					for _, o := range originals {
						b.setCookie(o)
					}
					b.open(srv.url(appHost, "/"))
					if d := cmp.Diff(before, pageState(b), ignoreFetchSite); d != "" {
						t.Errorf("with the original value restored (-want +got):\n%s", d)
					}
					noErrors(t, srv)
				})
			}
		}
	})
}

// flip returns v with the character in its middle replaced by another
// character of the base64url alphabet.
func flip(v string) string {
	i := len(v) / 2
	repl := "A"
	if v[i] == 'A' {
		repl = "B"
	}
	return v[:i] + repl + v[i+1:]
}
