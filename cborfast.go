package cookiesession

// The fast path of the CBOR serializer.
//
// fxamacker/cbor handles every Go type, and pays for that generality on
// each call: its decoder copies every string separately and makes two
// allocations for most slices, and its encoder's output needs a second,
// well-formedness pass before we can promise that what seals also opens.
// Session types are nearly always plain structs of strings, integers,
// booleans, times, slices and maps, or untyped map[string]any sessions of
// the same kinds of values, so for those types this file encodes and
// decodes directly, with a plan built once per type (and, for untyped
// values, a type switch):
//
//   - the encoding is byte for byte the one fxamacker/cbor writes with our
//     options (a Go map's entries in Go's order, as fxamacker/cbor writes
//     them), and is well-formed by construction;
//   - the decoder cuts every string from one copy of the plaintext and
//     sizes every slice and map once, from its authenticated length;
//   - anything the fast path is not sure of, it hands to fxamacker/cbor
//     unchanged: types outside the plain subset, and on decoding any CBOR
//     it does not expect (tags, floats, non-shortest lengths, unknown or
//     repeated keys, trailing bytes, an error of any kind). So the fast path
//     never decides an error and never accepts what fxamacker/cbor would
//     refuse; it only ever returns a result fxamacker/cbor would also give.
//
// It lives in its own file because it is an optimisation of serializer.go
// that must be read, and tested, against fxamacker/cbor's rules as a whole
// (cborfast_test.go holds the differential tests and fuzz target). The
// walk of typed values, which reaches their parts by address, is in
// cborfast_unsafe.go with the invariants that keep each address valid;
// this file holds the plans, the CBOR items and the untyped values.

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// fastMaxDepth bounds the nesting of containers in a fast-path type. Data
// decoded by the fast path nests no deeper than its type, and the encoder
// writes no deeper than its type, so both stay well inside MaxNesting,
// whatever fxamacker/cbor's exact way of counting levels.
const fastMaxDepth = MaxNesting / 2

// fastMaxFields bounds the fields of a fast-path struct, so that the
// decoder can track the fields it has seen in one word.
const fastMaxFields = 64

type fastKind uint8

const (
	fastBool fastKind = iota + 1
	fastInt
	fastUint
	fastString
	fastBytes // a []byte: a CBOR byte string
	fastTime  // time.Time: an RFC 3339 text string, or null when zero
	fastPtr
	fastSlice
	fastMap // string keys
	fastStruct
	fastFloat // float64: a CBOR double, finite
	fastAny   // any: whatever it holds, the generic values decoded into it
)

// fastType is the plan for one Go type in the fast subset.
type fastType struct {
	kind fastKind
	typ  reflect.Type
	// size is typ.Size(): the bytes a value of typ takes, and the
	// stride of an array of them (cborfast_unsafe.go).
	size   uintptr
	elem   *fastType   // fastPtr, fastSlice, fastMap (the value type)
	fields []fastField // fastStruct, in field order
	depth  int         // containers nested in this type, itself included
	// allOmitEmpty reports, for a struct, whether every field is tagged
	// omitempty: only then can the struct itself be empty.
	allOmitEmpty bool
	// envelope marks the plan of a session's envelope, whose fields
	// (envelopeLayout) the walk writes and reads in their order, without
	// its loop over the fields (cborfast_unsafe.go).
	envelope bool
	// batched lists, for a slice, the pointer plans of its elements
	// whose pointees a decoding takes from one array per slice (see
	// fastDecoder.pointee): the element itself if it is a pointer, or
	// else its struct's pointer fields, at most maxBatched of them.
	batched []*fastType
	// pointees is []E, for a pointer to E that some slice's plan lists
	// in batched: the type of such an array.
	pointees reflect.Type
}

// maxBatched bounds the pointer fields of a slice's elements that share
// arrays of pointees; others allocate one pointee each.
const maxBatched = 4

type fastField struct {
	// offset is reflect.StructField.Offset: where the field lies in
	// a value of the struct type whose plan holds it.
	offset uintptr
	name   string
	// keyAsInt marks a field tagged keyasint: its key is the integer
	// intKey, never a text string.
	keyAsInt  bool
	intKey    int64
	key       []byte // the key's CBOR data item
	omitEmpty bool
	omitZero  bool
	t         *fastType
	// keyWord is key as a little-endian word, and keyMask the bytes of
	// it that key fills, for a key of 8 bytes or fewer (keyMask 0 for a
	// longer one): such a key is matched with one load and compare.
	keyWord, keyMask uint64
}

var (
	anyType     = reflect.TypeFor[any]()
	anyMapType  = reflect.TypeFor[map[string]any]()
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
	// A type implementing any of these is encoded or decoded by its own
	// methods, or has its own notion of empty or zero, in some mode of
	// fxamacker/cbor. The fast path leaves such types to fxamacker/cbor
	// rather than mirror each rule; time.Time is the one it knows.
	customInterfaces = []reflect.Type{
		reflect.TypeFor[cbor.Marshaler](),
		reflect.TypeFor[cbor.Unmarshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](),
		reflect.TypeFor[encoding.BinaryUnmarshaler](),
		reflect.TypeFor[encoding.TextMarshaler](),
		reflect.TypeFor[encoding.TextUnmarshaler](),
		reflect.TypeFor[json.Marshaler](),
		reflect.TypeFor[json.Unmarshaler](),
		reflect.TypeFor[interface{ IsZero() bool }](),
	}
)

// fastPlans caches a *fastType, or nil for a type outside the subset;
// lastFastPlan is the plan fastPlanOf found last.
var (
	fastPlans    sync.Map // reflect.Type → *fastType
	lastFastPlan atomic.Pointer[fastType]
)

// fastPlanOf returns the plan for t, or nil if t is outside the subset.
func fastPlanOf(t reflect.Type) *fastType {
	// The plan found last, first: a store seals and opens values of one
	// type, its envelope's, request after request.
	if p := lastFastPlan.Load(); p != nil && p.typ == t {
		return p
	}
	if p, ok := fastPlans.Load(t); ok {
		if p := p.(*fastType); p != nil {
			lastFastPlan.Store(p)
			return p
		}
		return nil
	}
	p := buildFastPlan(t, map[reflect.Type]bool{})
	if p != nil && p.depth > fastMaxDepth {
		p = nil
	}
	if p != nil {
		p.setBatches()
	}
	fastPlans.Store(t, p)
	return p
}

// setBatches sets batched and pointees in p and in every plan under it,
// before p is shared.
func (p *fastType) setBatches() {
	switch {
	case p.kind == fastSlice && p.elem.kind == fastPtr:
		p.batched = []*fastType{p.elem}
	case p.kind == fastSlice && p.elem.kind == fastStruct:
		for i := range p.elem.fields {
			if f := p.elem.fields[i].t; f.kind == fastPtr && len(p.batched) < maxBatched {
				p.batched = append(p.batched, f)
			}
		}
	}
	for _, q := range p.batched {
		q.pointees = reflect.SliceOf(q.elem.typ)
	}
	if p.elem != nil {
		p.elem.setBatches()
	}
	for i := range p.fields {
		p.fields[i].t.setBatches()
	}
}

// buildFastPlan builds the plan for t; visiting holds the types being
// built further up, so that a recursive type is refused rather than
// followed forever.
func buildFastPlan(t reflect.Type, visiting map[reflect.Type]bool) *fastType {
	if visiting[t] {
		return nil
	}
	if t == timeType {
		return &fastType{kind: fastTime, typ: t, size: t.Size()}
	}
	if t == anyType {
		// Only any itself: a named interface type could be one that
		// fxamacker/cbor treats in a way of its own.
		return &fastType{kind: fastAny, typ: t, size: t.Size(), depth: fastAnyDepth}
	}
	if t.Kind() != reflect.Pointer && hasCustomCBOR(t) {
		return nil
	}
	visiting[t] = true
	defer delete(visiting, t)

	switch t.Kind() {
	case reflect.Bool:
		return &fastType{kind: fastBool, typ: t, size: t.Size()}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &fastType{kind: fastInt, typ: t, size: t.Size()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &fastType{kind: fastUint, typ: t, size: t.Size()}
	case reflect.String:
		return &fastType{kind: fastString, typ: t, size: t.Size()}
	case reflect.Float64:
		return &fastType{kind: fastFloat, typ: t, size: t.Size()}
	case reflect.Pointer:
		elem := buildFastPlan(t.Elem(), visiting)
		if elem == nil {
			return nil
		}
		return &fastType{kind: fastPtr, typ: t, size: t.Size(), elem: elem, depth: elem.depth}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			// A byte string. Only plain bytes: a named element type
			// could carry methods of its own.
			if t.Elem() != reflect.TypeFor[byte]() {
				return nil
			}
			return &fastType{kind: fastBytes, typ: t, size: t.Size()}
		}
		elem := buildFastPlan(t.Elem(), visiting)
		if elem == nil {
			return nil
		}
		return &fastType{kind: fastSlice, typ: t, size: t.Size(), elem: elem, depth: elem.depth + 1}
	case reflect.Map:
		if k := t.Key(); k.Kind() != reflect.String || hasCustomCBOR(k) {
			return nil
		}
		elem := buildFastPlan(t.Elem(), visiting)
		if elem == nil {
			return nil
		}
		return &fastType{kind: fastMap, typ: t, size: t.Size(), elem: elem, depth: elem.depth + 1}
	case reflect.Struct:
		p := buildFastStruct(t, visiting)
		if p != nil {
			p.envelope = envelopeLayout(p)
		}
		return p
	}
	return nil // float32, complex numbers, other interfaces, arrays, chans, funcs
}

// envelopeLayout reports whether p is the plan of a session's envelope
// with the fields appendEnvelope and decodeEnvelope take it to have, in
// this order: keys 1 to 5, each one byte; an id of bytes; a creation time
// of 64-bit seconds; the data, written always; the flashes, a slice left
// out when empty; and the cookie choice, a pointer to a bool left out
// when nil. A plan of any other shape takes the walk over its fields.
func envelopeLayout(p *fastType) bool {
	if !isEnvelope(p.typ) || len(p.fields) != 5 {
		return false
	}
	for i := range p.fields {
		f := &p.fields[i]
		if !f.keyAsInt || f.intKey != int64(i+1) || len(f.key) != 1 || f.omitZero || f.omitEmpty != (i >= 3) {
			return false
		}
	}
	f := p.fields
	return f[0].t.kind == fastBytes && f[1].t.kind == fastInt && f[1].t.size == 8 &&
		f[3].t.kind == fastSlice && f[4].t.kind == fastPtr && f[4].t.elem.kind == fastBool
}

// hasCustomCBOR reports whether fxamacker/cbor gives t, a non-pointer
// type, any treatment of its own: methods it calls, or a type it knows
// (big.Int and its own types).
func hasCustomCBOR(t reflect.Type) bool {
	switch t.PkgPath() {
	case "math/big", "github.com/fxamacker/cbor/v2":
		return true
	}
	pt := reflect.PointerTo(t)
	for _, it := range customInterfaces {
		if t.Implements(it) || pt.Implements(it) {
			return true
		}
	}
	return false
}

// fieldTag returns the tag that names struct field f and gives its
// options: for CBOR, as fxamacker/cbor reads it, the cbor tag, or the
// json tag when there is none; for JSON the json tag.
func fieldTag(f reflect.StructField, cbor bool) string {
	if cbor {
		if tag := f.Tag.Get("cbor"); tag != "" {
			return tag
		}
	}
	return f.Tag.Get("json")
}

// buildFastStruct follows fxamacker/cbor's (and encoding/json's) field
// rules for structs without embedded fields: the name comes from the
// "cbor" tag, else the "json" tag, else the field; "-" drops the field;
// omitempty, omitzero and keyasint are honoured. Structs it would treat
// specially (embedded fields, a "_" field carrying struct options such as
// toarray, two fields of one name) are left to fxamacker/cbor.
func buildFastStruct(t reflect.Type, visiting map[reflect.Type]bool) *fastType {
	if t.NumField() > fastMaxFields || onlyUnexported(t) {
		// A struct of unexported fields alone is written as an empty
		// map: the walk before encoding refuses a value of it that holds
		// anything (sealableBefore), so it is left to the reference.
		return nil
	}
	p := &fastType{kind: fastStruct, typ: t, size: t.Size(), allOmitEmpty: true}
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous || f.Name == "_" {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		tag := fieldTag(f, true)
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		ff := fastField{offset: f.Offset, name: name}
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			switch opt {
			case "omitempty":
				ff.omitEmpty = true
			case "omitzero":
				// fxamacker/cbor honours a json tag's omitzero too,
				// as encoding/json does since Go 1.24.
				ff.omitZero = true
			case "keyasint":
				// The key is the name as an integer, in canonical
				// form: "01" and "+1" are the key 1.
				n, err := strconv.Atoi(name)
				if err != nil {
					return nil
				}
				ff.keyAsInt, ff.intKey = true, int64(n)
				name = strconv.Itoa(n)
				ff.name = name
			case "toarray":
				return nil
			}
		}
		// fxamacker/cbor resolves two fields of one name by its
		// dominance rules; the fast path does not have to.
		if names[name] {
			return nil
		}
		names[name] = true
		ff.t = buildFastPlan(f.Type, visiting)
		if ff.t == nil {
			return nil
		}
		if ff.keyAsInt {
			ff.key = appendInt(nil, ff.intKey)
		} else {
			ff.key = appendText(nil, name)
		}
		if len(ff.key) <= 8 {
			var w [8]byte
			copy(w[:], ff.key)
			ff.keyWord = binary.LittleEndian.Uint64(w[:])
			ff.keyMask = math.MaxUint64 >> (64 - 8*len(ff.key))
		}
		p.depth = max(p.depth, ff.t.depth)
		p.allOmitEmpty = p.allOmitEmpty && ff.omitEmpty
		p.fields = append(p.fields, ff)
	}
	p.depth++
	return p
}

// CBOR major types, shifted into the initial byte.
const (
	majorUint  = 0 << 5
	majorNeg   = 1 << 5
	majorBytes = 2 << 5
	majorText  = 3 << 5
	majorArray = 4 << 5
	majorMap   = 5 << 5

	cborFalse = 0xf4
	cborTrue  = 0xf5
	cborNull  = 0xf6
)

// appendHead appends the shortest head of a data item.
func appendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= math.MaxUint8:
		return append(b, major|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major|27), n)
}

// appendInt appends an integer: major type 0, or 1 for -1-n.
func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		return appendHead(b, majorNeg, uint64(^n))
	}
	return appendHead(b, majorUint, uint64(n))
}

// appendBool appends the CBOR simple value of t.
func appendBool(b []byte, t bool) []byte {
	if t {
		return append(b, cborTrue)
	}
	return append(b, cborFalse)
}

// appendText appends a text string.
func appendText[S ~string | ~[]byte](b []byte, s S) []byte {
	return append(appendHead(b, majorText, uint64(len(s))), s...)
}

// timeOf reads a time.Time without the allocation of v.Interface when v
// is addressable, as it is below any pointer.
func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *v.Addr().Interface().(*time.Time)
	}
	return v.Interface().(time.Time)
}

// fastEncoder holds what one encoding remembers between the values it
// writes.
type fastEncoder struct {
	days dayCache
}

// appendFastTime writes t as fxamacker/cbor does with TimeRFC3339Nano and
// no tag: null for the zero time, else the RFC 3339 text with nanoseconds
// and the offset. A time RFC 3339 cannot write (a year outside 0–9999,
// an offset with seconds) is left to the slow path, which refuses it.
func (e *fastEncoder) appendFastTime(b []byte, t time.Time) ([]byte, bool) {
	if t.IsZero() {
		return append(b, cborNull), true
	}
	// What timeProblem refuses is left to the slow path, which refuses it
	// with the reason: an offset that RFC 3339 cannot write here, a year
	// outside 0–9999 below.
	_, offset := t.Zone()
	if offset%60 != 0 || offset <= -86400 || offset >= 86400 {
		return b, false
	}
	nsec := t.Nanosecond()
	n := utcSecondsLen - 1 + fractionLen(nsec) + 1 // the date, the time, the fraction, "Z"
	if offset != 0 {
		n += len("+07:00") - 1
	}
	out, ok := e.days.appendRFC3339Nano(appendHead(b, majorText, uint64(n)), t.Unix(), nsec, offset)
	if !ok {
		return b, false
	}
	return out, true
}

// utcSecondsLen is the length of "2006-01-02T15:04:05Z".
const utcSecondsLen = 20

// fractionLen is the length of the fractional seconds that RFC3339Nano
// writes for nsec: none for 0, else a "." and the digits without their
// trailing zeros.
func fractionLen(nsec int) int {
	if nsec == 0 {
		return 0
	}
	n := 10
	for ; nsec%10 == 0; nsec /= 10 {
		n--
	}
	return n
}

// appendRFC3339Nano appends the time sec seconds and nsec nanoseconds
// after the Unix epoch, in the zone offset seconds east of UTC (a whole
// number of minutes within a day), as t.AppendFormat(dst,
// time.RFC3339Nano) writes it, with fractionLen(nsec) bytes of fraction.
// It reports false, and dst is to be dropped, for a year outside 0–9999
// in that zone, which RFC 3339 cannot write.
func (c *dayCache) appendRFC3339Nano(dst []byte, sec int64, nsec, offset int) ([]byte, bool) {
	dst, ok := c.appendSeconds(dst, sec+int64(offset))
	if !ok {
		return dst, false
	}
	if nsec != 0 {
		var digits [9]byte
		for i, n := 8, nsec; i >= 0; i-- {
			digits[i] = byte('0' + n%10)
			n /= 10
		}
		dst = append(append(dst, '.'), digits[:fractionLen(nsec)-1]...)
	}
	if offset == 0 {
		return append(dst, 'Z'), true
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	hh, mm := offset/3600, offset/60%60
	return append(dst, sign, byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10)), true
}

// dayCache holds the last day converted to or from an RFC 3339 date: the
// times of one session mostly fall on a few days, and the calendar
// arithmetic of a date is most of the work of writing or reading a time.
// Its zero value is empty.
type dayCache struct {
	days int64    // days after 1970-01-01
	date [10]byte // that day, as "2006-01-02"
	set  bool
}

// appendSeconds appends "2006-01-02T15:04:05" for the time sec seconds
// after the Unix epoch, read as UTC, and reports false for a year
// outside 0–9999.
func (c *dayCache) appendSeconds(dst []byte, sec int64) ([]byte, bool) {
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	if !c.set || c.days != days {
		year, month, day := civilFromDays(days)
		if year < 0 || year > 9999 {
			return dst, false
		}
		y := int(year)
		c.date = [10]byte{
			byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + month/10), byte('0' + month%10), '-',
			byte('0' + day/10), byte('0' + day%10),
		}
		c.days, c.set = days, true
	}
	hour, minute, second := int(rem/3600), int(rem/60%60), int(rem%60)
	return append(append(dst, c.date[:]...),
		'T', byte('0'+hour/10), byte('0'+hour%10),
		':', byte('0'+minute/10), byte('0'+minute%10),
		':', byte('0'+second/10), byte('0'+second%10)), true
}

// parseDate parses a date "2006-01-02" to the days after 1970-01-01, and
// reports false unless each field is digits and in its range (a year of
// four digits, a day that its month has).
func (c *dayCache) parseDate(s string) (int64, bool) {
	if len(s) != 10 {
		return 0, false
	}
	if c.set && s == string(c.date[:]) {
		return c.days, true // a date found valid before, to the byte
	}
	y1, ok1 := twoDigits(s[0], s[1])
	y2, ok2 := twoDigits(s[2], s[3])
	month, ok3 := twoDigits(s[5], s[6])
	day, ok4 := twoDigits(s[8], s[9])
	if !(ok1 && ok2 && ok3 && ok4) || s[4] != '-' || s[7] != '-' || month < 1 || month > 12 || day < 1 {
		return 0, false
	}
	year := y1*100 + y2
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	if day > days {
		return 0, false
	}
	c.days = daysFromCivil(int64(year), month, day)
	copy(c.date[:], s)
	c.set = true
	return c.days, true
}

// twoDigits reads two decimal digits.
func twoDigits(a, b byte) (int, bool) {
	a, b = a-'0', b-'0' // a byte below '0' wraps above 9
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// civilFromDays returns the proleptic Gregorian date of the day that is
// days after 1970-01-01, and daysFromCivil the reverse: the arithmetic of
// 400-year eras (146,097 days each) that time.Time does internally,
// without the work of a whole time.Date or Time.Date.
func civilFromDays(days int64) (year int64, month, day int) {
	z := days + 719468 // from 0000-03-01, so that leap days end a year
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // day of the era, 0..146096
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era, 0..399
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the year from March 1, 0..365
	mp := (5*doy + 2) / 153                                // month from March, 0..11
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

func daysFromCivil(year int64, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era--
	}
	yoe := year - era*400
	m := int64(month) + 9
	if month > 2 {
		m = int64(month) - 3
	}
	doy := (153*m+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fastDecoder reads one CBOR data item from data.
type fastDecoder struct {
	data []byte
	off  int
	// plain is a copy of data, made on the first string or byte string
	// read: every one decoded is a view of its own bytes in the copy,
	// sharing its one allocation (see cutText and cutBytes).
	plain []byte
	days  dayCache
	// batches holds, while a slice whose elements hold pointers is
	// decoded, the arrays their pointees come from (see pointee).
	batches [maxBatched]pointeeBatch
	// slabs box the strings, integers and floats of untyped values
	// (boxString, boxInt, boxFloat).
	slabs anySlabs
}

// head reads the head of a data item of the given major type, and
// refuses non-shortest lengths and indefinite lengths.
func (d *fastDecoder) head(major byte) (uint64, bool) {
	if d.off >= len(d.data) || d.data[d.off]&0xe0 != major {
		return 0, false
	}
	ai := d.data[d.off] & 0x1f
	d.off++
	if ai < 24 {
		return uint64(ai), true
	}
	// The argument follows in 1, 2, 4 or 8 bytes, big-endian, and must
	// need them: at least 24, 2^8, 2^16 or 2^32.
	rest := d.data[d.off:]
	var n, least uint64
	switch {
	case ai == 24 && len(rest) >= 1:
		n, least = uint64(rest[0]), 24
		d.off++
	case ai == 25 && len(rest) >= 2:
		n, least = uint64(binary.BigEndian.Uint16(rest)), 1<<8
		d.off += 2
	case ai == 26 && len(rest) >= 4:
		n, least = uint64(binary.BigEndian.Uint32(rest)), 1<<16
		d.off += 4
	case ai == 27 && len(rest) >= 8:
		n, least = binary.BigEndian.Uint64(rest), 1<<32
		d.off += 8
	default: // reserved, an indefinite length, or the input ends first
		return 0, false
	}
	return n, n >= least
}

// length reads the head of a string, array or map, and checks that the
// rest of the input could hold it (each byte or element taking at least
// one byte, each pair of a map two), so that nothing is allocated for a
// length the input lacks.
func (d *fastDecoder) length(major byte) (int, bool) {
	n, ok := d.head(major)
	room := uint64(len(d.data) - d.off)
	if major == majorMap {
		room /= 2
	}
	if !ok || n > room {
		return 0, false
	}
	return int(n), true
}

// int64 reads an integer of major type 0 or 1 that fits an int64, as
// fxamacker/cbor requires of Go integers and of keyasint keys.
func (d *fastDecoder) int64() (int64, bool) {
	major := byte(majorUint)
	if d.off < len(d.data) && d.data[d.off]&0xe0 == majorNeg {
		major = majorNeg
	}
	u, ok := d.head(major)
	if !ok || u > math.MaxInt64 {
		return 0, false
	}
	if major == majorNeg {
		return ^int64(u), true // -1-u
	}
	return int64(u), true
}

// str reads a text string, cut from the shared copy of the input.
func (d *fastDecoder) str() (string, bool) {
	if d.off < len(d.data) {
		// Shorter than 24 bytes, its length in its head, as most map
		// keys are: read without head's and length's calls, with
		// length's check that the input holds it.
		if c := d.data[d.off]; c&0xe0 == majorText && c&0x1f < 24 && int(c&0x1f) < len(d.data)-d.off {
			n := int(c & 0x1f)
			d.off++
			s := d.cutText(n)
			d.off += n
			return s, true
		}
	}
	n, ok := d.length(majorText)
	if !ok {
		return "", false
	}
	s := d.cutText(n)
	d.off += n
	return s, true
}

// bytes reads a byte string: never nil, as fxamacker/cbor decodes an
// empty one to an empty slice.
func (d *fastDecoder) bytes() ([]byte, bool) {
	n, ok := d.length(majorBytes)
	if !ok {
		return nil, false
	}
	b := d.cutBytes(n)
	d.off += n
	return b, true
}

// expectKey reads the key encoders write for f, byte for byte, if it
// comes next: a CBOR data item ends where its head says, so these bytes
// are that key and nothing else. Any other spelling of a key is left to
// otherField, which refuses what the reference refuses.
func (d *fastDecoder) expectKey(f *fastField) bool {
	rest := d.data[d.off:]
	// With 8 bytes of input or more, a short key is the first bytes of
	// one little-endian word: the same test as HasPrefix.
	if f.keyMask != 0 && len(rest) >= 8 {
		if binary.LittleEndian.Uint64(rest)&f.keyMask != f.keyWord {
			return false
		}
	} else if !bytes.HasPrefix(rest, f.key) {
		return false
	}
	d.off += len(f.key)
	return true
}

// otherField reads a struct's key that is not the one expected next
// (decodeStruct tries that first, with expectKey), and returns the index
// of its field. A text key matches only a field named by text, an integer
// key only a keyasint field, as in fxamacker/cbor. An unknown key, which
// fxamacker/cbor skips after checking it is not repeated, and a key of
// any other type are left to fxamacker/cbor.
func (d *fastDecoder) otherField(p *fastType, next int) (int, bool) {
	if d.off >= len(d.data) {
		return 0, false
	}
	var (
		isInt bool
		name  string
		key   int64
	)
	switch major := d.data[d.off] & 0xe0; major {
	case majorText:
		s, ok := d.str()
		if !ok {
			return 0, false
		}
		name = s
	case majorUint, majorNeg:
		k, ok := d.int64()
		if !ok {
			return 0, false
		}
		isInt, key = true, k
	default:
		return 0, false
	}
	match := func(f *fastField) bool {
		if isInt {
			return f.keyAsInt && f.intKey == key
		}
		return !f.keyAsInt && f.name == name
	}
	if next < len(p.fields) && match(&p.fields[next]) {
		return next, true
	}
	for i := range p.fields {
		if match(&p.fields[i]) {
			return i, true
		}
	}
	return 0, false
}

// The untyped values of the fast path: what an any holds, and the
// map[string]any sessions (MapStore) are made of.
//
// fastAnyDepth bounds the containers nested in one any. The nesting of
// untyped data is not bounded by its type, so the encoder and the decoder
// count it, and hand deeper data to fxamacker/cbor, which applies
// MaxNesting itself.
const fastAnyDepth = 8

// appendFastAny appends x as fxamacker/cbor encodes it in an any, with at
// most budget containers nested in it. Values of other types than the
// generic ones take their type's plan.
func (e *fastEncoder) appendFastAny(b []byte, x any, budget int) ([]byte, bool) {
	switch x := x.(type) {
	case nil:
		return append(b, cborNull), true
	case string:
		return appendText(b, x), true
	case bool:
		return appendBool(b, x), true
	case int64:
		return appendInt(b, x), true
	case int:
		return appendInt(b, int64(x)), true
	case int32:
		return appendInt(b, int64(x)), true
	case uint64:
		return appendHead(b, majorUint, x), true
	case float64:
		return appendFastFloat(b, x)
	case []byte:
		if x == nil {
			return append(b, cborNull), true
		}
		return append(appendHead(b, majorBytes, uint64(len(x))), x...), true
	case time.Time:
		return e.appendFastTime(b, x)
	case []any:
		if x == nil {
			return append(b, cborNull), true
		}
		if budget == 0 || len(x) > maxElements {
			return b, false
		}
		b = appendHead(b, majorArray, uint64(len(x)))
		for _, el := range x {
			var ok bool
			if tooLong(b) {
				return b, false
			}
			if b, ok = e.appendFastAny(b, el, budget-1); !ok {
				return b, false
			}
		}
		return b, true
	case map[string]any:
		if x == nil {
			return append(b, cborNull), true
		}
		if budget == 0 || len(x) > maxElements {
			return b, false
		}
		// Go's order, as fxamacker/cbor writes a map without sorting.
		b = appendHead(b, majorMap, uint64(len(x)))
		for k, el := range x {
			if tooLong(b) {
				return b, false
			}
			b = appendText(b, k)
			var ok bool
			if b, ok = e.appendFastAny(b, el, budget-1); !ok {
				return b, false
			}
		}
		return b, true
	}
	// A typed value held in the any must fit the budget that is left, and
	// so hold no any of its own (an any's plan counts fastAnyDepth): the
	// fast path gives each any it meets a fresh budget, so a value that
	// holds itself through one (x = &x) would never run out of it.
	p := fastPlanOf(reflect.TypeOf(x))
	if p == nil || p.depth >= budget {
		return b, false
	}
	if roundTripPlanOf(p.typ).intKeys {
		// Integer keys, which an any decodes as a map with text keys
		// and fails on: left to the slow path, whose check refuses it.
		return b, false
	}
	return e.appendFastIface(b, x, p)
}

// tooLong reports whether an encoding has grown past what any codec
// seals. The fast path then stops, in the loops over elements where a
// value that shares its parts (a slice of many references to one long
// string) writes far more than it holds. The value is left to the slow
// path, whose check (sealWalk) refuses it before it is encoded; a value
// whose lower bound there falls short is written by fxamacker/cbor, at
// most a few times the bound, and refused by its length.
func tooLong(b []byte) bool { return len(b) > maxMaxLength }

// appendFastFloat writes a finite float64 as a CBOR double, as
// fxamacker/cbor does without ShortestFloat; NaN and the infinities,
// which it converts, are left to it.
func appendFastFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(f)), true
}

// float reads a CBOR double that is finite; other floats and integers,
// which fxamacker/cbor converts, are left to it.
func (d *fastDecoder) float() (float64, bool) {
	if len(d.data)-d.off < 9 || d.data[d.off] != 0xfb {
		return 0, false
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(d.data[d.off+1:]))
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	d.off += 9
	return f, true
}

// decodeAny reads the next data item as fxamacker/cbor decodes it into an
// empty any with the serializer's options: int64 for integers that fit
// (bigger ones, *big.Int, are left to it), []byte, string, []any,
// map[string]any for maps with text keys, bool, nil for null and float64
// for a finite double. budget bounds the containers nested in it.
func (d *fastDecoder) decodeAny(budget int) (any, bool) {
	if d.off >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.off]; c & 0xe0 {
	case majorUint, majorNeg:
		n, ok := d.int64()
		if !ok {
			return nil, false
		}
		return d.boxInt(n), true
	case majorBytes:
		b, ok := d.bytes()
		return b, ok
	case majorText:
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return d.boxString(s), true
	case majorArray:
		n, ok := d.length(majorArray)
		if !ok || n > maxElements || budget == 0 {
			return nil, false
		}
		a := make([]any, n)
		for i := range a {
			if a[i], ok = d.decodeAny(budget - 1); !ok {
				return nil, false
			}
		}
		return a, true
	case majorMap:
		if budget == 0 {
			return nil, false
		}
		m, ok := d.anyMap(budget - 1)
		return m, ok
	}
	switch d.data[d.off] {
	case cborFalse, cborTrue:
		d.off++
		return d.data[d.off-1] == cborTrue, true
	case cborNull:
		d.off++
		return nil, true
	case 0xfb:
		f, ok := d.float()
		if !ok {
			return nil, false
		}
		return d.boxFloat(f), true
	}
	return nil, false // tags, undefined, other floats and simple values
}

// anyMap reads a map with text keys into a map[string]any, each value
// with at most budget containers nested in it. A repeated key, which
// fxamacker/cbor refuses, and a key of another type are left to it.
func (d *fastDecoder) anyMap(budget int) (map[string]any, bool) {
	n, ok := d.length(majorMap)
	if !ok || n > maxElements {
		return nil, false
	}
	m := make(map[string]any, n)
	for i := range n {
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		x, ok := d.decodeAny(budget)
		if !ok {
			return nil, false
		}
		// One lookup, not two: a repeated key leaves the length as it was.
		if m[k] = x; len(m) != i+1 {
			return nil, false
		}
	}
	return m, true
}

// parseRFC3339 parses the forms of RFC 3339 that encoders write,
// "2006-01-02T15:04:05" with up to nine digits of fractional seconds
// after a ".", then "Z" or an offset "+07:00" or "-07:00" below 24 hours,
// to the same time.Time as time.Parse(time.RFC3339, s): in UTC for "Z";
// for an offset, in time.Local when that is Local's offset at that
// instant, as time.Parse gives it, or else in a fixed zone of that
// offset and no name, shared by the times of that offset (time.Parse
// makes one per call, which costs allocations for every offset that is
// not a whole number of hours). It reports false for anything else,
// valid or not, which is left to time.Parse.
func (c *dayCache) parseRFC3339(s string) (time.Time, bool) {
	if len(s) < utcSecondsLen || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	days, ok := c.parseDate(s[:10])
	hour, ok1 := twoDigits(s[11], s[12])
	minute, ok2 := twoDigits(s[14], s[15])
	sec, ok3 := twoDigits(s[17], s[18])
	if !(ok && ok1 && ok2 && ok3) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		digits := 0
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if digits++; digits > 9 {
				return time.Time{}, false // time.Parse truncates; left to it
			}
			nsec = nsec*10 + int(s[i]-'0')
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for range 9 - digits {
			nsec *= 10
		}
	}
	unix := days*86400 + int64(hour*3600+minute*60+sec)
	switch zone := s[i:]; {
	case zone == "Z":
		return time.Unix(unix, int64(nsec)).UTC(), true
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':':
		oh, ok1 := twoDigits(zone[1], zone[2])
		om, ok2 := twoDigits(zone[4], zone[5])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset := oh*3600 + om*60
		if zone[0] == '-' {
			offset = -offset
		}
		t := time.Unix(unix-int64(offset), int64(nsec))
		if _, local := t.In(time.Local).Zone(); local == offset {
			return t.In(time.Local), true
		}
		return t.In(fixedZone(offset)), true
	}
	return time.Time{}, false
}

// fixedZones holds, for each offset in minutes within a day of UTC, the
// fixed zone of no name that parseRFC3339 gives times of that offset. A
// Location never changes once made, so times may share one.
var fixedZones [2*24*60 - 1]atomic.Pointer[time.Location]

// fixedZone returns the shared fixed zone of offset seconds, a whole
// number of minutes under a day: time.FixedZone("", offset).
func fixedZone(offset int) *time.Location {
	slot := &fixedZones[offset/60+24*60-1]
	if l := slot.Load(); l != nil {
		return l
	}
	l := time.FixedZone("", offset)
	slot.Store(l) // two callers may both store: either zone will do
	return l
}

// Maps of strings to strings, integers and booleans, the commonest maps in
// sessions, are read and written as Go maps rather than through reflect,
// which costs more per entry than the entry's bytes.
var (
	stringMapType = reflect.TypeFor[map[string]string]()
	intMapType    = reflect.TypeFor[map[string]int]()
	int64MapType  = reflect.TypeFor[map[string]int64]()
	boolMapType   = reflect.TypeFor[map[string]bool]()
)

// appendPlainMap writes m, a map[string]any or a map of one of the plain
// map types above, with the encoding appendFastMap gives any map; m of
// another type is left to fxamacker/cbor.
func (e *fastEncoder) appendPlainMap(b []byte, m any) ([]byte, bool) {
	switch m := m.(type) {
	case map[string]any:
		return e.appendFastAny(b, m, fastAnyDepth+1)
	case map[string]string:
		return appendGoMap(b, m, appendText[string])
	case map[string]int:
		return appendGoMap(b, m, func(b []byte, n int) []byte { return appendInt(b, int64(n)) })
	case map[string]int64:
		return appendGoMap(b, m, appendInt)
	case map[string]bool:
		return appendGoMap(b, m, appendBool)
	}
	return b, false
}

func appendGoMap[V any](b []byte, m map[string]V, value func([]byte, V) []byte) ([]byte, bool) {
	if m == nil {
		return append(b, cborNull), true
	}
	if len(m) > maxElements {
		return b, false
	}
	b = appendHead(b, majorMap, uint64(len(m)))
	for k, x := range m { // Go's order, as fxamacker/cbor writes it
		if tooLong(b) {
			return b, false
		}
		b = value(appendText(b, k), x)
	}
	return b, true
}

// decodeGoMap reads a map into a map[string]V. It calls only d's own
// methods (no function values), so that d stays on its caller's stack.
func decodeGoMap[V string | int | int64 | bool](d *fastDecoder) (map[string]V, bool) {
	n, ok := d.length(majorMap)
	if !ok || n > maxElements {
		return nil, false
	}
	m := make(map[string]V, n)
	for i := range n {
		k, ok := d.str()
		if !ok || d.off >= len(d.data) {
			return nil, false
		}
		var x V
		if d.data[d.off] == cborNull {
			d.off++ // null decodes as "leave it": the zero value
		} else {
			switch p := any(&x).(type) {
			case *string:
				*p, ok = d.str()
			case *int64:
				*p, ok = d.int64()
			case *int:
				var n int64
				n, ok = d.int64()
				*p, ok = int(n), ok && int64(int(n)) == n
			case *bool:
				ok = d.data[d.off] == cborTrue || d.data[d.off] == cborFalse
				*p = d.data[d.off] == cborTrue
				d.off++
			}
			if !ok {
				return nil, false
			}
		}
		// One lookup, not two: a repeated key leaves the length as it was.
		if m[k] = x; len(m) != i+1 {
			return nil, false
		}
	}
	return m, true
}
