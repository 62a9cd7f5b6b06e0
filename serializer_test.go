package cookiesession

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
)

var serializers = []struct {
	name string
	s    Serializer
}{
	{"CBOR", CBOR{}},
	{"JSON", JSON{}},
}

var bigIntComparer = cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })

func roundTrip[T any](t *testing.T, s Serializer, v any) T {
	t.Helper()
	b, err := s.Serialize(v)
	if err != nil {
		t.Fatalf("Serialize: %v", err)
	}
	var got T
	if err := s.Deserialize(b, &got); err != nil {
		t.Fatalf("Deserialize: %v", err)
	}
	return got
}

// bigInts holds integers that a float64 would round: above 2^53, and the
// extremes of int64 and uint64.
type bigInts struct {
	Above53  int64
	Below53  int64
	MaxInt64 int64
	MinInt64 int64
	MaxU64   uint64
	Nested   []int64
}

var wantBigInts = bigInts{
	Above53:  1<<53 + 1,
	Below53:  -(1<<53 + 1),
	MaxInt64: math.MaxInt64,
	MinInt64: math.MinInt64,
	MaxU64:   math.MaxUint64,
	Nested:   []int64{1<<62 + 3, -(1<<62 + 3)},
}

func TestIntegersKeepEveryBit(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.name+"/typed", func(t *testing.T) {
			got := roundTrip[bigInts](t, ser.s, wantBigInts)
			if diff := cmp.Diff(wantBigInts, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// In an any, CBOR integers decode to int64, or to *big.Int past it.
	wantCBOR := map[string]any{
		"Above53":  int64(1<<53 + 1),
		"Below53":  int64(-(1<<53 + 1)),
		"MaxInt64": int64(math.MaxInt64),
		"MinInt64": int64(math.MinInt64),
		"MaxU64":   new(big.Int).SetUint64(math.MaxUint64),
		"Nested":   []any{int64(1<<62 + 3), int64(-(1<<62 + 3))},
	}
	// JSON keeps the digits in a json.Number.
	wantJSON := map[string]any{
		"Above53":  json.Number("9007199254740993"),
		"Below53":  json.Number("-9007199254740993"),
		"MaxInt64": json.Number("9223372036854775807"),
		"MinInt64": json.Number("-9223372036854775808"),
		"MaxU64":   json.Number("18446744073709551615"),
		"Nested":   []any{json.Number("4611686018427387907"), json.Number("-4611686018427387907")},
	}
	for _, tc := range []struct {
		name string
		s    Serializer
		want map[string]any
	}{
		{"CBOR", CBOR{}, wantCBOR},
		{"JSON", JSON{}, wantJSON},
	} {
		t.Run(tc.name+"/map", func(t *testing.T) {
			got := roundTrip[map[string]any](t, tc.s, wantBigInts)
			if diff := cmp.Diff(tc.want, got, bigIntComparer); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
		t.Run(tc.name+"/any", func(t *testing.T) {
			got := roundTrip[any](t, tc.s, wantBigInts)
			if diff := cmp.Diff(any(tc.want), got, bigIntComparer); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
		t.Run(tc.name+"/back", func(t *testing.T) {
			// What an any holds serializes back to the same integers.
			m := roundTrip[map[string]any](t, tc.s, wantBigInts)
			got := roundTrip[bigInts](t, tc.s, m)
			if diff := cmp.Diff(wantBigInts, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// nestedSlices returns depth arrays, one inside the other, around a 1.
func nestedSlices(depth int) any {
	var v any = 1
	for range depth {
		v = []any{v}
	}
	return v
}

func nestedMaps(depth int) any {
	var v any = "x"
	for range depth {
		v = map[string]any{"k": v}
	}
	return v
}

type linked struct {
	Next *linked `json:",omitempty"`
}

func nestedStructs(depth int) any {
	var l *linked
	for range depth {
		l = &linked{Next: l}
	}
	return l
}

func TestNesting(t *testing.T) {
	for _, ser := range serializers {
		for _, shape := range []struct {
			name string
			make func(int) any
		}{
			{"slices", nestedSlices},
			{"maps", nestedMaps},
			{"structs", nestedStructs},
		} {
			t.Run(ser.name+"/"+shape.name+"/at limit", func(t *testing.T) {
				v := shape.make(MaxNesting)
				b, err := ser.s.Serialize(v)
				if err != nil {
					t.Fatalf("Serialize at depth %d: %v", MaxNesting, err)
				}
				var got any
				if err := ser.s.Deserialize(b, &got); err != nil {
					t.Fatalf("Deserialize at depth %d: %v", MaxNesting, err)
				}
			})
			t.Run(ser.name+"/"+shape.name+"/past limit", func(t *testing.T) {
				v := shape.make(MaxNesting + 1)
				if b, err := ser.s.Serialize(v); err == nil {
					t.Fatalf("Serialize at depth %d = %d bytes, want an error", MaxNesting+1, len(b))
				}
			})
		}
	}

	// Input made by hand, as a peer holding the keys could seal it.
	deep := func(n int, open, inner, close string) []byte {
		return []byte(strings.Repeat(open, n) + inner + strings.Repeat(close, n))
	}
	cborArrays := func(n int) []byte { return append(bytes.Repeat([]byte{0x81}, n), 0x01) }
	cborMaps := func(n int) []byte { return append(bytes.Repeat([]byte{0xa1, 0x61, 'k'}, n), 0x01) }
	cborTags := func(n int) []byte { return append(bytes.Repeat([]byte{0xd8, 0x64}, n), 0x01) } // tag 100
	for _, tc := range []struct {
		name string
		s    Serializer
		in   []byte
		ok   bool
	}{
		{"CBOR/arrays at limit", CBOR{}, cborArrays(MaxNesting), true},
		{"CBOR/arrays past limit", CBOR{}, cborArrays(MaxNesting + 1), false},
		{"CBOR/maps past limit", CBOR{}, cborMaps(MaxNesting + 1), false},
		{"CBOR/tags past limit", CBOR{}, cborTags(MaxNesting + 2), false},
		{"CBOR/arrays 100000 deep", CBOR{}, cborArrays(100000), false},
		{"JSON/arrays at limit", JSON{}, deep(MaxNesting, "[", "1", "]"), true},
		{"JSON/arrays past limit", JSON{}, deep(MaxNesting+1, "[", "1", "]"), false},
		{"JSON/objects past limit", JSON{}, deep(MaxNesting+1, `{"k":`, "1", "}"), false},
		{"JSON/brackets in strings do not count", JSON{}, []byte(`["[[[[` + strings.Repeat(`[{\"`, 40) + `"]`), true},
		{"JSON/arrays 100000 deep", JSON{}, deep(100000, "[", "1", "]"), false},
	} {
		t.Run("Deserialize/"+tc.name, func(t *testing.T) {
			var got any
			err := tc.s.Deserialize(tc.in, &got)
			if tc.ok && err != nil {
				t.Fatalf("Deserialize: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("Deserialize accepted it")
			}
		})
	}
}

// TestSerializeRefusesWhatCannotOpen checks, for values that the plain
// CBOR encoder turns into bytes that Deserialize refuses, that Serialize
// refuses them too; and that values just inside the limits go through.
func TestSerializeRefusesWhatCannotOpen(t *testing.T) {
	tags := func(n int) any {
		var v any = 1
		for range n {
			v = cbor.Tag{Number: 100, Content: v}
		}
		return v
	}
	bools := func(n int) []bool { return make([]bool, n) }
	pairs := func(n int) map[string]bool {
		m := make(map[string]bool, n)
		for i := range n {
			m[strconv.Itoa(i)] = true
		}
		return m
	}
	for _, tc := range []struct {
		name string
		v    any
		ok   bool
	}{
		{"nested slices", nestedSlices(MaxNesting + 1), false},
		{"nested maps", nestedMaps(MaxNesting + 1), false},
		{"nested structs", nestedStructs(MaxNesting + 1), false},
		{"nested tags", tags(MaxNesting + 2), false},
		{"too many elements", bools(maxElements + 1), false},
		{"too many pairs", pairs(maxElements + 1), false},
		{"indefinite length", cbor.RawMessage{0x9f, 0x01, 0xff}, false},

		{"string cut inside a character", struct{ Name string }{"Zo\xc3"}, true},
		{"map key that is not UTF-8", map[string]int{"caf\xc3": 1, "\xff": 2}, true},
		{"nested slices at limit", nestedSlices(MaxNesting), true},
		{"nested tags at limit", tags(MaxNesting + 1), true},
		{"multi-byte characters", map[string]string{"naïve": "日本語 Zoë 🍪"}, true},
		{"elements at limit", bools(maxElements), true},
		{"pairs at limit", pairs(maxElements), true},
		{"big integer", new(big.Int).Lsh(big.NewInt(1), 100), true},
		{"byte string with high bytes", []byte{0xff, 0xfe, 0x80}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := cborModesOnce().enc.Marshal(tc.v)
			if err != nil {
				t.Fatalf("the plain encoder refuses it: %v", err)
			}
			var dst any
			openErr := CBOR{}.Deserialize(plain, &dst)
			if tc.ok != (openErr == nil) {
				t.Fatalf("Deserialize of the plain encoding: %v, want ok=%v", openErr, tc.ok)
			}
			b, err := CBOR{}.Serialize(tc.v)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("Serialize: %v", err)
			case tc.ok:
				if err := (CBOR{}).Deserialize(b, &dst); err != nil {
					t.Fatalf("Deserialize of what Serialize wrote: %v", err)
				}
			case err == nil:
				t.Fatalf("Serialize = %d bytes of what Deserialize refuses (%v)", len(b), openErr)
			}
		})
	}
}

// TestCBORHugeLengths checks that declared lengths far beyond the input
// fail before anything of that size is allocated.
func TestCBORHugeLengths(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"array of 2^64-1", "9b ffffffffffffffff 01"},
		{"array of 2^31", "9a 80000000 01"},
		{"array at the element limit, truncated", "9a 00010000 01 01"},
		{"map of 2^64-1", "bb ffffffffffffffff 01 01"},
		{"map at the pair limit, truncated", "ba 00010000 61 61 01"},
		{"byte string of 2^64-1", "5b ffffffffffffffff 00"},
		{"byte string of 2^31-1", "5a 7fffffff 00"},
		{"text string of 2^31-1", "7a 7fffffff 61"},
	} {
		in, err := hex.DecodeString(strings.ReplaceAll(tc.in, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		for _, dst := range []func() any{
			func() any { return new(any) },
			func() any { return new([]string) },
			func() any { return new(map[string]any) },
			func() any { return new([]byte) },
			func() any { return new(string) },
			func() any { return new(benchSession) },
		} {
			t.Run(fmt.Sprintf("%s/%T", tc.name, dst()), func(t *testing.T) {
				d := dst()
				if err := (CBOR{}).Deserialize(in, d); err == nil {
					t.Fatal("Deserialize accepted it")
				}
				const runs = 100
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				allocs := testing.AllocsPerRun(runs, func() { _ = CBOR{}.Deserialize(in, d) })
				runtime.ReadMemStats(&after)
				if allocs > 4 {
					t.Errorf("%v allocations per Deserialize, want at most 4", allocs)
				}
				// AllocsPerRun makes one more call to warm up.
				if perRun := (after.TotalAlloc - before.TotalAlloc) / (runs + 1); perRun > 1024 {
					t.Errorf("%d bytes allocated per Deserialize, want at most 1024", perRun)
				}
			})
		}
	}
}

func TestTimesKeepNanosecondsAndOffset(t *testing.T) {
	type stamped struct {
		At time.Time
	}
	for _, ser := range serializers {
		for _, want := range []time.Time{
			time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("IST", 5*3600+1800)),
			time.Date(1969, 12, 31, 23, 59, 59, 1, time.FixedZone("", -(9*3600+30*60))),
			time.Date(2038, 1, 19, 3, 14, 8, 999999999, time.UTC),
		} {
			t.Run(ser.name+"/"+want.Format(time.RFC3339Nano), func(t *testing.T) {
				got := roundTrip[stamped](t, ser.s, stamped{want}).At
				_, wantOff := want.Zone()
				_, gotOff := got.Zone()
				if !got.Equal(want) || got.Nanosecond() != want.Nanosecond() || gotOff != wantOff {
					t.Errorf("got %s (offset %d), want %s (offset %d)",
						got.Format(time.RFC3339Nano), gotOff, want.Format(time.RFC3339Nano), wantOff)
				}
			})
		}
	}
}

func TestTrailingData(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Serializer
		in   string
		ok   bool
	}{
		{"JSON/one value", JSON{}, `{"a":1}`, true},
		{"JSON/trailing space", JSON{}, "{\"a\":1} \n", true},
		{"JSON/second value", JSON{}, `{"a":1}{"a":2}`, false},
		{"JSON/second value after space", JSON{}, `{"a":1} {"a":2}`, false},
		{"JSON/number after", JSON{}, `{"a":1} 5`, false},
		{"JSON/garbage after", JSON{}, `{"a":1}x`, false},
		{"JSON/closing bracket after", JSON{}, `{"a":1}]`, false},
		{"CBOR/one value", CBOR{}, "\xa1\x61a\x01", true},
		{"CBOR/extra byte", CBOR{}, "\xa1\x61a\x01\x00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]any
			err := tc.s.Deserialize([]byte(tc.in), &got)
			if tc.ok && err != nil {
				t.Fatalf("Deserialize: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("Deserialize accepted it as %v", got)
			}
		})
	}
}

func TestJSONRefusesStringsNotUTF8(t *testing.T) {
	for _, tc := range []struct {
		v      any
		refuse bool
	}{
		{map[string]string{"a": "\xff"}, true},
		{struct{ S []string }{[]string{"ok", "a\xffb"}}, true},
		{map[string]string{"a": "\ufffd"}, false},            // a real U+FFFD is kept
		{map[string]string{"a": `\ufffd`}, false},            // the text of the escape
		{map[string]string{"a": `\\ufffd \` + "\xff"}, true}, // both
	} {
		_, err := JSON{}.Serialize(tc.v)
		if got := errors.Is(err, ErrUnsupportedValue); got != tc.refuse {
			t.Errorf("Serialize(%q): %v, want refused %v", tc.v, err, tc.refuse)
		}
	}
}
