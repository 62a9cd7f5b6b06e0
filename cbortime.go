package cookiesession

import (
	"errors"
	"math"
)

// errEpochTime is the error for a payload that holds a tag 1 (an epoch
// time) whose content no time.Time can stand for.
//
// fxamacker/cbor reads the content of every tag 1 as a time, into a
// time.Time and into an any, but it reads NaN and the infinities as the
// zero time, and seconds beyond what time.Time holds wrap around: 2^63
// as a float opens as a date in the year 292,277,026,596. Either way the
// session would open holding another instant than the one written, and
// a second implementation (the Node.js package keeps a tag 1 as it is)
// would read it otherwise. Such a payload is one the application cannot
// read, as FORMAT.md says, not a time to be guessed.
var errEpochTime = errors.New("cbor: a tag 1 (epoch time) holds NaN, an infinity, or more seconds than time.Time holds")

// maxEpochSeconds bounds the seconds of a tag 1, either side of 1970:
// 2^62 seconds, about 146 billion years, well inside the years time.Time
// computes without wrapping (about 292 billion either way).
const maxEpochSeconds = 1 << 62

// checkEpochTimes reports errEpochTime when b, one CBOR data item, holds
// a tag 1 whose content is NaN, an infinity, or an integer or float of
// more than maxEpochSeconds seconds either way. It is run on what
// fxamacker/cbor decoded without error, so b is well-formed, with
// definite lengths; it still checks every length against b and stops at
// the first thing it does not expect, reporting that as errEpochTime too
// (nothing well-formed gets there).
//
// It walks the item without recursion: items counts the data items still
// to read, and each one read takes at least one byte of b, so the loop
// ends within len(b) rounds whatever the heads claim.
func checkEpochTimes(b []byte) error {
	off, items := 0, uint64(1)
	epoch := false // the item now read is the content of a tag 1
	for ; items > 0; items-- {
		if off >= len(b) || items > uint64(len(b)-off) {
			return errEpochTime // a head claims more items than b holds
		}
		c := b[off]
		major, info := c>>5, c&0x1f
		off++
		var arg uint64
		switch {
		case info < 24:
			arg = uint64(info)
		case info <= 27:
			n := 1 << (info - 24) // 1, 2, 4 or 8 bytes
			if len(b)-off < n {
				return errEpochTime
			}
			for _, x := range b[off : off+n] {
				arg = arg<<8 | uint64(x)
			}
			off += n
		default:
			return errEpochTime // reserved, or an indefinite length
		}
		if epoch {
			epoch = false
			if !epochFits(major, info, arg) {
				return errEpochTime
			}
		}
		switch major {
		case 2, 3: // byte and text strings: skip their bytes
			if arg > uint64(len(b)-off) {
				return errEpochTime
			}
			off += int(arg)
		case 4: // an array: its elements follow
			items += arg
		case 5: // a map: its keys and values follow
			if arg > math.MaxUint64/2 {
				return errEpochTime
			}
			items += 2 * arg
		case 6: // a tag: its content follows
			items++
			epoch = arg == 1
		}
		// Majors 0 and 1 and simple values are all head; a float's bytes
		// are its argument, read above.
	}
	return nil
}

// epochFits reports whether the content of a tag 1, of the given major
// type and additional information with argument arg, names an instant
// time.Time holds. Content of other types (text, say) is not a number of
// seconds: the decoder refuses it by itself, and it passes here.
func epochFits(major, info byte, arg uint64) bool {
	var f float64
	switch {
	case major == 0: // 0 to 2^64-1
		return arg <= maxEpochSeconds
	case major == 1: // -1-arg
		return arg < maxEpochSeconds
	case major == 7 && info == 25: // half precision: finite values fit
		return arg&0x7c00 != 0x7c00
	case major == 7 && info == 26:
		f = float64(math.Float32frombits(uint32(arg)))
	case major == 7 && info == 27:
		f = math.Float64frombits(arg)
	default:
		return true
	}
	// NaN fails both comparisons.
	return f >= -maxEpochSeconds && f <= maxEpochSeconds
}

// decodeCBOR decodes b with dec into dst, refusing what checkEpochTimes
// refuses: every decoding of a payload by fxamacker/cbor goes through it.
func decodeCBOR(dec interface{ Unmarshal([]byte, any) error }, b []byte, dst any) error {
	if err := dec.Unmarshal(b, dst); err != nil {
		return err
	}
	return checkEpochTimes(b)
}
