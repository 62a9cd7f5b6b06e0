package cookiesession

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
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
	ring := testRing(t)
	st, _ := newStore(t, ring, Config[T]{Serializer: ser})
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(v)
	rec := httptest.NewRecorder()
	err := st.Save(rec, nil, s)
	var ve *ValueError
	if !errors.Is(err, ErrUnsupportedValue) || !errors.As(err, &ve) || ve.Field != field {
		t.Fatalf("Save(%T): %v, want a *ValueError for field %s", v, err, field)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error quotes the value: %v", err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Save wrote %q, want nothing", got)
	}
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
