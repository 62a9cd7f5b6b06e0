package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	backendCount  = 3
	activeClients = 50 // clients that send requests all along
	idleClients   = 5  // clients in each of the two groups that wait

	// activationDelay is the rotation's --activate-in. The backends read
	// the file every reloadInterval; the delay leaves them ample time, on
	// a loaded machine too, and the test checks that they all had the new
	// key before it activated.
	activationDelay = "5s"
	reloadInterval  = "100ms"

	growBytes = 3000 // enough to split a session over two cookies

	waitTimeout = 30 * time.Second // for anything the test waits on, except the activation
)

// TestCluster runs three backends of this example as separate processes
// sharing one keyring file, behind a round-robin proxy, and drives 50
// clients through it while the key is rotated, the old key retired and
// then revoked with the cookiesession command. No session may be lost:
// every answer must show the client's own user and the last value it
// wrote, whichever backend serves it.
//
// Besides the 50 busy clients, two groups of clients log in before the
// rotation and then wait: the first comes back while the old key is
// retired, and must find its session re-sealed under the new key; the
// second comes back once the old key is revoked, and must get a fresh
// session.
//
// The assertions depend on no timing: the test waits for conditions
// (rounds of requests done, each backend's view of the keyring), and
// compares the time each request was sent or answered with the new key's
// activation time. Timing decides only the throughput it logs.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts programs and runs for several seconds")
	}
	dir := t.TempDir()
	clusterBin, cliBin := buildPrograms(t, dir)
	keysPath := filepath.Join(dir, "keys.json")
	keyring := func(args ...string) string {
		t.Helper()
		return runCommand(t, cliBin, append([]string{"keyring"}, args...)...)
	}
	oldID := submatch(t, keyring("init", keysPath), `with key ([0-9a-f]{8})`)

	backends := make([]*backendProcess, backendCount)
	var startWG sync.WaitGroup
	startErrs := make([]error, backendCount)
	for i := range backends {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			backends[i], startErrs[i] = startBackend(t, clusterBin, fmt.Sprintf("b%d", i+1), keysPath)
		}()
	}
	startWG.Wait()
	if err := errors.Join(startErrs...); err != nil {
		t.Fatal(err)
	}
	var targets []*url.URL
	for _, b := range backends {
		u, err := url.Parse(b.url)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, u)
	}
	proxy := httptest.NewServer(newProxy(targets, slog.New(slog.DiscardHandler)))
	t.Cleanup(proxy.Close)

	transport := &http.Transport{MaxIdleConnsPerHost: 2 * (activeClients + 2*idleClients), IdleConnTimeout: time.Minute}
	t.Cleanup(transport.CloseIdleConnections)
	ops := &http.Client{Transport: transport, Timeout: waitTimeout} // for the backends' /keys
	newClients := func(prefix string, n int) []*client {
		cs := make([]*client, n)
		for i := range cs {
			jar, _ := cookiejar.New(nil)
			name := fmt.Sprintf("%s%02d", prefix, i+1)
			cs[i] = &client{
				name:   name,
				user:   "user-" + name,
				base:   proxy.URL,
				hc:     &http.Client{Transport: transport, Jar: jar, Timeout: waitTimeout},
				values: map[string]string{},
			}
		}
		return cs
	}
	active := newClients("a", activeClients)
	resealed := newClients("r", idleClients) // come back while the old key is retired
	revoked := newClients("v", idleClients)  // come back once it is revoked
	all := slices.Concat(active, resealed, revoked)

	// Every client logs in and stores a value; some grow their session
	// over two cookies, so that split sessions are rotated too.
	forEach(t, all, func(i int, c *client) error { return c.setUp(i%5 == 0) })
	for _, c := range slices.Concat(resealed, revoked) {
		if k := c.cookieKey(t); k != oldID {
			t.Fatalf("client %s holds a cookie sealed under %q, want the first key %s", c.name, k, oldID)
		}
	}

	// The busy clients write and read in a loop until the end.
	stop := make(chan struct{})
	var loops sync.WaitGroup
	stopLoops := sync.OnceFunc(func() {
		close(stop)
		loops.Wait()
	})
	t.Cleanup(stopLoops)
	t0 := time.Now()
	for _, c := range active {
		loops.Add(1)
		go func() {
			defer loops.Done()
			c.loop(stop)
		}()
	}
	since := func(tm time.Time) string { return fmt.Sprintf("+%.1fs", tm.Sub(t0).Seconds()) }
	waitRounds(t, active, 10, "traffic before the rotation")

	// Rotate. The new key is pending until its activation time, and every
	// backend must have loaded it by then.
	rotatedAt := time.Now()
	out := keyring("rotate", keysPath, "--activate-in", activationDelay, "--retire-after", "1h")
	newID := submatch(t, out, `added key ([0-9a-f]{8}) \(pending\)`)
	activation, err := time.Parse(time.RFC3339, submatch(t, out, `the primary from (\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "key "+oldID+" opens values until ") {
		t.Errorf("rotate printed:\n%s\nwant it to say until when key %s opens values", out, oldID)
	}
	waitBackends(t, ops, backends, time.Until(activation), "to load key "+newID+" before it activates at "+activation.Format(time.RFC3339Nano),
		func(kr keysReply) bool {
			st := kr.status(newID)
			return st == "pending" || st == "primary" && !time.Now().After(activation)
		})

	// Traffic goes on across the activation. Once it has passed, wait for
	// every busy client to complete rounds begun after it: their sessions
	// are then re-sealed under the new key.
	for time.Now().Before(activation) {
		time.Sleep(time.Until(activation))
	}
	waitBackends(t, ops, backends, waitTimeout, "to seal with key "+newID, func(kr keysReply) bool { return kr.Primary == newID })
	waitRounds(t, active, 10, "traffic after the activation")
	for _, c := range active {
		if k := c.cookieKey(t); k != newID && !c.failed.Load() {
			t.Errorf("after the activation, busy client %s holds a cookie sealed under %q, want %s", c.name, k, newID)
		}
	}

	// Retire the old key: it seals nothing and opens sessions for an
	// hour, which are re-sealed under the new key. The first idle group
	// comes back now.
	retiredAt := time.Now()
	keyring("retire", keysPath, oldID, "--in", "1h")
	waitBackends(t, ops, backends, waitTimeout, "to list key "+oldID+" as retired", func(kr keysReply) bool {
		return kr.status(oldID) == "retired-until"
	})
	forEach(t, resealed, func(_ int, c *client) error { return c.comeBackResealed(newID) })
	waitRounds(t, active, 3, "traffic while the old key is retired")

	// Revoke it: sessions it sealed open nowhere any more. The busy
	// clients hold sessions under the new key and stay logged in; the
	// second idle group comes back to fresh sessions.
	revokedAt := time.Now()
	keyring("revoke", keysPath, oldID)
	waitBackends(t, ops, backends, waitTimeout, "to list key "+oldID+" as revoked", func(kr keysReply) bool {
		return kr.status(oldID) == "revoked"
	})
	forEach(t, revoked, func(_ int, c *client) error { return c.comeBackRevoked(newID) })
	waitRounds(t, active, 3, "traffic after the revocation")

	stopLoops()
	elapsed := time.Since(t0)
	for _, c := range active {
		if !c.failed.Load() {
			if _, err := c.read(); err != nil {
				c.fail(err)
			}
		}
	}

	// Count the sessions lost: clients whose session came back without
	// their user or data, or that could not get an answer at all.
	var lost, failed []string
	for _, c := range slices.Concat(active, resealed) {
		switch {
		case c.lost:
			lost = append(lost, c.name)
			t.Errorf("client %s lost its session: %v", c.name, c.err)
		case c.err != nil:
			failed = append(failed, c.name)
			t.Errorf("client %s: %v", c.name, c.err)
		}
	}
	resealedOK := 0
	for _, c := range resealed {
		if c.err == nil {
			resealedOK++
		}
	}

	// Every cookie sealed before the activation is under the old key, and
	// every cookie set after it under the new one; so is every key id the
	// backends answered with.
	var loopRequests, setAfter int
	for _, c := range all {
		for _, ev := range c.events {
			if ev.loop {
				loopRequests++
			}
			switch {
			case ev.received.Before(activation):
				if ev.setKey != "" && ev.setKey != oldID || ev.replyKey != "" && ev.replyKey != oldID {
					t.Errorf("client %s: %s answered at %s, before the activation: cookie sealed under %q, key_id %q; want %s",
						c.name, ev.op, since(ev.received), ev.setKey, ev.replyKey, oldID)
				}
			case !ev.sent.Before(activation):
				if ev.setKey != "" {
					setAfter++
				}
				if ev.setKey != "" && ev.setKey != newID || ev.replyKey != "" && ev.replyKey != newID {
					t.Errorf("client %s: %s sent at %s, after the activation: cookie sealed under %q, key_id %q; want %s",
						c.name, ev.op, since(ev.sent), ev.setKey, ev.replyKey, newID)
				}
			}
		}
	}
	if setAfter == 0 {
		t.Errorf("no response set a cookie after the activation")
	}

	// Sessions hopped between all the backends.
	served := map[string]int{}
	hops := 0
	for _, c := range active {
		mine := map[string]bool{}
		for i, ev := range c.events {
			served[ev.backend]++
			mine[ev.backend] = true
			if i > 0 && ev.backend != c.events[i-1].backend {
				hops++
			}
		}
		if len(mine) < 2 {
			t.Errorf("client %s was served by %d backend(s) in %d requests, want several", c.name, len(mine), len(c.events))
		}
	}
	for _, b := range backends {
		if served[b.id] == 0 {
			t.Errorf("backend %s served no busy client", b.id)
		}
	}

	// Each backend opened sessions under both keys, and the command sums
	// the figures over the fleet.
	total := map[string]uint64{}
	var usageURLs []string
	for _, b := range backends {
		usageURLs = append(usageURLs, b.url+"keys/usage")
		var usage struct {
			Keys []struct {
				ID     string `json:"id"`
				Opened uint64 `json:"opened"`
			} `json:"keys"`
		}
		getJSON(t, ops, b.url+"keys/usage", &usage)
		opened := map[string]uint64{}
		for _, k := range usage.Keys {
			opened[k.ID] = k.Opened
		}
		if opened[oldID] == 0 || opened[newID] == 0 {
			t.Errorf("backend %s key usage %v, want sessions opened under %s and %s", b.id, opened, oldID, newID)
		}
		for id, n := range opened {
			total[id] += n
		}
		t.Logf("backend %s: %d requests of the busy clients; opened %d sessions under the old key %s, %d under the new key %s",
			b.id, served[b.id], opened[oldID], oldID, opened[newID], newID)
	}
	var fleet struct {
		Servers, Failed int
		Keys            []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Opened  uint64 `json:"opened"`
			Servers int    `json:"servers"`
		} `json:"keys"`
	}
	out = keyring(slices.Concat([]string{"usage", "--keyring", keysPath, "--json"}, usageURLs)...)
	if err := json.Unmarshal([]byte(out), &fleet); err != nil {
		t.Fatalf("keyring usage printed %q: %v", out, err)
	}
	type sum struct {
		Status  string
		Opened  uint64
		Servers int
	}
	got := map[string]sum{}
	for _, k := range fleet.Keys {
		got[k.ID] = sum{k.Status, k.Opened, k.Servers}
	}
	want := map[string]sum{
		oldID: {"revoked", total[oldID], backendCount},
		newID: {"primary", total[newID], backendCount},
	}
	if d := cmp.Diff(want, got); d != "" || fleet.Servers != backendCount || fleet.Failed != 0 {
		t.Errorf("keyring usage over %d servers (%d failed) (-want +got):\n%s", fleet.Servers, fleet.Failed, d)
	}

	stopBackends(t, backends)

	note := ""
	if raceEnabled {
		note = " (race detector on: not a throughput figure)"
	}
	t.Logf("cluster: %d clients, %d requests in %.1fs: %.0f req/s through the proxy%s, %d sessions lost, "+
		"rotation at %s (key %s activated at %s), retire at %s, revoke at %s",
		activeClients, loopRequests, elapsed.Seconds(), float64(loopRequests)/elapsed.Seconds(), note, len(lost),
		since(rotatedAt), newID, since(activation), since(retiredAt), since(revokedAt))
	t.Logf("cluster: %d hops between backends; %d cookies set after the activation, all under %s; "+
		"%d idle sessions re-sealed while %s was retired; %d idle sessions under %s refused once it was revoked, as intended",
		hops, setAfter, newID, resealedOK, oldID, len(revoked), oldID)
	if len(failed) > 0 {
		t.Errorf("%d clients failed: %v", len(failed), failed)
	}
}

// client is one browser: a cookie jar and the session it expects.
type client struct {
	name, user string
	base       string // the proxy's URL
	hc         *http.Client

	// What the session holds, as far as the client knows.
	values  map[string]string
	ballast int

	events []event      // every request; only the client's goroutine touches it until it stops
	rounds atomic.Int64 // rounds of the loop completed
	err    error        // why the client stopped; set before failed
	lost   bool         // err is a session that came back without the user or the data
	failed atomic.Bool  // the client stopped on an error
	inLoop bool
}

// event records one request.
type event struct {
	op             string
	loop           bool // sent by the loop of a busy client
	sent, received time.Time
	backend        string // the backend that answered
	setKey         string // the key of the session cookie the response set; "" if it set none
	chunks         int    // how many session cookies the response set
	replyKey       string // the key_id of the answer
}

// errLost marks an answer that shows the wrong session.
var errLost = errors.New("session lost")

func (c *client) fail(err error) {
	c.err = err
	c.lost = errors.Is(err, errLost)
	c.failed.Store(true)
}

// request sends a request through the proxy and returns its answer.
func (c *client) request(method, path string, query url.Values) (sessionReply, event, error) {
	ev := event{op: method + " " + path, loop: c.inLoop}
	if query != nil {
		path += "?" + query.Encode()
		ev.op += "?" + query.Encode()
	}
	var r sessionReply
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		return r, ev, err
	}
	ev.sent = time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return r, ev, fmt.Errorf("%s: %w", ev.op, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ev.received = time.Now()
	if err != nil {
		return r, ev, fmt.Errorf("%s: %w", ev.op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return r, ev, fmt.Errorf("%s: %s: %s", ev.op, resp.Status, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			continue // a chunk expired
		}
		if ck.Name == "session" {
			id, err := sealedKeyID(ck.Value)
			if err != nil {
				return r, ev, fmt.Errorf("%s: cookie %s: %w", ev.op, ck.Name, err)
			}
			ev.setKey = id.String()
		}
		if ck.Name == "session" || strings.HasPrefix(ck.Name, "session.") {
			ev.chunks++
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, ev, fmt.Errorf("%s: answer %q: %w", ev.op, body, err)
	}
	ev.backend, ev.replyKey = r.Backend, r.KeyID
	c.events = append(c.events, ev)
	return r, ev, nil
}

// check compares the session in an answer with what the client stored.
func (c *client) check(op string, r sessionReply) error {
	type view struct {
		New     bool
		User    string
		Values  map[string]string
		Ballast int
	}
	want := view{User: c.user, Values: c.values, Ballast: c.ballast}
	got := view{New: r.Session.New, User: r.Session.User, Values: r.Session.Values, Ballast: r.Session.Ballast}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		return fmt.Errorf("%w: %s answered by %s with key %q, load error %q (-want +got):\n%s",
			errLost, op, r.Backend, r.KeyID, r.Session.LoadError, d)
	}
	return nil
}

// write stores key=value and checks the answer.
func (c *client) write(key, value string) error {
	c.values[key] = value
	r, ev, err := c.request("POST", "/session", url.Values{"key": {key}, "value": {value}})
	if err != nil {
		return err
	}
	return c.check(ev.op, r)
}

// read reads the session and checks it.
func (c *client) read() (event, error) {
	r, ev, err := c.request("GET", "/session", nil)
	if err != nil {
		return ev, err
	}
	return ev, c.check(ev.op, r)
}

// setUp logs the client in, stores a value and, if grow, splits the
// session over two cookies.
func (c *client) setUp(grow bool) error {
	r, ev, err := c.request("POST", "/login", url.Values{"user": {c.user}})
	if err != nil {
		return err
	}
	if r.Session.User != c.user || ev.setKey == "" {
		return fmt.Errorf("%s: answered %+v, set a cookie under %q", ev.op, r, ev.setKey)
	}
	if err := c.write("k0", c.name+"-0"); err != nil {
		return err
	}
	if grow {
		c.ballast = growBytes
		r, ev, err := c.request("POST", "/grow", url.Values{"bytes": {fmt.Sprint(growBytes)}})
		if err != nil {
			return err
		}
		if err := c.check(ev.op, r); err != nil {
			return err
		}
		if ev.chunks != 2 {
			return fmt.Errorf("%s: the response set %d session cookies, want 2", ev.op, ev.chunks)
		}
	}
	_, err = c.read()
	return err
}

// loop writes and reads the session until stop is closed or something
// goes wrong. Each round writes one of three keys and reads it all back.
func (c *client) loop(stop <-chan struct{}) {
	c.inLoop = true
	defer func() { c.inLoop = false }()
	for i := 1; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if err := c.write(fmt.Sprintf("k%d", i%3), fmt.Sprintf("%s-%d", c.name, i)); err != nil {
			c.fail(err)
			return
		}
		if _, err := c.read(); err != nil {
			c.fail(err)
			return
		}
		c.rounds.Add(1)
	}
}

// comeBackResealed reads a session sealed under a retired key: it must
// open, and the response must re-seal it, every chunk, under newID.
func (c *client) comeBackResealed(newID string) error {
	ev, err := c.read()
	if err != nil {
		c.fail(err)
		return nil // counted with the lost sessions
	}
	want := 1
	if c.ballast > 0 {
		want = 2
	}
	if ev.setKey != newID || ev.replyKey != newID || ev.chunks != want {
		return fmt.Errorf("client %s, first request while the old key is retired: %d cookies under %q, key_id %q; want %d under %s",
			c.name, ev.chunks, ev.setKey, ev.replyKey, want, newID)
	}
	// The re-sealed session opens on the next backend, and needs no
	// further re-seal.
	ev, err = c.read()
	if err != nil {
		c.fail(err)
		return nil
	}
	if ev.setKey != "" || ev.replyKey != newID {
		return fmt.Errorf("client %s, second request after the re-seal: set a cookie under %q, key_id %q; want none, and %s",
			c.name, ev.setKey, ev.replyKey, newID)
	}
	return nil
}

// comeBackRevoked reads a session sealed under a revoked key: the client
// must get a fresh session that says why, and can log in again.
func (c *client) comeBackRevoked(newID string) error {
	r, ev, err := c.request("GET", "/session", nil)
	if err != nil {
		return err
	}
	if !r.Session.New || r.Session.User != "" || len(r.Session.Values) != 0 || r.KeyID != "" ||
		!strings.Contains(r.Session.LoadError, "revoked") {
		return fmt.Errorf("client %s, first request once the old key is revoked: %s answered %+v, want a fresh session refused as revoked",
			c.name, ev.op, r)
	}
	c.values, c.ballast = map[string]string{}, 0
	if err := c.setUp(false); err != nil {
		return fmt.Errorf("client %s, logging in again: %w", c.name, err)
	}
	if k := c.cookieKeyOrErr(); k != newID {
		return fmt.Errorf("client %s logged in again under %q, want %s", c.name, k, newID)
	}
	return nil
}

// cookieKey returns the key of the session cookie the client holds.
func (c *client) cookieKey(t *testing.T) string {
	t.Helper()
	k := c.cookieKeyOrErr()
	if strings.HasPrefix(k, "error") {
		t.Fatalf("client %s: %s", c.name, k)
	}
	return k
}

func (c *client) cookieKeyOrErr() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "session" {
			id, err := sealedKeyID(ck.Value)
			if err != nil {
				return "error: " + err.Error()
			}
			return id.String()
		}
	}
	return "error: no session cookie"
}

// sealedKeyID reads the key id from the first cookie of a session: the
// value is "~" and the base64url encoding, without padding, of a header
// whose bytes 3 to 6 are the key id, big-endian (see FORMAT.md).
func sealedKeyID(value string) (cookiesession.KeyID, error) {
	if len(value) < 13 || value[0] != '~' {
		return 0, fmt.Errorf("value %.20q… is not a sealed value", value)
	}
	var header [9]byte
	if _, err := base64.RawURLEncoding.Decode(header[:], []byte(value[1:13])); err != nil {
		return 0, fmt.Errorf("value %.20q…: %w", value, err)
	}
	return cookiesession.KeyID(binary.BigEndian.Uint32(header[3:7])), nil
}

// waitRounds waits until every busy client that is still going has
// completed n more rounds than now. A round begun before now may count as
// the first, so at least n-1 of them began after.
func waitRounds(t *testing.T, cs []*client, n int64, what string) {
	t.Helper()
	start := make([]int64, len(cs))
	for i, c := range cs {
		start[i] = c.rounds.Load()
	}
	waitUntil(t, waitTimeout, "rounds of "+what, func() (bool, string) {
		for i, c := range cs {
			if !c.failed.Load() && c.rounds.Load() < start[i]+n {
				return false, fmt.Sprintf("client %s did %d of %d rounds", c.name, c.rounds.Load()-start[i], n)
			}
		}
		return true, ""
	})
}

// waitUntil calls cond until it reports true, or fails the test after
// timeout with the last status cond gave.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %s", timeout.Round(time.Millisecond), what, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keysReply is a backend's answer on /keys.
type keysReply struct {
	Backend string `json:"backend"`
	Primary string `json:"primary"`
	Keys    []struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Status string `json:"status"`
	} `json:"keys"`
}

func (kr keysReply) status(id string) string {
	for _, k := range kr.Keys {
		if k.ID == id {
			return k.Status
		}
	}
	return "absent"
}

// waitBackends waits until every backend's keyring passes ok.
func waitBackends(t *testing.T, hc *http.Client, backends []*backendProcess, timeout time.Duration, what string, ok func(keysReply) bool) {
	t.Helper()
	waitUntil(t, timeout, "every backend "+what, func() (bool, string) {
		for _, b := range backends {
			var kr keysReply
			getJSON(t, hc, b.url+"keys", &kr)
			if !ok(kr) {
				return false, fmt.Sprintf("backend %s lists %+v", b.id, kr)
			}
		}
		return true, ""
	})
}

func getJSON(t *testing.T, hc *http.Client, u string, v any) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s %v", u, resp.Status, body, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %q: %v", u, body, err)
	}
}

// forEach calls fn for every client at once, and fails the test with the
// errors it returns.
func forEach(t *testing.T, cs []*client, fn func(int, *client) error) {
	t.Helper()
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// buildPrograms builds this example and the cookiesession command into
// dir, with the race detector if the test runs with it.
func buildPrograms(t *testing.T, dir string) (cluster, cli string) {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/cookiesession/cookiesession/examples/cluster", "github.com/cookiesession/cookiesession/cmd/cookiesession")
	// go test puts the go command that runs it first on PATH.
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return filepath.Join(bin, "cluster"+exe), filepath.Join(bin, "cookiesession"+exe)
}

// runCommand runs a program to completion and returns its standard
// output; it fails the test if the program fails.
func runCommand(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func submatch(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("output %q does not match %s", s, pattern)
	}
	return m[1]
}

// backendProcess is a backend started with -backend-only.
type backendProcess struct {
	id, url string
	*program
}

// startBackend starts a backend on a free port and waits for it to print
// its URL.
func startBackend(t *testing.T, bin, id, keys string) (*backendProcess, error) {
	p, err := startProgram(t, "backend "+id, bin, "",
		"-backend-only", "-id", id, "-listen", "127.0.0.1:0", "-keyring", keys, "-reload", reloadInterval)
	if err != nil {
		return nil, err
	}
	m, err := p.waitLine(regexp.MustCompile(`^backend `+regexp.QuoteMeta(id)+` on (http://\S+/)$`), waitTimeout)
	if err != nil {
		return nil, err
	}
	return &backendProcess{id: id, url: m[1], program: p}, nil
}

// stopBackends asks every backend to stop at once, and checks that each
// shuts down cleanly.
func stopBackends(t *testing.T, backends []*backendProcess) {
	t.Helper()
	var wg sync.WaitGroup
	for _, b := range backends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.stop(t)
		}()
	}
	wg.Wait()
}
