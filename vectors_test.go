package cookiesession

// Golden vectors of wire format v1, the examples of FORMAT.md.
//
// Every file in testdata/vectors is written by generateVectors, never by
// hand, from vectorSpecs here and the groups in vectors_cases_test.go. A
// vector is a value to open, chunks to join, a Cookie header to read, a
// value to seal again, or a keyring file to parse (its input: field).
// After adding a vector, run
//
//	go test -run TestVectors -update-vectors
//
// Without the flag, TestVectors opens every vector file and checks the
// outcome it states, and fails if the files differ from what the generator
// writes. A published vector is never removed, and its value and outcome
// never change: that would be a change of the format. Only a comment that
// misdescribes a vector may be corrected.

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/chacha20poly1305"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors from the generator")

const vectorDir = "testdata/vectors"

// vectorClasses maps each expect: value of a failing vector to the error
// it must match, and no other of these.
var vectorClasses = map[string]error{
	"malformed":           ErrMalformed,
	"unsupported-version": ErrUnsupportedVersion,
	"incomplete":          ErrIncomplete,
	"unknown-key":         ErrUnknownKey,
	"revoked-key":         ErrRevokedKey,
	"tampered":            ErrTampered,
	"not-yet-valid":       ErrNotYetValid,
	"expired":             ErrExpired,
	"too-large":           ErrTooLarge,
	"absent":              ErrAbsent, // reading a Cookie or Authorization header only
}

// vectorEpoch is when the vectors are opened unless they say otherwise.
var vectorEpoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	vectorSkew      = time.Minute
	vectorMaxLength = 4096

	vkPrimary     KeyID = 0xc0ffee01 // active, the primary at vectorEpoch
	vkPending     KeyID = 0xc0ffee02 // active, activates after every vector's time
	vkRetired     KeyID = 0xc0ffee03 // retired, still opens
	vkRetiredPast KeyID = 0xc0ffee04 // retired, past its retire_after
	vkRevoked     KeyID = 0xc0ffee05 // revoked
	vkDeleted     KeyID = 0xc0ffee00 // listed as deleted
	vkUnknown     KeyID = 0xdeadbeef // in no keyring
)

func vectorDay(month time.Month, day int) time.Time {
	return time.Date(2025, month, day, 0, 0, 0, 0, time.UTC)
}

// vectorSecret is the fixed secret of a test key. These secrets are
// public: they protect nothing.
func vectorSecret(id KeyID) *keySecret {
	s := sha256.Sum256([]byte("cookiesession test vector key " + id.String()))
	return newKeySecret(&s)
}

// vectorKeys returns the keys of testdata/vectors/keyring.json.
func vectorKeys() []Key {
	k := func(id KeyID, state KeyState, created, activates, retireAfter time.Time) Key {
		return Key{ID: id, State: state, Created: created, ActivatesAt: activates, RetireAfter: retireAfter, secret: vectorSecret(id)}
	}
	return []Key{
		k(vkPrimary, KeyActive, vectorDay(5, 1), vectorDay(5, 1), time.Time{}),
		k(vkPending, KeyActive, vectorDay(5, 31), vectorDay(6, 3), time.Time{}),
		k(vkRetired, KeyRetired, vectorDay(3, 1), vectorDay(3, 1), vectorDay(7, 1)),
		k(vkRetiredPast, KeyRetired, vectorDay(1, 1), vectorDay(1, 1), vectorDay(5, 15)),
		k(vkRevoked, KeyRevoked, vectorDay(2, 1), vectorDay(2, 1), time.Time{}),
	}
}

func vectorKeyring(t testing.TB) *Keyring {
	t.Helper()
	r, err := buildKeyring(vectorKeys(), []KeyID{vkDeleted}, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// vectorSealingKeyring returns a keyring whose primary is id, as on a server
// that sealed with that key back when (or where) it was the primary.
func vectorSealingKeyring(t testing.TB, id KeyID) *Keyring {
	t.Helper()
	created := vectorDay(1, 1)
	for _, k := range vectorKeys() {
		if k.ID == id {
			created = k.Created
		}
	}
	r, err := buildKeyring([]Key{{ID: id, State: KeyActive, Created: created, ActivatesAt: created, secret: vectorSecret(id)}}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// vectorPayload is the session the vectors carry. A struct, not a map, so
// that its CBOR encoding has one fixed field order.
type vectorPayload struct {
	User  string   `json:"user" cbor:"user"`
	UID   int64    `json:"uid" cbor:"uid"`
	Roles []string `json:"roles,omitempty" cbor:"roles,omitempty"`
	Data  string   `json:"data,omitempty" cbor:"data,omitempty"`
}

var vectorTinyPayload = vectorPayload{User: "alice", UID: 42, Roles: []string{"admin"}}

// vectorSizedPayload returns a payload that ser encodes in exactly n bytes.
// Each byte of Data adds at least one byte to the encoding, so the first
// length that reaches n is the only one; the search jumps towards it.
func vectorSizedPayload(t testing.TB, ser Serializer, n int) vectorPayload {
	t.Helper()
	const filler = "The quick brown fox jumps over the lazy dog. "
	p := vectorPayload{User: "bob", UID: 7, Roles: []string{"editor", "viewer"}}
	for l := 1; l <= n; {
		p.Data = strings.Repeat(filler, l/len(filler)+1)[:l]
		b, err := ser.Serialize(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(b) == n:
			return p
		case len(b) > n:
			t.Fatalf("no payload serializes to %d bytes", n)
		}
		l += max(1, (n-len(b))/2)
	}
	t.Fatalf("no payload serializes to %d bytes", n)
	return p
}

// vectorRawSerializer seals the []byte it is given as the payload, as is.
type vectorRawSerializer struct{}

func (vectorRawSerializer) Serialize(v any) ([]byte, error) { return v.([]byte), nil }
func (vectorRawSerializer) Deserialize(b []byte, v any) error {
	return errors.New("vectorRawSerializer: seal only")
}

// vectorRand is the generator's nonce source: SHA-256 in counter mode
// over the vector's name, so every run writes the same bytes. A real
// codec reads crypto/rand.
type vectorRand struct {
	seed string
	ctr  uint64
	buf  []byte
}

func (r *vectorRand) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("nonce "+r.seed+" "), r.ctr))
		r.ctr++
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// A vectorSpec describes how one vector is made and opened.
type vectorSpec struct {
	name    string
	comment string
	expect  string // "ok" or a key of vectorClasses, or of vectorKeyringClasses

	// How it is opened. Zero values mean: cookie name "session", purpose
	// "", vectorEpoch, CBOR, vectorMaxLength, one value.
	cookieName string
	purpose    string
	now        time.Time
	json       bool
	maxLength  int
	// chunkSize, when set, splits the value over cookies of at most this
	// many bytes of name plus value, as the session layer does; the count
	// is sealed into the header and the vector lists every chunk.
	chunkSize int

	// How it is sealed. Zero values mean: the primary key, the opening
	// cookie name and purpose, issued at the opening time, valid 24 hours,
	// vectorTinyPayload, one chunk. A []byte payload is sealed as is.
	key         KeyID
	sealName    string
	sealPurpose string
	issued      time.Time
	lifetime    time.Duration
	payload     any
	chunks      int
	// payloadJSON is, for a []byte payload that opens, what it decodes to
	// as JSON, when the vector shows that too.
	payloadJSON string

	reseal func(hdr []byte)        // changes the header, then seals again, authentically
	tamper func(raw []byte) []byte // changes the sealed bytes
	edit   func(string) string     // changes the encoded value
	split  func([]string) []string // changes the list of chunks
	// cookieHeader, when set, makes a Cookie header vector: it returns the
	// header that carries the chunks (split with chunkSize).
	cookieHeader func(chunks []string) string
	// authorization, when set, makes a bearer token vector: it returns
	// the request's Authorization headers, given the value. The value is
	// sealed under "Bearer " and the cookie name unless sealName says
	// otherwise.
	authorization func(value string) []string

	// maxAge, when set, makes a sealing vector: the value is what
	// Codec.Encode writes at now with this MaxAge, the vector's nonce
	// and its payload (a []byte).
	maxAge time.Duration

	// keyring, when set, makes a keyring vector instead: the file's bytes.
	// For one that parses, primary is the id of its primary at now
	// ("none" for no primary).
	keyring []byte
	primary string
}

// Edits of sealed bytes. A negative index counts from the end.
func vectorFlip(i int, mask byte) func([]byte) []byte {
	return func(raw []byte) []byte {
		j := i
		if j < 0 {
			j += len(raw)
		}
		raw[j] ^= mask
		return raw
	}
}

func vectorSetKeyID(id KeyID) func([]byte) {
	return func(h []byte) { binary.BigEndian.PutUint32(h[3:7], uint32(id)) }
}

func vectorSpecs(t testing.TB) []vectorSpec {
	ser := CBOR{}
	exp := vectorEpoch.Add(-24 * time.Hour) // issued so that it expires at vectorEpoch
	specs := []vectorSpec{
		// Values that open.
		{name: "valid-tiny", expect: "ok", comment: "a small session under the primary key"},
		{name: "valid-512", expect: "ok", payload: vectorSizedPayload(t, ser, 512), comment: "a 512-byte payload"},
		{name: "valid-max-length", expect: "ok", payload: vectorSizedPayload(t, ser, 3012),
			comment: "a 3012-byte payload: the value is exactly max-length characters"},
		{name: "valid-purpose", expect: "ok", purpose: "csrf", comment: "sealed and opened with a purpose"},
		{name: "valid-cookie-prefix", expect: "ok", cookieName: "__Secure-session", purpose: "app.example.com",
			comment: "a prefixed cookie name and a purpose naming an audience"},
		{name: "valid-json", expect: "ok", json: true, comment: "the JSON serializer"},
		{name: "valid-pending-key", expect: "ok", key: vkPending,
			comment: "sealed under a key that is still pending here: pending keys open"},
		{name: "valid-retired-key", expect: "ok", key: vkRetired, issued: vectorEpoch.Add(-time.Hour),
			comment: "sealed under a retired key before its retire_after: it opens"},
		// These two do not show what their names say; valid-past-expiry-within-skew
		// and valid-last-nanosecond do. Published vectors are kept.
		{name: "valid-expired-within-skew", expect: "ok", issued: exp.Add(30 * time.Second),
			comment: "expires 30 seconds after now, so not expired at all (valid-past-expiry-within-skew is expired within the skew)"},
		{name: "valid-last-instant", expect: "ok", issued: exp.Add(vectorSkew), now: vectorEpoch.Add(-time.Nanosecond),
			comment: "now is 120 s + 1 ns before expiry plus skew, not 1 ns (valid-last-nanosecond is 1 ns before)"},
		{name: "valid-issued-within-skew", expect: "ok", issued: vectorEpoch.Add(vectorSkew),
			comment: "issued exactly the clock skew in the future"},

		// Authentication.
		{name: "tampered-tag", expect: "tampered", tamper: vectorFlip(-1, 0x01), comment: "last bit of the tag flipped"},
		{name: "tampered-ciphertext", expect: "tampered", tamper: vectorFlip(headerSize+nonceSize, 0x80),
			comment: "first bit of the ciphertext flipped"},
		{name: "tampered-nonce", expect: "tampered", tamper: vectorFlip(headerSize, 0x01), comment: "a bit of the nonce flipped"},
		{name: "tampered-header-version", expect: "unsupported-version", tamper: vectorFlip(0, 0x02),
			comment: "version byte changed from 1 to 3, checked before the tag"},
		{name: "tampered-header-flags", expect: "unsupported-version", tamper: vectorFlip(1, 0x80),
			comment: "a flag bit set, checked before the tag"},
		{name: "tampered-header-chunks", expect: "incomplete", tamper: vectorFlip(2, 0x02),
			comment: "chunk count changed from 1 to 3, checked before the tag"},
		{name: "tampered-header-key-id", expect: "unknown-key", tamper: vectorFlip(6, 0x0e),
			comment: "key id changed to c0ffee0f, which the keyring lacks"},
		{name: "tampered-header-key-id-known", expect: "tampered", tamper: vectorFlip(6, 0x02),
			comment: "key id changed to c0ffee03, a key that opens but did not seal this"},
		{name: "tampered-header-issued-at", expect: "tampered", tamper: vectorFlip(14, 0x01),
			comment: "issued-at changed by one second"},
		{name: "tampered-header-lifetime", expect: "tampered", tamper: vectorFlip(18, 0x01),
			comment: "lifetime changed by one second"},
		{name: "wrong-cookie-name", expect: "tampered", cookieName: "sessionid", sealName: "session",
			comment: "sealed as cookie session, opened as sessionid"},
		{name: "wrong-purpose", expect: "tampered", purpose: "session", sealPurpose: "csrf",
			comment: "sealed with purpose csrf, opened with purpose session"},
		{name: "name-purpose-boundary", expect: "tampered", cookieName: "a", purpose: "bc", sealName: "ab", sealPurpose: "c",
			comment: "sealed with name ab and purpose c, opened with name a and purpose bc"},

		// Time.
		{name: "expired", expect: "expired", issued: exp.Add(-time.Hour), comment: "expired an hour ago"},
		{name: "expired-at-skew-limit", expect: "expired", issued: exp.Add(-vectorSkew),
			comment: "now is exactly expiry plus the clock skew"},
		{name: "not-yet-valid", expect: "not-yet-valid", issued: vectorEpoch.Add(vectorSkew + time.Second),
			comment: "issued one second further in the future than the clock skew"},

		// Keys.
		{name: "unknown-key", expect: "unknown-key", key: vkUnknown, comment: "sealed under a key the keyring lacks"},
		{name: "deleted-key", expect: "unknown-key", key: vkDeleted, issued: vectorEpoch.Add(-time.Hour),
			comment: "sealed under a key since deleted from the keyring"},
		{name: "revoked-key", expect: "revoked-key", key: vkRevoked, issued: vectorEpoch.Add(-time.Hour),
			comment: "sealed under a key since revoked"},
		{name: "retired-past-retire-after", expect: "revoked-key", key: vkRetiredPast, issued: vectorDay(5, 10), lifetime: 60 * 24 * time.Hour,
			comment: "sealed under a retired key whose retire_after has passed"},
		{name: "retired-at-retire-after", expect: "revoked-key", key: vkRetired, issued: vectorDay(7, 1).Add(-time.Hour),
			now: vectorDay(7, 1), comment: "sealed under a retired key, opened at its retire_after exactly: it opens nothing from then"},
		{name: "valid-retired-key-last-nanosecond", expect: "ok", key: vkRetired, issued: vectorDay(7, 1).Add(-time.Hour),
			now: vectorDay(7, 1).Add(-time.Nanosecond), comment: "sealed under a retired key, opened a nanosecond before its retire_after"},

		// Encoding and length.
		{name: "empty", expect: "malformed", edit: func(string) string { return "" }, comment: "an empty value"},
		{name: "prefix-only", expect: "malformed", edit: func(string) string { return "~" }, comment: "the prefix alone"},
		{name: "missing-prefix", expect: "malformed", edit: func(v string) string { return v[1:] }, comment: "no ~ prefix"},
		{name: "truncated-short", expect: "malformed", edit: func(v string) string { return v[:21] },
			comment: "cut to 20 characters after the prefix: shorter than a header"},
		{name: "truncated-below-overhead", expect: "malformed", tamper: func(raw []byte) []byte { return raw[:Overhead-1] },
			comment: "58 bytes: one short of header, nonce and tag"},
		{name: "truncated-bad-length", expect: "malformed", edit: func(v string) string { return v[:len(v)-(len(v)-1)%4-3] },
			comment: "cut to a length no base64 encoding has (4n+1 characters)"},
		{name: "truncated-mid-value", expect: "tampered", payload: vectorSizedPayload(t, ser, 512),
			tamper:  func(raw []byte) []byte { return raw[:len(raw)/2] },
			comment: "cut to the first half of its bytes: what is left fails authentication"},
		{name: "trailing-bytes", expect: "tampered", tamper: func(raw []byte) []byte { return append(raw, 0, 0, 0) },
			comment: "three zero bytes appended to the sealed bytes"},
		{name: "base64-non-canonical", expect: "malformed", payload: vectorSizedPayload(t, ser, 512), edit: vectorStrayBit,
			comment: "an unused low bit of the last character set"},
		{name: "base64-std-alphabet", expect: "malformed", edit: vectorReplaceMiddle('+'),
			comment: "a + from the standard base64 alphabet in the middle"},
		{name: "base64-invalid-char", expect: "malformed", edit: vectorReplaceMiddle('.'),
			comment: "a . in the middle"},
		{name: "base64-padding", expect: "malformed", payload: vectorSizedPayload(t, ser, 512),
			edit: func(v string) string { return v + "==" }, comment: "the value with = padding"},
		{name: "too-large", expect: "too-large", payload: vectorSizedPayload(t, ser, 3013),
			comment: "a 3013-byte payload: one character over max-length"},

		// Header fields sealed authentically but refused.
		{name: "unsupported-version", expect: "unsupported-version", reseal: func(h []byte) { h[0] = 2 },
			comment: "version 2, authentic"},
		{name: "unknown-flags", expect: "unsupported-version", reseal: func(h []byte) { h[1] = 0x01 },
			comment: "flags 0x01, authentic"},
		{name: "chunks-zero", expect: "malformed", reseal: func(h []byte) { h[2] = 0 }, comment: "chunk count 0, authentic"},
		{name: "chunks-two", expect: "incomplete", chunks: 2, comment: "chunk count 2, opened as a single value"},
		{name: "chunks-255", expect: "incomplete", chunks: 255, comment: "chunk count 255, opened as a single value"},
		{name: "payload-not-cbor", expect: "malformed", payload: []byte{0xff},
			comment: "authentic, but the payload is not CBOR"},
		{name: "payload-empty", expect: "malformed", payload: []byte{},
			comment: "authentic, but the payload is empty"},

		// The order of the checks.
		{name: "order-length-first", expect: "too-large", edit: func(string) string { return strings.Repeat("*", vectorMaxLength+1) },
			comment: "too long and not a value at all: the length is checked first"},
		{name: "order-version-before-key", expect: "unsupported-version", reseal: func(h []byte) { h[0] = 2; vectorSetKeyID(vkUnknown)(h) },
			comment: "version 2 and an unknown key"},
		{name: "order-chunks-before-key", expect: "incomplete", chunks: 2, reseal: vectorSetKeyID(vkUnknown),
			comment: "chunk count 2 and an unknown key"},
		{name: "order-key-before-tag", expect: "revoked-key", key: vkRevoked, issued: vectorEpoch.Add(-time.Hour), tamper: vectorFlip(-1, 0x01),
			comment: "a revoked key and a flipped tag bit"},
		{name: "order-tag-before-time", expect: "tampered", issued: exp.Add(-time.Hour), tamper: vectorFlip(-1, 0x01),
			comment: "expired and a flipped tag bit"},
		{name: "order-time-before-payload", expect: "expired", issued: exp.Add(-time.Hour), payload: []byte{0xff},
			comment: "expired and a payload that is not CBOR"},
	}
	specs = append(specs, vectorTimeSpecs()...)
	specs = append(specs, vectorPayloadSpecs()...)
	specs = append(specs, vectorChunkSpecs(t)...)
	specs = append(specs, vectorCookieHeaderSpecs(t)...)
	specs = append(specs, vectorBearerSpecs(t)...)
	return append(specs, vectorKeyringSpecs(t)...)
}

// vectorStrayBit sets the lowest bit of the last character, which no byte uses
// when the sealed length is not a multiple of 3.
func vectorStrayBit(v string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if (len(v)-1)%4 == 0 {
		panic("vectorStrayBit: the last character has no unused bits")
	}
	i := strings.IndexByte(alphabet, v[len(v)-1])
	return v[:len(v)-1] + string(alphabet[i|1])
}

func vectorReplaceMiddle(c byte) func(string) string {
	return func(v string) string {
		b := []byte(v)
		b[len(b)/2] = c
		return string(b)
	}
}

// A vectorFile is one file of testdata/vectors.
type vectorFile struct {
	Name       string
	Comment    string
	Input      string // "" (one value), "chunks", "cookie-header", "bearer", "seal" or "keyring"
	CookieName string
	Purpose    string
	Now        time.Time
	ClockSkew  time.Duration
	MaxLength  int
	ChunkSize  int    // for "chunks" and "cookie-header": the chunk size the value was split with
	Serializer string // "cbor" or "json"
	Expect     string
	KeyID      string        // for "ok": the header's key id,
	IssuedAt   string        // issued-at,
	Expires    string        // and expiry, RFC 3339
	Payload    string        // and the payload as JSON,
	PayloadHex string        // or as bytes, in hex (at most 1024 of them),
	PayloadSum string        // and their SHA-256, in hex
	Primary    string        // for a keyring that parses: the primary at Now
	MaxAge     time.Duration // for "seal": the lifetime setting
	Nonce      string        // for "seal": the nonce, in hex

	Value   string   // the value, for Input "", or the Cookie header
	Chunks  []string // the chunks, for "chunks"
	Auth    []string // the Authorization headers, for "bearer"
	Keyring []byte   // the file, for "keyring"
}

// vectorFields are the header lines, in order. Which are written depends
// on the input; the optional ones only when they are set.
var vectorFields = []string{"name", "comment", "input", "cookie-name", "purpose", "now", "clock-skew", "max-length",
	"chunk-size", "max-age", "serializer", "expect", "key-id", "issued-at", "expires", "payload", "payload-hex", "payload-sha256",
	"nonce", "primary"}

// vectorOptional are the fields written only when they are not empty.
var vectorOptional = []string{"input", "chunk-size", "key-id", "issued-at", "expires", "payload", "payload-hex", "payload-sha256", "primary"}

// vectorRequired returns the fields a vector of this input must have.
func vectorRequired(input, expect string) []string {
	if input == "keyring" {
		if expect == "ok" {
			return []string{"name", "comment", "input", "now", "expect", "primary"}
		}
		return []string{"name", "comment", "input", "expect"}
	}
	req := []string{"name", "comment", "cookie-name", "purpose", "now", "clock-skew", "max-length", "serializer", "expect"}
	switch input {
	case "chunks", "cookie-header":
		req = append(req, "input", "chunk-size")
	case "bearer":
		req = append(req, "input")
	case "seal":
		req = append(req, "input", "max-age", "payload-hex", "nonce")
	}
	return req
}

func (v *vectorFile) field(name string) *string {
	switch name {
	case "name":
		return &v.Name
	case "comment":
		return &v.Comment
	case "input":
		return &v.Input
	case "cookie-name":
		return &v.CookieName
	case "purpose":
		return &v.Purpose
	case "serializer":
		return &v.Serializer
	case "expect":
		return &v.Expect
	case "key-id":
		return &v.KeyID
	case "issued-at":
		return &v.IssuedAt
	case "expires":
		return &v.Expires
	case "payload":
		return &v.Payload
	case "payload-hex":
		return &v.PayloadHex
	case "payload-sha256":
		return &v.PayloadSum
	case "primary":
		return &v.Primary
	case "nonce":
		return &v.Nonce
	}
	return nil
}

func (v *vectorFile) marshal() []byte {
	var b bytes.Buffer
	req := vectorRequired(v.Input, v.Expect)
	for _, f := range vectorFields {
		var s string
		switch f {
		case "now":
			s = v.Now.UTC().Format(time.RFC3339Nano)
		case "clock-skew":
			s = strconv.Itoa(int(v.ClockSkew / time.Second))
		case "max-length":
			s = strconv.Itoa(v.MaxLength)
		case "chunk-size":
			if v.ChunkSize != 0 {
				s = strconv.Itoa(v.ChunkSize)
			}
		case "max-age":
			if v.MaxAge != 0 {
				s = strconv.FormatFloat(v.MaxAge.Seconds(), 'f', -1, 64)
			}
		default:
			s = *v.field(f)
		}
		if !slices.Contains(req, f) && (s == "" || !slices.Contains(vectorOptional, f)) {
			continue
		}
		if strings.ContainsAny(s, "\r\n") || s != strings.TrimSpace(s) {
			panic("vector header field " + f + " holds a line break or outer spaces")
		}
		if s != "" {
			s = " " + s
		}
		b.WriteString(f + ":" + s + "\n")
	}
	b.WriteString("\n")
	switch v.Input {
	case "keyring":
		b.Write(v.Keyring)
	case "chunks":
		for _, c := range v.Chunks {
			b.WriteString(c + "\n")
		}
	case "bearer":
		for _, line := range v.Auth {
			b.WriteString(line + "\n")
		}
	default:
		b.WriteString(v.Value + "\n")
	}
	return b.Bytes()
}

func parseVector(data []byte) (*vectorFile, error) {
	head, body, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return nil, errors.New("no blank line after the header")
	}
	v := &vectorFile{}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(head), "\n") {
		k, s, ok := strings.Cut(line, ":")
		if !ok || seen[k] || !slices.Contains(vectorFields, k) {
			return nil, fmt.Errorf("bad header line %q", line)
		}
		seen[k] = true
		s = strings.TrimPrefix(s, " ")
		var err error
		switch k {
		case "now":
			v.Now, err = time.Parse(time.RFC3339Nano, s)
		case "clock-skew":
			var n int
			n, err = strconv.Atoi(s)
			v.ClockSkew = time.Duration(n) * time.Second
		case "max-length":
			v.MaxLength, err = strconv.Atoi(s)
		case "chunk-size":
			v.ChunkSize, err = strconv.Atoi(s)
		case "max-age":
			v.MaxAge, err = time.ParseDuration(s + "s")
		default:
			*v.field(k) = s
		}
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", k, err)
		}
	}
	if !slices.Contains([]string{"", "chunks", "cookie-header", "bearer", "seal", "keyring"}, v.Input) {
		return nil, fmt.Errorf("unknown input %q", v.Input)
	}
	for _, k := range vectorRequired(v.Input, v.Expect) {
		if !seen[k] {
			return nil, fmt.Errorf("header %s missing", k)
		}
	}
	if v.Input == "keyring" {
		v.Keyring = body
		return v, nil
	}
	if v.Input == "bearer" && len(body) == 0 {
		return v, nil // a request without an Authorization header
	}
	lines, ok := bytes.CutSuffix(body, []byte("\n"))
	if !ok || bytes.Contains(lines, []byte("\r")) {
		return nil, errors.New("the body is not lines ending in LF")
	}
	switch v.Input {
	case "chunks":
		v.Chunks = strings.Split(string(lines), "\n")
		return v, nil
	case "bearer":
		v.Auth = strings.Split(string(lines), "\n")
		return v, nil
	}
	if bytes.Contains(lines, []byte("\n")) {
		return nil, errors.New("the body is not one line")
	}
	v.Value = string(lines)
	return v, nil
}

// makeVector seals and edits one vector as spec says.
func makeVector(t testing.TB, spec vectorSpec, fixture *Keyring) *vectorFile {
	t.Helper()
	if spec.keyring != nil {
		v := &vectorFile{Name: spec.name, Comment: spec.comment, Input: "keyring", Now: spec.now, Expect: spec.expect,
			Primary: spec.primary, Keyring: spec.keyring}
		if v.Now.IsZero() {
			v.Now = vectorEpoch
		}
		return v
	}
	v := &vectorFile{
		Name:       spec.name,
		Comment:    spec.comment,
		CookieName: vectorOr(spec.cookieName, "session"),
		Purpose:    spec.purpose,
		Now:        spec.now,
		ClockSkew:  vectorSkew,
		MaxLength:  vectorOr(spec.maxLength, vectorMaxLength),
		ChunkSize:  spec.chunkSize,
		Serializer: "cbor",
		Expect:     spec.expect,
	}
	switch {
	case spec.maxAge != 0:
		v.Input, v.MaxAge = "seal", spec.maxAge
	case spec.cookieHeader != nil:
		v.Input = "cookie-header"
	case spec.authorization != nil:
		v.Input = "bearer"
	case spec.chunkSize != 0:
		v.Input = "chunks"
	}
	if v.Now.IsZero() {
		v.Now = vectorEpoch
	}
	var ser Serializer = CBOR{}
	if spec.json {
		ser, v.Serializer = JSON{}, "json"
	}
	var payload any = vectorTinyPayload
	if spec.payload != nil {
		payload = spec.payload
	}
	raw, isRaw := payload.([]byte)
	if isRaw {
		ser = vectorRawSerializer{}
	}

	ring, keyID := fixture, vectorOr(spec.key, vkPrimary)
	if keyID != vkPrimary {
		ring = vectorSealingKeyring(t, keyID)
	}
	name, purpose := vectorOr(spec.sealName, v.CookieName), vectorOr(spec.sealPurpose, v.Purpose)
	if spec.authorization != nil && spec.sealName == "" {
		name = bearerScheme + " " + v.CookieName
	}
	issued := spec.issued
	if issued.IsZero() {
		issued = v.Now
	}
	lifetime := vectorOr(spec.lifetime, 24*time.Hour)
	c, err := NewCodec(ring, CodecConfig{Purpose: purpose, MaxLength: maxMaxLength, Serializer: ser, Now: func() time.Time { return issued }})
	if err != nil {
		t.Fatal(err)
	}
	c.rand = &vectorRand{seed: spec.name}
	var chunksFor func(int) (int, error)
	switch {
	case spec.chunks != 0:
		chunksFor = func(int) (int, error) { return spec.chunks, nil }
	case spec.chunkSize != 0:
		chunksFor = func(encLen int) (int, error) {
			return chunkCount(name, encLen, spec.chunkSize, MaxChunks), nil
		}
	}
	var value string
	if spec.maxAge != 0 {
		// What Encode writes: issued now, expiring MaxAge later.
		c, err = NewCodec(ring, CodecConfig{Purpose: purpose, MaxAge: spec.maxAge, Serializer: ser, Now: func() time.Time { return v.Now }})
		if err != nil {
			t.Fatal(err)
		}
		c.rand = &vectorRand{seed: spec.name}
		value, err = c.Encode(name, payload)
	} else {
		value, _, err = c.seal(name, payload, issued, issued.Add(lifetime), chunksFor)
	}
	if err != nil {
		t.Fatalf("%s: %v", spec.name, err)
	}
	sealed, err := b64.DecodeString(value[1:])
	if err != nil {
		t.Fatal(err)
	}
	// The header as sealed, before any tampering: what opening reports.
	hdr := bytes.Clone(sealed[:headerSize])
	if spec.maxAge != 0 {
		v.Nonce = hex.EncodeToString(sealed[headerSize : headerSize+nonceSize])
	}
	if spec.reseal != nil {
		aead := ring.aeads[ring.index(keyID)]
		h, nonce, ct := sealed[:headerSize], sealed[headerSize:headerSize+nonceSize], sealed[headerSize+nonceSize:]
		plain, err := aead.Open(nil, nonce, ct, appendAD(nil, h, name, purpose))
		if err != nil {
			t.Fatal(err)
		}
		spec.reseal(h)
		hdr = bytes.Clone(h)
		sealed = aead.Seal(sealed[:headerSize+nonceSize], nonce, plain, appendAD(nil, h, name, purpose))
	}
	if spec.tamper != nil {
		sealed = spec.tamper(sealed)
	}
	v.Value = string(valuePrefix) + b64.EncodeToString(sealed)
	if spec.edit != nil {
		v.Value = spec.edit(v.Value)
	}
	if spec.chunkSize != 0 {
		v.Chunks = splitValue(nil, name, v.Value, spec.chunkSize, int(hdr[2]))
		if spec.split != nil {
			v.Chunks = spec.split(v.Chunks)
		}
		v.Value = ""
		if spec.cookieHeader != nil {
			v.Value, v.Chunks = spec.cookieHeader(v.Chunks), nil
		}
	}
	if spec.authorization != nil {
		v.Auth, v.Value = spec.authorization(v.Value), ""
	}
	if spec.expect == "ok" {
		iat := int64(binary.BigEndian.Uint64(hdr[7:15]))
		v.KeyID = KeyID(binary.BigEndian.Uint32(hdr[3:7])).String()
		v.IssuedAt = time.Unix(iat, 0).UTC().Format(time.RFC3339)
		v.Expires = time.Unix(iat+int64(binary.BigEndian.Uint32(hdr[15:19])), 0).UTC().Format(time.RFC3339)
		if isRaw {
			sum := sha256.Sum256(raw)
			v.PayloadSum = hex.EncodeToString(sum[:])
			if len(raw) <= 1024 {
				v.PayloadHex = hex.EncodeToString(raw)
			}
			v.Payload = spec.payloadJSON
		} else {
			p, err := json.Marshal(payload)
			if err != nil {
				t.Fatal(err)
			}
			v.Payload = string(p)
		}
	}
	return v
}

func vectorOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// generateVectors returns every file of testdata/vectors by name.
func generateVectors(t testing.TB) map[string][]byte {
	t.Helper()
	fixture := vectorKeyring(t)
	ringJSON, err := fixture.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"keyring.json": ringJSON,
		// Keep the bytes exactly as written on every checkout.
		".gitattributes": []byte("* -text\n"),
	}
	for _, spec := range vectorSpecs(t) {
		file := spec.name + ".txt"
		if files[file] != nil {
			t.Fatalf("vector %s defined twice", spec.name)
		}
		files[file] = makeVector(t, spec, fixture).marshal()
	}
	return files
}

func readVectorDir(t testing.TB) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(vectorDir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(vectorDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

func writeVectorDir(t testing.TB, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadDir(vectorDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range old {
		if files[e.Name()] == nil {
			if err := os.Remove(filepath.Join(vectorDir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vectorDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVectors(t *testing.T) {
	want := generateVectors(t)
	if *updateVectors {
		writeVectorDir(t, want)
	}
	files := readVectorDir(t)

	// The files must be exactly what the generator writes.
	names := map[string]bool{}
	for name := range want {
		names[name] = true
	}
	for name := range files {
		names[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		switch w, g := want[name], files[name]; {
		case g == nil:
			t.Errorf("%s: missing; run go test -run TestVectors -update-vectors", name)
		case w == nil:
			t.Errorf("%s: not written by the generator; add it to vectorSpecs", name)
		case !bytes.Equal(w, g):
			t.Errorf("%s differs from what the generator writes (-want +got):\n%s", name, cmp.Diff(string(w), string(g)))
		}
	}

	ring, err := ParseKeyring(files["keyring.json"])
	if err != nil {
		t.Fatalf("keyring.json: %v", err)
	}
	var vectors []*vectorFile
	seen := map[string]int{}
	for name, data := range files {
		if !strings.HasSuffix(name, ".txt") {
			continue
		}
		v, err := parseVector(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Name+".txt" != name {
			t.Fatalf("%s: named %q inside", name, v.Name)
		}
		classes := vectorClasses
		if v.Input == "keyring" {
			classes = vectorKeyringClasses
		}
		if _, ok := classes[v.Expect]; !ok && v.Expect != "ok" {
			t.Fatalf("%s: unknown expect: %q", name, v.Expect)
		}
		seen[v.Expect]++
		vectors = append(vectors, v)
	}
	// An empty or partial directory must not pass quietly.
	for class := range vectorClasses {
		if seen[class] == 0 {
			t.Errorf("no vector expects %s", class)
		}
	}
	for class := range vectorKeyringClasses {
		if seen[class] == 0 {
			t.Errorf("no vector expects %s", class)
		}
	}
	if seen["ok"] == 0 {
		t.Errorf("no vector opens")
	}

	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			checkVector(t, ring, v)
		})
	}
}

func checkVector(t *testing.T, ring *Keyring, v *vectorFile) {
	if v.Input == "keyring" {
		checkKeyringVector(t, v)
		return
	}
	if v.Input == "seal" {
		checkSealVector(t, ring, v)
	}
	var ser Serializer = CBOR{}
	if v.Serializer == "json" {
		ser = JSON{}
	}
	c, err := NewCodec(ring, CodecConfig{
		Purpose:    v.Purpose,
		ClockSkew:  v.ClockSkew,
		MaxLength:  v.MaxLength,
		Serializer: ser,
		Now:        func() time.Time { return v.Now },
	})
	if err != nil {
		t.Fatal(err)
	}
	open := func(dst any) (Header, error) {
		switch v.Input {
		case "chunks":
			return c.OpenChunks(v.CookieName, v.Chunks, dst)
		case "cookie-header":
			return vectorReadCookieHeader(c, v, dst)
		case "bearer":
			return vectorReadBearer(c, v, dst)
		}
		return c.Open(v.CookieName, v.Value, dst)
	}
	// A vector whose payload is not a vectorPayload opens into an any,
	// the type-independent reading of the payload.
	var got vectorPayload
	var gotAny any
	var h Header
	if v.PayloadSum != "" {
		h, err = open(&gotAny)
	} else {
		h, err = open(&got)
	}
	if v.Expect != "ok" {
		checkVectorClass(t, err, v.Expect)
		// Failures do not depend on the type the payload is read into.
		_, err := open(&gotAny)
		checkVectorClass(t, err, v.Expect)
		return
	}
	if err != nil {
		t.Fatalf("open: %v, want ok", err)
	}
	if v.PayloadSum != "" {
		checkRawPayload(t, c, v, gotAny)
	} else {
		var want vectorPayload
		dec := json.NewDecoder(strings.NewReader(v.Payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("payload header: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("payload (-want +got):\n%s", diff)
		}
	}
	gotHeader := []string{h.KeyID.String(), h.IssuedAt.UTC().Format(time.RFC3339), h.Expires.UTC().Format(time.RFC3339), strconv.Itoa(h.Chunks)}
	wantHeader := []string{v.KeyID, v.IssuedAt, v.Expires, strconv.Itoa(max(1, len(v.Chunks)))}
	if v.Input == "cookie-header" {
		wantHeader[3] = gotHeader[3] // the header does not say
	}
	if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
		t.Errorf("key id, issued-at, expires, chunks (-want +got):\n%s", diff)
	}
	if v.Input == "chunks" {
		// A writer splits the joined value into exactly these chunks.
		joined := strings.Join(v.Chunks, "")
		if diff := cmp.Diff(v.Chunks, splitValue(nil, v.CookieName, joined, v.ChunkSize, len(v.Chunks))); diff != "" {
			t.Errorf("split at chunk-size %d (-want +got):\n%s", v.ChunkSize, diff)
		}
		if n := chunkCount(v.CookieName, len(joined), v.ChunkSize, MaxChunks); n != len(v.Chunks) {
			t.Errorf("a writer splits the value over %d chunks, the vector over %d", n, len(v.Chunks))
		}
	}
}

// checkSealVector checks that Encode, given the vector's time, MaxAge,
// payload and nonce, writes exactly the vector's value.
func checkSealVector(t *testing.T, ring *Keyring, v *vectorFile) {
	t.Helper()
	payload, err := hex.DecodeString(v.PayloadHex)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := hex.DecodeString(v.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCodec(ring, CodecConfig{Purpose: v.Purpose, MaxAge: v.MaxAge, MaxLength: v.MaxLength,
		Serializer: vectorRawSerializer{}, Now: func() time.Time { return v.Now }})
	if err != nil {
		t.Fatal(err)
	}
	c.rand = bytes.NewReader(nonce)
	got, err := c.Encode(v.CookieName, payload)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if got != v.Value {
		t.Errorf("Encode wrote\n%s\nwant\n%s", got, v.Value)
	}
}

// vectorReadCookieHeader reads v's Cookie header as Store.Load does, with
// the store's own functions (scanCookies, carried.openBest), but opens
// the joined value with c rather than into a session envelope: ChunkSize
// is v's chunk size, MaxSize its max length. dst gets the winner's payload.
func vectorReadCookieHeader(c *Codec, v *vectorFile, dst any) (Header, error) {
	maxChunks := min(MaxChunks, v.MaxLength/v.ChunkSize+1)
	carried, err := scanCookies(http.Header{"Cookie": {v.Value}}, v.CookieName, maxChunks)
	if err != nil {
		return Header{}, err
	}
	var payloads [maxCandidates]reflect.Value
	var headers [maxCandidates]Header
	best, err := carried.openBest(maxChunks, func(j, n int) (Header, error) {
		parts, err := carried.chunks(j, n)
		if err != nil {
			return Header{}, err
		}
		payloads[j] = reflect.New(reflect.TypeOf(dst).Elem())
		h, err := c.openJoined(v.CookieName, parts, payloads[j].Interface())
		headers[j] = h
		return h, err
	})
	if err != nil {
		return Header{}, err
	}
	reflect.ValueOf(dst).Elem().Set(payloads[best].Elem())
	return headers[best], nil
}

// vectorReadBearer reads v's Authorization headers as Store.Load does,
// with the store's own functions (bearerToken, Codec.openToken), but
// opens the token with c rather than into a session envelope: MaxSize is
// v's max length.
func vectorReadBearer(c *Codec, v *vectorFile, dst any) (Header, error) {
	h := http.Header{}
	if v.Auth != nil {
		h["Authorization"] = v.Auth
	}
	token, _, err := bearerToken(h, v.MaxLength)
	if err != nil {
		return Header{}, err
	}
	return c.openToken(bearerScheme+" "+v.CookieName, token, v.MaxLength, dst)
}

func checkVectorClass(t *testing.T, err error, class string) {
	t.Helper()
	if !errors.Is(err, vectorClasses[class]) {
		t.Fatalf("open: got %v, want %s", err, class)
	}
	for other, e := range vectorClasses {
		if other != class && errors.Is(err, e) {
			t.Errorf("open: %v also matches %s", err, other)
		}
	}
}

// checkRawPayload checks a payload given as bytes: the value must carry
// exactly those bytes, and got (what they decoded to) must be what the
// payload header says, when it says something.
func checkRawPayload(t *testing.T, c *Codec, v *vectorFile, got any) {
	t.Helper()
	plain := vectorPlaintext(t, c, v)
	sum := sha256.Sum256(plain)
	if hex.EncodeToString(sum[:]) != v.PayloadSum {
		t.Errorf("payload SHA-256 %x, want %s", sum, v.PayloadSum)
	}
	if v.PayloadHex != "" && hex.EncodeToString(plain) != v.PayloadHex {
		t.Errorf("payload %x, want %s", plain, v.PayloadHex)
	}
	if v.Payload != "" {
		var want vectorPayload
		dec := json.NewDecoder(strings.NewReader(v.Payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("payload header: %v", err)
		}
		var gotP vectorPayload
		var err error
		if v.Input == "chunks" {
			_, err = c.OpenChunks(v.CookieName, v.Chunks, &gotP)
		} else {
			_, err = c.Open(v.CookieName, v.Value, &gotP)
		}
		if err != nil {
			t.Fatalf("open into %T: %v", gotP, err)
		}
		if diff := cmp.Diff(want, gotP); diff != "" {
			t.Errorf("payload (-want +got):\n%s", diff)
		}
	}
}

// vectorPlaintext opens v with a serializer that keeps the payload's bytes.
func vectorPlaintext(t *testing.T, c *Codec, v *vectorFile) []byte {
	t.Helper()
	keep, err := NewCodec(c.keys, CodecConfig{
		Purpose:    v.Purpose,
		ClockSkew:  v.ClockSkew,
		MaxLength:  v.MaxLength,
		Serializer: vectorKeepSerializer{},
		Now:        func() time.Time { return v.Now },
	})
	if err != nil {
		t.Fatal(err)
	}
	var plain []byte
	if v.Input == "chunks" {
		_, err = keep.OpenChunks(v.CookieName, v.Chunks, &plain)
	} else {
		_, err = keep.Open(v.CookieName, v.Value, &plain)
	}
	if err != nil {
		t.Fatalf("open for the payload bytes: %v", err)
	}
	return plain
}

// vectorKeepSerializer deserializes by copying the payload's bytes.
type vectorKeepSerializer struct{}

func (vectorKeepSerializer) Serialize(any) ([]byte, error) {
	return nil, errors.New("vectorKeepSerializer: open only")
}
func (vectorKeepSerializer) Deserialize(b []byte, v any) error {
	*v.(*[]byte) = bytes.Clone(b)
	return nil
}

// vectorKeyringClasses maps each expect: value of a failing keyring vector
// to the error it must match.
var vectorKeyringClasses = map[string]error{
	"invalid-keyring": ErrInvalidKeyring,
}

func checkKeyringVector(t *testing.T, v *vectorFile) {
	r, err := ParseKeyring(v.Keyring)
	if v.Expect != "ok" {
		if !errors.Is(err, vectorKeyringClasses[v.Expect]) {
			t.Fatalf("ParseKeyring: got %v, want %s", err, v.Expect)
		}
		return
	}
	if err != nil {
		t.Fatalf("ParseKeyring: %v, want ok", err)
	}
	got := "none"
	if k, err := r.Primary(v.Now); err == nil {
		got = k.ID.String()
	}
	if got != v.Primary {
		t.Errorf("primary at %v: %s, want %s", v.Now, got, v.Primary)
	}
}

// TestVectorsPeek checks what the first four characters of values tell
// the session layer before it joins chunks: version, flags and count.
func TestVectorsPeek(t *testing.T) {
	type result struct {
		n   int
		err error
	}
	want := map[string]result{
		"tampered-header-version":  {0, ErrUnsupportedVersion},
		"tampered-header-flags":    {0, ErrUnsupportedVersion},
		"unsupported-version":      {0, ErrUnsupportedVersion},
		"unknown-flags":            {0, ErrUnsupportedVersion},
		"order-version-before-key": {0, ErrUnsupportedVersion},
		"chunks-zero":              {0, ErrMalformed},
		"missing-prefix":           {0, ErrMalformed},
		"prefix-only":              {0, ErrMalformed},
		"tampered-header-chunks":   {3, nil},
		"chunks-two":               {2, nil},
		"order-chunks-before-key":  {2, nil},
		"chunks-255":               {255, nil},
	}
	checked := 0
	for name, data := range readVectorDir(t) {
		if !strings.HasSuffix(name, ".txt") {
			continue
		}
		v, err := parseVector(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		value := v.Value
		switch v.Input {
		case "keyring", "cookie-header", "bearer":
			continue
		case "seal":
			value = v.Value
		case "chunks":
			value = v.Chunks[0]
		}
		w, ok := want[v.Name]
		if v.Expect == "ok" {
			w, ok = result{max(1, len(v.Chunks)), nil}, true
		}
		if !ok {
			continue
		}
		checked++
		n, err := peekChunks(value)
		if n != w.n || !errors.Is(err, w.err) {
			t.Errorf("%s: peekChunks = %d, %v; want %d, %v", name, n, err, w.n, w.err)
		}
	}
	if checked < len(want) {
		t.Errorf("checked %d vectors, want at least %d", checked, len(want))
	}
	// Go's base64 decoder skips CR and LF: four characters that hold one
	// are fewer than three bytes, never a count read from the next ones.
	for _, v := range []string{"~AQ\nAC", "~\rAQAC", "~AQA\nC"} {
		if n, err := peekChunks(v); n != 0 || !errors.Is(err, ErrMalformed) {
			t.Errorf("peekChunks(%q) = %d, %v; want 0, %v", v, n, err, ErrMalformed)
		}
	}
	// Every four characters, held to the standard decoder: random ones
	// of the alphabet and beyond it, and every value of each position.
	rng := mathrand.New(mathrand.NewPCG(3, 5))
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.~ \r\n\x00\xff"
	var cases []string
	for range 20000 {
		b := []byte{'~', 0, 0, 0, 0, 'x'}
		for i := 1; i < 5; i++ {
			b[i] = chars[rng.IntN(len(chars))]
		}
		cases = append(cases, string(b))
	}
	for pos := 1; pos < 5; pos++ {
		for c := range 256 {
			b := []byte("~AQAB")
			b[pos] = byte(c)
			cases = append(cases, string(b))
		}
	}
	for _, v := range cases {
		want := 0
		var wantErr error
		var b [3]byte
		switch n, err := base64.RawURLEncoding.Decode(b[:], []byte(v[1:5])); {
		case err != nil || n != 3:
			wantErr = ErrMalformed
		case b[0] != formatVersion || b[1] != 0:
			wantErr = ErrUnsupportedVersion
		case b[2] == 0:
			wantErr = ErrMalformed
		default:
			want = int(b[2])
		}
		if n, err := peekChunks(v); n != want || !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
			t.Fatalf("peekChunks(%q) = %d, %v; the standard decoder says %d, %v", v, n, err, want, wantErr)
		}
	}
}

// TestFormatDoc checks that FORMAT.md lists every vector and that its
// worked example shows the bytes of the vector it names.
func TestFormatDoc(t *testing.T) {
	doc, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(vectorDir, "valid-tiny.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseVector(data)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b64.DecodeString(v.Value[1:])
	if err != nil {
		t.Fatal(err)
	}
	secret := vectorSecret(vkPrimary)
	plain, err := CBOR{}.Serialize(vectorTinyPayload)
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range vectorFormatExample(secret.bytes(), raw, v.CookieName, v.Purpose, plain) {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("FORMAT.md does not show the %s of valid-tiny: %s", what, s)
		}
	}
	if !bytes.Contains(doc, []byte(v.Value)) {
		t.Errorf("FORMAT.md does not show the value of valid-tiny: %s", v.Value)
	}
	for _, spec := range vectorSpecs(t) {
		if !bytes.Contains(doc, []byte("`"+spec.name+"`")) {
			t.Errorf("FORMAT.md does not list vector %s", spec.name)
		}
	}
}

// vectorFormatExample returns the hex strings FORMAT.md's worked example shows.
func vectorFormatExample(secret, raw []byte, name, purpose string, plain []byte) map[string]string {
	sub, err := hkdf.Key(sha256.New, secret, nil, hkdfInfoSeal, chacha20poly1305.KeySize)
	if err != nil {
		panic(err)
	}
	prk, err := hkdf.Extract(sha256.New, secret, nil)
	if err != nil {
		panic(err)
	}
	hdr := raw[:headerSize]
	return map[string]string{
		"base64 secret": base64.StdEncoding.EncodeToString(secret),
		"secret":        hex.EncodeToString(secret),
		"PRK":           hex.EncodeToString(prk),
		"subkey":        hex.EncodeToString(sub),
		"header":        hex.EncodeToString(hdr),
		"nonce":         hex.EncodeToString(raw[headerSize : headerSize+nonceSize]),
		"AD":            hex.EncodeToString(appendAD(nil, hdr, name, purpose)),
		"plaintext":     hex.EncodeToString(plain),
		"ciphertext":    hex.EncodeToString(raw[headerSize+nonceSize : len(raw)-tagSize]),
		"tag":           hex.EncodeToString(raw[len(raw)-tagSize:]),
	}
}
