package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSameSiteLax follows the session's SameSite=Lax cookie from pages on
// other hosts to the app. From another site (evil.localhost, whose site is
// not example.localhost's), a top-level GET navigation carries the cookie
// and a form's POST does not. From a sibling host under the shared Domain
// (api.example.localhost), both carry it: siblings are the same site, so
// SameSite does not separate them. Sec-Fetch-Site tells all three apart,
// which is what a cross-origin check such as net/http's
// CrossOriginProtection relies on.
func TestSameSiteLax(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)
		id := login(b, srv, "ada").ID
		ada := state{Host: appHost + ":" + srv.port, ID: id, User: "ada"}
		anonymous := state{Host: appHost + ":" + srv.port, New: true}

		for _, c := range []struct {
			name      string
			from      string // the host of the page that links and posts
			fetchSite string
			get, post state // what the app sees
		}{
			{"cross-site", otherSiteHost, "cross-site", ada, anonymous},
			{"same-site", apiHost, "same-site", ada, ada},
		} {
			t.Run(c.name, func(t *testing.T) {
				b := b.in(t)
				from := srv.url(c.from, "/elsewhere")

				b.open(from)
				if status := b.click("link"); status != 200 {
					t.Fatalf("%s: following the link from %s: status %d", b.engine, c.from, status)
				}
				got := pageState(b)
				want := c.get
				want.FetchSite = c.fetchSite
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s: a top-level GET from %s (-want +got):\n%s", b.engine, c.from, d)
				}

				b.open(from)
				b.submit("post", "note", "hello")
				got = pageState(b)
				want = c.post
				want.FetchSite = c.fetchSite
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s: a form POST from %s (-want +got):\n%s", b.engine, c.from, d)
				}

				// A request without the cookie leaves it alone.
				checkJar(b, []string{cookieName})
				b.open(srv.url(appHost, "/"))
				if st := pageState(b); st.ID != id || st.User != "ada" {
					t.Errorf("%s: back on the app: %+v, want ada's session", b.engine, st)
				}
				noErrors(t, srv)
			})
		}
	})
}
