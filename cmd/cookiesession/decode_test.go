package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
)

var decodeNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type login struct {
	User  string
	CSRF  string
	Notes string
}

// sealed returns the cookies a Store sets for data, at decodeNow.
func sealed(t testing.TB, ring *cookiesession.Keyring, cfg cookiesession.Config[login], data login) []*http.Cookie {
	t.Helper()
	cfg.Now = func() time.Time { return decodeNow }
	cfg.Insecure, cfg.ChunkSize, cfg.MaxSize = true, 512, 8000
	if cfg.Name == "" {
		cfg.Name = "session"
	}
	st, err := cookiesession.NewStore(ring, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(data)
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()
}

func cookieLine(cs []*http.Cookie) string {
	var pairs []string
	for _, c := range cs {
		pairs = append(pairs, c.Name+"="+c.Value)
	}
	return "Cookie: " + strings.Join(pairs, "; ")
}

// setCookieLines is what a response's header shows for cs, one
// "Set-Cookie:" line per cookie, with its attributes.
func setCookieLines(cs []*http.Cookie) string {
	var lines []string
	for _, c := range cs {
		lines = append(lines, "Set-Cookie: "+c.String())
	}
	return strings.Join(lines, "\n") + "\n"
}

func newRing(t testing.TB) *cookiesession.Keyring {
	t.Helper()
	ring, err := cookiesession.NewKeyring(decodeNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestDecodeSession(t *testing.T) {
	ring := newRing(t)
	id := ring.Keys()[0].ID.String()
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow.Add(time.Minute), skew: time.Minute}
	small := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada", CSRF: "s3cr3t"})
	big := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada", Notes: strings.Repeat("n", 1500)})
	if len(small) != 1 || len(big) != 5 {
		t.Fatalf("fixture: %d and %d cookies", len(small), len(big))
	}
	for _, tc := range []struct {
		name, input string
		showAll     bool
		chunks      int
		data        map[string]any
	}{
		{"a value", small[0].Value, false, 1, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": ""}},
		{"a value, shown in full", small[0].Value, true, 1, map[string]any{"User": "ada", "CSRF": "s3cr3t", "Notes": ""}},
		{"a Cookie header", cookieLine(big), false, 5, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": strings.Repeat("n", 1500)}},
		{"cookies in another order, among others", "a=1; session.3=" + big[3].Value + "; session.1=" + big[1].Value + "; session.4=" + big[4].Value + "; session=" + big[0].Value + "; session.2=" + big[2].Value,
			false, 5, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": strings.Repeat("n", 1500)}},
		{"a value in quotes", `"` + small[0].Value + `"`, false, 1, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": ""}},
		{"a Cookie header with a quoted value", `Cookie: a=1; session="` + small[0].Value + `"`, false, 1, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": ""}},
		{"the response's Set-Cookie lines", setCookieLines(big), false, 5, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": strings.Repeat("n", 1500)}},
		{"a Cookie header over two lines", "Cookie: " + cookieLine(big[:2])[len("Cookie: "):] + "\ncookie: " + cookieLine(big[2:])[len("Cookie: "):],
			false, 5, map[string]any{"User": "ada", "CSRF": "[redacted]", "Notes": strings.Repeat("n", 1500)}},
	} {
		o := opts
		o.showAll = tc.showAll
		out, err := decodeInput(ring, o, tc.input)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if out.Chunks != tc.chunks || out.KeyID != id || out.KeyStatus != "primary" || out.Session == nil ||
			!out.IssuedAt.Equal(decodeNow) || !out.Expires.Equal(decodeNow.Add(cookiesession.DefaultIdleTimeout)) {
			t.Errorf("%s: %+v", tc.name, out)
			continue
		}
		if d := cmp.Diff(tc.data, out.Session.Data); d != "" {
			t.Errorf("%s: data (-want +got):\n%s", tc.name, d)
		}
	}

	// A value sealed by a Codec, not a Store, prints as its payload.
	codec, _ := cookiesession.NewCodec(ring, cookiesession.CodecConfig{Now: func() time.Time { return decodeNow }})
	v, _ := codec.Encode("session", map[string]any{"theme": "dark", "api_key": "k"})
	out, err := decodeInput(ring, opts, v)
	if err != nil || out.Session != nil {
		t.Fatalf("codec value: %+v, %v", out, err)
	}
	if d := cmp.Diff(map[string]any{"theme": "dark", "api_key": "[redacted]"}, out.Payload); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
}

func TestDecodeExplains(t *testing.T) {
	ring := newRing(t)
	id := ring.Keys()[0].ID
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow, skew: time.Minute}
	small := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada"})[0].Value
	big := sealed(t, ring, cookiesession.Config[login]{}, login{Notes: strings.Repeat("n", 1500)})
	other := sealed(t, newRing(t), cookiesession.Config[login]{}, login{User: "eve"})[0].Value
	withPurpose := sealed(t, ring, cookiesession.Config[login]{Purpose: "admin"}, login{User: "ada"})[0].Value
	jsonValue := sealed(t, ring, cookiesession.Config[login]{Serializer: cookiesession.JSON{}}, login{User: "ada"})[0].Value

	rotated, _, err := ring.Rotate(decodeNow, &cookiesession.RotateOptions{ActivationDelay: -1, RetireAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := rotated.Revoke(id, decodeNow)
	if err != nil {
		t.Fatal(err)
	}
	pruned, _, err := rotated.Prune(decodeNow.Add(2 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		ring  *cookiesession.Keyring
		mod   func(*decodeOptions)
		input string
		class error
		says  string
	}{
		{"changed", ring, nil, changed(small, 30), cookiesession.ErrTampered, "it claims key " + id.String() + " but does not authenticate"},
		{"wrong name", ring, func(o *decodeOptions) { o.name = "sid" }, small, cookiesession.ErrTampered, `for cookie name "sid" and purpose ""`},
		{"wrong purpose", ring, nil, withPurpose, cookiesession.ErrTampered, "sealed for another --name or --purpose"},
		{"another keyring", ring, nil, other, cookiesession.ErrUnknownKey, "which the keyring does not hold"},
		{"pruned key", pruned, func(o *decodeOptions) { o.now = decodeNow.Add(2 * time.Hour) }, small, cookiesession.ErrUnknownKey, "which was pruned from the keyring"},
		{"revoked key", revoked, nil, small, cookiesession.ErrRevokedKey, "is revoked at 2026-11-21T10:00:00Z"},
		{"expired", ring, func(o *decodeOptions) { o.now = decodeNow.Add(48 * time.Hour) }, small, cookiesession.ErrExpired, "it expired at 2026-11-22T10:00:00Z; it is 2026-11-23T10:00:00Z"},
		{"issued in the future", ring, func(o *decodeOptions) { o.now = decodeNow.Add(-time.Hour) }, small, cookiesession.ErrNotYetValid, "a server's clock is ahead"},
		{"chunk missing", ring, nil, cookieLine([]*http.Cookie{big[0], big[1], big[3], big[4]}), cookiesession.ErrIncomplete, "split over 5 cookies but the input has no session.2"},
		{"chunk 0 alone", ring, nil, big[0].Value, cookiesession.ErrIncomplete, "the value announces 5 cookies, the input gave 1"},
		{"wrong serializer", ring, nil, jsonValue, cookiesession.ErrMalformed, "it authenticated under key " + id.String() + ", but its payload is not CBOR: is --serializer cbor right?"},
		{"wrong serializer, json", ring, func(o *decodeOptions) { o.serializer = "json" }, small, cookiesession.ErrMalformed, "its payload is not JSON: is --serializer json right?"},
		{"cut short", ring, nil, small[:40], cookiesession.ErrMalformed, "it has 39 characters after the ~, and even an empty value has 79: it was cut short"},
		{"cut to its header", ring, nil, small[:5], cookiesession.ErrMalformed, "it was cut short"},
		{"cut to a length base64url never has", ring, nil, small[:4*((len(small)-1)/4-1)+2], cookiesession.ErrMalformed, "a length that base64url never has: it was cut short"},
		{"cut by a character", ring, nil, small[:len(small)-1], nil, "cut short"},
		{"cut by a few characters", ring, nil, small[:len(small)-8], cookiesession.ErrTampered, "it was changed or cut short"},
		{"a stray character", ring, nil, small[:10] + " " + small[10:], cookiesession.ErrMalformed, "character 10 after the ~ is ' ', which base64url"},
		{"a newer format", ring, nil, "~Ag" + small[3:], cookiesession.ErrUnsupportedVersion, "its header says format version 2 with flags 0"},
		{"a gorilla value", ring, nil, "MTcwMDAwMDAwMHxEdi1CQkFFQ180SUFBUkFCRUFBQUJQ", cookiesession.ErrMalformed, "does not start with ~"},
		{"two cookies of the name", ring, nil, "session=" + small + "; session=" + other, nil, "more than one cookie named session"},
		{"no cookie of the name", ring, nil, "Cookie: sid=" + small, nil, `no cookie named "session"`},
		{"nothing", ring, nil, "  \n", nil, "no value to decode"},
		// Go's base64 decoder skips CR and LF, so a line break inside the
		// first characters leaves fewer header bytes than asked for.
		{"line break in the chunk count", ring, nil, "session=~AQ\nAC", cookiesession.ErrMalformed, ""},
		{"line break in the key id", ring, nil, small[:6] + "\n" + small[6:], cookiesession.ErrMalformed, ""},
	} {
		o := opts
		if tc.mod != nil {
			tc.mod(&o)
		}
		_, err := decodeInput(tc.ring, o, tc.input)
		if err == nil || (tc.class != nil && !errors.Is(err, tc.class)) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err = %v\nwant %v saying %q", tc.name, err, tc.class, tc.says)
			continue
		}
		if goName := goTypeName.FindString(err.Error()); goName != "" {
			t.Errorf("%s: err = %v\nnames the Go type %s", tc.name, err, goName)
		}
	}
}

// goTypeName matches what Go prints for a type of this program or of the
// package (*main.decoded, cookiesession.envelope[…]), which no message of
// the command should show.
var goTypeName = regexp.MustCompile(`\*?\b(main|cookiesession)\.[A-Za-z_]\w*|\benvelope\[|\bmain\.`)

// changed returns v with its i-th character replaced by another one of
// the base64url alphabet.
func changed(v string, i int) string {
	c := "A"
	if v[i] == 'A' {
		c = "B"
	}
	return v[:i] + c + v[i+1:]
}

func TestDecodeCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	ring := newRing(t)
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	value := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada"})[0].Value
	at := decodeNow.Format(time.RFC3339)
	// Without a keyring, decode says so before it waits for a value.
	var stdout, stderr bytes.Buffer
	stdin := &readCounter{r: strings.NewReader(value)}
	if status := run([]string{"decode", "--keyring", filepath.Join(dir, "nope"), "--name", "session"}, stdin, &stdout, &stderr); status != 1 || stdin.reads != 0 {
		t.Errorf("missing keyring: status %d after %d reads of stdin: %s", status, stdin.reads, stderr.String())
	}

	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		status int
		stdout string
		stderr string
	}{
		{"value argument", []string{"decode", "--keyring", path, "--name", "session", "--at", at, value}, "", 0, `"User": "ada"`, ""},
		{"value on stdin", []string{"decode", "--keyring", path, "--name", "session", "--at", at}, value + "\n", 0, `"key_status": "primary"`, ""},
		{"header on stdin", []string{"decode", "--keyring", path, "--name", "session", "--at", at, "-"}, "Cookie: a=b; session=" + value, 0, `"chunks": 1`, ""},
		{"fails", []string{"decode", "--keyring", path, "--name", "sid", "--at", at, value}, "", 1, "", "cookiesession: value failed authentication: it claims key"},
		{"no keyring", []string{"decode", "--name", "session", value}, "", 2, "", "--keyring and --name are required"},
		{"bad serializer", []string{"decode", "--keyring", path, "--name", "s", "--serializer", "gob", value}, "", 2, "", `--serializer "gob" is not cbor or json`},
		{"two values", []string{"decode", "--keyring", path, "--name", "s", value, value}, "", 2, "", "want at most 1 argument, got 2"},
		{"missing keyring file", []string{"decode", "--keyring", filepath.Join(dir, "nope"), "--name", "s", value}, "", 1, "", "keyring " + filepath.Join(dir, "nope") + " does not exist\ncookiesession: to create one, run: cookiesession keyring init " + filepath.Join(dir, "nope")},
		{"stdin too long", []string{"decode", "--keyring", path, "--name", "s"}, strings.Repeat("a", maxDecodeInput+1), 1, "", "standard input is longer than"},
	} {
		var stdout, stderr bytes.Buffer
		status := run(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
		if status != tc.status || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%s: status %d\nstdout %s\nstderr %s", tc.name, status, stdout.String(), stderr.String())
		}
		if tc.status == 0 && !json.Valid(stdout.Bytes()) {
			t.Errorf("%s: output is not JSON: %s", tc.name, stdout.String())
		}
	}
}

type readCounter struct {
	r     io.Reader
	reads int
}

func (rc *readCounter) Read(p []byte) (int, error) {
	rc.reads++
	return rc.r.Read(p)
}

func TestKeyringUsage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	ring := newRing(t)
	rotated, newKey, err := ring.Rotate(decodeNow, &cookiesession.RotateOptions{ActivationDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := rotated.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	old := ring.Keys()[0].ID
	// Two servers that opened sessions of the old key.
	var servers []string
	for i, opens := range []int{3, 2} {
		clk := decodeNow.Add(time.Duration(i) * time.Minute)
		st, err := cookiesession.NewStore(rotated, cookiesession.Config[login]{Name: "session", Insecure: true, Now: func() time.Time { return clk }})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada"})[0])
		for range opens {
			st.Load(r)
		}
		srv := httptest.NewServer(st.KeyUsageHandler())
		defer srv.Close()
		servers = append(servers, srv.URL)
	}
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return decodeNow }}
	if status := c.keyringUsage(append([]string{"--keyring", path, "--json"}, servers...)); status != 0 {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	var got struct {
		Servers int        `json:"servers"`
		Keys    []usageKey `json:"keys"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []usageKey{
		{ID: old.String(), Status: "primary", Opened: 5, LastSeen: decodeNow.Add(time.Minute), Servers: 2, LoadedBy: 2},
		{ID: newKey.ID.String(), Status: "pending", LoadedBy: 2},
	}
	if old > newKey.ID {
		want[0], want[1] = want[1], want[0]
	}
	if d := cmp.Diff(want, got.Keys); d != "" || got.Servers != 2 {
		t.Errorf("servers %d, keys (-want +got):\n%s", got.Servers, d)
	}
	// The pending key, which no server has seen, has a null last_seen,
	// not the zero time; the other its time.
	if out := stdout.String(); strings.Count(out, `"last_seen": null`) != 1 || strings.Contains(out, "0001-01-01") ||
		!strings.Contains(out, `"last_seen": "`+decodeNow.Add(time.Minute).UTC().Format(time.RFC3339)) {
		t.Errorf("last_seen of a key never seen:\n%s", out)
	}
	if out := stdout.String(); !strings.Contains(out, "\"opened\": 5,\n      \"last_seen\": \"") ||
		!strings.Contains(out, "\"last_seen\": null,\n      \"servers\": 0,") {
		t.Errorf("the members are out of their order:\n%s", out)
	}

	// A server still on the keyring from before the rotation: it lacks
	// the pending key, which must not activate yet.
	stale, _ := cookiesession.NewStore(ring, cookiesession.Config[login]{Name: "session", Insecure: true})
	staleSrv := httptest.NewServer(stale.KeyUsageHandler())
	defer staleSrv.Close()
	stdout.Reset()
	stderr.Reset()
	status := c.keyringUsage([]string{"--keyring", path, servers[0], staleSrv.URL})
	wantErr := "cookiesession: " + staleSrv.URL + " has not loaded key " + newKey.ID.String() + " of " + path
	if status != 1 || !strings.Contains(stderr.String(), wantErr) || !strings.Contains(stdout.String(), " 1/2\n") {
		t.Errorf("stale server: status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}
	// With --json, the key it lacks is listed as its problem.
	stdout.Reset()
	stderr.Reset()
	status = c.keyringUsage([]string{"--json", "--keyring", path, servers[0], staleSrv.URL})
	var listed struct{ Problems []usageProblem }
	if err := json.Unmarshal(stdout.Bytes(), &listed); err != nil || status != 1 ||
		!slices.Equal(listed.Problems, []usageProblem{{URL: staleSrv.URL, Kind: "key not loaded", Problem: "has not loaded key " + newKey.ID.String() + " of " + path}}) {
		t.Errorf("stale server, --json: status %d, %v, problems %+v", status, err, listed.Problems)
	}

	// A server that does not answer: what the others said, and status 1.
	stdout.Reset()
	stderr.Reset()
	status = c.keyringUsage(append(servers[:1:1], "http://127.0.0.1:1/keys/usage"))
	if status != 1 || !strings.Contains(stdout.String(), old.String()) ||
		!strings.HasPrefix(stderr.String(), "cookiesession: http://127.0.0.1:1/keys/usage: dial tcp 127.0.0.1:1: ") {
		t.Errorf("status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}

	// A server that does not answer in time.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	stdout.Reset()
	stderr.Reset()
	status = c.keyringUsage([]string{"--timeout", "100ms", slow.URL})
	if want := "cookiesession: " + slow.URL + ": no answer within 100ms (--timeout)\n"; status != 1 || stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("slow server: status %d\nstdout %q\nstderr %q\nwant   %q", status, stdout.String(), stderr.String(), want)
	}
	if status := c.keyringUsage([]string{"ftp://x"}); status != 2 {
		t.Errorf("ftp URL: status %d", status)
	}
	if status := c.keyringUsage(nil); status != 2 {
		t.Errorf("no URL: status %d", status)
	}
}

func FuzzDecodeInput(f *testing.F) {
	ring := newRing(f)
	big := sealed(f, ring, cookiesession.Config[login]{}, login{Notes: strings.Repeat("n", 1500)})
	seeds := []string{
		big[0].Value, cookieLine(big), "", "~", "=", "Cookie:", "cookie: session=~AQAB",
		"session=~AQD_; session.1=x", "session.254=x; session=~AQAC", "session=a; session=b",
		"session.01=x; session=~AQAB", "~AQAB\r\n", "session=~AQ\nAC", "~AQAB\nAAAA", strings.Repeat("session.1=x;", 300),
	}
	// The golden vectors are seeds too; without them the corpus would
	// quietly shrink to the few values above.
	files, err := filepath.Glob("../../testdata/vectors/*.txt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden vectors to seed from: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		_, value, _ := bytes.Cut(data, []byte("\n\n"))
		seeds = append(seeds, strings.TrimSpace(string(value)))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow, skew: time.Minute}
	f.Fuzz(func(t *testing.T, input string) {
		out, err := decodeInput(ring, opts, input)
		if err == nil {
			if _, jerr := json.Marshal(out); jerr != nil {
				t.Fatalf("output does not marshal: %v", jerr)
			}
			return
		}
		if !strings.HasPrefix(err.Error(), "cookiesession: ") && !strings.HasPrefix(err.Error(), "the input") && !strings.HasPrefix(err.Error(), "no value") {
			t.Fatalf("error %q says neither what failed nor why", err)
		}
		if goName := goTypeName.FindString(err.Error()); goName != "" {
			t.Fatalf("error %q names the Go type %s", err, goName)
		}
	})
}

// TestDecodeRedacts seals secrets under names of every kind that the
// redaction rule covers, and checks that none of them, nor the session
// id, reaches the output unless --show-all is given.
func TestDecodeRedacts(t *testing.T) {
	ring := newRing(t)
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow, skew: time.Minute}
	secrets := map[string]any{
		"pwd": "s-pwd", "jwt": "s-jwt", "otp_seed": "s-otp", "PinCode": "s-pin", "bearer": "s-bearer",
		"user_ssn": "s-ssn", "private": "s-private", "Signature": "s-signature", "refresh_token": "s-token",
		"APIKey": "s-apikey", "password_hash": "s-hash", "card_number": "s-card", "XSRF": "s-xsrf",
		"PW": "s-pw", "UserPw": "s-userpw", "Pswd": "s-pswd", "Mnemonic": "s-mnemonic", "MFACode": "s-mfa", "Recovery": "s-recovery",
		// Case in Unicode's sense: the long s and the Kelvin sign fold to
		// s and k, as strings.EqualFold folds them.
		"Paſſword": "s-long-s", "ſecret": "s-long-s-2", "\u212aeyID": "s-kelvin", "ΑΥΘ_auth": "s-greek",
		"contact": map[string]any{"SSN": "s-nested"},
		"tokens":  []any{"s-list-1", map[string]any{"note": "s-list-2"}},
	}
	payload := map[string]any{"theme": "dark", "count": int64(3), "profile": map[string]any{"name": "ada"}}
	for k, v := range secrets {
		payload[k] = v
	}
	codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{Now: func() time.Time { return decodeNow }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := codec.Encode("session", payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeInput(ring, opts, v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if strings.Contains(string(b), `"s-`) {
		t.Fatalf("a secret is printed: %s", b)
	}
	want := map[string]any{"theme": "dark", "count": int64(3), "profile": map[string]any{"name": "ada"}}
	for k := range secrets {
		want[k] = redacted
	}
	want["contact"] = map[string]any{"SSN": redacted} // hidden by its own name, one level down
	if d := cmp.Diff(want, out.Payload); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	opts.showAll = true
	if out, err = decodeInput(ring, opts, v); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(payload, out.Payload); d != "" {
		t.Errorf("--show-all payload (-want +got):\n%s", d)
	}

	// The content of a tag the decoder does not know (here 1000, around
	// a map) is printed as a map and hidden by its names, never written
	// out whole with fmt.Sprint.
	tagged, err := codec.Encode("session", map[string]any{
		"profile": cbor.Tag{Number: 1000, Content: map[string]any{"password": "s-tagged", "name": "ada"}},
		"token":   cbor.Tag{Number: 1001, Content: "s-tagged-2"},
		// Tag 24 holds an encoded CBOR item in a byte string: it is read
		// as that item, not printed as bytes whose base64 shows it.
		"embedded": cbor.Tag{Number: 24, Content: mustCBOR(t, map[string]any{"password": "s-embedded", "name": "ada",
			"deeper": cbor.Tag{Number: 24, Content: mustCBOR(t, map[string]any{"pin": "s-embedded-2"})}})},
		"not cbor": cbor.Tag{Number: 24, Content: []byte{0xff, 's', '-'}},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.showAll = false
	if out, err = decodeInput(ring, opts, tagged); err != nil {
		t.Fatal(err)
	}
	wantTagged := map[string]any{
		"profile": map[string]any{"cbor_tag": uint64(1000), "content": map[string]any{"password": redacted, "name": "ada"}},
		"token":   redacted,
		"embedded": map[string]any{"cbor_tag": uint64(24), "content": map[string]any{"password": redacted, "name": "ada",
			"deeper": map[string]any{"cbor_tag": uint64(24), "content": map[string]any{"pin": redacted}}}},
		"not cbor": map[string]any{"cbor_tag": uint64(24), "content": redacted},
	}
	if d := cmp.Diff(wantTagged, out.Payload); d != "" {
		t.Errorf("tagged payload (-want +got):\n%s", d)
	}
	opts.showAll = true
	if out, err = decodeInput(ring, opts, tagged); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(out.Payload); !strings.Contains(string(b), `"password":"s-tagged"`) {
		t.Errorf("--show-all tagged payload: %s", b)
	}

	// A Store's session: its id is hidden too.
	value := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada", CSRF: "s-csrf"})[0].Value
	opts.showAll = false
	if out, err = decodeInput(ring, opts, value); err != nil {
		t.Fatal(err)
	}
	if out.Session == nil || out.Session.ID != redacted || out.Session.Data.(map[string]any)["CSRF"] != redacted {
		t.Errorf("session: %+v", out.Session)
	}
	opts.showAll = true
	if out, err = decodeInput(ring, opts, value); err != nil {
		t.Fatal(err)
	}
	if id, err := base64.RawURLEncoding.DecodeString(out.Session.ID); err != nil || len(id) != 16 {
		t.Errorf("--show-all session id %q: %v", out.Session.ID, err)
	}
}

// TestSecretNamesHelp keeps the help's list of secret names in step with
// the rule.
func TestSecretNamesHelp(t *testing.T) {
	got := strings.Fields(secretNamesHelp)
	if d := cmp.Diff(secretNames, got); d != "" {
		t.Errorf("help lists (-rule +help):\n%s", d)
	}
	if !strings.Contains(decodeHelp, secretNamesHelp) {
		t.Error("the help does not list the secret names")
	}
}

// TestDecodeIntegerKeys opens a Store's session whose data has fields
// with integer keys (keyasint) and maps with integer keys, which the
// package's CBOR decodes only into the application's type: decode shows
// them with the keys as text, and still redacts by name.
func TestDecodeIntegerKeys(t *testing.T) {
	type compact struct {
		User   string           `cbor:"1,keyasint"`
		Scores map[int]int      `cbor:"2,keyasint"`
		Token  string           `cbor:"token"`
		Nested map[int64]string `cbor:"3,keyasint"`
	}
	out := decodeSaved(t, func(s *cookiesession.Session[compact]) {
		s.Set(compact{User: "ada", Scores: map[int]int{7: 70, -1: 10}, Token: "s-token", Nested: map[int64]string{1: "one"}})
	})
	want := map[string]any{
		"1":     "ada",
		"2":     map[string]any{"7": int64(70), "-1": int64(10)},
		"3":     map[string]any{"1": "one"},
		"token": redacted,
	}
	if out.Session == nil {
		t.Fatal("not shown as a session")
	}
	if d := cmp.Diff(want, out.Session.Data); d != "" {
		t.Errorf("data (-want +got):\n%s", d)
	}
}

// TestDecodeShowsFlashesAndChoice opens a session with unread flashes
// and a remember-me choice: decode shows both.
func TestDecodeShowsFlashesAndChoice(t *testing.T) {
	out := decodeSaved(t, func(s *cookiesession.Session[map[string]any]) {
		s.AddFlash("info", "Saved.")
		s.SetPersistent(false)
	})
	if out.Session == nil || out.Session.Persistent == nil || *out.Session.Persistent {
		t.Fatalf("the remember-me choice is not shown: %+v", out.Session)
	}
	if d := cmp.Diff([]cookiesession.Flash{{Kind: "info", Text: "Saved."}}, out.Session.Flashes); d != "" {
		t.Errorf("flashes (-want +got):\n%s", d)
	}
}

// decodeSaved saves a session of a Store, after change, and decodes its
// cookie.
func decodeSaved[T any](t *testing.T, change func(*cookiesession.Session[T])) *decodeOutput {
	t.Helper()
	ring := newRing(t)
	st, err := cookiesession.NewStore(ring, cookiesession.Config[T]{Name: "session", Insecure: true,
		Now: func() time.Time { return decodeNow }})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	change(s)
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow, skew: time.Minute}
	out, err := decodeInput(ring, opts, rec.Result().Cookies()[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustCBOR is v encoded as CBOR.
func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// minted returns a bearer token a Store minted for data, at decodeNow.
func minted(t *testing.T, ring *cookiesession.Keyring, data login) string {
	t.Helper()
	st, err := cookiesession.NewStore(ring, cookiesession.Config[login]{Name: "session",
		Transport: cookiesession.TransportCookie | cookiesession.TransportBearer,
		Now:       func() time.Time { return decodeNow }})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(data)
	token, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestDecodeToken(t *testing.T) {
	ring := newRing(t)
	token := minted(t, ring, login{User: "ada", CSRF: "s3cr3t"})
	value := sealed(t, ring, cookiesession.Config[login]{}, login{User: "ada"})[0].Value
	opts := decodeOptions{name: "session", serializer: "cbor", now: decodeNow, skew: time.Minute}
	for _, tc := range []struct {
		name, input string
		flag        bool
	}{
		{"--token and the token", token, true},
		{"--token and the token in quotes", `"` + token + `"`, true},
		{"the Authorization line", "Authorization: Bearer " + token + "\n", false},
		{"the scheme in lower case, two spaces", "bearer  " + token, false},
		{"--token and the Authorization line", "authorization: BEARER " + token, true},
	} {
		o := opts
		o.token = tc.flag
		out, err := decodeInput(ring, o, tc.input)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if out.Name != "Bearer session" || out.Session == nil || out.Session.Data.(map[string]any)["User"] != "ada" ||
			out.Session.Data.(map[string]any)["CSRF"] != "[redacted]" {
			t.Errorf("%s: %+v", tc.name, out)
		}
	}

	// Each form given as the other fails, and the error says which flag
	// to change.
	for _, tc := range []struct {
		name, input string
		flag        bool
		hint        string
	}{
		{"a token without --token", token, false, "or it is a bearer token (give --token)"},
		{"a cookie value with --token", value, true, "or it is a cookie value (decode it without --token)"},
		{"a Cookie header with --token", "Cookie: session=" + value, true, "or it is a cookie value"},
	} {
		o := opts
		o.token = tc.flag
		_, err := decodeInput(ring, o, tc.input)
		if !errors.Is(err, cookiesession.ErrTampered) && !errors.Is(err, cookiesession.ErrMalformed) || err == nil ||
			tc.hint != "" && errors.Is(err, cookiesession.ErrTampered) && !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	// Through the command line.
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"decode", "--keyring", path, "--name", "session", "--at", decodeNow.Format(time.RFC3339), "--token", token}
	if status := run(args, strings.NewReader(""), &stdout, &stderr); status != 0 ||
		!strings.Contains(stdout.String(), `"name": "Bearer session"`) || !strings.Contains(stdout.String(), `"User": "ada"`) {
		t.Errorf("decode --token: status %d\nstdout %s\nstderr %s", status, stdout.String(), stderr.String())
	}
}
