package cookiesession

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A sealed value longer than one cookie can hold is split over several:
// chunk 0 is the cookie named Name, chunk i is named Name.i. The value's
// header, at the start of chunk 0, holds the chunk count, so a reader
// knows how many to join before decoding anything, and since the count is
// authenticated a missing, extra or reordered chunk fails as a whole.
//
// Every loop here is bounded by the store's chunk limit or by the size of
// the Cookie header, whatever a request carries.

// BrowserCookieLimit is the most bytes of name plus value that Chromium and
// Firefox keep in one cookie; a longer cookie is silently dropped.
const BrowserCookieLimit = 4096

const (
	// maxCandidates bounds how many cookies of one name (duplicates, from
	// a host-only and a Domain cookie, or tossed from a sibling subdomain)
	// are considered, and so how many values are authenticated per request.
	maxCandidates = 4
	// maxCookieHeader bounds the Cookie header bytes scanned at all.
	// Proxies refuse far smaller headers (8 KiB for nginx and Apache);
	// anything larger is refused before a single value is decoded.
	maxCookieHeader = 64 << 10
	// maxMaxSize bounds Config.MaxSize: a session as large as the whole
	// Cookie header a store reads would stop loading at the first other
	// cookie of the site.
	maxMaxSize = maxCookieHeader - 16<<10
)

// chunkName returns the cookie name of chunk i.
func chunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "." + strconv.Itoa(i)
}

// chunkNameLen returns len(chunkName(name, i)) without building it.
func chunkNameLen(name string, i int) int {
	n := len(name)
	if i > 0 {
		n += 1 + len(strconv.Itoa(i))
	}
	return n
}

// chunkCount returns how many cookies of at most chunkSize bytes of name
// plus value an encoded value of encLen bytes needs. It gives up past
// limit chunks and returns limit+1.
func chunkCount(name string, encLen, chunkSize, limit int) int {
	n := 0
	for rest := encLen; rest > 0 || n == 0; n++ {
		if n == limit {
			return limit + 1
		}
		rest -= chunkSize - chunkNameLen(name, n)
	}
	return n
}

// cookieBytes returns how many bytes n chunks carrying encLen bytes of
// value add to a Cookie request header: each "name=value", joined by "; ".
func cookieBytes(name string, encLen, n int) int {
	total := encLen + n + 2*(n-1) // the values, n "=" signs, n-1 "; " separators
	for i := range n {
		total += chunkNameLen(name, i)
	}
	return total
}

// splitValue appends to parts the n chunks value is cut into, each filling
// its cookie up to chunkSize bytes of name plus value, the last taking the
// rest. The chunks share value's bytes.
func splitValue[S ~string | ~[]byte](parts []S, name string, value S, chunkSize, n int) []S {
	for i := range n - 1 {
		size := chunkSize - chunkNameLen(name, i)
		parts, value = append(parts, value[:size]), value[size:]
	}
	return append(parts, value)
}

// OpenChunks opens a value that was split over the cookies name, name.1,
// …, given in that order, and deserializes it into dst. It fails with
// [ErrIncomplete] unless the chunks are exactly as many as the value was
// split over, and with a *[TooLargeError] before joining them if they are
// longer than the codec's MaxLength in all. Otherwise it is [Codec.Open].
func (c *Codec) OpenChunks(name string, chunks []string, dst any) (Header, error) {
	if len(chunks) == 0 || len(chunks) > MaxChunks {
		return Header{}, ErrIncomplete
	}
	// The count the first chunk announces decides, before anything else
	// is decoded; the tag check covers it afterwards.
	n, err := peekChunks(chunks[0])
	if err != nil {
		return Header{}, err
	}
	if n != len(chunks) {
		return Header{}, ErrIncomplete
	}
	return c.openJoined(name, chunks, dst)
}

// openJoined is OpenChunks for chunks whose count the caller has already
// checked against the first chunk's announcement.
func (c *Codec) openJoined(name string, chunks []string, dst any) (Header, error) {
	size := 0
	for _, p := range chunks {
		size += len(p)
	}
	if size > c.maxLength {
		return Header{}, &TooLargeError{What: "value", Size: size, Limit: c.maxLength}
	}
	return c.open(name, chunks, dst, len(chunks))
}

// carried describes the session cookies a request carried.
type carried struct {
	// n is one past the highest chunk index the request carried, and
	// spans[i] where the values of the cookies named chunkName(name, i)
	// lie in vals, in header order, at most maxCandidates of them.
	n     int
	spans []span
	vals  []string
	// dup reports that some chunk came more than once.
	dup bool
	// Room for the candidates of most requests (up to smallChunks
	// chunks, and twice as many values in all) and for the chunks of one
	// attempt to assemble them, so that scanning and opening them
	// allocates nothing. spans and vals are nil then: a carried never
	// points into itself, so that it can stay on the stack of the load
	// that scans it (a pointer stored into its own fields would move it
	// to the heap).
	small      bool
	smallSpans [smallChunks]span
	smallVals  [2 * smallChunks]string
	parts      [smallChunks]string
}

// span locates the values of one chunk index in carried.vals.
type span struct{ off, n uint16 }

// smallChunks is how many chunks a carried holds without allocating: the
// 6 KiB of the default MaxSize take two, 24 KiB take seven.
const smallChunks = 8

// highest returns one past the highest chunk index the request carried.
func (c *carried) highest() int { return c.n }

// cands returns the values of chunk i, i < c.highest(), in header order.
func (c *carried) cands(i int) []string {
	if c.small {
		sp := c.smallSpans[i]
		return c.smallVals[sp.off : sp.off+sp.n : sp.off+sp.n]
	}
	sp := c.spans[i]
	return c.vals[sp.off : sp.off+sp.n : sp.off+sp.n]
}

// seen is what a request carried, as a response needs it.
type seen struct {
	highest int  // one past the highest chunk index
	dup     bool // some chunk came more than once
}

func (c *carried) seen() seen { return seen{c.highest(), c.dup} }

// scanCookies is carried.scan into a carried of its own.
func scanCookies(h http.Header, name string, maxChunks int) (*carried, error) {
	c := new(carried)
	return c, c.scan(h, name, maxChunks)
}

// scan finds the cookies of the session called name among the request's
// Cookie headers without parsing any other cookie, and without copying:
// the values are substrings of the header. Chunk indexes are decimal
// without leading zeros, from 1 to maxChunks-1; any other suffix is some
// other cookie. It allocates nothing for up to smallChunks chunks, and
// twice otherwise, whatever the number of chunks: the candidates are
// gathered first, and then shared out. c must be zero.
func (c *carried) scan(h http.Header, name string, maxChunks int) error {
	lines := h["Cookie"]
	size := 0
	for _, line := range lines {
		size += len(line)
	}
	if size > maxCookieHeader {
		return &TooLargeError{What: "Cookie header", Size: size, Limit: maxCookieHeader}
	}
	type found struct {
		i int
		v string
	}
	var (
		stack  [16]found
		fs     = stack[:0] // at most maxCandidates per index, so bounded
		counts [MaxChunks]uint8
		n      = 0 // one past the highest index found
	)
	for _, line := range lines {
		for rest := line; rest != ""; {
			// The pairs between semicolons, as strings.SplitSeq(line,
			// ";") gives them, trimmed of spaces and tabs.
			part := rest
			if i := strings.IndexByte(rest, ';'); i >= 0 {
				part, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			part = trimBlanks(part)
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
			if counts[i] > 0 {
				c.dup = true
			}
			if counts[i] < maxCandidates {
				counts[i]++
				fs = append(fs, found{i, v})
			}
			n = max(n, i+1)
		}
	}
	c.n = n
	if n == 0 {
		return nil
	}
	c.small = n <= smallChunks && len(fs) <= len(c.smallVals)
	// Two calls rather than one slice variable for either room: a
	// variable that might hold the inline room and be stored in c would
	// move c to the heap.
	share := func(spans []span, vals []string) {
		off := 0
		for i, k := range counts[:n] {
			// At most maxCandidates × MaxChunks values: off fits a uint16.
			spans[i] = span{uint16(off), 0}
			off += int(k)
		}
		for _, f := range fs {
			sp := &spans[f.i]
			vals[int(sp.off)+int(sp.n)] = f.v
			sp.n++
		}
	}
	if c.small {
		share(c.smallSpans[:n], c.smallVals[:len(fs)])
	} else {
		c.spans, c.vals = make([]span, n), make([]string, len(fs))
		share(c.spans, c.vals)
	}
	return nil
}

// trimBlanks is strings.Trim(s, " \t").
func trimBlanks(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// chunkIndex parses the part of a cookie name after the session's name:
// "" is chunk 0, ".N" is chunk N. It returns -1 for anything else.
func chunkIndex(suffix string, maxChunks int) int {
	if suffix == "" {
		return 0
	}
	if len(suffix) < 2 || suffix[0] != '.' || suffix[1] == '0' || len(suffix) > 4 {
		return -1
	}
	i := 0
	for _, d := range suffix[1:] {
		if d < '0' || d > '9' {
			return -1
		}
		i = i*10 + int(d-'0')
	}
	if i >= maxChunks {
		return -1
	}
	return i
}

// attempt returns the chunks of the j-th way to assemble the value: the
// j-th candidate of chunk 0, with the j-th candidate of every other chunk
// (or its last, when it came fewer times). Duplicates arise from whole
// second sets of cookies (a host-only set beside a Domain set), which
// browsers send in a consistent order, so pairing by position finds them
// without trying every combination.
func (c *carried) attempt(j, n int) ([]string, bool) {
	if n > c.highest() {
		return nil, false
	}
	if n == 1 {
		// One chunk: its candidate, in place.
		return c.cands(0)[j : j+1 : j+1], true
	}
	// One attempt at a time: the previous one's chunks are done with.
	parts := c.parts[:0]
	if n > len(c.parts) {
		parts = make([]string, n)
	}
	parts = parts[:n]
	for i := range n {
		cs := c.cands(i)
		if len(cs) == 0 {
			return nil, false
		}
		parts[i] = cs[min(j, len(cs)-1)]
	}
	return parts, true
}

// openBest tries the bounded ways to assemble the carried chunks into a
// value: for each value of chunk 0 (at most maxCandidates), the count n
// it announces (at most maxChunks), which open(j, n) opens, with the
// chunks that c.chunks(j, n) pairs with it, into a destination of its own
// for each attempt j. Of the attempts that open, the one sealed last
// wins: browsers send the older of two cookies of one name first, so the
// first that opens could be a login the user has since replaced. On a
// tie, the later one in the header. If none opens, the first attempt's
// failure is returned, unless a later attempt's failure is one that
// another server may not share (deadOnEveryServer is false for it: a key
// this server has not loaded, say) and the first's is not: then the first
// of those, so that a dead twin sent first does not get a live one
// expired.
//
// open is given the count, not the chunks, so that they never pass
// through a call the compiler cannot see into, which would move c to the
// heap: the store keeps its carried on the stack.
func (c *carried) openBest(maxChunks int, open func(j, n int) (Header, error)) (int, error) {
	if c.highest() == 0 {
		return -1, ErrAbsent
	}
	if len(c.cands(0)) == 0 {
		return -1, ErrIncomplete // later chunks without the first
	}
	best, first := -1, error(nil)
	var bestAt time.Time
	for j := range c.cands(0) {
		h, err := c.openAttempt(j, maxChunks, open)
		if err != nil {
			if first == nil || deadOnEveryServer(first) && !deadOnEveryServer(err) {
				first = err
			}
			continue
		}
		if best < 0 || !h.IssuedAt.Before(bestAt) {
			best, bestAt = j, h.IssuedAt
		}
	}
	if best < 0 {
		return -1, first
	}
	return best, nil
}

func (c *carried) openAttempt(j, maxChunks int, open func(j, n int) (Header, error)) (Header, error) {
	n, err := c.announced(j, maxChunks)
	if err != nil {
		return Header{}, err
	}
	return open(j, n)
}

// announced returns how many chunks the j-th candidate of chunk 0 says
// its value is split over (not yet authenticated: the tag check covers
// it), refused when that is more than maxChunks or than the request
// carried.
func (c *carried) announced(j, maxChunks int) (int, error) {
	n, err := peekChunks(c.cands(0)[j])
	if err != nil {
		return 0, err
	}
	if n > maxChunks {
		return 0, &TooLargeError{What: "chunk count", Size: n, Limit: maxChunks, Unit: "chunks"}
	}
	if n > c.highest() {
		return 0, ErrIncomplete
	}
	return n, nil
}

// chunks returns the n chunks of attempt j, or ErrIncomplete when one of
// them did not come.
func (c *carried) chunks(j, n int) ([]string, error) {
	parts, ok := c.attempt(j, n)
	if !ok {
		return nil, ErrIncomplete
	}
	return parts, nil
}
