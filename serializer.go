package cookiesession

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// A Serializer turns session values into bytes and back. It has the method
// set of securecookie.Serializer, so either package's serializers work in
// the other. Implementations must be safe for concurrent use.
type Serializer interface {
	Serialize(src any) ([]byte, error)
	Deserialize(src []byte, dst any) error
}

// bufferSerializer is implemented by this package's serializers: they
// write into a caller's buffer and copy whatever they keep from the input.
type bufferSerializer interface {
	serializeTo(b *bytes.Buffer, v any) error
}

// Decoding limits shared by both serializers. The encoded value's length
// cap already bounds the payload; these bound the work and memory of
// decoding it, whatever a peer with the keys put inside.
const (
	// MaxNesting is the deepest nesting of arrays and maps a payload may
	// have. Sealing refuses deeper values, so whatever seals also opens.
	MaxNesting = 32
	// maxElements bounds the elements of one array or map.
	maxElements = 65536
)

// CBOR is the default serializer: CBOR (RFC 8949) via fxamacker/cbor. It
// was chosen by measurement (see the README): for sessions up to the size
// of a cookie, its encodings are the smallest and it is the fastest of
// encoding/json, encoding/gob and CBOR. (For typed sessions of several
// kilobytes made of repeated records, gob's encodings are smaller, since
// it names each field once.)
// Integers keep every bit (an integer in an any decodes to int64, or to
// *big.Int beyond it), times keep nanoseconds and their offset (RFC 3339
// writes offsets to the minute, and years 0 to 9999: a time it cannot
// write exactly, in a local mean time offset such as +00:19:32, in a fixed
// zone 24 hours or more from UTC, or outside those years, is refused by
// Serialize, Encode and Save with a *ValueError rather than sealed to
// come back different, or not at all), maps
// in an any decode to map[string]any, strings keep their bytes even when
// they are not UTF-8 (the payload is authenticated: refusing them would
// only make such a session seal and never open), and duplicate map keys,
// indefinite lengths and nesting beyond MaxNesting are refused, in the
// whole payload, the members that the destination has no field for
// included (fxamacker/cbor skips those unread: they are walked once more,
// only for payloads that leave the fast path below). A tag 1
// (an epoch time, which Go's encoder never writes but another may) is
// read as a time into a time.Time and into an any, except that one that
// holds NaN, an infinity or more than 2^62 seconds either way is refused,
// rather than read as the zero time or as a date that wrapped around. An
// untagged number read into a time.Time is Unix seconds within the same
// bound (NaN and the infinities there read as the zero time, as
// fxamacker/cbor reads RFC 8949's undefined time).
//
// Plain types — structs, possibly keyed with keyasint, of booleans,
// integers, float64, strings, []byte, time.Time, any, pointers, slices and
// string-keyed maps of these, without methods of their own, and so the
// map[string]any of a MapStore — take a faster path with the same
// encoding and the same results. Their decoded strings share one
// copy of the payload, so a string kept from a session keeps that copy
// (at most the session's size) alive. Other types, and any input the fast
// path does not expect, go through fxamacker/cbor.
type CBOR struct{}

var _ Serializer = CBOR{}

type cborModes struct {
	enc cbor.UserBufferEncMode
	dec cbor.DecMode
}

// cborModesOnce builds the modes on first use rather than at init.
var cborModesOnce = sync.OnceValue(func() cborModes {
	enc, err := cbor.EncOptions{
		Time:    cbor.TimeRFC3339Nano, // exact round trip; a Unix time would drop the offset or the nanoseconds
		TimeTag: cbor.EncTagNone,
	}.UserBufferEncMode()
	if err != nil {
		panic(err) // constant options: an error here is a programming error
	}
	opts := cborLimits()
	opts.IntDec = cbor.IntDecConvertSignedOrBigInt
	opts.BigIntDec = cbor.BigIntDecodePointer // *big.Int, as documented above
	opts.DefaultMapType = reflect.TypeOf(map[string]any(nil))
	// Exact field names only: one spelling per field, and faster.
	opts.FieldNameMatching = cbor.FieldNameMatchingCaseSensitive
	dec, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return cborModes{enc: enc, dec: dec}
})

// cborLimits are the decoding options that make a payload valid or not:
// every decoder of the package's payloads starts from them.
func cborLimits() cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  MaxNesting,
		MaxArrayElements: maxElements,
		MaxMapPairs:      maxElements,
		UTF8:             cbor.UTF8DecodeInvalid, // a Go string may hold any bytes
	}
}

// Serialize encodes src as CBOR.
func (CBOR) Serialize(src any) ([]byte, error) {
	var b bytes.Buffer
	if err := (CBOR{}).serializeTo(&b, src); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (CBOR) serializeTo(b *bytes.Buffer, src any) error {
	// The fast path's output is well-formed and within the limits by
	// construction (cborfast.go), so it skips the check below.
	if cborFastEncode(b, src) {
		return nil
	}
	if err := sealableBefore(src, encCBOR); err != nil {
		return err
	}
	m := cborModesOnce()
	start := b.Len()
	if err := m.enc.MarshalToBuffer(src, b); err != nil {
		return err
	}
	// Refuse to seal what could not be opened again: nesting past
	// MaxNesting, too many elements, indefinite lengths or malformed
	// output from a custom marshaler. This pass costs a few percent of an
	// Encode and Decode round trip (BenchmarkCodec against its floor). A
	// hand-written scanner was faster, but not by enough to keep a second
	// copy of the decoder's rules that must never drift from them.
	if err := m.dec.Wellformed(b.Bytes()[start:]); err != nil {
		return err
	}
	return sealableAfter(CBOR{}, src, b.Bytes()[start:])
}

// Deserialize decodes CBOR into dst, which must be a non-nil pointer.
func (CBOR) Deserialize(src []byte, dst any) error {
	if cborFastDecode(src, dst) {
		return nil
	}
	return decodeCBOR(cborModesOnce().dec, src, dst)
}

// JSON serializes with encoding/json, for applications that want to read
// payloads with other tools. Numbers in an any decode as json.Number, so
// integers above 2^53 keep every digit, and a []byte or a time in an any
// comes back as its text (base64, RFC 3339), as encoding/json writes it;
// typed fields come back as they were. Nesting beyond MaxNesting is
// refused before decoding starts. A string that is not UTF-8, which JSON
// cannot hold, is refused when it is sealed; CBOR keeps its bytes. So is
// what encoding/json writes in a form that comes back as another value:
// an empty json.Number (written 0), a nil json.RawMessage (written null,
// read back as the text null) or one that is not compact (written
// compacted), and a slice that writes itself as text, empty but not nil,
// which its unmarshaler reads back as nil (a net.IP{}); as a field tagged
// omitempty each is left out, and seals.
type JSON struct{}

var _ Serializer = JSON{}

// Serialize encodes src as JSON.
func (JSON) Serialize(src any) ([]byte, error) {
	var b bytes.Buffer
	if err := (JSON{}).serializeTo(&b, src); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (JSON) serializeTo(b *bytes.Buffer, src any) error {
	if err := sealableBefore(src, encJSON); err != nil {
		return err
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false) // the payload is sealed, never embedded in HTML
	if err := enc.Encode(src); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
	if err := checkJSONDepth(b.Bytes()); err != nil {
		return err
	}
	// encoding/json writes each byte of a string that is not UTF-8 as the
	// escape \ufffd (and a real U+FFFD as itself): such a string would
	// come back changed, so it is refused rather than sealed.
	if hasReplacementEscape(b.Bytes()) {
		return &ValueError{Type: dataType(reflect.TypeOf(src)).String(),
			Problem: "it holds a string that is not UTF-8, which JSON cannot keep (use CBOR, or []byte)"}
	}
	return sealableAfter(JSON{}, src, b.Bytes())
}

// Deserialize decodes one JSON value into dst, which must be a non-nil pointer.
func (JSON) Deserialize(src []byte, dst any) error {
	if err := checkJSONDepth(src); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("cookiesession: data after the JSON value")
	}
	return nil
}

var errTooDeep = errors.New("cookiesession: payload nested deeper than MaxNesting")

// checkJSONDepth scans JSON text once, counting brackets outside strings,
// and refuses nesting beyond MaxNesting. It does not validate the syntax;
// the decoder does that afterwards.
func checkJSONDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > MaxNesting {
				return errTooDeep
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// hasReplacementEscape reports whether JSON text holds the escape \ufffd
// itself, not the text of one in a string (an escaped backslash before
// "ufffd"): the backslashes before "ufffd" must be odd in number.
func hasReplacementEscape(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\ufffd`))
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 1
	}
}
