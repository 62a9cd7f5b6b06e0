package cookiesession

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// oneWay marshals to text that its own UnmarshalText refuses.
type oneWay struct{ secret string }

func (o oneWay) MarshalText() ([]byte, error) { return []byte("one-way:" + o.secret), nil }
func (o *oneWay) UnmarshalText(b []byte) error {
	return errors.New("refusing " + string(b)) // quotes the value, as real unmarshalers do
}

func (o oneWay) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal("one-way:" + o.secret)
}

func (o *oneWay) UnmarshalCBOR(b []byte) error {
	return errors.New("refusing " + string(b))
}

type withTime struct {
	Name string
	At   time.Time
	Seen []time.Time
}

type withTimeSlow struct {
	At    time.Time
	Ratio float64 // takes the type off the CBOR fast path
}

type withIface struct {
	Err error
}

type withOneWay struct {
	Tok oneWay
}

// TestSaveRefusesWhatCannotOpen checks that a value that would seal and
// then not open again, or not equal, is refused by Save with a typed
// error naming the field, and that the browser's cookies stay as they
// were; on every serializer path.
func TestSaveRefusesWhatCannotOpen(t *testing.T) {
	lmt := time.FixedZone("LMT", 561) // Paris before 1911: +00:09:21
	bad := map[string]time.Time{
		"year 10000":  time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"1<<40":       time.Unix(1<<40, 0),
		"year -1":     time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		"LMT offset":  time.Date(1900, 1, 1, 0, 0, 0, 0, lmt),
		"offset +24h": time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
	}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for name, at := range bad {
			t.Run(typeName(ser)+"/"+name, func(t *testing.T) {
				refuses(t, ser, withTime{Name: "ada", Seen: []time.Time{{}, at}}, "Seen[1]")
				refuses(t, ser, withTimeSlow{At: at, Ratio: 1}, "At")
			})
		}
		t.Run(typeName(ser)+"/interface", func(t *testing.T) {
			refuses(t, ser, withIface{Err: errors.New("x")}, "Err")
		})
		t.Run(typeName(ser)+"/one-way marshaler", func(t *testing.T) {
			refuses(t, ser, withOneWay{Tok: oneWay{"tok_live_secret"}}, "Tok")
		})
	}
}

func refuses[T any](t *testing.T, ser Serializer, v T, field string) {
	t.Helper()
	if ve := refusedBy(t, ser, v); ve.Field != field {
		t.Fatalf("Save(%T): %v, want a *ValueError for field %s", v, ve, field)
	}
}

// refusedBy saves v and returns the *ValueError Save must give, having
// checked that the error quotes nothing of the value and nothing was
// written.
func refusedBy[T any](t *testing.T, ser Serializer, v T) *ValueError {
	t.Helper()
	ring := testRing(t)
	st, _ := newStore(t, ring, Config[T]{Serializer: ser})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(v)
	rec := httptest.NewRecorder()
	err := st.Save(rec, nil, s)
	var ve *ValueError
	if !errors.Is(err, ErrUnsupportedValue) || !errors.As(err, &ve) {
		t.Fatalf("Save(%T): %v, want a *ValueError", v, err)
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "hello") {
		t.Errorf("the error quotes the value: %v", err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Save wrote %q, want nothing", got)
	}
	return ve
}

// TestSaveKeepsWhatOpens checks the other side: times RFC 3339 writes
// exactly, at the edges of its range, seal and open equal.
func TestSaveKeepsWhatOpens(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 1, time.FixedZone("", 23*3600+59*60)),
		time.Date(2026, 6, 1, 12, 0, 0, 1, time.FixedZone("", -(23*3600+59*60))),
	} {
		for _, ser := range []Serializer{CBOR{}, JSON{}} {
			st, _ := newStore(t, testRing(t), Config[withTimeSlow]{Serializer: ser})
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(withTimeSlow{At: at})
			rec := httptest.NewRecorder()
			if err := st.Save(rec, nil, s); err != nil {
				t.Fatalf("%v: Save: %v", at, err)
			}
			got, err := st.Load(requestWith(rec))
			_, o1 := at.Zone()
			_, o2 := got.Get().At.Zone()
			if err != nil || !got.Get().At.Equal(at) || o1 != o2 {
				t.Errorf("%s %v: loaded %v, %v", typeName(ser), at, got.Get().At, err)
			}
		}
	}
}

type selfRef struct {
	Name string
	Next *selfRef
}

// TestSaveRefusesSelfHoldingValues checks that a value that holds itself
// is refused with a *ValueError by every serializer, rather than crash
// the process in an encoder's recursion; and the other values that seal
// and would not open: a map with keys other than text held in an
// interface (CBOR), and times RFC 3339 cannot write as map keys.
func TestSaveRefusesSelfHoldingValues(t *testing.T) {
	loop := map[string]any{"a": 1}
	loop["self"] = loop
	list := []any{1}
	list[0] = list
	cyc := &selfRef{Name: "a"}
	cyc.Next = cyc
	var box any
	box = &box
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for name, v := range map[string]any{"map": loop, "slice": list, "pointer cycle": cyc, "pointer to itself": box} {
			t.Run(typeName(ser)+"/"+name, func(t *testing.T) {
				c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser})
				_, err := c.Encode("session", v)
				var ve *ValueError
				if !errors.Is(err, ErrUnsupportedValue) || !errors.As(err, &ve) {
					t.Fatalf("Encode: %v, want a *ValueError", err)
				}
			})
		}
	}
	st, _ := newStore(t, testRing(t), Config[map[string]any]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(map[string]any{"prefs": map[int]string{1: "dark"}})
	if err := st.Save(httptest.NewRecorder(), nil, s); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("a map with integer keys in an any: %v, want ErrUnsupportedValue", err)
	}
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	lmt := time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 561))
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for _, at := range []time.Time{far, lmt} {
			refuses(t, ser, map[time.Time]int{at: 1}, "[key]")
		}
	}
}

// sharedNode is a tree whose nodes may share their children.
type sharedNode struct {
	L, R *sharedNode
	V    int
}

// TestSaveRefusesSharedPartsWrittenOutExponentially seals values of a few
// dozen parts in memory whose parts are held in two places at each level:
// an encoder writes each part once for every place that holds it, 2^30
// times here, which would take hours and gigabytes. They are refused as
// too large, weighed at more bytes than any codec seals before anything
// is encoded; a smaller one, which encodes, is refused by its length.
func TestSaveRefusesSharedPartsWrittenOutExponentially(t *testing.T) {
	shapes := func(depth int) map[string]any {
		node := &sharedNode{V: 1}
		m := map[string]any{"v": 1}
		list := []any{1}
		for range depth {
			node = &sharedNode{L: node, R: node}
			m = map[string]any{"a": m, "b": m}
			list = []any{list, list}
		}
		return map[string]any{"pointers": node, "maps": m, "slices": list}
	}
	done := make(chan error)
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for name, v := range shapes(30) {
			t.Run(typeName(ser)+"/"+name, func(t *testing.T) {
				c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser, MaxLength: 1 << 20})
				go func() {
					_, err := c.Encode("session", v)
					done <- err
				}()
				var err error
				select {
				case err = <-done:
				case <-time.After(60 * time.Second):
					t.Fatal("Encode did not return within 60 s")
				}
				var tl *TooLargeError
				if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || !tl.AtLeast || tl.Limit != maxMaxLength {
					t.Fatalf("Encode: %v, want a *TooLargeError weighed before encoding", err)
				}
			})
		}
	}
	// Weighed at less than any codec seals, the encoding is measured as
	// any other.
	c, _ := testCodec(t, testRing(t), CodecConfig{})
	var tl *TooLargeError
	if _, err := c.Encode("session", shapes(12)["pointers"]); !errors.As(err, &tl) || tl.Unit != "" || tl.AtLeast {
		t.Errorf("Encode of 2^12 parts: %v, want a *TooLargeError in bytes", err)
	}
	// A store refuses the save and writes nothing.
	st, _ := newStore(t, testRing(t), Config[map[string]any]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(map[string]any{"tree": shapes(28)["maps"]})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Save: %v, want ErrTooLarge", err)
	}
	if got := rec.Result().Cookies(); len(got) != 0 {
		t.Errorf("a refused Save set %d cookies", len(got))
	}
}

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

type sharedLeaves struct {
	Rows   []*[4096]int64
	Labels map[string]string
}

type manyMarks struct {
	Marks []struct{}
}

// kilobyteWriter takes no memory and writes a kilobyte.
type kilobyteWriter struct{}

func (kilobyteWriter) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strings.Repeat("k", 1024) + `"`), nil
}
func (kilobyteWriter) MarshalCBOR() ([]byte, error) { return cbor.Marshal(strings.Repeat("k", 1024)) }
func (*kilobyteWriter) UnmarshalJSON([]byte) error  { return nil }
func (*kilobyteWriter) UnmarshalCBOR([]byte) error  { return nil }

// longName is a number under a name of a kilobyte.
type longName struct {
	N int `json:"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"`
}

type bigNumber struct {
	N *big.Int
}

type rawList struct {
	Raw []json.RawMessage
}

// TestSaveWeighsSharedLeavesBeforeEncoding seals values that hold a long
// part in many places, or many parts that take no memory (a type of no
// size whose marshaler writes a kilobyte, a field of no size under a long
// name): each is a few kilobytes or megabytes in memory and tens or
// hundreds of megabytes, or gigabytes, once written out, which an encoder
// would write in full before its length is checked. Each is refused, as
// too large, having allocated a small part of what its encoding would
// take.
func TestSaveWeighsSharedLeavesBeforeEncoding(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	untyped := make([]any, 256)
	for i := range untyped {
		untyped[i] = long
	}
	row := new([4096]int64)
	typed := sharedLeaves{Rows: make([]*[4096]int64, 4096)}
	for i := range typed.Rows {
		typed.Rows[i] = row
	}
	labels := sharedLeaves{Labels: map[string]string{}}
	for i := range 256 {
		labels.Labels[strconv.Itoa(i)] = long
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 8<<20) // a number of a megabyte
	times := make([]time.Time, 65536)
	for i := range times {
		times[i] = time.Unix(1700000000, 0).UTC()
	}
	large := slices.Repeat([]int64{1 << 40}, 65536)
	cases := map[string]any{
		"a string held 256 times in an any":                    map[string]any{"list": untyped},
		"an array held 4096 times":                             typed,
		"a string held 256 times in a map":                     labels,
		"a megabyte number":                                    bigNumber{N: huge},
		"a writer of a kilobyte, of no size, held 60000 times": slices.Repeat([]kilobyteWriter{{}}, 60000),
		"a struct of a kilobyte writer held 60000 times":       slices.Repeat([]struct{ W kilobyteWriter }{{}}, 60000),
		"a kilobyte name held 20000 times":                     make([]longName, 20000),
		"65536 times held 32 times":                            slices.Repeat([][]time.Time{times}, 32),
		"65536 large integers held 15 times":                   slices.Repeat([][]int64{large}, 15),
		"a billion empty structs":                              manyMarks{Marks: make([]struct{}, 1<<30)},
		"a json.RawMessage of 2 MB held 100 times":             rawList{Raw: slices.Repeat([]json.RawMessage{json.RawMessage(`"` + strings.Repeat("b", 2<<20) + `"`)}, 100)},
	}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for name, v := range cases {
			t.Run(typeName(ser)+"/"+name, func(t *testing.T) {
				c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser, MaxLength: 1 << 20})
				var err error
				alloc := allocatedBy(func() { _, err = c.Encode("session", v) })
				var tl *TooLargeError
				var ve *ValueError
				switch {
				case errors.As(err, &tl):
				case ser == (CBOR{}) && errors.As(err, &ve) && strings.Contains(ve.Problem, "more than the 65536 a CBOR decoder accepts"):
				default:
					t.Fatalf("Encode: %v, want a *TooLargeError", err)
				}
				if alloc > 8<<20 {
					t.Errorf("Encode allocated %d MB before refusing the value", alloc>>20)
				}
			})
		}
	}
	// A store refuses the save and writes nothing.
	st, _ := newStore(t, testRing(t), Config[map[string]any]{})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(map[string]any{"list": untyped})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Save: %v, want ErrTooLarge", err)
	}
	if got := rec.Result().Cookies(); len(got) != 0 {
		t.Errorf("a refused Save set %d cookies", len(got))
	}
}

// TestCBORRefusesMoreElementsThanItsDecoderAccepts seals, under CBOR, a
// slice, an array and a map of one element more than a decoder accepts:
// each is refused before it is encoded, naming the field. JSON, whose
// decoder has no such bound, seals the slice and the array.
func TestCBORRefusesMoreElementsThanItsDecoderAccepts(t *testing.T) {
	type counts struct {
		List  []int
		Array *[maxElements + 1]bool
		Map   map[string]int
	}
	m := make(map[string]int, maxElements+1)
	for i := range maxElements + 1 {
		m[strconv.Itoa(i)] = i
	}
	for field, v := range map[string]counts{
		"List":  {List: make([]int, maxElements+1)},
		"Array": {Array: new([maxElements + 1]bool)},
		"Map":   {Map: m},
	} {
		c, _ := testCodec(t, testRing(t), CodecConfig{MaxLength: 1 << 20})
		var ve *ValueError
		_, err := c.Encode("session", v)
		if !errors.As(err, &ve) || ve.Field != field || !strings.Contains(ve.Problem, "65537 elements") {
			t.Errorf("%s: Encode: %v, want a *ValueError naming the field and its elements", field, err)
		}
		if field == "Map" {
			continue // longer than a megabyte in JSON
		}
		j, _ := testCodec(t, testRing(t), CodecConfig{Serializer: JSON{}, MaxLength: 1 << 20})
		if _, err := j.Encode("session", v); err != nil {
			t.Errorf("%s: JSON Encode: %v", field, err)
		}
	}
}

type hiddenTree struct {
	Name string
	Tree *sharedNode `cbor:"-" json:"-"`
}

// unsetTree is zero, by its IsZero, whatever it holds.
type unsetTree struct{ Root *sharedNode }

func (unsetTree) IsZero() bool { return true }

type zeroTree struct {
	Name string
	Tree unsetTree `json:",omitzero"`
}

type sparseRow struct {
	A, B, C, D, E, F, G, H string `json:",omitempty"`
}

// TestWeightCountsOnlyWhatIsWritten seals values whose parts are not
// written: a field tagged "-" that holds a tree of 2^30 parts, the same
// tree in a field that omitzero leaves out, and many empty fields tagged
// omitempty. Neither is weighed, so each seals and
// opens equal.
func TestWeightCountsOnlyWhatIsWritten(t *testing.T) {
	node := &sharedNode{V: 1}
	for range 30 {
		node = &sharedNode{L: node, R: node}
	}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser})
		enc, err := c.Encode("session", hiddenTree{Name: "x", Tree: node})
		if err != nil {
			t.Fatalf("%s: Encode of a tree tagged \"-\": %v", typeName(ser), err)
		}
		var got hiddenTree
		if err := c.Decode("session", enc, &got); err != nil || got != (hiddenTree{Name: "x"}) {
			t.Errorf("%s: Decode: %+v, %v", typeName(ser), got, err)
		}
	}
	// A field that omitzero leaves out, by its IsZero, is not weighed.
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser})
		if _, err := c.Encode("session", &zeroTree{Name: "x", Tree: unsetTree{node}}); err != nil {
			t.Errorf("%s: Encode of a tree that omitzero leaves out: %v", typeName(ser), err)
		}
	}
	// 120,000 rows of eight empty fields: 3 bytes each in JSON ("{},"),
	// and more than a megabyte if each field counted a byte.
	rows := make([]sparseRow, 120000)
	rows[7].C = "c"
	c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: JSON{}, MaxLength: 1 << 20})
	enc, err := c.Encode("session", rows)
	if err != nil {
		t.Fatalf("Encode of sparse rows: %v", err)
	}
	var got []sparseRow
	if err := c.Decode("session", enc, &got); err != nil || !slices.Equal(got, rows) {
		t.Errorf("Decode of sparse rows: %d rows, %v", len(got), err)
	}
}

// money writes itself, and has no method to read itself back.
type money struct{ Cents int64 }

func (m money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(m.Cents, 10) + `c"`), nil
}
func (m money) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(strconv.FormatInt(m.Cents, 10) + "c")
}

// label writes itself as text, and has no method to read it back.
type label struct{ V int }

func (l label) MarshalText() ([]byte, error) { return []byte("label-" + strconv.Itoa(l.V)), nil }

// foldedKey writes itself as lower-case text.
type foldedKey struct{ Name string }

func (k foldedKey) MarshalText() ([]byte, error) { return []byte(strings.ToLower(k.Name)), nil }
func (k *foldedKey) UnmarshalText(b []byte) error {
	k.Name = string(b)
	return nil
}

type (
	ThemePrefs struct {
		Theme string `json:",omitempty"`
	}
	withPrefs struct {
		*ThemePrefs
		UserID int
	}
	withMoney  struct{ Money money }
	withLabel  struct{ Label label }
	withPrice  struct{ Price *big.Float }
	withCounts struct{ Counts map[foldedKey]int }
)

// TestSaveRefusesWhatDoesNotComeBack seals values that the encoders write
// without complaint but that would not open again, or would open as
// others: an embedded pointer of which nothing is written, which comes
// back nil, a type that writes itself and cannot read itself back, a
// big.Float that JSON's decimal brings back at 64 bits, and map keys that
// write the same text. Each is refused by name; the same types holding
// values that do come back seal and open equal.
func TestSaveRefusesWhatDoesNotComeBack(t *testing.T) {
	precise, _, _ := big.ParseFloat("0.1", 10, 200, big.ToNearestEven)
	double, _, _ := big.ParseFloat("0.1", 10, 64, big.ToNearestEven)
	cases := []struct {
		name  string
		ser   Serializer
		v     any
		field string // "" if it seals
	}{
		{"an embedded pointer of empty fields/CBOR", CBOR{}, &withPrefs{&ThemePrefs{}, 42}, "ThemePrefs"},
		{"an embedded pointer of empty fields/JSON", JSON{}, &withPrefs{&ThemePrefs{}, 42}, "ThemePrefs"},
		{"an embedded pointer of a field written/JSON", JSON{}, &withPrefs{&ThemePrefs{"dark"}, 42}, ""},
		{"money/CBOR", CBOR{}, &withMoney{money{150}}, "Money"},
		{"money/JSON", JSON{}, &withMoney{money{150}}, "Money"},
		{"label/JSON", JSON{}, &withLabel{label{7}}, "Label"},
		{"label/CBOR, which writes its fields", CBOR{}, &withLabel{label{7}}, ""},
		{"a big.Float of 200 bits/JSON", JSON{}, &withPrice{precise}, "Price"},
		{"a big.Float of 64 bits/JSON", JSON{}, &withPrice{double}, ""},
		{"a big.Float of 2^(2^24)/CBOR", CBOR{}, &withPrice{new(big.Float).SetMantExp(big.NewFloat(0.5), 1<<24)}, "Price"},
		{"a big.Float of 2^(2^24)/JSON", JSON{}, &withPrice{new(big.Float).SetMantExp(big.NewFloat(0.5), 1<<24)}, "Price"},
		{"keys that write one text/JSON", JSON{}, &withCounts{map[foldedKey]int{{"A"}: 1, {"a"}: 2}}, "Counts"},
		{"keys that write two texts/JSON", JSON{}, &withCounts{map[foldedKey]int{{"a"}: 1, {"b"}: 2}}, ""},
		{"an empty json.Number/JSON", JSON{}, &withJSONParts{N: ""}, "N"},
		{"an empty json.Number/CBOR, which writes text", CBOR{}, &withJSONParts{N: ""}, ""},
		{"an empty json.Number left out/JSON", JSON{}, &withJSONParts{N: "1", Opt: "", Raw: json.RawMessage(`1`)}, ""},
		{"a json.Number in an any/JSON", JSON{}, &withJSONParts{N: "1", Any: json.Number("")}, "Any"},
		{"a nil json.RawMessage/JSON", JSON{}, &withJSONParts{N: "1", Raw: nil}, "Raw"},
		{"a json.RawMessage with spaces/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`{"a": 1}`)}, "Raw"},
		{"a compact json.RawMessage/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`{"a":1}`)}, ""},
		{"a json.RawMessage in a map/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`1`),
			Raws: map[string]json.RawMessage{"x": json.RawMessage("[1, 2]")}}, "Raws[…]"},
		{"an empty net.IP/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`1`), IP: net.IP{}}, "IP"},
		{"a nil net.IP/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`1`), IP: nil}, ""},
		{"an empty net.IP/CBOR, which writes bytes", CBOR{}, &withJSONParts{N: "1", IP: net.IP{}}, ""},
		{"an empty net.IP under omitzero, which writes it/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`1`), ZeroIP: net.IP{}}, "ZeroIP"},
		{"a nil net.IP under omitzero/JSON", JSON{}, &withJSONParts{N: "1", Raw: json.RawMessage(`1`)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: tc.ser})
			enc, err := c.Encode("session", tc.v)
			if tc.field != "" {
				var ve *ValueError
				if !errors.As(err, &ve) || ve.Field != tc.field || enc != "" {
					t.Fatalf("Encode: %q, %v, want a *ValueError naming %s", enc, err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got := reflect.New(reflect.TypeOf(tc.v).Elem()).Interface()
			if err := c.Decode("session", enc, got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if p, ok := got.(*withPrice); ok {
				if p.Price.Cmp(double) != 0 {
					t.Errorf("Decode: %v, want %v", p.Price, double)
				}
			} else if !reflect.DeepEqual(got, tc.v) {
				t.Errorf("Decode: %+v, want %+v", got, tc.v)
			}
		})
	}
}

// TestSaveRefusesCBORItsReaderRefuses seals, under CBOR, values that
// fxamacker/cbor writes as given but this package's reader refuses (a
// MarshalCBOR's own bytes, a cbor.Tag), held in an interface or typed:
// Encode refuses each with a *ValueError, and seals the ones that open.
func TestSaveRefusesCBORItsReaderRefuses(t *testing.T) {
	cases := []struct {
		name  string
		v     any
		field string // "" if it seals; else the field, which the error may name
	}{
		{"duplicate keys in an any", &map[string]any{"v": cborBytes{0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02}}, "v"},
		{"integer keys in an any", &map[string]any{"v": cborBytes{0xa1, 0x01, 0x02}}, "v"},
		{"a map in an any", &map[string]any{"v": cborBytes{0xa1, 0x61, 0x61, 0x01}}, ""},
		{"duplicate keys in an any field", &withAny{X: cborBytes{0xa2, 0x01, 0x01, 0x01, 0x02}}, "X"},
		{"a tag 0 around an integer", &map[string]any{"v": cbor.Tag{Number: 0, Content: 5}}, "v"},
		{"a tag 1 around NaN", &map[string]any{"v": cbor.Tag{Number: 1, Content: math.NaN()}}, "v"},
		{"a tag 1 beyond int64", &map[string]any{"v": cbor.Tag{Number: 1, Content: 1e300}}, "v"},
		{"a tag 2 around text", &map[string]any{"v": cbor.Tag{Number: 2, Content: "x"}}, "v"},
		{"a typed tag 0 around an integer", &withTag{T: cbor.Tag{Number: 0, Content: 5}}, "T"},
		{"a tag of the application's", &map[string]any{"v": cbor.Tag{Number: 40000, Content: "x"}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := testCodec(t, testRing(t), CodecConfig{})
			enc, err := c.Encode("session", tc.v)
			if tc.field != "" {
				var ve *ValueError
				if !errors.As(err, &ve) || enc != "" {
					t.Fatalf("Encode: %q, %v, want a *ValueError", enc, err)
				}
				if ve.Field != "" && ve.Field != tc.field && ve.Field != "[…]" {
					t.Errorf("Encode: %v, naming %q, want %q or none", err, ve.Field, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if err := c.Decode("session", enc, reflect.New(reflect.TypeOf(tc.v).Elem()).Interface()); err != nil {
				t.Fatalf("Decode: %v", err)
			}
		})
	}
}

// TestSaveRefusesStateInUnexportedFields seals values whose state sits
// in unexported fields alone, which both encoders write as an empty map:
// one that holds anything is refused, under both serializers, typed or
// in an interface; a zero one, and a sync.Mutex, seal.
func TestSaveRefusesStateInUnexportedFields(t *testing.T) {
	zone, err := time.LoadLocation("America/New_York")
	if err != nil {
		zone = time.FixedZone("EST", -5*3600)
	}
	cases := []struct {
		name  string
		v     any
		field string // "" if it seals
	}{
		{"an error in a map", &map[string]any{"lastErr": errors.New("card declined")}, "[…]"}, // a map key is not quoted
		{"a time zone", &withZone{Loc: zone}, "Loc"},
		{"no time zone", &withZone{}, ""},
		{"a zone in an any", &withAny{X: zone}, "X"},
		{"a struct of unexported fields alone", &withAny{X: hiddenOnly{n: 1}}, "X"},
		{"a zero struct of unexported fields alone", &withAny{X: hiddenOnly{}}, ""},
		{"a mutex", &withMutex{N: 1}, ""},
	}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%T/%s", ser, tc.name), func(t *testing.T) {
				c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser})
				enc, err := c.Encode("session", tc.v)
				if tc.field != "" {
					var ve *ValueError
					if !errors.As(err, &ve) || ve.Field != tc.field || enc != "" {
						t.Fatalf("Encode: %q, %v, want a *ValueError naming %s", enc, err, tc.field)
					}
					if strings.Contains(err.Error(), "card declined") {
						t.Errorf("the error quotes the value: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
			})
		}
	}
}

type withZone struct{ Loc *time.Location }

type hiddenOnly struct{ n int }

type withMutex struct {
	mu sync.Mutex
	N  int
}

// cborBytes writes itself as the CBOR it holds, and cannot read itself.
type cborBytes []byte

func (b cborBytes) MarshalCBOR() ([]byte, error) { return b, nil }

type withAny struct{ X any }

type withTag struct{ T cbor.Tag }

// withJSONParts holds the types encoding/json writes in forms of their own.
type withJSONParts struct {
	N      json.Number
	Opt    json.Number `json:",omitempty"`
	Any    any
	Raw    json.RawMessage
	Raws   map[string]json.RawMessage `json:",omitempty"`
	IP     net.IP
	ZeroIP net.IP `json:",omitzero"`
}

type nilLeaves struct {
	N *nilLeaves
	M map[string]any
	L []any
	X any
}

// TestNilContainersAddNoLevel seals values nested exactly MaxNesting
// deep whose innermost containers are nil: a nil map or slice is written
// as null, which is no level, so the value seals and opens; one level
// more of real containers is refused.
func TestNilContainersAddNoLevel(t *testing.T) {
	var typed *nilLeaves
	for range MaxNesting {
		typed = &nilLeaves{N: typed, X: map[string]any(nil)}
	}
	untyped := map[string]any{"m": map[string]any(nil), "l": []any(nil)}
	for range MaxNesting - 1 {
		untyped = map[string]any{"next": untyped}
	}
	deeper := map[string]any{"next": map[string]any{"next": untyped}}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		c, _ := testCodec(t, testRing(t), CodecConfig{Serializer: ser, MaxLength: 1 << 16})
		for name, v := range map[string]any{"typed": typed, "untyped": untyped} {
			value, err := c.Encode("session", v)
			if err != nil {
				t.Errorf("%s, %s: %v", typeName(ser), name, err)
				continue
			}
			if err := c.Decode("session", value, new(any)); err != nil {
				t.Errorf("%s, %s: sealed but does not open: %v", typeName(ser), name, err)
			}
		}
		if _, err := c.Encode("session", deeper); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: a level too deep: %v, want ErrUnsupportedValue", typeName(ser), err)
		}
	}
}

// TestZeroTimeInZone covers an unset time put in a zone: what t.Local()
// or t.In(loc) gives for time.Time{}, in most named zones an offset with
// seconds (local mean time). CBOR writes any zero time as null, and it
// opens as time.Time{}, the same instant; JSON writes it as RFC 3339
// text, which cannot carry the seconds of the offset, so Save refuses it
// rather than seal another instant.
func TestZeroTimeInZone(t *testing.T) {
	for _, loc := range []*time.Location{
		time.FixedZone("LMT", 53*60+28),              // Europe/Berlin's zero time
		time.FixedZone("LMT", -(4*3600 + 56*60 + 2)), // America/New_York's
		time.FixedZone("", 14*3600),
	} {
		zero := time.Time{}.In(loc)
		_, offset := zero.Zone()
		t.Run(loc.String()+"/"+strconv.Itoa(offset), func(t *testing.T) {
			// CBOR: null, whatever the zone.
			st, _ := newStore(t, testRing(t), Config[withTimeSlow]{})
			s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(withTimeSlow{At: zero, Ratio: 1})
			rec := httptest.NewRecorder()
			if err := st.Save(rec, nil, s); err != nil {
				t.Fatalf("CBOR: Save: %v", err)
			}
			got, err := st.Load(requestWith(rec))
			if err != nil || !got.Get().At.IsZero() || got.Get().At != (time.Time{}) {
				t.Fatalf("CBOR: loaded %v (%v), want time.Time{}", got.Get().At, err)
			}
			// JSON: refused when the offset has seconds, else kept.
			if offset%60 != 0 {
				refuses(t, JSON{}, withTimeSlow{At: zero, Ratio: 1}, "At")
				return
			}
			jst, _ := newStore(t, testRing(t), Config[withTimeSlow]{Serializer: JSON{}})
			s, _ = jst.Load(httptest.NewRequest("GET", "/", nil))
			s.Set(withTimeSlow{At: zero, Ratio: 1})
			rec = httptest.NewRecorder()
			if err := jst.Save(rec, nil, s); err != nil {
				t.Fatalf("JSON: Save: %v", err)
			}
			got, err = jst.Load(requestWith(rec))
			if err != nil || !got.Get().At.Equal(zero) || !got.Get().At.IsZero() {
				t.Fatalf("JSON: loaded %v (%v), want the instant of %v", got.Get().At, err, zero)
			}
		})
	}
}

// Types whose fields Go's encoders leave out, or keep, by the dominance
// rules of embedded structs.
type (
	lostAccount struct{ Name, Email string }
	lostOrg     struct{ Name string }
	lostTagged  struct {
		Name string `json:"name" cbor:"name"`
	}
	lostCBOROnly struct {
		Title string `cbor:"Name"`
	}
	lostCBOROther struct {
		N string `cbor:"Name"`
	}
	lostInner struct{ lostOrg }
	// Account.Name and Org.Name at one depth: neither is written.
	lostMember struct {
		lostAccount
		lostOrg
		Role string
	}
	// The tagged one alone wins.
	keptTagged struct {
		lostAccount
		lostTagged
	}
	// A shallower field wins.
	keptShallow struct {
		Name string
		lostAccount
		lostOrg
	}
	// Org.Name is one level deeper than Account.Name: Account's wins.
	keptDeeper struct {
		lostAccount
		lostInner
	}
	// Two fields tagged with one name at the top: neither is written
	// (cbor tags, which go vet does not hold to one name each).
	lostSameTag struct {
		A string `cbor:"x"`
		B string `cbor:"x"`
	}
	// Only CBOR's names collide: two fields tagged cbor:"Name", one
	// level down, that JSON names Title and N.
	lostUnderCBOR struct {
		lostCBOROnly
		lostCBOROther
	}
	// A tagged field beside an untagged one of that name: the tagged
	// one wins under CBOR, and under JSON they differ anyway.
	keptCBORTagged struct {
		lostCBOROnly
		lostOrg
	}
	// An integer key and a text key of the same digits differ; two
	// integer keys of one value do not.
	keptIntText struct {
		A int `cbor:"1,keyasint"`
		B int `cbor:"1"`
	}
	lostIntKeys struct {
		A int `cbor:"1,keyasint"`
		B int `cbor:"01,keyasint"`
	}
	// A struct embedded twice at one depth passes its embedded structs
	// on twice: fxamacker/cbor writes none of Y, encoding/json one.
	lostDeep   struct{ Y int }
	lostDeepSD struct{ lostDeep }
	lostDeepV1 struct{ lostDeepSD }
	lostDeepV2 struct{ lostDeepSD }
	lostDeeply struct {
		lostDeepV1
		lostDeepV2
	}
	// A tag of options alone names a field to fxamacker/cbor, so that
	// it wins there; encoding/json writes neither.
	lostOptsOnly struct {
		X string `json:",omitempty"`
	}
	lostUnderJSON struct {
		lostOptsOnly
		lostOrg2
	}
	lostOrg2 struct{ X string }
	// Deep inside another type.
	lostNested struct {
		Members []lostMember
	}
)

// TestLostFields: Save refuses a type of which Go's encoders would write
// some field of no value (two claim its name at one depth), and keeps
// those where the rules pick one; lostField agrees with what
// encoding/json and fxamacker/cbor really write.
func TestLostFields(t *testing.T) {
	written := func(t *testing.T, ser Serializer, v any) map[string]bool {
		t.Helper()
		keys := map[string]bool{}
		if _, ok := ser.(JSON); ok {
			var m map[string]any
			enc, err := json.Marshal(v)
			if err == nil {
				err = json.Unmarshal(enc, &m)
			}
			if err != nil {
				t.Fatal(err)
			}
			for k := range m {
				keys[k] = true
			}
			return keys
		}
		var m map[any]any // integer keys too
		enc, err := cborModesOnce().enc.Marshal(v)
		if err == nil {
			err = cbor.Unmarshal(enc, &m)
		}
		if err != nil {
			t.Fatal(err)
		}
		for k := range m {
			if n, ok := k.(uint64); ok {
				keys["integer key "+strconv.FormatUint(n, 10)] = true
			} else {
				keys[k.(string)] = true
			}
		}
		return keys
	}
	for _, c := range []struct {
		v          any
		lostJSON   bool
		lostCBOR   bool
		name, path string // the name that is lost, and the field Save names
		oneWritten bool   // encoding/json writes one of the fields of that name
		intKeys    bool   // held in an any, CBOR refuses it for its integer keys
	}{
		{v: lostMember{lostAccount{"a", "e"}, lostOrg{"o"}, "r"}, lostJSON: true, lostCBOR: true, name: "Name"},
		{v: keptTagged{lostAccount{"a", "e"}, lostTagged{"t"}}},
		{v: keptShallow{"n", lostAccount{"a", "e"}, lostOrg{"o"}}},
		{v: keptDeeper{lostAccount{"a", "e"}, lostInner{lostOrg{"o"}}}},
		{v: lostSameTag{"a", "b"}, lostCBOR: true, name: "x"},
		{v: lostUnderCBOR{lostCBOROnly{"t"}, lostCBOROther{"n"}}, lostCBOR: true, name: "Name"},
		{v: keptCBORTagged{lostCBOROnly{"t"}, lostOrg{"o"}}},
		{v: keptIntText{1, 2}, intKeys: true},
		{v: lostDeeply{}, lostJSON: true, lostCBOR: true, name: "Y", oneWritten: true},
		// A json name encoding/json does not take: it names the
		// fields A and B; fxamacker/cbor takes it, for both.
		{v: reflect.New(reflect.StructOf([]reflect.StructField{
			{Name: "A", Type: reflect.TypeFor[int](), Tag: `json:"q\\"`},
			{Name: "B", Type: reflect.TypeFor[int](), Tag: `json:"q\\"`},
		})).Elem().Interface(), lostCBOR: true, name: `q\`},
		{v: lostIntKeys{1, 2}, lostCBOR: true, name: "integer key 1"},
		{v: lostUnderJSON{lostOptsOnly{"a"}, lostOrg2{"b"}}, lostJSON: true, name: "X"},
	} {
		typ := reflect.TypeOf(c.v)
		t.Run(typ.Name(), func(t *testing.T) {
			for _, ser := range []Serializer{CBOR{}, JSON{}} {
				lost := c.lostJSON
				if _, ok := ser.(CBOR); ok {
					lost = c.lostCBOR
				}
				if got := lostField(typ, ser == Serializer(CBOR{})) != ""; got != lost {
					t.Errorf("%T: lostField says lost %v, want %v", ser, got, lost)
				}
				// The encoders agree: a lost name is missing.
				if keys := written(t, ser, c.v); lost && keys[c.name] && !(c.oneWritten && ser == Serializer(JSON{})) {
					t.Errorf("%T writes %v: name %q is there", ser, keys, c.name)
				}
				// Held in an any, as in an untyped session.
				st, _ := newStore(t, testRing(t), Config[any]{Serializer: ser})
				s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
				s.Set(c.v)
				err := st.Save(httptest.NewRecorder(), nil, s)
				var ve *ValueError
				switch {
				case lost && (!errors.As(err, &ve) || !strings.Contains(ve.Problem, strconv.Quote(c.name)) && !strings.Contains(ve.Problem, c.name)):
					t.Errorf("%T: Save: %v, want a *ValueError naming %q", ser, err, c.name)
				case !lost && c.intKeys && ser == Serializer(CBOR{}):
					if !errors.As(err, &ve) || !strings.Contains(ve.Problem, "keyasint") {
						t.Errorf("%T: Save: %v, want the refusal of integer keys in an any", ser, err)
					}
				case !lost && err != nil:
					t.Errorf("%T: Save: %v", ser, err)
				}
			}
		})
	}
	// Deep inside another type, through a slice.
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		st, _ := newStore(t, testRing(t), Config[lostNested]{Serializer: ser})
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(lostNested{Members: []lostMember{{Role: "r"}}})
		if err := st.Save(httptest.NewRecorder(), nil, s); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%T: Save of a nested lost field: %v, want ErrUnsupportedValue", ser, err)
		}
	}
}

type (
	intKeyed struct {
		A int `cbor:"1,keyasint"`
	}
	hiddenInner  struct{ Z int }
	withHiddenPt struct {
		*hiddenInner
		Y int
	}
)

// TestSaveRefusesWhatDoesNotDecode: values whose encoding no decoder reads
// back into the session's type are refused by Save, not sealed to fail
// on the next request: under CBOR a struct with integer keys held in an
// any (it decodes as a map[string]any, whose keys are text), and under
// both serializers an embedded pointer to an unexported struct, set,
// which neither decoder can set. The same types save and load where they
// do decode.
func TestSaveRefusesWhatDoesNotDecode(t *testing.T) {
	refuses(t, CBOR{}, any(intKeyed{5}), "")
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		refuses(t, ser, withHiddenPt{&hiddenInner{1}, 2}, "")
		roundTrips(t, ser, withHiddenPt{nil, 2})
		roundTrips(t, ser, intKeyed{5})
	}
	roundTrips(t, JSON{}, any(intKeyed{5}))
}

// roundTrips saves v in a store with serializer ser and checks that it
// loads back equal (a struct held in an any comes back as its map).
func roundTrips[T any](t *testing.T, ser Serializer, v T) {
	t.Helper()
	st, _ := newStore(t, testRing(t), Config[T]{Serializer: ser})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(v)
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatalf("%T: Save(%T): %v", ser, v, err)
	}
	got, err := st.Load(requestWith(rec))
	if err != nil {
		t.Fatalf("%T: Load(%T): %v", ser, v, err)
	}
	if reflect.TypeFor[T]().Kind() == reflect.Interface {
		if m, ok := any(got.Get()).(map[string]any); !ok || len(m) == 0 {
			t.Fatalf("%T: loaded %#v, want the map of %#v", ser, got.Get(), v)
		}
	} else if !reflect.DeepEqual(got.Get(), v) {
		t.Fatalf("%T: loaded %#v, want %#v", ser, got.Get(), v)
	}
}

type withIntMap struct{ M map[int]string }

type holdsAny struct {
	Name string
	V    any
}

// textOnly writes itself as text alone, and keeps its state unexported.
type textOnly struct{ s string }

func (v textOnly) MarshalText() ([]byte, error) { return []byte(v.s), nil }
func (v *textOnly) UnmarshalText(b []byte) error {
	v.s = string(b)
	return nil
}

// textExported writes itself as text, but its exported field holds all
// of it: CBOR writes the field, and it comes back.
type textExported struct{ S string }

func (v textExported) MarshalText() ([]byte, error) { return []byte(v.S), nil }
func (v *textExported) UnmarshalText(b []byte) error {
	v.S = string(b)
	return nil
}

// versionText keeps its state in exported fields, and a cache of its
// text unexported: CBOR writes the fields, and it comes back.
type versionText struct {
	Major, Minor int
	text         string
}

func (v versionText) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%d.%d", v.Major, v.Minor), nil
}
func (v *versionText) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d.%d", &v.Major, &v.Minor)
	v.text = string(b)
	return err
}

type withText struct {
	R *big.Rat
	F *big.Float
	T textOnly
	E textExported
}

// Below an interface, CBOR decodes into the generic form, whose maps have
// text keys only: a map with integer keys anywhere in a value held there,
// a struct's field or a slice's element, is refused by Save, as one held
// directly is. JSON writes such keys as text, and opens them.
func TestSaveRefusesIntKeysBelowAnInterface(t *testing.T) {
	m := withIntMap{M: map[int]string{1: "x"}}
	for _, tc := range []struct {
		v     any
		field string
	}{
		{m, "V.M"}, {&m, "V.M"}, {[]withIntMap{m}, "V[0].M"}, {map[string]withIntMap{"a": m}, "V[…].M"}, {[1]withIntMap{m}, "V[0].M"},
		{map[int]string{1: "x"}, "V"},
		{[]map[any]any{{1: "x"}}, "V[0]"},
	} {
		refuses(t, CBOR{}, holdsAny{Name: "ada", V: tc.v}, tc.field)
	}
	refuses(t, CBOR{}, map[string]any{"a": m}, "[…].M")
	// What is judged is the keys a value holds, not its type: a nil or
	// empty map, and keys of an interface type that hold text, decode.
	for _, v := range []any{withIntMap{}, withIntMap{M: map[int]string{}}, map[int]string{}, []map[any]any{{"a": int64(1)}},
		struct{ M map[any]string }{M: map[any]string{"a": "b"}}} {
		st, _ := newStore(t, testRing(t), Config[holdsAny]{})
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(holdsAny{V: v})
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Errorf("%#v: Save: %v", v, err)
			continue
		}
		if _, err := st.Load(requestWith(rec)); err != nil {
			t.Errorf("%#v: Load: %v", v, err)
		}
	}
	st, _ := newStore(t, testRing(t), Config[holdsAny]{Serializer: JSON{}})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(holdsAny{V: m})
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	got, err := st.Load(requestWith(rec))
	want := map[string]any{"M": map[string]any{"1": "x"}}
	if err != nil || !reflect.DeepEqual(got.Get().V, want) {
		t.Errorf("JSON: loaded %#v, %v; want %#v", got.Get().V, err, want)
	}
}

// A struct that writes itself with MarshalText alone, and keeps its state
// in unexported fields (big.Rat, big.Float, a type of the application's),
// would come back zero from CBOR, which does not call MarshalText: Save
// refuses it. JSON calls MarshalText, and keeps it.
func TestSaveRefusesTextOnlyStructsInCBOR(t *testing.T) {
	// Value by value: what would come back as another is refused, named
	// by its field, and a zero value, or one whose exported fields hold
	// its state, is kept.
	refuses(t, CBOR{}, withText{R: big.NewRat(1, 3)}, "R")
	refuses(t, CBOR{}, withText{F: big.NewFloat(2.5)}, "F")
	refuses(t, CBOR{}, withText{T: textOnly{"hello"}}, "T")
	refuses(t, CBOR{}, holdsAny{V: textOnly{"hello"}}, "V")
	refuses(t, CBOR{}, struct{ *big.Float }{big.NewFloat(2.5)}, "") // it takes on big.Float's methods
	for _, v := range []any{withText{}, withText{E: textExported{"e"}}, versionText{Major: 1, Minor: 2}} {
		st, _ := newStore(t, testRing(t), Config[any]{})
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(v)
		if err := st.Save(httptest.NewRecorder(), nil, s); err != nil {
			t.Errorf("%+v: Save: %v", v, err)
		}
	}
	// Exported state, or nothing set: nothing is lost.
	cst, _ := newStore(t, testRing(t), Config[textExported]{})
	s, _ := cst.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(textExported{S: "kept"})
	rec := httptest.NewRecorder()
	if err := cst.Save(rec, nil, s); err != nil {
		t.Fatalf("CBOR, exported state: %v", err)
	}
	if got, err := cst.Load(requestWith(rec)); err != nil || got.Get().S != "kept" {
		t.Errorf("CBOR, exported state: loaded %+v, %v", got.Get(), err)
	}
	st, _ := newStore(t, testRing(t), Config[withText]{Serializer: JSON{}})
	v := withText{R: big.NewRat(1, 3), F: big.NewFloat(2.5), T: textOnly{"hello"}, E: textExported{"e"}}
	js, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	js.Set(v)
	rec = httptest.NewRecorder()
	if err := st.Save(rec, nil, js); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	got, err := st.Load(requestWith(rec))
	if g := got.Get(); err != nil || g.R.Cmp(v.R) != 0 || g.F.Cmp(v.F) != 0 || g.T != v.T || g.E != v.E {
		t.Errorf("JSON: loaded %+v, %v; want %+v", g, err, v)
	}
}

// jsonWritten writes itself with MarshalJSON alone, and keeps its state
// unexported; binaryWritten with MarshalBinary alone.
type jsonWritten struct{ s string }

func (v jsonWritten) MarshalJSON() ([]byte, error)  { return json.Marshal(v.s) }
func (v *jsonWritten) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &v.s) }

type binaryWritten struct{ s string }

func (v binaryWritten) MarshalBinary() ([]byte, error) { return []byte(v.s), nil }
func (v *binaryWritten) UnmarshalBinary(b []byte) error {
	v.s = string(b)
	return nil
}

type withSelfWritten struct {
	J jsonWritten
	B binaryWritten
	U *url.URL
}

// Each serializer's encoder calls some marshalers and not others: CBOR
// neither MarshalText nor MarshalJSON, JSON neither MarshalBinary nor
// MarshalCBOR. A struct that writes itself only by a method the encoder
// does not call, and keeps state it cannot see (unexported, or in a
// nested struct's unexported fields: url.URL's Userinfo), comes back as
// another value: Save refuses it, value by value, and keeps what comes
// back equal.
func TestSaveRefusesStructsWrittenByIgnoredMarshalers(t *testing.T) {
	withUser, _ := url.Parse("https://ada:secret@example.com/a?b=c")
	plain, _ := url.Parse("https://example.com/a?b=c")
	refuses(t, CBOR{}, withSelfWritten{J: jsonWritten{"x"}}, "J")
	refuses(t, JSON{}, withSelfWritten{B: binaryWritten{"x"}}, "B")
	refuses(t, JSON{}, withSelfWritten{U: withUser}, "U")
	refuses(t, JSON{}, holdsAny{V: binaryWritten{"x"}}, "V")
	if ve := refusedBy(t, JSON{}, withSelfWritten{U: withUser}); strings.Contains(ve.Error(), "secret") {
		t.Errorf("the refusal quotes the value: %v", ve)
	}
	for _, tc := range []struct {
		ser Serializer
		v   withSelfWritten
	}{
		{CBOR{}, withSelfWritten{B: binaryWritten{"x"}, U: withUser}}, // CBOR calls MarshalBinary
		{JSON{}, withSelfWritten{J: jsonWritten{"x"}, U: plain}},      // JSON calls MarshalJSON; no Userinfo to lose
		{CBOR{}, withSelfWritten{}},
		{JSON{}, withSelfWritten{}},
	} {
		st, _ := newStore(t, testRing(t), Config[withSelfWritten]{Serializer: tc.ser})
		s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(tc.v)
		rec := httptest.NewRecorder()
		if err := st.Save(rec, nil, s); err != nil {
			t.Errorf("%T %+v: Save: %v", tc.ser, tc.v, err)
			continue
		}
		got, err := st.Load(requestWith(rec))
		if g := got.Get(); err != nil || g.J != tc.v.J || g.B != tc.v.B || (g.U == nil) != (tc.v.U == nil) ||
			g.U != nil && g.U.String() != tc.v.U.String() {
			t.Errorf("%T: loaded %+v, %v; want %+v", tc.ser, g, err, tc.v)
		}
	}
}

// TestNewStoreRefusesTypeWritingNothing checks that a session type whose
// serializer writes none of its fields is refused when the store is
// built, rather than saved as nothing and loaded as its zero value, and
// that types that hold nothing to lose, or write something, are taken.
func TestNewStoreRefusesTypeWritingNothing(t *testing.T) {
	type hidden struct {
		name   string
		visits int
	}
	type skipped struct {
		Name string `cbor:"-" json:"-"`
		note string
	}
	type inner struct{ id int }
	type embedsHidden struct {
		inner
		count int
	}
	type Promoted struct{ ID int }
	type embedsExported struct {
		Promoted
		secret string
	}
	type blank struct{ _ [0]func() }
	type nested struct{ Prefs hidden } // a nested struct's fields are the application's to choose
	type jsonOnly struct {
		Name string `json:"-"`
	}
	ring := testRing(t)
	refused := func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "has no field the serializer writes")
	}
	check := func(name string, err error, want bool) {
		t.Helper()
		if refused(err) != want {
			t.Errorf("%s: err %v, refused %v, want %v", name, err, refused(err), want)
		}
	}
	_, err := NewStore(ring, Config[hidden]{})
	check("unexported fields", err, true)
	if err != nil && !strings.Contains(err.Error(), "MarshalCBOR") {
		t.Errorf("the CBOR refusal names no way out: %v", err)
	}
	_, err = NewStore(ring, Config[*hidden]{})
	check("a pointer to one", err, true)
	_, err = NewStore(ring, Config[skipped]{})
	check(`tagged "-" and unexported`, err, true)
	_, err = NewStore(ring, Config[embedsHidden]{})
	check("an embedded struct of unexported fields", err, true)
	_, err = NewStore(ring, Config[hidden]{Serializer: JSON{}})
	check("unexported fields, JSON", err, true)
	if err != nil && !strings.Contains(err.Error(), "MarshalJSON") {
		t.Errorf("the JSON refusal names no way out: %v", err)
	}
	_, err = NewStore(ring, Config[jsonOnly]{})
	check(`json:"-" alone, with CBOR, which reads json tags when there is no cbor tag`, err, true)
	_, err = NewStore(ring, Config[jsonOnly]{Serializer: JSON{}})
	check(`json:"-", with JSON`, err, true)
	_, err = NewStore(ring, Config[embedsExported]{})
	check("an embedded struct that promotes an exported field", err, false)
	_, err = NewStore(ring, Config[blank]{})
	check("a blank field only", err, false)
	_, err = NewStore(ring, Config[struct{}]{})
	check("no fields", err, false)
	_, err = NewStore(ring, Config[nested]{})
	check("an exported field of such a type", err, false)
	_, err = NewStore(ring, Config[time.Time]{})
	check("a type that encodes itself", err, false)
	_, err = NewStore(ring, Config[hidden]{Serializer: rawSerializer{}})
	check("an application's serializer", err, false)

	if _, err := NewStore[cart](nil, Config[cart]{}); err == nil || !strings.Contains(err.Error(), "NewStore: nil key source") {
		t.Errorf("a nil key source: %v", err)
	}
}

// TestValueErrorNamesUnwritableField checks that a field no serializer
// can write (a func, a channel, a complex number) or read back (an
// interface with methods, such as error) is named, with the way out.
func TestValueErrorNamesUnwritableField(t *testing.T) {
	type item struct {
		Name string
		Done chan struct{}
	}
	type withFunc struct {
		User     string
		Callback func()
	}
	type withChanDeep struct {
		User  string
		Items []item
	}
	type withComplex struct{ Z complex128 }
	type withError struct {
		User string
		Err  error
	}
	for _, tc := range []struct {
		name  string
		save  func(ser Serializer) error
		field string
		says  string
	}{
		{"func", func(ser Serializer) error { return saveWith(t, ser, withFunc{"ada", func() {}}) }, "Callback", "keep it out of the session"},
		{"chan in a slice", func(ser Serializer) error {
			return saveWith(t, ser, withChanDeep{"ada", []item{{"a", make(chan struct{})}}})
		}, "Items[].Done", "keep it out of the session"},
		{"complex", func(ser Serializer) error { return saveWith(t, ser, withComplex{1i}) }, "Z", "a complex number"},
		{"error", func(ser Serializer) error { return saveWith(t, ser, withError{"ada", errors.New("boom")}) }, "Err", "err.Error()"},
	} {
		for _, ser := range []Serializer{CBOR{}, JSON{}} {
			err := tc.save(ser)
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(ve.Problem, tc.says) {
				t.Errorf("%s, %T: err %v, want a *ValueError for field %s saying %q", tc.name, ser, err, tc.field, tc.says)
			}
			if err != nil && strings.Contains(err.Error(), "boom") {
				t.Errorf("%s, %T: the error quotes the value: %v", tc.name, ser, err)
			}
		}
	}
}

// TestValueErrorNamesFieldByItsSerializer checks that the field named is
// one the serializer in use writes (its own tag decides), and that a type
// only one encoder refuses keeps that encoder's words.
func TestValueErrorNamesFieldByItsSerializer(t *testing.T) {
	type tagged struct {
		C chan int `cbor:"-"`
		F func()   `cbor:"f" json:"-"`
	}
	for ser, field := range map[Serializer]string{CBOR{}: "F", JSON{}: "C"} {
		var ve *ValueError
		if err := saveWith(t, ser, tagged{make(chan int), func() {}}); !errors.As(err, &ve) || ve.Field != field {
			t.Errorf("%T: %v, want a *ValueError for field %s", ser, err, field)
		}
	}
	type floatKeys struct{ M map[float64]int }
	var ve *ValueError
	if err := saveWith(t, JSON{}, floatKeys{map[float64]int{1.5: 1}}); !errors.As(err, &ve) || ve.Field != "M" ||
		!strings.Contains(ve.Problem, "json: unsupported type") {
		t.Errorf("JSON, float map keys: %v, want the encoder's words for field M", err)
	}
	if err := saveWith(t, CBOR{}, floatKeys{map[float64]int{1.5: 1}}); err != nil {
		t.Errorf("CBOR, float map keys: %v", err)
	}
}

// saveWith saves v in a session of a store of v's type with serializer ser.
func saveWith[T any](t *testing.T, ser Serializer, v T) error {
	t.Helper()
	st, _ := newStore(t, testRing(t), Config[T]{Serializer: ser, Logger: slog.New(slog.DiscardHandler)})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(v)
	return st.Save(httptest.NewRecorder(), nil, s)
}

// playItem points at items of its own type twice: a walk of its type
// that follows every pointer without remembering what it has seen takes
// time exponential in the depth of the walk.
type playItem struct {
	Prev, Next *playItem
	Title      string
}

// playlist writes itself with MarshalJSON, which CBOR does not call, so
// its type is looked at for state CBOR cannot see.
type playlist struct{ Head *playItem }

func (p playlist) MarshalJSON() ([]byte, error) { return json.Marshal(p.Head.Title) }
func (p *playlist) UnmarshalJSON(b []byte) error {
	p.Head = &playItem{}
	return json.Unmarshal(b, &p.Head.Title)
}

// TestSaveOfSelfReferentialTypeEnds checks that the round-trip checks of
// a type whose parts point back at themselves end at once.
func TestSaveOfSelfReferentialTypeEnds(t *testing.T) {
	done := make(chan error, 2)
	go func() {
		head := &playItem{Title: "a"}
		head.Next = &playItem{Title: "b"}
		done <- saveWith(t, CBOR{}, struct{ P playlist }{playlist{head}})
		// A value that holds itself through such a type is refused,
		// not encoded without end.
		head.Next.Prev = head
		done <- saveWith(t, CBOR{}, struct{ P playlist }{playlist{head}})
	}()
	for i := range 2 {
		select {
		case err := <-done:
			var ve *ValueError
			if i == 0 && err != nil {
				t.Errorf("Save of a list: %v", err)
			}
			if i == 1 && (!errors.As(err, &ve) || !strings.Contains(ve.Problem, "holds itself")) {
				t.Errorf("Save of a list that holds itself: %v, want a *ValueError", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Save of a self-referential type did not return within 20 s")
		}
	}
}

// ratQuote and urlLink embed pointers to types whose marshalers have
// pointer receivers: the struct takes the methods on, and they panic
// when the pointer is nil, as it is when a decoder makes such a struct.
type ratQuote struct {
	*big.Rat
	Name string
}

type urlLink struct {
	*url.URL
	Note string
}

// TestPanickingMethodsAreErrors checks that a value whose own methods
// panic while it is encoded or decoded gives an error, never a panic: a
// refused Save, or a fresh session whose load error is a *DecodeError.
func TestPanickingMethodsAreErrors(t *testing.T) {
	u, _ := url.Parse("https://example.com/a")
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for _, save := range []func() error{
			func() error { return saveWith(t, ser, ratQuote{big.NewRat(1, 3), "third"}) },
			func() error { return saveWith(t, ser, urlLink{u, "home"}) },
		} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("%T: Save panicked: %v", ser, p)
					}
				}()
				save() // refused or saved, but not a panic
			}()
		}
	}
	// An older release's byte string where the type now decodes itself
	// through a nil embedded pointer: a fresh session, left in place.
	type oldLink struct{ Link []byte }
	type newLink struct{ Link urlLink }
	ring := testRing(t)
	old, _ := newStore(t, ring, Config[oldLink]{Logger: slog.New(slog.DiscardHandler)})
	s, _ := old.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(oldLink{[]byte("https://example.com/")})
	rec := httptest.NewRecorder()
	if err := old.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	nw, _ := newStore(t, ring, Config[newLink]{Logger: slog.New(slog.DiscardHandler)})
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("Load panicked: %v", p)
			}
		}()
		got, err := nw.Load(requestWith(rec))
		var de *DecodeError
		if !errors.As(err, &de) || !got.IsNew() || got.dead {
			t.Errorf("Load: %v, new %v, dead %v: want a DecodeError, a fresh session, the cookie left in place", err, got.IsNew(), got.dead)
		}
	}()
}
