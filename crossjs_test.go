package cookiesession_test

// The Node.js package in js/ against this one: its own tests (node --test,
// every golden vector among them), and values and sessions sealed on one
// side and opened on the other, in both directions. Without node or
// js/node_modules (npm ci in js/) these tests skip, except with CI=true.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// crossNode returns the node binary, or skips the test when node or the
// package's dependencies are missing, unless CI=true, where it fails.
func crossNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI installs them with npm ci in js/", what)
		}
		t.Skipf("%s (run npm ci in js/)", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "@noble", "ciphers")); err != nil {
		missing("js/node_modules is missing")
	}
	return node
}

// TestNodePackage runs the Node.js package's own tests.
func TestNodePackage(t *testing.T) {
	node := crossNode(t)
	cmd := exec.Command(node, "--test")
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test in js/: %v\n%s", err, out)
	}
	t.Logf("node --test in js/:\n%s", lastLines(out, 9))
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// crossResult is one operation's outcome in js/tools/cross.js.
type crossResult struct {
	Kind    string          `json:"kind"` // "ok" or the error's class
	Error   string          `json:"error"`
	Value   json.RawMessage `json:"value"`
	Data    json.RawMessage `json:"data"`
	Sealed  string          `json:"sealed"`
	ID      string          `json:"id"` // standard base64
	Created int64           `json:"created"`
	KeyID   string          `json:"keyId"`
	Chunks  int             `json:"chunks"`
	Header  struct {
		KeyID    string `json:"keyId"`
		IssuedAt int64  `json:"issuedAt"`
		Expires  int64  `json:"expires"`
		Chunks   int    `json:"chunks"`
	} `json:"header"`
	Keys    []string `json:"keys"`  // "id state", for a keyring
	Kinds   []string `json:"kinds"` // the class of each payload
	Cookies []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"cookies"`
	SetCookies []string              `json:"setCookies"` // the Set-Cookie lines of a sealed session
	Flashes    []cookiesession.Flash `json:"flashes"`
	Persistent *bool                 `json:"persistent"` // the session's cookie choice; null: none
}

// crossFlashes are the flashes the session cross tests carry: text of
// more than one byte per character, and an empty kind.
var crossFlashes = []cookiesession.Flash{{Kind: "info", Text: "Saved."}, {Kind: "", Text: "Wrong password ☃"}}

// runCross runs the operations in Node with the keyring file at path.
func runCross(t *testing.T, node, keyring string, ops []map[string]any) []crossResult {
	t.Helper()
	job, err := json.Marshal(map[string]any{"keyring": keyring, "ops": ops})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("js", "tools", "cross.js"))
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("js/tools/cross.js: %v\n%s", err, stderr.Bytes())
	}
	var res []crossResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("js/tools/cross.js wrote %q: %v", out, err)
	}
	if len(res) != len(ops) {
		t.Fatalf("%d results for %d operations", len(res), len(ops))
	}
	return res
}

// crossKeyring writes a new keyring file, mode 0600, and returns it with its path.
func crossKeyring(t *testing.T) (*cookiesession.Keyring, string) {
	t.Helper()
	ring, err := cookiesession.NewKeyring(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	return ring, path
}

// crossTag gives a decoded Go value the JSON form that js/tools/cross.js
// uses: integers beyond 2^53 as {"$bigint": digits}, byte strings as
// {"$bytes": base64}.
func crossTag(v any) any {
	const safe = 1<<53 - 1
	bigTag := func(b *big.Int) any {
		if b.IsInt64() && b.Int64() >= -safe && b.Int64() <= safe {
			return b.Int64()
		}
		return map[string]any{"$bigint": b.String()}
	}
	switch v := v.(type) {
	case int:
		return bigTag(big.NewInt(int64(v)))
	case int64:
		return bigTag(big.NewInt(v))
	case uint64:
		return bigTag(new(big.Int).SetUint64(v))
	case *big.Int:
		return bigTag(v)
	case json.Number:
		if b, ok := new(big.Int).SetString(string(v), 10); ok {
			return bigTag(b)
		}
		f, _ := v.Float64()
		return f
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(v)}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = crossTag(x)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = crossTag(x)
		}
		return out
	}
	return v
}

// crossJSON brings a tagged value, or the JSON Node wrote, to one form to compare.
func crossJSON(t *testing.T, v any) any {
	t.Helper()
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(crossTag(v)); err != nil {
			t.Fatal(err)
		}
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out
}

func crossData(withBytes bool) map[string]any {
	huge, _ := new(big.Int).SetString("1180591620717411303424", 10) // 2^70
	d := map[string]any{
		"user":   "ada",
		"uid":    int64(42),
		"neg":    int64(-7),
		"big":    uint64(1<<63 + 5),
		"ratio":  1.5,
		"ok":     true,
		"none":   nil,
		"utf8":   "héllo ☃",
		"roles":  []any{"admin", "dev"},
		"nested": map[string]any{"a": map[string]any{"b": []any{int64(1), "x"}}},
	}
	if withBytes {
		d["blob"] = []byte{0, 1, 2, 255}
		d["huge"] = huge
	}
	return d
}

func crossCookieHeader(t *testing.T, setCookies []*http.Cookie) string {
	t.Helper()
	parts := []string{"other=1"} // another cookie of the site, first
	for _, c := range setCookies {
		if c.MaxAge >= 0 {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// TestCrossGoToNode opens in Node what this package sealed.
func TestCrossGoToNode(t *testing.T) {
	node := crossNode(t)
	ring, path := crossKeyring(t)
	var ops []map[string]any
	var checks []func(crossResult)

	for _, ser := range []struct {
		name string
		s    cookiesession.Serializer
	}{{"cbor", cookiesession.CBOR{}}, {"json", cookiesession.JSON{}}} {
		codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{Purpose: "app.example.com", Serializer: ser.s})
		if err != nil {
			t.Fatal(err)
		}
		data := crossData(ser.name == "cbor")
		value, err := codec.Encode("sid", data)
		if err != nil {
			t.Fatal(err)
		}
		cfg := map[string]any{"purpose": "app.example.com", "serializer": ser.name}
		ops = append(ops, map[string]any{"op": "open", "name": "sid", "value": value, "codec": cfg})
		checks = append(checks, func(r crossResult) {
			if r.Kind != "ok" {
				t.Errorf("%s value: Node says %s: %s", ser.name, r.Kind, r.Error)
				return
			}
			if diff := cmp.Diff(crossJSON(t, data), crossJSON(t, r.Value)); diff != "" {
				t.Errorf("%s value (-sealed +opened in Node):\n%s", ser.name, diff)
			}
			p, _ := ring.Primary(time.Now())
			if r.Header.KeyID != p.ID.String() || r.Header.Chunks != 1 || r.Header.Expires-r.Header.IssuedAt != 86400 {
				t.Errorf("%s value: header %+v", ser.name, r.Header)
			}
		})
		// The same value under another purpose, and with a byte changed.
		other := map[string]any{"purpose": "other", "serializer": ser.name}
		i := len(value) / 2
		flipped := value[:i] + string("AB"[max(0, strings.IndexByte("AB", value[i]))^1]) + value[i+1:]
		for _, op := range []map[string]any{
			{"op": "open", "name": "sid", "value": value, "codec": other},
			{"op": "open", "name": "sid", "value": flipped, "codec": cfg},
		} {
			ops = append(ops, op)
			checks = append(checks, func(r crossResult) {
				if r.Kind != "tampered" {
					t.Errorf("%s value changed or misused: Node says %s, want tampered", ser.name, r.Kind)
				}
			})
		}
	}

	// Sessions as the store writes them: one cookie, two, and the most
	// chunks a store with 256-byte chunks allows.
	for _, tc := range []struct {
		name                 string
		chunkSize, maxSize   int
		fill                 int
		serializer           string
		minChunks, maxChunks int
		flashes              bool
		persistent           *bool // the session's cookie choice, if it makes one
	}{
		{name: "one cookie", fill: 100, serializer: "cbor", minChunks: 1, maxChunks: 1},
		{name: "one cookie, flashes, not persistent", fill: 100, serializer: "cbor", minChunks: 1, maxChunks: 1,
			flashes: true, persistent: new(bool)},
		{name: "two cookies", fill: 4000, serializer: "cbor", minChunks: 2, maxChunks: 2},
		{name: "two cookies, persistent", fill: 4000, serializer: "cbor", minChunks: 2, maxChunks: 2, persistent: crossTrue()},
		{name: "json, two cookies", fill: 3000, serializer: "json", minChunks: 2, maxChunks: 2},
		{name: "json, flashes, not persistent", fill: 10, serializer: "json", minChunks: 1, maxChunks: 1,
			flashes: true, persistent: new(bool)},
		{name: "many chunks", chunkSize: 256, maxSize: 49152, fill: 33000, serializer: "cbor", minChunks: 150, maxChunks: 193},
	} {
		store := crossStore(t, ring, tc.serializer, tc.chunkSize, tc.maxSize)
		req := httptest.NewRequest("GET", "https://app.example.localhost/", nil)
		s, _ := store.Load(req)
		data := crossData(false)
		data["fill"] = strings.Repeat("x", tc.fill)
		s.Set(data)
		if tc.flashes {
			for _, f := range crossFlashes {
				if err := s.AddFlash(f.Kind, f.Text); err != nil {
					t.Fatal(err)
				}
			}
		}
		if tc.persistent != nil {
			s.SetPersistent(*tc.persistent)
		}
		rec := httptest.NewRecorder()
		if err := store.Save(rec, req, s); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) < tc.minChunks || len(cookies) > tc.maxChunks {
			t.Fatalf("%s: %d cookies, want %d to %d", tc.name, len(cookies), tc.minChunks, tc.maxChunks)
		}
		id, err := base64.RawURLEncoding.DecodeString(s.ID())
		if err != nil {
			t.Fatal(err)
		}
		storeOpts := map[string]any{"name": "__Secure-session", "purpose": "web", "serializer": tc.serializer}
		if tc.chunkSize != 0 {
			storeOpts["chunkSize"], storeOpts["maxSize"] = tc.chunkSize, tc.maxSize
		}
		ops = append(ops, map[string]any{"op": "load", "store": storeOpts, "cookie": crossCookieHeader(t, cookies)})
		created := s.Created().Unix()
		checks = append(checks, func(r crossResult) {
			if r.Kind != "ok" {
				t.Errorf("%s: Node says %s: %s", tc.name, r.Kind, r.Error)
				return
			}
			if r.ID != base64.StdEncoding.EncodeToString(id) || r.Created != created || r.Chunks != len(cookies) {
				t.Errorf("%s: Node read id %s, created %d, %d chunks; want %x, %d, %d", tc.name, r.ID, r.Created, r.Chunks, id, created, len(cookies))
			}
			if diff := cmp.Diff(crossJSON(t, data), crossJSON(t, r.Data)); diff != "" {
				t.Errorf("%s (-Go session +read in Node):\n%s", tc.name, diff)
			}
			var wantFlashes []cookiesession.Flash
			if tc.flashes {
				wantFlashes = crossFlashes
			}
			if diff := cmp.Diff(wantFlashes, r.Flashes, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: flashes (-Go session +read in Node):\n%s", tc.name, diff)
			}
			if diff := cmp.Diff(tc.persistent, r.Persistent); diff != "" {
				t.Errorf("%s: cookie choice (-Go session +read in Node):\n%s", tc.name, diff)
			}
		})
		if len(cookies) > 1 {
			// Without its last chunk the session is incomplete in Node too.
			ops = append(ops, map[string]any{"op": "load", "store": storeOpts, "cookie": crossCookieHeader(t, cookies[:len(cookies)-1])})
			checks = append(checks, func(r crossResult) {
				if r.Kind != "incomplete" {
					t.Errorf("%s without its last chunk: Node says %s, want incomplete", tc.name, r.Kind)
				}
			})
		}
	}

	res := runCross(t, node, path, ops)
	for i, check := range checks {
		check(res[i])
	}
}

// TestCrossNodeToGo opens with this package what Node sealed.
func TestCrossNodeToGo(t *testing.T) {
	node := crossNode(t)
	ring, path := crossKeyring(t)
	type sealCase struct {
		ser  string
		data map[string]any
	}
	single := []sealCase{{"cbor", crossData(true)}, {"json", crossData(false)}}
	type sessionCase struct {
		name                 string
		ser                  string
		chunkSize, maxSize   int
		fill                 int
		minChunks, maxChunks int
		flashes              bool
		persistent           *bool
	}
	sessions := []sessionCase{
		{name: "one cookie", ser: "cbor", fill: 10, minChunks: 1, maxChunks: 1},
		{name: "one cookie, flashes, not persistent", ser: "cbor", fill: 10, minChunks: 1, maxChunks: 1,
			flashes: true, persistent: new(bool)},
		{name: "two cookies", ser: "cbor", fill: 4000, minChunks: 2, maxChunks: 2},
		{name: "two cookies, flashes, persistent", ser: "cbor", fill: 4000, minChunks: 2, maxChunks: 2,
			flashes: true, persistent: crossTrue()},
		{name: "json, two cookies", ser: "json", fill: 3000, minChunks: 2, maxChunks: 2},
		{name: "json, flashes, not persistent", ser: "json", fill: 10, minChunks: 1, maxChunks: 1,
			flashes: true, persistent: new(bool)},
		{name: "many chunks", ser: "cbor", chunkSize: 256, maxSize: 49152, fill: 33000, minChunks: 150, maxChunks: 193},
	}
	var ops []map[string]any
	for _, c := range single {
		ops = append(ops, map[string]any{"op": "seal", "name": "sid", "value": crossTag(c.data),
			"codec": map[string]any{"purpose": "api", "serializer": c.ser}})
	}
	datas := make([]map[string]any, len(sessions))
	for i, c := range sessions {
		datas[i] = crossData(false)
		datas[i]["fill"] = strings.Repeat("y", c.fill)
		opts := map[string]any{"name": "__Secure-session", "purpose": "web", "serializer": c.ser}
		if c.chunkSize != 0 {
			opts["chunkSize"], opts["maxSize"] = c.chunkSize, c.maxSize
		}
		op := map[string]any{"op": "sealSession", "store": opts, "data": crossTag(datas[i])}
		if c.flashes {
			op["flashes"] = crossFlashes
		}
		if c.persistent != nil {
			op["persistent"] = *c.persistent
		}
		ops = append(ops, op)
	}
	res := runCross(t, node, path, ops)

	for i, c := range single {
		r := res[i]
		if r.Kind != "ok" {
			t.Fatalf("%s: Node failed to seal: %s", c.ser, r.Error)
		}
		var ser cookiesession.Serializer = cookiesession.CBOR{}
		if c.ser == "json" {
			ser = cookiesession.JSON{}
		}
		codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{Purpose: "api", Serializer: ser})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		h, err := codec.Open("sid", r.Sealed, &got)
		if err != nil {
			t.Errorf("%s value sealed in Node: %v", c.ser, err)
			continue
		}
		if diff := cmp.Diff(crossJSON(t, c.data), crossJSON(t, got)); diff != "" {
			t.Errorf("%s value (-sealed in Node +opened in Go):\n%s", c.ser, diff)
		}
		if p, _ := ring.Primary(time.Now()); h.KeyID != p.ID || h.Expires.Sub(h.IssuedAt) != 24*time.Hour {
			t.Errorf("%s value: header %+v", c.ser, h)
		}
		// Opened as another cookie, it is tampered, here as in Node.
		if _, err := codec.Open("other", r.Sealed, &got); !errors.Is(err, cookiesession.ErrTampered) {
			t.Errorf("%s value opened as another cookie: %v, want ErrTampered", c.ser, err)
		}
	}

	for i, c := range sessions {
		r := res[len(single)+i]
		if r.Kind != "ok" {
			t.Fatalf("%s: Node failed to seal the session: %s", c.name, r.Error)
		}
		if len(r.Cookies) < c.minChunks || len(r.Cookies) > c.maxChunks {
			t.Errorf("%s: Node wrote %d cookies, want %d to %d", c.name, len(r.Cookies), c.minChunks, c.maxChunks)
		}
		store := crossStore(t, ring, c.ser, c.chunkSize, c.maxSize)
		header := []string{"theme=dark"}
		for _, ck := range r.Cookies {
			header = append(header, ck.Name+"="+ck.Value)
		}
		req := httptest.NewRequest("GET", "https://api.example.localhost/", nil)
		req.Header.Set("Cookie", strings.Join(header, "; "))
		s, err := store.Load(req)
		if err != nil {
			t.Errorf("%s: Go cannot load the session Node wrote: %v", c.name, err)
			continue
		}
		id, _ := base64.StdEncoding.DecodeString(r.ID)
		if s.ID() != base64.RawURLEncoding.EncodeToString(id) || s.Created().Unix() != r.Created {
			t.Errorf("%s: id %s created %v, want %x at %d", c.name, s.ID(), s.Created(), id, r.Created)
		}
		if diff := cmp.Diff(crossJSON(t, datas[i]), crossJSON(t, s.Get())); diff != "" {
			t.Errorf("%s (-sealed in Node +loaded in Go):\n%s", c.name, diff)
		}
		var wantFlashes []cookiesession.Flash
		if c.flashes {
			wantFlashes = crossFlashes
		}
		if diff := cmp.Diff(wantFlashes, s.Flashes(), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: flashes (-sealed in Node +loaded in Go):\n%s", c.name, diff)
		}
		// The store's default is persistent cookies; Node's Set-Cookie
		// lines carry a Max-Age exactly when Go's would.
		persistent := c.persistent == nil || *c.persistent
		if s.Persistent() != persistent {
			t.Errorf("%s: Go reads the cookie choice as %v, want %v", c.name, s.Persistent(), persistent)
		}
		if len(r.SetCookies) == 0 || strings.Contains(r.SetCookies[0], "Max-Age=") != persistent {
			t.Errorf("%s: Node's Set-Cookie lines %q, want a Max-Age: %v", c.name, r.SetCookies, persistent)
		}
	}
}

func crossTrue() *bool {
	b := true
	return &b
}

// TestCrossCBORLimits holds Node's CBOR reader to this package's on the
// limits FORMAT.md names: nesting, sizes, indefinite lengths, duplicate
// keys, trailing data, and the items that are and are not allowed.
func TestCrossCBORLimits(t *testing.T) {
	node := crossNode(t)
	_, path := crossKeyring(t)
	nest := func(n int, inner string) string { return strings.Repeat("81", n) + inner }
	cases := map[string]string{
		"32 levels":                    nest(32, "00"),
		"33 levels":                    nest(33, "00"),
		"32 levels of maps":            strings.Repeat("a16161", 32) + "00",
		"33 levels of maps":            strings.Repeat("a16161", 33) + "00",
		"a tag at level 32":            nest(32, "d86400"),
		"a tag in a tag at level 32":   nest(31, "d864d86400"),
		"a tag in a tag past 32":       nest(32, "d864d86400"),
		"65536 elements":               "9a00010000" + strings.Repeat("00", 65536),
		"65537 elements":               "9a00010001" + strings.Repeat("00", 65537),
		"65536 pairs":                  "ba00010000" + crossPairs(65536),
		"65537 pairs":                  "ba00010001" + crossPairs(65537),
		"indefinite array":             "9f00ff",
		"indefinite map":               "bf616100ff",
		"indefinite bytes":             "5f4100ff",
		"indefinite text":              "7f6161ff",
		"a break":                      "ff",
		"duplicate key":                "a2616101616102",
		"duplicate key, long form":     "a26161017801610a",
		"trailing data":                "0000",
		"empty":                        "",
		"truncated":                    "6261",
		"reserved additional info":     "1c",
		"reserved simple":              "fc",
		"simple value below 32 long":   "f818",
		"simple value 32":              "f820",
		"simple value 16":              "f0",
		"undefined":                    "f7",
		"NaN half":                     "f97e00",
		"float32":                      "fa3fc00000",
		"max uint64":                   "1bffffffffffffffff",
		"min negative":                 "3bffffffffffffffff",
		"bignum":                       "c249010000000000000000",
		"negative bignum":              "c349010000000000000000",
		"text not UTF-8":               "62c328",
		"non-shortest length":          "780161",
		"array of maps":                "82a0a0",
		"tag 55799":                    "d9d9f700",
		"unknown tag":                  "d86400",
		"length past the end":          "5bffffffffffffffff",
		"array length past the end":    "9bffffffffffffffff",
		"map with bytes keys, dup":     "a2410101410102",
		"float key and int key":        "a2f93c000101",
		"epoch time":                   "c11a5f5e1000",
		"tag 1 with text":              "c16161",
		"tag 2 with an integer":        "c200",
		"date-time with a number":      "c000",
		"uint64 beyond int64, negated": "3b8000000000000000",
	}
	var names []string
	var ops []map[string]any
	for name, h := range cases {
		names = append(names, name)
		ops = append(ops, map[string]any{"op": "cbor", "hex": h})
	}
	res := runCross(t, node, path, ops)
	for i, name := range names {
		b, err := hex.DecodeString(cases[name])
		if err != nil {
			t.Fatal(err)
		}
		var v any
		goErr := cookiesession.CBOR{}.Deserialize(b, &v)
		want := "ok"
		if goErr != nil {
			want = "malformed"
		}
		if res[i].Kind != want {
			t.Errorf("%s (%.40s): Node says %s (%s), Go says %s (%v)", name, cases[name], res[i].Kind, res[i].Error, want, goErr)
		}
	}
}

// crossPairs returns n map pairs with distinct text keys and null values.
func crossPairs(n int) string {
	var b strings.Builder
	for i := range n {
		k := fmt.Sprintf("%05d", i)
		b.WriteString("65" + hex.EncodeToString([]byte(k)) + "f6")
	}
	return b.String()
}

// TestCrossKeyringFiles holds Node's keyring reader to this package's:
// each file below is valid or breaks one rule, and both readers must say
// the same.
func TestCrossKeyringFiles(t *testing.T) {
	node := crossNode(t)
	_, path := crossKeyring(t)
	const secret = "c0XQN3LZLgIN8ZyiS1g+yP4jQpT9RDvMj/0Q0e1iMII="
	key := func(id string, more ...string) string {
		fields := []string{`"id":"` + id + `"`, `"state":"active"`, `"secret":"` + secret + `"`,
			`"created":"2025-05-01T00:00:00Z"`, `"activates_at":"2025-05-01T00:00:00Z"`}
		for _, m := range more {
			name, _, _ := strings.Cut(m, ":")
			replaced := false
			for i, f := range fields {
				if strings.HasPrefix(f, name+":") {
					fields[i], replaced = m, true
				}
			}
			if !replaced {
				fields = append(fields, m)
			}
		}
		return "{" + strings.Join(fields, ",") + "}"
	}
	file := func(keys ...string) string { return `{"version":1,"keys":[` + strings.Join(keys, ",") + `]}` }
	withTime := func(t string) string { return file(key("0000000a", `"created":"`+t+`"`)) }
	files := map[string]string{
		"valid":                    file(key("0000000a")),
		"valid, spaced":            " \n\t" + file(key("0000000a")) + "\r\n",
		"valid, deleted":           `{"version":1,"keys":[` + key("0000000a") + `],"deleted":["00000001"]}`,
		"valid, nulls":             `{"version":1,"keys":[` + key("0000000a", `"retire_after":null`) + `],"deleted":null}`,
		"valid, empty retire":      file(key("0000000a", `"retire_after":""`)),
		"valid, escaped name":      file(strings.Replace(key("0000000a"), `"state"`, `"\u0073tate"`, 1)),
		"valid, fraction":          withTime("2025-05-01T00:00:00.123456789Z"),
		"valid, offset":            withTime("2025-05-01T02:00:00+02:00"),
		"valid, retired":           file(key("0000000a"), key("0000000b", `"state":"retired"`, `"retire_after":"2025-07-01T00:00:00Z"`)),
		"valid, revoked":           file(key("0000000a"), key("0000000b", `"state":"revoked"`)),
		"empty":                    "",
		"not an object":            "[]",
		"two values":               file(key("0000000a")) + "{}",
		"BOM":                      "\ufeff" + file(key("0000000a")),
		"repeated member":          `{"version":1,"version":1,"keys":[` + key("0000000a") + `]}`,
		"repeated key member":      file(key("0000000a") + "," + key("0000000b", `"state":"active","state":"revoked"`)),
		"upper-case member":        file(strings.Replace(key("0000000a"), `"secret"`, `"Secret"`, 1)),
		"unknown member":           `{"version":1,"comment":"x","keys":[` + key("0000000a") + `]}`,
		"unknown key member":       file(key("0000000a", `"note":"x"`)),
		"too deep":                 `{"version":1,"keys":[` + key("0000000a") + `],"deleted":[[[[[[[["x"]]]]]]]]}`,
		"version 2":                `{"version":2,"keys":[` + key("0000000a") + `]}`,
		"version 1.0":              `{"version":1.0,"keys":[` + key("0000000a") + `]}`,
		"version 1e0":              `{"version":1e0,"keys":[` + key("0000000a") + `]}`,
		"version string":           `{"version":"1","keys":[` + key("0000000a") + `]}`,
		"no version":               `{"keys":[` + key("0000000a") + `]}`,
		"no keys":                  file(),
		"keys not an array":        `{"version":1,"keys":{}}`,
		"a key not an object":      file(`"x"`),
		"a null key":               file(key("0000000a"), "null"),
		"upper-case id":            file(key("0000000A")),
		"short id":                 file(key("0000000")),
		"unknown state":            file(key("0000000a", `"state":"primary"`)),
		"state a number":           file(key("0000000a", `"state":1`)),
		"short secret":             file(key("0000000a", `"secret":"AAAA"`)),
		"secret unpadded":          file(key("0000000a", `"secret":"`+strings.TrimSuffix(secret, "=")+`"`)),
		"secret URL-safe":          file(key("0000000a", `"secret":"`+strings.NewReplacer("+", "-", "/", "_").Replace(secret)+`"`)),
		"secret non-canonical":     file(key("0000000a", `"secret":"`+secret[:42]+"J="+`"`)),
		"no created":               file(key("0000000a", `"created":""`)),
		"no activates_at":          file(key("0000000a", `"activates_at":null`)),
		"lower-case z":             withTime("2025-05-01T00:00:00z"),
		"lower-case t":             withTime("2025-05-01t00:00:00Z"),
		"no offset":                withTime("2025-05-01T00:00:00"),
		"leap second":              withTime("2016-12-31T23:59:60Z"),
		"February 30":              withTime("2025-02-30T00:00:00Z"),
		"hour 24":                  withTime("2025-05-01T24:00:00Z"),
		"duplicate id":             file(key("0000000a"), key("0000000a")),
		"deleted id in use":        `{"version":1,"keys":[` + key("0000000a") + `],"deleted":["0000000a"]}`,
		"deleted id twice":         `{"version":1,"keys":[` + key("0000000a") + `],"deleted":["00000001","00000001"]}`,
		"bad deleted id":           `{"version":1,"keys":[` + key("0000000a") + `],"deleted":["0000001"]}`,
		"deleted number":           `{"version":1,"keys":[` + key("0000000a") + `],"deleted":[1]}`,
		"retired, no retire_after": file(key("0000000a"), key("0000000b", `"state":"retired"`)),
		"retire_after too early":   file(key("0000000a", `"retire_after":"2025-05-01T00:00:00Z"`)),
		"no active key":            file(key("0000000a", `"state":"revoked"`)),
		"ten fraction digits":      withTime("2025-05-01T00:00:00.0000000001Z"),
		"offset +24:00":            withTime("2025-05-01T00:00:00+24:00"),
		"offset +00:60":            withTime("2025-05-01T00:00:00+00:60"),
		"fraction with a comma":    withTime("2025-05-01T00:00:00,5Z"),
		"empty fraction":           withTime("2025-05-01T00:00:00.Z"),
		"offset without colon":     withTime("2025-05-01T00:00:00+0200"),
		"a space for T":            withTime("2025-05-01 00:00:00Z"),
		// Go's zero time, 0001-01-01T00:00:00Z, reads as a missing time.
		"created the zero time":      withTime("0001-01-01T00:00:00Z"),
		"activates_at the zero time": file(key("0000000a", `"activates_at":"0001-01-01T00:00:00Z"`)),
		"retire_after the zero time": file(key("0000000a", `"retire_after":"0001-01-01T00:00:00Z"`)),
	}
	var names []string
	var ops []map[string]any
	for name, text := range files {
		names = append(names, name)
		ops = append(ops, map[string]any{"op": "keyring", "text": text})
	}
	res := runCross(t, node, path, ops)
	for i, name := range names {
		_, goErr := cookiesession.ParseKeyring([]byte(files[name]))
		want := "ok"
		if goErr != nil {
			want = "invalid-keyring"
			if !errors.Is(goErr, cookiesession.ErrInvalidKeyring) {
				t.Errorf("%s: Go's error %v is not ErrInvalidKeyring", name, goErr)
			}
		}
		if res[i].Kind != want {
			t.Errorf("%s: Node says %s (%s), Go says %s (%v)", name, res[i].Kind, res[i].Error, want, goErr)
		}
		if strings.HasPrefix(name, "valid") && want != "ok" {
			t.Errorf("%s: Go refuses a file meant to be valid: %v", name, goErr)
		}
	}
}

// goClass names the error class of err, as the vectors' expect: does.
func goClass(err error) string {
	classes := []struct {
		err  error
		name string
	}{
		{cookiesession.ErrAbsent, "absent"}, {cookiesession.ErrMalformed, "malformed"},
		{cookiesession.ErrTampered, "tampered"}, {cookiesession.ErrUnknownKey, "unknown-key"},
		{cookiesession.ErrRevokedKey, "revoked-key"}, {cookiesession.ErrExpired, "expired"},
		{cookiesession.ErrNotYetValid, "not-yet-valid"}, {cookiesession.ErrTooLarge, "too-large"},
		{cookiesession.ErrUnsupportedVersion, "unsupported-version"}, {cookiesession.ErrIncomplete, "incomplete"},
	}
	if err == nil {
		return "ok"
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "unclassified: " + err.Error()
}

// TestCrossSessionEnvelopes holds Node's reading of the store's envelope
// to the Go store's: authentic payloads that are, or are not, a session,
// members 4 (flashes) and 5 (the cookie choice) among them. Where both
// open one, its flashes, cookie choice and created time must read alike.
func TestCrossSessionEnvelopes(t *testing.T) {
	node := crossNode(t)
	ring, path := crossKeyring(t)
	id := "50" + strings.Repeat("ab", 16) // a byte string of 16 bytes
	created := fmt.Sprintf("1a%08x", time.Now().Unix()-60)
	payloads := map[string]string{
		"a session":                   "a301" + id + "02" + created + "03a1617501",
		"keys in another order":       "a303f602" + created + "01" + id,
		"no data":                     "a201" + id + "02" + created,
		"an extra key":                "a401" + id + "02" + created + "03f60400",
		"created negative":            "a301" + id + "0238ff03f6",
		"no created":                  "a201" + id + "03f6",
		"created beyond int64":        "a301" + id + "021bffffffffffffffff03f6",
		"created a float":             "a301" + id + "02fb41d9ef6e4a00000003f6",
		"created a text":              "a301" + id + "02616103f6",
		"an id of 15 bytes":           "a3014f" + strings.Repeat("ab", 15) + "02" + created + "03f6",
		"an id of 17 bytes":           "a30151" + strings.Repeat("ab", 17) + "02" + created + "03f6",
		"an id of text":               "a30170" + strings.Repeat("61", 16) + "02" + created + "03f6",
		"an id null":                  "a301f602" + created + "03f6",
		"no id":                       "a202" + created + "03f6",
		"text keys":                   "a3626964" + id + "67637265617465640003f6",
		"an array":                    "83" + id + created[0:10] + "f6",
		"a number":                    "01",
		"a duplicate key":             "a401" + id + "02" + created + "03f603f6",
		"data nested 31 levels":       "a301" + id + "02" + created + "03" + strings.Repeat("81", 31) + "00",
		"data nested 32 levels":       "a301" + id + "02" + created + "03" + strings.Repeat("81", 32) + "00",
		"data with text not UTF-8":    "a301" + id + "02" + created + "0362c328",
		"trailing data":               "a301" + id + "02" + created + "03f600",
		"created long ago":            "a301" + id + "020003f6",
		"created a bignum":            "a301" + id + "02c2410103f6",
		"data a tag":                  "a301" + id + "02" + created + "03d86400",
		"data a map with a null key":  "a301" + id + "02" + created + "03a1f601",
		"data a map of maps":          "a301" + id + "02" + created + "03a16161a1616201",
		"data bytes":                  "a301" + id + "02" + created + "03420102",
		"data undefined":              "a301" + id + "02" + created + "03f7",
		"data a negative beyond":      "a301" + id + "02" + created + "033bffffffffffffffff",
		"data a simple value":         "a301" + id + "02" + created + "03f0",
		"data a date-time tag":        "a301" + id + "02" + created + "03c074323032352d30362d30315431323a30303a30305a",
		"data an epoch tag":           "a301" + id + "02" + created + "03c11a683c40c0",
		"data duplicate text keys":    "a301" + id + "02" + created + "03a2616101616102",
		"data an indefinite array":    "a301" + id + "02" + created + "039f00ff",
		"data 65537 elements":         "a301" + id + "02" + created + "039a00010001",
		"data a reserved simple":      "a301" + id + "02" + created + "03fc",
		"data a two-byte low simple":  "a301" + id + "02" + created + "03f818",
		"created a uint64 in int64":   "a301" + id + "021b000000006f00000003f6",
		"created an int beyond int64": "a301" + id + "023b800000000000000003f6",
		// Members 4 (flashes) and 5 (the cookie choice).
		"flashes":                       "a401" + id + "02" + created + "03f60482a20164696e666f0262686ba2016002616a",
		"flashes and a choice":          "a501" + id + "02" + created + "03f60481a2016161026162" + "05f4",
		"a choice, true":                "a401" + id + "02" + created + "03f605f5",
		"a choice, null":                "a401" + id + "02" + created + "03f605f6",
		"a choice, a number":            "a401" + id + "02" + created + "03f60501",
		"a choice, text":                "a401" + id + "02" + created + "03f6056474727565",
		"flashes null":                  "a401" + id + "02" + created + "03f604f6",
		"flashes empty":                 "a401" + id + "02" + created + "03f60480",
		"flashes not an array":          "a401" + id + "02" + created + "03f60401",
		"flashes a map":                 "a401" + id + "02" + created + "03f604a0",
		"a flash not a map":             "a401" + id + "02" + created + "03f6048101",
		"a flash null":                  "a401" + id + "02" + created + "03f60481f6",
		"a flash an array":              "a401" + id + "02" + created + "03f6048180",
		"a flash, kind a number":        "a401" + id + "02" + created + "03f60481a10101",
		"a flash, text bytes":           "a401" + id + "02" + created + "03f60481a1024161",
		"a flash, kind null":            "a401" + id + "02" + created + "03f60481a101f6",
		"a flash, an extra member":      "a401" + id + "02" + created + "03f60481a3016161026162030a",
		"a flash, text keys":            "a401" + id + "02" + created + "03f60481a1646b696e646161",
		"a flash, duplicate member":     "a401" + id + "02" + created + "03f60481a2016161016162",
		"member 6, unknown":             "a401" + id + "02" + created + "03f60600",
		"the id under a float key 1.0":  "a3f93c00" + id + "02" + created + "03f6",
		"created under key 2.0":         "a301" + id + "fa40000000" + created + "03f6",
		"the id under a bignum key 1":   "a3c24101" + id + "02" + created + "03f6",
		"member 1 twice, int and float": "a401" + id + "f93c00" + id + "02" + created + "03f6",
		"a flash under key 1.0":         "a401" + id + "02" + created + "03f60481a1f93c006161",
	}
	// The Go store decodes data into its type T; a map in an any (as here)
	// takes text keys only, while a typed field such as map[int]string takes
	// integers. Node's reader has no type and keeps any key, as a Map; Go's
	// answer for these is only logged.
	anyKeys := map[string]string{
		"data with an integer key": "a301" + id + "02" + created + "03a10101",
		"data with a float key":    "a301" + id + "02" + created + "03a1fb3ff800000000000001",
		"data with an array key":   "a301" + id + "02" + created + "03a1810101",
		"data with a bytes key":    "a301" + id + "02" + created + "03a1410101",
		"data with a bool key":     "a301" + id + "02" + created + "03a1f501",
		// Likewise a date-time tag whose text is not RFC 3339: a time or an
		// any refuses it, a string takes the text.
		"data a bad date-time tag": "a301" + id + "02" + created + "03c06161",
	}
	storeOpts := map[string]any{"name": "sess", "insecure": true, "purpose": "web"}
	goStore, err := cookiesession.NewStore(ring, cookiesession.Config[any]{Name: "sess", Insecure: true, Purpose: "web"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var ops []map[string]any
	for name, h := range payloads {
		names = append(names, name)
		ops = append(ops, map[string]any{"op": "loadRaw", "store": storeOpts, "hex": h})
	}
	for name, h := range anyKeys {
		names = append(names, name)
		ops = append(ops, map[string]any{"op": "loadRaw", "store": storeOpts, "hex": h})
	}
	// The same with the JSON serializer: an object of id (standard
	// base64), created and data.
	jsonOpts := map[string]any{"name": "sess", "insecure": true, "purpose": "web", "serializer": "json"}
	jsonStore, err := cookiesession.NewStore(ring, cookiesession.Config[any]{Name: "sess", Insecure: true, Purpose: "web", Serializer: cookiesession.JSON{}})
	if err != nil {
		t.Fatal(err)
	}
	b64id := `"q6urq6urq6urq6urq6urqw=="`
	now := fmt.Sprint(time.Now().Unix() - 60)
	jsonPayloads := map[string]string{
		"json: a session":              `{"id":` + b64id + `,"created":` + now + `,"data":{"u":1}}`,
		"json: created 1.0":            `{"id":` + b64id + `,"created":` + now + `.0,"data":null}`,
		"json: created 1e9":            `{"id":` + b64id + `,"created":1e9,"data":null}`,
		"json: created a string":       `{"id":` + b64id + `,"created":"` + now + `","data":null}`,
		"json: created beyond int64":   `{"id":` + b64id + `,"created":9223372036854775808,"data":null}`,
		"json: no created":             `{"id":` + b64id + `,"data":null}`,
		"json: an id of 15 bytes":      `{"id":"q6urq6urq6urq6urq6ur","created":` + now + `}`,
		"json: an id null":             `{"id":null,"created":` + now + `}`,
		"json: an id a number":         `{"id":1,"created":` + now + `}`,
		"json: an array":               `[1,2,3]`,
		"json: a second value":         `{"id":` + b64id + `,"created":` + now + `} {}`,
		"json: data nested 31 levels":  `{"id":` + b64id + `,"created":` + now + `,"data":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
		"json: data nested 32 levels":  `{"id":` + b64id + `,"created":` + now + `,"data":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
		"json: a duplicate name":       `{"id":` + b64id + `,"created":` + now + `,"data":1,"data":2}`,
		"json: whitespace around":      " \n" + `{"id":` + b64id + `,"created":` + now + `}` + "\n ",
		"json: flashes and a choice":   `{"id":` + b64id + `,"created":` + now + `,"data":1,"flashes":[{"kind":"info","text":"hi"}],"persistent":false}`,
		"json: a choice, true":         `{"id":` + b64id + `,"created":` + now + `,"persistent":true}`,
		"json: a choice, null":         `{"id":` + b64id + `,"created":` + now + `,"persistent":null}`,
		"json: a choice, a number":     `{"id":` + b64id + `,"created":` + now + `,"persistent":1}`,
		"json: a choice, text":         `{"id":` + b64id + `,"created":` + now + `,"persistent":"true"}`,
		"json: flashes null":           `{"id":` + b64id + `,"created":` + now + `,"flashes":null}`,
		"json: flashes not an array":   `{"id":` + b64id + `,"created":` + now + `,"flashes":{}}`,
		"json: a flash not an object":  `{"id":` + b64id + `,"created":` + now + `,"flashes":["x"]}`,
		"json: a flash null":           `{"id":` + b64id + `,"created":` + now + `,"flashes":[null]}`,
		"json: a flash, kind a number": `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":1}]}`,
		"json: a flash, extra member":  `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a","text":"b","at":3}]}`,
		// As Go's encoding/json reads them into the envelope: names folded,
		// every member in order, a repeated array decoding into the last.
		"json: names in upper case":     `{"ID":` + b64id + `,"CREATED":` + now + `,"Data":1,"FLASHES":[{"KIND":"a","Text":"b"}],"Persistent":false}`,
		"json: long s and Kelvin sign":  `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"\u212aind":"a"}],"per\u017fi\u017ftent":false}`,
		"json: other non-ASCII names":   `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"k\u0131nd":"a"}],"persistent\u0130":false}`,
		"json: flashes twice":           `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a"}],"flashes":[{"text":"b"}]}`,
		"json: flashes, stale elements": `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a"},{"kind":"b"},{"kind":"c"}],"flashes":[{"text":"x"}],"flashes":[null,{"text":"y"}]}`,
		"json: flashes emptied":         `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a"}],"flashes":[],"flashes":[{"text":"b"}]}`,
		"json: flashes nulled":          `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a"}],"flashes":null,"flashes":[{"text":"b"}]}`,
		"json: a flash's kind, null":    `{"id":` + b64id + `,"created":` + now + `,"flashes":[{"kind":"a","kind":null}]}`,
		"json: a choice, then null":     `{"id":` + b64id + `,"created":` + now + `,"persistent":false,"persistent":null}`,
		"json: created, then null":      `{"id":` + b64id + `,"created":` + now + `,"created":null}`,
		"json: id bad, then good":       `{"id":"x","ID":` + b64id + `,"created":` + now + `}`,
		"json: a choice bad, then good": `{"id":` + b64id + `,"created":` + now + `,"persistent":1,"persistent":true}`,
		"json: id, then null":           `{"id":` + b64id + `,"created":` + now + `,"id":null}`,
		"json: id, stray low bits":      `{"id":"q6urq6urq6urq6urq6urqx==","created":` + now + `}`,
		"json: id, escaped line breaks": `{"id":"q6urq6urq6ur\r\nq6urq6urqw==","created":` + now + `}`,
		"json: id, unpadded":            `{"id":"q6urq6urq6urq6urq6urqw","created":` + now + `}`,
		"json: id, URL alphabet":        `{"id":"q6urq6urq6urq6urq6urqw-_","created":` + now + `}`,
		"json: null":                    `null`,
		"json: an unknown member":       `{"id":` + b64id + `,"created":` + now + `,"later":[1]}`,
	}
	jsonStart := len(names)
	for name, p := range jsonPayloads {
		names = append(names, name)
		ops = append(ops, map[string]any{"op": "loadRaw", "store": jsonOpts, "hex": hex.EncodeToString([]byte(p))})
	}
	res := runCross(t, node, path, ops)
	seen := map[string]int{}
	for i, name := range names {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", "sess="+res[i].Sealed)
		st := goStore
		if i >= jsonStart {
			st = jsonStore
		}
		s, err := st.Load(req)
		got, want := res[i].Kind, goClass(err)
		if _, typed := anyKeys[name]; typed {
			if got != "ok" {
				t.Errorf("%s: Node says %s (%s), want ok", name, got, res[i].Error)
			}
			t.Logf("%s: Node opens it; Go's Store[any] says %s", name, want)
			seen["typed"]++
			continue
		}
		if got != want {
			t.Errorf("%s: Node says %s (%s), Go says %s (%v)", name, got, res[i].Error, want, err)
		}
		if got == "ok" && want == "ok" {
			// What the session holds besides its data, read alike.
			if diff := cmp.Diff(s.Flashes(), res[i].Flashes, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: flashes (-Go +Node):\n%s", name, diff)
			}
			if p := res[i].Persistent; p == nil && !s.Persistent() || p != nil && *p != s.Persistent() {
				t.Errorf("%s: Node reads the cookie choice as %v, Go as %v", name, p, s.Persistent())
			}
			if res[i].Created != s.Created().Unix() {
				t.Errorf("%s: Node reads created %d, Go %d", name, res[i].Created, s.Created().Unix())
			}
		}
		seen[want]++
	}
	// Both readers open the sessions, and refuse the rest for what they are.
	if seen["ok"] < 10 || seen["malformed"] < 20 || seen["expired"] < 2 {
		t.Errorf("outcomes %v: too few sessions open, or are refused as malformed or expired", seen)
	}
}

// TestCrossPayloadMutations holds Node's payload readers to Go's on many
// payloads made by changing valid ones at random (with a fixed seed, so
// every run tries the same): a byte changed, inserted or removed, a cut,
// a piece repeated. Both must accept the same ones.
func TestCrossPayloadMutations(t *testing.T) {
	node := crossNode(t)
	_, path := crossKeyring(t)
	rng := rand.New(rand.NewPCG(1, 2))
	// Structs and slices, not maps, so that each seed has one encoding.
	type inner struct {
		K []any `json:"k" cbor:"k"`
		L string
	}
	type seed struct {
		User  string   `json:"user" cbor:"user"`
		UID   int64    `json:"uid" cbor:"uid"`
		Big   uint64   `json:"big" cbor:"big"`
		Roles []string `json:"roles" cbor:"roles"`
		Blob  []byte   `json:"blob" cbor:"blob"`
		In    inner
		Ptr   *inner
	}
	s1 := seed{User: "ada", UID: -42, Big: 1<<63 + 5, Roles: []string{"a", "b"}, Blob: []byte{1, 2},
		In: inner{K: []any{int64(1), 2.5, "x", nil, true}, L: "é"}}
	seeds := map[string][]any{
		"cbor": {s1, []any{s1, inner{K: []any{[]any{[]any{}}}}}, []any{[]byte{0}, 1e300, -0.5, "\xff"}},
		"json": {s1, []any{s1, inner{K: []any{[]any{[]any{}}}}}, []any{"\x00\"\\", 1e300, -0.5, 12345678901234567890.0}},
	}
	for _, serName := range []string{"cbor", "json"} {
		var ser cookiesession.Serializer = cookiesession.CBOR{}
		if serName == "json" {
			ser = cookiesession.JSON{}
		}
		var inputs [][]byte
		for _, v := range seeds[serName] {
			b, err := ser.Serialize(v)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, b)
			for range 700 {
				inputs = append(inputs, crossMutate(rng, b, serName == "json"))
			}
		}
		hexes := make([]string, len(inputs))
		for i, b := range inputs {
			hexes[i] = hex.EncodeToString(b)
		}
		res := runCross(t, node, path, []map[string]any{{"op": "payloads", "serializer": serName, "hex": hexes}})
		if len(res[0].Kinds) != len(inputs) {
			t.Fatalf("%s: %d answers for %d payloads", serName, len(res[0].Kinds), len(inputs))
		}
		count := map[string]int{}
		for i, b := range inputs {
			var v any
			want := "ok"
			err := ser.Deserialize(b, &v)
			if err != nil {
				want = "malformed"
			}
			// What Go decides by the type it decodes into, Node, which has
			// none, does not: a map key that is not text (an any takes text
			// keys only, a typed field may take others), and the content of
			// a time tag (a time.Time or an any refuses a date-time text
			// that is not RFC 3339, or an epoch past int64; a string takes
			// it). Node keeps both; such payloads are counted apart.
			if got := res[0].Kinds[i]; got == "ok" && err != nil &&
				(strings.Contains(err.Error(), "into Go value of type string") || strings.Contains(err.Error(), "time.Time")) {
				count["typed"]++
				continue
			}
			count[want]++
			if got := res[0].Kinds[i]; got != want {
				t.Errorf("%s payload %x: Node says %s, Go says %s (%v)", serName, b, got, want, err)
			}
		}
		// The mutations must reach both outcomes, or they test little.
		if count["ok"] < 100 || count["malformed"] < 100 {
			t.Errorf("%s: %v: the mutations reach too few of one outcome", serName, count)
		}
		t.Logf("%s: %v", serName, count)
	}
}

// crossMutate returns b changed at random in one of a few ways. For JSON
// it prefers bytes that matter to its grammar.
func crossMutate(rng *rand.Rand, b []byte, isJSON bool) []byte {
	out := bytes.Clone(b)
	pick := func() byte {
		if isJSON {
			const grammar = "{}[]\",:0123456789.eE+-tfnul \\\t\n\x00\xff\xc3"
			return grammar[rng.IntN(len(grammar))]
		}
		return byte(rng.IntN(256))
	}
	for range 1 + rng.IntN(2) {
		if len(out) == 0 {
			out = append(out, pick())
			continue
		}
		i := rng.IntN(len(out))
		switch rng.IntN(5) {
		case 0:
			out[i] = pick()
		case 1:
			out = slices.Insert(out, i, pick())
		case 2:
			out = slices.Delete(out, i, i+1)
		case 3:
			out = out[:i]
		case 4:
			j := i + rng.IntN(len(out)-i)
			out = slices.Insert(out, j, out[i:j]...)
		}
	}
	return out
}

// crossStore is the store of the cross tests: the one the Node side seals
// for and opens from, with serializer "cbor" or "json".
func crossStore(t *testing.T, ring *cookiesession.Keyring, serializer string, chunkSize, maxSize int) *cookiesession.MapStore {
	t.Helper()
	var ser cookiesession.Serializer = cookiesession.CBOR{}
	if serializer == "json" {
		ser = cookiesession.JSON{}
	}
	store, err := cookiesession.NewStore(ring, cookiesession.Config[map[string]any]{
		Name: "__Secure-session", Domain: "example.localhost", Purpose: "web",
		ChunkSize: chunkSize, MaxSize: maxSize, Serializer: ser,
	})
	if err != nil {
		t.Fatal(err)
	}
	return store
}
