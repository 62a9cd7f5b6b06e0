package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// buildExample builds the program examples/name into a temporary folder.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// go test puts the go command that runs it first on PATH.
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/cookiesession/cookiesession/examples/"+name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building examples/%s: %v\n%s", name, err, out)
	}
	return bin
}

// example is a running example program.
type example struct {
	urls   []string // the URLs it printed
	stdout string   // what it printed up to its last URL
	stop   func()
}

var urlPattern = regexp.MustCompile(`http://\S+/`)

// startExample runs bin with args in dir and waits for it to print the
// line that holds the URLs to open. The program is killed when the test
// ends, or when stop is called.
func startExample(t *testing.T, bin, dir string, args ...string) *example {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("%s wrote to stderr:\n%s", filepath.Base(bin), stderr.String())
			}
		})
	}
	t.Cleanup(stop)

	found := make(chan *example, 1)
	go func() {
		var out strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if urls := urlPattern.FindAllString(sc.Text(), -1); urls != nil {
				found <- &example{urls: urls, stdout: out.String(), stop: stop}
				drain(sc)
				return
			}
		}
		close(found)
	}()
	select {
	case ex, ok := <-found:
		if !ok {
			stop()
			t.Fatalf("%s printed no URL to open", filepath.Base(bin))
		}
		return ex
	case <-time.After(actionTimeout):
		stop()
		t.Fatalf("%s printed no URL within %v", filepath.Base(bin), actionTimeout)
		return nil
	}
}

// drain reads the rest of the program's output, so that it never
// blocks writing to it.
func drain(sc *bufio.Scanner) {
	for sc.Scan() {
	}
}

// syncBuffer is a bytes.Buffer that a program can write to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestBasicExample runs examples/basic as a user would, on localhost, and
// walks through its page: count a visit, log in, grow past one cookie,
// fail to grow past MaxSize, shrink, restart the server, log out, and
// restart with a new keyring.
func TestBasicExample(t *testing.T) {
	bin := buildExample(t, "basic")
	eachBrowser(t, func(t *testing.T, b *tab) { basicExample(t, b, bin) })
}

func basicExample(t *testing.T, b *tab, bin string) {
	dir := t.TempDir()
	keyring := filepath.Join(dir, "dev-keyring.json")
	args := []string{"-listen", "localhost:0", "-keyring", keyring}

	ex := startExample(t, bin, dir, args...)
	if !strings.Contains(ex.stdout, "Created the development keyring") {
		t.Errorf("first start printed:\n%s\nwant it to say it created the keyring", ex.stdout)
	}
	if fi, err := os.Stat(keyring); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring file: %v, %v; want mode 0600", fi, err)
	}
	url := ex.urls[0]
	if !strings.HasPrefix(url, "http://localhost:") {
		t.Errorf("printed URL %s, want one on localhost", url)
	}
	const name = "__Host-session"
	checkNames := func(step string, want []string) {
		t.Helper()
		cs := b.settledCookies(func(cs []cookie) bool { return slices.Equal(want, cookieNames(cs)) })
		if d := cmp.Diff(want, cookieNames(cs)); d != "" {
			t.Errorf("%s: cookies (-want +got):\n%s", step, d)
		}
		for _, c := range cs {
			if !c.Secure || !c.HTTPOnly || c.Domain != "localhost" || c.Path != "/" || c.SameSite != "Lax" {
				t.Errorf("%s: cookie %s: Secure %v, HttpOnly %v, Domain %q, Path %q, SameSite %q",
					step, c.Name, c.Secure, c.HTTPOnly, c.Domain, c.Path, c.SameSite)
			}
			if size := len(c.Name) + len(c.Value); size > 3800 {
				t.Errorf("%s: cookie %s: %d bytes of name and value", step, c.Name, size)
			}
		}
	}
	expect := func(step string, want map[string]string) {
		t.Helper()
		for id, w := range want {
			if got := b.text(id); got != w {
				t.Errorf("%s: #%s shows %q, want %q", step, id, got, w)
			}
		}
	}

	b.open(url)
	expect("first visit", map[string]string{"name": "nobody", "visits": "0", "chunks": "0"})
	checkNames("first visit", []string{})

	b.submit("visit")
	expect("a visit", map[string]string{"visits": "1", "chunks": "1"})
	checkNames("a visit", []string{name})
	before := b.text("id")

	b.submit("login", "login-name", "ada")
	expect("login", map[string]string{"name": "ada", "visits": "1", "chunks": "1"})
	id := b.text("id")
	if id == before {
		t.Errorf("login kept the session id %s; Renew should change it", id)
	}

	b.submit("grow")
	expect("grow", map[string]string{"name": "ada", "notes": "8192 bytes", "chunks": "3", "id": id})
	checkNames("grow", chunkNames(name, 3))

	b.submit("grow-too-far")
	if got := b.text("error"); !strings.Contains(got, "limit 16384") {
		t.Errorf("growing past MaxSize shows the error %q", got)
	}
	expect("grow too far", map[string]string{"name": "ada", "notes": "8192 bytes", "id": id})
	b.open(url)
	expect("after growing too far", map[string]string{"name": "ada", "notes": "8192 bytes", "chunks": "3", "id": id})
	checkNames("after growing too far", chunkNames(name, 3))

	b.submit("shrink")
	expect("shrink", map[string]string{"notes": "0 bytes", "chunks": "1", "id": id})
	checkNames("shrink", []string{name})

	// A restart loads the keyring file, so the session survives it.
	ex.stop()
	ex = startExample(t, bin, dir, args...)
	if !strings.Contains(ex.stdout, "Loaded the keyring") {
		t.Errorf("second start printed:\n%s\nwant it to say it loaded the keyring", ex.stdout)
	}
	b.open(ex.urls[0])
	expect("restart", map[string]string{"name": "ada", "id": id})

	b.submit("logout")
	expect("logout", map[string]string{"name": "nobody", "chunks": "0"})
	checkNames("logout", []string{})

	// With a new keyring the old cookie names an unknown key: the page
	// says so, and the session is new.
	b.submit("visit")
	ex.stop()
	if err := os.Remove(keyring); err != nil {
		t.Fatal(err)
	}
	ex = startExample(t, bin, dir, args...)
	b.open(ex.urls[0])
	if got := b.text("load-error"); !strings.Contains(got, "unknown key") {
		t.Errorf("with a new keyring the page says %q, want it to name the unknown key", got)
	}
	expect("new keyring", map[string]string{"visits": "0", "id": "none yet: this request carried no session"})
}

// TestSubdomainsExample runs examples/subdomains: a login on the app's
// host is seen by the API's host.
func TestSubdomainsExample(t *testing.T) {
	bin := buildExample(t, "subdomains")
	eachBrowser(t, func(t *testing.T, b *tab) { subdomainsExample(t, b, bin) })
}

func subdomainsExample(t *testing.T, b *tab, bin string) {
	ex := startExample(t, bin, t.TempDir(), "-listen", "localhost:0")
	if len(ex.urls) != 2 || !strings.HasPrefix(ex.urls[0], "http://app.example.localhost:") ||
		!strings.HasPrefix(ex.urls[1], "http://api.example.localhost:") {
		t.Fatalf("printed URLs %q, want the app's and the API's", ex.urls)
	}
	app, api := ex.urls[0], ex.urls[1]
	type apiView struct {
		Session *string `json:"session"`
		Name    string  `json:"name"`
	}
	readAPI := func() apiView {
		t.Helper()
		b.open(api)
		body := b.body()
		var v apiView
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("API answered %q: %v", body, err)
		}
		return v
	}

	b.open(app)
	b.submit("login", "login-name", "ada")
	if got := b.text("name"); got != "ada" {
		t.Fatalf("after login the app shows %q", got)
	}
	id := b.text("id")
	if d := cmp.Diff(apiView{Session: &id, Name: "ada"}, readAPI()); d != "" {
		t.Errorf("the API's view of the app's session (-want +got):\n%s", d)
	}
	cs := b.cookies()
	if len(cs) != 1 || cs[0].Name != "__Secure-session" || cs[0].Domain != ".example.localhost" {
		t.Errorf("cookies %v, want one __Secure-session for .example.localhost", cookieNames(cs))
	}

	b.open(app)
	b.submit("logout")
	if d := cmp.Diff(apiView{}, readAPI()); d != "" {
		t.Errorf("the API after logout (-want +got):\n%s", d)
	}
	if cs := b.settledCookies(func(cs []cookie) bool { return len(cs) == 0 }); len(cs) != 0 {
		t.Errorf("cookies left after logout: %v", cookieNames(cs))
	}
}
