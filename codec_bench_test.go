package cookiesession

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mathrand "math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/securecookie"
	"golang.org/x/crypto/chacha20poly1305"
)

// The benchmarks measure one session value, benchSession, at four sizes,
// the same Go value for every codec and serializer.
//
// The shape is what a web application typically keeps in its session:
//
//	user_id       int64      the signed-in user
//	email         string
//	display_name  string
//	roles         []string   "customer", "beta-tester"
//	csrf_token    string     32 random bytes, base64url (43 characters)
//	return_to     string     a path with a query, where to go after login
//	locale        string
//	login_at      time.Time  with nanoseconds and a zone offset
//	flashes       []{kind, text}
//	prefs         {theme, time_zone, page_size, email_digest}
//	recent        []string   recently viewed product ids ("prd_" + 10 characters)
//	cart          []{sku, name, qty, price_cents}
//
// Fields carry json tags with omitempty/omitzero, as most applications
// write them; CBOR uses the same tags, so both spell the same field names.
// Gob ignores tags and writes its own type description.
//
// The smallest size, 64 B, is a visitor who has not signed in: only the
// CSRF token and the locale. The others are a signed-in user with every
// field of the list up to prefs filled in, grown to the target by adding,
// in turn, a recently viewed product id and a cart line, until the CBOR
// encoding reaches the target size. So the large sizes are dominated by
// many short strings and small integers in small maps, which is what
// carts and id lists are. Content comes from a fixed seed: every run
// measures the same bytes.
type benchSession struct {
	UserID      int64           `json:"user_id,omitempty"`
	Email       string          `json:"email,omitempty"`
	DisplayName string          `json:"display_name,omitempty"`
	Roles       []string        `json:"roles,omitempty"`
	CSRFToken   string          `json:"csrf_token,omitempty"`
	ReturnTo    string          `json:"return_to,omitempty"`
	Locale      string          `json:"locale,omitempty"`
	LoginAt     time.Time       `json:"login_at,omitzero"`
	Flashes     []benchFlash    `json:"flashes,omitempty"`
	Prefs       benchPrefs      `json:"prefs,omitzero"`
	Recent      []string        `json:"recent,omitempty"`
	Cart        []benchCartLine `json:"cart,omitempty"`
}

type benchFlash struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type benchPrefs struct {
	Theme       string `json:"theme,omitempty"`
	TimeZone    string `json:"time_zone,omitempty"`
	PageSize    int    `json:"page_size,omitempty"`
	EmailDigest bool   `json:"email_digest,omitempty"`
}

type benchCartLine struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Qty        int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// benchSizes are the target sizes of the CBOR encoding of the payload.
var benchSizes = []struct {
	name   string
	target int
}{
	{"64B", 64},
	{"512B", 512},
	{"3KB", 3 << 10},
	{"16KB", 16 << 10},
}

const benchAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

var benchProducts = []string{
	"Merino wool crew-neck sweater, navy",
	"Organic cotton T-shirt, 3-pack",
	"Stainless steel water bottle 750 ml",
	"Trail running shoes, size 42",
	"Linen bed sheet set, king",
	"Noise-cancelling headphones",
	"Cast iron skillet 26 cm",
	"Rain jacket with hood, olive",
	"Ceramic pour-over coffee dripper",
	"Leather card holder, tan",
}

// newBenchSession returns the benchmark session whose CBOR encoding is
// the first to reach target bytes (the 64 B visitor session is what it
// is: 70 bytes).
func newBenchSession(target int) benchSession {
	rng := mathrand.New(mathrand.NewPCG(1, uint64(target)))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = benchAlphabet[rng.IntN(len(benchAlphabet))]
		}
		return string(b)
	}
	token := make([]byte, 32)
	for i := range token {
		token[i] = byte(rng.Uint32())
	}
	s := benchSession{
		CSRFToken: base64.RawURLEncoding.EncodeToString(token),
		Locale:    "en-GB",
	}
	if target <= 64 {
		return s
	}
	s.UserID = 48213977
	s.Email = "dana.whitfield@example.com"
	s.DisplayName = "Dana Whitfield"
	s.Roles = []string{"customer", "beta-tester"}
	s.ReturnTo = "/account/orders/2024-118733?tab=returns"
	s.LoginAt = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("", 3600))
	s.Flashes = []benchFlash{{Kind: "success", Text: "Your delivery address was updated."}}
	s.Prefs = benchPrefs{Theme: "dark", TimeZone: "Europe/London", PageSize: 24, EmailDigest: true}
	for i := 0; benchCBORLen(s) < target; i++ {
		if i%2 == 0 {
			s.Recent = append(s.Recent, "prd_"+word(10))
			continue
		}
		s.Cart = append(s.Cart, benchCartLine{
			SKU:        fmt.Sprintf("SKU-%06d-%s", rng.IntN(1000000), strings.ToUpper(word(2))),
			Name:       benchProducts[rng.IntN(len(benchProducts))],
			Qty:        1 + rng.IntN(3),
			PriceCents: 499 + rng.Int64N(25000),
		})
	}
	return s
}

func benchCBORLen(v any) int {
	b, err := CBOR{}.Serialize(v)
	if err != nil {
		panic(err)
	}
	return len(b)
}

// benchCodec is one way to turn a session into a cookie value and back.
type benchCodec struct {
	name   string
	encode func(v *benchSession) (string, error)
	decode func(value string, dst *benchSession) error
	// payloadLen is the length of the serialized payload before sealing.
	payloadLen func(v *benchSession) int
}

func benchCodecs(tb testing.TB) []benchCodec {
	ring, err := NewKeyring(time.Now().Add(-time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	// Values up to 16 KB of payload are longer than one cookie; a store
	// splits them over several. MaxLength is raised so the codec takes them.
	c, err := NewCodec(ring, CodecConfig{MaxLength: maxMaxLength})
	if err != nil {
		tb.Fatal(err)
	}
	const name = "session"

	// gorilla/securecookie as gorilla/sessions uses it for a secret
	// session: HMAC-SHA-256 and AES-256-CTR. Its default MaxLength of
	// 4096 refuses the 3 KB and 16 KB payloads (its value is about 1.8 times
	// the payload); the limit is lifted here so that it can be measured.
	newSC := func(ser securecookie.Serializer) *securecookie.SecureCookie {
		sc := securecookie.New(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32))
		sc.MaxLength(maxMaxLength)
		sc.SetSerializer(ser)
		return sc
	}
	scJSON := newSC(securecookie.JSONEncoder{})
	scGob := newSC(securecookie.GobEncoder{})

	// The floor: the default serializer, then XChaCha20-Poly1305 with a
	// random nonce and one base64url pass, with none of the codec's header,
	// checks or pooling.
	aead := newCryptoFloor(tb).aead
	floorEncode := func(v *benchSession) (string, error) {
		p, err := CBOR{}.Serialize(v)
		if err != nil {
			return "", err
		}
		out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(p)+chacha20poly1305.Overhead)
		if _, err := rand.Read(out); err != nil {
			return "", err
		}
		out = aead.Seal(out, out, p, nil)
		return base64.RawURLEncoding.EncodeToString(out), nil
	}
	floorDecode := func(value string, dst *benchSession) error {
		raw, err := base64.RawURLEncoding.DecodeString(value)
		if err != nil {
			return err
		}
		if len(raw) < chacha20poly1305.NonceSizeX {
			return ErrMalformed
		}
		nonce, ct := raw[:chacha20poly1305.NonceSizeX], raw[chacha20poly1305.NonceSizeX:]
		p, err := aead.Open(ct[:0], nonce, ct, nil)
		if err != nil {
			return err
		}
		return CBOR{}.Deserialize(p, dst)
	}

	serLen := func(s Serializer) func(*benchSession) int {
		return func(v *benchSession) int {
			b, err := s.Serialize(v)
			if err != nil {
				tb.Fatal(err)
			}
			return len(b)
		}
	}
	return []benchCodec{
		{
			name:       "floor",
			encode:     floorEncode,
			decode:     floorDecode,
			payloadLen: serLen(CBOR{}),
		},
		{
			name:       "cookiesession",
			encode:     func(v *benchSession) (string, error) { return c.Encode(name, v) },
			decode:     func(s string, dst *benchSession) error { return c.Decode(name, s, dst) },
			payloadLen: serLen(CBOR{}),
		},
		{
			name:       "securecookie-json",
			encode:     func(v *benchSession) (string, error) { return scJSON.Encode(name, v) },
			decode:     func(s string, dst *benchSession) error { return scJSON.Decode(name, s, dst) },
			payloadLen: serLen(securecookie.JSONEncoder{}),
		},
		{
			name:       "securecookie-gob",
			encode:     func(v *benchSession) (string, error) { return scGob.Encode(name, v) },
			decode:     func(s string, dst *benchSession) error { return scGob.Decode(name, s, dst) },
			payloadLen: serLen(securecookie.GobEncoder{}),
		},
	}
}

// BenchmarkCodec measures Encode followed by Decode of the benchmark
// session, per payload size, for this codec, gorilla/securecookie with JSON
// and with gob, and the raw floor. The contenders of one size run one after
// the other, so their ratios are least disturbed by a noisy machine.
func BenchmarkCodec(b *testing.B) {
	codecs := benchCodecs(b)
	for _, size := range benchSizes {
		want := newBenchSession(size.target)
		for _, bc := range codecs {
			b.Run("payload="+size.name+"/codec="+bc.name, func(b *testing.B) {
				v, err := bc.encode(&want)
				if err != nil {
					b.Fatal(err)
				}
				var got benchSession
				if err := bc.decode(v, &got); err != nil {
					b.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					b.Fatalf("round trip (-want +got):\n%s", diff)
				}
				b.ReportAllocs()
				for b.Loop() {
					v, err = bc.encode(&want)
					if err != nil {
						b.Fatal(err)
					}
					var got benchSession
					if err := bc.decode(v, &got); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(v)), "value-bytes")
				b.ReportMetric(float64(bc.payloadLen(&want)), "payload-bytes")
			})
		}
	}
}

// bytesSerializer passes a []byte through unchanged, so that a test can
// seal payloads of every length.
type bytesSerializer struct{}

func (bytesSerializer) Serialize(src any) ([]byte, error) { return src.([]byte), nil }

func (bytesSerializer) Deserialize(src []byte, dst any) error {
	*dst.(*[]byte) = append([]byte(nil), src...)
	return nil
}

// TestValueLength checks that a cookie value is never longer than
// ⌈4/3·(payload+64)⌉ characters: one base64url pass over the payload and
// at most 64 bytes of header, nonce and tag.
func TestValueLength(t *testing.T) {
	ring, err := NewKeyring(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	limit := func(payload int) int { return (4*(payload+64) + 2) / 3 }

	raw, err := NewCodec(ring, CodecConfig{MaxLength: maxMaxLength, Serializer: bytesSerializer{}})
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 5000)
	for n := 0; n <= len(payload); n++ {
		v, err := raw.Encode("session", payload[:n])
		if err != nil {
			t.Fatalf("payload of %d bytes: %v", n, err)
		}
		if len(v) > limit(n) {
			t.Fatalf("payload of %d bytes: value is %d bytes, more than %d", n, len(v), limit(n))
		}
	}

	c, err := NewCodec(ring, CodecConfig{MaxLength: maxMaxLength})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range benchSizes {
		s := newBenchSession(size.target)
		n := benchCBORLen(&s)
		v, err := c.Encode("session", &s)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) > limit(n) {
			t.Errorf("%s session (%d bytes of CBOR): value is %d bytes, more than %d", size.name, n, len(v), limit(n))
		}
	}
}

// BenchmarkCodecSteps measures this codec's Encode and Decode apart, to
// show where the time and the allocations of BenchmarkCodec go. Decode
// allocates the destination too, as a request that loads a session does.
func BenchmarkCodecSteps(b *testing.B) {
	var c benchCodec
	for _, bc := range benchCodecs(b) {
		if bc.name == "cookiesession" {
			c = bc
		}
	}
	for _, size := range benchSizes {
		want := newBenchSession(size.target)
		v, err := c.encode(&want)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("payload="+size.name+"/step=encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.encode(&want); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("payload="+size.name+"/step=decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got benchSession
				if err := c.decode(v, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// historySession is the second benchmark shape: a signed-in user with a
// few strings, a small map of settings, a time, and a browsing history of
// many small records. Unlike benchSession it has no struct tags, so CBOR
// spells each field by its Go name, and each record carries a time.Time.
type historySession struct {
	UserID   string
	Name     string
	Locale   string
	CSRF     string
	Settings map[string]string
	SignedIn time.Time
	History  []historyVisit
}

type historyVisit struct {
	Path  string
	At    time.Time
	Count int
}

var historyPaths = []string{
	"/", "/search?q=boots", "/products/4471-trail-shoe", "/cart",
	"/account/orders", "/help/returns", "/products/1180-rain-jacket",
	"/blog/2025/autumn-collection", "/wishlist", "/checkout/address",
}

// newHistorySession returns the history session whose CBOR encoding is
// the first to reach target bytes. The 64 B one has no history.
func newHistorySession(target int) historySession {
	rng := mathrand.New(mathrand.NewPCG(2, uint64(target)))
	s := historySession{
		UserID: "u_8f3a2c", Locale: "de-DE",
		CSRF: "Jk2n8Qz1pV7xR4sT9wY3bC6dF0gH5jL2",
	}
	if target <= 64 {
		return s
	}
	s.Name = "Grace Hopper"
	s.Settings = map[string]string{"theme": "light", "currency": "EUR", "tz": "Europe/Berlin"}
	s.SignedIn = time.Date(2026, 5, 2, 8, 15, 0, 0, time.UTC)
	at := s.SignedIn
	for benchCBORLen(s) < target {
		at = at.Add(time.Duration(1+rng.IntN(600)) * time.Second)
		s.History = append(s.History, historyVisit{
			Path:  historyPaths[rng.IntN(len(historyPaths))],
			At:    at,
			Count: 1 + rng.IntN(20),
		})
	}
	return s
}

// historySessionMap is the history session as a map[string]any, as
// benchSessionMap is the benchmark session: the same content, with ints
// as int64, lists as []any, records as maps and times as Unix seconds.
func historySessionMap(s *historySession) map[string]any {
	m := map[string]any{"UserID": s.UserID, "Locale": s.Locale, "CSRF": s.CSRF}
	if s.Name == "" {
		return m
	}
	m["Name"] = s.Name
	settings := map[string]any{}
	for k, v := range s.Settings {
		settings[k] = v
	}
	m["Settings"] = settings
	m["SignedIn"] = s.SignedIn.Unix()
	if len(s.History) > 0 {
		h := make([]any, len(s.History))
		for i, v := range s.History {
			h[i] = map[string]any{"Path": v.Path, "At": v.At.Unix(), "Count": int64(v.Count)}
		}
		m["History"] = h
	}
	return m
}

// cryptoFloor is the floor a codec's speed is judged against: the
// XChaCha20-Poly1305 seal and open and one base64url pass each way, over
// bytes already serialized, into buffers that are reused. What a codec
// spends beyond it goes to serializing, to its header and checks, and to
// allocating.
type cryptoFloor struct {
	aead            cipher.AEAD
	raw, enc, plain []byte
	// ownBase64 makes the base64url pass this package's (b64.go) rather
	// than encoding/base64's: the floor with the codec's own encoding.
	ownBase64 bool
}

func newCryptoFloor(tb testing.TB) *cryptoFloor {
	key := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(key); err != nil {
		tb.Fatal(err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		tb.Fatal(err)
	}
	return &cryptoFloor{aead: aead}
}

// roundTrip seals payload under a fresh nonce, encodes it, decodes it and
// opens it again.
func (f *cryptoFloor) roundTrip(payload []byte) error {
	f.raw = append(f.raw[:0], make([]byte, chacha20poly1305.NonceSizeX)...)
	if _, err := rand.Read(f.raw); err != nil {
		return err
	}
	f.raw = f.aead.Seal(f.raw, f.raw[:chacha20poly1305.NonceSizeX], payload, nil)
	var err error
	if f.ownBase64 {
		f.enc = slices.Grow(f.enc[:0], b64EncodedLen(len(f.raw)))[:b64EncodedLen(len(f.raw))]
		b64Encode(f.enc, f.raw)
		n, ok := b64Decode(f.raw[:cap(f.raw)], f.enc)
		if !ok {
			return ErrMalformed
		}
		f.raw = f.raw[:n]
	} else {
		f.enc = base64.RawURLEncoding.AppendEncode(f.enc[:0], f.raw)
		f.raw, err = base64.RawURLEncoding.AppendDecode(f.raw[:0], f.enc)
		if err != nil {
			return err
		}
	}
	nonce, ct := f.raw[:chacha20poly1305.NonceSizeX], f.raw[chacha20poly1305.NonceSizeX:]
	f.plain, err = f.aead.Open(f.plain[:0], nonce, ct, nil)
	return err
}

// roundTripShapes are the sessions BenchmarkRoundTrip measures: each
// shape typed and as a map[string]any, at each size.
var roundTripShapes = []struct {
	name  string
	typed func(target int) any // a pointer to the typed session
	asMap func(v any) any      // the same content as a map[string]any
	zero  func() any           // a pointer to a new zero typed session
}{
	{
		name:  "cart",
		typed: func(n int) any { s := newBenchSession(n); return &s },
		asMap: func(v any) any { return benchSessionMap(v.(*benchSession)) },
		zero:  func() any { return new(benchSession) },
	},
	{
		name:  "history",
		typed: func(n int) any { s := newHistorySession(n); return &s },
		asMap: func(v any) any { return historySessionMap(v.(*historySession)) },
		zero:  func() any { return new(historySession) },
	},
}

// BenchmarkRoundTrip measures the codec's Encode then Decode of both
// session shapes, typed and as a map[string]any, beside the crypto floor
// over the typed session's payload. The three forms of one size run one
// after the other, so their ratios are least disturbed by a noisy machine:
// map ÷ typed is what an untyped session costs, typed ÷ crypto what the
// serializer and the codec add to the cipher and base64.
//
//	go test -run '^$' -bench RoundTrip -benchmem
func BenchmarkRoundTrip(b *testing.B) {
	ring, err := NewKeyring(time.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCodec(ring, CodecConfig{MaxLength: maxMaxLength})
	if err != nil {
		b.Fatal(err)
	}
	floor, ownFloor := newCryptoFloor(b), newCryptoFloor(b)
	ownFloor.ownBase64 = true
	for _, shape := range roundTripShapes {
		for _, size := range benchSizes {
			typed := shape.typed(size.target)
			m := shape.asMap(typed)
			payload, err := CBOR{}.Serialize(typed)
			if err != nil {
				b.Fatal(err)
			}
			prefix := "shape=" + shape.name + "/payload=" + size.name + "/form="
			b.Run(prefix+"typed", func(b *testing.B) {
				benchCodecRoundTrip(b, c, typed, shape.zero, len(payload))
			})
			b.Run(prefix+"map", func(b *testing.B) {
				benchCodecRoundTrip(b, c, m, func() any { return new(map[string]any) }, benchCBORLen(m))
			})
			for _, f := range []struct {
				name  string
				floor *cryptoFloor
			}{{"crypto", floor}, {"crypto-ownbase64", ownFloor}} {
				b.Run(prefix+f.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if err := f.floor.roundTrip(payload); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(len(payload)), "payload-bytes")
				})
			}
		}
	}
}

// benchCodecRoundTrip checks that in comes back equal from c, then
// measures Encode then Decode of it into values that zero makes.
func benchCodecRoundTrip(b *testing.B, c *Codec, in any, zero func() any, payloadLen int) {
	v, err := c.Encode("session", in)
	if err != nil {
		b.Fatal(err)
	}
	got := zero()
	if err := c.Decode("session", v, got); err != nil {
		b.Fatal(err)
	}
	// in may be a pointer (the typed shapes) or a map; got is a pointer.
	if diff := cmp.Diff(reflect.Indirect(reflect.ValueOf(in)).Interface(), reflect.ValueOf(got).Elem().Interface()); diff != "" {
		b.Fatalf("round trip (-want +got):\n%s", diff)
	}
	b.ReportAllocs()
	for b.Loop() {
		v, err := c.Encode("session", in)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Decode("session", v, zero()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(payloadLen), "payload-bytes")
}
