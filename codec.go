package cookiesession

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/crypto/chacha20poly1305"
)

// The wire format, version 1 (FORMAT.md is the specification):
//
//	value  = "~" base64url-nopad(header ‖ nonce ‖ ciphertext ‖ tag)
//	header = version(1) ‖ flags(1) ‖ chunks(1) ‖ key id(4) ‖ issued-at(8) ‖ lifetime(4)
//	AD     = header ‖ len16(name) ‖ name ‖ len16(purpose) ‖ purpose
const (
	formatVersion = 1
	// valuePrefix starts every value. It is not in the base64url alphabet
	// that gorilla/securecookie values are written in, so the two formats
	// can never be confused, and it is a valid cookie-octet (RFC 6265).
	valuePrefix = '~'

	headerSize = 19
	nonceSize  = chacha20poly1305.NonceSizeX
	tagSize    = chacha20poly1305.Overhead

	// Overhead is how many bytes sealing adds to a serialized payload
	// before base64: the header, the nonce and the tag.
	Overhead = headerSize + nonceSize + tagSize

	// MaxChunks is the most cookies one value may be split over; the count
	// is one header byte.
	MaxChunks = math.MaxUint8

	maxNameLen    = 4096    // a cookie name is never longer than a cookie
	maxPurposeLen = 1024    // bound on CodecConfig.Purpose
	maxMaxLength  = 1 << 20 // bound on CodecConfig.MaxLength
)

// CodecConfig configures a [Codec]. The zero value of every field means the
// documented default.
type CodecConfig struct {
	// Purpose names what values are for: "session", "csrf", an audience.
	// It is bound into every value's associated data, so a value sealed
	// for one purpose never opens for another, even under the same keys.
	// At most 1024 bytes. Default "".
	Purpose string

	// MaxAge is how long a value sealed by Encode stays valid. The expiry
	// travels in the authenticated header and the server enforces it,
	// whatever the browser does with the cookie's own Max-Age.
	// Default 24 hours; at most about 136 years.
	MaxAge time.Duration

	// ClockSkew is how far the clocks of the servers sharing a keyring may
	// disagree: a value stays valid this long past its expiry, and may
	// claim to have been issued this far in the future. Default one
	// minute; negative means none.
	ClockSkew time.Duration

	// MaxLength is the longest encoded value, in bytes, that Encode writes
	// and Decode reads; longer input is refused before any decoding.
	// Default 4096, the most a browser keeps in one cookie; at most 1 MiB.
	MaxLength int

	// Serializer turns values into bytes and back. Default [CBOR].
	Serializer Serializer

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// A Codec seals values under a cookie name with the primary key of its
// keyring and opens them again. It implements securecookie.Codec, so it
// drops into gorilla/sessions. A Codec is safe for concurrent use.
//
// In a gorilla/sessions CookieStore, the store's MaxAge (and
// Options.MaxAge) sets only the cookie's Max-Age attribute: gorilla hands
// the age limit to *securecookie.SecureCookie values alone, never to
// another Codec, so a copied cookie would go on opening. The age that
// the server enforces is [CodecConfig.MaxAge], sealed into every value.
type Codec struct {
	keys      KeySource
	purpose   string
	maxAge    time.Duration
	skew      time.Duration
	maxLength int
	ser       Serializer
	now       func() time.Time
	rand      io.Reader                // the nonce source; only tests replace it
	usage     sync.Map                 // KeyID → *keyUsage, for the keys that opened values
	lastUsage atomic.Pointer[keyUsage] // the one of them that counted last
}

// NewCodec returns a codec sealing with the keys from keys.
func NewCodec(keys KeySource, cfg CodecConfig) (*Codec, error) {
	if keys == nil {
		return nil, errors.New("cookiesession: NewCodec: nil key source")
	}
	c := &Codec{
		keys:      keys,
		purpose:   cfg.Purpose,
		maxAge:    cfg.MaxAge,
		skew:      cfg.ClockSkew,
		maxLength: cfg.MaxLength,
		ser:       cfg.Serializer,
		now:       cfg.Now,
		rand:      rand.Reader,
	}
	if len(c.purpose) > maxPurposeLen {
		return nil, fmt.Errorf("cookiesession: Purpose is %d bytes, at most %d", len(c.purpose), maxPurposeLen)
	}
	switch {
	case c.maxAge == 0:
		c.maxAge = 24 * time.Hour
	case c.maxAge < time.Second || c.maxAge > math.MaxUint32*time.Second:
		return nil, fmt.Errorf("cookiesession: MaxAge %v is not between 1s and %v", c.maxAge, math.MaxUint32*time.Second)
	}
	switch {
	case c.skew == 0:
		c.skew = time.Minute
	case c.skew < 0:
		c.skew = 0
	}
	switch {
	case c.maxLength == 0:
		c.maxLength = 4096
	case c.maxLength < 1+b64EncodedLen(Overhead) || c.maxLength > maxMaxLength:
		return nil, fmt.Errorf("cookiesession: MaxLength %d is not between %d and %d",
			c.maxLength, 1+b64EncodedLen(Overhead), maxMaxLength)
	}
	if c.ser == nil {
		c.ser = CBOR{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// keyReloader is implemented by key sources that can look again, at once,
// for a key id their current keyring lacks.
type keyReloader interface {
	// reloadFor is called when a value names id and ring does not hold
	// it. It returns the keyring to use: a newer one, or ring itself when
	// it did not (or, rate-limited, would not) reload.
	reloadFor(id KeyID, ring *Keyring) *Keyring
}

// Header holds the authenticated fields of an opened value.
type Header struct {
	KeyID    KeyID     // the key that sealed the value
	IssuedAt time.Time // when it was sealed, to the second
	Expires  time.Time // when it stops opening (plus the clock skew)
	Chunks   int       // how many cookies it was split over
}

// Encode serializes v and seals it under the cookie name, valid for MaxAge.
func (c *Codec) Encode(name string, v any) (string, error) {
	now := c.now()
	value, _, err := c.seal(name, v, now, now.Add(c.maxAge), nil)
	return value, err
}

// Decode opens a value that Encode sealed under the same name and purpose
// and deserializes it into dst. Every failure matches one of the package's
// errors: [ErrMalformed], [ErrTampered], [ErrUnknownKey], [ErrRevokedKey],
// [ErrExpired], [ErrNotYetValid], [ErrTooLarge], [ErrUnsupportedVersion] or
// [ErrIncomplete]. After a failure, dst may hold part of the value: decode
// into a fresh one rather than trust what a failed decode left.
func (c *Codec) Decode(name, value string, dst any) error {
	_, err := c.open(name, []string{value}, dst, 1)
	return err
}

// Open is [Codec.Decode] that also returns the value's authenticated
// header. The header is also returned with [ErrExpired], and with
// [ErrMalformed] for a payload that does not decode: the value
// authenticated, so its header can be trusted.
func (c *Codec) Open(name, value string, dst any) (Header, error) {
	return c.open(name, []string{value}, dst, 1)
}

// scratch buffers hold a value's raw bytes, its associated data and its
// encoding while it is sealed or opened, so that a request costs no
// allocation beyond the serializer's and the returned string. The part
// that held plaintext, if any, is cleared before going back to the pool:
// the raw bytes of an opened value. Sealing writes only ciphertext there
// (the plaintext stays in the serializer's buffer, cleared by putBuffer),
// and associated data and encodings are not secret.
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

func getScratch(n int) *[]byte {
	p := scratchPool.Get().(*[]byte)
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	*p = (*p)[:n]
	return p
}

func putScratch(p *[]byte, plain int) {
	clear((*p)[:plain])
	if cap(*p) <= 2*maxMaxLength {
		scratchPool.Put(p)
	}
}

// seal serializes v and seals it, issued at iat and expiring at exp. If
// chunksFor is not nil it returns how many cookies a value of the given
// encoded length is split over; that count is sealed into the header. It
// returns the value and the id of the key that sealed it.
func (c *Codec) seal(name string, v any, iat, exp time.Time, chunksFor func(encLen int) (int, error)) (string, KeyID, error) {
	enc, buf, id, err := c.sealInto(name, v, iat, exp, chunksFor, true)
	if err != nil {
		return "", 0, err
	}
	putScratch(buf, 0)
	return ownedString(enc), id, nil
}

// sealScratch is seal, with the value left in buf, a scratch buffer: the
// caller copies it out (a store, straight into its Set-Cookie lines) and
// hands buf back with putScratch(buf, 0). It holds ciphertext, associated
// data and the encoding only; the plaintext stayed in the serializer's
// buffer, cleared by putBuffer. On error there is no buffer to hand back.
func (c *Codec) sealScratch(name string, v any, iat, exp time.Time, chunksFor func(encLen int) (int, error)) (enc []byte, buf *[]byte, id KeyID, err error) {
	return c.sealInto(name, v, iat, exp, chunksFor, false)
}

// sealInto is sealScratch, with the value in a slice of its own when own
// is set, for seal to return as it is: nothing else refers to it.
func (c *Codec) sealInto(name string, v any, iat, exp time.Time, chunksFor func(encLen int) (int, error), own bool) (enc []byte, buf *[]byte, id KeyID, err error) {
	if len(name) > maxNameLen {
		return nil, nil, 0, fmt.Errorf("cookiesession: cookie name is %d bytes, at most %d", len(name), maxNameLen)
	}
	ring := c.keys.Keyring()
	if ring == nil {
		return nil, nil, 0, ErrNoPrimaryKey
	}
	pi := ring.primary(iat)
	if pi < 0 {
		return nil, nil, 0, ErrNoPrimaryKey
	}
	lifetime := exp.Unix() - iat.Unix()
	if lifetime <= 0 || lifetime > math.MaxUint32 {
		return nil, nil, 0, fmt.Errorf("cookiesession: lifetime %v is not between 1s and %v", exp.Sub(iat), math.MaxUint32*time.Second)
	}

	payload, pooled, err := serialize(c.ser, v)
	defer putBuffer(pooled)
	if err == nil && pooled == nil {
		// A serializer of the application's: this package's check that
		// what seals also opens (roundtrip.go) runs on its output too.
		err = sealable(c.ser, v, payload)
	}
	if err != nil {
		return nil, nil, 0, serializeError(v, err)
	}

	rawLen := Overhead + len(payload)
	encLen := 1 + b64EncodedLen(rawLen)
	chunks := 1
	if chunksFor != nil {
		// The caller's limits come first: they say what is too large in
		// its own terms (the cookies a session adds to a request).
		if chunks, err = chunksFor(encLen); err != nil {
			return nil, nil, 0, err
		}
	}
	if encLen > c.maxLength {
		return nil, nil, 0, &TooLargeError{What: "value", Size: encLen, Limit: c.maxLength}
	}
	if chunks < 1 || chunks > MaxChunks {
		return nil, nil, 0, fmt.Errorf("cookiesession: %d chunks, at most %d", chunks, MaxChunks)
	}

	adLen := headerSize + 2 + len(name) + 2 + len(c.purpose)
	scratch := rawLen + adLen
	if !own {
		scratch += encLen
	}
	buf = getScratch(scratch)
	raw := (*buf)[:rawLen]
	hdr := raw[:headerSize]
	hdr[0] = formatVersion
	hdr[1] = 0 // flags: none defined in version 1
	hdr[2] = byte(chunks)
	binary.BigEndian.PutUint32(hdr[3:7], uint32(ring.keys[pi].ID))
	binary.BigEndian.PutUint64(hdr[7:15], uint64(iat.Unix()))
	binary.BigEndian.PutUint32(hdr[15:19], uint32(lifetime))

	// A fresh random nonce per value: 192 bits are enough that random
	// nonces never repeat under one key. If the source fails, fail: a
	// zero or repeated nonce would reveal plaintexts and allow forgeries.
	nonce := raw[headerSize : headerSize+nonceSize]
	if _, err := io.ReadFull(c.rand, nonce); err != nil {
		putScratch(buf, 0)
		return nil, nil, 0, fmt.Errorf("cookiesession: reading a random nonce: %w", err)
	}
	ad := appendAD((*buf)[rawLen:rawLen], hdr, name, c.purpose)
	ring.aeads[pi].Seal(raw[headerSize+nonceSize:headerSize+nonceSize], nonce, payload, ad)

	if own {
		enc = make([]byte, encLen)
	} else {
		enc = (*buf)[rawLen+adLen:]
	}
	enc[0] = valuePrefix
	b64Encode(enc[1:], raw)
	return enc, buf, ring.keys[pi].ID, nil
}

// readOnlyBytes returns the bytes of s without copying them, for a
// reader that only reads them (the base64 decoder reads its input and
// writes only its output): a string's bytes must never be written.
func readOnlyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// ownedString returns b as a string without copying it. b must be the
// only reference to its bytes, never written again: seal's own slice.
func ownedString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendAD appends the associated data: the header, then the cookie name
// and the purpose, each with a 16-bit big-endian length so that no two
// (name, purpose) pairs give the same bytes.
func appendAD(dst, hdr []byte, name, purpose string) []byte {
	dst = append(dst, hdr...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(name)))
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(purpose)))
	return append(dst, purpose...)
}

// peekChunks returns how many cookies a value says it is split over,
// reading only its first four characters. The count is not yet
// authenticated: it only decides how many cookies to join, and the tag
// check that follows covers it.
func peekChunks(value string) (int, error) {
	if len(value) < 5 || value[0] != valuePrefix {
		return 0, ErrMalformed
	}
	// The first four characters hold the first three bytes: read them
	// by the alphabet's table, which is cheaper, for four characters,
	// than a decoder's setting up. A character outside the alphabet
	// (CR and LF too, which Go's decoder would skip) makes the value
	// malformed, as open would find.
	var v uint32
	for i := 1; i < 5; i++ {
		x := b64Values[value[i]]
		if x > 63 {
			return 0, ErrMalformed
		}
		v = v<<6 | uint32(x)
	}
	b := [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	if b[0] != formatVersion || b[1] != 0 {
		return 0, ErrUnsupportedVersion
	}
	if b[2] == 0 {
		return 0, ErrMalformed
	}
	return int(b[2]), nil
}

// open checks, authenticates and deserializes a value that must have been
// split over exactly wantChunks cookies: the chunks in parts, joined in
// the scratch buffer rather than into a string of their own (one value is
// parts of one).
func (c *Codec) open(name string, parts []string, dst any, wantChunks int) (Header, error) {
	size, prefix := 0, byte(0)
	for _, p := range parts {
		if size == 0 && p != "" {
			prefix = p[0]
		}
		size += len(p)
	}
	// Every check before the tag costs nothing an attacker can amplify:
	// the length is checked before decoding, the key is found by its id
	// in a short list, and a failure never tries another key.
	if size > c.maxLength {
		return Header{}, &TooLargeError{What: "value", Size: size, Limit: c.maxLength}
	}
	if len(name) > maxNameLen {
		// The caller's mistake, not the value's: no outcome class, as
		// when sealing (FORMAT.md, the checks' order).
		return Header{}, fmt.Errorf("cookiesession: cookie name is %d bytes, at most %d", len(name), maxNameLen)
	}
	if size == 0 || prefix != valuePrefix {
		return Header{}, ErrMalformed
	}
	encLen := size - 1
	if encLen%4 == 1 { // no base64 encoding has this length
		return Header{}, ErrMalformed
	}
	rawMax := encLen * 6 / 8
	if rawMax < Overhead {
		return Header{}, ErrMalformed
	}
	adLen := headerSize + 2 + len(name) + 2 + len(c.purpose)
	scratch := rawMax + adLen
	if len(parts) > 1 {
		scratch += size // the chunks are joined there
	}
	buf := getScratch(scratch)
	defer putScratch(buf, rawMax) // the value is opened in place, in the first rawMax bytes
	var in []byte
	if len(parts) == 1 {
		in = readOnlyBytes(parts[0]) // decoded from the string's own bytes, not a copy
	} else {
		in = (*buf)[rawMax+adLen:]
		off := 0
		for _, p := range parts {
			off += copy(in[off:], p)
		}
	}
	in = in[1:] // after the prefix
	// The decoder refuses non-canonical encodings (stray bits in the last
	// character) and every byte outside the alphabet, CR and LF too, so
	// one value has exactly one spelling.
	n, ok := b64Decode((*buf)[:rawMax], in)
	if !ok || n < Overhead {
		return Header{}, ErrMalformed
	}
	raw := (*buf)[:n]
	hdr := raw[:headerSize]
	if hdr[0] != formatVersion || hdr[1] != 0 {
		return Header{}, ErrUnsupportedVersion
	}
	if hdr[2] == 0 {
		return Header{}, ErrMalformed
	}
	if int(hdr[2]) != wantChunks {
		return Header{}, ErrIncomplete
	}
	id := KeyID(binary.BigEndian.Uint32(hdr[3:7]))
	iat := int64(binary.BigEndian.Uint64(hdr[7:15]))
	lifetime := int64(binary.BigEndian.Uint32(hdr[15:19]))

	now := c.now()
	ring := c.keys.Keyring()
	if ring == nil {
		return Header{}, &KeyError{ID: id, Err: ErrUnknownKey}
	}
	aead, err := ring.opener(id, now)
	if errors.Is(err, ErrUnknownKey) {
		// A server may see a new key's first values before its own copy
		// of the keyring file shows the key; a reloading source gets one
		// rate-limited chance to look again. Still exactly one key is
		// tried: the one the id names.
		if rl, ok := c.keys.(keyReloader); ok {
			if newer := rl.reloadFor(id, ring); newer != nil && newer != ring {
				aead, err = newer.opener(id, now)
			}
		}
	}
	if err != nil {
		return Header{}, err
	}
	ad := appendAD((*buf)[rawMax:rawMax], hdr, name, c.purpose)
	ct := raw[headerSize+nonceSize:]
	plain, err := aead.Open(ct[:0], raw[headerSize:headerSize+nonceSize], ct, ad)
	if err != nil {
		return Header{}, ErrTampered
	}

	// Times are checked only once they are known to be authentic, and in
	// whole seconds first: an issued-at near the end of int64 would
	// overflow a time.Time.
	if latest, _ := unixAdd(now, c.skew); iat > latest {
		return Header{}, ErrNotYetValid
	}
	h := Header{KeyID: id, IssuedAt: time.Unix(iat, 0), Expires: time.Unix(iat+lifetime, 0), Chunks: int(hdr[2])}
	// From here the header is authentic, and returned with the error.
	if atOrAfter(now, iat+lifetime, c.skew) { // iat is at most now's, so the sum fits
		return h, ErrExpired
	}
	if err := deserialize(c.ser, plain, dst); err != nil {
		return h, decodeFailure(c.ser, plain, dst) // never err: it may quote the plaintext
	}
	c.recordUsage(h.KeyID, now)
	return h, nil
}

// atOrAfter reports whether now is at or after the time sec seconds after
// the Unix epoch plus d: !now.Before(time.Unix(sec, 0).Add(d)), in whole
// seconds and nanoseconds, without building either time. Its callers
// ask whether something has expired, so a deadline beyond what int64
// seconds hold, where time.Time's arithmetic would wrap, counts as
// reached: such a check fails closed.
func atOrAfter(now time.Time, sec int64, d time.Duration) bool {
	ds, dn := int64(d/time.Second), int(d%time.Second)
	if dn < 0 {
		ds, dn = ds-1, dn+int(time.Second)
	}
	if ds > 0 && sec > math.MaxInt64-ds || ds < 0 && sec < math.MinInt64-ds {
		return true
	}
	at, ns := sec+ds, now.Unix()
	return ns > at || ns == at && now.Nanosecond() >= dn
}

// unixAdd returns t.Add(d) as whole seconds since the Unix epoch and
// nanoseconds within the second (0 to 999,999,999), without building the
// time.Time: the checks and seals of every request add durations to times,
// and time.Time's Add (and Sub, which calls it) reads and rebuilds its
// wall and monotonic clocks each time. Like Add's (at the ends of its own
// range), the result stops at the ends of int64 seconds rather than wrap,
// at the last nanosecond of the last second or the first of the first: a
// deadline past the end is never reached, and a lifetime that long is
// refused where it is sealed.
func unixAdd(t time.Time, d time.Duration) (sec, nsec int64) {
	ds := int64(d / time.Second)
	nsec = int64(t.Nanosecond()) + int64(d%time.Second)
	switch {
	case nsec >= int64(time.Second):
		ds, nsec = ds+1, nsec-int64(time.Second)
	case nsec < 0:
		ds, nsec = ds-1, nsec+int64(time.Second)
	}
	switch sec = t.Unix(); {
	case ds > 0 && sec > math.MaxInt64-ds:
		return math.MaxInt64, int64(time.Second) - 1
	case ds < 0 && sec < math.MinInt64-ds:
		return math.MinInt64, 0
	}
	return sec + ds, nsec
}

// unixBefore reports whether the time of sec seconds and nsec nanoseconds
// since the Unix epoch comes before that of sec2 and nsec2 (both nsec
// within a second, as unixAdd gives them).
func unixBefore(sec, nsec, sec2, nsec2 int64) bool {
	return sec < sec2 || sec == sec2 && nsec < nsec2
}

// KeyUsage counts the values one key opened through a codec since it was
// made: an operator deletes a retired key once its count stops growing.
type KeyUsage struct {
	ID       KeyID
	Opened   uint64    // values opened
	LastSeen time.Time // when the latest of them was opened
}

type keyUsage struct {
	id     KeyID
	opened atomic.Uint64
	last   atomic.Int64 // Unix nanoseconds
}

// recordUsage runs only after a value authenticated, so the map holds
// only ids of real keys, never ids an attacker made up.
func (c *Codec) recordUsage(id KeyID, now time.Time) {
	// Most values open under the primary: its counter is at hand.
	ku := c.lastUsage.Load()
	if ku == nil || ku.id != id {
		u, ok := c.usage.Load(id)
		if !ok {
			u, _ = c.usage.LoadOrStore(id, &keyUsage{id: id})
		}
		ku = u.(*keyUsage)
		c.lastUsage.Store(ku)
	}
	ku.opened.Add(1)
	ku.last.Store(now.UnixNano())
}

// KeyUsage returns, for each key that opened at least one value through
// c, how many it opened and when it last did, ordered by key id.
func (c *Codec) KeyUsage() []KeyUsage {
	var out []KeyUsage
	c.usage.Range(func(k, v any) bool {
		ku := v.(*keyUsage)
		out = append(out, KeyUsage{ID: k.(KeyID), Opened: ku.opened.Load(), LastSeen: time.Unix(0, ku.last.Load())})
		return true
	})
	slices.SortFunc(out, func(a, b KeyUsage) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// serialize runs s, into a pooled buffer when s is one of this package's
// serializers. The caller hands that buffer (nil for other serializers)
// to putBuffer once it is done with payload, even if err is not nil.
func serialize(s Serializer, v any) (payload []byte, pooled *bytes.Buffer, err error) {
	defer recoverMethodPanic(&err)
	if a, ok := s.(bufferSerializer); ok {
		b := bufPool.Get().(*bytes.Buffer)
		b.Reset()
		err := a.serializeTo(b, v)
		return b.Bytes(), b, err
	}
	payload, err = s.Serialize(v)
	return payload, nil, err
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// staleMax bounds the bytes of plaintext that an encoding leaves after its
// end in the buffer's spare capacity. A struct's map head is written for
// all of its fields, then made shorter once the omitted ones are known,
// and what follows it moves back: by 1 byte in the fast path, by up to 8
// in fxamacker/cbor, leaving as many copies of the last bytes behind the
// new end, at each of at most MaxNesting levels that end together. JSON
// trims its newline. The fast path's keys, written a word at a time,
// leave zeros.
const staleMax = 8 * (MaxNesting + 1)

// putBuffer clears the plaintext b holds and returns it to the pool,
// unless it grew larger than any value a codec seals. What this use wrote
// is b's contents and, in its spare capacity, at most staleMax bytes after
// them, which are cleared too.
func putBuffer(b *bytes.Buffer) {
	if b == nil {
		return
	}
	clear(b.Bytes())
	spare := b.AvailableBuffer()
	clear(spare[:min(cap(spare), staleMax)])
	if b.Cap() <= 2*maxMaxLength {
		bufPool.Put(b)
	}
}

// deserialize runs s on plaintext that lives in a pooled buffer. This
// package's serializers copy what they keep; any other gets its own copy,
// since it might keep a reference to the bytes.
func deserialize(s Serializer, plain []byte, dst any) (err error) {
	defer recoverMethodPanic(&err)
	if _, ok := s.(bufferSerializer); !ok {
		plain = bytes.Clone(plain)
	}
	return s.Deserialize(plain, dst)
}

// errMethodPanic is what a serializer's panic becomes. Encoders and
// decoders call the value's own methods (MarshalText, UnmarshalBinary, …),
// and a method promoted from a nil embedded pointer (a struct{ *big.Rat })
// panics there: the request gets an error, a fresh session or a refused
// save, rather than a dropped connection. The panic's value is not kept:
// it may quote the session's data.
var errMethodPanic = errors.New("a method of the value's type (a marshaler or an unmarshaler) panicked")

// recoverMethodPanic turns a panic of the deferring serializer call into
// errMethodPanic in *err.
func recoverMethodPanic(err *error) {
	if recover() != nil {
		*err = errMethodPanic
	}
}
