package cookiesession

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// epochCases are the contents of a tag 1, in a map {"t": 1(content)}:
// whether Go's decoders must read it as a time.
var epochCases = []struct {
	name    string
	content string // hex of the tag's content
	fits    bool
}{
	{"zero", "00", true},
	{"an integer", "1a 5f5e1000", true},
	{"a negative integer", "3a 5f5e0fff", true},
	{"a half 1.5", "f9 3e00", true},
	{"the largest half", "f9 7bff", true},
	{"a double with a fraction", "fb 41d7d78400800000", true},
	{"2^62 seconds", "1b 4000000000000000", true},
	{"-2^62 seconds", "3b 3fffffffffffffff", true},
	{"2^62 as a double", "fb 43d0000000000000", true},
	{"2^62+1 seconds", "1b 4000000000000001", false},
	{"-2^62-1 seconds", "3b 4000000000000000", false},
	{"2^63-1 seconds", "1b 7fffffffffffffff", false},
	{"-2^63 seconds", "3b 7fffffffffffffff", false},
	{"a half NaN", "f9 7e00", false},
	{"a half infinity", "f9 7c00", false},
	{"a half -infinity", "f9 fc00", false},
	{"a single NaN", "fa 7fc00000", false},
	{"a single infinity", "fa 7f800000", false},
	{"a single 2^63", "fa 5f000000", false},
	{"a double NaN with a payload", "fb 7ff8000000000001", false},
	{"a double -infinity", "fb fff0000000000000", false},
	{"2^63 as a double", "fb 43e0000000000000", false},
	{"-2^63 as a double", "fb c3e0000000000000", false},
}

// epochMap is {"t": tag(content)} with the tag's head as given.
func epochMap(tagHead, content string) []byte {
	return fastCat(fastHex("a1 61 74"), fastHex(tagHead), fastHex(content))
}

// TestCBOREpochTimesGoCannotHoldAreRefused checks that a tag 1 whose
// content is NaN, an infinity or more seconds than time.Time holds is
// refused, into a time and into an any alike, rather than read as the
// zero time (NaN, the infinities) or as a date that wrapped around
// (2^63 as a double opened in the year 292,277,026,596), and that every
// other tag 1 is read as before: the same time as time.Unix gives.
func TestCBOREpochTimesGoCannotHoldAreRefused(t *testing.T) {
	for _, c := range epochCases {
		// The tag's head in its short form and in a long one, which
		// encoders need not avoid.
		for _, head := range []string{"c1", "d8 01", "db 0000000000000001"} {
			in := epochMap(head, c.content)
			var tm struct {
				T time.Time `cbor:"t"`
			}
			var m map[string]any
			var p struct {
				T *time.Time `cbor:"t"`
			}
			errs := []error{CBOR{}.Deserialize(in, &tm), CBOR{}.Deserialize(in, &m), CBOR{}.Deserialize(in, &p)}
			for i, err := range errs {
				if c.fits && err != nil {
					t.Errorf("%s (%s), destination %d: %v, want it read", c.name, head, i, err)
				}
				if !c.fits && err == nil {
					t.Errorf("%s (%s), destination %d: read as %v / %v / %v, want it refused", c.name, head, i, tm.T, m["t"], p.T)
				}
			}
			if c.fits && errs[0] == nil {
				var sec int64
				var frac float64
				if err := cbor.Unmarshal(fastHex(c.content), &frac); err == nil && frac != float64(int64(frac)) {
					continue // a fraction: its nanoseconds are fxamacker/cbor's rounding
				}
				if err := cbor.Unmarshal(fastHex(c.content), &sec); err == nil && !tm.T.Equal(time.Unix(sec, 0)) {
					t.Errorf("%s: read as %v, want %v", c.name, tm.T, time.Unix(sec, 0))
				}
			}
		}
	}
	// Deeper in the value, beside other tags, and as the second of two.
	nested := fastHex("a2 61 61 82 c2 41 01 c1 00 61 62 81 c1 f9 7e00")
	var m map[string]any
	if err := (CBOR{}).Deserialize(nested, &m); !errors.Is(err, errEpochTime) {
		t.Errorf("a NaN time in a list after a good one: %v, want errEpochTime", err)
	}
	// A tag 1 around a tag: the inner tag is the content, and a tag 1
	// inside it still counts.
	var x any
	if err := (CBOR{}).Deserialize(fastHex("c1 c1 f9 7e00"), &x); err == nil {
		t.Error("a NaN time inside a tag 1: read, want refused")
	}
}

// TestLoadRefusesEpochTimeGoCannotHold checks that a session whose
// payload holds such a time opens as a fresh one with a DecodeError that
// says why and quotes nothing, and that its cookie is left in place, as
// for any payload of a type the application does not read.
func TestLoadRefusesEpochTimeGoCannotHold(t *testing.T) {
	ring := testRing(t)
	c, _ := testCodec(t, ring, CodecConfig{Serializer: rawSerializer{}, MaxAge: 7 * 24 * time.Hour})
	typed, _ := newStore(t, ring, Config[struct{ At time.Time }]{Logger: slog.New(slog.DiscardHandler)})
	untyped, _ := newStore(t, ring, Config[map[string]any]{Logger: slog.New(slog.DiscardHandler)})
	for _, content := range []any{math.NaN(), math.Inf(-1), uint64(1 << 63), int64(-1 << 63)} {
		env := map[int]any{1: make([]byte, sessionIDLen), 2: t0.Unix(),
			3: map[string]any{"At": cbor.Tag{Number: 1, Content: content}, "secret-name": "tok_live_secret"}}
		b, err := cbor.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		r := requestCarrying(t, c, typed.Name(), b)
		s1, err1 := typed.Load(r)
		s2, err2 := untyped.Load(r)
		for i, err := range []error{err1, err2} {
			var de *DecodeError
			if !errors.As(err, &de) || !strings.Contains(de.Problem, "whose content Go reads as no time") ||
				strings.Contains(err.Error(), "tok_live") || strings.Contains(err.Error(), "secret-name") {
				t.Errorf("%v, store %d: err %v, want a DecodeError about the time, quoting nothing", content, i, err)
			}
		}
		if !s1.fresh || !s2.fresh || s1.dead || s2.dead {
			t.Errorf("%v: fresh %v %v, dead %v %v; want fresh sessions, the cookie left in place",
				content, s1.fresh, s2.fresh, s1.dead, s2.dead)
		}
	}
}

// TestCheckPayloadOnAnyInput checks that the walk never panics and ends
// on any bytes, well-formed or not, and on heads that claim far more items
// than the input holds.
func TestCheckPayloadOnAnyInput(t *testing.T) {
	for _, in := range [][]byte{
		nil, {}, fastHex("9b ffffffffffffffff"), fastHex("bb 7fffffffffffffff"), fastHex("bb ffffffffffffffff"),
		fastHex("5b ffffffffffffffff"), fastHex("c1"), fastHex("c1 fb 00"), fastHex("1f"), fastHex("9f 01 ff"),
	} {
		if _, err := checkPayload(in); err == nil {
			t.Errorf("% x: no error", in)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		_, _ = checkPayload(b) // must return
	}
}

// TestCBORCheckOneCoversSkippedParts checks that FORMAT.md's check 1
// holds in the parts of a payload that the destination has no field for,
// which fxamacker/cbor skips without looking: a typed session opens a
// payload only if a generic reader would call it valid.
func TestCBORCheckOneCoversSkippedParts(t *testing.T) {
	type known struct {
		A int `cbor:"a"`
	}
	// {"a": 1, "z": <z>}
	withZ := func(z string) []byte { return fastCat(fastHex("a2 61 61 01 61 7a"), fastHex(z)) }
	for _, c := range []struct {
		name string
		z    string
		ok   bool
	}{
		{"a map of other keys", "a2 61 6b 01 61 6a 02", true},
		{"a tagged key beside the same text", "a2 d903e8 61 6b 01 61 6b 02", true},
		{"an integer key beside its digits", "a2 01 01 61 31 02", true},
		{"-1 beside 0", "a2 20 01 00 02", true},
		{"tag 1000 around anything", "d903e8 a0", true},
		{"a text key twice", "a2 61 6b 01 61 6b 02", false},
		{"a text key twice, once in a long head", "a2 61 6b 01 78 01 6b 02", false},
		{"an integer key twice", "a2 01 01 01 02", false},
		{"an integer key twice, once in a long head", "a2 18 18 01 19 0018 02", false},
		{"a key twice, deeper", "82 01 a1 61 78 a2 61 6b 01 61 6b 02", false},
		{"a key twice in a map that is a key", "a1 a2 61 6b 01 61 6b 02 00", false},
		{"tag 0 around an integer", "c0 01", false},
		{"tag 0 around a tag", "c0 d903e8 61 78", false},
		{"tag 1 around text", "c1 61 78", false},
		{"tag 1 around a bignum", "c1 c2 41 01", false},
		{"tag 2 around text", "c2 61 78", false},
		{"tag 3 around an integer", "c3 01", false},
		{"tag 1 around NaN", "c1 f9 7e00", false},
	} {
		in := withZ(c.z)
		var v known
		var m map[any]any
		for i, err := range []error{CBOR{}.Deserialize(in, &v), decodeCBOR(cborDiagOnce(), in, &m)} {
			if c.ok && err != nil {
				t.Errorf("%s, destination %d: %v, want it read", c.name, i, err)
			}
			if !c.ok && err == nil {
				t.Errorf("%s, destination %d: read, want it refused", c.name, i)
			}
		}
	}
	// Keys of other types, equal by the values they decode to (FORMAT.md:
	// whatever their encodings), as the Node.js package compares them.
	for _, c := range []struct {
		name string
		z    string
		ok   bool
	}{
		{"null twice", "a2 f6 00 f6 00", false},
		{"null and undefined", "a2 f6 00 f7 00", false},
		{"true twice", "a2 f5 00 f5 00", false},
		{"simple(32) twice", "a2 f820 00 f820 00", false},
		{"1.0 in half and in double precision", "a2 f93c00 00 fb3ff0000000000000 00", false},
		{"-0.0 and 0.0", "a2 f98000 00 f90000 00", false},
		{"a byte string twice", "a2 41 61 00 58 01 61 00", false},
		{"an empty array twice", "a2 80 00 80 00", false},
		{"[1] twice, once in a long head", "a2 81 01 00 81 18 01 00", false},
		{"one map in two orders", "a2 a2 61 61 01 61 62 02 00 a2 61 62 02 61 61 01 00", false},
		{"a tagged text twice", "a2 d903e8 61 61 00 d903e8 61 61 00", false},
		{"tag 100 in one byte and in two", "a2 d8 64 01 00 d9 0064 01 00", false},
		{"a bignum twice", "a2 c2 40 00 c2 40 00", false},
		{"a bignum with a leading zero byte", "a2 c2 41 01 00 c2 42 0001 00", false},
		{"two NaNs", "a2 f9 7e00 00 fb 7ff8000000000000 00", true},
		{"[NaN] twice", "a2 81 f97e00 00 81 f97e00 00", true},
		{"1.0 beside 1", "a2 f93c00 00 01 00", true},
		{"[1.0] beside [1]", "a2 81 f93c00 00 81 01 00", true},
		{"the bignum 1 beside 1", "a2 c2 41 01 00 01 00", true},
		{"the bignum -1 beside -1", "a2 c3 40 00 20 00", true},
		{"bignums 1 and -2", "a2 c2 41 01 00 c3 41 01 00", true},
		{"bytes beside text", "a2 41 61 00 61 61 00", true},
		{"false beside true", "a2 f4 00 f5 00", true},
		{"tags 100 and 101 around one value", "a2 d864 01 00 d865 01 00", true},
		{"tag 100 around two values", "a2 d864 01 00 d864 02 00", true},
		{"maps of other values", "a2 a1 61 61 01 00 a1 61 61 02 00", true},
	} {
		var v known
		err := CBOR{}.Deserialize(withZ(c.z), &v)
		if c.ok && err != nil {
			t.Errorf("keys %s: %v, want it read", c.name, err)
		}
		if !c.ok && !errors.Is(err, errPayloadRule) {
			t.Errorf("keys %s: %v, want errPayloadRule", c.name, err)
		}
	}
	// A map of 65536 pairs, the most allowed, in the skipped member:
	// sorted to find equal keys.
	many := vectorCBORMap(maxElements)
	var v known
	if err := (CBOR{}).Deserialize(fastCat(fastHex("a2 61 61 01 61 7a"), many), &v); err != nil || v.A != 1 {
		t.Errorf("a map of %d other keys: %v, %+v", maxElements, err, v)
	}
	// Its last key made equal to the one before it.
	dup := bytes.Clone(many)
	copy(dup[len(dup)-5:], dup[len(dup)-10:len(dup)-5])
	if err := (CBOR{}).Deserialize(fastCat(fastHex("a2 61 61 01 61 7a"), dup), &v); !errors.Is(err, errPayloadRule) {
		t.Errorf("a map of %d keys, two equal: %v, want errPayloadRule", maxElements, err)
	}
}

// TestLoadAppliesCheckOneToUnknownMembers checks that a session whose
// envelope carries a member this release does not know (as a later one
// might add) is opened only when that member is valid, as a generic
// reader would open it; and that such a session then opens.
func TestLoadAppliesCheckOneToUnknownMembers(t *testing.T) {
	ring := testRing(t)
	c, _ := testCodec(t, ring, CodecConfig{Serializer: rawSerializer{}, MaxAge: 7 * 24 * time.Hour})
	st, _ := newStore(t, ring, Config[struct{ A int }]{Logger: slog.New(slog.DiscardHandler)})
	for member, opens := range map[string]bool{
		"a2 61 6b 01 61 6a 02": true,
		"a2 61 6b 01 61 6b 02": false, // a key twice
		"c0 01":                false, // tag 0 around an integer
	} {
		// {1: id, 2: created, 3: {"A": 7}, 6: member}
		b := fastCat(fastHex("a4 01 50"), make([]byte, sessionIDLen), fastHex("02 1a"),
			[]byte{byte(t0.Unix() >> 24), byte(t0.Unix() >> 16), byte(t0.Unix() >> 8), byte(t0.Unix())},
			fastHex("03 a1 61 41 07 06"), fastHex(member))
		s, err := st.Load(requestCarrying(t, c, st.Name(), b))
		if opens && (err != nil || s.Get().A != 7) {
			t.Errorf("member %s: err %v, data %+v; want it opened", member, err, s.Get())
		}
		if !opens && (!errors.Is(err, ErrMalformed) || !s.fresh) {
			t.Errorf("member %s: err %v, fresh %v; want ErrMalformed and a fresh session", member, err, s.fresh)
		}
	}
}

// requestCarrying is a request whose session cookie, name, holds payload
// sealed as it is by c (a codec of rawSerializer): what a peer holding
// the keys may have written.
func requestCarrying(t *testing.T, c *Codec, name string, payload []byte) *http.Request {
	t.Helper()
	v, err := c.Encode(name, payload)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: name, Value: v})
	return r
}

// TestCBORUntaggedSecondsBeyondTimeAreRefused checks that an untagged
// number where a time.Time is read, which fxamacker/cbor reads as Unix
// seconds, is held to tag 1's bounds: -2^63, or 2^63 as a float, opened as
// a date in the year 292,277,026,596 before; 2^62 either way still opens,
// and a far number in a field of another type is no concern of times.
func TestCBORUntaggedSecondsBeyondTimeAreRefused(t *testing.T) {
	type timed struct {
		F float64                 `cbor:"f"`
		T time.Time               `cbor:"t"`
		P *time.Time              `cbor:"p"`
		L []struct{ T time.Time } `cbor:"l"`
		M map[string]time.Time    `cbor:"m"`
	}
	for _, c := range []struct {
		name, hex string
		ok        bool
	}{
		{"2^62 seconds", "a1 61 74 1b 4000000000000000", true},
		{"-2^62 seconds", "a1 61 74 3b 3fffffffffffffff", true},
		{"1.5 seconds", "a1 61 74 f9 3e00", true},
		{"a far float in a float field", "a2 61 66 fb 7fefffffffffffff 61 74 00", true},
		{"NaN in a float field", "a2 61 66 f9 7e00 61 74 00", true},
		{"-2^63 seconds", "a1 61 74 3b 7fffffffffffffff", false},
		{"2^63 as a double", "a1 61 74 fb 43e0000000000000", false},
		{"-2^63 as a double", "a1 61 74 fb c3e0000000000000", false},
		{"2^62+1 seconds", "a1 61 74 1b 4000000000000001", false},
		{"through a pointer", "a1 61 70 3b 7fffffffffffffff", false},
		{"in a slice of records", "a1 61 6c 82 a1 61 54 00 a1 61 54 3b 7fffffffffffffff", false},
		{"in a map", "a1 61 6d a1 61 6b 3b 7fffffffffffffff", false},
	} {
		var v timed
		err := CBOR{}.Deserialize(fastHex(c.hex), &v)
		if c.ok && err != nil {
			t.Errorf("%s: %v, want it read", c.name, err)
		}
		if !c.ok && !errors.Is(err, errEpochTime) {
			t.Errorf("%s: %v (T %v), want errEpochTime", c.name, err, v.T)
		}
	}
}
