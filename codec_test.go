package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// outcomes lists every error a value's opening may match; each failure
// must match exactly one.
var outcomes = []error{
	ErrMalformed, ErrTampered, ErrUnknownKey, ErrRevokedKey, ErrExpired,
	ErrNotYetValid, ErrTooLarge, ErrUnsupportedVersion, ErrIncomplete,
	ErrAbsent, ErrRejected,
}

func outcome(t testing.TB, err error) error {
	t.Helper()
	if err == nil {
		return nil
	}
	var found error
	for _, o := range outcomes {
		if errors.Is(err, o) {
			if found != nil {
				t.Fatalf("error %q matches both %q and %q", err, found, o)
			}
			found = o
		}
	}
	if found == nil {
		t.Fatalf("error %q matches none of the package's outcomes", err)
	}
	return found
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func testRing(t testing.TB) *Keyring {
	t.Helper()
	r, err := ParseKeyring([]byte(validKeyring))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testCodec(t testing.TB, keys KeySource, cfg CodecConfig) (*Codec, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	c, err := NewCodec(keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

type profile struct {
	UserID int64
	Name   string
	Roles  []string
	Big    uint64
	Seen   time.Time
}

func TestCodecRoundTrip(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{Purpose: "session"})
	in := profile{UserID: -7, Name: "Ada", Roles: []string{"admin"}, Big: math.MaxUint64, Seen: t0.Add(123456789 * time.Nanosecond)}
	v, err := c.Encode("sid", in)
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != '~' {
		t.Fatalf("value %q does not start with the marker", v)
	}
	if strings.ContainsAny(v, "=+/") {
		t.Fatalf("value %q is not unpadded base64url", v)
	}
	var out profile
	h, err := c.Open("sid", v, &out)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	want := Header{KeyID: 0x0a, IssuedAt: t0, Expires: t0.Add(24 * time.Hour), Chunks: 1}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	// Untyped destinations keep every bit of integers too.
	var m map[string]any
	if err := c.Decode("sid", v, &m); err != nil {
		t.Fatal(err)
	}
	if m["UserID"] != int64(-7) {
		t.Errorf("UserID decoded as %#v", m["UserID"])
	}
}

func TestCodecBindsNameAndPurpose(t *testing.T) {
	ring := testRing(t)
	c, _ := testCodec(t, ring, CodecConfig{Purpose: "session"})
	other, _ := testCodec(t, ring, CodecConfig{Purpose: "csrf"})
	none, _ := testCodec(t, ring, CodecConfig{})
	v, err := c.Encode("sid", "x")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, tc := range []struct {
		name  string
		codec *Codec
		as    string
	}{
		{"other cookie name", c, "sid2"},
		{"name as chunk", c, "sid.1"},
		{"other purpose", other, "sid"},
		{"no purpose", none, "sid"},
		// Without length prefixes these two would give the same bytes.
		{"name and purpose shifted", none, "sidsession"},
	} {
		if err := tc.codec.Decode(tc.as, v, &s); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: err = %v, want ErrTampered", tc.name, err)
		}
	}
}

// rawOf decodes a value to its bytes, and valueOf encodes them back.
func rawOf(t testing.TB, v string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(v[1:])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func valueOf(raw []byte) string { return "~" + base64.RawURLEncoding.EncodeToString(raw) }

func TestCodecEveryBitFlip(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	v, err := c.Encode("sid", profile{UserID: 1, Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	raw := rawOf(t, v)
	for i := range raw {
		for bit := range 8 {
			mut := bytes.Clone(raw)
			mut[i] ^= 1 << bit
			var out profile
			err := c.Decode("sid", valueOf(mut), &out)
			// What each field's corruption is reported as; all but the
			// routing fields (version, flags, chunk count, key id) are
			// caught by the tag alone.
			var want error
			switch {
			case i <= 1:
				want = ErrUnsupportedVersion
			case i == 2 && mut[2] == 0:
				want = ErrMalformed
			case i == 2:
				want = ErrIncomplete
			case i < 7:
				want = ErrUnknownKey
				if id := KeyID(binary.BigEndian.Uint32(mut[3:7])); id == 0x0b || id == 0x0c {
					want = ErrTampered // another key of the ring: opens with the wrong key
				} else if id == 0x0d {
					want = ErrRevokedKey
				}
			default:
				want = ErrTampered
			}
			if got := outcome(t, err); got != want {
				t.Errorf("byte %d bit %d: err = %v, want %v", i, bit, err, want)
			}
		}
	}
	// Flipping bits of the text itself: whatever the reason, never accepted.
	for i := range len(v) * 8 {
		mut := []byte(v)
		mut[i/8] ^= 1 << (i % 8)
		var out profile
		if err := c.Decode("sid", string(mut), &out); outcome(t, err) == nil {
			t.Fatalf("flipping bit %d of the text was accepted", i)
		}
	}
}

func TestCodecTruncationAndTrailingBytes(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	v, err := c.Encode("sid", profile{UserID: 1, Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	minLen := 1 + base64.RawURLEncoding.EncodedLen(Overhead)
	for n := range len(v) {
		var out profile
		err := c.Decode("sid", v[:n], &out)
		got := outcome(t, err)
		// A cut that leaves stray bits in the last character is not
		// canonical base64; any other cut fails authentication.
		want := ErrTampered
		if _, err := base64.RawURLEncoding.Strict().DecodeString(v[1:max(n, 1)]); err != nil || n < minLen {
			want = ErrMalformed
		}
		if got != want {
			t.Errorf("truncated to %d: err = %v, want %v", n, err, want)
		}
	}
	for _, extra := range []string{"A", "AA", "AAA", "AAAA", "=", "~", " "} {
		var out profile
		if err := c.Decode("sid", v+extra, &out); outcome(t, err) == nil {
			t.Errorf("trailing %q accepted", extra)
		}
	}
}

func TestCodecNonCanonicalBase64(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	// Find a value whose last character carries unused bits, then set them.
	for i := range 3 {
		v, err := c.Encode("sid", strings.Repeat("a", i))
		if err != nil {
			t.Fatal(err)
		}
		if (len(v)-1)%4 == 0 {
			continue // no unused bits
		}
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", v[len(v)-1])
		alt := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1]
		if alt == v[len(v)-1] {
			t.Fatalf("last character %q already has its low bit set", v[len(v)-1])
		}
		var s string
		if err := c.Decode("sid", v[:len(v)-1]+string(alt), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("non-canonical last character: err = %v, want ErrMalformed", err)
		}
		return
	}
	t.Fatal("no value with unused bits")
}

func TestCodecDistinctNonces(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	seen := make(map[string]bool, n)
	for range n {
		v, err := c.Encode("sid", "same")
		if err != nil {
			t.Fatal(err)
		}
		nonce := string(rawOf(t, v)[headerSize : headerSize+nonceSize])
		if seen[nonce] {
			t.Fatalf("nonce repeated after %d seals", len(seen))
		}
		seen[nonce] = true
	}
}

func TestCodecFailingRandom(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	c.rand = failingReader{}
	v, err := c.Encode("sid", "x")
	if err == nil || v != "" || !strings.Contains(err.Error(), "entropy source failed") {
		t.Fatalf("Encode = %q, %v; want an error from the random source", v, err)
	}
	// A short read is a failure too, never a partly zero nonce.
	c.rand = bytes.NewReader(make([]byte, nonceSize-1))
	if _, err := c.Encode("sid", "x"); err == nil {
		t.Fatal("Encode with a short random read succeeded")
	}
}

func TestCodecTime(t *testing.T) {
	c, clk := testCodec(t, testRing(t), CodecConfig{MaxAge: time.Hour, ClockSkew: time.Minute})
	v, err := c.Encode("sid", "x")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, tc := range []struct {
		at   time.Duration
		want error
	}{
		{0, nil},
		{time.Hour - time.Second, nil},
		{time.Hour, nil}, // within the skew
		{time.Hour + time.Minute - time.Second, nil}, // the last second of the skew
		{time.Hour + time.Minute, ErrExpired},
		{-time.Minute, nil}, // a server whose clock is a minute behind
		{-time.Minute - time.Second, ErrNotYetValid},
	} {
		clk.now = t0.Add(tc.at)
		if err := c.Decode("sid", v, &s); outcome(t, err) != tc.want {
			t.Errorf("at %v: err = %v, want %v", tc.at, err, tc.want)
		}
	}

	// An expired value authenticated: its header comes with the error.
	clk.now = t0.Add(2 * time.Hour)
	if h, err := c.Open("sid", v, &s); !errors.Is(err, ErrExpired) || !h.Expires.Equal(t0.Add(time.Hour)) || h.KeyID != 0x0a {
		t.Errorf("expired: header %+v, err %v", h, err)
	}

	noSkew, clk2 := testCodec(t, testRing(t), CodecConfig{MaxAge: time.Hour, ClockSkew: -1})
	v, _ = noSkew.Encode("sid", "x")
	clk2.now = t0.Add(time.Hour)
	if err := noSkew.Decode("sid", v, &s); !errors.Is(err, ErrExpired) {
		t.Errorf("no skew, at expiry: err = %v, want ErrExpired", err)
	}
}

func TestCodecKeys(t *testing.T) {
	ring := testRing(t)
	c, clk := testCodec(t, ring, CodecConfig{MaxAge: 365 * 24 * time.Hour})
	sealedBy := func(id KeyID) string {
		t.Helper()
		// Seal under a ring where only this key is active and primary.
		var keys []Key
		for _, k := range ring.Keys() {
			if k.ID == id {
				k.State, k.ActivatesAt, k.RetireAfter = KeyActive, k.Created, time.Time{}
				keys = append(keys, k)
			}
		}
		r, err := buildKeyring(keys, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := testCodec(t, r, CodecConfig{MaxAge: 365 * 24 * time.Hour})
		v, err := sc.Encode("sid", "x")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var s string
	for _, tc := range []struct {
		name string
		id   KeyID
		now  time.Time
		want error
	}{
		{"primary", 0x0a, t0, nil},
		{"pending", 0x0b, t0, nil},
		{"retired before its retire-after", 0x0c, t0, nil},
		{"retired after its retire-after", 0x0c, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ErrRevokedKey},
		{"revoked", 0x0d, t0, ErrRevokedKey},
	} {
		clk.now = tc.now
		err := c.Decode("sid", sealedBy(tc.id), &s)
		if outcome(t, err) != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		var ke *KeyError
		if tc.want != nil && (!errors.As(err, &ke) || ke.ID != tc.id) {
			t.Errorf("%s: err = %#v, want a *KeyError for %v", tc.name, err, tc.id)
		}
	}

	// A key missing from the ring: unknown, and no other key is tried.
	other, _ := NewKeyring(t0)
	oc, _ := testCodec(t, other, CodecConfig{})
	v, _ := oc.Encode("sid", "x")
	clk.now = t0
	var ke *KeyError
	if err := c.Decode("sid", v, &s); !errors.Is(err, ErrUnknownKey) || !errors.As(err, &ke) || ke.ID != other.Keys()[0].ID {
		t.Errorf("unknown key: err = %v", err)
	}

	// Sealing always uses the primary, whatever opened the value.
	for _, now := range []time.Time{t0, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)} {
		clk.now = now
		v, err := c.Encode("sid", "x")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := ring.Primary(now)
		if h, err := c.Open("sid", v, &s); err != nil || h.KeyID != p.ID {
			t.Errorf("at %v sealed with %v (err %v), want the primary %v", now, h.KeyID, err, p.ID)
		}
	}
	// No primary yet: sealing fails rather than use a pending key.
	clk.now = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if _, err := c.Encode("sid", "x"); !errors.Is(err, ErrNoPrimaryKey) {
		t.Errorf("no primary: err = %v", err)
	}
}

func TestCodecTooLarge(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{MaxLength: 200})
	_, err := c.Encode("sid", strings.Repeat("a", 200))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 200 || tl.Size <= 200 {
		t.Fatalf("Encode: err = %v, want a *TooLargeError", err)
	}
	var s string
	if err := c.Decode("sid", "~"+strings.Repeat("A", 300), &s); !errors.As(err, &tl) || tl.Size != 301 {
		t.Fatalf("Decode: err = %v, want a *TooLargeError", err)
	}
	// The largest value that fits is accepted at exactly the limit.
	for n := 0; ; n++ {
		v, err := c.Encode("sid", strings.Repeat("a", n))
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatal(err)
			}
			break
		}
		if len(v) > 200 {
			t.Fatalf("value of %d bytes passed a limit of 200", len(v))
		}
		if err := c.Decode("sid", v, &s); err != nil || len(s) != n {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
}

func TestCodecValueLength(t *testing.T) {
	// At most 64 bytes of overhead before base64: value length is at most
	// ⌈4/3·(payload+64)⌉, marker included.
	c, _ := testCodec(t, testRing(t), CodecConfig{MaxLength: 1 << 20})
	for _, n := range []int{0, 1, 2, 3, 64, 511, 512, 3000, 16384} {
		payload, _ := CBOR{}.Serialize(bytes.Repeat([]byte{'x'}, n))
		v, err := c.Encode("sid", bytes.Repeat([]byte{'x'}, n))
		if err != nil {
			t.Fatal(err)
		}
		if limit := (4*(len(payload)+64) + 2) / 3; len(v) > limit {
			t.Errorf("payload %d: value %d bytes, limit %d", len(payload), len(v), limit)
		}
	}
}

func TestCodecConfigValidation(t *testing.T) {
	ring := testRing(t)
	for _, cfg := range []CodecConfig{
		{MaxAge: time.Millisecond},
		{MaxAge: -time.Hour},
		{MaxAge: math.MaxInt64},
		{MaxLength: 10},
		{MaxLength: 2 << 20},
		{Purpose: strings.Repeat("p", 1025)},
	} {
		if _, err := NewCodec(ring, cfg); err == nil {
			t.Errorf("NewCodec(%+v) succeeded", cfg)
		}
	}
	if _, err := NewCodec(nil, CodecConfig{}); err == nil {
		t.Error("NewCodec(nil) succeeded")
	}
}

func TestCodecPayloadMismatch(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	v, _ := c.Encode("sid", "a string")
	var p profile
	if err := c.Decode("sid", v, &p); !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}

func TestCodecKeyUsage(t *testing.T) {
	ring := testRing(t)
	c, clk := testCodec(t, ring, CodecConfig{})
	v, _ := c.Encode("sid", "x")
	var s string
	for range 3 {
		c.Decode("sid", v, &s)
	}
	c.Decode("sid", v+"A", &s) // a failure counts for nothing
	clk.now = t0.Add(time.Minute)
	c.Decode("sid", v, &s)
	want := []KeyUsage{{ID: 0x0a, Opened: 4, LastSeen: t0.Add(time.Minute)}}
	if d := cmp.Diff(want, c.KeyUsage()); d != "" {
		t.Errorf("usage (-want +got):\n%s", d)
	}

	// Past key b's activation, values of both keys in turn: each counts
	// for its own key, whichever counted last.
	clk.now = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	vb, _ := c.Encode("sid", "y")
	for _, v := range []string{vb, v, vb, vb, v, vb} {
		if err := c.Decode("sid", v, &s); err != nil {
			t.Fatal(err)
		}
	}
	want = []KeyUsage{{ID: 0x0a, Opened: 6, LastSeen: clk.now}, {ID: 0x0b, Opened: 4, LastSeen: clk.now}}
	if d := cmp.Diff(want, c.KeyUsage()); d != "" {
		t.Errorf("usage of two keys (-want +got):\n%s", d)
	}
}

// TestGorillaCookieStore plugs the codec into gorilla/sessions.
func TestGorillaCookieStore(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	store := &sessions.CookieStore{
		Codecs:  []securecookie.Codec{c},
		Options: &sessions.Options{Path: "/", MaxAge: 3600, HttpOnly: true},
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	s, err := store.Get(req, "sid")
	if err != nil || !s.IsNew {
		t.Fatalf("fresh session: %v, new=%v", err, s.IsNew)
	}
	s.Values["user"] = "ada"
	s.Values["visits"] = 3
	if err := s.Save(req, rec); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if cookie.Name != "sid" || cookie.Value[0] != '~' {
		t.Fatalf("cookie %q=%q", cookie.Name, cookie.Value)
	}

	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	s, err = store.Get(req, "sid")
	if err != nil || s.IsNew {
		t.Fatalf("reloaded session: %v, new=%v", err, s.IsNew)
	}
	want := map[any]any{"user": "ada", "visits": int64(3)}
	if d := cmp.Diff(want, s.Values); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}

	// A tampered cookie gives gorilla a fresh session and our error.
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sid", Value: otherChar(cookie.Value, len(cookie.Value)/2)})
	s, err = store.Get(req, "sid")
	// gorilla wraps codec errors in a MultiError, which does not unwrap.
	var me securecookie.MultiError
	if !s.IsNew || !errors.As(err, &me) || len(me) != 1 || !errors.Is(me[0], ErrTampered) {
		t.Errorf("tampered: new=%v err=%v", s.IsNew, err)
	}
}

func TestCodecRefusesLineBreaks(t *testing.T) {
	// Go's base64 decoder skips CR and LF; the value must not.
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	v, _ := c.Encode("sid", "x")
	var s string
	for _, mut := range []string{v[:20] + "\r\n" + v[20:], v[:20] + "\n" + v[20:], v + "\r"} {
		if err := c.Decode("sid", mut, &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) = %v, want ErrMalformed", mut, err)
		}
	}
}

func TestCodecFarFutureIssuedAt(t *testing.T) {
	// An authentic value issued at the end of int64 time is not yet valid;
	// converting it to a time.Time first would overflow into the past.
	ring := testRing(t)
	c, _ := testCodec(t, ring, CodecConfig{})
	for _, iat := range []int64{math.MaxInt64, math.MaxInt64 - 100, t0.Unix() + 120} {
		v, _ := c.Encode("sid", "x")
		raw := rawOf(t, v)
		aead := ring.aeads[ring.index(0x0a)]
		ad := appendAD(nil, raw[:headerSize], "sid", "")
		plain, err := aead.Open(nil, raw[headerSize:headerSize+nonceSize], raw[headerSize+nonceSize:], ad)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint64(raw[7:15], uint64(iat))
		ad = appendAD(nil, raw[:headerSize], "sid", "")
		raw = aead.Seal(raw[:headerSize+nonceSize], raw[headerSize:headerSize+nonceSize], plain, ad)
		var s string
		if err := c.Decode("sid", valueOf(raw), &s); !errors.Is(err, ErrNotYetValid) {
			t.Errorf("issued at %d: err = %v, want ErrNotYetValid", iat, err)
		}
	}
}

// TestCodecLongNameIsTheCallersMistake checks that a cookie name longer
// than any cookie is refused, opening and sealing alike, with an error of
// no outcome class: it says nothing about the value (FORMAT.md).
func TestCodecLongNameIsTheCallersMistake(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	var s string
	long := strings.Repeat("n", maxNameLen+1)
	_, encErr := c.Encode(long, "x")
	for _, err := range []error{c.Decode(long, "~AQAB", &s), encErr} {
		if err == nil || !strings.Contains(err.Error(), "cookie name is 4097 bytes") {
			t.Fatalf("err = %v, want the name's length", err)
		}
		for _, o := range []error{ErrAbsent, ErrMalformed, ErrTampered, ErrUnknownKey, ErrRevokedKey, ErrExpired,
			ErrNotYetValid, ErrTooLarge, ErrUnsupportedVersion, ErrIncomplete} {
			if errors.Is(err, o) {
				t.Errorf("err = %v matches %v", err, o)
			}
		}
	}
}

// TestAtOrAfter holds atOrAfter to time.Time's own arithmetic where that
// does not wrap, at every deadline ±1 ns around random times and
// durations of both signs, and checks that a deadline beyond int64
// seconds counts as reached.
func TestAtOrAfter(t *testing.T) {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	zone := time.FixedZone("", 5*3600+1800)
	durations := []time.Duration{0, 1, time.Second - 1, time.Second, time.Second + 1, 90 * time.Minute, 24*time.Hour + 7, -1, -time.Second, -time.Second - 1, -time.Minute + 3}
	for i := range 2000 {
		sec := base.Unix() + int64(i*7919%100000) - 50000
		for _, d := range durations {
			deadline := time.Unix(sec, 0).Add(d)
			for _, off := range []time.Duration{-time.Second, -1, 0, 1, time.Second} {
				for _, now := range []time.Time{deadline.Add(off), deadline.Add(off).In(zone), time.Now().Add(deadline.Add(off).Sub(time.Now()))} {
					want := !now.Before(deadline)
					if got := atOrAfter(now, sec, d); got != want {
						t.Fatalf("atOrAfter(%v, %d, %v) = %v, want %v", now, sec, d, got, want)
					}
				}
			}
		}
	}
	now := base
	for _, c := range []struct {
		sec  int64
		d    time.Duration
		want bool
	}{
		{math.MaxInt64, 0, false},
		{math.MaxInt64, time.Hour, true},
		{math.MaxInt64 - 10, time.Minute, true},
		{math.MaxInt64 - 60, time.Minute, false},
		{math.MinInt64, 0, true},
		{math.MinInt64, -time.Hour, true},
		{math.MinInt64 + 10, -time.Minute, true},
	} {
		if got := atOrAfter(now, c.sec, c.d); got != c.want {
			t.Errorf("atOrAfter(now, %d, %v) = %v, want %v", c.sec, c.d, got, c.want)
		}
	}
}

// TestUnixAdd holds unixAdd to time.Time's Add, for times with and
// without a monotonic reading, in two zones, before and after 1970, and
// durations of every sign with and without a part of a second; and to
// its ends of int64.
func TestUnixAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	zone := time.FixedZone("", -(9*3600 + 1800))
	durations := []time.Duration{0, 1, -1, time.Second - 1, time.Second, time.Second + 1, -time.Second + 1, -time.Second, -time.Second - 1,
		time.Minute, 7 * 24 * time.Hour, MaxLifetime, math.MaxInt64, math.MinInt64}
	for range 20000 {
		d := durations[rng.IntN(len(durations))]
		if rng.IntN(2) == 0 {
			d = time.Duration(rng.Int64N(int64(2*MaxLifetime))) - MaxLifetime
		}
		var at time.Time
		switch rng.IntN(4) {
		case 0: // a monotonic reading, as time.Now gives
			at = time.Now().Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
		case 1:
			at = time.Unix(rng.Int64N(1<<40)-1<<39, rng.Int64N(int64(time.Second))).In(zone)
		default:
			at = time.Unix(t0.Unix()+rng.Int64N(1<<20)-1<<19, rng.Int64N(int64(time.Second)))
		}
		want := at.Add(d)
		sec, nsec := unixAdd(at, d)
		if sec != want.Unix() || nsec != int64(want.Nanosecond()) {
			t.Fatalf("unixAdd(%v, %v) = %d s %d ns, want %d s %d ns", at, d, sec, nsec, want.Unix(), want.Nanosecond())
		}
	}
	for _, c := range []struct {
		at        time.Time
		d         time.Duration
		sec, nsec int64
	}{
		{time.Unix(math.MaxInt64-10, 0), time.Minute, math.MaxInt64, 999999999},
		{time.Unix(math.MaxInt64-60, 5), time.Minute, math.MaxInt64, 5},
		{time.Unix(math.MaxInt64, 999999999), 1, math.MaxInt64, 999999999},
		{time.Unix(math.MaxInt64, 5), math.MaxInt64, math.MaxInt64, 999999999},
		{time.Unix(math.MinInt64+10, 0), -time.Minute, math.MinInt64, 0},
		{time.Unix(math.MinInt64+60, 7), -time.Minute, math.MinInt64, 7},
		{time.Unix(math.MinInt64, 0), -1, math.MinInt64, 0},
		{time.Unix(math.MinInt64, 5), math.MinInt64, math.MinInt64, 0},
	} {
		if sec, nsec := unixAdd(c.at, c.d); sec != c.sec || nsec != c.nsec {
			t.Errorf("unixAdd(%d s %d ns, %v) = %d s %d ns, want %d s %d ns", c.at.Unix(), c.at.Nanosecond(), c.d, sec, nsec, c.sec, c.nsec)
		}
	}
}

// TestPutBufferLeavesNoPlaintext: a buffer that an encoding used holds no
// byte of it once putBuffer is done, in its contents or in its spare
// capacity, where a struct's map head made shorter (fewer fields written
// than it has, 24 or more) leaves copies of the encoding's last bytes:
// the fast path's, nested, and fxamacker/cbor's (for a type the fast path
// leaves to it, here for its map with integer keys).
func TestPutBufferLeavesNoPlaintext(t *testing.T) {
	wide := func(last reflect.Type) reflect.Type {
		fields := make([]reflect.StructField, 24)
		for i := range fields {
			fields[i] = reflect.StructField{Name: fmt.Sprintf("F%02d", i), Type: reflect.TypeFor[string](), Tag: `cbor:",omitempty"`}
		}
		if last != nil {
			fields = append(fields, reflect.StructField{Name: "Last", Type: last})
		}
		return reflect.StructOf(fields)
	}
	secret := func(v reflect.Value) { v.Field(23).SetString("secret-token-Z") }
	fast := reflect.New(wide(nil)).Elem()
	secret(fast)
	inner := wide(nil)
	nested := reflect.New(wide(inner)).Elem()
	secret(nested)
	secret(nested.Field(24))
	slow := reflect.New(wide(reflect.TypeFor[map[int]string]())).Elem()
	secret(slow)
	slow.Field(24).Set(reflect.ValueOf(map[int]string{1: "secret-token-Y"}))
	for _, c := range []struct {
		name     string
		v        any
		fastPath bool
	}{{"fast path", fast.Addr().Interface(), true}, {"fast path, nested", nested.Addr().Interface(), true}, {"fxamacker/cbor", slow.Addr().Interface(), false}} {
		t.Run(c.name, func(t *testing.T) {
			// Larger than the pool keeps, so that no one else takes it
			// while it is looked at.
			b := new(bytes.Buffer)
			b.Grow(2*maxMaxLength + 1)
			if took := cborFastEncode(new(bytes.Buffer), c.v); took != c.fastPath {
				t.Fatalf("fast path took it: %v, want %v", took, c.fastPath)
			}
			if err := (CBOR{}).serializeTo(b, c.v); err != nil {
				t.Fatal(err)
			}
			whole := b.Bytes()[:cap(b.Bytes())]
			if !bytes.Contains(b.Bytes(), []byte("secret-token-Z")) {
				t.Fatal("the encoding does not hold the secret")
			}
			putBuffer(b)
			if i := bytes.IndexFunc(whole, func(r rune) bool { return r != 0 }); i >= 0 {
				t.Errorf("after putBuffer, byte %d of the buffer is %q", i, whole[i])
			}
		})
	}
}
