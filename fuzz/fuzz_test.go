// Package fuzz holds the fuzz targets of cookiesession's public API. Each
// target checks that hostile input never panics, never allocates beyond a
// bound proportional to its size, and fails only with one of the package's
// errors. Run one for longer with, for example:
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzLoad$' -fuzztime 10m
package fuzz

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

// outcomes are the errors the package may return for bad input.
var outcomes = []error{
	cookiesession.ErrAbsent, cookiesession.ErrMalformed, cookiesession.ErrTampered,
	cookiesession.ErrUnknownKey, cookiesession.ErrRevokedKey, cookiesession.ErrExpired,
	cookiesession.ErrNotYetValid, cookiesession.ErrTooLarge, cookiesession.ErrUnsupportedVersion,
	cookiesession.ErrIncomplete,
}

func checkOutcome(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, o := range outcomes {
		if errors.Is(err, o) {
			return
		}
	}
	t.Fatalf("error %q (%T) is none of the package's outcomes", err, err)
}

// bounded runs fn and fails if it allocated more than limit bytes.
func bounded(t *testing.T, limit uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > limit {
		t.Fatalf("allocated %d bytes, bound %d", n, limit)
	}
}

// The golden vectors' clock and keyring: every vector means what its
// expect line says at this time.
var vectorNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func vectorKeyring(t testing.TB) *cookiesession.Keyring {
	data, err := os.ReadFile("../testdata/vectors/keyring.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cookiesession.ParseKeyring(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// vectorValues returns the value of every golden vector.
func vectorValues(t testing.TB) []string {
	files, err := filepath.Glob("../testdata/vectors/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, value, _ := bytes.Cut(data, []byte("\n\n"))
		values = append(values, strings.TrimSuffix(string(value), "\n"))
	}
	return values
}

// seed adds the seeds and fails if there are none: an empty corpus would
// let a target pass while testing nothing.
func seed[T any](f *testing.F, seeds []T, add func(T)) {
	f.Helper()
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus")
	}
	for _, s := range seeds {
		add(s)
	}
}

// hostileValues are hand-made values aimed at the decoder's edges.
var hostileValues = []string{
	"", "~", "~A", "~AQ", "~AQA", "~AQAB", "~AQAAAA", "~AQD_", "~AgABAAAA", "~AQEBAAAA",
	"~" + strings.Repeat("A", 78), "~" + strings.Repeat("_", 79), "~" + strings.Repeat("A", 5000),
	"AQABAAAA", "~AQAB\r\nAAAA", "~AQAB====", "~AQAB+/+/", "~\x00\xff", "~~~~",
}

func FuzzOpen(f *testing.F) {
	seed(f, append(vectorValues(f), hostileValues...), func(v string) { f.Add(v, "session") })
	ring := vectorKeyring(f)
	codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{Now: func() time.Time { return vectorNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value, name string) {
		var dst map[string]any
		bounded(t, 64*uint64(len(value)+len(name))+1<<16, func() {
			_, err = codec.Open(name, value, &dst)
		})
		if len(name) > 4096 { // longer than any cookie: the caller's mistake, an error of no class
			if err == nil {
				t.Fatal("a name of more than 4096 bytes opened a value")
			}
			return
		}
		checkOutcome(t, err)
	})
}

// hostileHeaders are Cookie headers aimed at the chunk scanner.
var hostileHeaders = []string{
	"", ";", "=", "session", "session=", "session=~", "=session=~AQAB", "session.1=x",
	"session=~AQAC; session.1=", "session=~AQAC; session.1=x; session.1=y; session.2=z",
	"session=~AQD_", "session.2147483648=x", "session.01=x", "session.-1=x", "Session=x",
	strings.Repeat("session.1=x; ", 500), strings.Repeat("session=~AQAB; ", 100),
	`session="~AQAB"`, "session=~AQAB;session=~AQAB;;;  ;session.1=\t",
}

func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, v := range vectorValues(f) {
		seeds = append(seeds, "session="+v, "other=1; session="+v+"; session="+v)
	}
	seed(f, append(seeds, hostileHeaders...), func(h string) { f.Add(h) })
	store, err := cookiesession.NewStore(vectorKeyring(f), cookiesession.Config[map[string]any]{
		Name: "session", Insecure: true, ChunkSize: 512, MaxSize: 8192,
		Now: func() time.Time { return vectorNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cookieHeader string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookieHeader)
		var s *cookiesession.Session[map[string]any]
		bounded(t, 64*uint64(len(cookieHeader))+1<<16, func() {
			s, err = store.Load(r)
		})
		checkOutcome(t, err)
		if err != nil && (!s.IsNew() || len(s.Get()) != 0) {
			t.Fatalf("a failed load gave a session with %v", s.Get())
		}
		// Whatever came in, the session can be changed and saved.
		s.Update(func(m *map[string]any) { (*m)["k"] = "v" })
		if err := store.Save(httptest.NewRecorder(), r, s); err != nil {
			t.Fatalf("Save after a hostile request: %v", err)
		}
	})
}

func FuzzParseKeyring(f *testing.F) {
	valid, err := os.ReadFile("../testdata/vectors/keyring.json")
	if err != nil {
		f.Fatal(err)
	}
	seed(f, [][]byte{
		valid, valid[:len(valid)/2], []byte(`{}`), []byte(`{"version":1,"keys":[]}`), []byte(`null`),
		[]byte(`{"version":1,"keys":[{"id":"00000001"}]}`), bytes.Repeat([]byte("["), 10000),
		[]byte(`{"version":1,"version":2}`), []byte(`{"VERSION":1}`), []byte("\xef\xbb\xbf{}"),
	}, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		var ring *cookiesession.Keyring
		bounded(t, 64*uint64(len(data))+1<<16, func() {
			ring, err = cookiesession.ParseKeyring(data)
		})
		if err != nil {
			if !errors.Is(err, cookiesession.ErrInvalidKeyring) {
				t.Fatalf("error %q is not ErrInvalidKeyring", err)
			}
			return
		}
		// A keyring that parses marshals to a file that parses to it.
		out, err := ring.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := cookiesession.ParseKeyring(out)
		if err != nil {
			t.Fatalf("re-parsing the marshalled keyring: %v", err)
		}
		if d := cmp.Diff(ring.Keys(), again.Keys(), cmp.Comparer(func(a, b cookiesession.Key) bool {
			return a.ID == b.ID && a.State == b.State && a.Created.Equal(b.Created) &&
				a.ActivatesAt.Equal(b.ActivatesAt) && a.RetireAfter.Equal(b.RetireAfter)
		})); d != "" {
			t.Fatalf("round trip (-parsed +reparsed):\n%s", d)
		}
	})
}

// session is a value with the shapes sessions hold.
type session struct {
	User  string
	ID    int64
	Big   uint64
	Blob  []byte
	Tags  []string
	Attrs map[string]string
}

func FuzzRoundTrip(f *testing.F) {
	seed(f, []session{
		{},
		{User: "ada", ID: -1, Big: 1<<64 - 1, Blob: []byte{0, 255}, Tags: []string{"", "x"}},
		{User: strings.Repeat("é", 100), Attrs: map[string]string{"k": "v"}},
	}, func(s session) { f.Add(s.User, s.ID, s.Big, s.Blob, strings.Join(s.Tags, ","), "session") })
	ring := vectorKeyring(f)
	var codecs []*cookiesession.Codec
	for _, ser := range []cookiesession.Serializer{cookiesession.CBOR{}, cookiesession.JSON{}} {
		c, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{
			Now: func() time.Time { return vectorNow }, MaxLength: 1 << 20, Serializer: ser,
		})
		if err != nil {
			f.Fatal(err)
		}
		codecs = append(codecs, c)
	}
	f.Fuzz(func(t *testing.T, user string, id int64, big uint64, blob []byte, tags, name string) {
		if len(name) > 4096 {
			return // no cookie has such a name; sealing under it is refused (TestCodecLongNameIsTheCallersMistake)
		}
		in := session{User: user, ID: id, Big: big, Blob: blob, Tags: strings.Split(tags, ","), Attrs: map[string]string{user: tags}}
		for i, codec := range codecs {
			if i == 1 && !(utf8.ValidString(user) && utf8.ValidString(tags)) {
				continue // encoding/json replaces what is not UTF-8
			}
			value, err := codec.Encode(name, in)
			if err != nil {
				// Only a value over the length limit may fail to seal.
				if !errors.Is(err, cookiesession.ErrTooLarge) {
					t.Fatalf("serializer %d: Encode: %v", i, err)
				}
				continue
			}
			var out session
			if err := codec.Decode(name, value, &out); err != nil {
				t.Fatalf("serializer %d: Decode of a value just sealed: %v", i, err)
			}
			if d := cmp.Diff(in, out, cmp.Comparer(bytes.Equal)); d != "" {
				t.Fatalf("serializer %d: round trip (-in +out):\n%s", i, d)
			}
		}
	})
}

// timeSessions hold times the three ways a session is serialized: the
// CBOR fast path (a plain struct), fxamacker/cbor (a float field takes a
// struct off the fast path) and encoding/json.
type fastTimes struct {
	At   time.Time
	Opt  *time.Time
	List []time.Time
	ByID map[string]time.Time
}

type slowTimes struct {
	At    time.Time
	Opt   *time.Time
	List  []time.Time
	Ratio float64
}

// FuzzRoundTripTimes seals times of every year, nanosecond and zone
// offset: a time that Encode accepts must open again equal, to the
// nanosecond and with its offset, and one it refuses must be refused with
// ErrUnsupportedValue, on every serializer path.
func FuzzRoundTripTimes(f *testing.F) {
	for _, s := range []int64{0, 1 << 40, -62135596800 - 86400, 253402300800, 1764583200} {
		for _, off := range []int32{0, 3600, 3600 + 17, 24 * 3600, -(23*3600 + 59*60)} {
			f.Add(s, int64(999999999), off)
		}
	}
	ring := vectorKeyring(f)
	codec := func(ser cookiesession.Serializer) *cookiesession.Codec {
		c, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{
			Now: func() time.Time { return vectorNow }, Serializer: ser,
		})
		if err != nil {
			f.Fatal(err)
		}
		return c
	}
	cb, js := codec(cookiesession.CBOR{}), codec(cookiesession.JSON{})
	same := cmp.Comparer(func(a, b time.Time) bool {
		_, ao := a.Zone()
		_, bo := b.Zone()
		return a.Equal(b) && ao == bo
	})
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32) {
		at := time.Unix(sec, nsec).In(time.FixedZone("", int(offset)))
		check := func(c *cookiesession.Codec, in, out any) {
			value, err := c.Encode("session", in)
			if err != nil {
				var ve *cookiesession.ValueError
				if !errors.Is(err, cookiesession.ErrUnsupportedValue) || !errors.As(err, &ve) {
					t.Fatalf("Encode(%T of %v): %v, want ErrUnsupportedValue", in, at, err)
				}
				return
			}
			if err := c.Decode("session", value, out); err != nil {
				t.Fatalf("%T of %v sealed, then did not open: %v", in, at, err)
			}
			if d := cmp.Diff(in, reflectElem(out), same); d != "" {
				t.Fatalf("%T of %v: round trip (-in +out):\n%s", in, at, d)
			}
		}
		check(cb, fastTimes{At: at, Opt: &at, List: []time.Time{{}, at}, ByID: map[string]time.Time{"a": at}}, new(fastTimes))
		check(cb, slowTimes{At: at, Opt: &at, List: []time.Time{at}, Ratio: 0.5}, new(slowTimes))
		check(js, fastTimes{At: at, Opt: &at, List: []time.Time{at}, ByID: map[string]time.Time{"a": at}}, new(fastTimes))
	})
}

func reflectElem(p any) any {
	switch p := p.(type) {
	case *fastTimes:
		return *p
	case *slowTimes:
		return *p
	}
	return p
}
