package cookiesession

import (
	"errors"
	"net/http/httptest"
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
