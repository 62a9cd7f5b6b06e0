package cookiesession_test

// specReader seals and opens values, joins chunks, reads Cookie headers
// and parses keyring files as FORMAT.md describes them, with nothing of the package but the document:
// if it agrees with every vector, the document is complete.
//
// A specReader with a mutation is a plausible but wrong reading of the
// document (now rounded, a limit left out, a sign lost). TestSpecMutants
// runs each against every vector and requires that at least one vector
// refuses it: a mutation that every vector lets through marks a rule no
// vector pins down.

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/chacha20poly1305"
)

// specMutations are the wrong readings TestSpecMutants tries, each with
// what it does wrong. Two rules of the keyring file have no mutation,
// because no file tells a reader without them from one with them: a file
// whose keys are missing or empty also has no active key, and a file
// nested deeper than 8 levels also breaks the schema. They bound work.
var specMutations = map[string]string{
	// Time.
	"now-whole-seconds-toward-zero": "now cut to whole seconds toward zero, as integer division does",
	"now-rounded":                   "now rounded to the nearest second",
	"now-rounded-up":                "now rounded up to a whole second",
	"skew-ignored-expiry":           "no clock skew on the expiry side",
	"skew-ignored-issued":           "no clock skew on the issued-at side",
	"expiry-inclusive":              "a value still opens at expiry plus skew",
	"lifetime-signed":               "lifetime read as a signed 32-bit number",
	"issued-at-unsigned":            "issued-at read as an unsigned 64-bit number",
	"issued-at-minus-skew":          "step 11 computed as issued-at - S > now, which overflows",
	"lifetime-zero-refused":         "a lifetime of 0 refused",
	// Sealing.
	"seal-issued-rounded":         "issued-at rounded to the nearest second when sealing",
	"seal-lifetime-whole-max-age": "the lifetime taken as the whole seconds of MaxAge",
	// Value.
	"version-before-length": "the version checked before the length of the sealed bytes",
	"no-chunk-count-check":  "the chunk count not compared with the cookies joined",
	"length-utf16":          "the name and purpose lengths in the associated data counted in UTF-16 units",
	"base64-lenient":        "base64 with padding or either alphabet accepted",
	// Payload.
	"cbor-depth-unlimited":     "CBOR nesting not limited",
	"cbor-depth-33":            "CBOR nesting allowed to 33 levels",
	"cbor-depth-31":            "CBOR nesting limited to 31 levels",
	"cbor-tags-are-levels":     "every CBOR tag counted as a level",
	"cbor-count-unlimited":     "CBOR arrays and maps not limited in length",
	"cbor-map-count-unlimited": "CBOR maps not limited in length",
	"cbor-indefinite":          "indefinite-length CBOR items accepted",
	"cbor-duplicates":          "duplicate CBOR map keys accepted",
	"cbor-trailing":            "data after the CBOR item ignored",
	"cbor-tags-refused":        "CBOR tags refused",
	"cbor-bigint-refused":      "CBOR integers beyond int64 refused",
	"cbor-utf8-strict":         "CBOR text strings that are not UTF-8 refused",
	"cbor-tag-content-any":     "the content of tags 0 to 3 not checked",
	"json-depth-unlimited":     "JSON nesting not limited",
	"json-depth-33":            "JSON nesting allowed to 33 levels",
	"json-second-value":        "data after the JSON value ignored",
	"json-bom-skipped":         "a byte order mark before the JSON value skipped",
	"json-whitespace-refused":  "JSON whitespace around the value refused",
	"json-duplicates-refused":  "duplicate JSON object names refused",
	"json-duplicates-first":    "the first of duplicate JSON object names kept",
	"json-utf8-strict":         "JSON text that is not UTF-8 refused",
	"json-float64":             "JSON numbers read as 64-bit floats",
	// Chunks.
	"chunks-limit-per-chunk": "max-length applied to each chunk rather than to the joined value",
	"chunks-max-254":         "at most 254 chunks",
	"chunks-no-peek":         "chunks joined as given, without reading the count from the first",
	"chunks-first-only":      "only the first chunk opened",
	// Cookie headers.
	"header-size-unlimited":        "no limit on the Cookie header's size",
	"header-candidates-unlimited":  "every value of a name tried, not the first 4",
	"header-last-failure":          "the last attempt's failure reported",
	"header-dead-failure-first":    "the first attempt's failure reported even when a later one's may open elsewhere",
	"header-too-large-dead":        "a value of more chunks than L counted among the failures no server gets past",
	"header-joined-too-large-dead": "chunks longer than max-length in all counted among the failures no server gets past",
	"header-undecodable-dead":      "an authentic payload that does not decode counted among the failures no server gets past",
	"header-expired-live":          "an expired value counted among the failures another server may get past",
	"header-incomplete-live":       "an incomplete value counted among the failures another server may get past",
	"header-last-live-failure":     "the last failure that another server may get past reported, not the first",
	"header-first-opens":           "the first attempt that opens taken, not the one sealed last",
	"header-leading-zero":          "chunk indexes with leading zeros accepted",
	"header-index-unlimited":       "chunk indexes of L and beyond accepted",
	"header-one-cookie-4096":       "a single cookie opened with M = 4096 rather than MaxSize",
	"header-name-fold-case":        "cookie names compared without regard to case",
	"header-all-combinations":      "every combination of candidates tried",
	"header-quotes-kept":           "double quotes kept as part of the value",
	"header-join-header-order":     "chunks joined in header order",
	// Bearer tokens.
	"bearer-first-header":          "the first of several Authorization headers taken",
	"bearer-no-trim":               "whitespace around the header's value kept",
	"bearer-scheme-case-sensitive": "the scheme's name compared case-sensitively",
	"bearer-prefix-scheme":         "a scheme whose name starts with Bearer taken as Bearer",
	"bearer-empty-malformed":       "an empty Authorization header taken as a malformed token",
	"bearer-tab-separator":         "a tab accepted between the scheme and the token",
	"bearer-one-space":             "exactly one space required between the scheme and the token",
	"bearer-rest-ignored":          "whatever follows the token's first word ignored",
	"bearer-length-after-chars":    "the header's length checked after its characters",
	"bearer-length-token-only":     "the token's length checked, not the trimmed header's",
	"bearer-chunks-any":            "a token's chunk count not checked",
	"bearer-cookie-name":           "a token opened under the cookie name rather than \"Bearer \" and the name",
	// Keyring.
	"keyring-size-unlimited":            "no limit on the file's size",
	"keyring-trailing":                  "data after the JSON object ignored",
	"keyring-duplicates":                "duplicate member names accepted, the last wins",
	"keyring-names-fold-case":           "member names matched without regard to case, as encoding/json does",
	"keyring-unknown-members":           "unknown members ignored",
	"keyring-version-numeric":           "any number equal to 1 accepted as the version",
	"keyring-version-any":               "the version not checked",
	"keyring-keys-unlimited":            "no limit on the number of keys",
	"keyring-id-fold-case":              "key ids accepted in upper case",
	"keyring-state-fold-case":           "states matched without regard to case",
	"keyring-secret-lenient":            "secrets decoded leniently: either alphabet, padding optional, whitespace skipped",
	"keyring-secret-any-size":           "secrets of any length accepted",
	"keyring-time-lenient":              "times parsed as Go's time.Parse does: ten fraction digits, commas, +24:00, +00:60",
	"keyring-time-fold-case":            "lower-case t and z accepted in times",
	"keyring-time-leap-second":          "second 60 accepted",
	"keyring-time-no-offset":            "the offset of a time ignored",
	"keyring-time-no-fraction":          "the fraction of a time ignored",
	"keyring-duplicate-ids":             "two keys with one id accepted",
	"keyring-deleted-reuse":             "a key whose id is deleted accepted",
	"keyring-retired-bare":              "a retired key without retire_after accepted",
	"keyring-retire-equal":              "retire_after equal to activates_at accepted",
	"keyring-deleted-unlimited":         "no limit on the number of deleted ids",
	"keyring-deleted-any-id":            "deleted ids not checked",
	"keyring-deleted-twice":             "a deleted id listed twice accepted",
	"keyring-no-active-ok":              "a file without an active key accepted",
	"keyring-null-present":              "a null member counted as present",
	"keyring-primary-earliest":          "the primary is the key that activated first",
	"keyring-primary-retire-ignored":    "an active key past its retire_after taken as the primary",
	"keyring-primary-tie-first-created": "between keys activated at once, the one created first is the primary",
	"keyring-primary-tie-lowest-id":     "between keys activated and created at once, the lowest id is the primary",
}

type specReader struct{ mut string }

func (r specReader) is(m string) bool { return r.mut == m }

// A specVector is one vector file as FORMAT.md's Test vectors section
// describes it.
type specVector struct {
	h      map[string]string
	body   []byte
	value  string   // input "", "seal" or "cookie-header": the body's line
	chunks []string // input "chunks"
	auth   []string // input "bearer": the Authorization headers
}

func parseSpecVector(data []byte) (*specVector, error) {
	head, body, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return nil, errors.New("no blank line")
	}
	v := &specVector{h: map[string]string{}, body: body}
	for line := range strings.SplitSeq(string(head), "\n") {
		k, s, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("bad line %q", line)
		}
		v.h[k] = strings.TrimPrefix(s, " ")
	}
	lines := strings.TrimSuffix(string(body), "\n")
	switch v.h["input"] {
	case "", "cookie-header", "seal":
		v.value = lines
	case "chunks":
		v.chunks = strings.Split(lines, "\n")
	case "bearer":
		if len(body) > 0 {
			v.auth = strings.Split(lines, "\n")
		}
	}
	return v, nil
}

// run returns the outcome of v, "ok" or an error class, or a description
// of how an ok vector's details differ.
func (r specReader) run(ring *specRing, v *specVector) string {
	if v.h["input"] == "keyring" {
		ring, err := r.parseKeyring(v.body)
		if err != nil {
			return "invalid-keyring"
		}
		now, _ := time.Parse(time.RFC3339Nano, v.h["now"])
		if p := ring.primary(now, r); p != v.h["primary"] {
			return "ok with primary " + p
		}
		return "ok"
	}
	if v.h["input"] == "seal" {
		if got := r.seal(ring, v.h); got != v.value {
			return "sealed " + got
		}
	}
	var o specOpened
	var class string
	switch v.h["input"] {
	case "chunks":
		o, class = r.openChunks(ring, v.h, v.chunks)
	case "cookie-header":
		o, class = r.readCookieHeader(ring, v.h, v.value)
	case "bearer":
		o, class = r.readBearer(ring, v.h, v.auth)
	case "", "seal":
		o, class = r.open(ring, v.h, v.value, 1)
	default:
		return "unknown input " + v.h["input"]
	}
	if class != "ok" {
		return class
	}
	return r.checkOpened(v.h, o)
}

type specOpened struct {
	keyID             string
	issuedAt, expires int64
	payload           []byte
	// authentic: the tag checked (step 10), so that a failure after it,
	// in the payload, is not one that every server shares.
	authentic bool
	// joinedTooLarge: too large by the joined length of its chunks.
	joinedTooLarge bool
}

func (r specReader) checkOpened(h map[string]string, o specOpened) string {
	got := []string{o.keyID, time.Unix(o.issuedAt, 0).UTC().Format(time.RFC3339), time.Unix(o.expires, 0).UTC().Format(time.RFC3339)}
	if want := []string{h["key-id"], h["issued-at"], h["expires"]}; !slices.Equal(got, want) {
		return fmt.Sprintf("ok with header %v, want %v", got, want)
	}
	if s := h["payload-sha256"]; s != "" {
		sum := sha256.Sum256(o.payload)
		if hex.EncodeToString(sum[:]) != s {
			return "ok with another payload"
		}
	}
	if s := h["payload-hex"]; s != "" && hex.EncodeToString(o.payload) != s {
		return "ok with another payload"
	}
	if s := h["payload"]; s != "" {
		// The vectors' payloads as JSON are objects of these members.
		type record struct {
			User  string   `json:"user" cbor:"user"`
			UID   int64    `json:"uid" cbor:"uid"`
			Roles []string `json:"roles" cbor:"roles"`
			Data  string   `json:"data" cbor:"data"`
		}
		var want, got record
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			panic(err)
		}
		var err error
		if h["serializer"] == "json" {
			err = r.jsonDecode(o.payload, &got)
		} else {
			err = r.cborDecMode().Unmarshal(o.payload, &got)
		}
		if err != nil {
			return "ok, but the payload does not decode into a record: " + err.Error()
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return "ok with another payload: " + diff
		}
	}
	return "ok"
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// peek reads version, flags and chunk count from the first 4 characters
// after the prefix (FORMAT.md, Reading version, flags and chunk count early).
func (r specReader) peek(v string) (int, string) {
	if len(v) < 5 || v[0] != '~' || strings.Trim(v[1:5], b64url) != "" {
		return 0, "malformed"
	}
	b, _ := base64.RawURLEncoding.DecodeString(v[1:5])
	switch {
	case b[0] != 1 || b[1] != 0:
		return 0, "unsupported-version"
	case b[2] == 0:
		return 0, "malformed"
	}
	return int(b[2]), "ok"
}

func (r specReader) openChunks(ring *specRing, h map[string]string, chunks []string) (specOpened, string) {
	maxLength, _ := strconv.Atoi(h["max-length"])
	if r.is("chunks-no-peek") {
		return r.open(ring, h, strings.Join(chunks, ""), len(chunks))
	}
	n, class := r.peek(chunks[0])
	if class != "ok" {
		return specOpened{}, class
	}
	if r.is("chunks-first-only") {
		return r.open(ring, h, chunks[0], n)
	}
	if n != len(chunks) || r.is("chunks-max-254") && n > 254 {
		return specOpened{}, "incomplete"
	}
	size := 0
	for _, c := range chunks {
		size += len(c)
		if r.is("chunks-limit-per-chunk") && len(c) > maxLength {
			return specOpened{}, "too-large"
		}
	}
	if size > maxLength && !r.is("chunks-limit-per-chunk") {
		return specOpened{joinedTooLarge: true}, "too-large"
	}
	if r.is("chunks-limit-per-chunk") {
		h = withField(h, "max-length", strconv.Itoa(math.MaxInt32))
	}
	return r.open(ring, h, strings.Join(chunks, ""), n)
}

// readBearer follows Bearer tokens, Reading, with MaxSize = max-length.
func (r specReader) readBearer(ring *specRing, h map[string]string, lines []string) (specOpened, string) {
	maxSize, _ := strconv.Atoi(h["max-length"])
	switch { // step 1
	case len(lines) == 0:
		return specOpened{}, "absent"
	case len(lines) > 1 && !r.is("bearer-first-header"):
		return specOpened{}, "malformed"
	}
	v := lines[0]
	if !r.is("bearer-no-trim") { // step 2
		v = strings.Trim(v, " \t")
	}
	if v == "" && r.is("bearer-empty-malformed") {
		return specOpened{}, "malformed"
	}
	const scheme = "Bearer"
	isScheme := len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme)
	if r.is("bearer-scheme-case-sensitive") {
		isScheme = strings.HasPrefix(v, scheme)
	}
	// RFC 9110's token characters: "Bearerx" is another scheme.
	const tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	if !isScheme || len(v) > len(scheme) && strings.IndexByte(tchar, v[len(scheme)]) >= 0 && !r.is("bearer-prefix-scheme") {
		return specOpened{}, "absent"
	}
	tooLong := len(v) > len(scheme)+1+maxSize
	if tooLong && !r.is("bearer-length-after-chars") && !r.is("bearer-length-token-only") { // step 3
		return specOpened{}, "too-large"
	}
	rest := v[len(scheme):]
	var token string
	switch {
	case r.is("bearer-tab-separator") && strings.HasPrefix(rest, "\t"):
		token = strings.TrimLeft(rest, " \t")
	case r.is("bearer-one-space"):
		token, _ = strings.CutPrefix(rest, " ")
	case !strings.HasPrefix(rest, " "):
		return specOpened{}, "malformed"
	default:
		token = strings.TrimLeft(rest, " ")
	}
	if r.is("bearer-rest-ignored") {
		token, _, _ = strings.Cut(token, " ")
		token, _, _ = strings.Cut(token, ",")
	}
	const b64token = "-._~+/=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	if token == "" || strings.Trim(token, b64token) != "" {
		return specOpened{}, "malformed"
	}
	if tooLong && r.is("bearer-length-after-chars") {
		return specOpened{}, "too-large"
	}
	if len(token) > maxSize { // step 4
		return specOpened{}, "too-large"
	}
	n, class := r.peek(token)
	if class != "ok" {
		return specOpened{}, class
	}
	if n != 1 && !r.is("bearer-chunks-any") {
		return specOpened{}, "malformed"
	}
	if !r.is("bearer-cookie-name") {
		h = withField(h, "cookie-name", scheme+" "+h["cookie-name"])
	}
	return r.open(ring, h, token, 1)
}

// withField returns a copy of h with k set to v.
func withField(h map[string]string, k, v string) map[string]string {
	c := map[string]string{}
	for k, v := range h {
		c[k] = v
	}
	c[k] = v
	return c
}

// seal follows Sealing, with the vector's time, lifetime setting, payload
// and nonce.
func (r specReader) seal(ring *specRing, h map[string]string) string {
	now, _ := time.Parse(time.RFC3339Nano, h["now"])
	maxAge, _ := time.ParseDuration(h["max-age"] + "s")
	payload, _ := hex.DecodeString(h["payload-hex"])
	nonce, _ := hex.DecodeString(h["nonce"])
	id := ring.primary(now, specReader{})
	key := ring.keys[id]
	// ⌊t⌋ in Unix seconds: time.Time.Unix rounds down, before 1970 too.
	iat, exp := now.Unix(), now.Add(maxAge).Unix()
	switch r.mut {
	case "seal-issued-rounded":
		iat = now.Round(time.Second).Unix()
	case "seal-lifetime-whole-max-age":
		exp = iat + int64(maxAge/time.Second)
	}
	hdr := []byte{1, 0, 1}
	idBytes, _ := hex.DecodeString(id)
	hdr = append(hdr, idBytes...)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(iat))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(exp-iat))
	aead := specAEAD(key.secret)
	ad := bytes.Clone(hdr)
	for _, s := range []string{h["cookie-name"], h["purpose"]} {
		ad = binary.BigEndian.AppendUint16(ad, uint16(len(s)))
		ad = append(ad, s...)
	}
	sealed := aead.Seal(append(hdr, nonce...), nonce, payload, ad)
	return "~" + base64.RawURLEncoding.EncodeToString(sealed)
}

// readCookieHeader follows Chunking, Reading: it finds the value of the
// session in a Cookie header and opens it.
func (r specReader) readCookieHeader(ring *specRing, h map[string]string, header string) (specOpened, string) {
	name := h["cookie-name"]
	maxSize, _ := strconv.Atoi(h["max-length"])
	chunkSize, _ := strconv.Atoi(h["chunk-size"])
	limit := min(255, maxSize/chunkSize+1)
	if len(header) > 65536 && !r.is("header-size-unlimited") { // step 1
		return specOpened{}, "too-large"
	}
	type cookie struct {
		index int
		value string
	}
	var cands [][]string
	var order []cookie
	for part := range strings.SplitSeq(header, ";") {
		k, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
		if !ok {
			continue
		}
		if r.is("header-name-fold-case") {
			k = strings.ToLower(k[:min(len(name), len(k))]) + k[min(len(name), len(k)):]
			name = strings.ToLower(name)
		}
		suffix, ok := strings.CutPrefix(k, name) // step 2
		if !ok {
			continue
		}
		index := 0
		if suffix != "" {
			digits, ok := strings.CutPrefix(suffix, ".")
			n, err := strconv.Atoi(digits)
			if !ok || err != nil || strings.Trim(digits, "0123456789") != "" || n < 1 || n >= limit && !r.is("header-index-unlimited") ||
				digits[0] == '0' && !r.is("header-leading-zero") {
				continue
			}
			index = n
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !r.is("header-quotes-kept") {
			v = v[1 : len(v)-1]
		}
		for len(cands) <= index {
			cands = append(cands, nil)
		}
		if len(cands[index]) < 4 || r.is("header-candidates-unlimited") { // step 3
			cands[index] = append(cands[index], v)
			order = append(order, cookie{index, v})
		}
	}
	switch { // step 4
	case len(cands) == 0:
		return specOpened{}, "absent"
	case len(cands[0]) == 0:
		return specOpened{}, "incomplete"
	}
	attempt := func(j int) (specOpened, string) { // step 5
		n, class := r.peek(cands[0][j])
		if class != "ok" {
			return specOpened{}, class
		}
		if n > limit {
			return specOpened{}, "too-large"
		}
		if n > len(cands) {
			return specOpened{}, "incomplete"
		}
		parts := make([]string, n)
		for i := range n {
			if len(cands[i]) == 0 {
				return specOpened{}, "incomplete"
			}
			parts[i] = cands[i][min(j, len(cands[i])-1)]
		}
		if n == 1 && len(parts[0]) > 4096 && r.is("header-one-cookie-4096") {
			return specOpened{}, "too-large"
		}
		if r.is("header-join-header-order") {
			parts = parts[:0]
			for _, c := range order {
				if c.index < n && len(parts) < n {
					parts = append(parts, c.value)
				}
			}
		}
		return r.openChunks(ring, h, parts)
	}
	var firstO, best specOpened
	first, found := "", false
	for j := range cands[0] {
		o, class := attempt(j)
		if class == "ok" { // step 6: of those that open, the one sealed last; on a tie the later
			if r.is("header-first-opens") {
				return o, class
			}
			if !found || o.issuedAt >= best.issuedAt {
				best, found = o, true
			}
			continue
		}
		// The first failure, unless it is one no server gets past and
		// this one is not (Expiring stale chunks lists which).
		if first == "" || r.is("header-last-failure") ||
			r.deadEverywhere(firstO, first) && !r.deadEverywhere(o, class) && !r.is("header-dead-failure-first") ||
			r.is("header-last-live-failure") && !r.deadEverywhere(o, class) {
			firstO, first = o, class
		}
	}
	if found {
		return best, "ok"
	}
	if r.is("header-all-combinations") && len(cands) == 2 {
		for _, a := range cands[0] {
			for _, b := range cands[1] {
				if o, class := r.openChunks(ring, h, []string{a, b}); class == "ok" {
					return o, class
				}
			}
		}
	}
	return firstO, first
}

// open follows Opening: the order of the checks, for a value joined from w
// cookies.
func (r specReader) open(ring *specRing, h map[string]string, value string, w int) (specOpened, string) {
	now, _ := time.Parse(time.RFC3339Nano, h["now"])
	skew, _ := strconv.ParseInt(h["clock-skew"], 10, 64)
	maxLength, _ := strconv.Atoi(h["max-length"])
	var o specOpened

	if len(value) > maxLength { // step 1
		return o, "too-large"
	}
	enc, ok := strings.CutPrefix(value, "~") // step 2
	if !ok {
		return o, "malformed"
	}
	var raw []byte
	var err error
	if r.is("base64-lenient") {
		enc = strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(enc)
		raw, err = base64.RawURLEncoding.DecodeString(enc)
	} else if strings.Trim(enc, b64url) != "" { // step 3
		err = errors.New("not base64url")
	} else {
		raw, err = base64.RawURLEncoding.Strict().DecodeString(enc)
	}
	if err != nil {
		return o, "malformed"
	}
	if r.is("version-before-length") && len(raw) >= 2 && (raw[0] != 1 || raw[1] != 0) {
		return o, "unsupported-version"
	}
	if len(raw) < 59 { // step 4
		return o, "malformed"
	}
	hdr, nonce, sealed := raw[:19], raw[19:43], raw[43:]
	switch {
	case hdr[0] != 1 || hdr[1] != 0: // step 5
		return o, "unsupported-version"
	case hdr[2] == 0: // step 6
		return o, "malformed"
	case int(hdr[2]) != w && !r.is("no-chunk-count-check"): // step 7
		return o, "incomplete"
	}
	o.keyID = fmt.Sprintf("%08x", binary.BigEndian.Uint32(hdr[3:7]))
	key, ok := ring.keys[o.keyID] // step 8
	if !ok {
		return o, "unknown-key"
	}
	if key.state == "revoked" || key.hasRetire && !now.Before(key.retireAfter) { // step 9
		return o, "revoked-key"
	}
	aead := specAEAD(key.secret)
	ad := bytes.Clone(hdr)
	for _, s := range []string{h["cookie-name"], h["purpose"]} {
		n := len(s)
		if r.is("length-utf16") {
			n = len(utf16.Encode([]rune(s)))
		}
		ad = binary.BigEndian.AppendUint16(ad, uint16(n))
		ad = append(ad, s...)
	}
	o.payload, err = aead.Open(nil, nonce, sealed, ad) // step 10
	if err != nil {
		return o, "tampered"
	}
	o.authentic = true

	// Steps 11 and 12 at full precision: issued-at and lifetime are whole
	// seconds, now is seconds and nanoseconds.
	o.issuedAt = int64(binary.BigEndian.Uint64(hdr[7:15]))
	lifetime := int64(binary.BigEndian.Uint32(hdr[15:19]))
	if r.is("lifetime-signed") {
		lifetime = int64(int32(binary.BigEndian.Uint32(hdr[15:19])))
	}
	if lifetime == 0 && r.is("lifetime-zero-refused") {
		return o, "malformed"
	}
	o.expires = o.issuedAt + lifetime
	sec, nsec := now.Unix(), int64(now.Nanosecond())
	switch {
	case r.is("now-whole-seconds-toward-zero"):
		sec, nsec = now.UnixNano()/1e9, 0
	case r.is("now-rounded"):
		sec, nsec = now.Round(time.Second).Unix(), 0
	case r.is("now-rounded-up"):
		if nsec > 0 {
			sec, nsec = sec+1, 0
		}
	}
	issuedSkew, expirySkew := skew, skew
	if r.is("skew-ignored-issued") {
		issuedSkew = 0
	}
	if r.is("skew-ignored-expiry") {
		expirySkew = 0
	}
	// issued-at and expiry are whole seconds, so with now = sec + nsec/1e9
	// (0 ≤ nsec < 1e9), issued-at ≤ now + S holds exactly when
	// issued-at − S ≤ sec, and now < expiry + S exactly when sec < expiry + S.
	if r.is("issued-at-unsigned") {
		if uint64(o.issuedAt) > uint64(sec+issuedSkew) {
			return o, "not-yet-valid"
		}
	} else if r.is("issued-at-minus-skew") && o.issuedAt-issuedSkew > sec || !r.is("issued-at-minus-skew") && o.issuedAt > sec+issuedSkew { // step 11
		return o, "not-yet-valid"
	}
	limit := o.expires + expirySkew
	expired := sec >= limit
	if r.is("expiry-inclusive") {
		expired = sec > limit || sec == limit && nsec > 0
	}
	if expired { // step 12
		return o, "expired"
	}
	if err := r.deserialize(h["serializer"], o.payload); err != nil { // step 13
		return o, "malformed"
	}
	return o, "ok"
}

// deserialize checks the payload as FORMAT.md's Payload section says,
// whatever type an application then reads it into.
func (r specReader) deserialize(serializer string, p []byte) error {
	if serializer == "json" {
		var v any
		return r.jsonDecode(p, &v)
	}
	if len(p) == 0 {
		return errors.New("empty")
	}
	if r.is("cbor-tags-are-levels") {
		if err := specCBORTagDepth(p); err != nil {
			return err
		}
	}
	var v any
	dm := r.cborDecMode()
	var err error
	if r.is("cbor-trailing") {
		_, err = dm.UnmarshalFirst(p, &v)
	} else {
		err = dm.Unmarshal(p, &v)
	}
	if r.is("cbor-tag-content-any") && err != nil && strings.Contains(err.Error(), "tag number") {
		return nil // what a reader that never looks inside tags would say
	}
	return err
}

func (r specReader) cborDecMode() cbor.DecMode {
	opts := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  32,
		MaxArrayElements: 65536,
		MaxMapPairs:      65536,
		IntDec:           cbor.IntDecConvertSignedOrBigInt,
		DefaultMapType:   reflect.TypeOf(map[any]any(nil)),
		UTF8:             cbor.UTF8DecodeInvalid,
	}
	switch r.mut {
	case "cbor-depth-unlimited":
		opts.MaxNestedLevels = 65535
	case "cbor-depth-33":
		opts.MaxNestedLevels = 33
	case "cbor-depth-31":
		opts.MaxNestedLevels = 31
	case "cbor-count-unlimited":
		opts.MaxArrayElements, opts.MaxMapPairs = math.MaxInt32, math.MaxInt32
	case "cbor-map-count-unlimited":
		opts.MaxMapPairs = math.MaxInt32
	case "cbor-indefinite":
		opts.IndefLength = cbor.IndefLengthAllowed
	case "cbor-duplicates":
		opts.DupMapKey = cbor.DupMapKeyQuiet
	case "cbor-tags-refused":
		opts.TagsMd = cbor.TagsForbidden
	case "cbor-bigint-refused":
		opts.IntDec = cbor.IntDecConvertSigned
		opts.BignumTag = cbor.BignumTagForbidden
	case "cbor-utf8-strict":
		opts.UTF8 = cbor.UTF8RejectInvalid
	}
	dm, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

// specCBORTagDepth refuses a payload whose arrays, maps and tags together
// nest deeper than 32: what a reader that counts every tag does.
func specCBORTagDepth(p []byte) error {
	var walk func(b []byte, depth int) ([]byte, error)
	walk = func(b []byte, depth int) ([]byte, error) {
		if len(b) == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		major, ai := b[0]>>5, b[0]&0x1f
		b = b[1:]
		var arg uint64
		switch {
		case ai < 24:
			arg = uint64(ai)
		case ai <= 27:
			n := 1 << (ai - 24)
			if len(b) < n {
				return nil, io.ErrUnexpectedEOF
			}
			for _, c := range b[:n] {
				arg = arg<<8 | uint64(c)
			}
			b = b[n:]
		default:
			return nil, errors.New("not handled")
		}
		switch major {
		case 2, 3:
			if uint64(len(b)) < arg {
				return nil, io.ErrUnexpectedEOF
			}
			return b[arg:], nil
		case 4, 5, 6:
			if depth+1 > 32 {
				return nil, errors.New("too deep")
			}
			items := arg
			if major == 5 {
				items *= 2
			}
			if major == 6 {
				items = 1
			}
			var err error
			for range items {
				if b, err = walk(b, depth+1); err != nil {
					return nil, err
				}
			}
		}
		return b, nil
	}
	_, err := walk(p, 0)
	if err != nil && err.Error() == "too deep" {
		return err
	}
	return nil // anything else is for the decoder to judge
}

// jsonDecode reads one JSON value as FORMAT.md's JSON paragraph says.
func (r specReader) jsonDecode(p []byte, dst any) error {
	if r.is("json-bom-skipped") {
		p = bytes.TrimPrefix(p, []byte("\ufeff"))
	}
	if r.is("json-whitespace-refused") && len(bytes.TrimSpace(p)) != len(p) {
		return errors.New("whitespace")
	}
	if r.is("json-utf8-strict") && !utf8.Valid(p) {
		return errors.New("not UTF-8")
	}
	limit := 32
	switch r.mut {
	case "json-depth-unlimited":
		limit = math.MaxInt
	case "json-depth-33":
		limit = 33
	}
	// Depth: brackets outside strings.
	depth, inString, escaped := 0, false, false
	for _, c := range p {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			if depth++; depth > limit {
				return errors.New("too deep")
			}
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
	if r.is("json-duplicates-refused") {
		if dup, err := specJSONDuplicates(p); err != nil || dup {
			return errors.New("duplicate names")
		}
	}
	if r.is("json-duplicates-first") {
		if first, err := specJSONKeepFirst(p); err == nil {
			p = first
		}
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	if !r.is("json-float64") {
		dec.UseNumber()
	}
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if r.is("json-second-value") {
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the value")
	}
	return nil
}

// specJSONDuplicates reports whether an object in p names a member twice.
func specJSONDuplicates(p []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	var walk func() (bool, error)
	walk = func() (bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return false, err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return false, nil
		}
		seen := map[string]bool{}
		dup := false
		for dec.More() {
			if d == '{' {
				tok, err := dec.Token()
				if err != nil {
					return false, err
				}
				name := tok.(string)
				dup = dup || seen[name]
				seen[name] = true
			}
			inner, err := walk()
			if err != nil {
				return false, err
			}
			dup = dup || inner
		}
		_, err = dec.Token()
		return dup, err
	}
	return walk()
}

// specJSONKeepFirst rewrites p keeping only the first of the members of
// an object that share a name.
func specJSONKeepFirst(p []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	var out bytes.Buffer
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			b, _ := json.Marshal(tok)
			out.Write(b)
			return nil
		}
		out.WriteRune(rune(d))
		seen := map[string]bool{}
		for i := 0; dec.More(); i++ {
			mark := out.Len()
			if i > 0 {
				out.WriteByte(',')
			}
			var name string
			if d == '{' {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				name = tok.(string)
				b, _ := json.Marshal(name)
				out.Write(b)
				out.WriteByte(':')
			}
			if err := walk(); err != nil {
				return err
			}
			if d == '{' && seen[name] {
				out.Truncate(mark)
			}
			seen[name] = true
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		out.WriteRune(rune(d) + 2) // ] and } follow [ and { two code points later
		return nil
	}
	if err := walk(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// The keyring file, as FORMAT.md's Keyring file section describes it.

type specKey struct {
	id, state            string
	secret               []byte
	created, activatesAt time.Time
	retireAfter          time.Time
	hasRetire            bool
}

type specRing struct {
	keys  map[string]specKey
	order []string
}

// primary follows "The primary at time t".
func (ring *specRing) primary(t time.Time, r specReader) string {
	best := "none"
	var bk specKey
	for _, id := range ring.order {
		k := ring.keys[id]
		if k.state != "active" || k.activatesAt.After(t) || k.hasRetire && !t.Before(k.retireAfter) && !r.is("keyring-primary-retire-ignored") {
			continue
		}
		later := k.activatesAt.After(bk.activatesAt)
		if r.is("keyring-primary-earliest") {
			later = k.activatesAt.Before(bk.activatesAt)
		}
		newerCreated, higherID := k.created.After(bk.created), id > best
		if r.is("keyring-primary-tie-first-created") {
			newerCreated = k.created.Before(bk.created)
		}
		if r.is("keyring-primary-tie-lowest-id") {
			higherID = id < best
		}
		if best == "none" || later || k.activatesAt.Equal(bk.activatesAt) && (newerCreated || k.created.Equal(bk.created) && higherID) {
			best, bk = id, k
		}
	}
	return best
}

// A specJSON is a JSON value with its object members in order.
type specJSON struct {
	kind    string // "object", "array", "string", "number", "bool", "null"
	str     string // a string, or a number's literal
	members []specMember
	items   []specJSON
}

type specMember struct {
	name  string
	value specJSON
}

func (r specReader) readJSON(dec *json.Decoder, depth int) (specJSON, error) {
	tok, err := dec.Token()
	if err != nil {
		return specJSON{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth == 8 {
			return specJSON{}, errors.New("too deep")
		}
		v := specJSON{kind: "array"}
		if t == '{' {
			v.kind = "object"
		}
		seen := map[string]int{}
		for dec.More() {
			if t == '[' {
				item, err := r.readJSON(dec, depth+1)
				if err != nil {
					return v, err
				}
				v.items = append(v.items, item)
				continue
			}
			tok, err := dec.Token()
			if err != nil {
				return v, err
			}
			name := tok.(string)
			if r.is("keyring-names-fold-case") {
				name = strings.ToLower(name)
			} else if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" {
				return v, errors.New("bad member name")
			}
			value, err := r.readJSON(dec, depth+1)
			if err != nil {
				return v, err
			}
			if i, ok := seen[name]; ok {
				if !r.is("keyring-duplicates") && !r.is("keyring-names-fold-case") {
					return v, errors.New("duplicate member")
				}
				v.members[i].value = value // the last wins
				continue
			}
			seen[name] = len(v.members)
			v.members = append(v.members, specMember{name, value})
		}
		_, err = dec.Token()
		return v, err
	case string:
		return specJSON{kind: "string", str: t}, nil
	case json.Number:
		return specJSON{kind: "number", str: t.String()}, nil
	case bool:
		return specJSON{kind: "bool"}, nil
	default:
		return specJSON{kind: "null"}, nil
	}
}

// fields returns an object's members by name, refusing names not in
// allowed; members that are null count as absent, and so do empty strings
// when every allowed member is of type string (a key's, not the file's
// top level, whose members are a number and arrays).
func (r specReader) fields(v specJSON, emptyIsAbsent bool, allowed ...string) (map[string]specJSON, error) {
	if v.kind != "object" {
		return nil, errors.New("not an object")
	}
	m := map[string]specJSON{}
	for _, mem := range v.members {
		if !slices.Contains(allowed, mem.name) {
			if r.is("keyring-unknown-members") {
				continue
			}
			return nil, errors.New("unknown member " + mem.name)
		}
		if mem.value.kind == "null" && !r.is("keyring-null-present") || emptyIsAbsent && mem.value.kind == "string" && mem.value.str == "" {
			continue
		}
		m[mem.name] = mem.value
	}
	return m, nil
}

func specIsID(s string, foldCase bool) bool {
	if foldCase {
		s = strings.ToLower(s)
	}
	return len(s) == 8 && strings.Trim(s, "0123456789abcdef") == ""
}

func (r specReader) parseKeyring(data []byte) (*specRing, error) {
	if len(data) > 1<<20 && !r.is("keyring-size-unlimited") {
		return nil, errors.New("too large")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	top, err := r.readJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF && !r.is("keyring-trailing") {
		return nil, errors.New("data after the object")
	}
	f, err := r.fields(top, false, "version", "keys", "deleted")
	if err != nil {
		return nil, err
	}
	version := f["version"]
	switch {
	case r.is("keyring-version-any"):
	case r.is("keyring-version-numeric"):
		if n, err := strconv.ParseFloat(version.str, 64); version.kind != "number" && version.kind != "string" || err != nil || n != 1 {
			return nil, errors.New("version")
		}
	case version.kind != "number" || version.str != "1":
		return nil, errors.New("version")
	}
	keys := f["keys"]
	if keys.kind != "array" || len(keys.items) == 0 || len(keys.items) > 64 && !r.is("keyring-keys-unlimited") {
		return nil, errors.New("keys")
	}
	ring := &specRing{keys: map[string]specKey{}}
	deleted := map[string]bool{}
	if d, ok := f["deleted"]; ok {
		if d.kind != "array" || len(d.items) > 4096 && !r.is("keyring-deleted-unlimited") {
			return nil, errors.New("deleted")
		}
		for _, item := range d.items {
			if item.kind != "string" || !specIsID(item.str, false) && !r.is("keyring-deleted-any-id") {
				return nil, errors.New("deleted id")
			}
			if deleted[item.str] && !r.is("keyring-deleted-twice") {
				return nil, errors.New("deleted twice")
			}
			deleted[item.str] = true
		}
	}
	active := false
	for _, item := range keys.items {
		kf, err := r.fields(item, true, "id", "state", "secret", "created", "activates_at", "retire_after")
		if err != nil {
			return nil, err
		}
		for _, m := range kf {
			if m.kind != "string" {
				return nil, errors.New("not a string")
			}
		}
		k := specKey{id: kf["id"].str, state: kf["state"].str}
		if !specIsID(k.id, r.is("keyring-id-fold-case")) {
			return nil, errors.New("id")
		}
		if r.is("keyring-state-fold-case") {
			k.state = strings.ToLower(k.state)
		}
		if !slices.Contains([]string{"active", "retired", "revoked"}, k.state) {
			return nil, errors.New("state")
		}
		if k.secret, err = r.secret(kf["secret"].str); err != nil {
			return nil, err
		}
		for _, t := range []struct {
			name     string
			dst      *time.Time
			required bool
		}{{"created", &k.created, true}, {"activates_at", &k.activatesAt, true}, {"retire_after", &k.retireAfter, false}} {
			m, ok := kf[t.name]
			if !ok && t.required {
				return nil, errors.New(t.name + " missing")
			}
			if !ok {
				continue
			}
			if *t.dst, err = r.parseTime(m.str); err != nil {
				return nil, err
			}
		}
		_, k.hasRetire = kf["retire_after"]
		switch {
		case ring.keys[k.id].id != "" && !r.is("keyring-duplicate-ids"):
			return nil, errors.New("duplicate id")
		case deleted[k.id] && !r.is("keyring-deleted-reuse"):
			return nil, errors.New("deleted id reused")
		case k.state == "retired" && !k.hasRetire && !r.is("keyring-retired-bare"):
			return nil, errors.New("retired without retire_after")
		case k.hasRetire && !k.retireAfter.After(k.activatesAt) && !(r.is("keyring-retire-equal") && k.retireAfter.Equal(k.activatesAt)):
			return nil, errors.New("retire_after not after activates_at")
		}
		active = active || k.state == "active"
		if _, ok := ring.keys[k.id]; !ok {
			ring.order = append(ring.order, k.id)
		}
		ring.keys[k.id] = k
	}
	if !active && !r.is("keyring-no-active-ok") {
		return nil, errors.New("no active key")
	}
	return ring, nil
}

func (r specReader) secret(s string) ([]byte, error) {
	var b []byte
	var err error
	if r.is("keyring-secret-lenient") {
		s = strings.NewReplacer("-", "+", "_", "/", "=", "", "\n", "", "\r", "", " ", "").Replace(s)
		b, err = base64.RawStdEncoding.DecodeString(s)
	} else if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
		err = errors.New("not base64")
	} else {
		b, err = base64.StdEncoding.Strict().DecodeString(s)
	}
	if err != nil || len(b) != 32 && !r.is("keyring-secret-any-size") {
		return nil, errors.New("secret")
	}
	return b, nil
}

// parseTime reads date-time as the Keyring file section restricts it:
// YYYY-MM-DDTHH:MM:SS, an optional period and 1 to 9 digits, then Z or
// ±HH:MM with HH ≤ 23 and MM ≤ 59; the fields in range, no second 60.
func (r specReader) parseTime(s string) (time.Time, error) {
	bad := errors.New("not a date-time")
	if r.is("keyring-time-lenient") {
		return time.Parse(time.RFC3339Nano, s)
	}
	if r.is("keyring-time-fold-case") {
		s = strings.ToUpper(s)
	}
	digits := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && strings.Trim(s, "0123456789") == ""
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, bad
	}
	var f [6]int
	for i, span := range [][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		n, ok := digits(s[span[0]:span[1]])
		if !ok {
			return time.Time{}, bad
		}
		f[i] = n
	}
	rest, nsec := s[19:], 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return time.Time{}, bad
		}
		frac := (rest[1:n] + "00000000")[:9]
		nsec, _ = strconv.Atoi(frac)
		if r.is("keyring-time-no-fraction") {
			nsec = 0
		}
		rest = rest[n:]
	}
	offset := 0
	if rest != "Z" {
		if len(rest) != 6 || rest[0] != '+' && rest[0] != '-' || rest[3] != ':' {
			return time.Time{}, bad
		}
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, bad
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
		if r.is("keyring-time-no-offset") {
			offset = 0
		}
	}
	year, month, day, hour, minute, second := f[0], f[1], f[2], f[3], f[4], f[5]
	if r.is("keyring-time-leap-second") && second == 60 {
		second = 59
	}
	daysIn := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if month < 1 || month > 12 || day < 1 || day > daysIn || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, bad
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC).Add(-time.Duration(offset) * time.Second), nil
}

// specVectors returns the keyring of the vectors, parsed, and every vector.
func specVectors(t *testing.T) (ring *specRing, names []string, vectors []*specVector) {
	keyring, err := os.ReadFile("testdata/vectors/keyring.json")
	if err != nil {
		t.Fatal(err)
	}
	if ring, err = (specReader{}).parseKeyring(keyring); err != nil {
		t.Fatalf("keyring.json: %v", err)
	}
	files, err := filepath.Glob("testdata/vectors/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		v, err := parseSpecVector(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		names = append(names, filepath.Base(file))
		vectors = append(vectors, v)
	}
	return ring, names, vectors
}

func TestSpecOpener(t *testing.T) {
	ring, names, vectors := specVectors(t)
	for i, v := range vectors {
		t.Run(names[i], func(t *testing.T) {
			t.Parallel()
			if got := (specReader{}).run(ring, v); got != v.h["expect"] {
				t.Fatalf("got %s, want %s", got, v.h["expect"])
			}
		})
	}
}

// TestSpecMutants checks that each wrong reading of FORMAT.md fails at
// least one vector, and names the vectors that catch it.
func TestSpecMutants(t *testing.T) {
	ring, names, vectors := specVectors(t)
	for _, m := range slices.Sorted(mapsKeys(specMutations)) {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			r := specReader{mut: m}
			var caught []string
			for i, v := range vectors {
				if got := r.run(ring, v); got != v.h["expect"] {
					caught = append(caught, strings.TrimSuffix(names[i], ".txt"))
				}
			}
			if len(caught) == 0 {
				t.Errorf("no vector fails a reader with %s", specMutations[m])
			}
			t.Logf("caught by %d: %s", len(caught), strings.Join(caught[:min(len(caught), 5)], ", "))
		})
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// specAEAD derives a key's subkey (FORMAT.md, Subkey derivation) and its
// XChaCha20-Poly1305.
func specAEAD(secret []byte) cipher.AEAD {
	subkey, err := hkdf.Key(sha256.New, secret, nil, "cookiesession v1 xchacha20poly1305 seal", 32)
	if err != nil {
		panic(err)
	}
	aead, err := chacha20poly1305.NewX(subkey)
	if err != nil {
		panic(err)
	}
	return aead
}

// deadEverywhere reports whether o's failure, of that class, is one that
// no server can get past, as "Expiring stale chunks" lists them: a
// revoked key, an expired, tampered, malformed or incomplete value, but
// not an authentic payload that does not decode.
func (r *specReader) deadEverywhere(o specOpened, class string) bool {
	switch class {
	case "revoked-key", "tampered":
		return true
	case "expired":
		return !r.is("header-expired-live")
	case "incomplete":
		return !r.is("header-incomplete-live")
	case "malformed":
		return !o.authentic || r.is("header-undecodable-dead")
	case "too-large":
		if o.joinedTooLarge {
			return r.is("header-joined-too-large-dead")
		}
		return r.is("header-too-large-dead")
	}
	return false
}
