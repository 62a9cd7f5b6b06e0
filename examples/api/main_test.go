package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

const spaOrigin = "http://spa.localhost:5173"

// pageClient makes the requests that page.html makes in a browser: with
// the browser's cookie jar, and the Sec-Fetch-Site header a browser adds.
type pageClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func (p *pageClient) call(method, path, site string, in any) (*http.Response, view) {
	p.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", site)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v view
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &v); err != nil {
			p.t.Fatalf("%s %s: %v in %q", method, path, err, data)
		}
	}
	if got := resp.Header.Get(cookiesession.TokenHeader); got != "" {
		p.t.Errorf("%s %s: the page got a token", method, path)
	}
	return resp, v
}

func (p *pageClient) me() view {
	p.t.Helper()
	_, v := p.call("GET", "/api/me", "same-origin", nil)
	return v
}

// TestAPI drives the page's requests and the command-line client against
// one server on loopback: both log in, use their sessions, move to a new
// key when the keyring rotates, and log out.
func TestAPI(t *testing.T) {
	dir := t.TempDir()
	keyringFile := filepath.Join(dir, "keyring.json")
	a, err := newApp(keyringFile, spaOrigin, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	defer srv.Close()

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	page := &pageClient{t: t, base: srv.URL, http: &http.Client{Jar: jar}}
	cli := &client{server: srv.URL, tokenFile: filepath.Join(dir, "token"), http: &http.Client{}}

	ring, err := cookiesession.LoadKeyring(keyringFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ring.Primary(time.Now())
	strip := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Session" }, cmp.Ignore())

	// The page logs in with a cookie, the client with a token.
	if resp, v := page.call("POST", "/login", "same-origin", map[string]string{"name": "ada"}); resp.StatusCode != http.StatusOK || v.Name != "ada" {
		t.Fatalf("the page's login: %s, %+v", resp.Status, v)
	}
	if err := cli.login("bob"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cli.tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, %v; want mode 0600", fi, err)
	}
	token, _ := cli.token()
	cliMe := func() view {
		t.Helper()
		v, err := cli.me()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if d := cmp.Diff(view{Name: "ada", Key: first.ID.String(), Transport: "cookie"}, page.me(), strip); d != "" {
		t.Errorf("the page after login (-want +got):\n%s", d)
	}
	if d := cmp.Diff(view{Name: "bob", Key: first.ID.String(), Transport: "token"}, cliMe(), strip); d != "" {
		t.Errorf("the client after login (-want +got):\n%s", d)
	}
	if v, err := cli.visit(); err != nil || v.Visits != 1 {
		t.Errorf("the client's visit: %+v, %v", v, err)
	}
	if now, _ := cli.token(); now == token {
		t.Errorf("a changed session brought no new token")
	}

	// Cross-site requests: a page elsewhere cannot post with the user's
	// cookie; a script allowed by CORS posts with its token.
	if resp, _ := page.call("POST", "/api/visit", "cross-site", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST with the cookie: %s, want 403", resp.Status)
	}
	if resp, _ := page.call("POST", "/api/visit", "same-site", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a POST from a sibling host with the cookie: %s, want 403", resp.Status)
	}
	if resp, _ := page.call("GET", "/api/me", "cross-site", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a cross-site GET: %s; reading is not refused, the browser keeps the answer from the other site", resp.Status)
	}
	if v := page.me(); v.Visits != 0 {
		t.Errorf("the refused POSTs counted %d visits", v.Visits)
	}
	checkCORS(t, srv.URL, cli)

	// A rotation: the new key seals at once. Both sessions come back
	// re-sealed by it on their next request, unchanged otherwise.
	ring, second, err := ring.Rotate(time.Now(), &cookiesession.RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Save(keyringFile); err != nil {
		t.Fatal(err)
	}
	if err := a.keys.Reload(); err != nil {
		t.Fatal(err)
	}
	before, _ := cli.token()
	if v := page.me(); v.Key != first.ID.String() {
		t.Errorf("the page's first request after the rotation carried key %s, want %s", v.Key, first.ID)
	}
	if d := cmp.Diff(view{Name: "ada", Key: second.ID.String(), Transport: "cookie"}, page.me(), strip); d != "" {
		t.Errorf("the page after the rotation (-want +got):\n%s", d)
	}
	if v := cliMe(); v.Key != first.ID.String() {
		t.Errorf("the client's first request after the rotation carried key %s, want %s", v.Key, first.ID)
	}
	if after, _ := cli.token(); after == before {
		t.Errorf("the client's token was not re-sealed")
	}
	if d := cmp.Diff(view{Name: "bob", Visits: 2, Key: second.ID.String(), Transport: "token"}, cliMe(), strip); d != "" {
		t.Errorf("the client after the rotation (-want +got):\n%s", d)
	}

	// Logout. The page's cookie is expired; the client drops its token,
	// which the server cannot revoke: a copy still opens.
	kept, _ := cli.token()
	if _, v := page.call("POST", "/logout", "same-origin", nil); v.Name != "" {
		t.Errorf("the page's logout answered %+v", v)
	}
	if d := cmp.Diff(view{}, page.me()); d != "" {
		t.Errorf("the page after logout (-want +got):\n%s", d)
	}
	if v, err := cli.logout(); err != nil || !strings.Contains(v.Note, "discard your token") {
		t.Errorf("the client's logout: %+v, %v", v, err)
	}
	if _, err := os.Stat(cli.tokenFile); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after logout: %v", err)
	}
	if d := cmp.Diff(view{}, cliMe()); d != "" {
		t.Errorf("the client after logout (-want +got):\n%s", d)
	}
	if err := cli.saveToken(kept); err != nil {
		t.Fatal(err)
	}
	if v := cliMe(); v.Name != "bob" {
		t.Errorf("a copy of the token kept past logout: %+v; it opens until it expires, as documented", v)
	}
}

// checkCORS checks what a single-page application on the allowed origin
// gets: an answer to its preflight allowing the Authorization header, and
// the Session-Token header exposed to its script.
func checkCORS(t *testing.T, server string, cli *client) {
	t.Helper()
	do := func(method, path, origin string, h map[string]string) *http.Response {
		req, _ := http.NewRequest(method, server+path, nil)
		req.Header.Set("Origin", origin)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	type cors struct{ Status, AllowOrigin, AllowHeaders, Expose string }
	got := func(resp *http.Response) cors {
		return cors{resp.Status, resp.Header.Get("Access-Control-Allow-Origin"),
			resp.Header.Get("Access-Control-Allow-Headers"), resp.Header.Get("Access-Control-Expose-Headers")}
	}
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
	if d := cmp.Diff(cors{"204 No Content", spaOrigin, "Authorization, Content-Type", "Session-Token"},
		got(do("OPTIONS", "/api/visit", spaOrigin, preflight))); d != "" {
		t.Errorf("the preflight of the allowed origin (-want +got):\n%s", d)
	}
	if d := cmp.Diff(cors{Status: "405 Method Not Allowed"}, got(do("OPTIONS", "/api/visit", "http://evil.localhost", preflight))); d != "" {
		t.Errorf("the preflight of another origin (-want +got):\n%s", d)
	}
	// The script logs in itself: a cross-site POST without a token, to
	// the one route that issues tokens and sets no cookie.
	login, _ := http.NewRequest("POST", server+"/token", strings.NewReader(`{"name":"spa"}`))
	login.Header.Set("Origin", spaOrigin)
	login.Header.Set("Sec-Fetch-Site", "cross-site")
	login.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(login)
	if err != nil {
		t.Fatal(err)
	}
	var issued struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&issued)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || issued.Token == "" || resp.Header.Get("Set-Cookie") != "" ||
		resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
		t.Errorf("the script's login: %s, token %q, Set-Cookie %q", resp.Status, issued.Token, resp.Header.Get("Set-Cookie"))
	}
	// Other state-changing routes stay behind the origin check.
	if got := do("POST", "/api/visit", spaOrigin, map[string]string{"Sec-Fetch-Site": "cross-site"}); got.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST without a token: %s, want 403", got.Status)
	}

	// The script's POST is cross-site, and carries its token: allowed,
	// and its new token is readable. The client takes that token over.
	token, _ := cli.token()
	resp = do("POST", "/api/visit", spaOrigin, map[string]string{"Authorization": "Bearer " + token, "Sec-Fetch-Site": "cross-site"})
	if c := got(resp); c.Status != "200 OK" || c.AllowOrigin != spaOrigin || c.Expose != "Session-Token" || resp.Header.Get("Session-Token") == "" {
		t.Errorf("the script's POST with its token: %+v, token %q", c, resp.Header.Get("Session-Token"))
	}
	if err := cli.saveToken(resp.Header.Get("Session-Token")); err != nil {
		t.Fatal(err)
	}
}

// TestClientCommand runs the client's command line against a server.
func TestClientCommand(t *testing.T) {
	dir := t.TempDir()
	a, err := newApp(filepath.Join(dir, "keyring.json"), "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	run := func(args ...string) (view, error) {
		var out bytes.Buffer
		err := runClient(append([]string{"-server", srv.URL, "-token-file", filepath.Join(dir, "token")}, args...), &out)
		var v view
		if err == nil {
			err = json.Unmarshal(out.Bytes(), &v)
		}
		return v, err
	}
	strip := cmp.FilterPath(func(p cmp.Path) bool { s := p.Last().String(); return s == ".Session" || s == ".Key" }, cmp.Ignore())
	for _, step := range []struct {
		args []string
		want view
	}{
		{[]string{"me"}, view{}},
		{[]string{"login", "ada"}, view{Name: "ada", Transport: "token"}},
		{[]string{"visit"}, view{Name: "ada", Visits: 1, Transport: "token"}},
		{[]string{"me"}, view{Name: "ada", Visits: 1, Transport: "token"}},
		{[]string{"logout"}, view{Transport: "token", Note: "logged out: discard your token; a copy of it stays valid until it expires"}},
		{[]string{"me"}, view{}},
	} {
		v, err := run(step.args...)
		if err != nil {
			t.Fatalf("%v: %v", step.args, err)
		}
		if d := cmp.Diff(step.want, v, strip); d != "" {
			t.Errorf("%v (-want +got):\n%s", step.args, d)
		}
	}
	if _, err := run("frobnicate"); err == nil {
		t.Errorf("an unknown command succeeded")
	}
	if _, err := run("login", strings.Repeat("x", 65)); err == nil || !strings.Contains(err.Error(), "400 Bad Request") {
		t.Errorf("a login with a name too long: %v, want the server's 400", err)
	}
}
