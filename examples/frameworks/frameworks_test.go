package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

// client is a browser stand-in: a cookie jar, and redirects not followed,
// so that each response's cookies can be inspected.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	http *http.Client
}

func newClient(t *testing.T, h http.Handler) *client {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := srv.Client()
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: t, srv: srv, http: hc}
}

func (c *client) do(method, path string, wantStatus int) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s: %s, want %d: %s", method, path, resp.Status, wantStatus, body)
	}
	return resp, string(body)
}

func (c *client) view() view {
	c.t.Helper()
	_, body := c.do("GET", "/", http.StatusOK)
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		c.t.Fatalf("GET /: %v: %q", err, body)
	}
	return v
}

// sessionCookie returns the response's Set-Cookie line for the session's
// first chunk, or "".
func sessionCookie(resp *http.Response, name string) string {
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

// The same walk through the application under each framework: nothing is
// lost, flashes show once, remember-me decides the cookie's Max-Age, and a
// session too large is refused before the response.
func TestFrameworks(t *testing.T) {
	for _, framework := range []string{"chi", "echo", "gin"} {
		t.Run(framework, func(t *testing.T) {
			ring, err := cookiesession.NewKeyring(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			store, err := newStore(ring, nil)
			if err != nil {
				t.Fatal(err)
			}
			h, err := app(framework, store)
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, h)
			name := store.Name()

			if resp, _ := c.do("GET", "/", http.StatusOK); sessionCookie(resp, name) != "" {
				t.Error("an unchanged session set a cookie")
			}

			// Log in without "remember me": a browser-session cookie.
			resp, _ := c.do("POST", "/login?name=ada", http.StatusSeeOther)
			if line := sessionCookie(resp, name); line == "" || strings.Contains(line, "Max-Age") {
				t.Errorf("login without remember: Set-Cookie %q, want a cookie without Max-Age", line)
			}
			want := view{Name: "ada", Flashes: []cookiesession.Flash{{Kind: "info", Text: "Welcome, ada."}}}
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("after login (-want +got):\n%s", d)
			}
			// Shown once: reading the flashes removed them for good.
			want.Flashes = nil
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("flashes came back (-want +got):\n%s", d)
			}

			// Handlers that change the session and write nothing.
			c.do("POST", "/visit", http.StatusOK)
			c.do("POST", "/visit", http.StatusOK)
			want.Visits = 2
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("after two visits (-want +got):\n%s", d)
			}

			// Too large: the handler learns it from Save and answers 413;
			// the browser keeps the cookies it had.
			resp, body := c.do("POST", "/grow?kb=16", http.StatusRequestEntityTooLarge)
			if !strings.Contains(body, "too large") || sessionCookie(resp, name) != "" {
				t.Errorf("grow: %q, Set-Cookie %q", body, sessionCookie(resp, name))
			}
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("after the refused grow (-want +got):\n%s", d)
			}
			c.do("POST", "/grow?kb=1", http.StatusNoContent)
			want.NotesBytes = 1024
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("after grow (-want +got):\n%s", d)
			}

			// "Remember me": a persistent cookie, also on later saves.
			resp, _ = c.do("POST", "/login?name=bob&remember=on", http.StatusSeeOther)
			if line := sessionCookie(resp, name); !strings.Contains(line, "Max-Age=") {
				t.Errorf("login with remember: Set-Cookie %q, want a Max-Age", line)
			}
			c.view() // shows the welcome
			resp, _ = c.do("POST", "/visit", http.StatusOK)
			if line := sessionCookie(resp, name); !strings.Contains(line, "Max-Age=") {
				t.Errorf("a later save: Set-Cookie %q, want a Max-Age", line)
			}

			c.do("POST", "/logout", http.StatusSeeOther)
			want = view{Flashes: []cookiesession.Flash{{Kind: "info", Text: "Logged out."}}}
			if d := cmp.Diff(want, c.view()); d != "" {
				t.Errorf("after logout (-want +got):\n%s", d)
			}
		})
	}
}

func TestUnknownFramework(t *testing.T) {
	if _, err := app("martini", nil); err == nil || !strings.Contains(err.Error(), "chi, echo or gin") {
		t.Fatalf("app(martini) = %v", err)
	}
}
