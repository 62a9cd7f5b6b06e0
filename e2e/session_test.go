package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

// pageState reads the state that the test server's page shows.
func pageState(t *testing.T, ctx context.Context) state {
	t.Helper()
	return decodeState(t, text(t, ctx, "state"))
}

// apiState opens the API and reads the state it returns as JSON.
func apiState(t *testing.T, ctx context.Context, srv *server) state {
	t.Helper()
	open(t, ctx, srv.url(apiHost, "/"))
	var body string
	run(t, ctx, chromedp.Text("pre", &body, chromedp.ByQuery)) // how Chromium shows a JSON document
	return decodeState(t, body)
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
func login(t *testing.T, ctx context.Context, srv *server, user string) state {
	t.Helper()
	open(t, ctx, srv.url(appHost, "/"))
	submit(t, ctx, "login", "user", user)
	st := pageState(t, ctx)
	if st.New || st.User != user {
		t.Fatalf("after logging in as %s: %+v", user, st)
	}
	return st
}

// grow sets the session's ballast to n bytes, on the app's page.
func grow(t *testing.T, ctx context.Context, n int) state {
	t.Helper()
	submit(t, ctx, "grow", "n", strconv.Itoa(n))
	st := pageState(t, ctx)
	if st.New || st.Blob != n {
		t.Fatalf("after growing the session to %d bytes: %+v", n, st)
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
func checkJar(t *testing.T, ctx context.Context, want []string) []*network.Cookie {
	t.Helper()
	cs := cookies(t, ctx)
	if d := cmp.Diff(want, cookieNames(cs)); d != "" {
		t.Errorf("cookie names in the browser (-want +got):\n%s", d)
	}
	type attributes struct {
		Domain, Path            string
		Secure, HTTPOnly        bool
		SameSite                network.CookieSameSite
		SessionOnly, EmptyValue bool
	}
	wantAttrs := attributes{
		Domain: "." + domain, Path: "/", Secure: true, HTTPOnly: true, SameSite: network.CookieSameSiteLax,
	}
	for _, c := range cs {
		got := attributes{c.Domain, c.Path, c.Secure, c.HTTPOnly, c.SameSite, c.Session, c.Value == ""}
		if d := cmp.Diff(wantAttrs, got); d != "" {
			t.Errorf("cookie %s attributes (-want +got):\n%s", c.Name, d)
		}
		if size := len(c.Name) + len(c.Value); size > cookiesession.DefaultChunkSize || size > cookiesession.BrowserCookieLimit {
			t.Errorf("cookie %s: %d bytes of name and value, more than the chunk size %d (browsers keep at most %d)",
				c.Name, size, cookiesession.DefaultChunkSize, cookiesession.BrowserCookieLimit)
		}
		// Max-Age runs to the end of the lifetime, which began at login,
		// moments ago.
		left := time.Until(time.Unix(0, int64(c.Expires*float64(time.Second))))
		if left > lifetime+2*time.Second || left < lifetime-time.Minute {
			t.Errorf("cookie %s expires in %v, want about %v", c.Name, left.Round(time.Second), lifetime)
		}
	}
	return cs
}

func TestSessionSharedBySubdomains(t *testing.T) {
	ctx := newBrowser(t)
	srv := newServer(t)

	open(t, ctx, srv.url(appHost, "/"))
	if st := pageState(t, ctx); !st.New || st.LoadError != "" {
		t.Fatalf("first visit: %+v, want a new session", st)
	}
	app := login(t, ctx, srv, "ada")
	checkJar(t, ctx, []string{cookieName})

	api := apiState(t, ctx, srv)
	want := state{Host: api.Host, ID: app.ID, User: "ada"}
	if d := cmp.Diff(want, api); d != "" {
		t.Errorf("the API's view of the app's session (-want +got):\n%s", d)
	}
	if api.Host != apiHost+":"+srv.port {
		t.Errorf("the API was served for host %q", api.Host)
	}

	// A host outside the domain gets no session.
	open(t, ctx, srv.url("other.localhost", "/"))
	if st := pageState(t, ctx); !st.New || st.LoadError != "" {
		t.Errorf("other.localhost: %+v, want no session", st)
	}
	noErrors(t, srv)
}

func TestChunksGrowAndShrink(t *testing.T) {
	ctx := newBrowser(t)
	srv := newServer(t)

	id := login(t, ctx, srv, "ada").ID
	// Up one cookie at a time, a jump of two, then down by one and by three:
	// each response must expire exactly the chunks the new value no longer
	// uses.
	for _, n := range []int{1, 2, 3, 5, 4, 1} {
		st := grow(t, ctx, blobFor(n))
		if st.ID != id {
			t.Errorf("%d cookies: session id %s, want %s", n, st.ID, id)
		}
		checkJar(t, ctx, chunkNames(cookieName, n))
		if api := apiState(t, ctx, srv); api.ID != id || api.Blob != st.Blob {
			t.Errorf("%d cookies: the API sees %+v", n, api)
		}
		open(t, ctx, srv.url(appHost, "/"))
	}
	noErrors(t, srv)
}

func TestLogoutLeavesNoChunk(t *testing.T) {
	ctx := newBrowser(t)
	srv := newServer(t)

	login(t, ctx, srv, "ada")
	grow(t, ctx, blobFor(3))
	checkJar(t, ctx, chunkNames(cookieName, 3))

	submit(t, ctx, "logout")
	if st := pageState(t, ctx); !st.New || st.User != "" || st.LoadError != "" {
		t.Errorf("after logout: %+v, want no session", st)
	}
	checkJar(t, ctx, []string{})
	if api := apiState(t, ctx, srv); !api.New {
		t.Errorf("after logout the API sees %+v", api)
	}
	noErrors(t, srv)
}

func TestTamperedCookieGivesFreshSession(t *testing.T) {
	ctx := newBrowser(t)
	srv := newServer(t)

	login(t, ctx, srv, "ada")
	before := grow(t, ctx, blobFor(2))
	names := chunkNames(cookieName, 2)
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			originals := checkJar(t, ctx, names)
			c := originals[i]
			setCookie(t, ctx, c, flip(c.Value))
			if got := checkJar(t, ctx, names)[i].Value; got != flip(c.Value) {
				t.Fatalf("the browser holds %s=…%s…, want the tampered value", name, got[len(got)/2-4:len(got)/2+4])
			}

			open(t, ctx, srv.url(appHost, "/")) // fails unless the status is 200
			st := pageState(t, ctx)
			if !st.New || st.User != "" || st.Blob != 0 {
				t.Errorf("with %s tampered: %+v, want a fresh session", name, st)
			}
			errs := srv.errors()
			if len(errs) != 1 || !errors.Is(errs[0], cookiesession.ErrTampered) {
				t.Errorf("the store reported %v, want one error matching ErrTampered", errs)
			}

			// A tampered session can never open anywhere: the response
			// expired every chunk of it. Put the original cookies back and
			// the session is back.
			checkJar(t, ctx, []string{})
			for _, o := range originals {
				setCookie(t, ctx, o, o.Value)
			}
			open(t, ctx, srv.url(appHost, "/"))
			if d := cmp.Diff(before, pageState(t, ctx)); d != "" {
				t.Errorf("with the original value restored (-want +got):\n%s", d)
			}
			noErrors(t, srv)
		})
	}
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

// setCookie replaces the value of the browser's cookie c, through the
// DevTools protocol, keeping its attributes.
func setCookie(t *testing.T, ctx context.Context, c *network.Cookie, value string) {
	t.Helper()
	expires := cdp.TimeSinceEpoch(time.Unix(0, int64(c.Expires*float64(time.Second))))
	run(t, ctx, network.SetCookie(c.Name, value).
		WithDomain(c.Domain). // with its leading dot: a Domain cookie, not a host-only one
		WithPath(c.Path).
		WithSecure(c.Secure).
		WithHTTPOnly(c.HTTPOnly).
		WithSameSite(c.SameSite).
		WithExpires(&expires))
}
