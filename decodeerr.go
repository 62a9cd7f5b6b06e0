package cookiesession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// A payload that authenticated but does not decode into the destination
// is the application's own data: a field whose type changed between two
// releases, two stores sharing a cookie name and a keyring. The
// serializers' own errors quote what they could not decode ("cannot set
// tok_live_… for time.Time", "987654321 overflows int8"), and that is
// session plaintext, which must never reach an error or a log. So such an
// error is dropped, and replaced by a *DecodeError that says where and
// what, found by a second look at the payload that never keeps any of it.

// decodeFailure returns the error for plain, an authentic payload that s
// failed to decode into dst. It never carries the serializer's error.
func decodeFailure(s Serializer, plain []byte, dst any) error {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer {
		return &DecodeError{Type: fmt.Sprint(t)}
	}
	t = t.Elem()
	e := &DecodeError{Type: dataType(t).String()}
	d, ok := newDiagnosis(s)
	if !ok {
		return e // a serializer of the application's: nothing to look with
	}
	g, err := d.generic(plain)
	if err != nil {
		e.Problem = "not well-formed, or beyond the decoding limits"
		if !d.json && (errors.Is(err, errEpochTime) || strings.Contains(err.Error(), "time.Time")) {
			// fxamacker/cbor reads tags 0 and 1 as times, even into an
			// any: the payload is well-formed (FORMAT.md allows any
			// text in tag 0 and any number in tag 1), but holds what Go
			// reads as no time (checkPayload).
			e.Problem = "it holds a tag 0 or 1 (a time) whose content Go reads as no time: well-formed, " +
				"but of no type Go's decoder reads"
		}
		return e
	}
	path, ft, got, found := d.find(g, t, "", 0)
	if !found {
		return e
	}
	e.Type, e.Got = ft.String(), kindOf(got)
	var inData bool
	if e.Field, inData = userPath(t, path); !inData {
		e.Field, e.Type = "", "the session envelope"
	}
	return e
}

// envelopeMarker is implemented by envelope types only.
type envelopeMarker interface{ sessionEnvelope() }

func (envelope[T]) sessionEnvelope() {}

// isEnvelope reports whether t is a session's envelope, or a pointer to
// one: what a store seals.
func isEnvelope(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t.Implements(reflect.TypeFor[envelopeMarker]())
}

func envelopeDataType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	f, _ := t.FieldByName("Data")
	return f.Type
}

// diagnosis decodes a payload into generic values and tries parts of it
// against parts of the destination type, with the serializer's own rules.
type diagnosis struct {
	ser       Serializer
	json      bool
	unmarshal func([]byte, *any) error
	marshal   func(any) ([]byte, error)
}

var cborDiagOnce = sync.OnceValue(func() cbor.DecMode {
	// The default map type, map[any]any, keeps integer keys (keyasint)
	// integers.
	dec, err := cborLimits().DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return dec
})

func newDiagnosis(s Serializer) (diagnosis, bool) {
	switch s.(type) {
	case CBOR:
		return diagnosis{
			ser:       s,
			unmarshal: func(b []byte, v *any) error { return decodeCBOR(cborDiagOnce(), b, v) },
			marshal: func(v any) ([]byte, error) {
				var b bytes.Buffer
				err := cborModesOnce().enc.MarshalToBuffer(v, &b)
				return b.Bytes(), err
			},
		}, true
	case JSON:
		return diagnosis{
			ser:  s,
			json: true,
			unmarshal: func(b []byte, v *any) error {
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.UseNumber()
				return dec.Decode(v)
			},
			marshal: json.Marshal,
		}, true
	}
	return diagnosis{}, false
}

func (d diagnosis) generic(plain []byte) (any, error) {
	if d.json {
		if err := checkJSONDepth(plain); err != nil {
			return nil, err
		}
	}
	var g any
	err := d.unmarshal(plain, &g)
	return g, err
}

// fits reports whether the generic value g decodes into a T of type t.
func (d diagnosis) fits(g any, t reflect.Type) bool {
	b, err := d.marshal(g)
	if err != nil {
		return false
	}
	return deserialize(d.ser, b, reflect.New(t).Interface()) == nil // a panic of t's own methods does not fit
}

// find returns the path, the expected type and the generic value of the
// deepest part of g that does not decode into type t, with found false
// when g decodes. It descends only into parts that fail, so its work is
// bounded by the payload's size times its nesting, and it runs only for
// authentic payloads that failed to decode.
func (d diagnosis) find(g any, t reflect.Type, path string, depth int) (string, reflect.Type, any, bool) {
	if d.fits(g, t) {
		return "", nil, nil, false
	}
	if depth <= MaxNesting && !customDecoding(t) {
		et := t
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		switch et.Kind() {
		case reflect.Struct:
			for _, f := range d.fields(et) {
				if v, ok := d.member(g, f.key, f.fold); ok {
					if p, ft, gv, ok := d.find(v, f.typ, path+"."+f.name, depth+1); ok {
						return p, ft, gv, true
					}
				}
			}
		case reflect.Slice, reflect.Array:
			if items, ok := g.([]any); ok {
				for i, v := range items {
					if p, ft, gv, ok := d.find(v, et.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1); ok {
						return p, ft, gv, true
					}
				}
			}
		case reflect.Map:
			// A map's keys are the application's data too: the path
			// says "[…]", never which key.
			for _, v := range mapValues(g) {
				if p, ft, gv, ok := d.find(v, et.Elem(), path+"[…]", depth+1); ok {
					return p, ft, gv, true
				}
			}
		}
	}
	return path, t, g, true
}

// customDecoding reports whether t decodes itself, so that its parts are
// not the serializers' business. time.Time counts: it is one value.
func customDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	for _, i := range []reflect.Type{
		reflect.TypeFor[cbor.Unmarshaler](),
		reflect.TypeFor[json.Unmarshaler](),
		reflect.TypeFor[interface{ UnmarshalText([]byte) error }](),
		reflect.TypeFor[interface{ UnmarshalBinary([]byte) error }](),
	} {
		if p.Implements(i) {
			return true
		}
	}
	return false
}

type diagField struct {
	name string       // the Go field name, for the path
	key  any          // the key in the payload: a string, or an int64 for keyasint
	fold bool         // match string keys case-insensitively (encoding/json does)
	typ  reflect.Type // the field's type
}

// fields lists the exported fields of struct type t as the serializer
// names them, with the fields of embedded structs promoted.
func (d diagnosis) fields(t reflect.Type) []diagField {
	var out []diagField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("cbor") == "" && f.Tag.Get("json") == "" {
			out = append(out, d.fields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if !d.json {
			if c, ok := f.Tag.Lookup("cbor"); ok {
				tag = c
			}
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		df := diagField{name: f.Name, key: name, fold: d.json, typ: f.Type}
		if !d.json && strings.Contains(","+opts+",", ",keyasint,") {
			n, err := strconv.ParseInt(name, 10, 64)
			if err != nil {
				continue
			}
			df.key = n
		}
		out = append(out, df)
	}
	return out
}

// member returns the entry of the generic map g under key.
func (d diagnosis) member(g any, key any, fold bool) (any, bool) {
	switch m := g.(type) {
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return nil, false
		}
		if v, ok := m[k]; ok || !fold {
			return v, ok
		}
		for mk, v := range m {
			if strings.EqualFold(mk, k) {
				return v, true
			}
		}
	case map[any]any:
		for mk, v := range m {
			if sameKey(mk, key) {
				return v, true
			}
		}
	}
	return nil, false
}

func sameKey(a, b any) bool {
	if n, ok := b.(int64); ok {
		switch a := a.(type) {
		case int64:
			return a == n
		case uint64:
			return n >= 0 && a == uint64(n)
		}
		return false
	}
	return a == b
}

func mapValues(g any) []any {
	var out []any
	switch m := g.(type) {
	case map[string]any:
		for _, v := range m {
			out = append(out, v)
		}
	case map[any]any:
		for _, v := range m {
			out = append(out, v)
		}
	}
	return out
}

// kindOf names the kind of a generic value, never the value.
func kindOf(g any) string {
	switch g.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, uint64, cbor.Tag, json.Number:
		if n, ok := g.(json.Number); ok && strings.ContainsAny(string(n), ".eE") {
			return "number"
		}
		return "integer"
	case float32, float64:
		return "float"
	case string:
		return "text string"
	case []byte:
		return "byte string"
	case []any:
		return "array"
	case map[string]any, map[any]any:
		return "map"
	}
	if _, ok := g.(interface{ Sign() int }); ok { // *big.Int
		return "integer"
	}
	return "value"
}

// DecodeError reports a payload that authenticated but does not decode
// into the destination type: most often a field whose type changed
// between two releases. It matches [ErrMalformed]. It names where and
// what only, never any of the payload's contents.
type DecodeError struct {
	Field   string // the path of the field in the data, "Prefs.Theme", "History[3].At", "Counts[…]"; "" for the whole value
	Type    string // the Go type expected there, "time.Time"
	Got     string // what the payload holds there: "text string", "integer", "map", …; "" when unknown
	Problem string // a problem with the payload as a whole, when there is no field to name
}

func (e *DecodeError) Error() string {
	s := "cookiesession: malformed value: payload does not decode into " + e.Type
	if e.Field != "" {
		s = "cookiesession: malformed value: field " + e.Field + " does not decode into " + e.Type
	}
	if e.Got != "" {
		article := "a "
		if strings.IndexByte("aeiou", e.Got[0]) >= 0 {
			article = "an "
		}
		s += ": the payload holds " + article + e.Got + " there"
	}
	if e.Problem != "" {
		s += ": " + e.Problem
	}
	return s
}

// Is reports whether target is [ErrMalformed].
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }
