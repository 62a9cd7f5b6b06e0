package cookiesession

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"slices"
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
	// errEpochTime is a payload that holds a tag 1 (an epoch time) whose
	// content no time.Time stands for.
	errEpochTime = errors.New("cbor: a tag 1 (epoch time) holds NaN, an infinity, or more seconds than time.Time holds")
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

// checkKey is a key of a map being walked that duplicates could match:
// an integer (major 0 or 1, arg its argument) or a text string (major 3,
// its bytes b[start:end]). Keys of other types, and tagged keys, are
// values of their own, which check 1 does not compare.
type checkKey struct {
	major      byte
	arg        uint64
	start, end int
}

// checkPayload reports errPayloadRule or errEpochTime when b, one CBOR
// data item that the decoder took, holds
//
//   - two equal keys in one map: two text strings of the same bytes, or
//     two integers of the same value, however long their heads;
//   - a tag 0 around anything but a text string, a tag 1 around anything
//     but an integer or a float, a tag 2 or 3 around anything but a byte
//     string (a tag's content is the data item right after its head);
//   - a tag 1 around NaN, an infinity, or more than maxEpochSeconds
//     seconds either way (errEpochTime).
//
// The walk is bounded by b, not by what its heads claim: each data item
// takes at least one byte, a head that claims more items or bytes than
// are left ends it with an error, and so does nesting deeper than the
// decoder allows. It never recurses.
func checkPayload(b []byte) error {
	c := checker{b: b}
	return c.walk()
}

type checker struct {
	b     []byte
	off   int
	stack []checkFrame
	keys  []checkKey
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
		major, info, arg, err := c.head()
		if err != nil {
			return err
		}
		if tagged {
			tagged = false
			if err := tagContent(tag, major, info, arg); err != nil {
				return err
			}
		}
		if isKey && !taggedKey && (major <= 1 || major == 3) {
			k := checkKey{major: major, arg: arg}
			if major == 3 {
				k.start, k.end = c.off, c.off+int(min(arg, uint64(len(c.b)-c.off)))
			}
			c.keys = append(c.keys, k)
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
	var f float64
	switch {
	case major == 0: // 0 to 2^64-1
		return arg <= maxEpochSeconds
	case major == 1: // -1-arg
		return arg < maxEpochSeconds
	case info == 25: // half precision: every finite one fits
		return arg&0x7c00 != 0x7c00
	case info == 26:
		f = float64(math.Float32frombits(uint32(arg)))
	default:
		f = math.Float64frombits(arg)
	}
	// NaN fails both comparisons.
	return f >= -maxEpochSeconds && f <= maxEpochSeconds
}

// hasEqualKeys reports whether two of keys are equal: the same integer,
// or text strings of the same bytes. A few are compared pairwise; more
// are sorted, in place (the caller drops them after).
func hasEqualKeys(b []byte, keys []checkKey) bool {
	eq := func(x, y checkKey) bool {
		return x.major == y.major && (x.major != 3 && x.arg == y.arg ||
			x.major == 3 && bytes.Equal(b[x.start:x.end], b[y.start:y.end]))
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
		if c := cmp.Compare(x.major, y.major); c != 0 || x.major != 3 {
			return cmp.Or(c, cmp.Compare(x.arg, y.arg))
		}
		return bytes.Compare(b[x.start:x.end], b[y.start:y.end])
	})
	for i := 1; i < len(keys); i++ {
		if eq(keys[i-1], keys[i]) {
			return true
		}
	}
	return false
}

// decodeCBOR decodes b with dec into dst, then refuses what checkPayload
// refuses: every decoding of a payload by fxamacker/cbor goes through it.
func decodeCBOR(dec interface{ Unmarshal([]byte, any) error }, b []byte, dst any) error {
	if err := dec.Unmarshal(b, dst); err != nil {
		return err
	}
	return checkPayload(b)
}
