package cookiesession

import "encoding/binary"

// The base64url of sealed values (RFC 4648 §5, without padding): what
// base64.RawURLEncoding.Strict() writes and reads, six bytes or eight
// characters a step where encoding/base64 takes three or four. Only the
// sealed bytes pass through here (the header, the nonce, the ciphertext
// and the tag), which every browser and proxy on the way sees anyway: the
// tables below are indexed by public bytes only. Keys and plaintexts never
// pass through it.
//
// TestB64 and FuzzB64 hold both directions to encoding/base64 on every
// length and on arbitrary input.

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// b64Values maps each character of the alphabet to its value, and every
// other byte to 0xff: the high bit marks a byte outside the alphabet.
var b64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(b64Alphabet) {
		t[b64Alphabet[i]] = byte(i)
	}
	return t
}()

// b64Pairs maps twelve bits to their two characters, the first in the low
// byte, as a little-endian store writes them.
var b64Pairs = func() (t [1 << 12]uint16) {
	for i := range t {
		t[i] = uint16(b64Alphabet[i>>6]) | uint16(b64Alphabet[i&63])<<8
	}
	return t
}()

// b64Quads maps two characters, the first in the high byte, to their
// twelve bits, and any pair with a byte outside the alphabet to 0xffff:
// bit 15 marks it.
var b64Quads = func() (t [1 << 16]uint16) {
	for i := range t {
		a, b := b64Values[i>>8], b64Values[i&0xff]
		if (a|b)&0x80 != 0 {
			t[i] = 0xffff
		} else {
			t[i] = uint16(a)<<6 | uint16(b)
		}
	}
	return t
}()

// b64EncodedLen is the length of the encoding of n bytes.
func b64EncodedLen(n int) int { return (n*8 + 5) / 6 }

// b64Encode writes the encoding of src to dst, which must be
// b64EncodedLen(len(src)) bytes long.
func b64Encode(dst, src []byte) {
	dst = dst[:b64EncodedLen(len(src)):len(dst)] // panics rather than write past len(dst)
	si, di := 0, 0
	// Eight bytes read, six encoded, eight characters written at once.
	for len(src)-si >= 8 && len(dst)-di >= 8 {
		x := binary.BigEndian.Uint64(src[si:])
		binary.LittleEndian.PutUint64(dst[di:], uint64(b64Pairs[x>>52])|
			uint64(b64Pairs[x>>40&0xfff])<<16|
			uint64(b64Pairs[x>>28&0xfff])<<32|
			uint64(b64Pairs[x>>16&0xfff])<<48)
		si, di = si+6, di+8
	}
	for len(src)-si >= 3 {
		x := uint(src[si])<<16 | uint(src[si+1])<<8 | uint(src[si+2])
		binary.LittleEndian.PutUint16(dst[di:], b64Pairs[x>>12])
		binary.LittleEndian.PutUint16(dst[di+2:], b64Pairs[x&0xfff])
		si, di = si+3, di+4
	}
	switch len(src) - si {
	case 2:
		x := uint(src[si])<<16 | uint(src[si+1])<<8
		binary.LittleEndian.PutUint16(dst[di:], b64Pairs[x>>12])
		dst[di+2] = b64Alphabet[x>>6&63]
	case 1:
		binary.LittleEndian.PutUint16(dst[di:], b64Pairs[uint(src[si])<<4])
	}
}

// b64Decode decodes src into dst, which must be long enough
// (len(src)*6/8 bytes), and returns the bytes written. It reports false
// for anything base64.RawURLEncoding.Strict() refuses, and also for the
// CR and LF that it skips: a byte outside the alphabet, a length that no
// encoding has (1 modulo 4), and bits set in the last character beyond
// the last byte, so that one value has exactly one spelling.
func b64Decode(dst, src []byte) (int, bool) {
	if len(src)%4 == 1 {
		return 0, false
	}
	n := len(src) * 6 / 8
	dst = dst[:n:len(dst)] // panics rather than write past len(dst)
	si, di := 0, 0
	// Eight characters, six bytes, written as eight: the two beyond are
	// written over by the next step, hence the room of eight.
	for len(src)-si >= 8 && len(dst)-di >= 8 {
		x := binary.BigEndian.Uint64(src[si:])
		a, b := b64Quads[x>>48], b64Quads[x>>32&0xffff]
		c, d := b64Quads[x>>16&0xffff], b64Quads[x&0xffff]
		if (a|b|c|d)&0x8000 != 0 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[di:], uint64(a)<<52|uint64(b)<<40|uint64(c)<<28|uint64(d)<<16)
		si, di = si+8, di+6
	}
	for len(src)-si >= 4 {
		s := src[si : si+4]
		a, b, c, d := b64Values[s[0]], b64Values[s[1]], b64Values[s[2]], b64Values[s[3]]
		if (a|b|c|d)&0x80 != 0 {
			return 0, false
		}
		x := uint(a)<<18 | uint(b)<<12 | uint(c)<<6 | uint(d)
		dst[di], dst[di+1], dst[di+2] = byte(x>>16), byte(x>>8), byte(x)
		si, di = si+4, di+3
	}
	switch len(src) - si {
	case 3:
		a, b, c := b64Values[src[si]], b64Values[src[si+1]], b64Values[src[si+2]]
		// The last character's low two bits lie beyond the last byte.
		if (a|b|c)&0x80 != 0 || c&3 != 0 {
			return 0, false
		}
		x := uint(a)<<10 | uint(b)<<4 | uint(c)>>2
		dst[di], dst[di+1] = byte(x>>8), byte(x)
	case 2:
		a, b := b64Values[src[si]], b64Values[src[si+1]]
		// The last character's low four bits lie beyond the last byte.
		if (a|b)&0x80 != 0 || b&15 != 0 {
			return 0, false
		}
		dst[di] = a<<2 | b>>4
	}
	return n, true
}
