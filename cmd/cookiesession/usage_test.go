package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestKeyringUsageRefusesOtherAnswers points keyring usage at URLs whose
// answer is not what Store.KeyUsageHandler serves. Each is refused as
// such, with status 1; no key is blamed for it and no table is printed.
func TestKeyringUsageRefusesOtherAnswers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	ring := newRing(t)
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	id := ring.Keys()[0].ID.String()
	answer := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	const js = "application/json"
	mux := http.NewServeMux()
	for path, h := range map[string]http.HandlerFunc{
		"/html":         answer(200, "text/html; charset=utf-8", "<!doctype html><title>Welcome</title>"),
		"/empty-object": answer(200, js, "{}"),
		"/other-json":   answer(200, js, `{"status":"ok","uptime":3600}`),
		"/array":        answer(200, js, `[]`),
		"/wrong-type":   answer(200, js, `{"keys":"all","loaded":[]}`),
		"/broken":       answer(200, js, `{"keys":[`),
		"/null-lists":   answer(200, js, `{"keys":null,"loaded":null}`),
		"/no-loaded":    answer(200, js, `{"keys":[]}`),
		"/bad-id":       answer(200, js, `{"keys":[{"id":"XYZ","opened":1}],"loaded":["`+id+`"]}`),
		"/no-id":        answer(200, js, `{"keys":[{"opened":1}],"loaded":["`+id+`"]}`),
		"/twice":        answer(200, js, `{"keys":[{"id":"`+id+`","opened":1},{"id":"`+id+`","opened":2}],"loaded":["`+id+`"]}`),
		"/bad-loaded":   answer(200, js, `{"keys":[],"loaded":["`+strings.Repeat("z", 100)+`"]}`),
		"/trailing":     answer(200, js, `{"keys":[],"loaded":["`+id+`"]} {}`),
		"/text":         answer(200, "text/plain", `{"keys":[],"loaded":["`+id+`"]}`),
		"/not-found":    answer(404, "text/plain", "404 page not found"),
	} {
		mux.Handle(path, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct{ path, says string }{
		{"/html", `its Content-Type is "text/html; charset=utf-8", not JSON`},
		{"/empty-object", `it lacks the "keys" or the "loaded" list`},
		{"/other-json", `it lacks the "keys" or the "loaded" list`},
		{"/array", "the answer is a JSON array, not what a key usage document holds there"},
		{"/wrong-type", `"keys" is a JSON string, not what a key usage document holds there`},
		{"/broken", "it is not valid JSON"},
		{"/null-lists", `it lacks the "keys" or the "loaded" list`},
		{"/no-loaded", `it lacks the "keys" or the "loaded" list`},
		{"/bad-id", `key 0 has the id "XYZ", not 8 lowercase hex digits`},
		{"/no-id", "key 0 has no id"},
		{"/twice", "key " + id + " is listed twice"},
		{"/bad-loaded", `the loaded id "zzzzzzzzzzzzzzzzzzzz…" is not 8 lowercase hex digits`},
		{"/trailing", "more follows the JSON object"},
		{"/text", `its Content-Type is "text/plain", not JSON`},
		{"/not-found", "the status is 404 Not Found"},
	} {
		for _, withKeyring := range []bool{false, true} {
			var stdout, stderr strings.Builder
			c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
			args := []string{srv.URL + tc.path}
			if withKeyring {
				args = append([]string{"--keyring", path}, args...)
			}
			status := c.keyringUsage(args)
			want := "cookiesession: " + srv.URL + tc.path + ": the answer is not a key usage document: " + tc.says +
				"; is this the URL of a Store.KeyUsageHandler?\n"
			if status != exitFailure || stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("%s (keyring %v): status %d\nstdout %q\nstderr %q\nwant   %q", tc.path, withKeyring, status, stdout.String(), stderr.String(), want)
			}
		}
	}

	// The real handler's answer is taken, beside a refused one.
	st, err := cookiesession.NewStore(ring, cookiesession.Config[login]{Name: "session", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	real := httptest.NewServer(st.KeyUsageHandler())
	defer real.Close()
	var stdout, stderr strings.Builder
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
	status := c.keyringUsage([]string{"--keyring", path, real.URL, srv.URL + "/empty-object"})
	if status != exitFailure || !strings.Contains(stdout.String(), id+"  primary") || !strings.Contains(stdout.String(), " 1/1\n") ||
		strings.Contains(stderr.String(), "has not loaded") || !strings.Contains(stderr.String(), "/empty-object: the answer is not") ||
		!strings.HasSuffix(stdout.String(), "Only 1 of the 2 servers gave their usage (the errors say why): OPENED, SERVERS and LOADED count those 1.\n") {
		t.Errorf("status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}

	// A server that is down: the table says whom it counts.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	stdout.Reset()
	stderr.Reset()
	status = c.keyringUsage([]string{"--keyring", path, real.URL, down.URL, real.URL})
	if status != exitFailure || !strings.Contains(stdout.String(), " 2/2\n") || !strings.Contains(stderr.String(), down.URL) ||
		!strings.HasSuffix(stdout.String(), "Only 2 of the 3 servers gave their usage (the errors say why): OPENED, SERVERS and LOADED count those 2.\n") {
		t.Errorf("a server down: status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}
}

// TestKeyringUsageReportsRejectedFile checks that a server whose keyring
// file is rejected (here, an old copy that would revive a revoked key)
// makes "keyring usage" fail and say so.
func TestKeyringUsageReportsRejectedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	ring := newRing(t)
	old := ring
	id := ring.Keys()[0].ID
	ring, _, err := ring.Rotate(decodeNow, &cookiesession.RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	if ring, err = ring.Revoke(id, decodeNow); err != nil {
		t.Fatal(err)
	}
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	f, srv := usageServer(t, path, func() time.Time { return decodeNow })
	usage := func() (int, string) {
		var stdout, stderr strings.Builder
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
		return c.keyringUsage([]string{srv.URL}), stderr.String()
	}
	if status, stderr := usage(); status != exitOK || stderr != "" {
		t.Fatalf("with a good file: status %d, stderr %q", status, stderr)
	}
	if err := old.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, cookiesession.ErrKeyRevived) {
		t.Fatalf("Reload: %v", err)
	}
	if status, stderr := usage(); status != exitFailure || !strings.Contains(stderr, "rejects its keyring file and keeps an older keyring") ||
		!strings.Contains(stderr, "can no longer open sessions") {
		t.Errorf("with a stale file: status %d, stderr %q", status, stderr)
	}

	// --json lists each server's problem beside the keys, as stderr
	// prints it: the server that rejects its file, and the one that does
	// not answer.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	var stdout, stderr strings.Builder
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
	if status := c.keyringUsage([]string{"--json", "--keyring", path, srv.URL, dead.URL}); status != exitFailure {
		t.Errorf("--json: status %d, want %d", status, exitFailure)
	}
	var out struct {
		Servers, Failed int
		Problems        []usageProblem
	}
	if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil {
		t.Fatalf("--json: %v in %q", err, stdout.String())
	}
	kinds := map[string]string{}
	for _, p := range out.Problems {
		kinds[p.Kind] = p.URL
		if !strings.Contains(stderr.String(), p.URL+" "+p.Problem) && !strings.Contains(stderr.String(), p.URL+": "+p.Problem) {
			t.Errorf("--json problem %+v is not what stderr says: %q", p, stderr.String())
		}
	}
	want := map[string]string{"keyring rejected": srv.URL, "no usage": dead.URL}
	if out.Servers != 1 || out.Failed != 1 || !maps.Equal(kinds, want) {
		t.Errorf("--json: servers %d, failed %d, problems %+v; want 1, 1 and %v", out.Servers, out.Failed, out.Problems, want)
	}
}

func TestSatAdd(t *testing.T) {
	const max = ^uint64(0)
	for _, tc := range []struct{ a, b, want uint64 }{{1, 2, 3}, {max, 1, max}, {max, max, max}, {max - 1, 1, max}} {
		if got := satAdd(tc.a, tc.b); got != tc.want {
			t.Errorf("satAdd(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// usageServer serves the key usage of a store that follows the keyring
// file at path, on a clock of now, as a server of a fleet does.
func usageServer(t *testing.T, path string, now func() time.Time) (*cookiesession.KeyringFile, *httptest.Server) {
	t.Helper()
	f, err := cookiesession.NewKeyringFile(path, cookiesession.KeyringFileConfig{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := cookiesession.NewStore(f, cookiesession.Config[login]{Name: "session", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.KeyUsageHandler())
	t.Cleanup(srv.Close)
	return f, srv
}

// TestKeyringUsageRefusesNoTimeout checks that --timeout 0, which the
// HTTP client would take for no timeout, is refused before any server is
// asked, as a negative one is.
func TestKeyringUsageRefusesNoTimeout(t *testing.T) {
	for d, says := range map[string]string{"0": "give a positive duration", "0s": "give a positive duration", "-1s": "is negative"} {
		var stdout, stderr strings.Builder
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
		status := c.keyringUsage([]string{"--timeout", d, "http://127.0.0.1:1/keys/usage"})
		if status != exitUsage || !strings.Contains(stderr.String(), says) {
			t.Errorf("--timeout %s: status %d, stderr %q", d, status, stderr.String())
		}
	}
}

// TestKeyringUsageAnswerCutShort checks that an answer whose body cannot
// be read to its end is reported as such, not as a server that sent
// something other than JSON: a body that stalls past --timeout, a
// connection closed before the body's Content-Length, and a body longer
// than the bound.
func TestKeyringUsageAnswerCutShort(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"keys":[`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"keys\":[")
		buf.Flush()
	})
	mux.HandleFunc("/long", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"keys":[],"loaded":[],"pad":"`+strings.Repeat("x", maxUsageBody)+`"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct{ path, says string }{
		{"/stall", "the answer began but did not end within 500ms (--timeout)"},
		{"/cut", "reading the answer: unexpected EOF"},
		{"/long", fmt.Sprintf("the answer is not a key usage document: it is longer than %d bytes; is this the URL of a Store.KeyUsageHandler?", maxUsageBody)},
	} {
		var stdout, stderr strings.Builder
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
		status := c.keyringUsage([]string{"--timeout", "500ms", srv.URL + tc.path})
		want := "cookiesession: " + srv.URL + tc.path + ": " + tc.says + "\n"
		if status != exitFailure || stderr.String() != want || stdout.Len() != 0 {
			t.Errorf("%s: status %d\nstdout %q\nstderr %q\nwant   %q", tc.path, status, stdout.String(), stderr.String(), want)
		}
	}
}
