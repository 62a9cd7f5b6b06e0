package cookiesession

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The shapes a session had in an old release ...
type oldShape struct {
	Token   string            `json:",omitempty"`
	Count   int               `json:",omitempty"`
	Flag    string            `json:",omitempty"`
	Items   []string          `json:",omitempty"`
	Prefs   map[string]string `json:",omitempty"`
	Nested  *oldNested        `json:",omitempty"`
	History []oldVisit        `json:",omitempty"`
	Addr    string            `json:",omitempty"`
	Raw     string            `json:",omitempty"`
	Any     string            `json:",omitempty"`
	Tagged  string            `cbor:"9,keyasint,omitempty" json:"tg,omitempty"`
	Big     uint64            `json:",omitempty"`
	Float   float64           `json:",omitempty"`
}

type oldNested struct{ Secret string }
type oldVisit struct{ At, Path string }

// ... and in the new one, where every field's type changed.
type newShape struct {
	Token   time.Time
	Count   int8
	Flag    bool
	Items   map[string]int
	Prefs   []string
	Nested  struct{ Secret int }
	History []struct{ At time.Time }
	Addr    netip.Addr
	Raw     []int
	Any     error
	Tagged  int `cbor:"9,keyasint" json:"tg"`
	Big     int8
	Float   int
}

// TestDecodeErrorsCarryNoPlaintext seals secrets in every kind of field
// and reads them back as a type they do not fit: the load error, OnError
// and the log name the field and the types, and hold none of the secrets
// nor any internal type name.
func TestDecodeErrorsCarryNoPlaintext(t *testing.T) {
	secrets := []string{"tok_live_9f8e", "987654321", "s3cr3t-flag", "item-secret", "pref-key-secret", "pref-val-secret",
		"nested-secret", "/secret/path", "10.9.8.7.6", "raw-secret", "any-secret", "tagged-secret", "18446744073709551615", "3.25"}
	full := oldShape{
		Token: secrets[0], Count: 987654321, Flag: secrets[2], Items: []string{secrets[3]},
		Prefs: map[string]string{secrets[4]: secrets[5]}, Nested: &oldNested{secrets[6]},
		History: []oldVisit{{At: "2026-01-01T00:00:00Z", Path: "/"}, {At: secrets[7]}},
		Addr:    secrets[8], Raw: secrets[9], Any: secrets[10], Tagged: secrets[11], Big: 18446744073709551615, Float: 3.25,
	}
	// One field at a time, so that each error names that field.
	fields := []struct {
		field string
		set   func(*oldShape)
	}{
		{"Token", func(s *oldShape) { s.Token = full.Token }},
		{"Count", func(s *oldShape) { s.Count = full.Count }},
		{"Flag", func(s *oldShape) { s.Flag = full.Flag }},
		{"Items", func(s *oldShape) { s.Items = full.Items }},
		{"Prefs", func(s *oldShape) { s.Prefs = full.Prefs }},
		{"Nested.Secret", func(s *oldShape) { s.Nested = full.Nested }},
		{"History[1].At", func(s *oldShape) { s.History = full.History }},
		{"Addr", func(s *oldShape) { s.Addr = full.Addr }},
		{"Raw", func(s *oldShape) { s.Raw = full.Raw }},
		{"Any", func(s *oldShape) { s.Any = full.Any }},
		{"Tagged", func(s *oldShape) { s.Tagged = full.Tagged }},
		{"Big", func(s *oldShape) { s.Big = full.Big }},
		{"Float", func(s *oldShape) { s.Float = full.Float }},
	}
	for _, ser := range []Serializer{CBOR{}, JSON{}} {
		for _, f := range fields {
			t.Run(strings.TrimPrefix(typeName(ser), "cookiesession.")+"/"+f.field, func(t *testing.T) {
				var logged bytes.Buffer
				var hooked []error
				ring := testRing(t)
				old, _ := newStore(t, ring, Config[oldShape]{Serializer: ser})
				cur, _ := newStore(t, ring, Config[newShape]{
					Serializer: ser,
					Logger:     slog.New(slog.NewTextHandler(&logged, nil)),
					OnError:    func(_ *http.Request, err error) { hooked = append(hooked, err) },
				})
				var v oldShape // every field but the one set is omitted
				f.set(&v)
				s, _ := old.Load(httptest.NewRequest("GET", "/", nil))
				s.Set(v)
				rec := httptest.NewRecorder()
				if err := old.Save(rec, nil, s); err != nil {
					t.Fatal(err)
				}
				_, err := cur.Load(requestWith(rec))
				var de *DecodeError
				if !errors.Is(err, ErrMalformed) || !errors.As(err, &de) {
					t.Fatalf("Load: %v, want a *DecodeError", err)
				}
				if de.Field != f.field {
					t.Errorf("Field %q, want %q (%v)", de.Field, f.field, err)
				}
				if len(hooked) != 1 {
					t.Fatalf("OnError called %d times", len(hooked))
				}
				for _, text := range []string{err.Error(), hooked[0].Error(), logged.String()} {
					for _, secret := range secrets {
						if strings.Contains(text, secret) {
							t.Errorf("%q holds the secret %q", text, secret)
						}
					}
					if strings.Contains(text, "envelope") || strings.Contains(text, "cbor:") || strings.Contains(text, "json:") {
						t.Errorf("%q names an internal type or the serializer's own error", text)
					}
				}
				for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
					t.Errorf("the error wraps %T, which may quote the payload", e)
				}
			})
		}
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// TestDecodeErrorKeepsCookies checks that a session whose payload no
// longer decodes into T (its type changed) is not expired: a server still
// running the previous release opens it, during a rolling deploy or after
// a rollback.
func TestDecodeErrorKeepsCookies(t *testing.T) {
	ring := testRing(t)
	old, _ := newStore(t, ring, Config[oldShape]{})
	cur, _ := newStore(t, ring, Config[newShape]{})
	s, _ := old.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(oldShape{Count: 987654321})
	rec := httptest.NewRecorder()
	if err := old.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	r := requestWith(rec)
	got, err := cur.Load(r)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Load: %v, want ErrMalformed", err)
	}
	out := httptest.NewRecorder()
	if err := cur.Save(out, r, got); err != nil {
		t.Fatal(err)
	}
	if sc := out.Header().Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("the response set %q, want nothing: the old release still reads the cookie", sc)
	}
	if back, err := old.Load(requestWith(rec)); err != nil || back.Get().Count != 987654321 {
		t.Errorf("the old release: %+v, %v", back.Get(), err)
	}
}

// TestDecodeErrorOfTimeTagThatIsNoTime checks that a payload holding a
// tag 0 whose text is no date-time, well-formed by FORMAT.md but read by
// Go's decoder as a time, is refused as a payload of no type Go reads,
// not as one that is not well-formed, without quoting the text; and that
// the session's cookies are left in place, as for any type mismatch.
func TestDecodeErrorOfTimeTagThatIsNoTime(t *testing.T) {
	ring := testRing(t)
	env := map[int]any{1: make([]byte, sessionIDLen), 2: t0.Unix(), 3: map[string]any{"x": cbor.Tag{Number: 0, Content: "hello-secret"}}}
	b, err := cbor.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := testCodec(t, ring, CodecConfig{Serializer: rawSerializer{}, MaxAge: 7 * 24 * time.Hour})
	st, _ := newStore(t, ring, Config[map[string]any]{Logger: slog.New(slog.DiscardHandler)})
	s, err := st.Load(requestCarrying(t, c, st.Name(), b))
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Problem, "whose content Go reads as no time") || strings.Contains(err.Error(), "hello-secret") {
		t.Errorf("err %v, want a DecodeError about the time tag, quoting nothing", err)
	}
	if s.dead {
		t.Error("the cookie is to be expired; a payload of another type is left in place")
	}
}
