package cookiesession

import (
	"encoding/gob"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/securecookie"
)

// benchSerializers are the candidates for the codec's serializer. gob is
// measured as a cookie must use it: a fresh encoder and decoder per value,
// each writing or reading the type description again (securecookie's
// GobEncoder does exactly that). json is this package's JSON serializer:
// encoding/json plus its nesting check and UseNumber.
func benchSerializers() []struct {
	name string
	s    Serializer
} {
	registerGobTypes()
	return []struct {
		name string
		s    Serializer
	}{
		{"cbor", CBOR{}},
		{"json", JSON{}},
		{"gob", securecookie.GobEncoder{}},
	}
}

// registerGobTypes lets gob carry the untyped session's nested values.
var registerGobTypes = sync.OnceFunc(func() {
	gob.Register([]any(nil))
	gob.Register(map[string]any(nil))
})

// benchSessionMap is the benchmark session as an application that keeps
// map[string]any sessions (as gorilla/sessions does) would store it: the
// same content, with ints as int64, lists as []any, records as maps and
// the login time as Unix seconds.
func benchSessionMap(s *benchSession) map[string]any {
	m := map[string]any{"csrf_token": s.CSRFToken, "locale": s.Locale}
	if s.UserID == 0 {
		return m
	}
	strs := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	m["user_id"] = s.UserID
	m["email"] = s.Email
	m["display_name"] = s.DisplayName
	m["roles"] = strs(s.Roles)
	m["return_to"] = s.ReturnTo
	m["login_at"] = s.LoginAt.Unix()
	var flashes []any
	for _, f := range s.Flashes {
		flashes = append(flashes, map[string]any{"kind": f.Kind, "text": f.Text})
	}
	m["flashes"] = flashes
	m["prefs"] = map[string]any{
		"theme":        s.Prefs.Theme,
		"time_zone":    s.Prefs.TimeZone,
		"page_size":    int64(s.Prefs.PageSize),
		"email_digest": s.Prefs.EmailDigest,
	}
	if len(s.Recent) > 0 {
		m["recent"] = strs(s.Recent)
	}
	if len(s.Cart) > 0 {
		var cart []any
		for _, l := range s.Cart {
			cart = append(cart, map[string]any{
				"sku": l.SKU, "name": l.Name, "qty": int64(l.Qty), "price_cents": l.PriceCents,
			})
		}
		m["cart"] = cart
	}
	return m
}

// BenchmarkSerializer measures Serialize then Deserialize of the benchmark
// session, typed and as a map[string]any, for CBOR, JSON and gob, and
// reports the length of each encoding.
func BenchmarkSerializer(b *testing.B) {
	for _, shape := range []string{"struct", "map"} {
		for _, size := range benchSizes {
			typed := newBenchSession(size.target)
			var v any = &typed
			if shape == "map" {
				v = benchSessionMap(&typed)
			}
			for _, ser := range benchSerializers() {
				b.Run("shape="+shape+"/payload="+size.name+"/ser="+ser.name, func(b *testing.B) {
					p, err := ser.s.Serialize(v)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					for b.Loop() {
						p, err = ser.s.Serialize(v)
						if err != nil {
							b.Fatal(err)
						}
						if shape == "map" {
							var got map[string]any
							err = ser.s.Deserialize(p, &got)
						} else {
							var got benchSession
							err = ser.s.Deserialize(p, &got)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(len(p)), "payload-bytes")
				})
			}
		}
	}
}

// TestBenchSessionRoundTrip checks that the benchmark's values survive
// every serializer the benchmarks compare, so that they measure real work.
func TestBenchSessionRoundTrip(t *testing.T) {
	for _, size := range benchSizes {
		want := newBenchSession(size.target)
		for _, ser := range benchSerializers() {
			t.Run(size.name+"/"+ser.name, func(t *testing.T) {
				got := roundTrip[benchSession](t, ser.s, &want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
			t.Run(size.name+"/"+ser.name+"/map", func(t *testing.T) {
				m := benchSessionMap(&want)
				got := roundTrip[map[string]any](t, ser.s, m)
				if ser.name == "json" {
					// JSON numbers come back as json.Number.
					got = jsonNumbersToInt64(t, got).(map[string]any)
				}
				if diff := cmp.Diff(m, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

func jsonNumbersToInt64(t *testing.T, v any) any {
	switch v := v.(type) {
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			t.Fatal(err)
		}
		return i
	case []any:
		for i := range v {
			v[i] = jsonNumbersToInt64(t, v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = jsonNumbersToInt64(t, v[k])
		}
	}
	return v
}
