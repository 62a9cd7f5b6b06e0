package cookiesession

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestChunkIndex(t *testing.T) {
	for _, tc := range []struct {
		suffix string
		want   int
	}{
		{"", 0},
		{".1", 1},
		{".9", 9},
		{".19", 19},
		{".20", -1}, // the limit below is 20 chunks
		{".254", -1},
		{".0", -1},  // chunk 0 has no suffix
		{".01", -1}, // one spelling per index
		{".-1", -1},
		{".+1", -1},
		{".1x", -1},
		{".x", -1},
		{".", -1},
		{"1", -1},
		{"x", -1},
		{"_1", -1},
		{".2147483648", -1},
		{".99999999999999999999", -1},
	} {
		if got := chunkIndex(tc.suffix, 20); got != tc.want {
			t.Errorf("chunkIndex(%q) = %d, want %d", tc.suffix, got, tc.want)
		}
	}
}

func TestScanCookies(t *testing.T) {
	h := http.Header{"Cookie": {
		`other=1; s=a; s.1=b; s.2="c"; s2=x; s.x=y; s.01=z; S=upper; s.1=dup`,
		`s=second-line`,
	}}
	c, err := scanCookies(h, "s", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "second-line"}, {"b", "dup"}, {"c"}}
	if d := cmp.Diff(want, candidates(c)); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
	if !c.dup {
		t.Error("duplicates not noticed")
	}
}

func TestScanCookiesBounds(t *testing.T) {
	// Thousands of chunk cookies, absurd indexes and many duplicates: the
	// scan keeps at most maxChunks indexes and maxCandidates of each.
	var b strings.Builder
	for i := range 3000 {
		b.WriteString("s." + strconv.Itoa(i%300) + "=v; s=x; ")
	}
	b.WriteString("s.2147483648=v; s.4294967296=v")
	c, err := scanCookies(http.Header{"Cookie": {b.String()}}, "s", 5)
	if err != nil {
		t.Fatal(err)
	}
	if c.highest() != 5 {
		t.Errorf("%d indexes kept, want 5", c.highest())
	}
	for i, cs := range candidates(c) {
		if len(cs) > maxCandidates {
			t.Errorf("chunk %d: %d candidates kept", i, len(cs))
		}
	}

	huge := http.Header{"Cookie": {strings.Repeat("a", maxCookieHeader/2), strings.Repeat("b", maxCookieHeader/2+1)}}
	_, err = scanCookies(huge, "s", 5)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != maxCookieHeader+1 || tl.Limit != maxCookieHeader {
		t.Errorf("huge header: err = %v", err)
	}
}

func TestChunkCountAndSplit(t *testing.T) {
	const size = 300
	name := "sess"
	for encLen := 1; encLen < 3000; encLen++ {
		n := chunkCount(name, encLen, size, 100)
		value := strings.Repeat("v", encLen)
		parts := splitValue(nil, name, value, size, n)
		if strings.Join(parts, "") != value {
			t.Fatalf("encLen %d: parts do not join back", encLen)
		}
		for i, p := range parts {
			used := chunkNameLen(name, i) + len(p)
			switch {
			case used > size:
				t.Fatalf("encLen %d: chunk %d holds %d bytes, more than %d", encLen, i, used, size)
			case i < n-1 && used != size:
				t.Fatalf("encLen %d: chunk %d holds %d bytes; all but the last are full", encLen, i, used)
			case i == n-1 && len(p) == 0:
				t.Fatalf("encLen %d: last chunk empty", encLen)
			}
		}
		if got, want := cookieBytes(name, encLen, n), len(cookieHeader(name, parts)); got != want {
			t.Fatalf("encLen %d: cookieBytes = %d, header is %d", encLen, got, want)
		}
	}
	if n := chunkCount(name, 1<<20, size, 10); n != 11 {
		t.Errorf("over the limit: chunkCount = %d, want limit+1", n)
	}
}

// cookieHeader is the Cookie header a browser sends for these chunks.
func cookieHeader(name string, parts []string) string {
	var pairs []string
	for i, p := range parts {
		pairs = append(pairs, chunkName(name, i)+"="+p)
	}
	return strings.Join(pairs, "; ")
}

func FuzzScanCookies(f *testing.F) {
	for _, h := range []string{
		"", "s=a; s.1=b", "s.254=x", `s="~q"`, "s=; s.1=; s.1=", "=s=x", "s.01=x; s.1x=y",
		strings.Repeat("s.9=x;", 100), "s=a;s=b;s=c;s=d;s=e;s=f",
	} {
		f.Add(h, 10)
	}
	f.Fuzz(func(t *testing.T, header string, maxChunks int) {
		maxChunks = 1 + (maxChunks&0xff)%MaxChunks
		c, err := scanCookies(http.Header{"Cookie": {header}}, "s", maxChunks)
		if err != nil {
			if len(header) <= maxCookieHeader || !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v for a header of %d bytes", err, len(header))
			}
			return
		}
		ref, _ := scanCookiesRef(http.Header{"Cookie": {header}}, "s", maxChunks)
		if diff := cmp.Diff(ref.cands, candidates(c)); diff != "" || ref.dup != c.dup {
			t.Fatalf("scanCookies differs from its plain form (-plain +scanCookies):\n%s\ndup %v, plain %v", diff, c.dup, ref.dup)
		}
		if c.highest() > maxChunks {
			t.Fatalf("%d indexes kept, limit %d", c.highest(), maxChunks)
		}
		for i, cs := range candidates(c) {
			if len(cs) > maxCandidates {
				t.Fatalf("chunk %d: %d candidates", i, len(cs))
			}
			for _, v := range cs {
				if !strings.Contains(header, v) {
					t.Fatalf("chunk %d: value %q is not from the header", i, v)
				}
			}
		}
	})
}

func TestOpenChunks(t *testing.T) {
	c, _ := testCodec(t, testRing(t), CodecConfig{MaxLength: 2000})
	value, _, err := c.seal("s", strings.Repeat("x", 600), t0, t0.Add(time.Hour), func(encLen int) (int, error) {
		return chunkCount("s", encLen, 300, 10), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	parts := splitValue(nil, "s", value, 300, chunkCount("s", len(value), 300, 10))
	if len(parts) != 3 {
		t.Fatalf("%d chunks, want 3", len(parts))
	}
	var got string
	h, err := c.OpenChunks("s", parts, &got)
	if err != nil || got != strings.Repeat("x", 600) || h.Chunks != 3 {
		t.Fatalf("OpenChunks = %v, %v (%d bytes)", h, err, len(got))
	}
	for name, chunks := range map[string][]string{
		"none":        nil,
		"one missing": parts[:2],
		"one extra":   append(append([]string(nil), parts...), "AAAA"),
		"single":      {value},
	} {
		if _, err := c.OpenChunks("s", chunks, &got); !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: err = %v, want ErrIncomplete", name, err)
		}
	}
	small, _ := testCodec(t, testRing(t), CodecConfig{MaxLength: 500})
	var tl *TooLargeError
	if _, err := small.OpenChunks("s", parts, &got); !errors.As(err, &tl) || tl.Size != len(value) {
		t.Errorf("over MaxLength: err = %v", err)
	}
}

// scanCookiesRef is the plain form of scanCookies, which must agree with
// it: it finds the cookies of the session called name among the
// request's Cookie headers without parsing any other cookie, and without
// copying: the values are substrings of the header. Chunk indexes are
// decimal without leading zeros, from 1 to maxChunks-1; any other suffix
// is some other cookie.
// refCarried is what scanCookiesRef finds.
type refCarried struct {
	cands [][]string
	dup   bool
}

// candidates returns the values of each chunk index that c holds.
func candidates(c *carried) [][]string {
	var cs [][]string
	for i := range c.highest() {
		var vs []string // nil for an index that did not come
		if len(c.cands(i)) > 0 {
			vs = c.cands(i)
		}
		cs = append(cs, vs)
	}
	return cs
}

func scanCookiesRef(h http.Header, name string, maxChunks int) (*refCarried, error) {
	c := new(refCarried)
	lines := h["Cookie"]
	size := 0
	for _, line := range lines {
		size += len(line)
	}
	if size > maxCookieHeader {
		return c, &TooLargeError{What: "Cookie header", Size: size, Limit: maxCookieHeader}
	}
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.Trim(part, " \t")
			k, v, ok := strings.Cut(part, "=")
			if !ok || !strings.HasPrefix(k, name) {
				continue
			}
			i := chunkIndex(k[len(name):], maxChunks)
			if i < 0 {
				continue
			}
			// Browsers never quote a value that was set unquoted, but a
			// quoted one is the same value to net/http.
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			for len(c.cands) <= i {
				c.cands = append(c.cands, nil)
			}
			if len(c.cands[i]) > 0 {
				c.dup = true
			}
			if len(c.cands[i]) < maxCandidates {
				c.cands[i] = append(c.cands[i], v)
			}
		}
	}
	return c, nil
}
