package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// usageNodeScript serves a Node.js service's key usage with the package's
// keyUsageHandler, after opening one session, and prints its port.
const usageNodeScript = `
import http from 'node:http';
import { KeyringFile, SessionStore, keyUsageHandler } from %q;
const st = new SessionStore(new KeyringFile(process.argv[2]), { name: 'session', insecure: true });
const cookie = st.seal({ data: { user: 'ada' } }).cookies.map((c) => c.name + '=' + c.value).join('; ');
st.load(cookie);
const server = http.createServer(keyUsageHandler(st));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`

// TestKeyringUsageCountsNodeServices runs keyring usage over a fleet of a
// Go server and a Node.js service, a real process, that share one keyring
// file: it sums both, and finds that both have loaded the key.
func TestKeyringUsageCountsNodeServices(t *testing.T) {
	node, err := exec.LookPath("node")
	jsDir, _ := filepath.Abs(filepath.Join("..", "..", "js"))
	if err == nil {
		_, err = os.Stat(filepath.Join(jsDir, "node_modules", "@noble", "ciphers"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or js/node_modules missing (%v); CI installs them with npm ci in js/", err)
		}
		t.Skipf("node or js/node_modules missing: %v (run npm ci in js/)", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	ring := newRing(t)
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	id := ring.Keys()[0].ID

	script := filepath.Join(dir, "usage.mjs")
	src := strings.Replace(usageNodeScript, "%q", `"file://`+filepath.ToSlash(filepath.Join(jsDir, "src", "index.js"))+`"`, 1)
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	var nodeURL string
	select {
	case p := <-port:
		nodeURL = "http://127.0.0.1:" + p + "/"
	case <-time.After(30 * time.Second):
		t.Fatal("the Node.js service did not start")
	}

	_, srv := usageServer(t, path, time.Now)
	goURL := srv.URL

	var stdout, stderr strings.Builder
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: time.Now}
	status := c.keyringUsage([]string{"--keyring", path, goURL, nodeURL})
	if status != exitOK || stderr.Len() != 0 || !strings.Contains(stdout.String(), id.String()) || !strings.Contains(stdout.String(), " 2/2\n") {
		t.Fatalf("status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}
	// The one session the Node.js service opened is counted.
	var line string
	for l := range strings.SplitSeq(stdout.String(), "\n") {
		if strings.HasPrefix(l, id.String()) {
			line = l
		}
	}
	// KEY STATUS OPENED LAST-SEEN SERVERS LOADED: one value opened, by
	// one server of the two, and both have loaded the key.
	if f := strings.Fields(line); len(f) != 6 || f[2] != "1" || f[4] != "1" || f[5] != "2/2" {
		t.Errorf("the key's line %q does not count the Node.js service's one session\n%s", line, stdout.String())
	}
}
