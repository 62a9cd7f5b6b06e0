package cookiesession

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
)

// The fast path of the CBOR serializer must be indistinguishable from
// fxamacker/cbor with the serializer's modes (the reference), except for
// the order of a Go map's entries. These tests compare the two on chosen
// and random values and inputs.

// fastTimeEqual is strict equality for time.Time: the same instant, zone
// name and offset, location name and zero-ness. (cmp's default uses Equal,
// which ignores the location; reflect.DeepEqual compares *Location
// pointers, which differ for every parsed offset.)
func fastTimeEqual(x, y time.Time) bool {
	xn, xo := x.Zone()
	yn, yo := y.Zone()
	return x.Equal(y) && xn == yn && xo == yo &&
		x.Location().String() == y.Location().String() &&
		x.IsZero() == y.IsZero()
}

var fastCmpOpts = cmp.Options{
	cmp.Comparer(fastTimeEqual),
	cmp.Comparer(func(x, y *big.Int) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Cmp(y) == 0
	}),
	// Compare unexported fields too: decoding must leave them alone.
	cmp.Exporter(func(reflect.Type) bool { return true }),
}

// fastEqual is strict deep equality: times by fastTimeEqual, big integers
// by value, nil and empty slices and maps told apart, slices' capacities
// compared, unexported fields included. (cmp.Equal would do, but its slice comparison takes time
// exponential in the nesting of slices.)
func fastEqual(x, y any) bool {
	return fastEqualValue(reflect.ValueOf(x), reflect.ValueOf(y))
}

func fastEqualValue(x, y reflect.Value) bool {
	if x.IsValid() != y.IsValid() {
		return false
	}
	if !x.IsValid() {
		return true
	}
	if x.Type() != y.Type() {
		return false
	}
	switch x.Type() {
	case reflect.TypeFor[time.Time]():
		return fastTimeEqual(x.Interface().(time.Time), y.Interface().(time.Time))
	case reflect.TypeFor[*big.Int]():
		xb, yb := x.Interface().(*big.Int), y.Interface().(*big.Int)
		return (xb == nil) == (yb == nil) && (xb == nil || xb.Cmp(yb) == 0)
	}
	switch x.Kind() {
	case reflect.Bool:
		return x.Bool() == y.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return x.Int() == y.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return x.Uint() == y.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(x.Float()) == math.Float64bits(y.Float())
	case reflect.String:
		return x.String() == y.String()
	case reflect.Slice:
		// The capacity too: appending to a decoded slice must behave
		// the same whichever path decoded it.
		if x.IsNil() != y.IsNil() || x.Cap() != y.Cap() {
			return false
		}
		fallthrough
	case reflect.Array:
		if x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !fastEqualValue(x.Index(i), y.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if x.IsNil() != y.IsNil() || x.Len() != y.Len() {
			return false
		}
		for it := x.MapRange(); it.Next(); {
			yv := y.MapIndex(it.Key())
			if !yv.IsValid() || !fastEqualValue(it.Value(), yv) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if x.IsNil() || y.IsNil() {
			return x.IsNil() == y.IsNil()
		}
		return fastEqualValue(x.Elem(), y.Elem())
	case reflect.Struct:
		for i := range x.NumField() {
			if !fastEqualValue(x.Field(i), y.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return x.Pointer() == y.Pointer()
	}
	panic("fastEqual: unexpected kind " + x.Kind().String())
}

// fastDiff explains why want and got differ.
func fastDiff(want, got any) string {
	if fastDeeperThan(reflect.ValueOf(want), 8) || fastDeeperThan(reflect.ValueOf(got), 8) {
		return fmt.Sprintf("want %#v\n got %#v", want, got)
	}
	return "(-want +got):\n" + cmp.Diff(want, got, fastCmpOpts)
}

// fastDeeperThan reports whether containers nest in v deeper than n.
func fastDeeperThan(v reflect.Value, n int) bool {
	if n < 0 {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && fastDeeperThan(v.Elem(), n)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if fastDeeperThan(v.Index(i), n-1) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if fastDeeperThan(it.Value(), n-1) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if fastDeeperThan(v.Field(i), n-1) {
				return true
			}
		}
	}
	return false
}

// Test types. Named types of the subset and a realistic session.
type (
	fastName  string
	fastLevel int16
	fastFlags uint8
	fastCount uint64
	fastTags  []fastName
	fastAttrs map[string]fastName
	fastBlob  []byte
	// fastStringer has a String method, which means nothing to CBOR.
	fastStringer int32
	// fastTimePtr is a named pointer type: it has no methods, not even
	// the IsZero of *time.Time.
	fastTimePtr *time.Time
	// fastTimeCopy has time.Time's fields (all unexported) but none of
	// its methods: a struct with no visible field.
	fastTimeCopy time.Time
)

func (s fastStringer) String() string { return fmt.Sprint(int32(s)) }

type fastSmall struct {
	A int    `cbor:"a"`
	B string `cbor:"b,omitempty"`
}

type fastAddress struct {
	Street string `cbor:"street"`
	City   string `json:"city"`
	Zip    string `cbor:"zip,omitempty"`
}

// fastOptional has only omitempty fields, so it is empty (and omitted
// under omitempty) exactly when they all are.
type fastOptional struct {
	A int            `cbor:"a,omitempty"`
	B string         `cbor:"b,omitempty"`
	C []byte         `cbor:"c,omitempty"`
	D *bool          `cbor:"d,omitempty"`
	E map[string]int `cbor:"e,omitempty"`
	F fastInner      `cbor:"f,omitempty"`
	G struct{}       `cbor:"g,omitempty"`
}

type fastInner struct {
	X uint8    `cbor:"x,omitempty"`
	Y []string `cbor:"y,omitempty"`
}

type fastLine struct {
	SKU   string
	Qty   uint16
	Cents int64    `cbor:"c"`
	Tags  fastTags `cbor:",omitempty"`
}

type fastSession struct {
	UserID   int64     `cbor:"uid"`
	Name     fastName  `cbor:"name"`
	Level    fastLevel `cbor:"lvl,omitempty"`
	Flags    fastFlags
	Admin    bool              `cbor:"admin,omitempty"`
	CSRF     []byte            `cbor:"csrf"`
	Nonce    fastBlob          `cbor:"nonce,omitempty"`
	Created  time.Time         `cbor:"created"`
	Expires  *time.Time        `cbor:"exp,omitempty"`
	Seen     time.Time         `cbor:"seen,omitzero"`
	Kept     time.Time         `cbor:"kept,omitempty"` // a time is never empty
	Addr     fastAddress       `cbor:"addr"`
	Billing  *fastAddress      `cbor:"bill,omitempty"`
	Ship     fastAddress       `cbor:"ship,omitempty"` // never empty: Street is not omitempty
	Lines    []fastLine        `cbor:"lines,omitempty"`
	Prefs    map[string]string `cbor:"prefs"`
	Counts   map[string]int32  `cbor:"counts,omitempty"`
	Roles    []fastName        `json:"roles"`
	Opt      fastOptional      `cbor:"opt,omitempty"`
	OptZ     fastOptional      `cbor:"optz,omitzero"`
	Attrs    fastAttrs         `json:"attrs,omitzero"`
	Secret   string            `cbor:"-"`
	Hidden   int               `json:"-"`
	Renamed  string            `cbor:"r" json:"json_r"`
	Dash     int               `cbor:"-,"` // a field named "-"
	Stringer fastStringer
	internal int
	skipped  float64
}

type fastInts struct {
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	B   bool
	PI  *int
	PU  **uint64
	S   []int64
	SU  []uint16
	L   fastLevel
	C   fastCount
}

type fastDeep struct {
	PP   **string
	SS   [][]string
	SSB  [][]byte
	MS   map[string][]int
	MM   map[string]map[string]bool
	MP   map[string]*fastLine
	MT   map[fastName]time.Time
	MB   map[string][]byte
	SP   []*int8
	ST   []time.Time
	PT   *time.Time
	Anon struct {
		X int    `cbor:"x"`
		Y string `cbor:",omitempty"`
	}
	Empty     struct{} `cbor:"empty,omitempty"`
	EmptyKept struct{} `cbor:"kept"`
	Twice     fastAddress
	Again     *fastAddress
	Dur       time.Duration
	Month     time.Month
}

// fastWide has more than 23 fields, all omitempty: the length of its map
// crosses the one-byte head boundary as fields are left out.
type fastWide struct {
	F00 uint8 `cbor:",omitempty"`
	F01 uint8 `cbor:",omitempty"`
	F02 uint8 `cbor:",omitempty"`
	F03 uint8 `cbor:",omitempty"`
	F04 uint8 `cbor:",omitempty"`
	F05 uint8 `cbor:",omitempty"`
	F06 uint8 `cbor:",omitempty"`
	F07 uint8 `cbor:",omitempty"`
	F08 uint8 `cbor:",omitempty"`
	F09 uint8 `cbor:",omitempty"`
	F10 uint8 `cbor:",omitempty"`
	F11 uint8 `cbor:",omitempty"`
	F12 uint8 `cbor:",omitempty"`
	F13 uint8 `cbor:",omitempty"`
	F14 uint8 `cbor:",omitempty"`
	F15 uint8 `cbor:",omitempty"`
	F16 uint8 `cbor:",omitempty"`
	F17 uint8 `cbor:",omitempty"`
	F18 uint8 `cbor:",omitempty"`
	F19 uint8 `cbor:",omitempty"`
	F20 uint8 `cbor:",omitempty"`
	F21 uint8 `cbor:",omitempty"`
	F22 uint8 `cbor:",omitempty"`
	F23 uint8 `cbor:",omitempty"`
	F24 uint8 `cbor:",omitempty"`
}

// fastNulls has a field of every kind, for null and undefined.
type fastNulls struct {
	P   *int                 `cbor:"p"`
	S   []int                `cbor:"s"`
	M   map[string]int       `cbor:"m"`
	B   []byte               `cbor:"b"`
	T   time.Time            `cbor:"t"`
	PT  *time.Time           `cbor:"pt"`
	Str string               `cbor:"str"`
	I   int                  `cbor:"i"`
	U   uint16               `cbor:"u"`
	Bo  bool                 `cbor:"bo"`
	St  fastSmall            `cbor:"st"`
	PS  *fastSmall           `cbor:"ps"`
	MT  map[string]time.Time `cbor:"mt"`
}

// fastTimes holds times under every omission rule.
type fastTimes struct {
	T  time.Time             `cbor:"t"`
	TZ time.Time             `cbor:"tz,omitzero"`
	TE time.Time             `cbor:"te,omitempty"`
	P  *time.Time            `cbor:"p,omitzero"`
	PE *time.Time            `cbor:"pe,omitempty"`
	PP **time.Time           `cbor:"pp,omitzero"`
	N  fastTimePtr           `cbor:"n,omitzero"`
	S  []time.Time           `cbor:"s,omitzero"`
	M  map[string]*time.Time `cbor:"m,omitempty"`
	JZ time.Time             `json:"jz,omitzero"`
}

// fastKeyInt uses integer keys.
type fastKeyInt struct {
	A int    `cbor:"1,keyasint"`
	B string `cbor:"-2,keyasint,omitempty"`
	C bool   `cbor:"c"`
}

// fastKeyIntOdd has integer keys written in other forms ("+1" and "02"
// are the keys 1 and 2) and at the limits of int64.
type fastKeyIntOdd struct {
	A int    `cbor:"+1,keyasint"`
	B int    `cbor:"02,keyasint,omitempty"`
	C string `cbor:"-9223372036854775808,keyasint"`
	D uint8  `cbor:"9223372036854775807,keyasint,omitzero"`
	E []int  `cbor:"0,keyasint"`
}

// Types the fast path may take or leave, but must get right if it takes
// them.
type (
	// fastKeyIntText has the integer key 1 and the text key "1": two
	// fields to fxamacker/cbor.
	fastKeyIntText struct {
		A int `cbor:"1,keyasint"`
		B int `cbor:"1"`
	}
	// fastDupNames has fields of one name, resolved by fxamacker's
	// dominance rules: both "x" fields are dropped, and D wins "C".
	fastDupNames struct {
		A int `cbor:"x"`
		B int `cbor:"x"`
		C int
		D int `cbor:"C"`
	}
	// fastByteSeq is a byte string of named bytes.
	fastByte    uint8
	fastByteSeq []fastByte
)

// Types for TestCBORFastSupported, most of them outside the subset.
type (
	fastText      string
	fastUnText    struct{ A int }
	fastCBORM     struct{ A int }
	fastUnCBOR    int
	fastBin       []byte
	fastUnBin     string
	fastJSONM     int
	fastUnJSON    map[string]string
	fastZeroer    struct{ A int }
	fastPtrZeroer string
	// fastOddZero's IsZero does not return bool: it is not the method
	// fxamacker calls, so the type stays in the subset.
	fastOddZero int

	fastFloatField struct{ A, F float64 }
	fastAnyField   struct{ A any }
	// fastUntyped is a typed session with untyped parts, as a session
	// migrated from map[string]any sessions might keep.
	fastUntyped struct {
		ID    string
		Data  map[string]any `json:"data,omitempty"`
		List  []any          `cbor:"l"`
		Score float64        `json:",omitempty"`
		Ratio float64        `json:",omitzero"`
		Extra any            `json:",omitempty"`
		Flags map[string]bool
	}
	// fastIface is a named empty interface: left to the reference.
	fastIface      interface{}
	fastIfaceField struct{ A fastIface }
	fastFloat32    struct{ A float32 }
	fastEmbedded   struct {
		fastAddress
		B int
	}
	fastEmbeddedPtr struct {
		*fastAddress
		B int
	}
	fastEmbeddedTime struct{ time.Time }
	fastEmbeddedName struct{ fastName }
	fastArrayField   struct{ A [4]byte }
	fastNode         struct{ Kids []fastNode }
	fastPNode        struct {
		V    int
		Next *fastPNode
	}
	fastMNode   map[string]fastMNode
	fastSNode   []fastSNode
	fastMutA    struct{ B *fastMutB }
	fastMutB    struct{ As []fastMutA }
	fastViaNode struct{ N fastPNode }
	fastToArray struct {
		_ struct{} `cbor:",toarray"`
		A int
	}
	fastUnderscore struct {
		_ int
		A int
	}
	fastUnderscoreSkip struct {
		_ struct{} `cbor:"-"`
		A int
	}
	fastKeyAsIntNested struct{ K fastKeyInt }
	// fastKeyIntBad's integer key is not an integer.
	fastKeyIntBad struct {
		A int `cbor:"x,keyasint"`
	}
	fastChanField    struct{ C chan int }
	fastFuncField    struct{ F func() }
	fastUintptrField struct{ P uintptr }
	fastComplexField struct{ C complex128 }
	fastErrField     struct{ E error }
	fastBigField     struct{ N *big.Int }
	fastRawField     struct{ R cbor.RawMessage }
	// fastHidden's unsupported fields are all invisible to CBOR.
	fastHidden struct {
		A   int `cbor:"a"`
		f   float64
		c   chan int
		Any any     `cbor:"-"`
		F32 float32 `json:"-"`
	}
	// fastDAG uses one struct type several times, without recursion.
	fastDAG struct {
		A, B fastAddress
		C    []fastAddress
		D    map[string]fastAddress
		E    *fastAddress
	}
)

// Types for the layout the typed walk relies on: it reaches fields by
// their offsets, integers by their sizes and elements by their stride,
// and writes each kind through a pointer of its own Go type.
type (
	// Named types of each kind: they share the layout of their
	// underlying type.
	fastNBool   bool
	fastNInt8   int8
	fastNInt32  int32
	fastNInt    int
	fastNUint   uint
	fastNUint16 uint16
	fastNFloat  float64
	fastNPtr    *fastSmall
	fastNLines  []fastLine
	fastNLineM  map[string]fastLine
	fastNStruct fastSmall

	// fastPadded orders fields of every size so that most follow
	// padding, puts zero-size fields first, between and last (where
	// the compiler pads the struct so that their address stays inside
	// it), and hides unexported fields between the exported ones.
	fastPadded struct {
		Z0  struct{}
		B   bool
		I64 int64
		U8  uint8
		I16 int16
		Z1  struct{} `cbor:"z1"`
		U32 uint32
		I8  int8
		f   int64
		F   float64
		NB  fastNBool
		NI8 fastNInt8 `cbor:",omitempty"`
		I32 fastNInt32
		NI  fastNInt  `cbor:",omitzero"`
		NU  fastNUint `cbor:",omitempty"`
		U16 fastNUint16
		NF  fastNFloat `cbor:",omitempty"`
		S   fastName
		By  fastBlob `cbor:",omitempty"`
		T   time.Time
		PT  *time.Time
		u   uint8
		NP  fastNPtr    `cbor:",omitempty"`
		NS  fastNStruct `cbor:",omitzero"`
		U64 uint64
		I   int
		U   uint
		Z2  struct{}
	}
	// fastNested nests slices, pointers and maps of structs.
	fastNested struct {
		Rows  [][]fastPadded
		Ptrs  []*fastSmall
		PPtrs []**fastLine `cbor:",omitempty"`
		Lines fastNLines
		ByKey fastNLineM
		Maps  map[string][]*fastLine
		Anys  []any
		Empty []struct{}
		Zeros []fastZeroSize
		Deep  *[]map[string]*fastSmall
	}
	// fastZeroSize has no exported field, and no size.
	fastZeroSize struct {
		A struct{}
		b struct{}
	}
	// fastByteFields has a one-byte struct, so byte-sized elements.
	fastByteFields struct {
		A uint8
	}
)

func (t fastText) MarshalText() ([]byte, error)     { return []byte(t), nil }
func (u *fastUnText) UnmarshalText(b []byte) error  { u.A = len(b); return nil }
func (fastCBORM) MarshalCBOR() ([]byte, error)      { return []byte{0x9f, 0x01, 0xff}, nil }
func (u *fastUnCBOR) UnmarshalCBOR([]byte) error    { *u = 1; return nil }
func (b fastBin) MarshalBinary() ([]byte, error)    { return b, nil }
func (u *fastUnBin) UnmarshalBinary(b []byte) error { *u = fastUnBin(b); return nil }
func (j fastJSONM) MarshalJSON() ([]byte, error)    { return []byte("1"), nil }
func (u *fastUnJSON) UnmarshalJSON([]byte) error    { return nil }
func (z fastZeroer) IsZero() bool                   { return z.A == 1 }
func (z *fastPtrZeroer) IsZero() bool               { return *z == "zero" }
func (z fastOddZero) IsZero() int                   { return int(z) }

// cborFastSupported reports whether values of type t take the fast path.
func cborFastSupported(t reflect.Type) bool { return fastPlanOf(t) != nil }

// fastRef encodes v with the reference: fxamacker/cbor, then the
// well-formedness check that sealing applies.
func fastRef(v any) ([]byte, error) {
	m := cborModesOnce()
	b, err := m.enc.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := m.dec.Wellformed(b); err != nil {
		return nil, err
	}
	return b, nil
}

// fastEncodeSafe calls cborFastEncode, turning a panic into a test error.
func fastEncodeSafe(t testing.TB, b *bytes.Buffer, v any) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("cborFastEncode(%T) panicked: %v", v, r)
			ok = false
		}
	}()
	return cborFastEncode(b, v)
}

// fastDecodeSafe calls cborFastDecode, turning a panic into a test error.
func fastDecodeSafe(t testing.TB, data []byte, dst any) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("cborFastDecode(%s, %T) panicked: %v", fastShort("%x", data), dst, r)
			ok = false
		}
	}()
	return cborFastDecode(data, dst)
}

// fastSerializeSafe calls CBOR{}.Serialize, turning a panic into an error.
func fastSerializeSafe(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			b = nil
		}
	}()
	return CBOR{}.Serialize(v)
}

var errFastPanic = errors.New("panic")

// fastDeserializeSafe calls CBOR{}.Deserialize, reporting a panic.
func fastDeserializeSafe(t testing.TB, data []byte, dst any) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("CBOR{}.Deserialize(%s, %T) panicked: %v", fastShort("%x", data), dst, r)
			err = errFastPanic
		}
	}()
	return CBOR{}.Deserialize(data, dst)
}

// fastShort formats v for a message, cut to a readable length.
func fastShort(format string, v any) string {
	s := fmt.Sprintf(format, v)
	if len(s) > 300 {
		s = fmt.Sprintf("%s…(%d more bytes)", s[:300], len(s)-300)
	}
	return s
}

// fastHasMultiMap reports whether v holds a Go map of two entries or
// more, whose encoding may come in any order.
func fastHasMultiMap(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && fastHasMultiMap(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := range v.Len() {
			if fastHasMultiMap(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		if v.Len() >= 2 {
			return true
		}
		for it := v.MapRange(); it.Next(); {
			if fastHasMultiMap(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return false
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && fastHasMultiMap(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// fastYearsInRange reports whether every time in v has its year, both
// local and UTC, in 0..9999.
func fastYearsInRange(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || fastYearsInRange(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if !fastYearsInRange(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !fastYearsInRange(it.Value()) {
				return false
			}
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			t := v.Interface().(time.Time)
			return timeProblem(t, true) == "" && (t.IsZero() || t.UTC().Year() >= 0 && t.UTC().Year() <= 9999)
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !fastYearsInRange(v.Field(i)) {
				return false
			}
		}
	}
	return true
}

// fastSameEncoding reports (as test errors) whether got, the fast path's
// encoding of v, is want, the reference's: byte for byte, or, when v holds
// a map of 2+ entries, the same length and the same decoded values.
func fastSameEncoding(t testing.TB, got, want []byte, v any) bool {
	t.Helper()
	if bytes.Equal(got, want) {
		return true
	}
	if !fastHasMultiMap(reflect.ValueOf(v)) || len(got) != len(want) {
		t.Errorf("cborFastEncode(%T):\n got %s\nwant %s\nvalue %s", v, fastShort("%x", got), fastShort("%x", want), fastShort("%#v", v))
		return false
	}
	m := cborModesOnce()
	var ga, wa any
	gerr := m.dec.Unmarshal(got, &ga)
	werr := m.dec.Unmarshal(want, &wa)
	if gerr != nil || werr != nil {
		t.Errorf("cborFastEncode(%T): decoding into any: fast %v, reference %v\n got %s\nwant %s", v, gerr, werr, fastShort("%x", got), fastShort("%x", want))
		return false
	}
	if !fastEqual(wa, ga) {
		t.Errorf("cborFastEncode(%T): another value than the reference's %s\n got %s\nwant %s", v, fastDiff(wa, ga), fastShort("%x", got), fastShort("%x", want))
		return false
	}
	typ := reflect.TypeOf(v)
	gv, wv := reflect.New(typ), reflect.New(typ)
	gerr = m.dec.Unmarshal(got, gv.Interface())
	werr = m.dec.Unmarshal(want, wv.Interface())
	if (gerr == nil) != (werr == nil) {
		t.Errorf("cborFastEncode(%T): decoding back: fast %v, reference %v", v, gerr, werr)
		return false
	}
	if !fastEqual(wv.Interface(), gv.Interface()) {
		t.Errorf("cborFastEncode(%T): decodes back to another value than the reference's %s", v, fastDiff(wv.Interface(), gv.Interface()))
		return false
	}
	return true
}

// fastBuffers returns buffers in the states a caller may hand over: empty,
// holding earlier output, partly read, and wholly read.
func fastBuffers() []*bytes.Buffer {
	empty := new(bytes.Buffer)
	held := bytes.NewBufferString("earlier output")
	partly := bytes.NewBufferString("\x00\x01earlier")
	partly.Next(2)
	read := bytes.NewBufferString("read")
	read.Next(4)
	spare := bytes.NewBuffer(make([]byte, 0, 4096))
	spare.WriteString("spare")
	return []*bytes.Buffer{empty, held, partly, read, spare}
}

// checkFastEncode encodes v with the fast path, into buffers in each
// state, and with the reference. When the fast path takes v, its output
// must follow what the buffer held, be the reference's encoding and be
// well-formed; when it leaves v, the buffer must be unchanged. mustTake
// requires the fast path to take v. It reports whether the fast path
// took v and no check failed.
func checkFastEncode(t testing.TB, v any, mustTake bool) (took, good bool) {
	t.Helper()
	want, werr := fastRef(v)
	good = true
	for i, b := range fastBuffers() {
		before := bytes.Clone(b.Bytes())
		ok := fastEncodeSafe(t, b, v)
		if i == 0 {
			took = ok
		} else if ok != took {
			t.Errorf("cborFastEncode(%T) = %v into buffer %d, %v into an empty one", v, ok, i, took)
			return took, false
		}
		if !ok {
			if !bytes.Equal(b.Bytes(), before) {
				t.Errorf("cborFastEncode(%T) = false and changed the buffer from %q to %s", v, before, fastShort("%q", b.Bytes()))
				good = false
			}
			if mustTake && i == 0 {
				t.Errorf("cborFastEncode(%T) = false, want true; value %s", v, fastShort("%#v", v))
				good = false
			}
			continue
		}
		if !bytes.HasPrefix(b.Bytes(), before) {
			t.Errorf("cborFastEncode(%T) changed what the buffer held: %q, then %s", v, before, fastShort("%q", b.Bytes()))
			return took, false
		}
		got := b.Bytes()[len(before):]
		if werr != nil {
			t.Errorf("cborFastEncode(%T) = true (%s), but the reference refuses it: %v", v, fastShort("%x", got), werr)
			return took, false
		}
		if err := cborModesOnce().dec.Wellformed(got); err != nil {
			t.Errorf("cborFastEncode(%T) wrote %s, which is not well-formed: %v", v, fastShort("%x", got), err)
			return took, false
		}
		if !fastSameEncoding(t, got, want, v) {
			return took, false
		}
	}
	return took, good
}

// checkFastSerialize requires CBOR{}.Serialize to behave as the reference:
// the same error-ness, and the same encoding up to map order.
func checkFastSerialize(t testing.TB, v any) bool {
	t.Helper()
	got, err := fastSerializeSafe(v)
	want, werr := fastRef(v)
	if sealableBefore(v, encCBOR) != nil {
		// A value sealableBefore refuses (a time RFC 3339 cannot write, a field the encoder leaves
		// out): the reference writes it, and it would not open again equal, so Serialize refuses it.
		if !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("CBOR{}.Serialize(%T): error %v, want ErrUnsupportedValue", v, err)
			return false
		}
		return true
	}
	if (err == nil) != (werr == nil) {
		t.Errorf("CBOR{}.Serialize(%T): error %v, reference error %v", v, err, werr)
		return false
	}
	if err != nil {
		return true
	}
	return fastSameEncoding(t, got, want, v)
}

// checkFastDecode decodes data into a new zero value of typ with the fast
// path, the reference and CBOR{}.Deserialize. When the fast path takes the
// input, the reference must succeed with an equal value; when it leaves
// it, the destination must be zero. Deserialize must match the reference
// in error-ness and value. Every decoder is given its own copy of data,
// which is overwritten afterwards, so a result that shares memory with
// the input shows up as a difference. mustTake requires the fast path to
// take the input. It returns what the fast path reported and the
// reference's error.
func checkFastDecode(t testing.TB, data []byte, typ reflect.Type, mustTake bool) (took bool, refErr error) {
	t.Helper()
	m := cborModesOnce()
	hx := fastShort("%x", data)

	// The reference is fxamacker/cbor with the rule CBOR{}.Deserialize
	// adds to every decoding it makes (checkPayload).
	want := reflect.New(typ)
	refErr = decodeCBOR(m.dec, data, want.Interface())

	in := bytes.Clone(data)
	got := reflect.New(typ)
	took = fastDecodeSafe(t, in, got.Interface())
	for i := range in {
		in[i] = 0xa5
	}
	switch {
	case took && refErr != nil:
		t.Errorf("cborFastDecode(%s, *%v) = true with %s, but the reference refuses it: %v", hx, typ, fastShort("%#v", got.Elem()), refErr)
	case took:
		if !fastEqual(want.Interface(), got.Interface()) {
			t.Errorf("cborFastDecode(%s, *%v): another value than the reference's %s", hx, typ, fastDiff(want.Interface(), got.Interface()))
		}
	case !got.Elem().IsZero():
		t.Errorf("cborFastDecode(%s, *%v) = false, but left %s, not the zero value", hx, typ, fastShort("%#v", got.Elem()))
	}
	if mustTake && !took {
		t.Errorf("cborFastDecode(%s, *%v) = false, want true (reference error: %v)", hx, typ, refErr)
	}

	in = bytes.Clone(data)
	via := reflect.New(typ)
	err := fastDeserializeSafe(t, in, via.Interface())
	for i := range in {
		in[i] = 0xa5
	}
	if (err == nil) != (refErr == nil) {
		t.Errorf("CBOR{}.Deserialize(%s, *%v): error %v, reference error %v", hx, typ, err, refErr)
	} else if err == nil {
		if !fastEqual(want.Interface(), via.Interface()) {
			t.Errorf("CBOR{}.Deserialize(%s, *%v): another value than the reference's %s", hx, typ, fastDiff(want.Interface(), via.Interface()))
		}
	}
	return took, refErr
}

// fastGen makes random values of types in the subset, leaning towards
// the edges of each kind: limits of integers, empty and nil containers,
// strings that are not UTF-8, zero times and times in odd zones.
type fastGen struct{ r *rand.Rand }

func newFastGen(seed uint64) *fastGen {
	return &fastGen{r: rand.New(rand.NewPCG(seed, 0x636f6f6b69657321))}
}

const fastGenDepth = 6

var fastZones = []*time.Location{
	time.UTC,
	time.Local,
	time.FixedZone("", 0),
	time.FixedZone("UTC", 0),
	time.FixedZone("", 3600),
	time.FixedZone("CET", 3600),
	time.FixedZone("", -5*3600),
	time.FixedZone("", 5*3600+30*60),
	time.FixedZone("", -(9*3600 + 30*60)),
	time.FixedZone("", 14*3600),
	time.FixedZone("", -12*3600),
}

func (g *fastGen) value(t reflect.Type) any {
	v := reflect.New(t).Elem()
	g.fill(v, 0)
	return v.Interface()
}

func (g *fastGen) fill(v reflect.Value, depth int) {
	t := v.Type()
	if t == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(g.time()))
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(g.r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(g.int(t.Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(g.uint(t.Bits()))
	case reflect.String:
		v.SetString(g.string())
	case reflect.Pointer:
		if depth >= fastGenDepth || g.r.IntN(4) == 0 {
			return
		}
		p := reflect.New(t.Elem())
		g.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if b := g.bytes(); b != nil {
				s := reflect.MakeSlice(t, len(b), len(b))
				for i, c := range b {
					s.Index(i).SetUint(uint64(c))
				}
				v.Set(s)
			}
			return
		}
		n := g.length(depth)
		if n < 0 {
			return
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			g.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		n := g.length(depth)
		if n < 0 {
			return
		}
		m := reflect.MakeMapWithSize(t, n)
		for range n {
			k := reflect.New(t.Key()).Elem()
			k.SetString(g.key())
			e := reflect.New(t.Elem()).Elem()
			g.fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range t.NumField() {
			// Leave a third of the fields zero, for omitempty and
			// omitzero.
			if t.Field(i).IsExported() && g.r.IntN(3) != 0 {
				g.fill(v.Field(i), depth+1)
			}
		}
	case reflect.Float32, reflect.Float64:
		v.SetFloat(g.float())
	case reflect.Interface:
		if t.NumMethod() == 0 {
			if x := g.anyValue(depth); x != nil {
				v.Set(reflect.ValueOf(x))
			}
		}
	default:
		panic("fastGen: unexpected kind " + t.Kind().String())
	}
}

var fastIntEdges = []int64{
	0, 1, -1, 23, 24, -24, -25, 255, 256, -256, -257, 65535, 65536, -65536, -65537,
	1<<32 - 1, 1 << 32, -(1 << 32), -(1 << 32) - 1, math.MaxInt64, math.MinInt64,
}

func (g *fastGen) int(bits int) int64 {
	lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
	switch g.r.IntN(8) {
	case 0:
		return hi
	case 1:
		return lo
	case 2, 3:
		if e := fastIntEdges[g.r.IntN(len(fastIntEdges))]; e >= lo && e <= hi {
			return e
		}
	}
	return int64(g.r.Uint64()) >> (64 - bits) >> g.r.IntN(bits)
}

func (g *fastGen) uint(bits int) uint64 {
	hi := uint64(math.MaxUint64) >> (64 - bits)
	switch g.r.IntN(8) {
	case 0:
		return hi
	case 1:
		return 0
	case 2, 3:
		if e := fastIntEdges[g.r.IntN(len(fastIntEdges))]; e >= 0 && uint64(e) <= hi {
			return uint64(e)
		}
	}
	return g.r.Uint64() >> (64 - bits) >> g.r.IntN(bits)
}

func (g *fastGen) string() string {
	switch g.r.IntN(12) {
	case 0:
		return ""
	case 1: // arbitrary bytes, rarely UTF-8
		b := make([]byte, 1+g.r.IntN(8))
		for i := range b {
			b[i] = byte(g.r.Uint32())
		}
		return string(b)
	case 2:
		return "héllo, 世界 🍪\x00"
	case 3: // lengths at the boundaries of the head
		lengths := []int{23, 24, 255, 256, 65535, 65536}
		n := lengths[g.r.IntN(4)]
		if g.r.IntN(16) == 0 {
			n = lengths[4+g.r.IntN(2)]
		}
		return strings.Repeat("x", n)
	}
	b := make([]byte, g.r.IntN(13))
	for i := range b {
		b[i] = byte(' ' + g.r.IntN(95))
	}
	return string(b)
}

// fastFloatEdges are finite doubles at the edges: signed zeros, the
// extremes and subnormals.
var fastFloatEdges = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, math.MaxFloat64, -math.MaxFloat64,
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 1 << 53, 1e300}

// float returns a finite float64: NaN and the infinities are left to the
// reference, and tested apart.
func (g *fastGen) float() float64 {
	if g.r.IntN(3) == 0 {
		return fastFloatEdges[g.r.IntN(len(fastFloatEdges))]
	}
	return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.IntN(40)-20))
}

// anyValue returns what an untyped session holds: nil, strings, integers
// of several Go types, booleans, doubles, bytes, times, a typed value,
// and []any and map[string]any nested a few levels; all of it within the
// fast path's limits.
func (g *fastGen) anyValue(depth int) any {
	container := depth < fastGenDepth
	switch g.r.IntN(14) {
	case 0:
		return nil
	case 1, 2:
		return g.string()
	case 3:
		return g.int(64)
	case 4:
		return int(g.int(64))
	case 5:
		return g.r.IntN(2) == 0
	case 6:
		return g.float()
	case 7:
		return g.bytes()
	case 8:
		return int32(g.int(32))
	case 9:
		if g.r.IntN(2) == 0 {
			return g.uint(63)
		}
		return g.time()
	case 10:
		// A typed value in an any (none holding a uint64 above
		// MaxInt64, which decodes as one): a struct by value or by pointer,
		// slices of structs, named types.
		switch g.r.IntN(6) {
		case 0:
			return fastSmall{A: int(g.int(16)), B: g.string()}
		case 1:
			return &fastSmall{A: int(g.int(16)), B: g.string()}
		case 2:
			return g.value(reflect.TypeFor[fastDAG]())
		case 3:
			return g.value(reflect.TypeFor[[]fastLine]())
		case 4:
			return g.value(reflect.TypeFor[*fastLine]())
		}
		return fastNStruct{A: int(g.int(16))}
	case 11, 12:
		if !container {
			return g.string()
		}
		n := g.length(depth)
		if n < 0 {
			return []any(nil)
		}
		a := make([]any, n)
		for i := range a {
			a[i] = g.anyValue(depth + 1)
		}
		return a
	}
	if !container {
		return g.int(16)
	}
	n := g.length(depth)
	if n < 0 {
		return map[string]any(nil)
	}
	m := make(map[string]any, n)
	for range n {
		m[g.key()] = g.anyValue(depth + 1)
	}
	return m
}

func (g *fastGen) key() string {
	switch g.r.IntN(8) {
	case 0:
		return ""
	case 1:
		return string([]byte{0xff, byte(g.r.Uint32())})
	}
	return fmt.Sprintf("k%d", g.r.IntN(50))
}

func (g *fastGen) bytes() []byte {
	switch g.r.IntN(8) {
	case 0:
		return nil
	case 1:
		return []byte{}
	case 2:
		return make([]byte, []int{23, 24, 256}[g.r.IntN(3)])
	}
	b := make([]byte, 1+g.r.IntN(40))
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

// length returns a container length, or -1 for nil.
func (g *fastGen) length(depth int) int {
	if depth >= fastGenDepth {
		return -1
	}
	switch n := g.r.IntN(24); {
	case n < 4:
		return -1
	case n < 7:
		return 0
	case n == 7 && depth < 2:
		return 24 + g.r.IntN(3)
	default:
		return 1 + g.r.IntN(3)
	}
}

var fastNanos = []int{0, 1, 100, 1000, 500000000, 999999999, 120000000}

func (g *fastGen) time() time.Time {
	zone := fastZones[g.r.IntN(len(fastZones))]
	switch g.r.IntN(14) {
	case 0:
		return time.Time{}
	case 1: // the zero instant, in a zone: still IsZero
		return time.Time{}.In(zone)
	case 2:
		return time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	case 3:
		return time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	case 4:
		return time.Unix(0, 0).In(zone)
	case 5:
		return time.Now() // with a monotonic reading
	}
	ns := fastNanos[g.r.IntN(len(fastNanos))]
	if g.r.IntN(2) == 0 {
		ns = g.r.IntN(1e9)
	}
	return time.Date(1+g.r.IntN(9998), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(31),
		g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), ns, zone)
}

// fastSubsetTypes are types in the subset whose random values the fast
// path must take, and whose encodings it must decode.
var fastSubsetTypes = []reflect.Type{
	reflect.TypeFor[fastSession](),
	reflect.TypeFor[*fastSession](),
	reflect.TypeFor[[]fastSession](),
	reflect.TypeFor[fastInts](),
	reflect.TypeFor[fastDeep](),
	reflect.TypeFor[fastOptional](),
	reflect.TypeFor[fastWide](),
	reflect.TypeFor[fastNulls](),
	reflect.TypeFor[fastTimes](),
	reflect.TypeFor[fastSmall](),
	reflect.TypeFor[fastDAG](),
	reflect.TypeFor[fastHidden](),
	reflect.TypeFor[map[string]fastLine](),
	reflect.TypeFor[map[string]string](),
	reflect.TypeFor[map[string]time.Time](),
	reflect.TypeFor[map[string]*int](),
	reflect.TypeFor[map[fastName][]byte](),
	reflect.TypeFor[[]string](),
	reflect.TypeFor[[][]int16](),
	reflect.TypeFor[[]*time.Time](),
	reflect.TypeFor[string](),
	reflect.TypeFor[int](),
	reflect.TypeFor[int64](),
	reflect.TypeFor[uint64](),
	reflect.TypeFor[int8](),
	reflect.TypeFor[uint16](),
	reflect.TypeFor[bool](),
	reflect.TypeFor[[]byte](),
	reflect.TypeFor[time.Time](),
	reflect.TypeFor[*time.Time](),
	reflect.TypeFor[**int](),
	reflect.TypeFor[fastTags](),
	reflect.TypeFor[fastAttrs](),
	reflect.TypeFor[fastBlob](),
	reflect.TypeFor[fastTimePtr](),
	reflect.TypeFor[fastOddZero](),
	reflect.TypeFor[fastStringer](),
	reflect.TypeFor[fastKeyInt](),
	reflect.TypeFor[fastKeyIntOdd](),
	reflect.TypeFor[map[string]any](),
	reflect.TypeFor[[]any](),
	reflect.TypeFor[fastAnyField](),
	reflect.TypeFor[fastFloatField](),
	reflect.TypeFor[fastUntyped](),
	reflect.TypeFor[float64](),
	reflect.TypeFor[map[string][]any](),
	reflect.TypeFor[map[string]int](),
	reflect.TypeFor[map[string]int64](),
	reflect.TypeFor[map[string]bool](),
	reflect.TypeFor[map[fastName]string](),
	reflect.TypeFor[fastPadded](),
	reflect.TypeFor[*fastPadded](),
	reflect.TypeFor[[]fastPadded](),
	reflect.TypeFor[fastNested](),
	reflect.TypeFor[*fastNested](),
	reflect.TypeFor[fastZeroSize](),
	reflect.TypeFor[[]fastZeroSize](),
	reflect.TypeFor[struct{}](),
	reflect.TypeFor[[]struct{}](),
	reflect.TypeFor[[]fastByteFields](),
	reflect.TypeFor[[][]fastByteFields](),
	reflect.TypeFor[map[string]fastPadded](),
	reflect.TypeFor[fastNLineM](),
	reflect.TypeFor[fastNPtr](),
	reflect.TypeFor[[]fastNPtr](),
	reflect.TypeFor[[]*fastPadded](),
	reflect.TypeFor[fastNBool](),
	reflect.TypeFor[fastNInt8](),
	reflect.TypeFor[fastNUint](),
	reflect.TypeFor[fastNFloat](),
	reflect.TypeFor[[]fastNInt32](),
	reflect.TypeFor[map[string]fastNUint16](),
	// What a store seals: the envelope, with data of a few kinds (none
	// with maps: their keyasint keys leave out the comparison up to map
	// order).
	reflect.TypeFor[envelope[fastInts]](),
	reflect.TypeFor[envelope[string]](),
	reflect.TypeFor[envelope[*fastSmall]](),
	reflect.TypeFor[envelope[[]*time.Time]](),
}

// fastWideStruct returns a struct type of n omitempty uint8 fields.
func fastWideStruct(n int) reflect.Type {
	fields := make([]reflect.StructField, n)
	for i := range fields {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[uint8](), Tag: `cbor:",omitempty"`}
	}
	return reflect.StructOf(fields)
}

// fastMaybeTypes are types the fast path may leave to the reference; if
// it takes them, it must agree with it.
var fastMaybeTypes = []reflect.Type{
	reflect.TypeFor[fastTimeCopy](),
	fastWideStruct(63),
	fastWideStruct(64),
	fastWideStruct(65),
	reflect.TypeFor[fastKeyIntText](),
	reflect.TypeFor[fastDupNames](),
	reflect.TypeFor[fastByteSeq](),
}

// TestCBORFastSupported checks which types are in the fast subset, rule by
// rule, and that cborFastEncode and cborFastDecode leave the types outside
// it alone.
func TestCBORFastSupported(t *testing.T) {
	for _, tc := range []struct {
		typ  reflect.Type
		want bool
	}{
		// Scalars.
		{reflect.TypeFor[bool](), true},
		{reflect.TypeFor[int](), true},
		{reflect.TypeFor[int8](), true},
		{reflect.TypeFor[int16](), true},
		{reflect.TypeFor[int32](), true},
		{reflect.TypeFor[int64](), true},
		{reflect.TypeFor[uint](), true},
		{reflect.TypeFor[uint8](), true},
		{reflect.TypeFor[uint16](), true},
		{reflect.TypeFor[uint32](), true},
		{reflect.TypeFor[uint64](), true},
		{reflect.TypeFor[uintptr](), false},
		{reflect.TypeFor[string](), true},
		{reflect.TypeFor[[]byte](), true},
		{reflect.TypeFor[time.Time](), true},
		{reflect.TypeFor[float32](), false},
		{reflect.TypeFor[float64](), true},
		{reflect.TypeFor[complex128](), false},
		{reflect.TypeFor[any](), true},
		{reflect.TypeFor[fastIface](), false},
		{reflect.TypeFor[error](), false},
		{reflect.TypeFor[chan int](), false},
		{reflect.TypeFor[func()](), false},
		{reflect.TypeFor[[4]byte](), false},
		{reflect.TypeFor[[0]int](), false},
		// Named types of subset kinds.
		{reflect.TypeFor[fastName](), true},
		{reflect.TypeFor[fastLevel](), true},
		{reflect.TypeFor[fastFlags](), true},
		{reflect.TypeFor[fastCount](), true},
		{reflect.TypeFor[fastStringer](), true},
		{reflect.TypeFor[fastBlob](), true},
		{reflect.TypeFor[fastByteSeq](), false}, // named elements are left to the reference
		{reflect.TypeFor[fastTags](), true},
		{reflect.TypeFor[fastAttrs](), true},
		{reflect.TypeFor[fastTimePtr](), true},
		{reflect.TypeFor[fastTimeCopy](), false}, // no visible field: a value that holds anything is refused, by the reference's path
		{reflect.TypeFor[fastOddZero](), true},   // IsZero() int is not IsZero() bool
		{reflect.TypeFor[time.Duration](), true},
		{reflect.TypeFor[time.Month](), true},
		// Pointers, slices and maps.
		{reflect.TypeFor[*int](), true},
		{reflect.TypeFor[**time.Time](), true},
		{reflect.TypeFor[*float64](), true},
		{reflect.TypeFor[*any](), true},
		{reflect.TypeFor[[]string](), true},
		{reflect.TypeFor[[][]byte](), true},
		{reflect.TypeFor[[]*time.Time](), true},
		{reflect.TypeFor[[]any](), true},
		{reflect.TypeFor[[][]float32](), false},
		{reflect.TypeFor[[][2]int](), false},
		{reflect.TypeFor[map[string]string](), true},
		{reflect.TypeFor[map[fastName]int](), true},
		{reflect.TypeFor[map[string][]byte](), true},
		{reflect.TypeFor[map[string]*fastSession](), true},
		{reflect.TypeFor[map[string]map[string]time.Time](), true},
		{reflect.TypeFor[map[int]string](), false},
		{reflect.TypeFor[map[bool]string](), false},
		{reflect.TypeFor[map[[2]string]int](), false},
		{reflect.TypeFor[map[fastText]string](), false}, // the key has MarshalText
		{reflect.TypeFor[map[string]any](), true},
		{reflect.TypeFor[map[string]fastIface](), false},
		{reflect.TypeFor[map[string]float64](), true},
		{reflect.TypeFor[map[string]float32](), false},
		// Structs.
		{reflect.TypeFor[fastSession](), true},
		{reflect.TypeFor[*fastSession](), true},
		{reflect.TypeFor[[]fastSession](), true},
		{reflect.TypeFor[map[string]fastSession](), true},
		{reflect.TypeFor[fastInts](), true},
		{reflect.TypeFor[fastDeep](), true},
		{reflect.TypeFor[fastOptional](), true},
		{reflect.TypeFor[fastWide](), true},
		{reflect.TypeFor[fastNulls](), true},
		{reflect.TypeFor[fastTimes](), true},
		{reflect.TypeFor[fastHidden](), true},
		{reflect.TypeFor[fastDAG](), true},
		{reflect.TypeFor[struct{}](), true},
		{reflect.TypeFor[fastFloatField](), true},
		{reflect.TypeFor[fastFloat32](), false},
		{reflect.TypeFor[fastAnyField](), true},
		{reflect.TypeFor[fastIfaceField](), false},
		{reflect.TypeFor[fastUntyped](), true},
		{reflect.TypeFor[fastEmbedded](), false},
		{reflect.TypeFor[fastEmbeddedPtr](), false},
		{reflect.TypeFor[fastEmbeddedTime](), false},
		{reflect.TypeFor[fastEmbeddedName](), false},
		{reflect.TypeFor[fastArrayField](), false},
		{reflect.TypeFor[fastChanField](), false},
		{reflect.TypeFor[fastFuncField](), false},
		{reflect.TypeFor[fastUintptrField](), false},
		{reflect.TypeFor[fastComplexField](), false},
		{reflect.TypeFor[fastErrField](), false},
		{reflect.TypeFor[fastBigField](), false},
		{reflect.TypeFor[fastRawField](), false},
		{reflect.TypeFor[fastToArray](), false},
		{reflect.TypeFor[fastUnderscore](), false},
		{reflect.TypeFor[fastUnderscoreSkip](), false},
		{reflect.TypeFor[fastKeyInt](), true},
		{reflect.TypeFor[fastKeyAsIntNested](), true},
		{reflect.TypeFor[fastKeyIntOdd](), true},
		{reflect.TypeFor[fastKeyIntBad](), false},
		// Recursive types.
		{reflect.TypeFor[fastNode](), false},
		{reflect.TypeFor[fastPNode](), false},
		{reflect.TypeFor[*fastPNode](), false},
		{reflect.TypeFor[fastMNode](), false},
		{reflect.TypeFor[fastSNode](), false},
		{reflect.TypeFor[fastMutA](), false},
		{reflect.TypeFor[fastMutB](), false},
		{reflect.TypeFor[fastViaNode](), false},
		// Types with methods fxamacker/cbor calls.
		{reflect.TypeFor[fastText](), false},
		{reflect.TypeFor[*fastText](), false},
		{reflect.TypeFor[[]fastText](), false},
		{reflect.TypeFor[fastUnText](), false},
		{reflect.TypeFor[fastCBORM](), false},
		{reflect.TypeFor[fastUnCBOR](), false},
		{reflect.TypeFor[fastBin](), false},
		{reflect.TypeFor[fastUnBin](), false},
		{reflect.TypeFor[fastJSONM](), false},
		{reflect.TypeFor[fastUnJSON](), false},
		{reflect.TypeFor[fastZeroer](), false},
		{reflect.TypeFor[fastPtrZeroer](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		// math/big and the cbor package.
		{reflect.TypeFor[big.Int](), false},
		{reflect.TypeFor[*big.Int](), false},
		{reflect.TypeFor[big.Float](), false},
		{reflect.TypeFor[big.Rat](), false},
		{reflect.TypeFor[cbor.RawMessage](), false},
		{reflect.TypeFor[cbor.ByteString](), false},
		{reflect.TypeFor[cbor.Tag](), false},
		{reflect.TypeFor[cbor.RawTag](), false},
		{reflect.TypeFor[cbor.SimpleValue](), false},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			if got := cborFastSupported(tc.typ); got != tc.want {
				t.Errorf("cborFastSupported(%v) = %v, want %v", tc.typ, got, tc.want)
			}
			// The zero value (except a nil interface, which has no
			// type): taken exactly when the type is in the subset,
			// and then encoded as the reference does.
			zero := reflect.New(tc.typ).Elem().Interface()
			if tc.typ.Kind() != reflect.Interface {
				checkFastEncode(t, zero, tc.want)
			}
			if !tc.want {
				var b bytes.Buffer
				if zero != nil && fastEncodeSafe(t, &b, zero) {
					t.Errorf("cborFastEncode took a %v", tc.typ)
				}
				for _, data := range [][]byte{{0xf6}, {0xa0}, {0x80}, {0x00}, {0x40}, {0x60}} {
					dst := reflect.New(tc.typ)
					if fastDecodeSafe(t, data, dst.Interface()) {
						t.Errorf("cborFastDecode(%x) took a *%v", data, tc.typ)
					}
				}
			}
		})
	}
}

// fastNestedSlices returns []…[]int nesting n arrays, one element each.
func fastNestedSlices(n int) any {
	v := reflect.ValueOf([]int{7})
	for range n - 1 {
		s := reflect.MakeSlice(reflect.SliceOf(v.Type()), 1, 1)
		s.Index(0).Set(v)
		v = s
	}
	return v.Interface()
}

// fastNestedAny returns []any{[]any{…{7}}}, nesting n slices.
func fastNestedAny(n int) any {
	var v any = []any{7}
	for range n - 1 {
		v = []any{v}
	}
	return v
}

// fastNestedMaps returns map[string]…map[string]int nesting n maps.
func fastNestedMaps(n int) any {
	v := reflect.ValueOf(map[string]int{"k": 7})
	for range n - 1 {
		m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), v.Type()))
		m.SetMapIndex(reflect.ValueOf("k"), v)
		v = m
	}
	return v.Interface()
}

// fastNestedStructs returns a struct nesting n structs, each of its own
// type holding a pointer to the next (so no type is recursive). The
// pointer of level nilAt, counted from the outside, is nil.
func fastNestedStructs(n, nilAt int) any {
	typ := reflect.StructOf([]reflect.StructField{{Name: "V", Type: reflect.TypeFor[int](), Tag: `cbor:"v"`}})
	v := reflect.New(typ).Elem()
	v.Field(0).SetInt(7)
	for level := n - 1; level >= 1; level-- {
		nt := reflect.StructOf([]reflect.StructField{{Name: "P", Type: reflect.PointerTo(v.Type()), Tag: `cbor:"p"`}})
		nv := reflect.New(nt).Elem()
		if level != nilAt {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			nv.Field(0).Set(p)
		}
		v = nv
	}
	return v.Interface()
}

// TestCBORFastEncodeMatches encodes chosen and random values with the fast
// path and the reference: the fast path must take every value of the
// subset within the limits and write the reference's bytes (up to map
// order), and must leave everything else, buffer untouched, to the
// reference, through which CBOR{}.Serialize then behaves as the reference.
func TestCBORFastEncodeMatches(t *testing.T) {
	t.Run("random", func(t *testing.T) {
		for i, typ := range fastSubsetTypes {
			t.Run(typ.String(), func(t *testing.T) {
				g := newFastGen(uint64(i) + 1)
				failures := 0
				for range 1500 {
					v := g.value(typ)
					if _, good := checkFastEncode(t, v, true); !good {
						failures++
					}
					if typ.Kind() != reflect.Pointer {
						// Through a pointer, as a caller may pass it.
						p := reflect.New(typ)
						p.Elem().Set(reflect.ValueOf(v))
						if _, good := checkFastEncode(t, p.Interface(), true); !good {
							failures++
						}
					}
					if !checkFastSerialize(t, v) {
						failures++
					}
					if failures > 5 {
						t.Fatal("too many failures")
					}
				}
			})
		}
		for i, typ := range fastMaybeTypes {
			t.Run(typ.String(), func(t *testing.T) {
				g := newFastGen(uint64(i) + 1000)
				for range 300 {
					v := g.value(typ)
					checkFastEncode(t, v, false)
					checkFastSerialize(t, v)
					if t.Failed() {
						return
					}
				}
			})
		}
	})

	someTime := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.FixedZone("", -7*3600))
	t.Run("edges", func(t *testing.T) {
		var (
			zero    int
			zeroPtr = &zero
			falseV  = false
			zt      = time.Time{}
			fixed   = time.FixedZone("X", 3600)
		)
		for _, v := range []any{
			// Integers at the limits of every size.
			int8(math.MinInt8), int8(math.MaxInt8), int16(math.MinInt16), int16(math.MaxInt16),
			int32(math.MinInt32), int32(math.MaxInt32), int64(math.MinInt64), int64(math.MaxInt64),
			int(math.MinInt), int(math.MaxInt), uint8(math.MaxUint8), uint16(math.MaxUint16),
			uint32(math.MaxUint32), uint64(math.MaxUint64), uint(math.MaxUint),
			int64(-24), int64(-25), int64(23), int64(24), int64(-256), int64(-257), uint64(1 << 32),
			fastInts{
				I: math.MinInt, I8: math.MinInt8, I16: math.MinInt16, I32: math.MinInt32, I64: math.MinInt64,
				U: math.MaxUint, U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64,
				B: true, PI: zeroPtr, S: []int64{math.MaxInt64, math.MinInt64, -1, 0},
			},
			fastInts{I: math.MaxInt, I8: math.MaxInt8, I16: math.MaxInt16, I32: math.MaxInt32, I64: math.MaxInt64},
			// Empty and nil.
			[]string(nil), []string{}, []byte(nil), []byte{}, fastBlob(nil), fastBlob{},
			map[string]string(nil), map[string]string{}, (*int)(nil), zeroPtr, (**int)(nil), &zeroPtr,
			(*fastSession)(nil), &fastSession{}, fastSession{}, fastSmall{}, struct{}{},
			fastNulls{}, fastDeep{}, fastOptional{}, fastWide{}, fastTimes{},
			"", "\xff\xfe", strings.Repeat("é", 12), strings.Repeat("x", 65536),
			// Omission rules.
			fastOptional{D: &falseV},                  // a pointer to false is not empty
			fastOptional{E: map[string]int{}},         // an empty map is empty
			fastOptional{C: []byte{}},                 // so is an empty []byte
			fastOptional{F: fastInner{Y: []string{}}}, // a struct of empty fields is empty
			fastOptional{F: fastInner{X: 1}},
			fastSession{Opt: fastOptional{F: fastInner{X: 1}}}, // not empty, deep down
			fastSession{OptZ: fastOptional{C: []byte{}}},       // not zero, but empty
			fastSession{Attrs: fastAttrs{}},                    // not zero
			fastSession{Ship: fastAddress{}},                   // not empty: Street is not omitempty
			fastSession{Seen: time.Time{}.In(fixed)},           // IsZero, yet not a zero struct
			fastSession{Kept: time.Time{}},                     // omitempty never omits a time
			fastSession{Expires: &zt},                          // a pointer to the zero time
			fastTimes{TZ: time.Time{}.In(fixed), P: &zt, PE: &zt, S: []time.Time{}, M: map[string]*time.Time{"a": nil}},
			fastTimes{T: someTime, TZ: someTime, TE: someTime, P: &someTime, JZ: someTime},
			fastTimes{N: fastTimePtr(&zt)}, // a named pointer to the zero time: no IsZero of its own
			fastTimes{N: fastTimePtr(&someTime)},
			fastWide{F00: 1, F23: 1, F24: 1},
			fastWide{F00: 1, F01: 1, F02: 1, F03: 1, F04: 1, F05: 1, F06: 1, F07: 1, F08: 1, F09: 1,
				F10: 1, F11: 1, F12: 1, F13: 1, F14: 1, F15: 1, F16: 1, F17: 1, F18: 1, F19: 1,
				F20: 1, F21: 1, F22: 1, F23: 1}, // 24 of 25 fields
			fastWide{F00: 1, F01: 1, F02: 1, F03: 1, F04: 1, F05: 1, F06: 1, F07: 1, F08: 1, F09: 1,
				F10: 1, F11: 1, F12: 1, F13: 1, F14: 1, F15: 1, F16: 1, F17: 1, F18: 1, F19: 1,
				F20: 1, F21: 1, F22: 1}, // 23 of 25
			// Times.
			time.Time{}, time.Time{}.In(fixed), time.Time{}.UTC(), &zt,
			time.Date(1, 1, 1, 0, 0, 0, 0, fixed), // the zero instant's day, but not the zero instant
			time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC),
			time.Date(2024, 1, 15, 10, 0, 0, 1, time.FixedZone("", 0)),
			time.Date(2024, 1, 15, 10, 0, 0, 500000000, time.FixedZone("", 5*3600+45*60)),
			time.Date(2024, 1, 15, 10, 0, 0, 120, time.FixedZone("EST", -5*3600)),
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.Local),
			time.Now(),
			someTime, &someTime, []time.Time{someTime, {}}, map[string]time.Time{"t": someTime},
		} {
			checkFastEncode(t, v, true)
			checkFastSerialize(t, v)
		}
	})

	t.Run("maybe", func(t *testing.T) {
		// The fast path may take these or not; if it does, it must
		// write the reference's bytes.
		full := make([]int, maxElements)
		fullMap := make(map[string]int, maxElements)
		for i := range maxElements {
			fullMap[fmt.Sprint(i)] = i
		}
		for _, v := range []any{
			nil,
			fastNestedSlices(MaxNesting), fastNestedMaps(MaxNesting), fastNestedStructs(MaxNesting, 0),
			fastNestedStructs(40, 30), // deep type, shallow value
			full, fullMap, make([]byte, maxElements+1), strings.Repeat("y", 1<<17),
			// Years in range in UTC but not locally, and the reverse.
			time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 2*3600)),
			time.Date(0, 1, 1, 0, 30, 0, 0, time.UTC).In(time.FixedZone("", -3600)),
			time.Date(10000, 1, 1, 1, 0, 0, 0, time.FixedZone("", 2*3600)),
			// An offset of more than 99 hours.
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("", 100*3600)),
			fastKeyIntText{A: 1, B: 2},
			fastDupNames{A: 1, B: 2, C: 3, D: 4},
			fastByteSeq{1, 2}, fastByteSeq{}, fastTimeCopy(someTime),
		} {
			checkFastEncode(t, v, false)
			checkFastSerialize(t, v)
		}
	})

	t.Run("refused", func(t *testing.T) {
		// The fast path must leave these alone: outside the subset,
		// or over the limits of what opens again.
		bad := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		neg := time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)
		long := make([]int, maxElements+1)
		longMap := make(map[string]int, maxElements+1)
		for i := range maxElements + 1 {
			longMap[fmt.Sprint(i)] = i
		}
		for _, v := range []any{
			float32(1), complex(1, 2),
			// Doubles that fxamacker/cbor converts, and untyped values
			// the fast path does not write.
			math.NaN(), math.Inf(1), math.Inf(-1), []float64{1, math.NaN()}, fastFloatField{A: math.Inf(1)},
			map[string]any{"a": float32(1)}, []any{1, math.NaN()}, map[string]any{"a": big.NewInt(1)},
			[]any{complex(1, 2)}, map[string]any{"a": fastText("x")}, fastAnyField{A: uintptr(1)},
			map[string]any{"a": make([]any, maxElements+1)}, fastIfaceField{A: 1},
			fastNestedAny(fastAnyDepth + 2), fastAnyField{A: fastNestedAny(fastAnyDepth + 1)},
			map[string]any{"a": []any{fastNestedSlices(fastAnyDepth)}},
			make(chan int), func() {}, uintptr(1), [4]byte{1, 2, 3, 4},
			big.NewInt(1), *big.NewInt(1), cbor.RawMessage{0x01}, cbor.Tag{Number: 100, Content: 1},
			fastText("a"), fastCBORM{A: 1}, fastZeroer{A: 2}, fastBin{1}, fastJSONM(1),
			fastEmbedded{B: 1}, fastArrayField{},
			fastNode{Kids: []fastNode{{}}}, &fastPNode{Next: &fastPNode{}}, fastMNode{"a": {}},
			fastToArray{A: 1}, fastUnderscore{A: 1}, fastKeyIntBad{A: 1},
			// Times RFC 3339 cannot write: years outside 0..9999, alone
			// and after other output; offsets with seconds, or of 24
			// hours or more.
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("", 3600+59)),
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("", -17)),
			time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("", 24*3600)),
			bad, neg, &bad, []time.Time{{}, bad}, map[string]time.Time{"a": bad},
			fastSession{UserID: 1, Name: "n", Kept: bad},
			fastSession{UserID: 1, Lines: []fastLine{{SKU: "a"}}, Roles: []fastName{"r"}, OptZ: fastOptional{A: 1}, Attrs: fastAttrs{"x": "y"}, Renamed: "r", Expires: &neg},
			// Nesting beyond MaxNesting.
			fastNestedSlices(MaxNesting + 1), fastNestedSlices(40),
			fastNestedMaps(MaxNesting + 1), fastNestedStructs(MaxNesting+1, 0), fastNestedStructs(40, 0),
			// More elements than an array or map may hold.
			long, longMap, make([][]byte, maxElements+1), make([]fastSmall, maxElements+1),
			fastSession{Lines: make([]fastLine, maxElements+1)},
			fastDeep{SS: [][]string{{"a"}, make([]string, maxElements+1)}},
		} {
			name := fmt.Sprintf("%T", v)
			var b bytes.Buffer
			b.WriteString("before")
			if fastEncodeSafe(t, &b, v) {
				t.Errorf("cborFastEncode(%s) = true, want false", name)
			}
			if b.String() != "before" {
				t.Errorf("cborFastEncode(%s) changed the buffer to %q", name, b.Bytes())
			}
			checkFastSerialize(t, v)
		}
	})
}

// fastHex decodes hexadecimal, ignoring spaces.
func fastHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// fastHead returns the shortest head of major type major with argument n.
func fastHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= math.MaxUint8:
		return []byte{m | 24, byte(n)}
	case n <= math.MaxUint16:
		return []byte{m | 25, byte(n >> 8), byte(n)}
	case n <= math.MaxUint32:
		return []byte{m | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{m | 27, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// fastTextItem returns the CBOR text string s.
func fastTextItem(s string) []byte { return append(fastHead(3, uint64(len(s))), s...) }

// fastMapItem returns a CBOR map of the given keys and values, in order.
func fastMapItem(kv ...[]byte) []byte {
	return bytes.Join(append([][]byte{fastHead(5, uint64(len(kv)/2))}, kv...), nil)
}

// fastCat concatenates data items.
func fastCat(items ...[]byte) []byte { return bytes.Join(items, nil) }

// fastNestedSliceType returns []…[]int with n levels of slices.
func fastNestedSliceType(n int) reflect.Type {
	t := reflect.TypeFor[int]()
	for range n {
		t = reflect.SliceOf(t)
	}
	return t
}

// fastNestedMapType returns map[string]…int with n levels of maps.
func fastNestedMapType(n int) reflect.Type {
	t := reflect.TypeFor[int]()
	for range n {
		t = reflect.MapOf(reflect.TypeFor[string](), t)
	}
	return t
}

type fastDecodeCase struct {
	name string
	data []byte
	// typ is the type the case is about; refuse says whether the
	// reference refuses data for it.
	typ    reflect.Type
	refuse bool
}

// fastDecodeTargets are the types every decoding case is also tried on.
var fastDecodeTargets = append([]reflect.Type{
	reflect.TypeFor[int](),
	reflect.TypeFor[uint](),
	reflect.TypeFor[uint8](),
	reflect.TypeFor[int32](),
	reflect.TypeFor[uint32](),
	reflect.TypeFor[fastName](),
	reflect.TypeFor[[]int](),
	reflect.TypeFor[[][]int](),
	reflect.TypeFor[map[string]int](),
	reflect.TypeFor[map[string][]byte](),
	reflect.TypeFor[*int](),
	reflect.TypeFor[*fastSmall](),
	reflect.TypeFor[*[]string](),
	fastNestedSliceType(MaxNesting),
	fastNestedMapType(16),
}, append(fastSubsetTypes, fastMaybeTypes...)...)

// fastDecodeCases are hand-written inputs at the edges of what the
// reference accepts.
func fastDecodeCases() []fastDecodeCase {
	var (
		tInt      = reflect.TypeFor[int]()
		tInt8     = reflect.TypeFor[int8]()
		tInt64    = reflect.TypeFor[int64]()
		tUint     = reflect.TypeFor[uint]()
		tUint8    = reflect.TypeFor[uint8]()
		tUint16   = reflect.TypeFor[uint16]()
		tUint64   = reflect.TypeFor[uint64]()
		tBool     = reflect.TypeFor[bool]()
		tString   = reflect.TypeFor[string]()
		tBytes    = reflect.TypeFor[[]byte]()
		tTime     = reflect.TypeFor[time.Time]()
		tPTime    = reflect.TypeFor[*time.Time]()
		tPInt     = reflect.TypeFor[*int]()
		tInts     = reflect.TypeFor[[]int]()
		tMap      = reflect.TypeFor[map[string]int]()
		tMapTime  = reflect.TypeFor[map[string]time.Time]()
		tSmall    = reflect.TypeFor[fastSmall]()
		tNulls    = reflect.TypeFor[fastNulls]()
		tSession  = reflect.TypeFor[fastSession]()
		tKeyInt   = reflect.TypeFor[fastKeyInt]()
		tAnyMap   = reflect.TypeFor[map[string]any]()
		tAnys     = reflect.TypeFor[[]any]()
		tAnyField = reflect.TypeFor[fastAnyField]()

		a, b, z = fastTextItem("a"), fastTextItem("b"), fastTextItem("z")
	)
	tm := func(s string) []byte { return fastTextItem(s) }
	cases := []fastDecodeCase{
		// Keys of structs and maps.
		{"duplicate struct key", fastMapItem(a, []byte{0x01}, a, []byte{0x02}), tSmall, true},
		{"duplicate map key", fastMapItem(a, []byte{0x01}, a, []byte{0x02}), tMap, true},
		{"duplicate unknown struct key", fastMapItem(z, []byte{0x01}, z, []byte{0x02}), tSmall, true},
		{"duplicate struct key after null", fastMapItem(a, []byte{0xf6}, a, []byte{0x02}), tSmall, true},
		{"duplicate map key after null", fastMapItem(a, []byte{0xf6}, a, []byte{0x02}), tMap, true},
		{"duplicate struct key far apart", fastMapItem(a, []byte{0x01}, b, tm("x"), z, []byte{0x00}, a, []byte{0x01}), tSmall, true},
		{"unknown struct key", fastMapItem(a, []byte{0x01}, z, []byte{0x02}), tSmall, false},
		{"key in another case", fastMapItem(tm("A"), []byte{0x01}), tSmall, false},
		{"key in another case, then exact", fastMapItem(tm("A"), []byte{0x01}, a, []byte{0x02}), tSmall, false},
		{"fields out of order", fastMapItem(b, tm("x"), a, []byte{0x01}), tSmall, false},
		{"skipped field's name", fastMapItem(tm("Secret"), tm("s"), tm("Hidden"), []byte{0x01}, tm("-"), []byte{0x02}), tSession, false},
		{"json name under a cbor tag", fastMapItem(tm("json_r"), tm("x")), tSession, false},
		{"unexported field's name", fastMapItem(tm("internal"), []byte{0x05}), tSession, false},
		{"integer map key", fastMapItem([]byte{0x01}, []byte{0x02}), tMap, true},
		{"integer struct key", fastMapItem([]byte{0x01}, []byte{0x02}), tSmall, false},
		{"integer struct key 0", fastMapItem([]byte{0x00}, []byte{0x02}), tSmall, false},
		{"integer struct key -1", fastMapItem([]byte{0x20}, []byte{0x02}), tSmall, false},
		{"repeated integer struct key", fastMapItem([]byte{0x01}, []byte{0x02}, []byte{0x01}, []byte{0x03}), tSmall, true},
		{"integer keys", fastMapItem([]byte{0x01}, []byte{0x05}, []byte{0x21}, tm("x")), tKeyInt, false},
		{"text key for an integer field", fastMapItem(tm("1"), []byte{0x05}), tKeyInt, false},
		{"repeated integer key", fastMapItem([]byte{0x01}, []byte{0x05}, []byte{0x01}, []byte{0x06}), tKeyInt, true},
		{"integer key as non-shortest head", fastMapItem([]byte{0x18, 0x01}, []byte{0x05}), tKeyInt, false},
		{"integer key out of int64", fastMapItem(fastHex("1b ffffffffffffffff"), []byte{0x05}), tKeyInt, true},
		{"negative integer key out of int64", fastMapItem(fastHex("3b ffffffffffffffff"), []byte{0x05}), tKeyInt, true},
		{"integer keys at the limits", fastMapItem(fastHex("3b 7fffffffffffffff"), tm("x"), fastHex("1b 7fffffffffffffff"), []byte{0x05}, []byte{0x00}, []byte{0x80}, []byte{0x02}, []byte{0x03}),
			reflect.TypeFor[fastKeyIntOdd](), false},
		{"integer key in text form", fastMapItem(tm("+1"), []byte{0x05}), reflect.TypeFor[fastKeyIntOdd](), false},
		{"integer and text keys", fastMapItem([]byte{0x01}, []byte{0x05}, tm("1"), []byte{0x06}), reflect.TypeFor[fastKeyIntText](), false},
		{"byte string struct key", fastMapItem(fastHex("41 61"), []byte{0x01}), tSmall, true},
		{"byte string map key", fastMapItem(fastHex("41 61"), []byte{0x01}), tMap, true},
		{"null map key", fastMapItem([]byte{0xf6}, []byte{0x01}), tMap, false},
		{"null struct key", fastMapItem([]byte{0xf6}, []byte{0x01}), tSmall, true},
		{"array struct key", fastMapItem([]byte{0x80}, []byte{0x01}), tSmall, true},
		{"empty map key", fastMapItem(tm(""), []byte{0x01}), tMap, false},
		{"empty struct key", fastMapItem(tm(""), []byte{0x01}), tSmall, false},
		{"non-UTF-8 map key", fastMapItem(fastHex("62 ff fe"), []byte{0x01}), tMap, false},
		{"non-UTF-8 text", fastHex("62 ff fe"), tString, false},
		// Indefinite lengths.
		{"indefinite-length array", fastHex("9f 01 02 ff"), tInts, true},
		{"empty indefinite-length array", fastHex("9f ff"), tInts, true},
		{"indefinite-length map", fastCat([]byte{0xbf}, a, []byte{0x01, 0xff}), tSmall, true},
		{"indefinite-length map into a map", fastCat([]byte{0xbf}, a, []byte{0x01, 0xff}), tMap, true},
		{"indefinite-length text", fastHex("7f 61 61 ff"), tString, true},
		{"indefinite-length bytes", fastHex("5f 41 01 ff"), tBytes, true},
		{"indefinite-length text in a field", fastMapItem(b, fastHex("7f 61 61 ff")), tSmall, true},
		{"indefinite-length text as a time", fastHex("7f 6a 32303234 2d30312d3135 6a 5431303a30303a30305a ff"), tTime, true},
		// Tags.
		{"self-described", fastCat(fastHex("d9 d9f7"), fastMapItem(a, []byte{0x01})), tSmall, false},
		{"self-described null into a pointer", fastHex("d9 d9f7 f6"), tPInt, false},
		{"self-described field", fastMapItem(a, fastHex("d9 d9f7 05")), tSmall, false},
		{"tag 0 on a time", fastCat([]byte{0xc0}, tm("2024-01-15T10:00:00Z")), tTime, false},
		{"tag 0 on a time in a pointer", fastCat([]byte{0xc0}, tm("2024-01-15T10:00:00Z")), tPTime, false},
		{"tag 1 on an integer time", fastHex("c1 1a 5f5e1000"), tTime, false},
		{"tag 1 on a float time", fastHex("c1 fb 41d7d78400000000"), tTime, false},
		{"tag 1 on a text time", fastCat([]byte{0xc1}, tm("2024-01-15T10:00:00Z")), tTime, true},
		{"tag 0 on an integer", fastHex("c0 01"), tTime, true},
		{"tag 0 on text into a string", fastCat([]byte{0xc0}, tm("x")), tString, false},
		{"tag 0 on an integer into an int", fastHex("c0 01"), tInt, true},
		{"unknown tag on an integer", fastHex("d8 64 05"), tInt, false},
		{"unknown tag on a time", fastCat(fastHex("d8 64"), tm("2024-01-15T10:00:00Z")), tTime, false},
		{"unknown tag on null into a pointer", fastHex("d8 64 f6"), tPInt, false},
		{"unknown tag on null into a time pointer", fastHex("d8 64 f6"), tPTime, false},
		{"tags nested 40 deep", fastCat(bytes.Repeat(fastHex("d8 64"), 40), []byte{0x00}), tInt, true},
		{"bignum", fastHex("c2 41 05"), tInt, false},
		{"bignum overflowing uint64", fastHex("c2 49 01 0000000000000000"), tUint64, true},
		{"negative bignum", fastHex("c3 41 00"), tInt, false},
		{"bignum tag on an integer", fastHex("c2 01"), tInt, true},
		{"bignum into bytes", fastHex("c2 42 0102"), tBytes, false},
		// Integers out of range.
		{"int8 128", fastHex("18 80"), tInt8, true},
		{"int8 -129", fastHex("38 80"), tInt8, true},
		{"int8 -128", fastHex("38 7f"), tInt8, false},
		{"int8 127", fastHex("18 7f"), tInt8, false},
		{"uint8 256", fastHex("19 0100"), tUint8, true},
		{"uint16 65536", fastHex("1a 00010000"), tUint16, true},
		{"uint16 65535", fastHex("19 ffff"), tUint16, false},
		{"-1 into uint", fastHex("20"), tUint, true},
		{"-1 into uint8", fastHex("20"), tUint8, true},
		{"-1 into uint64", fastHex("20"), tUint64, true},
		{"int64 2^63", fastHex("1b 8000000000000000"), tInt64, true},
		{"int 2^63", fastHex("1b 8000000000000000"), tInt, true},
		{"int64 -2^63", fastHex("3b 7fffffffffffffff"), tInt64, false},
		{"int64 -2^63-1", fastHex("3b 8000000000000000"), tInt64, true},
		{"int64 -2^64", fastHex("3b ffffffffffffffff"), tInt64, true},
		{"uint64 max", fastHex("1b ffffffffffffffff"), tUint64, false},
		{"uint64 max into int64", fastHex("1b ffffffffffffffff"), tInt64, true},
		{"int8 overflow in a struct", fastMapItem(tm("I8"), fastHex("18 80")), reflect.TypeFor[fastInts](), true},
		{"uint16 overflow in a session", fastMapItem(tm("name"), tm("n"), tm("lvl"), fastHex("19 8000")), tSession, true},
		{"negative into a uint field", fastMapItem(tm("U64"), fastHex("20")), reflect.TypeFor[fastInts](), true},
		// Null and undefined.
		{"null into every kind of field", fastMapItem(
			tm("p"), []byte{0xf6}, tm("s"), []byte{0xf6}, tm("m"), []byte{0xf6}, tm("b"), []byte{0xf6},
			tm("t"), []byte{0xf6}, tm("pt"), []byte{0xf6}, tm("str"), []byte{0xf6}, tm("i"), []byte{0xf6},
			tm("u"), []byte{0xf6}, tm("bo"), []byte{0xf6}, tm("st"), []byte{0xf6}, tm("ps"), []byte{0xf6},
			tm("mt"), []byte{0xf6}), tNulls, false},
		{"undefined into every kind of field", fastMapItem(
			tm("p"), []byte{0xf7}, tm("s"), []byte{0xf7}, tm("m"), []byte{0xf7}, tm("b"), []byte{0xf7},
			tm("t"), []byte{0xf7}, tm("pt"), []byte{0xf7}, tm("str"), []byte{0xf7}, tm("i"), []byte{0xf7},
			tm("u"), []byte{0xf7}, tm("bo"), []byte{0xf7}, tm("st"), []byte{0xf7}, tm("ps"), []byte{0xf7},
			tm("mt"), []byte{0xf7}), tNulls, false},
		{"null", []byte{0xf6}, tSession, false},
		{"undefined", []byte{0xf7}, tPInt, false},
		{"null in a map of times", fastMapItem(a, []byte{0xf6}), tMapTime, false},
		{"null in a map of pointers", fastMapItem(a, []byte{0xf6}), reflect.TypeFor[map[string]*int](), false},
		{"null in an array", fastHex("82 f6 01"), tInts, false},
		{"null in an array of pointers", fastHex("82 f6 01"), reflect.TypeFor[[]*int](), false},
		// Floats and simple values.
		{"half float into int", fastHex("f9 3c00"), tInt, true},
		{"single float into int", fastHex("fa 3f800000"), tInt, true},
		{"double float into int", fastHex("fb 3ff0000000000000"), tInt, true},
		{"NaN into int", fastHex("f9 7e00"), tInt, true},
		{"float time", fastHex("fb 3ff8000000000000"), tTime, false},
		{"half float time", fastHex("f9 3c00"), tTime, false},
		{"infinite time", fastHex("f9 7c00"), tTime, false},
		{"integer time", fastHex("1a 5f5e1000"), tTime, false},
		{"negative integer time", fastHex("20"), tTime, false},
		{"time overflowing int64", fastHex("1b ffffffffffffffff"), tTime, true},
		{"simple value 16", fastHex("f0"), tInt, false},
		{"simple value 32", fastHex("f8 20"), tInt, false},
		{"simple value 16 in two bytes", fastHex("f8 10"), tInt, true},
		{"false", fastHex("f4"), tBool, false},
		{"true into int", fastHex("f5"), tInt, true},
		{"false into string", fastHex("f4"), tString, true},
		// Other mismatched types.
		{"text into bytes", fastHex("61 61"), tBytes, true},
		{"bytes into string", fastHex("41 61"), tString, true},
		{"bytes into a time", fastCat([]byte{0x54}, []byte("2024-01-15T10:00:00Z")), tTime, true},
		{"text into int", fastHex("61 31"), tInt, true},
		{"integer into string", fastHex("01"), tString, true},
		{"integer into bool", fastHex("01"), tBool, true},
		{"array into struct", fastHex("82 01 02"), tSmall, true},
		{"map into slice", fastHex("a0"), tInts, true},
		{"array into map", fastHex("80"), tMap, true},
		{"map into int", fastHex("a0"), tInt, true},
		{"array into time", fastHex("80"), tTime, true},
		{"map into time", fastHex("a0"), tTime, true},
		{"true into time", fastHex("f5"), tTime, true},
		{"array into bytes", fastHex("83 01 02 03"), tBytes, false},
		{"array of a large integer into bytes", fastHex("83 01 02 19 0100"), tBytes, true},
		{"error after good elements", fastHex("83 01 02 f5"), tInts, true},
		{"error in a later field", fastMapItem(a, []byte{0x01}, b, []byte{0x01}), tSmall, true},
		{"error in a later map value", fastMapItem(a, []byte{0x01}, b, []byte{0xf5}), tMap, true},
		{"error deep in a session", fastMapItem(tm("uid"), []byte{0x01}, tm("lines"), fastHex("81 a1 63 534b55 01")), tSession, true},
		// Malformed data.
		{"empty input", nil, tInt, true},
		{"empty input into a struct", nil, tSmall, true},
		{"trailing byte", fastHex("01 00"), tInt, true},
		{"trailing byte after a struct", fastCat(fastMapItem(a, []byte{0x01}), []byte{0x00}), tSmall, true},
		{"two nulls", fastHex("f6 f6"), tPInt, true},
		{"break alone", fastHex("ff"), tInt, true},
		{"break in a definite array", fastHex("82 01 ff"), tInts, true},
		{"array of 2^32-1 claimed", fastHex("9a ffffffff 00"), tInts, true},
		{"array of 2^32 claimed", fastHex("9b 0000000100000000 00"), tInts, true},
		{"array of 2^64-1 claimed", fastHex("9b ffffffffffffffff 00"), tInts, true},
		{"map of 2^64-1 claimed", fastHex("bb ffffffffffffffff 00"), tMap, true},
		{"map of 65537 pairs claimed", fastHex("ba 00010001 00"), tSmall, true},
		{"bytes of 2^64-1 claimed", fastHex("5b ffffffffffffffff 00"), tBytes, true},
		{"text of 2^64-1 claimed", fastHex("7b ffffffffffffffff 61"), tString, true},
		{"text of 2^31-1 claimed", fastHex("7a 7fffffff 61"), tString, true},
		{"bytes of 65536 claimed", fastHex("5a 00010000 00"), tBytes, true},
		{"text cut short in a struct", fastMapItem(b, fastHex("63 6161")), tSmall, true},
		// Non-shortest heads, which the reference accepts.
		{"integer in one byte", fastHex("18 05"), tInt, false},
		{"integer in two bytes", fastHex("19 0005"), tInt, false},
		{"integer in four bytes", fastHex("1a 00000005"), tInt, false},
		{"integer in eight bytes", fastHex("1b 0000000000000005"), tInt, false},
		{"negative integer in one byte", fastHex("38 00"), tInt, false},
		{"text length in one byte", fastHex("78 01 61"), tString, false},
		{"bytes length in two bytes", fastHex("59 0001 ff"), tBytes, false},
		{"array length in one byte", fastHex("98 01 05"), tInts, false},
		{"map length in one byte", fastCat([]byte{0xb8, 0x01}, a, []byte{0x01}), tSmall, false},
		{"struct key in one byte", fastMapItem(fastHex("78 01 61"), []byte{0x01}), tSmall, false},
		{"time text length in one byte", fastCat(fastHex("78 14"), []byte("2024-01-15T10:00:00Z")), tTime, false},
		// Times.
		{"time with Z", tm("2024-01-15T10:00:00Z"), tTime, false},
		{"time with +01:00", tm("2024-01-15T10:00:00+01:00"), tTime, false},
		{"time with -07:30", tm("2024-01-15T10:00:00.5-07:30"), tTime, false},
		{"time with +00:00", tm("2024-01-15T10:00:00+00:00"), tTime, false},
		{"time with -00:00", tm("2024-01-15T10:00:00-00:00"), tTime, false},
		{"time with nanoseconds", tm("2024-01-15T10:00:00.123456789Z"), tTime, false},
		{"time with ten fractional digits", tm("2024-01-15T10:00:00.1234567891Z"), tTime, false},
		{"time with a comma", tm("2024-01-15T10:00:00,5Z"), tTime, false},
		{"zero time", tm("0001-01-01T00:00:00Z"), tTime, false},
		{"zero instant at +01:00", tm("0001-01-01T01:00:00+01:00"), tTime, false},
		{"year 0", tm("0000-01-01T00:00:00Z"), tTime, false},
		{"year 9999", tm("9999-12-31T23:59:59.999999999Z"), tTime, false},
		{"time in a pointer", tm("2024-01-15T10:00:00+01:00"), tPTime, false},
		{"time in a map", fastMapItem(a, tm("2024-01-15T10:00:00+01:00")), tMapTime, false},
		{"not a time", tm("not a time"), tTime, true},
		{"empty time", tm(""), tTime, true},
		{"time without a zone", tm("2024-01-15T10:00:00"), tTime, true},
		{"date alone", tm("2024-01-15"), tTime, true},
		{"month 13", tm("2024-13-01T00:00:00Z"), tTime, true},
		{"February 30", tm("2024-02-30T00:00:00Z"), tTime, true},
		{"hour 24", tm("2024-01-15T24:00:00Z"), tTime, true},
		{"second 60", tm("2024-01-15T10:00:60Z"), tTime, true},
		{"year 10000", tm("10000-01-01T00:00:00Z"), tTime, true},
		{"negative year", tm("-0001-01-01T00:00:00Z"), tTime, true},
		{"offset +24:00", tm("2024-01-15T10:00:00+24:00"), tTime, false},
		{"offset without colon", tm("2024-01-15T10:00:00+0100"), tTime, true},
		{"space for T", tm("2024-01-15 10:00:00Z"), tTime, true},
		{"leading space", tm(" 2024-01-15T10:00:00Z"), tTime, true},
		{"trailing text", tm("2024-01-15T10:00:00Zx"), tTime, true},
		{"time with lower-case t and z", tm("2024-01-15t10:00:00z"), tTime, true},
		{"time with a dot and no digits", tm("2024-01-15T10:00:00.Z"), tTime, true},
		{"time with a zone name", tm("2024-01-15T10:00:00 UTC"), tTime, true},
		{"non-UTF-8 time", tm("2024-01-15T10:00:00\xffZ"), tTime, true},
		{"invalid time in a session", fastMapItem(tm("created"), tm("yesterday")), tSession, true},

		// Untyped values: what fxamacker/cbor decodes into an any.
		{"untyped duplicate key", fastMapItem(a, []byte{0x01}, a, []byte{0x02}), tAnyMap, true},
		{"untyped duplicate key after null", fastMapItem(a, []byte{0xf6}, a, []byte{0x02}), tAnyMap, true},
		{"untyped nested duplicate key", fastMapItem(a, fastMapItem(b, []byte{0x01}, b, []byte{0x01})), tAnyMap, true},
		{"untyped integer key", fastMapItem([]byte{0x01}, []byte{0x02}), tAnyMap, true},
		{"untyped nested integer key", fastMapItem(a, fastMapItem([]byte{0x01}, []byte{0x02})), tAnyMap, true},
		{"untyped byte-string key", fastMapItem(fastHex("41 61"), []byte{0x02}), tAnyMap, true},
		{"untyped array key", fastMapItem(a, fastMapItem(fastHex("81 01"), []byte{0x02})), tAnyMap, true},
		{"untyped integers", fastHex("88 00 17 18 18 19 0100 1a 00010000 1b 7fffffffffffffff 20 3b 7fffffffffffffff"), tAnys, false},
		{"untyped integer above int64", fastHex("81 1b 8000000000000000"), tAnys, false},
		{"untyped integer below int64", fastHex("81 3b 8000000000000000"), tAnys, false},
		{"untyped largest integers", fastHex("82 1b ffffffffffffffff 3b ffffffffffffffff"), tAnys, false},
		{"untyped non-shortest integer", fastHex("81 18 05"), tAnys, false},
		{"untyped non-shortest length", fastHex("81 78 01 61"), tAnys, false},
		{"untyped doubles", fastHex("84 fb 3ff8000000000000 fb 8000000000000000 fb 7fefffffffffffff fb 0000000000000001"), tAnys, false},
		{"untyped NaN and infinities", fastHex("83 fb 7ff8000000000000 fb 7ff0000000000000 fb fff0000000000000"), tAnys, false},
		{"untyped half and single floats", fastHex("82 f9 3c00 fa 3fc00000"), tAnys, false},
		{"untyped float16 NaN", fastHex("81 f9 7e00"), tAnys, false},
		{"untyped short double", fastHex("81 fb 3ff8"), tAnys, true},
		{"untyped simple values", fastHex("85 f4 f5 f6 f7 f0"), tAnys, false},
		{"untyped simple value 32", fastHex("81 f8 20"), tAnys, false},
		{"untyped undefined", fastHex("81 f7"), tAnys, false},
		{"untyped tag", fastHex("81 c1 1a 514b67b0"), tAnys, false},
		{"untyped bignum tag", fastHex("81 c2 49 010000000000000000"), tAnys, false},
		{"untyped self-described CBOR", fastHex("d9d9f7 81 01"), tAnys, false},
		{"untyped bytes and text", fastHex("84 40 43 010203 60 63 ff0061"), tAnys, false},
		{"untyped empty containers", fastHex("83 80 a0 81 80"), tAnys, false},
		{"untyped indefinite array", fastHex("81 9f 01 ff"), tAnys, true},
		{"untyped indefinite map", fastHex("81 bf 61 61 01 ff"), tAnys, true},
		{"untyped indefinite text", fastHex("81 7f 61 61 ff"), tAnys, true},
		{"untyped truncated", fastHex("82 01"), tAnys, true},
		{"untyped array longer than the input", fastHex("81 9b 00000000ffffffff"), tAnys, true},
		{"untyped map longer than the input", fastHex("a1 61 61 bb 00000000ffffffff"), tAnyMap, true},
		{"untyped into a field", fastMapItem(tm("A"), fastHex("82 01 a1 61 62 f5")), tAnyField, false},
		{"untyped null into a field", fastMapItem(tm("A"), []byte{0xf6}), tAnyField, false},
		{"untyped struct as a map", fastMapItem(tm("A"), []byte{0x01}, tm("B"), tm("x")), tAnyMap, false},
	}
	// Untyped nesting at and past the fast path's depth and MaxNesting.
	for _, n := range []int{fastAnyDepth, fastAnyDepth + 1, fastAnyDepth + 2, MaxNesting - 1, MaxNesting, MaxNesting + 1} {
		arrays := append(bytes.Repeat([]byte{0x81}, n), 0x00)
		maps := append(bytes.Repeat([]byte{0xa1, 0x61, 'a'}, n), 0x00) // {"a": {"a": … 0}}
		cases = append(cases,
			fastDecodeCase{fmt.Sprintf("untyped arrays nested %d", n), arrays, tAnys, n > MaxNesting},
			fastDecodeCase{fmt.Sprintf("untyped maps nested %d", n), maps, tAnyMap, n > MaxNesting},
		)
	}
	// Reserved additional information, and indefinite lengths where
	// there can be none.
	for _, c := range []byte{0x1c, 0x1d, 0x1e, 0x1f, 0x3c, 0x3d, 0x3e, 0x3f, 0x5c, 0x7c, 0x9c, 0xbc, 0xdc, 0xdf, 0xfc, 0xfd, 0xfe} {
		cases = append(cases, fastDecodeCase{fmt.Sprintf("initial byte %#x", c), []byte{c, 0, 0, 0, 0, 0, 0, 0, 0}, tInt, true})
	}
	// Nesting.
	for _, n := range []int{MaxNesting, MaxNesting + 1, 40} {
		data := append(bytes.Repeat([]byte{0x81}, n), 0x00) // n arrays around 0
		cases = append(cases,
			fastDecodeCase{fmt.Sprintf("%d nested arrays", n), data, fastNestedSliceType(min(n, MaxNesting+8)), n > MaxNesting},
			fastDecodeCase{fmt.Sprintf("%d nested arrays into []int", n), data, tInts, true})
		var m []byte
		for range n {
			m = append(m, 0xa1, 0x61, 'k')
		}
		m = append(m, 0x00)
		cases = append(cases, fastDecodeCase{fmt.Sprintf("%d nested maps", n), m, fastNestedMapType(n), n > MaxNesting})
	}
	// As many elements as an array or map may hold, and one more.
	for _, n := range []int{maxElements, maxElements + 1} {
		arr := append(fastHead(4, uint64(n)), make([]byte, n)...)
		m := fastHead(5, uint64(n))
		for i := range n {
			m = append(m, fastTextItem(fmt.Sprint(i))...)
			m = append(m, 0x01)
		}
		cases = append(cases,
			fastDecodeCase{fmt.Sprintf("array of %d", n), arr, tInts, n > maxElements},
			fastDecodeCase{fmt.Sprintf("array of %d into bytes", n), arr, tBytes, n > maxElements},
			fastDecodeCase{fmt.Sprintf("map of %d", n), m, tMap, n > maxElements})
	}
	cases = append(cases, fastEnvelopeCases()...)
	return cases
}

// fastEnvelopeCases are envelopes in forms other than the one encoders
// write, which the envelope's own reading (decodeEnvelope) leaves to the
// walk over its fields, and near misses of that form.
func fastEnvelopeCases() []fastDecodeCase {
	tEnv := reflect.TypeFor[envelope[fastSmall]]()
	id := append(fastHead(2, 16), make([]byte, 16)...)
	data := fastMapItem(fastTextItem("a"), []byte{0x07}) // fastSmall{A: 7}
	flashes := append([]byte{0x81}, fastMapItem([]byte{0x01}, fastTextItem("k"), []byte{0x02}, fastTextItem("t"))...)
	env := func(kv ...[]byte) []byte { return fastMapItem(kv...) }
	one, two, three, four, five := []byte{0x01}, []byte{0x02}, []byte{0x03}, []byte{0x04}, []byte{0x05}
	created := []byte{0x1a, 0x65, 0x00, 0x00, 0x00}
	canonical := env(one, id, two, created, three, data, four, flashes, five, []byte{0xf5})
	cases := []fastDecodeCase{
		{"envelope", env(one, id, two, created, three, data), tEnv, false},
		{"envelope with flashes and choice", canonical, tEnv, false},
		{"envelope with choice only", env(one, id, two, created, three, data, five, []byte{0xf4}), tEnv, false},
		{"envelope with flashes only", env(one, id, two, created, three, data, four, flashes), tEnv, false},
		{"envelope, choice before flashes", env(one, id, two, created, three, data, five, []byte{0xf5}, four, flashes), tEnv, false},
		{"envelope, data first", env(three, data, one, id, two, created), tEnv, false},
		{"envelope, created first", env(two, created, one, id, three, data), tEnv, false},
		{"envelope, id null", env(one, []byte{0xf6}, two, created, three, data), tEnv, false},
		{"envelope, created null", env(one, id, two, []byte{0xf6}, three, data), tEnv, false},
		{"envelope, data null", env(one, id, two, created, three, []byte{0xf6}), tEnv, false},
		{"envelope, created negative", env(one, id, two, []byte{0x3a, 0x00, 0x01, 0x00, 0x00}, three, data), tEnv, false},
		{"envelope, created small", env(one, id, two, []byte{0x17}, three, data), tEnv, false},
		{"envelope, empty id", env(one, []byte{0x40}, two, created, three, data), tEnv, false},
		{"envelope without data", env(one, id, two, created), tEnv, false},
		{"envelope, unknown key", env(one, id, two, created, three, data, []byte{0x06}, []byte{0x01}), tEnv, false},
		{"envelope, text key", env(one, id, two, created, three, data, fastTextItem("x"), []byte{0x01}), tEnv, false},
		{"envelope, flashes twice", env(one, id, two, created, three, data, four, flashes, four, flashes), tEnv, true},
		{"envelope, id twice", env(one, id, one, id, two, created, three, data), tEnv, true},
		{"envelope, id as text", env(one, fastTextItem("x"), two, created, three, data), tEnv, true},
		{"envelope, created as text", env(one, id, two, fastTextItem("x"), three, data), tEnv, true},
		{"envelope, created beyond int64", env(one, id, two, []byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, three, data), tEnv, true},
		{"envelope, data of another type", env(one, id, two, created, three, []byte{0x01}), tEnv, true},
		{"envelope, choice not a bool", env(one, id, two, created, three, data, five, []byte{0x01}), tEnv, true},
		{"envelope, one entry missing", append([]byte{0xa4}, env(one, id, two, created, three, data)[1:]...), tEnv, true},
		{"envelope, one entry more than the map holds", append([]byte{0xa2}, env(one, id, two, created, three, data)[1:]...), tEnv, true},
		{"envelope, indefinite length", append(append([]byte{0xbf}, env(one, id, two, created, three, data)[1:]...), 0xff), tEnv, true},
		{"envelope, id in a longer head", env(one, append([]byte{0x58, 16}, make([]byte, 16)...), two, created, three, data), tEnv, false},
	}
	for n := range len(canonical) {
		cases = append(cases, fastDecodeCase{fmt.Sprintf("envelope cut to %d bytes", n), canonical[:n], tEnv, true})
	}
	return cases
}

// TestCBORFastEnvelopeMatchesWalk holds the envelope's own writing and
// reading (appendEnvelope, decodeEnvelope) to the walk over its fields
// that they stand for, on random envelopes and on every envelope case:
// the same bytes written; and, read, the same outcome, value and end.
func TestCBORFastEnvelopeMatchesWalk(t *testing.T) {
	// Data without maps, whose order would differ between two
	// encodings; the data is written by the same walk either way.
	types := []reflect.Type{
		reflect.TypeFor[envelope[fastInts]](),
		reflect.TypeFor[envelope[string]](),
		reflect.TypeFor[envelope[int8]](),
		reflect.TypeFor[envelope[[]*time.Time]](),
		reflect.TypeFor[envelope[[]fastSmall]](),
		reflect.TypeFor[envelope[*fastSmall]](),
		reflect.TypeFor[envelope[fastSmall]](),
	}
	walkPlan := func(typ reflect.Type) (p, walk *fastType) {
		p = fastPlanOf(typ)
		if p == nil || !p.envelope {
			t.Fatalf("the plan of %v is not an envelope's", typ)
		}
		w := *p
		w.envelope = false
		return p, &w
	}
	decode := func(data []byte, typ reflect.Type, p *fastType) (bool, int, reflect.Value) {
		v := reflect.New(typ)
		d := fastDecoder{data: bytes.Clone(data)}
		ok := d.decodeAt(v.UnsafePointer(), p)
		return ok, d.off, v.Elem()
	}
	compare := func(t *testing.T, data []byte, typ reflect.Type) {
		t.Helper()
		p, walk := walkPlan(typ)
		ok, off, got := decode(data, typ, p)
		wok, woff, want := decode(data, typ, walk)
		if ok != wok || ok && (off != woff || !fastEqual(got.Interface(), want.Interface())) {
			t.Errorf("decoding %x into %v: %v at %d, %s; the walk: %v at %d, %s", data, typ, ok, off,
				fastShort("%#v", got.Interface()), wok, woff, fastShort("%#v", want.Interface()))
		}
	}
	for i, typ := range types {
		p, walk := walkPlan(typ)
		g := newFastGen(uint64(i) + 7000)
		for range 1000 {
			v := reflect.New(typ)
			v.Elem().Set(reflect.ValueOf(g.value(typ)))
			var e, we fastEncoder
			got, ok := e.appendFastAt(nil, v.UnsafePointer(), p)
			want, wok := we.appendFastAt(nil, v.UnsafePointer(), walk)
			if ok != wok || !bytes.Equal(got, want) {
				t.Fatalf("encoding %s: %v %x; the walk: %v %x", fastShort("%#v", v.Elem().Interface()), ok, got, wok, want)
			}
			if ok {
				compare(t, got, typ)
				// And every cut of it, and each byte changed.
				compare(t, got[:g.r.IntN(len(got))], typ)
				mutated := bytes.Clone(got)
				mutated[g.r.IntN(len(mutated))] ^= byte(1 + g.r.IntN(255))
				compare(t, mutated, typ)
			}
		}
	}
	for i, tc := range fastEnvelopeCases() {
		compare(t, tc.data, tc.typ)
		// The first four are in the form encoders write, which the
		// envelope's own reading takes.
		if p, _ := walkPlan(tc.typ); i < 4 {
			d := fastDecoder{data: tc.data}
			if !d.decodeEnvelope(reflect.New(tc.typ).UnsafePointer(), p) || d.off != len(tc.data) {
				t.Errorf("%s: decodeEnvelope did not take %x", tc.name, tc.data)
			}
		}
	}
}

// TestCBORFastDecodeMatches decodes the encodings of random values, and
// hand-written edge cases, with the fast path and the reference: the fast
// path must take every encoding of a subset value and give the reference's
// value, must never take what the reference refuses, and must leave the
// destination zero when it declines.
func TestCBORFastDecodeMatches(t *testing.T) {
	t.Run("random", func(t *testing.T) {
		for i, typ := range fastSubsetTypes {
			t.Run(typ.String(), func(t *testing.T) {
				g := newFastGen(uint64(i) + 100)
				failures := 0
				for range 1500 {
					v := g.value(typ)
					data, err := fastRef(v)
					if err != nil {
						t.Fatalf("reference encoding of %#v: %v", v, err)
					}
					if took, refErr := checkFastDecode(t, data, typ, true); !took || refErr != nil {
						failures++
					}
					if t.Failed() {
						failures++
					}
					if failures > 5 {
						t.Fatal("too many failures")
					}
				}
			})
		}
		for i, typ := range fastMaybeTypes {
			t.Run(typ.String(), func(t *testing.T) {
				g := newFastGen(uint64(i) + 2000)
				for range 300 {
					data, err := fastRef(g.value(typ))
					if err != nil {
						t.Fatal(err)
					}
					checkFastDecode(t, data, typ, false)
					if t.Failed() {
						return
					}
				}
			})
		}
	})

	t.Run("cases", func(t *testing.T) {
		for _, tc := range fastDecodeCases() {
			t.Run(tc.name, func(t *testing.T) {
				_, err := checkFastDecode(t, tc.data, tc.typ, false)
				if (err != nil) != tc.refuse {
					t.Fatalf("the reference's error for %s into *%v is %v; the case expects refusal: %v", fastShort("%x", tc.data), tc.typ, err, tc.refuse)
				}
				for _, typ := range fastDecodeTargets {
					checkFastDecode(t, tc.data, typ, false)
				}
			})
		}
	})

	t.Run("truncated", func(t *testing.T) {
		// Every proper prefix of an encoding is refused.
		exp := time.Date(2024, 3, 1, 12, 0, 0, 5, time.FixedZone("", 3600))
		v := fastSession{
			UserID: -42, Name: "ada", Level: 3, Flags: 9, Admin: true, CSRF: []byte{1, 2, 3}, Nonce: fastBlob{},
			Created: time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC), Expires: &exp,
			Addr:  fastAddress{Street: "1 rue", City: "Paris", Zip: "75001"},
			Lines: []fastLine{{SKU: "x", Qty: 2, Cents: 1999, Tags: fastTags{"a", "b"}}},
			Prefs: map[string]string{"theme": "dark"}, Roles: []fastName{"admin"},
			Opt: fastOptional{A: 1, E: map[string]int{"e": 1}}, Attrs: fastAttrs{"k": "v"}, Renamed: "r", Dash: 7,
		}
		data, err := fastRef(v)
		if err != nil {
			t.Fatal(err)
		}
		if took, _ := checkFastDecode(t, data, reflect.TypeFor[fastSession](), true); !took {
			t.Fatal("the whole encoding is not taken")
		}
		for n := range len(data) {
			for _, typ := range []reflect.Type{reflect.TypeFor[fastSession](), reflect.TypeFor[*fastSession](), reflect.TypeFor[map[string]string]()} {
				if _, err := checkFastDecode(t, data[:n], typ, false); err == nil {
					t.Errorf("the reference takes %d of %d bytes", n, len(data))
				}
			}
		}
	})

	t.Run("local zone", func(t *testing.T) {
		// A parsed offset that is the local zone's gives a time in
		// Local, as time.Parse does.
		saved := time.Local
		defer func() { time.Local = saved }()
		time.Local = time.FixedZone("CET", 3600)
		for _, s := range []string{"2024-01-15T10:00:00+01:00", "2024-01-15T10:00:00+02:00", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00+00:00"} {
			for _, typ := range []reflect.Type{reflect.TypeFor[time.Time](), reflect.TypeFor[*time.Time](), reflect.TypeFor[fastTimes]()} {
				data := fastTextItem(s)
				if typ == reflect.TypeFor[fastTimes]() {
					data = fastMapItem(fastTextItem("t"), data)
				}
				checkFastDecode(t, data, typ, true)
			}
		}
		local := time.Date(2024, 1, 15, 10, 0, 0, 0, time.Local)
		checkFastEncode(t, local, true)
		checkFastEncode(t, fastTimes{T: local, P: &local}, true)
	})
}

// TestCBORFastDecodeNonZeroDst checks that the fast path leaves alone a
// destination that is not a pointer to a zero value of the subset, so
// that CBOR{}.Deserialize merges into it exactly as the reference does.
// TestCBORFastSlicePointees decodes slices whose elements hold pointers
// (every element, one, none, and slices within elements): the values are
// the reference's, each pointer has a pointee of its own, and the
// allocations do not grow with the number of pointers.
func TestCBORFastSlicePointees(t *testing.T) {
	type inner struct {
		N int
		S string
	}
	type rec struct {
		At   *time.Time
		In   *inner
		N    int
		Subs []*inner
	}
	type outer struct {
		Recs []rec
		Ptrs []*int
	}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	build := func(n int, every int, subs bool) outer {
		var o outer
		for i := range n {
			r := rec{N: i}
			if every > 0 && i%every == 0 {
				t := at.Add(time.Duration(i) * time.Minute)
				r.At, r.In = &t, &inner{N: i, S: "s"}
				if subs {
					r.Subs = []*inner{{N: i}, nil, {S: "x"}}
				}
			}
			o.Recs = append(o.Recs, r)
			v := i
			o.Ptrs = append(o.Ptrs, &v)
		}
		return o
	}
	decode := func(t *testing.T, v outer) (outer, []byte) {
		t.Helper()
		data, err := fastRef(v)
		if err != nil {
			t.Fatal(err)
		}
		var got, want outer
		if !cborFastDecode(data, &got) {
			t.Fatal("the fast path declined")
		}
		if err := cborModesOnce().dec.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %s, want %s", fastShort("%+v", got), fastShort("%+v", want))
		}
		return got, data
	}
	for _, tc := range []struct{ n, every int }{{1, 1}, {2, 1}, {40, 1}, {40, 7}, {40, 39}, {40, 0}} {
		got, _ := decode(t, build(tc.n, tc.every, true))
		// Every pointee its own: distinct addresses, and a write through
		// one pointer seen through no other.
		seen := map[uintptr]bool{}
		own := func(p unsafe.Pointer) {
			if p == nil {
				return
			}
			if seen[uintptr(p)] {
				t.Fatalf("n=%d every=%d: two pointers share a pointee", tc.n, tc.every)
			}
			seen[uintptr(p)] = true
		}
		for i := range got.Recs {
			own(unsafe.Pointer(got.Recs[i].At))
			own(unsafe.Pointer(got.Recs[i].In))
			for _, s := range got.Recs[i].Subs {
				own(unsafe.Pointer(s))
			}
		}
		for i, p := range got.Ptrs {
			own(unsafe.Pointer(p))
			*p = -1
			if i > 0 && *got.Ptrs[i-1] != -1 || i+1 < len(got.Ptrs) && *got.Ptrs[i+1] != i+1 {
				t.Fatalf("n=%d: a write through one pointer changed another", tc.n)
			}
		}
	}
	// Allocations: with the number of pointers, they grow as its
	// logarithm (doubling arrays), not in proportion (a slice within
	// each record still takes its own, so there is none here).
	allocs := func(n int) float64 {
		_, data := decode(t, build(n, 1, false))
		return testing.AllocsPerRun(20, func() {
			var o outer
			if !cborFastDecode(data, &o) {
				t.Fatal("declined")
			}
		})
	}
	// Three pointer fields (At, In, Ptrs), each with 20 times the
	// pointers: at most two allocations more per doubling, each.
	small, large := allocs(20), allocs(400)
	if bound := small + 3*2*math.Ceil(math.Log2(20)) + 3; large > bound || large > 400/4 {
		t.Errorf("%v allocations for 400 records, %v for 20: they grow with the pointers (bound %v)", large, small, bound)
	}
}

// TestCBORFastPointeesBoundMemory: a slice of many elements of which two
// hold pointers to a large value allocates about what the reference
// does, not room for a pointee per element.
func TestCBORFastPointeesBoundMemory(t *testing.T) {
	// A record of four pointers to a struct of 60 strings (960 bytes).
	var fields []reflect.StructField
	for i := range 60 {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%02d", i), Type: reflect.TypeFor[string]()})
	}
	big := reflect.PointerTo(reflect.StructOf(fields))
	rec := reflect.StructOf([]reflect.StructField{{Name: "A", Type: big}, {Name: "B", Type: big}, {Name: "C", Type: big}, {Name: "D", Type: big}})
	recs := reflect.SliceOf(rec)
	items := [][]byte{fastHex("a4 6141 a0 6142 a0 6143 a0 6144 a0"), fastHex("a4 6141 a0 6142 a0 6143 a0 6144 a0")}
	for range 4094 {
		items = append(items, []byte{cborNull})
	}
	data := append(appendHead(nil, majorArray, uint64(len(items))), bytes.Join(items, nil)...)
	measure := func(decode func() error) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := decode(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	got, want := reflect.New(recs).Interface(), reflect.New(recs).Interface()
	fast := measure(func() error {
		if !cborFastDecode(data, got) {
			return errors.New("the fast path declined")
		}
		return nil
	})
	ref := measure(func() error { return cborModesOnce().dec.Unmarshal(data, want) })
	if !reflect.DeepEqual(got, want) {
		t.Fatal("decoded another value than the reference")
	}
	if fast > 2*ref {
		t.Errorf("the fast path allocated %d bytes, the reference %d", fast, ref)
	}
}

// TestCBORFastViewsShareNoByte: decoded strings and byte slices are
// views of one copy of the input; writing through each byte slice, and
// appending to it, changes no other decoded value and not the input.
func TestCBORFastViewsShareNoByte(t *testing.T) {
	type views struct {
		A     []byte
		S     string
		B     []byte
		List  [][]byte
		Names []string
		Any   any
		Map   map[string]any
		Empty []byte
	}
	in := views{
		A: []byte("aaaa"), S: "text", B: []byte{1, 2, 3},
		List:  [][]byte{[]byte("x1"), []byte("y22"), {}},
		Names: []string{"n1", "n2"}, Any: []byte("boxed"),
		Map: map[string]any{"k": []byte("inmap"), "t": "str"}, Empty: []byte{},
	}
	data, err := fastRef(in)
	if err != nil {
		t.Fatal(err)
	}
	input := bytes.Clone(data)
	var got views
	if !cborFastDecode(data, &got) {
		t.Fatal("the fast path declined")
	}
	var want views
	if err := cborModesOnce().dec.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v, want %#v", got, want)
	}
	all := [][]byte{got.A, got.B, got.List[0], got.List[1], got.List[2], got.Any.([]byte), got.Map["k"].([]byte), got.Empty}
	for i, b := range all {
		if cap(b) != len(b) {
			t.Errorf("byte slice %d: capacity %d beyond its length %d", i, cap(b), len(b))
		}
		if b == nil {
			t.Errorf("byte slice %d is nil", i)
		}
		for j := range b {
			b[j] = 0xee
		}
		all[i] = append(b, 0xee, 0xee, 0xee)
	}
	for i, b := range all {
		if !bytes.Equal(b, bytes.Repeat([]byte{0xee}, len(b))) {
			t.Errorf("byte slice %d changed by another's writes: %x", i, b)
		}
	}
	if got.S != "text" || got.Names[0] != "n1" || got.Names[1] != "n2" || got.Map["t"] != "str" {
		t.Errorf("strings changed by writes through byte slices: %q %q %v", got.S, got.Names, got.Map["t"])
	}
	if !bytes.Equal(data, input) {
		t.Error("writes through decoded byte slices changed the input")
	}
}

func TestCBORFastDecodeNonZeroDst(t *testing.T) {
	m := cborModesOnce()
	five := 5
	for _, tc := range []struct {
		name string
		data []byte
		dst  func() any // returns a new destination, the same each time
	}{
		{"struct with a field set", fastMapItem(fastTextItem("b"), fastTextItem("x")),
			func() any { return &fastSmall{A: 7} }},
		{"struct with a field overwritten", fastMapItem(fastTextItem("a"), []byte{0x01}),
			func() any { return &fastSmall{A: 7, B: "keep"} }},
		{"map with an entry", fastMapItem(fastTextItem("y"), []byte{0x02}),
			func() any { return &map[string]int{"x": 1} }},
		{"map with the same key", fastMapItem(fastTextItem("x"), []byte{0x02}),
			func() any { return &map[string]int{"x": 1} }},
		{"empty map", fastMapItem(fastTextItem("y"), []byte{0x02}),
			func() any { return &map[string]int{} }},
		{"untyped map with an entry", fastMapItem(fastTextItem("y"), []byte{0x02}),
			func() any { return &map[string]any{"x": int64(1)} }},
		{"untyped map with the same key", fastMapItem(fastTextItem("x"), []byte{0x02}),
			func() any { return &map[string]any{"x": "a"} }},
		{"empty untyped map", fastMapItem(fastTextItem("y"), []byte{0x02}),
			func() any { return &map[string]any{} }},
		{"null into an empty untyped map", fastHex("f6"),
			func() any { return &map[string]any{} }},
		{"slice with spare capacity", fastHex("83 01 02 03"),
			func() any { s := make([]int, 2, 8); s[0], s[1] = 9, 9; return &s }},
		{"empty slice", fastHex("81 01"),
			func() any { s := []int{}; return &s }},
		{"empty bytes", fastHex("41 01"),
			func() any { s := []byte{}; return &s }},
		{"pointer to a pointer", fastHex("07"),
			func() any { p := new(int); *p = 5; return &p }},
		{"pointer to a zero", fastHex("07"),
			func() any { p := new(int); return &p }},
		{"null into a set pointer", fastHex("f6"),
			func() any { p := &five; return &p }},
		{"string", fastHex("61 61"),
			func() any { s := "x"; return &s }},
		{"error into a string", fastHex("01"),
			func() any { s := "x"; return &s }},
		{"an empty string that points somewhere: zero to reflect, not in its bits", fastHex("61 61"),
			func() any { s := strings.Repeat("abc", 1)[:0]; return &s }},
		{"a struct with such a string", fastMapItem(fastTextItem("b"), fastTextItem("x")),
			func() any { return &fastSmall{B: strings.Repeat("abc", 1)[3:]} }},
		{"time in a zone, at the zero instant", fastMapItem(fastTextItem("t"), []byte{0xf6}),
			func() any { return &fastTimes{T: time.Time{}.In(time.FixedZone("X", 3600))} }},
		{"time with a value, then null", fastMapItem(fastTextItem("t"), []byte{0xf6}),
			func() any { return &fastTimes{T: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }},
		{"session with an empty map", fastMapItem(fastTextItem("prefs"), fastMapItem(fastTextItem("a"), fastTextItem("b"))),
			func() any { return &fastSession{Prefs: map[string]string{}} }},
		{"session with only an unexported field", fastMapItem(fastTextItem("uid"), []byte{0x01}),
			func() any { return &fastSession{internal: 1} }},
		{"session with a duplicate key", fastMapItem(fastTextItem("uid"), []byte{0x01}, fastTextItem("uid"), []byte{0x02}),
			func() any { return &fastSession{Name: "n", Prefs: map[string]string{"a": "b"}} }},
		{"nested pointer", fastMapItem(fastTextItem("bill"), fastMapItem(fastTextItem("city"), fastTextItem("Lyon"))),
			func() any { return &fastSession{Billing: &fastAddress{Street: "s"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := tc.dst()
			if fastDecodeSafe(t, tc.data, dst) {
				t.Errorf("cborFastDecode(%x) took a destination that is not zero", tc.data)
			}
			if before := tc.dst(); !fastEqual(before, dst) {
				t.Errorf("cborFastDecode(%x) changed its destination: %s", tc.data, fastDiff(before, dst))
			}
			got, want := tc.dst(), tc.dst()
			err := fastDeserializeSafe(t, tc.data, got)
			werr := m.dec.Unmarshal(tc.data, want)
			if (err == nil) != (werr == nil) {
				t.Errorf("CBOR{}.Deserialize(%x): error %v, reference error %v", tc.data, err, werr)
			}
			if !fastEqual(want, got) {
				t.Errorf("CBOR{}.Deserialize(%x) into %T: another result than the reference's %s", tc.data, want, fastDiff(want, got))
			}
		})
	}

	t.Run("shared backing array", func(t *testing.T) {
		// Both write into the slice's existing array.
		data := fastHex("83 01 02 03")
		a, b := make([]int, 1, 8), make([]int, 1, 8)
		aa, bb := a[:8], b[:8]
		if err := fastDeserializeSafe(t, data, &a); err != nil {
			t.Fatal(err)
		}
		if err := m.dec.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(aa, bb) || !cmp.Equal(a, b) {
			t.Errorf("CBOR{}.Deserialize: %v (array %v), reference %v (array %v)", a, aa, b, bb)
		}
	})

	t.Run("not a destination", func(t *testing.T) {
		data := fastMapItem(fastTextItem("a"), []byte{0x01})
		for _, dst := range []any{
			nil, fastSmall{}, (*fastSmall)(nil), (*map[string]any)(nil), map[string]any{}, new(fastIface), new(float32),
			new(fastIfaceField), new(fastCBORM), new(fastUnCBOR), new(fastPNode),
		} {
			if fastDecodeSafe(t, data, dst) {
				t.Errorf("cborFastDecode took a %T", dst)
			}
			err := fastDeserializeSafe(t, data, dst)
			var werr error
			switch dst.(type) {
			case *fastIface, *float32, *fastIfaceField, *fastCBORM, *fastUnCBOR, *fastPNode:
				werr = m.dec.Unmarshal(data, reflect.New(reflect.TypeOf(dst).Elem()).Interface())
			default:
				werr = m.dec.Unmarshal(data, dst)
			}
			if (err == nil) != (werr == nil) {
				t.Errorf("CBOR{}.Deserialize into %T: error %v, reference error %v", dst, err, werr)
			}
		}
	})
}

// FuzzCBORFast decodes arbitrary input into each test type with the fast
// path and the reference. The fast path must agree whenever it takes the
// input, leave the destination zero when it does not, and encode what it
// decoded back as the reference does; CBOR{}.Deserialize must agree with
// the reference; nothing may panic.
func FuzzCBORFast(f *testing.F) {
	types := append(append([]reflect.Type{}, fastSubsetTypes...), fastMaybeTypes...)
	for i, typ := range types {
		g := newFastGen(uint64(i) + 5000)
		for range 3 {
			if data, err := fastRef(g.value(typ)); err == nil && len(data) < 4096 {
				f.Add(data)
			}
		}
	}
	for _, tc := range fastDecodeCases() {
		if len(tc.data) < 4096 {
			f.Add(tc.data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range types {
			took, _ := checkFastDecode(t, data, typ, false)
			if !took {
				continue
			}
			// Encode what the fast path decoded: it must take it
			// (unless a time's year is out of its range) and write
			// the reference's encoding.
			a := reflect.New(typ)
			if !fastDecodeSafe(t, data, a.Interface()) {
				t.Fatalf("cborFastDecode(%s, *%v) took the input once, then not", fastShort("%x", data), typ)
			}
			v := a.Elem().Interface()
			checkFastEncode(t, v, fastYearsInRange(a.Elem()))
			checkFastSerialize(t, v)
		}
	})
}

// TestParseRFC3339 holds the quick parse of times to time.Parse: the same
// time, in the same location, when it takes the text, on every day of
// leap and common years, at the edges of each field, with fractions and
// offsets of every kind, and on texts near the forms that it must leave to
// time.Parse; with the local zone UTC, or one of the offsets parsed. Each
// text is parsed with an empty day cache, and with one shared by all
// texts, so that a date is also read from the cache, then with another
// time of day or another date after it.
func TestParseRFC3339(t *testing.T) {
	var texts []string
	for _, y := range []int{0, 1, 1900, 1970, 2000, 2024, 2025, 2100, 9999} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			texts = append(texts, d.Format("2006-01-02")+"T23:59:59Z", d.Format("2006-01-02")+"T00:00:00Z")
		}
	}
	texts = append(texts,
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-00-10T00:00:00Z", "2024-13-10T00:00:00Z", "2024-01-00T00:00:00Z",
		"2024-01-32T00:00:00Z", "2024-01-15T24:00:00Z", "2024-01-15T10:60:00Z", "2024-01-15T10:00:60Z",
		"2024-01-15t10:00:00Z", "2024-01-15T10:00:00z", "2024-01-15 10:00:00Z", "2024-01-15T10:00:00.5Z",
		"2024-01-15T10:00:00+00:00", "+024-01-15T10:00:00Z", "2024-1-15T10:00:00Z ", "2024-01-15T1a:00:00Z",
		"2024/01/15T10:00:00Z", "2024-01-15T10-00-00Z", "２０２4-01-15T10:00:00Z", "-001-01-15T10:00:00Z",
		"2024-01-15T10:00:0\x00Z", "2024-01-15T10:00:00Z\x00", "2024-01-15T10:00:00Z",
		// After the date above is cached: the same date with a bad
		// time of day, or spelt otherwise.
		"2024-01-15T10:0a:00Z", "2024-01-15T25:00:00Z", "2024-01-15T10:00:00.", "2024-01-15T10:00:00Z",
		"2024-01-1/T10:00:00Z", "2024-01-15T10:00:00Z", "2024_01-15T10:00:00Z", "2024-01-15T10:00:00Z",
		"2024-01-15T10:00:00Z", "2024-01-16T10:00:00Z", "2024-01-15T10:00:00Z", "2024-01-15T-1:00:00Z",
		"2024-01-15T10:00:-1Z", "2024-01-15T/0:00:00Z", "2024-02-30T00:00:00Z",
	)
	for _, zone := range []string{"Z", "+00:00", "-00:00", "+01:00", "+05:30", "-03:30", "+05:45", "+10:30", "-12:00",
		"+14:00", "+23:59", "-23:59", "+24:00", "+05:60", "+5:30", "+05:3", "+0530", "05:30", "+05:30Z", "z"} {
		for _, frac := range []string{"", ".5", ".123", ".000000001", ".123456789", ".1234567891", ".", ",5", ".5x", ".-1"} {
			texts = append(texts, "2024-03-31T01:59:59"+frac+zone, "1970-01-01T00:00:00"+frac+zone, "9999-12-31T23:59:59"+frac+zone)
		}
	}
	saved := time.Local
	defer func() { time.Local = saved }()
	for _, local := range []*time.Location{time.UTC, time.FixedZone("IST", 19800), time.FixedZone("", -12600)} {
		time.Local = local
		var shared dayCache
		for _, s := range texts {
			want, err := time.Parse(time.RFC3339, s)
			for _, c := range []*dayCache{new(dayCache), &shared} {
				got, ok := c.parseRFC3339(s)
				if ok && (err != nil || !fastTimeEqual(got, want) || (got.Location() == time.Local) != (want.Location() == time.Local)) {
					t.Errorf("local %v: parseRFC3339(%q) = %v, time.Parse: %v, %v", local, s, got, want, err)
				}
				if ok && !reflect.DeepEqual(got, want) {
					t.Errorf("local %v: parseRFC3339(%q) = %#v, time.Parse: %#v", local, s, got, want)
				}
				encoderForm := len(s) >= 20 && !strings.Contains(s, ",") && !strings.HasSuffix(s, "z")
				if !ok && err == nil && encoderForm && !strings.Contains(s, ".1234567891") && !strings.HasSuffix(s, "+24:00") && !strings.HasSuffix(s, ":60") {
					t.Errorf("local %v: parseRFC3339(%q) left a time of an encoder's form to time.Parse", local, s)
				}
			}
		}
	}
	// Times of one offset share a zone, as unlike time.Parse's as it is
	// equal: a zone is never changed once made.
	a, _ := new(dayCache).parseRFC3339("2024-01-15T10:00:00+05:45")
	b, _ := new(dayCache).parseRFC3339("2025-06-15T10:00:00.5+05:45")
	if a.Location() != b.Location() {
		t.Error("two times of +05:45 have zones of their own")
	}
}

// TestAppendFastTime holds the writing of times to AppendFormat's, on
// times in UTC to the second over the whole range of years, on the times
// it leaves to AppendFormat, and on those it must refuse. Each time is
// written by an encoder of its own and by one shared by all, in an order
// that puts times of one day next to each other, so that a date is also
// written from the day cache.
func TestAppendFastTime(t *testing.T) {
	g := newFastGen(77)
	times := []time.Time{
		{}, time.Unix(0, 0).UTC(), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 1, time.UTC), time.Date(2024, 2, 29, 12, 0, 0, 0, time.FixedZone("", 0)),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.FixedZone("UTC", 0)), time.Date(2024, 2, 29, 12, 0, 0, 0, time.Local),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		// Offsets of minutes, both signs, at the edges of the years
		// they can write; fractions with and without trailing zeros.
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 5*3600+45*60)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).In(time.FixedZone("", 45*60)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).In(time.FixedZone("", -30*60)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", -30*60)),
		time.Date(2024, 6, 1, 12, 0, 0, 120000000, time.FixedZone("IST", 5*3600+30*60)),
		time.Date(2024, 6, 1, 12, 0, 0, 1, time.FixedZone("", -(3*3600+30*60))),
		time.Date(2024, 6, 1, 12, 0, 0, 100, time.FixedZone("", 23*3600+59*60)),
		time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("", -(23*3600+59*60))),
		time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("LMT", 5*3600+53*60+28)),
	}
	for range 20000 {
		tm := g.time()
		times = append(times, tm, tm.UTC(), tm.UTC().Truncate(time.Second), tm.UTC().Truncate(time.Second).Add(time.Duration(g.r.IntN(7200))*time.Second))
	}
	var shared fastEncoder
	for _, tm := range times {
		var want []byte
		switch {
		case tm.IsZero():
			want = []byte{cborNull}
		case timeProblem(tm, true) == "":
			want = appendText(nil, tm.AppendFormat(nil, time.RFC3339Nano))
		}
		for _, e := range []*fastEncoder{new(fastEncoder), &shared} {
			got, ok := e.appendFastTime([]byte("x"), tm)
			if want == nil {
				if ok || string(got) != "x" {
					t.Fatalf("appendFastTime(%#v) = %q, %v; want it left to the slow path", tm, got, ok)
				}
				continue
			}
			if !ok || !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Fatalf("appendFastTime(%#v) = %q, %v; want x%q", tm, got, ok, want)
			}
		}
	}
}

// TestCivilDays checks the date arithmetic of the time fast paths against
// package time on every day from year -1 to year 10000.
func TestCivilDays(t *testing.T) {
	start := time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)
	days := start.Unix() / 86400
	if start.Unix()%86400 != 0 {
		days-- // floor division below the epoch
	}
	for tm := start; tm.Before(end); tm, days = tm.AddDate(0, 0, 1), days+1 {
		y, m, d := tm.Date()
		gy, gm, gd := civilFromDays(days)
		if gy != int64(y) || gm != int(m) || gd != d {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %v", days, gy, gm, gd, tm)
		}
		if got := daysFromCivil(int64(y), int(m), d); got != days {
			t.Fatalf("daysFromCivil(%v) = %d, want %d", tm, got, days)
		}
	}
}

// TestCBORFastIntSizes decodes integers at and just past the limits of
// every integer size, signed and unsigned, named or not, alone and as a
// struct field after padding: the fast path writes each through a pointer
// of its size, so it must take exactly the numbers that fit, give the
// reference's value, and leave the destination zero for the others.
func TestCBORFastIntSizes(t *testing.T) {
	type field[T any] struct {
		B bool
		V T
		C bool
	}
	types := []reflect.Type{
		reflect.TypeFor[int8](), reflect.TypeFor[int16](), reflect.TypeFor[int32](), reflect.TypeFor[int64](), reflect.TypeFor[int](),
		reflect.TypeFor[uint8](), reflect.TypeFor[uint16](), reflect.TypeFor[uint32](), reflect.TypeFor[uint64](), reflect.TypeFor[uint](),
		reflect.TypeFor[fastNInt8](), reflect.TypeFor[fastNInt32](), reflect.TypeFor[fastNInt](), reflect.TypeFor[fastNUint](),
		reflect.TypeFor[fastNUint16](), reflect.TypeFor[fastLevel](), reflect.TypeFor[fastFlags](), reflect.TypeFor[fastCount](),
		reflect.TypeFor[field[int8]](), reflect.TypeFor[field[int16]](), reflect.TypeFor[field[int32]](), reflect.TypeFor[field[int64]](),
		reflect.TypeFor[field[uint8]](), reflect.TypeFor[field[uint16]](), reflect.TypeFor[field[uint32]](), reflect.TypeFor[field[uint64]](),
		reflect.TypeFor[[]int16](), reflect.TypeFor[[]int8](), reflect.TypeFor[[]uint32](), reflect.TypeFor[[]fastNUint16](),
	}
	for _, typ := range types {
		t.Run(typ.String(), func(t *testing.T) {
			it := typ
			for it.Kind() == reflect.Struct || it.Kind() == reflect.Slice {
				if it.Kind() == reflect.Struct {
					it = it.Field(1).Type
				} else {
					it = it.Elem()
				}
			}
			bits := it.Bits()
			var nums []any // int64 or uint64
			if it.Kind() >= reflect.Uint {
				hi := uint64(math.MaxUint64) >> (64 - bits)
				nums = []any{uint64(0), uint64(1), hi - 1, hi, int64(-1)}
				if bits < 64 {
					nums = append(nums, hi+1, uint64(math.MaxUint64))
				}
			} else {
				lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
				nums = []any{int64(0), int64(-1), lo, hi, uint64(math.MaxUint64), uint64(math.MaxInt64) + 1}
				if bits < 64 {
					nums = append(nums, lo-1, hi+1)
				}
			}
			for _, n := range nums {
				item, err := fastRef(n)
				if err != nil {
					t.Fatal(err)
				}
				data := item
				switch typ.Kind() {
				case reflect.Struct:
					data = fastMapItem(fastTextItem("B"), []byte{cborTrue}, fastTextItem("V"), item, fastTextItem("C"), []byte{cborTrue})
				case reflect.Slice:
					data = fastCat([]byte{0x83}, item, item, item)
				}
				_, refErr := checkFastDecode(t, data, typ, false)
				if took, _ := checkFastDecode(t, data, typ, refErr == nil); took != (refErr == nil) {
					t.Errorf("%v into %v: fast path took it: %v, reference error: %v", n, typ, took, refErr)
				}
			}
		})
	}
}

// TestCBORFastStructScalars holds the struct walk's own reading of string
// small integer and boolean fields (decodeStruct, before decodeAt) to the
// reference: every string length around the head's limits (23, 24, 255,
// 256), in the shortest head and in longer ones, integers of several
// sizes, signed and not, with values around 24, booleans and the simple
// values beside them, floats of every size, NaN and an infinity, and
// every truncation of each.
func TestCBORFastStructScalars(t *testing.T) {
	// Small fields side by side, decoded in another order than they lie:
	// a write of the wrong size shows in a neighbour.
	type rec struct {
		S   string
		I8  int8
		U8  uint8
		B   bool
		I16 int16
		I   int
		U64 uint64
		F   float64
		T   string `cbor:"t,omitempty"`
	}
	typ := reflect.TypeFor[rec]()
	var inputs [][]byte
	for _, n := range []int{0, 1, 23, 24, 25, 255, 256} {
		s := strings.Repeat("x", n)
		for _, head := range [][]byte{fastHead(3, uint64(n)), append([]byte{0x78}, byte(n)), {0x79, byte(n >> 8), byte(n)}} {
			if n > 255 && head[0] == 0x78 {
				continue
			}
			for k, i := range []uint64{0, 23, 24, 127, 128, 255, 256} {
				// false, true, null, undefined, 0 and 1 for the boolean
				boolean := []byte{[]byte{0xf4, 0xf5, 0xf6, 0xf7, 0x00, 0x01, 0xf5}[k]}
				// doubles, a NaN, an infinity, null, a single and a half
				float := [][]byte{
					fastHex("fb 3ff8000000000000"), fastHex("fb c0934a4000000000"), fastHex("fb 7ff8000000000000"),
					fastHex("fb 7ff0000000000000"), {0xf6}, fastHex("fa 3fc00000"), fastHex("f9 3e00"),
				}[k]
				in := fastMapItem(
					fastTextItem("S"), append(bytes.Clone(head), s...),
					fastTextItem("I16"), fastHead(0, i+1000),
					fastTextItem("I"), fastHead(0, i+24),
					fastTextItem("U8"), fastHead(0, i),
					fastTextItem("U64"), fastHead(0, i),
					fastTextItem("B"), boolean,
					fastTextItem("F"), float,
					fastTextItem("I8"), fastHead(0, min(i, 127)),
					fastTextItem("t"), append(bytes.Clone(head), s...),
				)
				inputs = append(inputs, in)
			}
		}
	}
	for _, in := range inputs {
		for cut := range len(in) + 1 {
			checkFastDecode(t, in[:cut], typ, false)
		}
		if t.Failed() {
			return
		}
	}
	// The shortest spellings of values the fast path takes must be taken.
	for _, v := range []rec{{}, {S: "a", I8: 23, I16: 24, I: 5, U8: 200, U64: 7, B: true, F: -0.25, T: strings.Repeat("y", 30)}, {S: strings.Repeat("z", 255), I: -1, U64: math.MaxUint64, F: math.MaxFloat64}} {
		data, err := fastRef(v)
		if err != nil {
			t.Fatal(err)
		}
		checkFastDecode(t, data, typ, true)
	}
}

// TestCBORFastAnySlabs covers the boxing of untyped strings, integers and
// floats in slabs (boxString, boxInt, boxFloat): the values equal the reference's, behave
// as any other any (==, as map keys, through a type switch), stay as
// they were after later decodings, and take a few allocations per
// doubling rather than one each, within twice the reference's memory.
func TestCBORFastAnySlabs(t *testing.T) {
	var items [][]byte
	var want []any
	for i := range 1000 {
		switch i % 5 {
		case 4:
			f := float64(i) / 7
			items = append(items, binary.BigEndian.AppendUint64([]byte{0xfb}, math.Float64bits(f)))
			want = append(want, f)
		case 0:
			s := fmt.Sprintf("prd_%06d", i)
			items, want = append(items, fastTextItem(s)), append(want, s)
		case 1:
			n := int64(i) * 1000003
			items, want = append(items, fastHead(0, uint64(n))), append(want, n)
		case 2:
			n := -int64(i) - 1
			items, want = append(items, fastHead(1, uint64(-n-1))), append(want, n)
		default:
			n := int64(i % 256)
			items, want = append(items, fastHead(0, uint64(n))), append(want, n)
		}
	}
	data := append(fastHead(4, uint64(len(items))), bytes.Join(items, nil)...)
	decode := func() []any {
		t.Helper()
		var got any
		if !cborFastDecode(data, &got) {
			t.Fatal("the fast path declined")
		}
		return got.([]any)
	}
	first := decode()
	seen := map[any]int{}
	for i, x := range first {
		if x != want[i] {
			t.Fatalf("element %d: %#v, want %#v", i, x, want[i])
		}
		switch v := x.(type) {
		case string:
			if v != want[i].(string) {
				t.Fatalf("element %d: a string %q, want %q", i, v, want[i])
			}
		case int64:
			if v != want[i].(int64) {
				t.Fatalf("element %d: an int64 %d, want %d", i, v, want[i])
			}
		case float64:
			if v != want[i].(float64) {
				t.Fatalf("element %d: a float64 %v, want %v", i, v, want[i])
			}
		default:
			t.Fatalf("element %d: a %T", i, x)
		}
		seen[x] = i
	}
	for range 3 {
		decode()
	}
	for i, x := range first {
		if x != want[i] || seen[want[i]] != seen[x] {
			t.Fatalf("element %d changed to %#v after later decodings", i, x)
		}
	}
	allocs := testing.AllocsPerRun(20, func() { decode() })
	// The slice, the copy of the input, and a slab per doubling for each
	// of strings, int64s and float64s; one per value would be over 700.
	if allocs > 40 {
		t.Errorf("%v allocations to decode 1000 untyped values", allocs)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	decode()
	runtime.ReadMemStats(&after)
	fast := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&before)
	var ref any
	if err := cborModesOnce().dec.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if fast > 2*(after.TotalAlloc-before.TotalAlloc) {
		t.Errorf("the fast path allocated %d bytes, the reference %d", fast, after.TotalAlloc-before.TotalAlloc)
	}
}

// TestCBORFastDeclineLeavesNoPlaintext: a value the fast path starts to
// write into a buffer's spare capacity and then declines (here a time
// whose offset has seconds, after a secret string) leaves none of it
// there, where a pooled buffer would keep it.
func TestCBORFastDeclineLeavesNoPlaintext(t *testing.T) {
	type rec struct {
		S string
		T time.Time
	}
	v := rec{S: "SECRET-TOKEN-123", T: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 61))}
	var b bytes.Buffer
	b.Grow(256)
	if cborFastEncode(&b, &v) {
		t.Fatal("the fast path took a time whose offset has seconds")
	}
	if spare := b.AvailableBuffer(); bytes.Contains(spare[:cap(spare)], []byte("SECRET")) {
		t.Error("the declined value's bytes are still in the buffer's spare capacity")
	}
}

// TestCBORFastEmptyStringsAllocateNothing: empty untyped strings are
// boxed as the runtime boxes them, without a slab slot each.
func TestCBORFastEmptyStringsAllocateNothing(t *testing.T) {
	data := append(fastHead(4, 1000), bytes.Repeat([]byte{0x60}, 1000)...)
	allocs := testing.AllocsPerRun(20, func() {
		var got any
		if !cborFastDecode(data, &got) {
			t.Fatal("the fast path declined")
		}
	})
	if allocs > 4 { // the []any and the few of any decoding, not one per string
		t.Errorf("%v allocations to decode 1000 empty strings", allocs)
	}
}

// TestCBORFastHead holds head to the head's definition (RFC 8949 §3):
// the argument in the low five bits below 24, or in the 1, 2, 4 or 8
// bytes after them, big-endian, refused when a shorter head could hold
// it, when the bits are 28 to 31, when the major type is another, and
// when the input ends before the argument does (every truncation).
func TestCBORFastHead(t *testing.T) {
	values := []uint64{0, 1, 23, 24, 255, 256, 1<<16 - 1, 1 << 16, 1<<32 - 1, 1 << 32, math.MaxUint64}
	for major := byte(0); major < 8; major++ {
		for ai := byte(0); ai < 32; ai++ {
			width := map[byte]int{24: 1, 25: 2, 26: 4, 27: 8}[ai]
			least := map[byte]uint64{24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}[ai]
			for _, v := range values {
				if ai < 24 {
					v = uint64(ai)
				} else if width > 0 && width < 8 && v >= 1<<(8*width) {
					continue // does not fit the width
				}
				data := []byte{major<<5 | ai}
				for i := width - 1; i >= 0; i-- {
					data = append(data, byte(v>>(8*i)))
				}
				data = append(data, 0xff) // what follows the head
				wantOK := ai < 24 || width > 0 && v >= least
				for _, asked := range []byte{major, (major + 1) % 8} {
					d := fastDecoder{data: data}
					got, ok := d.head(asked << 5)
					want := wantOK && asked == major
					if ok != want || ok && (got != v || d.off != 1+width) {
						t.Errorf("head(%d) of % x = %d, %v (off %d), want %d, %v (off %d)", asked, data, got, ok, d.off, v, want, 1+width)
					}
				}
				for cut := 1; cut <= width; cut++ {
					d := fastDecoder{data: data[:1+width-cut]}
					if _, ok := d.head(major << 5); ok {
						t.Errorf("head of % x, cut %d bytes short, took it", data[:1+width-cut], cut)
					}
				}
				if ai < 24 {
					break // one value for these
				}
			}
		}
	}
}
