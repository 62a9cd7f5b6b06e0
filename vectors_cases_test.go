package cookiesession

// Golden vectors beyond the first set: each group pins down a rule of
// FORMAT.md that a plausible but wrong reader breaks. TestSpecMutants
// (spec_test.go) checks that each such reader fails one of them.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"
)

func vectorTimeSpecs() []vectorSpec {
	exp := vectorEpoch.Add(-24 * time.Hour) // issued so that it expires at vectorEpoch
	// Issued at -120 (1969-12-31T23:58:00Z) for 60 seconds: with the
	// 60-second skew, the value expires at the Unix epoch.
	before1970 := func(h []byte) { vectorSetIssuedAt(-120)(h); vectorSetLifetime(60)(h) }
	unixEpoch := time.Unix(0, 0).UTC()
	return []vectorSpec{
		{name: "valid-past-expiry-within-skew", expect: "ok", issued: exp.Add(-30 * time.Second),
			comment: "expired 30 seconds ago, within the clock skew"},
		{name: "valid-last-nanosecond", expect: "ok", issued: exp, now: vectorEpoch.Add(vectorSkew - time.Nanosecond),
			comment: "now is one nanosecond before expiry plus skew"},
		{name: "not-yet-valid-half-second", expect: "not-yet-valid", issued: vectorEpoch.Add(vectorSkew + time.Second),
			now:     vectorEpoch.Add(500 * time.Millisecond),
			comment: "issued half a second further in the future than the clock skew"},
		{name: "valid-before-1970", expect: "ok", issued: vectorEpoch, reseal: before1970, now: unixEpoch.Add(-500 * time.Millisecond),
			comment: "issued at -120 s for 60 s, opened half a second before expiry plus skew: issued-at is signed, and now is not rounded towards zero"},
		{name: "expired-before-1970", expect: "expired", issued: vectorEpoch, reseal: before1970, now: unixEpoch,
			comment: "issued at -120 s for 60 s, opened at 0 s: exactly expiry plus skew"},
		{name: "valid-lifetime-max", expect: "ok", issued: vectorEpoch.Add(-time.Hour), lifetime: math.MaxUint32 * time.Second,
			comment: "the longest lifetime, 4294967295 seconds: lifetime is unsigned"},
		{name: "valid-lifetime-zero", expect: "ok", issued: vectorEpoch, reseal: vectorSetLifetime(0), now: vectorEpoch.Add(30 * time.Second),
			comment: "lifetime 0, which no sealer writes, opened 30 seconds after issue, within the skew: it is not refused"},
		{name: "not-yet-valid-max-issued-at", expect: "not-yet-valid", issued: vectorEpoch, reseal: vectorSetIssuedAt(math.MaxInt64),
			comment: "issued-at 2^63 - 1, the largest: compared without overflow"},
		{name: "expired-min-issued-at", expect: "expired", issued: vectorEpoch,
			reseal:  func(h []byte) { vectorSetIssuedAt(math.MinInt64)(h); vectorSetLifetime(math.MaxUint32)(h) },
			comment: "issued-at -2^63, the smallest, for the longest lifetime: compared without overflow"},
		{name: "seal-fraction", expect: "ok", now: vectorEpoch.Add(700 * time.Millisecond), maxAge: 1500 * time.Millisecond,
			payload: vectorHex("a0"), comment: "sealed at 12:00:00.7 for 1.5 s: issued-at 12:00:00, expiry 12:00:02.2 rounded down, so lifetime 2"},
		{name: "seal-fraction-day", expect: "ok", now: vectorEpoch.Add(999_999_999 * time.Nanosecond), maxAge: 24 * time.Hour,
			payload: vectorHex("a3647573657265616c69636563756964182a65726f6c6573816561646d696e"),
			comment: "sealed at 12:00:00.999999999 for 24 hours: issued-at 12:00:00, lifetime 86400"},
		{name: "valid-purpose-utf8", expect: "ok", purpose: "café ☕",
			comment: "a purpose of 6 characters in 9 bytes of UTF-8: the lengths in the associated data count bytes"},
		{name: "short-bad-version", expect: "malformed", edit: func(string) string { return "~AgAB" },
			comment: "3 bytes with version 2: the length is checked before the version"},
	}
}

func vectorSetIssuedAt(iat int64) func([]byte) {
	return func(h []byte) { binary.BigEndian.PutUint64(h[7:15], uint64(iat)) }
}

func vectorSetLifetime(l uint32) func([]byte) {
	return func(h []byte) { binary.BigEndian.PutUint32(h[15:19], l) }
}

// vectorCBORMap is a map of n pairs with distinct text keys (the empty
// key first) and null values.
func vectorCBORMap(n int) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0xba}, uint32(n))
	b = append(b, 0x60, 0xf6)
	// The other keys are three printable ASCII characters each, distinct,
	// and text that is UTF-8: a reader with no way to hold bytes that are
	// not (a JavaScript string) keeps them apart too.
	for i := range n - 1 {
		b = append(b, 0x63, byte('!'+i/(94*94)), byte('!'+i/94%94), byte('!'+i%94), 0xf6)
	}
	return b
}

// vectorCBORNest nests inner in levels arrays and maps, alternating and
// starting with an array: [{"a": [{"a": …}]}]. Each container may be
// preceded by tag.
func vectorCBORNest(levels int, tag, inner []byte) []byte {
	var b []byte
	for i := range levels {
		b = append(b, tag...)
		if i%2 == 0 {
			b = append(b, 0x81)
		} else {
			b = append(b, 0xa1, 0x61, 'a')
		}
	}
	return append(b, inner...)
}

func vectorJSONNest(levels int, inner string) string {
	var open, closing strings.Builder
	for i := range levels {
		if i%2 == 0 {
			open.WriteString("[")
			closing.WriteString("]")
		} else {
			open.WriteString(`{"a":`)
			closing.WriteString("}")
		}
	}
	c := []byte(closing.String())
	for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
		c[i], c[j] = c[j], c[i]
	}
	return open.String() + inner + string(c)
}

func vectorHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// vectorCBORArray is an array of n zeros.
func vectorCBORArray(n int) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0x9a}, uint32(n))
	return append(b, make([]byte, n)...)
}

func vectorPayloadSpecs() []vectorSpec {
	tiny := vectorHex("a3647573657265616c69636563756964182a65726f6c6573816561646d696e") // vectorTinyPayload
	tag := vectorHex("d903e8")                                                          // tag 1000, which no one defines
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	const big = 131072
	return []vectorSpec{
		// CBOR: nesting, counted in arrays and maps.
		{name: "payload-cbor-depth-32", expect: "ok", payload: vectorCBORNest(32, nil, []byte{0x01}),
			comment: "32 levels of arrays and maps, alternating, around the integer 1"},
		{name: "payload-cbor-depth-33", expect: "malformed", payload: vectorCBORNest(33, nil, []byte{0x01}),
			comment: "33 levels of arrays and maps: one too deep"},
		{name: "payload-cbor-depth-32-tagged", expect: "ok", payload: vectorCBORNest(32, tag, []byte{0x01}),
			comment: "32 levels, each container tagged 1000: a tag is not a level"},
		{name: "payload-cbor-tag-chain-depth-32", expect: "ok", payload: vectorCBORNest(31, nil, cat(tag, tag, []byte{0x01})),
			comment: "31 levels around a tag whose content is a tag: that inner tag is level 32"},
		{name: "payload-cbor-tag-chain-depth-33", expect: "malformed", payload: vectorCBORNest(32, nil, cat(tag, tag, []byte{0x01})),
			comment: "32 levels around a tag whose content is a tag: that inner tag is level 33"},
		// CBOR: counts.
		{name: "payload-cbor-array-65536", expect: "ok", payload: vectorCBORArray(65536), maxLength: big,
			comment: "an array of 65536 zeros: the most elements an array may have"},
		{name: "payload-cbor-array-65537", expect: "malformed", payload: vectorCBORArray(65537), maxLength: big,
			comment: "an array of 65537 zeros: one element too many"},
		{name: "payload-cbor-map-65536", expect: "ok", payload: vectorCBORMap(65536), maxLength: 1 << 19,
			comment: "a map of 65536 pairs, text keys and null values: the most pairs a map may have"},
		{name: "payload-cbor-map-65537", expect: "malformed", payload: vectorCBORMap(65537), maxLength: 1 << 19,
			comment: "a map of 65537 pairs, text keys and null values: one pair too many"},
		// CBOR: what is refused.
		{name: "payload-cbor-indefinite-array", expect: "malformed", payload: vectorHex("9f 01 ff"),
			comment: "an indefinite-length array [_ 1]"},
		{name: "payload-cbor-indefinite-map", expect: "malformed", payload: vectorHex("bf 6161 01 ff"),
			comment: `an indefinite-length map {_ "a": 1}`},
		{name: "payload-cbor-indefinite-bytes", expect: "malformed", payload: vectorHex("5f 4101 ff"),
			comment: "an indefinite-length byte string (_ h'01')"},
		{name: "payload-cbor-indefinite-text", expect: "malformed", payload: vectorHex("7f 6161 ff"),
			comment: `an indefinite-length text string (_ "a")`},
		{name: "payload-cbor-duplicate-key", expect: "malformed", payload: vectorHex("a2 6475736572 65616c696365 6475736572 63626f62"),
			comment: `a map with the key "user" twice: {"user": "alice", "user": "bob"}`},
		{name: "payload-cbor-duplicate-key-long-form", expect: "malformed",
			payload: vectorHex("a2 6475736572 65616c696365 780475736572 63626f62"),
			comment: `a map with the key "user" twice, once with a one-byte length argument: keys compare as values`},
		{name: "payload-cbor-trailing-data", expect: "malformed", payload: cat(tiny, []byte{0x00}),
			comment: "the payload of valid-tiny followed by one more item, the integer 0"},
		{name: "payload-cbor-tag0-not-text", expect: "malformed", payload: vectorHex("c0 01"),
			comment: "tag 0 (date-time text) around an integer"},
		{name: "payload-cbor-tag1-not-number", expect: "malformed", payload: vectorHex("c1 6178"),
			comment: `tag 1 (epoch time) around a text string, "x"`},
		{name: "payload-cbor-tag1-bignum", expect: "malformed", payload: vectorHex("c1 c2 4101"),
			comment: "tag 1 around a bignum, 2(h'01'): a bignum is not an integer of major type 0 or 1"},
		{name: "payload-cbor-tag0-around-tag", expect: "malformed", payload: vectorHex("c0 d903e8 6178"),
			comment: `tag 0 around tag 1000 around "x": a tag's content is the item right after it, not read through`},
		{name: "payload-cbor-tag2-not-bytes", expect: "malformed", payload: vectorHex("c2 01"),
			comment: "tag 2 (unsigned bignum) around an integer"},
		{name: "payload-cbor-tag3-not-bytes", expect: "malformed", payload: vectorHex("c3 6178"),
			comment: `tag 3 (negative bignum) around a text string, "x"`},
		{name: "payload-cbor-simple-24", expect: "malformed", payload: vectorHex("f8 18"),
			comment: "simple value 24 in two bytes, which RFC 8949 forbids (not well-formed)"},
		{name: "payload-cbor-reserved-info", expect: "malformed", payload: vectorHex("1c"),
			comment: "additional information 28, reserved (not well-formed)"},
		// CBOR: what is allowed.
		{name: "payload-cbor-tags", expect: "ok",
			payload: vectorHex("a4 6174 c0 74323032352d30362d30315431323a30303a30305a 6165 c1 1a683c40c0 6162 c2 420100 6175 d903e8 01"),
			comment: `tags 0, 1, 2 and 1000: {"t": 0("2025-06-01T12:00:00Z"), "e": 1(1748779200), "b": 2(h'0100'), "u": 1000(1)}`},
		{name: "payload-cbor-tag1-float", expect: "ok", payload: vectorHex("a2 6165 c1 fb41da0f1030200000 6168 c1 f93e00"),
			comment: `tag 1 around floats: {"e": 1(1748779200.5), "h": 1(1.5)}, in double and half precision`},
		{name: "payload-cbor-simple-values", expect: "ok", payload: vectorHex("86 f4 f5 f6 f7 e0 f8ff"),
			comment: "[false, true, null, undefined, simple(0), simple(255)]"},
		{name: "payload-cbor-floats", expect: "ok", payload: vectorHex("85 f97e00 f97c00 f98000 fa3fc00000 fb3ff199999999999a"),
			comment: "[NaN, Infinity, -0.0, 1.5, 1.1] in half, single and double precision"},
		{name: "payload-cbor-big-integers", expect: "ok", payload: vectorHex("82 1bffffffffffffffff 3bffffffffffffffff"),
			comment: "[18446744073709551615, -18446744073709551616]: integers beyond int64"},
		{name: "payload-cbor-text-not-utf8", expect: "ok", payload: vectorHex("a1 6475736572 62c328"),
			comment: `{"user": text string of the bytes c3 28}, which are not UTF-8`},

		// JSON.
		{name: "payload-json-depth-32", expect: "ok", json: true, payload: []byte(vectorJSONNest(32, "1")),
			comment: "32 levels of arrays and objects, alternating, around 1"},
		{name: "payload-json-depth-33", expect: "malformed", json: true, payload: []byte(vectorJSONNest(33, "1")),
			comment: "33 levels of arrays and objects: one too deep"},
		{name: "payload-json-brackets-in-string", expect: "ok", json: true, payload: []byte(`["` + strings.Repeat("[{", 20) + `"]`),
			comment: "brackets inside a string are not levels"},
		{name: "payload-json-second-value", expect: "malformed", json: true, payload: []byte(`{"user":"alice","uid":42} {}`),
			comment: "a second JSON value after the first"},
		{name: "payload-json-whitespace", expect: "ok", json: true, payload: []byte(" \t\r\n{\"user\":\"alice\",\"uid\":42} \t\r\n"),
			payloadJSON: `{"user":"alice","uid":42}`, comment: "JSON whitespace before and after the value"},
		{name: "payload-json-bom", expect: "malformed", json: true, payload: []byte("\ufeff{\"user\":\"alice\",\"uid\":42}"),
			comment: "a UTF-8 byte order mark before the value"},
		{name: "payload-json-duplicate-names", expect: "ok", json: true, payload: []byte(`{"user":"alice","uid":42,"user":"bob"}`),
			payloadJSON: `{"user":"bob","uid":42}`, comment: "an object with the name user twice: the last wins"},
		{name: "payload-json-invalid-utf8", expect: "ok", json: true, payload: []byte("{\"user\":\"\xc3(\",\"uid\":42}"),
			payloadJSON: `{"user":"\ufffd(","uid":42}`, comment: "a string with the bytes c3 28, not UTF-8: the c3 reads as U+FFFD"},
		{name: "payload-json-invalid-utf8-bytes", expect: "ok", json: true, payload: []byte("{\"user\":\"\xe2\x82(\",\"uid\":42}"),
			payloadJSON: `{"user":"\ufffd\ufffd(","uid":42}`, comment: "a string with the bytes e2 82 28: each of e2 and 82 reads as U+FFFD"},
		{name: "payload-json-lone-surrogate", expect: "ok", json: true, payload: []byte(`{"user":"\ud800","uid":42}`),
			payloadJSON: `{"user":"\ufffd","uid":42}`, comment: "a string with an escaped lone surrogate: it reads as U+FFFD"},
		{name: "payload-json-surrogate-pair", expect: "ok", json: true, payload: []byte(`{"user":"\ud83d\ude00","uid":42}`),
			payloadJSON: `{"user":"😀","uid":42}`, comment: "a string with an escaped surrogate pair: it reads as the one character U+1F600"},
		{name: "payload-json-big-number", expect: "ok", json: true, payload: []byte(`{"n":123456789012345678901234567890.5,"m":-1e400}`),
			comment: "numbers beyond every binary format: they open"},
	}
}

func vectorChunkSpecs(t testing.TB) []vectorSpec {
	ser := CBOR{}
	swap := func(i, j int) func([]string) []string {
		return func(c []string) []string { c[i], c[j] = c[j], c[i]; return c }
	}
	return []vectorSpec{
		{name: "chunks-one", expect: "ok", chunkSize: 3800, maxLength: 6144,
			comment: "a small value as one chunk, read as chunks"},
		{name: "chunks-valid-two", expect: "ok", chunkSize: 3800, maxLength: 6144, payload: vectorSizedPayload(t, ser, 3700),
			comment: "a 5013-character value split over two cookies of 3800 bytes of name and value"},
		{name: "chunks-valid-255", expect: "ok", chunkSize: 256, maxLength: 65536, payload: vectorSizedPayload(t, ser, 46815),
			comment: "a 62501-character value split over 255 cookies of 256 bytes of name and value, the most chunks a value has"},
		{name: "chunks-joined-max-length", expect: "ok", chunkSize: 3800, maxLength: 6144, payload: vectorSizedPayload(t, ser, 4548),
			comment: "two chunks of exactly max-length characters in all"},
		{name: "chunks-joined-too-large", expect: "too-large", chunkSize: 3800, maxLength: 6144, payload: vectorSizedPayload(t, ser, 4549),
			comment: "two chunks one character longer than max-length in all; each is far shorter"},
		{name: "chunks-missing-last", expect: "incomplete", chunkSize: 1024, maxLength: 6144, payload: vectorSizedPayload(t, ser, 2000),
			split:   func(c []string) []string { return c[:len(c)-1] },
			comment: "a value of three chunks without its last"},
		{name: "chunks-extra", expect: "incomplete", chunkSize: 3800, maxLength: 6144, payload: vectorSizedPayload(t, ser, 3700),
			split:   func(c []string) []string { return append(c, "~AQAB") },
			comment: "a value of two chunks followed by a third"},
		// 59 + 2002 bytes are a multiple of 3: the base64 text has no unused
		// bits that the swap could make non-canonical.
		{name: "chunks-reordered", expect: "tampered", chunkSize: 1024, maxLength: 6144, payload: vectorSizedPayload(t, ser, 2002),
			split: swap(1, 2), comment: "a value of three chunks with the last two swapped"},
		{name: "chunks-short-bad-version", expect: "unsupported-version", chunkSize: 3800, maxLength: 6144,
			edit:    func(string) string { return "~AgAB" },
			comment: "3 bytes with version 2, read as chunks: the count is read from the first 4 characters, and the version with it"},
	}
}

// vectorKeyringSpecs are keyring files, one per rule of FORMAT.md's
// validation list and per question of spelling.
func vectorKeyringSpecs(t testing.TB) []vectorSpec {
	keys := vectorKeys()
	base := vectorRingJSON(t, []Key{keys[0], keys[2]}, []KeyID{vkDeleted})
	// edit applies replacements to base, each of which must match once.
	edit := func(pairs ...string) []byte {
		s := string(base)
		for i := 0; i < len(pairs); i += 2 {
			if strings.Count(s, pairs[i]) != 1 {
				t.Fatalf("keyring edit %q matches %d times", pairs[i], strings.Count(s, pairs[i]))
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return []byte(s)
	}
	const (
		id1      = `"id": "c0ffee01"`
		state1   = `"state": "active"`
		created1 = `"created": "2025-05-01T00:00:00Z"`
		act1     = `"activates_at": "2025-05-01T00:00:00Z"`
		retire3  = `,
      "retire_after": "2025-07-01T00:00:00Z"`
		version = `"version": 1`
		deleted = `"c0ffee00"`
	)
	secret1 := `"secret": "c0XQN3LZLgIN8ZyiS1g+yP4jQpT9RDvMj/0Q0e1iMII="`
	setAct := func(ts string) []byte { return edit(act1, `"activates_at": "`+ts+`"`) }
	bad := func(name, comment string, file []byte) vectorSpec {
		return vectorSpec{name: name, expect: "invalid-keyring", comment: comment, keyring: file}
	}
	ok := func(name, comment string, now time.Time, primary string, file []byte) vectorSpec {
		return vectorSpec{name: name, expect: "ok", comment: comment, keyring: file, now: now, primary: primary}
	}

	var many []Key
	for i := range MaxKeys {
		id := KeyID(0xc0ff0000 + i)
		many = append(many, Key{ID: id, State: KeyActive, Created: vectorDay(5, 1), ActivatesAt: vectorDay(5, 1), secret: vectorSecret(id)})
	}
	max64 := vectorRingJSON(t, many, nil)
	// The first key of max64 again, under an id of its own.
	first := string(max64)[strings.Index(string(max64), "\"keys\": [\n")+len("\"keys\": [\n"):]
	first = first[:strings.Index(first, "    },\n")+len("    },\n")]
	extraKey := strings.Replace(first, `"id": "c0ff0000"`, `"id": "c0ff00ff"`, 1)
	var gone []KeyID
	for i := range maxDeleted {
		gone = append(gone, KeyID(0xdead0000+i))
	}
	max4096 := vectorRingJSON(t, []Key{keys[0]}, gone)
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}

	return []vectorSpec{
		ok("keyring-valid", "two keys and a deleted id; c0ffee01 is the primary", vectorEpoch, "c0ffee01", base),
		ok("keyring-valid-64-keys", "64 keys, the most a file may hold", vectorEpoch, "c0ff003f", max64),
		ok("keyring-valid-4096-deleted", "4096 deleted ids, the most a file may hold", vectorEpoch, "c0ffee01", max4096),
		ok("keyring-valid-whitespace", "JSON whitespace after the object", vectorEpoch, "c0ffee01", append(bytes.Clone(base), " \t\r\n"...)),
		ok("keyring-valid-null-members", "null members count as absent: retire_after null, deleted null", vectorEpoch, "c0ffee01",
			edit(act1, act1+`,
      "retire_after": null`, `[
    `+deleted+`
  ]`, "null")),
		ok("keyring-valid-empty-retire-after", `retire_after "" counts as absent`, vectorEpoch, "c0ffee01",
			edit(act1, act1+`,
      "retire_after": ""`)),
		ok("keyring-offset-fraction-before", "activates_at 2025-06-01T14:00:00.5+02:00, a nanosecond before it: pending, so no primary",
			at("2025-06-01T12:00:00.499999999Z"), "none", setAct("2025-06-01T14:00:00.5+02:00")),
		ok("keyring-offset-fraction-at", "activates_at 2025-06-01T14:00:00.5+02:00, at that instant: the primary",
			at("2025-06-01T12:00:00.5Z"), "c0ffee01", setAct("2025-06-01T14:00:00.5+02:00")),
		ok("keyring-fraction-9-digits", "activates_at with nine fraction digits, the most allowed, at that instant",
			at("2025-06-01T12:00:00.123456789Z"), "c0ffee01", setAct("2025-06-01T12:00:00.123456789Z")),
		ok("keyring-offset-minus-zero", "activates_at with the offset -00:00, the same instant as Z",
			at("2025-06-01T12:00:00Z"), "c0ffee01", setAct("2025-06-01T12:00:00-00:00")),

		ok("keyring-primary-latest", "two active keys past their activation: the later activation is the primary",
			vectorDay(6, 5), "c0ffee02", vectorRingJSON(t, []Key{keys[0], keys[1], keys[2]}, nil)),
		ok("keyring-primary-retire-after-passed", "two active keys past their activation, the later one past its retire_after: the earlier one is the primary",
			vectorDay(6, 5), "c0ffee01", vectorRingJSON(t, []Key{keys[0], func() Key {
				k := keys[1]
				k.RetireAfter = vectorDay(6, 4)
				return k
			}(), keys[2]}, nil)),
		ok("keyring-primary-tie-created", "two keys activated at once: the one created later is the primary, though its id is lower",
			vectorEpoch, "c0ffee01", vectorRingJSON(t, []Key{keys[0], {ID: vkPending, State: KeyActive, Created: vectorDay(4, 1),
				ActivatesAt: keys[0].ActivatesAt, secret: vectorSecret(vkPending)}}, nil)),

		ok("keyring-valid-1-mib", "a valid file padded with spaces to 1048576 bytes, the most a file may have", vectorEpoch, "c0ffee01",
			append(bytes.Clone(base), bytes.Repeat([]byte(" "), maxKeyringFile-len(base))...)),
		bad("keyring-deleted-empty-string", `deleted "": an empty string where an array belongs is refused, not taken as absent`,
			edit(`[
    `+deleted+`
  ]`, `""`)),
		bad("keyring-too-large", "a valid file padded with spaces to 1048577 bytes, one over the limit",
			append(bytes.Clone(base), bytes.Repeat([]byte(" "), maxKeyringFile+1-len(base))...)),
		bad("keyring-second-value", "a second JSON value after the object", append(bytes.Clone(base), "{}\n"...)),
		bad("keyring-bom", "a UTF-8 byte order mark before the object: it is not whitespace", append([]byte("\ufeff"), base...)),
		bad("keyring-deleted-null", "null among the deleted ids", edit(`[
    `+deleted+`
  ]`, "["+deleted+", null]")),
		bad("keyring-not-object", "a JSON array, not an object", []byte("[]\n")),
		bad("keyring-duplicate-member", "a key with two secret members", edit(secret1, secret1+`,
      "secret": "swAAcEuyo67Lt+KiP+Z+7d2vbDDDyu7oVkU/iOYW3/w="`)),
		bad("keyring-too-deep", "deleted nests 9 levels deep", edit(`[
    `+deleted+`
  ]`, "[[[[[[[["+deleted+"]]]]]]]]")),
		bad("keyring-member-case", "a key with Secret beside secret: member names are lower case", edit(secret1, secret1+`,
      "Secret": "swAAcEuyo67Lt+KiP+Z+7d2vbDDDyu7oVkU/iOYW3/w="`)),
		bad("keyring-unknown-member", "a key with a member the schema lacks", edit(state1, state1+`,
      "comment": "primary"`)),
		bad("keyring-unknown-top-member", "a top-level member the schema lacks", edit(version, version+`,
  "comment": "fleet"`)),
		bad("keyring-version-2", "version 2", edit(version, `"version": 2`)),
		bad("keyring-version-1.0", "version 1.0: the version is the integer 1, written 1", edit(version, `"version": 1.0`)),
		bad("keyring-version-1e0", "version 1e0", edit(version, `"version": 1e0`)),
		bad("keyring-version-string", `version "1", a string`, edit(version, `"version": "1"`)),
		bad("keyring-version-missing", "no version", edit(version+",\n", "")),
		bad("keyring-keys-missing", "no keys member", []byte("{\n  \"version\": 1\n}\n")),
		bad("keyring-keys-empty", "an empty keys array", []byte("{\n  \"version\": 1,\n  \"keys\": []\n}\n")),
		bad("keyring-keys-65", "65 keys, one more than allowed",
			[]byte(strings.Replace(string(max64), "\"keys\": [\n", "\"keys\": [\n"+extraKey, 1))),
		bad("keyring-id-upper-case", "a key id in upper case", edit(id1, `"id": "C0FFEE01"`)),
		bad("keyring-id-short", "a key id of 7 digits", edit(id1, `"id": "c0ffee1"`)),
		bad("keyring-id-missing", "a key without an id", edit(id1+",\n      ", "")),
		bad("keyring-state-unknown", `state "pending"`, edit(state1, `"state": "pending"`)),
		bad("keyring-state-upper-case", `state "Active"`, edit(state1, `"state": "Active"`)),
		bad("keyring-state-missing", "a key without a state", edit(state1+",\n      ", "")),
		bad("keyring-secret-unpadded", "a secret without its = padding", edit(secret1, strings.Replace(secret1, `="`, `"`, 1))),
		bad("keyring-secret-url-alphabet", "a secret in the base64url alphabet (- and _)",
			edit(secret1, strings.NewReplacer("+", "-", "/", "_").Replace(secret1))),
		bad("keyring-secret-non-canonical", "a secret whose last character has an unused bit set",
			edit(secret1, strings.Replace(secret1, `MII="`, `MIJ="`, 1))),
		bad("keyring-secret-newline", `a secret with an escaped line feed (\n) in the middle`,
			edit(secret1, strings.Replace(secret1, "LgIN", `Lg\nIN`, 1))),
		bad("keyring-secret-31-bytes", "a secret of 31 bytes", edit(secret1, `"secret": "`+base64Std(bytes.Repeat([]byte{7}, 31))+`"`)),
		bad("keyring-secret-33-bytes", "a secret of 33 bytes", edit(secret1, `"secret": "`+base64Std(bytes.Repeat([]byte{7}, 33))+`"`)),
		bad("keyring-secret-missing", "a key without a secret", edit(secret1+",\n      ", "")),
		bad("keyring-created-missing", "a key without created", edit(created1+",\n      ", "")),
		bad("keyring-created-null", "created null, which counts as absent", edit(created1, `"created": null`)),
		bad("keyring-activates-missing", "a key without activates_at", edit(",\n      "+act1, "")),
		bad("keyring-time-space", "a time with a space instead of T", setAct("2025-05-01 00:00:00Z")),
		bad("keyring-time-no-offset", "a time without Z or an offset", setAct("2025-05-01T00:00:00")),
		bad("keyring-time-fraction-10-digits", "a time with ten fraction digits", setAct("2025-05-01T00:00:00.1234567891Z")),
		bad("keyring-time-fraction-empty", "a time with a period and no fraction digits", setAct("2025-05-01T00:00:00.Z")),
		bad("keyring-time-fraction-comma", "a time with a comma before the fraction", setAct("2025-05-01T00:00:00,5Z")),
		bad("keyring-time-offset-24", "a time with the offset +24:00", setAct("2025-05-01T00:00:00+24:00")),
		bad("keyring-time-offset-minute-60", "a time with the offset +00:60", setAct("2025-05-01T00:00:00+00:60")),
		bad("keyring-time-offset-no-colon", "a time with the offset +0200", setAct("2025-05-01T02:00:00+0200")),
		bad("keyring-time-lower-case-z", "a time ending in a lower-case z", setAct("2025-05-01T00:00:00z")),
		bad("keyring-time-lower-case-t", "a time with a lower-case t", setAct("2025-05-01t00:00:00Z")),
		bad("keyring-time-leap-second", "a time at a leap second, 23:59:60", setAct("2016-12-31T23:59:60Z")),
		bad("keyring-time-hour-24", "a time at 24:00:00", setAct("2025-04-30T24:00:00Z")),
		bad("keyring-time-february-29", "a time on February 29 of a year that has none", setAct("2025-02-29T00:00:00Z")),
		bad("keyring-duplicate-id", "two keys with the id c0ffee01", edit(`"id": "c0ffee03"`, id1)),
		bad("keyring-id-deleted", "a key whose id is also in deleted", edit(deleted, `"c0ffee03"`)),
		bad("keyring-retired-no-retire-after", "a retired key without retire_after", edit(retire3, "")),
		bad("keyring-retire-after-equal", "retire_after equal to activates_at", edit(retire3, `,
      "retire_after": "2025-03-01T00:00:00Z"`)),
		bad("keyring-retire-after-before", "retire_after before activates_at", edit(retire3, `,
      "retire_after": "2025-02-01T00:00:00Z"`)),
		bad("keyring-deleted-4097", "4097 deleted ids, one more than allowed",
			[]byte(strings.Replace(string(max4096), "\"deleted\": [\n", "\"deleted\": [\n    \"deadffff\",\n", 1))),
		bad("keyring-deleted-bad-id", "a deleted id in upper case", edit(deleted, `"C0FFEE00"`)),
		bad("keyring-deleted-duplicate", "the same deleted id twice", edit(deleted, deleted+", "+deleted)),
		bad("keyring-no-active-key", "no key is active: c0ffee01 revoked", edit(state1, `"state": "revoked"`)),
	}
}

// vectorRingJSON returns the keyring file that the library writes for keys.
func vectorRingJSON(t testing.TB, keys []Key, deleted []KeyID) []byte {
	t.Helper()
	r, err := buildKeyring(keys, deleted, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// vectorCookieHeaderSpecs are Cookie request headers, read as the session
// layer reads them, with chunk-size 3800 and max-length 6144 (so at most
// two chunks).
func vectorCookieHeaderSpecs(t testing.TB) []vectorSpec {
	ser := CBOR{}
	fixture := vectorKeyring(t)
	// chunks returns the chunks of another value, sealed as spec says.
	chunks := func(spec vectorSpec) []string {
		spec.chunkSize, spec.maxLength, spec.expect = 3800, 6144, "tampered"
		return makeVector(t, spec, fixture).Chunks
	}
	big := vectorSizedPayload(t, ser, 3700)
	tampered := chunks(vectorSpec{name: "cookie-header-other-tampered", tamper: vectorFlip(-1, 0x01)})[0]
	unknown := chunks(vectorSpec{name: "cookie-header-other-unknown", key: vkUnknown})[0]
	unknownTwo := chunks(vectorSpec{name: "cookie-header-other-unknown-two", key: vkUnknown, payload: big})
	otherTwo := chunks(vectorSpec{name: "cookie-header-other-two", payload: big})
	// Other sessions that authenticate too: sealed an hour earlier, and in
	// the same second as the vector's own value.
	mallory := vectorPayload{User: "mallory", UID: 666, Roles: []string{"admin"}}
	older := chunks(vectorSpec{name: "cookie-header-other-older", payload: mallory, issued: vectorEpoch.Add(-time.Hour)})
	expired := chunks(vectorSpec{name: "cookie-header-other-expired", issued: vectorEpoch.Add(-48 * time.Hour)})[0]
	sameTime := chunks(vectorSpec{name: "cookie-header-other-same-time", payload: mallory})
	h := func(name, expect string, payload any, header func(c []string) string, comment string) vectorSpec {
		return vectorSpec{name: name, expect: expect, payload: payload, chunkSize: 3800, maxLength: 6144, cookieHeader: header, comment: comment}
	}
	repeat := func(s string, n int) string { return strings.Repeat(s+"; ", n) }
	nameCase := h("cookie-header-name-case", "absent", nil, func(c []string) string { return "__secure-session=" + c[0] },
		"the cookie __Secure-session read from a header that holds __secure-session: names compare byte for byte")
	nameCase.cookieName = "__Secure-session"
	// One cookie longer than a browser keeps (4096), within max-length:
	// a reader opens a single cookie with M = MaxSize, as it does chunks.
	oneLong := h("cookie-header-one-long-cookie", "ok", vectorSizedPayload(t, ser, 3400), func(c []string) string { return "session=" + c[0] },
		"one cookie of more than 4096 characters, not split, within max-length 6144: it is opened with M = max-length")
	oneLong.chunks = 1
	return []vectorSpec{
		h("cookie-header-one", "ok", nil, func(c []string) string { return "session=" + c[0] }, "one cookie holding the whole value"),
		h("cookie-header-two-chunks", "ok", big, func(c []string) string {
			return "theme=dark; session.1=" + c[1] + "; sessionid=x; session=" + c[0] + "; session.x=1"
		}, "two chunks, chunk 1 first, among other cookies whose names start alike"),
		h("cookie-header-spaces-and-quotes", "ok", nil, func(c []string) string { return " \tsession=\"" + c[0] + "\" ;\ttheme=dark" },
			"spaces and tabs around the cookie, and its value in double quotes"),
		h("cookie-header-absent", "absent", nil, func([]string) string { return "theme=dark; sessionid=abc; session.x=1; session.01=2" },
			"no cookie of the name: sessionid, session.x and session.01 are other cookies"),
		nameCase,
		h("cookie-header-no-first-chunk", "incomplete", big, func(c []string) string { return "session.1=" + c[1] },
			"chunk 1 without chunk 0"),
		h("cookie-header-leading-zero", "incomplete", big, func(c []string) string { return "session=" + c[0] + "; session.01=" + c[1] },
			"chunk 1 named session.01, which is another cookie"),
		h("cookie-header-index-beyond-limit", "absent", big, func(c []string) string { return "session.2=" + c[1] },
			"a cookie named session.2 alone: with L = 2, chunk indexes stop at 1, so it is another cookie and the session is absent, not incomplete"),
		oneLong,
		h("cookie-header-second-candidate", "ok", nil, func(c []string) string { return "session=" + tampered + "; session=" + c[0] },
			"a tampered value, then the session under the same name"),
		h("cookie-header-four-candidates", "ok", nil, func(c []string) string { return repeat("session="+tampered, 3) + "session=" + c[0] },
			"three tampered values, then the session: the fourth value of a name is tried"),
		h("cookie-header-five-candidates", "tampered", nil, func(c []string) string {
			return strings.Repeat("session="+tampered+"; ", 4) + "session=" + c[0]
		}, "four tampered values, then the session: a fifth value of a name is ignored, and the first failure is reported"),
		h("cookie-header-newer-second", "ok", nil, func(c []string) string { return "session=" + older[0] + "; session=" + c[0] },
			"two sessions that authenticate, the one sealed an hour earlier first: the one sealed last wins"),
		h("cookie-header-newer-first", "ok", nil, func(c []string) string { return "session=" + c[0] + "; session=" + older[0] },
			"two sessions that authenticate, the one sealed last first: it wins, wherever it stands"),
		h("cookie-header-same-time", "ok", nil, func(c []string) string { return "session=" + sameTime[0] + "; session=" + c[0] },
			"two sessions that authenticate, sealed in the same second: the later in the header wins"),
		h("cookie-header-first-failure", "unknown-key", nil, func([]string) string { return "session=" + unknown + "; session=" + tampered },
			"a value under an unknown key, then a tampered one: the first attempt's failure is reported"),
		h("cookie-header-live-failure", "unknown-key", nil, func([]string) string { return "session=" + tampered + "; session=" + unknown },
			"a tampered value, then one under an unknown key: the failure that another server may not share is reported, so that neither is expired"),
		h("cookie-header-two-sets", "ok", big, func(c []string) string {
			return "session=" + unknownTwo[0] + "; session.1=" + unknownTwo[1] + "; session=" + c[0] + "; session.1=" + c[1]
		}, "two sets of two chunks, the first under an unknown key: the second set opens"),
		h("cookie-header-pairing", "tampered", big, func(c []string) string {
			return "session=" + c[0] + "; session=" + otherTwo[0] + "; session.1=" + otherTwo[1] + "; session.1=" + c[1]
		}, "two sessions of two chunks, chunk 1 in the other order: the j-th chunk 0 joins only the j-th chunk 1, so neither opens"),
		h("cookie-header-fewer-later-chunks", "ok", big, func(c []string) string {
			return "session=" + tampered + "; session=" + c[0] + "; session.1=" + c[1]
		}, "a tampered one-chunk value, then a session of two chunks: chunk 1, which came once, joins the second chunk 0"),
		h("cookie-header-too-many-chunks", "too-large", vectorSizedPayload(t, ser, 6000), func(c []string) string {
			return "session=" + c[0] + "; session.1=" + c[1] + "; session.2=" + c[2]
		}, "a value of three chunks, where chunk-size 3800 and max-length 6144 allow two"),
		h("cookie-header-expired-live", "unknown-key", nil, func([]string) string { return "session=" + expired + "; session=" + unknown },
			"an expired value, then one under an unknown key: the latter is reported"),
		h("cookie-header-incomplete-live", "unknown-key", nil, func([]string) string { return "session=" + otherTwo[0] + "; session=" + unknown },
			"a value of two chunks without its chunk 1, then one under an unknown key: the latter is reported"),
		h("cookie-header-undecodable-live", "malformed", []byte{0xff}, func(c []string) string { return "session=" + tampered + "; session=" + c[0] },
			"a tampered value, then an authentic payload that is not CBOR: the latter is reported, as a server of another release may read it"),
		h("cookie-header-joined-too-large-live", "too-large", vectorSizedPayload(t, ser, 5000), func(c []string) string {
			return "session=" + tampered + "; session=" + c[0] + "; session.1=" + c[1]
		}, "a tampered value, then one of two chunks longer than max-length in all: the latter is reported"),
		h("cookie-header-first-live-failure", "unknown-key", vectorSizedPayload(t, ser, 6000), func(c []string) string {
			return "session=" + tampered + "; session=" + unknown + "; session=" + c[0] + "; session.1=" + c[1] + "; session.2=" + c[2]
		}, "a tampered value, one under an unknown key, then one of more chunks than L: the first failure that another server may get past is reported"),
		h("cookie-header-too-large-live", "too-large", vectorSizedPayload(t, ser, 6000), func(c []string) string {
			return "session=" + tampered + "; session=" + c[0] + "; session.1=" + c[1] + "; session.2=" + c[2]
		}, "a tampered value, then one of three chunks, more than L: too large for this reader, not for every server, so it is reported and neither is expired"),
		h("cookie-header-too-large", "too-large", nil, func(c []string) string {
			s := "session=" + c[0] + "; pad="
			return s + strings.Repeat("a", 65537-len(s))
		}, "a Cookie header of 65537 bytes that holds the session"),
		h("cookie-header-64k", "ok", nil, func(c []string) string {
			s := "session=" + c[0] + "; pad="
			return s + strings.Repeat("a", 65536-len(s))
		}, "a Cookie header of exactly 65536 bytes, the most a reader reads, that holds the session"),
		fiveChunkLimit(h("cookie-header-four-chunks", "ok", vectorSizedPayload(t, ser, 200), func(c []string) string {
			return "session.3=" + c[3] + "; session.2=" + c[2] + "; session.1=" + c[1] + "; session=" + c[0]
		}, "four chunks, last chunk first, with chunk-size 100 and max-length 400")),
		fiveChunkLimit(h("cookie-header-index-at-limit", "incomplete", vectorSizedPayload(t, ser, 200), func(c []string) string {
			return "session.4=" + c[1]
		}, "a cookie named session.4 alone: with chunk-size 100 and max-length 400, L = 400/100 + 1 = 5, so index 4 is a chunk, and the session is incomplete, not absent")),
	}
}

// fiveChunkLimit makes spec's chunk-size 100 and max-length 400: L = 5,
// where a reader that took L for ⌈MaxSize / C⌉ would have 4.
func fiveChunkLimit(spec vectorSpec) vectorSpec {
	spec.chunkSize, spec.maxLength = 100, 400
	return spec
}

// vectorBearerSpecs are the bearer token vectors: how a reader finds the
// token in the request's Authorization headers, its bounds, and the name
// it is sealed under.
func vectorBearerSpecs(t testing.TB) []vectorSpec {
	// The length of the vectors' token, sealed as bearer-one is: the same
	// payload, name and key make a value of the same length.
	fixture := vectorKeyring(t)
	tokenLen := len(makeVector(t, vectorSpec{name: "bearer-length", expect: "tampered"}, fixture).Value)
	b := func(name, expect string, auth func(v string) []string, comment string) vectorSpec {
		return vectorSpec{name: name, expect: expect, authorization: auth, comment: comment}
	}
	one := func(prefix, suffix string) func(string) []string {
		return func(v string) []string { return []string{prefix + v + suffix} }
	}
	fixed := func(lines ...string) func(string) []string { return func(string) []string { return lines } }
	sized := func(spec vectorSpec, maxLength int) vectorSpec {
		spec.maxLength = maxLength
		return spec
	}
	cookieValue := b("bearer-cookie-value", "tampered", one("Bearer ", ""),
		"a cookie's value, sealed under the name session, sent as a token: a token is opened under the name \"Bearer session\"")
	cookieValue.sealName = "session"
	twoChunks := b("bearer-two-chunks", "malformed", one("Bearer ", ""),
		"a value whose header says it is split over 2 chunks, sent as a token: a token is never split")
	twoChunks.chunks = 2
	expired := b("bearer-expired", "expired", one("Bearer ", ""), "a token past its expiry and the clock skew")
	expired.issued = vectorEpoch.Add(-48 * time.Hour)
	unknown := b("bearer-unknown-key", "unknown-key", one("Bearer ", ""), "a token sealed under a key in no keyring")
	unknown.key = vkUnknown
	tokenAsCookie := vectorSpec{name: "cookie-header-token-value", expect: "tampered", chunkSize: 3800, maxLength: 6144,
		sealName: bearerScheme + " session", cookieHeader: func(c []string) string { return "session=" + c[0] },
		comment: "a bearer token, sealed under the name \"Bearer session\", sent as the cookie session: it does not open as a cookie"}
	return []vectorSpec{
		b("bearer-one", "ok", one("Bearer ", ""), "one Authorization header: the Bearer scheme, a space, the token"),
		b("bearer-scheme-case", "ok", one("bEARER ", ""), "the scheme's name in any case"),
		b("bearer-whitespace", "ok", one(" \tBearer   ", " \t"),
			"spaces and tabs around the header's value, and several spaces between the scheme and the token"),
		sized(b("bearer-max-size", "ok", one("Bearer ", ""), "a token of exactly MaxSize bytes (max-length)"), tokenLen),
		b("bearer-absent", "absent", fixed(), "no Authorization header"),
		b("bearer-other-scheme", "absent", fixed("Basic dXNlcjpwYXNzd29yZA=="), "another scheme: no token, and the cookies decide"),
		b("bearer-scheme-prefix", "absent", one("Bearerx ", ""),
			"a scheme whose name starts with Bearer: the 7th byte is a token character, so it is another scheme"),
		b("bearer-empty-header", "absent", fixed(""), "an empty Authorization header: shorter than the scheme, so another scheme"),
		b("bearer-two-headers", "malformed", func(v string) []string { return []string{"Bearer " + v, "Bearer " + v} },
			"two Authorization headers, both with the token"),
		b("bearer-scheme-only", "malformed", fixed("Bearer"), "the scheme without a token"),
		b("bearer-scheme-then-spaces", "malformed", fixed("Bearer   "),
			"the scheme and spaces: trimmed, the scheme without a token"),
		b("bearer-tab", "malformed", one("Bearer\t", ""), "a tab between the scheme and the token"),
		b("bearer-comma-after-scheme", "malformed", one("Bearer,", ""),
			"a comma after the scheme: not a token character, so the Bearer scheme, and not followed by a space"),
		b("bearer-second-word", "malformed", one("Bearer ", " x"), "a second word after the token"),
		b("bearer-credentials-list", "malformed", one("Bearer ", ", Basic dXNlcjpwYXNzd29yZA=="),
			"a comma and other credentials after the token"),
		b("bearer-padding", "malformed", one("Bearer ", "="),
			"a token ending in =, a b64token character but not base64url without padding"),
		b("bearer-equals-inside", "unsupported-version", func(v string) []string {
			return []string{"Bearer ~AgAB" + v[5:20] + "=" + v[20:]}
		}, "a token of version 2 with an = inside: the characters pass, so the early read decides, not the b64token grammar"),
		cookieValue,
		twoChunks,
		expired,
		unknown,
		sized(b("bearer-too-large", "too-large", one("Bearer ", ""), "a token one byte longer than MaxSize (max-length)"), tokenLen-1),
		sized(b("bearer-too-large-spaces", "too-large", one("Bearer  ", ""),
			"a token of exactly MaxSize bytes after two spaces: the header, trimmed, is longer than 7 + MaxSize"), tokenLen),
		sized(b("bearer-order-length-first", "too-large", one("Bearer ", ","),
			"a token of MaxSize bytes and a comma: the header's length is checked before its characters"), tokenLen),
		tokenAsCookie,
	}
}
