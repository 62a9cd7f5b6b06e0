package e2e

import (
	"strconv"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

// The tests here show what the engines do with cookies, whatever the
// store does: the facts its defaults rely on, and where the engines
// differ.

// TestBrowserCookieLimit shows the limit that ChunkSize stays under: each
// engine keeps a cookie of BrowserCookieLimit bytes of name and value, and
// silently drops one a byte longer (the page still loads).
func TestBrowserCookieLimit(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)
		for _, c := range []struct {
			size int
			kept bool
		}{{cookiesession.BrowserCookieLimit, true}, {cookiesession.BrowserCookieLimit + 1, false}} {
			b.open(srv.url(appHost, "/probe/"+strconv.Itoa(c.size)))
			var sizes []int
			for _, k := range b.cookies() {
				if k.Name == probeName {
					sizes = append(sizes, len(k.Name)+len(k.Value))
					b.deleteCookie(k)
				}
			}
			want := []int(nil)
			if c.kept {
				want = []int{c.size}
			}
			if d := cmp.Diff(want, sizes); d != "" {
				t.Errorf("%s: a cookie of %d bytes of name and value, the sizes kept (-want +got):\n%s", b.engine, c.size, d)
			}
		}
	})
}

// replacedSentFirst records, per engine, whether a Domain cookie that a
// response replaced with a new value is still sent before a host-only
// cookie of the same name set after the original. Chromium gives the
// replacement a creation time of its own, so it moves behind; Firefox
// keeps the creation time of the cookie it replaced.
var replacedSentFirst = map[string]bool{"chromium": false, "firefox": true}

// TestCookieOrder shows in what order each engine sends two cookies of one
// name and path, a Domain one and a host-only one: the older first, and
// what "older" means once a response replaced one of them.
func TestCookieOrder(t *testing.T) {
	eachBrowser(t, func(t *testing.T, b *tab) {
		srv := newServer(t)
		// sent returns the value of the first cookie called orderName
		// that the next request for the app's page carries.
		sent := func() string {
			t.Helper()
			srv.takeExchanges()
			b.open(srv.url(appHost, "/"))
			return firstValue(pageRequest(t, srv.takeExchanges()).Cookie, orderName)
		}
		b.open(srv.url(appHost, "/order/domain/d1"))
		b.open(srv.url(appHost, "/order/host/h1"))
		if got := sent(); got != "d1" {
			t.Errorf("%s: the older Domain cookie and a newer host-only one: %s sent first, want d1", b.engine, got)
		}

		b.open(srv.url(appHost, "/order/domain/d2"))
		want := "h1"
		if replacedSentFirst[b.engine] {
			want = "d2"
		}
		if got := sent(); got != want {
			t.Errorf("%s: after the Domain cookie's value was replaced: %s sent first, want %s", b.engine, got, want)
		}

		// With the order reversed: the host-only cookie older.
		for _, c := range b.cookies() {
			b.deleteCookie(c)
		}
		b.open(srv.url(appHost, "/order/host/h1"))
		b.open(srv.url(appHost, "/order/domain/d1"))
		if got := sent(); got != "h1" {
			t.Errorf("%s: the older host-only cookie and a newer Domain one: %s sent first, want h1", b.engine, got)
		}
	})
}
