package cookiesession

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// What every decoding of a CBOR payload by fxamacker/cbor is checked for
// besides: checkPayload walks the payload once more, whole, after the
// decoder took it without error.
//
// It is needed because the decoder checks only what it decodes. A member
// of a map that the destination has no field for (a field a later release
// removed, a member of the session envelope this release does not know)
// is skipped, and what it holds is never looked at: a duplicate key, or a
// tag 0 around an integer, which FORMAT.md's check 1 makes malformed
// whatever type the payload is read into, would open in Go and not in
// another implementation. And a tag 1 that the decoder does read it reads
// loosely: NaN and the infinities as the zero time, and seconds beyond
// what time.Time holds as a date that wrapped around (2^63 as a float
// opened in the year 292,277,026,596).
//
// Well-formedness, indefinite lengths, nesting and the counts of elements
// are the decoder's own checks, made on the whole payload before it
// decodes: they are not repeated here, except as the walk's own bounds.

var (
	// errPayloadRule is a payload that breaks a rule of check 1 in a part
	// the decoder did not look at.
	errPayloadRule = errors.New("cbor: the payload holds two equal keys in one map, or a tag around content it may not hold")
	// errEpochTime is a payload that holds a tag 1 (an epoch time), or a
	// number read into a time.Time, that no time.Time stands for.
	errEpochTime = errors.New("cbor: a time (a tag 1, or a number read as Unix seconds) holds NaN, an infinity, or more seconds than time.Time holds")
)

// maxEpochSeconds bounds the seconds of a tag 1, either side of 1970:
// 2^62 seconds, about 146 billion years, well inside the years time.Time
// computes without wrapping (about 292 billion either way).
const maxEpochSeconds = 1 << 62

// checkFrame is an array or a map being walked.
type checkFrame struct {
	left  uint64 // items still to read in it: a map's keys and values both count
	isMap bool
	keys  int // where its keys start in checker.keys
}

// checkKey is a key of a map being walked: an integer (major 0 or 1, arg
// its argument) or a text string (major 3, its bytes b[start:end]), the
// keys of nearly every map, compared without allocating; or any other
// key (major keyOther), compared by id, its identity (keyIdentity).
type checkKey struct {
	major      byte
	arg        uint64
	start, end int
	id         string
}

// keyOther marks a checkKey of another type than an integer or text.
const keyOther = 0xff

// checkPayload reports errPayloadRule or errEpochTime when b, one CBOR
// data item that the decoder took, holds
//
//   - two equal keys in one map: two text strings of the same bytes, two
//     integers of the same value, however long their heads, or two keys
//     of another type of the same identity (keyIdentity);
//   - a tag 0 around anything but a text string, a tag 1 around anything
//     but an integer or a float, a tag 2 or 3 around anything but a byte
//     string (a tag's content is the data item right after its head);
//   - a tag 1 around NaN, an infinity, or more than maxEpochSeconds
//     seconds either way (errEpochTime).
//
// The walk is bounded by b, not by what its heads claim: each data item
// takes at least one byte, a head that claims more items or bytes than
// are left ends it with an error, and so does nesting deeper than the
// decoder allows. It does not recurse; keyIdentity, for the rare key of
// another type, recurses as deep as that key nests, and reads each part
// of it once for each key it is inside (at most MaxNesting times).
//
// farTime reports whether the payload holds, untagged, NaN, an infinity or
// a number beyond maxEpochSeconds: what decodeCBOR then looks for in the
// times it decoded.
func checkPayload(b []byte) (farTime bool, err error) {
	c := checker{b: b}
	err = c.walk()
	return c.farTime, err
}

type checker struct {
	b       []byte
	off     int
	stack   []checkFrame
	keys    []checkKey
	farTime bool // see checkPayload
}

func (c *checker) walk() error {
	var frames [MaxNesting + 2]checkFrame
	c.stack = append(frames[:0], checkFrame{left: 1}) // the payload itself
	tag, tagged := uint64(0), false                   // the item next read is the content of tag
	taggedKey := false                                // a key's slot began with a tag
	for len(c.stack) > 0 {
		f := &c.stack[len(c.stack)-1]
		if f.left == 0 {
			if f.isMap && hasEqualKeys(c.b, c.keys[f.keys:]) {
				return errPayloadRule
			}
			if f.isMap {
				c.keys = c.keys[:f.keys]
			}
			c.stack = c.stack[:len(c.stack)-1]
			continue
		}
		isKey := f.isMap && f.left%2 == 0
		f.left--
		start := c.off
		major, info, arg, err := c.head()
		if err != nil {
			return err
		}
		if tagged {
			tagged = false
			if err := tagContent(tag, major, info, arg); err != nil {
				return err
			}
		} else if !c.farTime && (major <= 1 || major == 7 && info >= 25 && info <= 27) && !epochFits(major, info, arg) {
			c.farTime = true // a number no time.Time holds, should one be read from it
		}
		switch {
		case !isKey || taggedKey:
		case major <= 1 || major == 3:
			k := checkKey{major: major, arg: arg}
			if major == 3 {
				k.start, k.end = c.off, c.off+int(min(arg, uint64(len(c.b)-c.off)))
			}
			c.keys = append(c.keys, k)
		default:
			// A key of another type, a tagged one included: by the
			// value it decodes to, read from its head once more.
			id, comparable, err := keyIdentity(c.b, start, 0)
			if err != nil {
				return err
			}
			if comparable {
				c.keys = append(c.keys, checkKey{major: keyOther, id: id})
			}
		}
		taggedKey = false
		switch major {
		case 2, 3: // byte and text strings: their bytes
			if arg > uint64(len(c.b)-c.off) {
				return errPayloadRule
			}
			c.off += int(arg)
		case 4, 5: // an array, a map: their items follow
			n := arg
			if major == 5 {
				if n > math.MaxUint64/2 {
					return errPayloadRule
				}
				n *= 2
			}
			if n > uint64(len(c.b)-c.off) {
				return errPayloadRule // more items than bytes left
			}
			if n == 0 {
				break
			}
			if len(c.stack) == cap(c.stack) {
				return errPayloadRule // deeper than the decoder allows
			}
			c.stack = append(c.stack, checkFrame{left: n, isMap: major == 5, keys: len(c.keys)})
		case 6: // a tag: its content takes the same place
			f.left++
			tag, tagged = arg, true
			taggedKey = isKey
		}
		// Integers and simple values are all head; a float's bytes are
		// its argument.
	}
	if c.off != len(c.b) {
		return errPayloadRule // the decoder refuses data after the item
	}
	return nil
}

// head reads the head of the data item at c.off: its major type, its
// additional information, and its argument (a float's bits, for a float).
func (c *checker) head() (major, info byte, arg uint64, err error) {
	if c.off >= len(c.b) {
		return 0, 0, 0, errPayloadRule
	}
	major, info = c.b[c.off]>>5, c.b[c.off]&0x1f
	c.off++
	switch {
	case info < 24:
		return major, info, uint64(info), nil
	case info <= 27:
		n := 1 << (info - 24) // 1, 2, 4 or 8 bytes
		if len(c.b)-c.off < n {
			return 0, 0, 0, errPayloadRule
		}
		for _, x := range c.b[c.off : c.off+n] {
			arg = arg<<8 | uint64(x)
		}
		c.off += n
		return major, info, arg, nil
	}
	return 0, 0, 0, errPayloadRule // reserved, or an indefinite length
}

// tagContent checks the head of the content of a tag: tags 0 to 3 have
// rules (check 1), and a tag 1's number must name an instant time.Time
// holds; other tags hold anything.
func tagContent(tag uint64, major, info byte, arg uint64) error {
	float := major == 7 && info >= 25 && info <= 27
	switch {
	case tag == 0 && major != 3,
		tag == 1 && major > 1 && !float,
		(tag == 2 || tag == 3) && major != 2:
		return errPayloadRule
	case tag == 1 && !epochFits(major, info, arg):
		return errEpochTime
	}
	return nil
}

// epochFits reports whether the content of a tag 1, an integer or a
// float, names an instant time.Time holds.
func epochFits(major, info byte, arg uint64) bool {
	switch major {
	case 0: // 0 to 2^64-1
		return arg <= maxEpochSeconds
	case 1: // -1-arg
		return arg < maxEpochSeconds
	}
	// NaN fails both comparisons.
	f := floatOf(info, arg)
	return f >= -maxEpochSeconds && f <= maxEpochSeconds
}

// hasEqualKeys reports whether two of keys are equal: the same integer,
// text strings of the same bytes, or other keys of the same identity. A
// few are compared pairwise; more are sorted, in place (the caller drops
// them after).
func hasEqualKeys(b []byte, keys []checkKey) bool {
	eq := func(x, y checkKey) bool {
		if x.major != y.major {
			return false
		}
		switch x.major {
		case 3:
			return bytes.Equal(b[x.start:x.end], b[y.start:y.end])
		case keyOther:
			return x.id == y.id
		}
		return x.arg == y.arg
	}
	if len(keys) <= 8 {
		for i := range keys {
			for j := range i {
				if eq(keys[i], keys[j]) {
					return true
				}
			}
		}
		return false
	}
	slices.SortFunc(keys, func(x, y checkKey) int {
		if c := cmp.Compare(x.major, y.major); c != 0 {
			return c
		}
		switch x.major {
		case 3:
			return bytes.Compare(b[x.start:x.end], b[y.start:y.end])
		case keyOther:
			return strings.Compare(x.id, y.id)
		}
		return cmp.Compare(x.arg, y.arg)
	})
	for i := 1; i < len(keys); i++ {
		if eq(keys[i-1], keys[i]) {
			return true
		}
	}
	return false
}

// keyIdentity names the map key whose item starts at b[off], by the value
// it decodes to, whatever its encoding: two keys are equal exactly when
// their identities are (FORMAT.md, Payload), as the Node.js package names
// them (js/src/cbor.js, keyIdentity). Integers by value; text and byte
// strings by their bytes; floats of any size by value, apart from
// integers, with -0.0 equal to 0.0; a key holding a NaN equals none
// (comparable is false), as a NaN equals nothing; bignums (tags 2 and 3)
// by value, apart from integers; other tags by number and content; arrays
// element by element; maps by their pairs in any order; simple values by
// number, null and undefined being one (both nil in Go). It is called for
// keys other than integers and text only, and recurses at most as deep as
// the payload nests (the decoder bounds that at MaxNesting).
func keyIdentity(b []byte, off, depth int) (id string, comparable bool, err error) {
	var sb strings.Builder
	c := checker{b: b, off: off}
	comparable, err = c.identity(&sb, depth)
	return sb.String(), comparable, err
}

func (c *checker) identity(sb *strings.Builder, depth int) (bool, error) {
	if depth > 2*MaxNesting+2 {
		return false, errPayloadRule // deeper than the decoder allows
	}
	major, info, arg, err := c.head()
	if err != nil {
		return false, err
	}
	// bytesOf takes the n bytes of a string's content.
	bytesOf := func(n uint64) ([]byte, error) {
		if n > uint64(len(c.b)-c.off) {
			return nil, errPayloadRule
		}
		c.off += int(n)
		return c.b[c.off-int(n) : c.off], nil
	}
	switch major {
	case 0:
		sb.WriteString("i" + strconv.FormatUint(arg, 10) + ";")
	case 1: // -1-arg: named by arg, apart from the integers of major 0
		sb.WriteString("i-" + strconv.FormatUint(arg, 10) + ";")
	case 2, 3:
		s, err := bytesOf(arg)
		if err != nil {
			return false, err
		}
		sb.WriteString(string("bt"[major-2]) + hex.EncodeToString(s) + ";")
	case 4, 5:
		n := arg
		if major == 5 {
			n = min(arg, math.MaxUint64/2) * 2
		}
		if n > uint64(len(c.b)-c.off) {
			return false, errPayloadRule
		}
		comparable := true
		var parts []string
		for i := range n {
			var part strings.Builder
			ok, err := c.identity(&part, depth+1)
			if err != nil {
				return false, err
			}
			comparable = comparable && ok
			if major == 5 && i%2 == 1 {
				parts[len(parts)-1] += part.String() // a pair: its key, then its value
			} else {
				parts = append(parts, part.String())
			}
		}
		if major == 5 {
			slices.Sort(parts) // its pairs in any order
			sb.WriteString("m{" + strings.Join(parts, "") + "}")
		} else {
			sb.WriteString("a[" + strings.Join(parts, "") + "]")
		}
		return comparable, nil
	case 6:
		if arg == 2 || arg == 3 {
			// A bignum, by its value without leading zero bytes: tag 2
			// holds it, tag 3 is -1 less it, so the two never meet.
			m, _, n, err := c.head()
			if err != nil || m != 2 {
				return false, errPayloadRule
			}
			s, err := bytesOf(n)
			if err != nil {
				return false, err
			}
			sign := "n+"
			if arg == 3 {
				sign = "n-"
			}
			sb.WriteString(sign + hex.EncodeToString(bytes.TrimLeft(s, "\x00")) + ";")
			return true, nil
		}
		sb.WriteString("g" + strconv.FormatUint(arg, 10) + "(")
		ok, err := c.identity(sb, depth+1)
		sb.WriteString(")")
		return ok, err
	default:
		switch {
		case info >= 25 && info <= 27:
			f := floatOf(info, arg)
			if math.IsNaN(f) {
				return false, nil // a NaN equals nothing
			}
			if f == 0 {
				f = 0 // -0.0 is 0.0
			}
			sb.WriteString("f" + strconv.FormatUint(math.Float64bits(f), 16) + ";")
		case arg == 23: // undefined: one key with null
			sb.WriteString("s22;")
		default:
			sb.WriteString("s" + strconv.FormatUint(arg, 10) + ";")
		}
	}
	return true, nil
}

// floatOf is the value of a float of additional information info (25, 26
// or 27: half, single or double precision) and bits arg.
func floatOf(info byte, arg uint64) float64 {
	switch info {
	case 25:
		sign, exp, frac := arg>>15&1, int(arg>>10&0x1f), float64(arg&0x3ff)
		var f float64
		switch exp {
		case 0: // subnormal, or zero
			f = math.Ldexp(frac, -24)
		case 0x1f:
			f = math.Inf(1)
			if frac != 0 {
				f = math.NaN()
			}
		default:
			f = math.Ldexp(frac+0x400, exp-25)
		}
		if sign == 1 {
			f = -f
		}
		return f
	case 26:
		return float64(math.Float32frombits(uint32(arg)))
	}
	return math.Float64frombits(arg)
}

// decodeCBOR decodes b with dec into dst, then refuses what checkPayload
// refuses: every decoding of a payload by fxamacker/cbor goes through it.
//
// fxamacker/cbor also reads an untagged number into a time.Time, as Unix
// seconds, and there -2^63, or 2^63 as a float, opens as a date in the
// year 292,277,026,596: another instant than the one written. The walk
// notes a number beyond maxEpochSeconds, and only then are the times that
// dst holds looked at (wrappedTime), so that no other payload pays for it.
func decodeCBOR(dec interface{ Unmarshal([]byte, any) error }, b []byte, dst any) error {
	if err := dec.Unmarshal(b, dst); err != nil {
		return err
	}
	farTime, err := checkPayload(b)
	if err != nil {
		return err
	}
	if farTime && holdsTime(reflect.TypeOf(dst)) && wrappedTime(reflect.ValueOf(dst), 0) {
		return errEpochTime
	}
	return nil
}

// holdsTime reports whether values of t can hold a time.Time that an
// untagged number decodes into: in a field, an element, a map's value or
// through a pointer (an any holds a time only from a tag, which the walk
// bounds). Cached per type.
func holdsTime(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if v, ok := holdsTimeCache.Load(t); ok {
		return v.(bool)
	}
	h := holdsTimeIn(t, map[reflect.Type]bool{})
	holdsTimeCache.Store(t, h)
	return h
}

var holdsTimeCache sync.Map // reflect.Type → bool

func holdsTimeIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == timeType {
		return true
	}
	if seen[t] {
		return false // a type that holds itself: looked at further out
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return holdsTimeIn(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); (f.IsExported() || f.Anonymous) && holdsTimeIn(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// wrappedTime reports whether v, just decoded, holds a time.Time more
// than maxEpochSeconds from 1970, which no RFC 3339 text and no tag 1
// that the walk let through can give: one a number wrapped around into.
// A decoded value shares no pointer and holds no cycle; depth bounds the
// walk all the same.
func wrappedTime(v reflect.Value, depth int) bool {
	if depth > 4*(MaxNesting+1) || !v.IsValid() {
		return false
	}
	t := v.Type()
	if t == timeType {
		if !v.CanInterface() {
			return false
		}
		sec := v.Interface().(time.Time).Unix()
		return sec > maxEpochSeconds || sec < -maxEpochSeconds
	}
	if !holdsTime(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer:
		return !v.IsNil() && wrappedTime(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if wrappedTime(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if wrappedTime(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if wrappedTime(v.Field(i), depth+1) {
				return true
			}
		}
	}
	return false
}
