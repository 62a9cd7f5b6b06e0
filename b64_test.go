package cookiesession

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// b64 is encoding/base64's spelling of the format's base64url, the
// reference that b64Encode and b64Decode are held to, and what the tests
// use to take values apart.
var b64 = base64.RawURLEncoding.Strict()

// checkB64Decode holds b64Decode to encoding/base64 on src: the same bytes
// when both accept it, and a refusal of everything the reference refuses,
// and of the CR and LF it skips (whose decoding is then shorter than the
// length says).
func checkB64Decode(t *testing.T, src []byte) {
	t.Helper()
	want, werr := b64.DecodeString(string(src))
	wantOK := werr == nil && b64.EncodedLen(len(want)) == len(src)
	dst := make([]byte, len(src)*6/8+1) // one byte more than needed: it must stay untouched
	dst[len(dst)-1] = 0xa5
	n, ok := b64Decode(dst, src)
	switch {
	case ok != wantOK:
		t.Fatalf("b64Decode(%q) ok %v, encoding/base64 %v (%v)", src, ok, wantOK, werr)
	case !ok:
	case n != len(want) || !bytes.Equal(dst[:n], want):
		t.Fatalf("b64Decode(%q) = %x, encoding/base64 %x", src, dst[:n], want)
	case dst[len(dst)-1] != 0xa5:
		t.Fatalf("b64Decode(%q) wrote past its output", src)
	}
}

func checkB64Encode(t *testing.T, src []byte) {
	t.Helper()
	want := b64.EncodeToString(src)
	if b64EncodedLen(len(src)) != len(want) {
		t.Fatalf("b64EncodedLen(%d) = %d, want %d", len(src), b64EncodedLen(len(src)), len(want))
	}
	dst := make([]byte, len(want)+1)
	dst[len(want)] = 0xa5
	b64Encode(dst[:len(want)], src)
	if string(dst[:len(want)]) != want || dst[len(want)] != 0xa5 {
		t.Fatalf("b64Encode(%x) = %q, want %q", src, dst[:len(want)], want)
	}
	checkB64Decode(t, dst[:len(want)])
}

func TestB64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Every length past the eight-byte steps and their tails, random
	// bytes and the extremes.
	for n := range 300 {
		for _, fill := range []func() byte{func() byte { return byte(rng.Uint32()) }, func() byte { return 0 }, func() byte { return 0xff }} {
			src := make([]byte, n)
			for i := range src {
				src[i] = fill()
			}
			checkB64Encode(t, src)
		}
	}
	// Every byte at every position of encodings of several lengths: the
	// alphabet, padding, CR and LF, '+' and '/' of the standard alphabet,
	// and stray bits in the last character.
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 19} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		enc := []byte(b64.EncodeToString(src))
		for i := range enc {
			for c := range 256 {
				mut := bytes.Clone(enc)
				mut[i] = byte(c)
				checkB64Decode(t, mut)
			}
		}
	}
	// Lengths no encoding has, and what the reference skips.
	for _, s := range []string{"", "A", "AAAAA", "AAAAAAAAA", "AA\r\n", "AAAA\nAAAA", "AAA=", "AA==", strings.Repeat("_", 41)} {
		checkB64Decode(t, []byte(s))
	}
}

func FuzzB64(f *testing.F) {
	for _, s := range []string{"", "AA", "AAA", "AAAA", "AAAAAAAA", "AAAAAAAAAAA", "A-_z09", "AB\r\nCD", "AAE", "AAAB"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkB64Decode(t, data)
		checkB64Encode(t, data)
	})
}

func BenchmarkB64(b *testing.B) {
	src := make([]byte, 560) // the sealed bytes of a 512-byte session
	for i := range src {
		src[i] = byte(i * 7)
	}
	enc := []byte(b64.EncodeToString(src))
	dec := make([]byte, len(src))
	b.Run("encode/impl=cookiesession", func(b *testing.B) {
		for b.Loop() {
			b64Encode(enc, src)
		}
	})
	b.Run("encode/impl=encoding-base64", func(b *testing.B) {
		for b.Loop() {
			b64.Encode(enc, src)
		}
	})
	b.Run("decode/impl=cookiesession", func(b *testing.B) {
		for b.Loop() {
			if _, ok := b64Decode(dec, enc); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode/impl=encoding-base64", func(b *testing.B) {
		for b.Loop() {
			b64.Decode(dec, enc)
		}
	})
}

// TestB64ShortDestination: a destination shorter than the output panics,
// whatever room its capacity has beyond its length.
func TestB64ShortDestination(t *testing.T) {
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s into a short destination did not panic", name)
			}
		}()
		f()
	}
	room := make([]byte, 64)
	panics("b64Decode", func() { b64Decode(room[:4], []byte("AAAAAAAAAAAAAAAA")) })
	panics("b64Encode", func() { b64Encode(room[:2], make([]byte, 12)) })
}
