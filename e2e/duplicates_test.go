package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The browser may hold two sessions of one name: a host-only cookie and a
// Domain cookie (or one tossed from a sibling host). The tests below hold
// the store to this: among the candidates that authenticate, the one
// issued last wins; and a response that writes or destroys the session
// also expires every duplicate it saw, host-only and Domain forms, every
// chunk, so that after logout the next request is anonymous.

// duplicates is the browser holding ada's session, two chunks with the
// Domain, and eve's, sealed by the same keyring and configuration ten
// minutes earlier and planted host-only on the app's host.
type duplicates struct {
	b     *tab
	srv   *server
	ada   state
	eve   []*http.Cookie // as the store sealed them
	first string         // "eve" or "ada": whose first chunk the browser sends first
}

// plantDuplicates sets the browser up. With eveFirst, eve's cookies are
// older in the jar than ada's, and browsers send the older of two cookies
// of one name and path first.
func plantDuplicates(t *testing.T, engine string, eveFirst bool) *duplicates {
	t.Helper()
	d := &duplicates{b: newTab(t, engine), srv: newServer(t)}
	b, srv := d.b, d.srv
	login(b, srv, "ada")
	d.ada = grow(b, blobFor(2))
	adaJar := checkJar(b, chunkNames(cookieName, 2))

	issued := time.Now().Add(-10 * time.Minute)
	d.eve = srv.seal(t, issued, account{User: "eve", Blob: strings.Repeat("y", blobFor(2))})
	if len(d.eve) != 2 {
		t.Fatalf("eve's session was sealed into %d cookies, want 2", len(d.eve))
	}
	// Eve's session opens on its own: it is a candidate that
	// authenticates, not one the store refuses anyway.
	r := httptest.NewRequest("GET", srv.url(appHost, "/"), nil)
	for _, c := range d.eve {
		r.AddCookie(c)
	}
	if s, err := srv.store.Load(r); err != nil || s.Get().User != "eve" {
		t.Fatalf("eve's cookies alone load %+v, %v; want eve's session", s.Get(), err)
	}
	for _, c := range d.eve {
		b.setCookie(cookie{
			Name: c.Name, Value: c.Value, Domain: appHost, Path: "/",
			Secure: true, HTTPOnly: true, SameSite: "Lax",
			Expires: issued.Add(time.Duration(c.MaxAge) * time.Second),
		})
	}
	if eveFirst {
		// Setting a cookie again keeps its creation time; deleting it
		// first does not.
		for _, c := range adaJar {
			b.deleteCookie(c)
			b.setCookie(c)
		}
	}
	want := []string{
		cookieName + " ." + domain, cookieName + " " + appHost,
		cookieName + ".1 ." + domain, cookieName + ".1 " + appHost,
	}
	if diff := cmp.Diff(want, jarSummary(b)); diff != "" {
		t.Fatalf("%s: the jar (-want +got):\n%s", engine, diff)
	}

	// Which comes first in the Cookie header is the browser's choice: see
	// that it is the one this subtest is about.
	srv.takeExchanges()
	b.open(srv.url(appHost, "/"))
	header := pageRequest(t, srv.takeExchanges()).Cookie
	switch v := firstValue(header, cookieName); v {
	case d.eve[0].Value:
		d.first = "eve"
	case adaJar[0].Value:
		d.first = "ada"
	default:
		t.Fatalf("the Cookie header carries neither session first: %.80q", header)
	}
	if (d.first == "eve") != eveFirst {
		t.Fatalf("%s sends %s's cookie first, want the other", engine, d.first)
	}
	srv.errors() // eve's or ada's session, whichever did not win, may have been reported
	return d
}

// firstValue returns the value of the first cookie called name in a Cookie
// header.
func firstValue(header, name string) string {
	for part := range strings.SplitSeq(header, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == name {
			return v
		}
	}
	return ""
}

func TestDuplicateSessionCookies(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		for _, order := range []struct {
			name     string
			eveFirst bool
		}{{"older first", true}, {"older last", false}} {
			t.Run(order.name, func(t *testing.T) {
				t.Run("the last issued wins", func(t *testing.T) {
					d := plantDuplicates(t, engine, order.eveFirst)
					st := pageState(d.b) // the page plantDuplicates opened
					if st.User != "ada" || st.ID != d.ada.ID {
						if d.first == "eve" {
							t.Fatalf("%s, eve's cookie sent first: the app sees %+v, want ada's session",
								engine, st)
						}
						t.Errorf("%s, %s's cookie sent first: the app sees %+v, want ada's session", engine, d.first, st)
					}
					if api := apiState(d.b, d.srv); api.User != "ada" || api.ID != d.ada.ID {
						t.Errorf("%s: the API, which sees only ada's session, sees %+v", engine, api)
					}
				})
				t.Run("a write expires the duplicates", func(t *testing.T) {
					d := plantDuplicates(t, engine, order.eveFirst)
					d.b.submit("grow", "n", "10")
					// The write replaced ada's first chunk, which Chromium
					// then sends after eve's (TestCookieOrder): only
					// expiring eve's keeps ada's session.
					if st := pageState(d.b); st.User != "ada" || st.ID != d.ada.ID || st.Blob != 10 {
						t.Fatalf("%s: after a write the app sees %+v, want ada's session", engine, st)
					}
					want := []string{cookieName + " ." + domain}
					if got := settledJar(d.b, want); !cmp.Equal(want, got) {
						for _, ex := range d.srv.takeExchanges() {
							t.Logf("%s %s: Cookie %q, Set-Cookie %q", ex.Method, ex.Path, ex.Cookie, ex.SetCookie)
						}
						t.Fatalf("%s: after a write the jar holds %v, want %v", engine, got, want)
					}
				})
				t.Run("logout expires the duplicates", func(t *testing.T) {
					d := plantDuplicates(t, engine, order.eveFirst)
					d.b.submit("logout")
					if st := pageState(d.b); !st.New || st.User != "" {
						t.Fatalf("%s: after logout the app sees %+v, want no session", engine, st)
					}
					if got := settledJar(d.b, []string{}); len(got) != 0 {
						for _, ex := range d.srv.takeExchanges() {
							t.Logf("%s %s: Cookie %q, Set-Cookie %q", ex.Method, ex.Path, ex.Cookie, ex.SetCookie)
						}
						t.Fatalf("%s: after logout the jar holds %v", engine, got)
					}
				})
			})
		}
	})
}

// settledJar is jarSummary once it equals want, or as tab.settledCookies
// leaves it.
func settledJar(b *tab, want []string) []string {
	return summarize(b.settledCookies(func(cs []cookie) bool { return cmp.Equal(want, summarize(cs)) }))
}

// jarSummary names each cookie in the jar with its domain.
func jarSummary(b *tab) []string { return summarize(b.cookies()) }

// summarize names each of cs with its domain.
func summarize(cs []cookie) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name+" "+c.Domain)
	}
	return out
}
