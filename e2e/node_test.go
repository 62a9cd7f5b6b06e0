package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestNodeReadsGoSession: a Go app on app.example.localhost logs a user in,
// and the Node service of js/examples/api.js on api.example.localhost,
// reading the same keyring file, sees the same session in the browser's
// cookies, split over two of them; after logout it sees none.
func TestNodeReadsGoSession(t *testing.T) {
	node := nodeOrSkip(t)
	dir := t.TempDir()
	keyring := filepath.Join(dir, "keys.json")
	ring, err := cookiesession.NewKeyring(time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.SaveNew(keyring); err != nil {
		t.Fatal(err)
	}
	keys, err := cookiesession.NewKeyringFile(keyring, cookiesession.KeyringFileConfig{})
	if err != nil {
		t.Fatal(err)
	}

	// The Go app: /login?user=NAME&blob=N logs NAME in with N bytes of
	// ballast, /logout ends the session; both show the session's id.
	type login struct {
		User string `json:"user"`
		Blob string `json:"blob"`
	}
	const maxSize = 12 << 10
	store, err := cookiesession.NewStore(keys, cookiesession.Config[login]{Domain: nodeDomain, MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(template.New("").Parse(`<!doctype html><title>app</title><p id="id">{{.}}</p>`))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		var blob int
		fmt.Sscan(r.FormValue("blob"), &blob)
		s.Renew()
		s.Set(login{User: r.FormValue("user"), Blob: strings.Repeat("b", blob)})
		page.Execute(w, s.ID())
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		s.Destroy()
		page.Execute(w, "")
	})
	app := httptest.NewServer(store.Middleware(mux))
	t.Cleanup(app.Close)
	_, appPort, _ := net.SplitHostPort(app.Listener.Addr().String())

	apiURL := startNodeAPI(t, node, keyring, maxSize)
	eachBrowser(t, func(t *testing.T, b *tab) {

		readAPI := func() (st struct {
			Session bool   `json:"session"`
			Error   string `json:"error"`
			ID      string `json:"id"`
			Chunks  int    `json:"chunks"`
			Data    login  `json:"data"`
		}) {
			t.Helper()
			b.open(apiURL)
			if err := json.Unmarshal([]byte(b.text("session")), &st); err != nil {
				t.Fatalf("the Node service's page: %v", err)
			}
			return st
		}

		if st := readAPI(); st.Session || st.Error != "absent" {
			t.Fatalf("before login the Node service sees %+v, want no session", st)
		}
		b.open(fmt.Sprintf("http://%s:%s/login?user=ada&blob=5000", nodeAppHost, appPort))
		id := b.text("id")
		st := readAPI()
		if !st.Session || st.ID != id || st.Data.User != "ada" || len(st.Data.Blob) != 5000 || st.Chunks != 2 {
			t.Fatalf("after login on the Go app the Node service sees session %v, id %q, user %q, %d bytes in %d chunks (%s); "+
				"want id %q, user ada, 5000 bytes in 2 chunks", st.Session, st.ID, st.Data.User, len(st.Data.Blob), st.Chunks, st.Error, id)
		}
		b.open(fmt.Sprintf("http://%s:%s/logout", nodeAppHost, appPort))
		if st := readAPI(); st.Session || st.Error != "absent" {
			t.Fatalf("after logout the Node service sees %+v, want no session", st)
		}
	})
}

// nodeOrSkip returns the node binary, or skips the test when node or the
// package's dependencies (npm ci in js/) are missing, unless CI=true.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("..", "js", "node_modules", "@noble", "ciphers"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and the Node service cannot run: %v", err)
		}
		t.Skipf("skipping the Node service test (install node, run npm ci in js/): %v", err)
	}
	return node
}

// The hosts of this test, which Chromium resolves to loopback by itself.
const (
	nodeDomain  = "example.localhost"
	nodeAppHost = "app." + nodeDomain
)

var nodeURL = regexp.MustCompile(`http://api\.example\.localhost:\d+/`)

// startNodeAPI starts js/examples/api.js on a free loopback port and
// returns its URL under api.example.localhost. It is killed when the test ends.
func startNodeAPI(t *testing.T, node, keyring string, maxSize int) string {
	t.Helper()
	cmd := exec.Command(node, filepath.Join("..", "js", "examples", "api.js"),
		"--keyring", keyring, "--listen", "127.0.0.1:0", "--domain", nodeDomain, "--max-size", fmt.Sprint(maxSize))
	stderr, err := os.Create(filepath.Join(t.TempDir(), "api.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if b, _ := os.ReadFile(stderr.Name()); t.Failed() {
			t.Logf("api.js wrote to stderr:\n%s", b)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := nodeURL.FindString(sc.Text()); u != "" {
				found <- u
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(actionTimeout):
		b, _ := os.ReadFile(stderr.Name())
		t.Fatalf("api.js printed no URL within %v; stderr:\n%s", actionTimeout, b)
		return ""
	}
}
