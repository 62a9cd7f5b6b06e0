package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestClusterCommand runs the example as "go run ./examples/cluster"
// does, backends and proxy in one process, and walks through its API:
// sessions hop over the three backends, errors are JSON, a session too
// large is refused and left as it was, a restart keeps the sessions, and
// logout ends them.
func TestClusterCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a program")
	}
	dir := t.TempDir()
	bin, _ := buildPrograms(t, dir)
	start := func() (*program, string) {
		t.Helper()
		p, err := startProgram(t, "cluster", bin, dir, "-listen", "127.0.0.1:0", "-reload", "100ms")
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.waitLine(regexp.MustCompile(`^proxy on (http://127\.0\.0\.1:\d+/) \(round robin over 3 backends\)$`), waitTimeout)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			if _, err := p.waitLine(regexp.MustCompile(fmt.Sprintf(`^backend b%d on http://127\.0\.0\.1:\d+/$`, i)), waitTimeout); err != nil {
				t.Fatal(err)
			}
		}
		return p, strings.TrimSuffix(m[1], "/")
	}

	p, proxyURL := start()
	if !strings.Contains(p.output(), "Created the keyring") {
		t.Errorf("first start printed:\n%s\nwant it to say it created the keyring", p.output())
	}
	keysPath := filepath.Join(dir, "cluster-keyring.json")
	if fi, err := os.Stat(keysPath); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file: %v, %v; want mode 0600", fi, err)
	}
	ring, err := cookiesession.LoadKeyring(keysPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyID := ring.Keys()[0].ID.String()

	jar, _ := cookiejar.New(nil)
	c := &client{name: "c", user: "ada", base: proxyURL, hc: &http.Client{Jar: jar, Timeout: waitTimeout}, values: map[string]string{}}
	t.Cleanup(c.hc.CloseIdleConnections)
	if err := c.setUp(true); err != nil {
		t.Fatal(err)
	}
	// Round robin hands three requests in a row to the three backends.
	seen := map[string]bool{}
	for range 3 {
		ev, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		seen[ev.backend] = true
		if ev.replyKey != keyID {
			t.Errorf("%s answered by %s: key_id %q, want %s", ev.op, ev.backend, ev.replyKey, keyID)
		}
	}
	if len(seen) != 3 {
		t.Errorf("three reads in a row were served by %v, want three backends", seen)
	}

	// Errors are JSON with a status. A session past MaxSize is refused,
	// with the numbers, and the browser's cookies are left as they were.
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"POST", "/grow?bytes=9000", http.StatusRequestEntityTooLarge, ""},
		{"POST", "/grow?bytes=100000", http.StatusBadRequest, ""},
		{"POST", "/grow?bytes=x", http.StatusBadRequest, ""},
		{"POST", "/login", http.StatusBadRequest, ""},
		{"POST", "/session?value=v", http.StatusBadRequest, ""},
		{"PUT", "/session", http.StatusMethodNotAllowed, "GET, POST"},
		{"GET", "/login", http.StatusMethodNotAllowed, "POST"},
		{"GET", "/nope", http.StatusNotFound, ""},
	} {
		req, _ := http.NewRequest(tc.method, proxyURL+tc.path, nil)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error string `json:"error"`
			Size  int    `json:"size"`
			Limit int    `json:"limit"`
		}
		jerr := json.Unmarshal(body, &e)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" || jerr != nil || e.Error == "" ||
			resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %s, Content-Type %q, Allow %q, body %s; want %d with a JSON error, Allow %q",
				tc.method, tc.path, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), body, tc.status, tc.allow)
		}
		if tc.status == http.StatusRequestEntityTooLarge && (e.Limit != cookiesession.DefaultMaxSize || e.Size <= e.Limit) {
			t.Errorf("%s %s: size %d, limit %d; want the size over the limit %d", tc.method, tc.path, e.Size, e.Limit, cookiesession.DefaultMaxSize)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s %s set cookies %q", tc.method, tc.path, sc)
		}
	}
	if _, err := c.read(); err != nil {
		t.Fatalf("after the errors: %v", err)
	}

	// The keyring each backend loaded, and its key usage.
	var kr keysReply
	getJSON(t, c.hc, proxyURL+"/keys", &kr)
	if kr.Primary != keyID || kr.status(keyID) != "primary" {
		t.Errorf("/keys: %+v, want %s as the primary", kr, keyID)
	}
	var usage struct {
		Keys []struct {
			ID     string `json:"id"`
			Opened uint64 `json:"opened"`
		} `json:"keys"`
	}
	getJSON(t, c.hc, proxyURL+"/keys/usage", &usage)
	if len(usage.Keys) != 1 || usage.Keys[0].ID != keyID || usage.Keys[0].Opened == 0 {
		t.Errorf("/keys/usage: %+v, want sessions opened under %s", usage, keyID)
	}

	// A restart loads the keyring file, so the session survives it. The
	// proxy has another port, which cookies ignore.
	p.stop(t)
	p, c.base = start()
	if !strings.Contains(p.output(), "Loaded the keyring") {
		t.Errorf("second start printed:\n%s\nwant it to say it loaded the keyring", p.output())
	}
	if _, err := c.read(); err != nil {
		t.Fatalf("after a restart: %v", err)
	}

	// Logout expires every cookie of the session.
	r, _, err := c.request("POST", "/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.base)
	if !r.Session.New || r.Session.User != "" || r.KeyID != "" || len(jar.Cookies(u)) != 0 {
		t.Errorf("logout answered %+v and left the cookies %v", r, jar.Cookies(u))
	}
	p.stop(t)
}

// TestClusterFlags checks that wrong flags are refused, and that a
// backend started on its own needs an existing keyring file.
func TestClusterFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	bin, _ := buildPrograms(t, dir)
	missing := filepath.Join(dir, "missing.json")
	for _, tc := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"-backend-only"}, 2, "-backend-only needs -id NAME"},
		{[]string{"-id", "b1"}, 2, "-id goes with -backend-only"},
		{[]string{"-backends", "0"}, 2, "-backends 0 is not between 1 and 64"},
		{[]string{"-reload", "0s"}, 2, "-reload 0s is not positive"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-backend-only", "-id", "b1", "-listen", "127.0.0.1:0", "-keyring", missing}, 1, "missing.json"},
		{[]string{"-listen", "127.0.0.1:0", "-keyring", filepath.Join(dir, "k.json"), "-domain", "com"}, 1, "public suffix"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.status || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("cluster %s: %v, stderr:\n%s\nwant exit status %d and %q", strings.Join(tc.args, " "), err, stderr.String(), tc.status, tc.stderr)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backend on its own created its keyring file: %v", err)
	}
}
