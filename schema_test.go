package cookiesession

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sealAs saves v in a store of type From and loads the cookie in a store
// of type To sharing the keyring and the serializer, as across a deploy.
func sealAs[From, To any](t *testing.T, ser Serializer, v From) (To, error) {
	t.Helper()
	ring := testRing(t)
	from, _ := newStore(t, ring, Config[From]{Serializer: ser})
	to, _ := newStore(t, ring, Config[To]{Serializer: ser})
	r := httptest.NewRequest("GET", "https://example.com/", nil)
	s, _ := from.Load(r)
	s.Set(v)
	w := httptest.NewRecorder()
	if err := from.Save(w, r, s); err != nil {
		t.Fatal(err)
	}
	got, err := to.Load(requestWith(w))
	return got.Get(), err
}

// What the README's schema-evolution section calls safe and unsafe, with
// both serializers.
func TestSchemaEvolution(t *testing.T) {
	type base struct {
		Name  string `cbor:"name" json:"name"`
		Count int    `cbor:"count" json:"count"`
	}
	type added struct {
		Name  string `cbor:"name" json:"name"`
		Count int    `cbor:"count" json:"count"`
		Theme string `cbor:"theme,omitempty" json:"theme,omitempty"`
	}
	type removed struct {
		Name string `cbor:"name" json:"name"`
	}
	type renamed struct { // Go names changed, the tags kept
		FullName string `cbor:"name" json:"name"`
		Visits   int    `cbor:"count" json:"count"`
	}
	type retyped struct {
		Name  string `cbor:"name" json:"name"`
		Count string `cbor:"count" json:"count"`
	}
	for name, ser := range map[string]Serializer{"cbor": CBOR{}, "json": JSON{}} {
		t.Run(name, func(t *testing.T) {
			v := base{Name: "ada", Count: 3}
			if got, err := sealAs[base, added](t, ser, v); err != nil || !cmp.Equal(got, added{Name: "ada", Count: 3}) {
				t.Errorf("adding a field: %+v, %v", got, err)
			}
			if got, err := sealAs[added, base](t, ser, added{Name: "ada", Count: 3, Theme: "dark"}); err != nil || got != v {
				t.Errorf("removing a field: %+v, %v", got, err)
			}
			if got, err := sealAs[base, renamed](t, ser, v); err != nil || got != (renamed{FullName: "ada", Visits: 3}) {
				t.Errorf("renaming under the same tag: %+v, %v", got, err)
			}
			if _, err := sealAs[base, retyped](t, ser, v); !errors.Is(err, ErrMalformed) {
				t.Errorf("changing a type: %v, want ErrMalformed (a fresh session)", err)
			}
		})
	}
}
