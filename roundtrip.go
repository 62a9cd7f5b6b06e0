package cookiesession

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/fxamacker/cbor/v2"
)

// What Save accepts, Load returns equal: a value that would seal but not
// open again (or open different) is refused when it is sealed, with the
// browser's cookies left as they were, rather than sealed and lost on the
// next request. The values at stake:
//
//   - times that RFC 3339 cannot write: years outside 0–9999, which no
//     reader parses, and zone offsets with seconds or of 24 hours or more,
//     which come back rounded or not at all (checkValue);
//   - values that hold themselves or nest deeper than MaxNesting, which
//     an encoder would recurse into until the stack overflows, and maps
//     with keys other than text held in an interface, which CBOR decodes
//     as a map[string]any and so fails (checkValue);
//   - parts that decode themselves (custom unmarshalers), that write
//     themselves and cannot read themselves back (a marshaler without
//     its unmarshaler), or that no decoder can fill (interfaces with
//     methods): for types that have them, the encoding is decoded once
//     more before it is sealed (sealableAfter);
//   - under CBOR, slices, arrays and maps of more elements than its
//     decoder accepts; under JSON, a big.Float its decimal brings back
//     as another number, and map keys whose MarshalText collide; an
//     embedded pointer of which nothing is written, which comes back nil
//     (checkValue);
//   - strings that are not UTF-8, which JSON cannot hold (JSON's
//     serializeTo).
//
// And a value whose encoding would be longer than any codec seals is
// refused before it is encoded (sealWalk), since encoders write a part
// once for every place that holds it.
//
// The checks walk values, and only of types that can hold such parts
// (or, for the weight, a pointer, slice, array, map or interface). The
// CBOR fast path (cborfast.go) steps aside for every value with a time
// or depth to check, and stops past the length any codec seals, so these
// checks cost nothing on it.
//
// Times held in an interface (a map[string]any) are written as text and
// come back as text, as every untyped value comes back in its generic
// form; they are not checked.

// ErrUnsupportedValue means a value was refused when it was sealed,
// because it would not open again equal: Save and Encode return it, and
// write nothing. Errors matching it are a *ValueError.
var ErrUnsupportedValue = errors.New("cookiesession: value cannot be sealed")

// ValueError reports a value that cannot be sealed. It names the field
// and the type, never the value. It matches [ErrUnsupportedValue].
type ValueError struct {
	Field   string // the path of the field, "Prefs.Since", "Visits[2].At"; "" for the whole value
	Type    string // the Go type there
	Problem string // what is wrong with it, in words
}

func (e *ValueError) Error() string {
	s := "cookiesession: value cannot be sealed"
	if e.Field != "" {
		s += ": field " + e.Field
	}
	if e.Type != "" {
		s += " (" + e.Type + ")"
	}
	return s + ": " + e.Problem
}

// Is reports whether target is [ErrUnsupportedValue].
func (e *ValueError) Is(target error) bool { return target == ErrUnsupportedValue }

// sealableBefore checks v before one of this package's serializers
// encodes it (see checkValue): its times, which an encoder may write
// without complaint (fxamacker/cbor) or refuse with a message that quotes
// them (encoding/json), and its depth, before an encoder recurses into a
// value that holds itself until the stack overflows.
func sealableBefore(v any, ser encoder) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil
	}
	plan := roundTripPlanOf(rv.Type())
	// A field the encoder leaves out of every value: the session would
	// open without it.
	if err := lostError(plan, ser, "", dataType(rv.Type())); err != nil {
		return err
	}
	// A value of a type that holds no pointer, slice, array, map or
	// interface is written once, as long as it is in memory: it has
	// nothing to weigh.
	if !plan.walk() && !plan.selfLost(ser) && !(ser != encOther && plan.heavy) {
		return nil
	}
	if err := checkValue(rv, 0, 0, ser, false, &sealWalk{leaves: ser != encOther}); err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			ve.Field, _ = userPath(rv.Type(), ve.Field)
		}
		return err
	}
	return nil
}

// sealableAfter checks, for types that need it, that enc, the encoding of
// v, decodes again.
func sealableAfter(ser Serializer, v any, enc []byte) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil
	}
	// Under CBOR, a value with an interface among its parts that the
	// fast path did not write (it writes only what its reader opens)
	// is decoded once more too: what the interface holds may write
	// itself (a MarshalCBOR's duplicate keys, a map with integer keys
	// where a map[string]any is read back) or be a cbor.Tag, which
	// fxamacker/cbor writes whatever its content (a tag 0 around an
	// integer), and the reader, held to FORMAT.md's rules, refuses.
	p := roundTripPlanOf(rv.Type())
	if !p.verify && !(p.iface && ser == (CBOR{})) {
		return nil
	}
	dst := reflect.New(rv.Type()).Interface()
	if err := deserialize(ser, enc, dst); err != nil {
		// decodeFailure names the field and the type without the
		// serializer's message, which may quote the value.
		ve := &ValueError{Type: dataType(rv.Type()).String(), Problem: "its encoding does not decode again"}
		if p.iface && ser == (CBOR{}) {
			ve.Problem += ": a part held in an interface may write CBOR that the reader refuses " +
				"(a MarshalCBOR's own bytes, a cbor.Tag whose content its number does not allow)"
		}
		var de *DecodeError
		if errors.As(decodeFailure(ser, enc, dst), &de) {
			ve.Field, ve.Type = de.Field, de.Type
			if _, t, ok := typePathWhere(rv.Type(), ser == (CBOR{}), writesOnly); ok && t.String() == de.Type {
				ve.Problem = "it writes itself (MarshalJSON, MarshalText, MarshalCBOR or MarshalBinary) but has no method " +
					"to read itself back, and what it writes does not decode as the type: give it the unmarshaler too"
			}
			if _, t, ok := typePathWhere(rv.Type(), ser == (CBOR{}), methodInterface); ok && t.String() == de.Type {
				// An error, a fmt.Stringer: written as what it holds,
				// and decoded into nothing, since no decoder knows
				// which concrete type to make.
				ve.Problem = "a field of an interface type with methods (an error, a fmt.Stringer) is written, " +
					"but no decoder can make one again; keep its text instead (err.Error()), or a concrete type"
			}
		}
		return ve
	}
	return nil
}

// encoder says whose rules sealableBefore checks a value by.
type encoder int

const (
	encOther encoder = iota // a serializer of the application's
	encCBOR                 // CBOR{}: fxamacker/cbor's
	encJSON                 // JSON{}: encoding/json's
)

// sealable is sealableBefore and sealableAfter, for a serializer of the
// application's, which has encoded v already.
func sealable(ser Serializer, v any, enc []byte) error {
	if err := sealableBefore(v, encOther); err != nil {
		return err
	}
	return sealableAfter(ser, v, enc)
}

// checkSessionType refuses a session type that this package's serializer
// would seal as nothing: a struct (or a pointer to one) that has fields
// but writes none of them, since all are unexported, or tagged "-",
// and that does not encode itself. Every Save of it would succeed and
// every Load give back the zero value, with no error anywhere; the fields
// of a struct nested in the session are the application's to choose, and
// lostField and the round-trip checks cover what is lost there.
func checkSessionType(t reflect.Type, ser Serializer) error {
	var cbor bool
	switch ser.(type) {
	case CBOR, nil: // nil: the default, CBOR
		cbor = true
	case JSON:
	default:
		return nil // an application's serializer follows rules of its own
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || customDecoding(t) || !writesNoField(t, cbor, 0) {
		return nil
	}
	hooks := "MarshalCBOR and UnmarshalCBOR"
	if !cbor {
		hooks = "MarshalJSON and UnmarshalJSON"
	}
	return fmt.Errorf("cookiesession: NewStore: the session type %s has no field the serializer writes "+
		"(unexported fields, and fields tagged \"-\", are left out), so every session would come back as its "+
		"zero value: export the fields that make up the session, or give the type %s", t, hooks)
}

// writesNoField reports whether struct type t has fields, none of which
// the serializer writes: every field unexported (an embedded struct's
// exported fields are promoted, and count), or tagged "-". A struct with
// no fields, or only blank ones, holds nothing to lose. Embedding is
// followed at most MaxNesting levels deep.
func writesNoField(t reflect.Type, cbor bool, depth int) bool {
	held := false
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue // a blank field holds nothing the program can set
		}
		held = true
		if fieldTag(f, cbor) == "-" {
			continue
		}
		if f.IsExported() {
			return false
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && ft.Kind() == reflect.Struct && depth < MaxNesting && !writesNoField(ft, cbor, depth+1) {
			return false // it promotes an exported field
		}
	}
	return held
}

// userPath turns the path of a field in a value of type t into the path
// the application knows: within a session's envelope, the path in its
// data. It reports false for a field of the envelope itself.
func userPath(t reflect.Type, path string) (string, bool) {
	path = strings.TrimPrefix(path, ".")
	if !isEnvelope(t) {
		return path, true
	}
	switch {
	case path == "Data":
		return "", true
	case strings.HasPrefix(path, "Data."):
		return path[len("Data."):], true
	case strings.HasPrefix(path, "Data["):
		return path[len("Data"):], true
	}
	return "", false
}

// dataType is t, or the type of the data when t is a session's envelope.
func dataType(t reflect.Type) reflect.Type {
	if isEnvelope(t) {
		return envelopeDataType(t)
	}
	return t
}

// serializeError gives a serializer's failure to encode v this package's
// form. The serializers' own messages can quote values (a custom
// marshaler's error, a JSON string), so only the ones that name types
// alone are kept.
func serializeError(v any, err error) error {
	var ve *ValueError
	if errors.As(err, &ve) {
		return ve
	}
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return tl // weighed too large before encoding (checkValue)
	}
	var cborType *cbor.UnsupportedTypeError
	var jsonType *json.UnsupportedTypeError
	problem := "the serializer cannot encode it"
	var unsupported reflect.Type
	switch {
	case errors.As(err, &cborType):
		problem, unsupported = err.Error(), cborType.Type
	case errors.As(err, &jsonType):
		problem, unsupported = err.Error(), jsonType.Type
	case errors.Is(err, errTooDeep):
		problem = "nested deeper than MaxNesting"
	case errors.Is(err, errMethodPanic):
		problem = errMethodPanic.Error() + " while it was encoded (a method promoted from a nil embedded pointer?)"
	}
	root := reflect.TypeOf(v)
	if unsupported != nil {
		// Name the field: the encoders name the type alone, and leave
		// the application to look for it. encoding/json names the type
		// it cannot write; fxamacker/cbor the struct that holds it, so
		// a func, a channel or a complex number is looked for below it.
		isCBOR := cborType != nil
		ve := &ValueError{Type: unsupported.String(), Problem: problem}
		// A field of a kind no encoder writes, that this one writes (its
		// tag is its own); else the field of the type the encoder named
		// (a map with float keys, for JSON).
		path, t, ok := typePathWhere(root, isCBOR, unwritable)
		if !ok {
			path, t, ok = typePathWhere(root, isCBOR, func(t reflect.Type) bool { return t == unsupported })
		}
		if ok {
			ve.Field, _ = userPath(root, path)
			ve.Type = t.String()
		}
		if t != nil && unwritable(t) {
			ve.Problem = "no serializer can write a value of this kind (a func, a channel, a complex number); keep it " +
				"out of the session: make the field unexported, or tag it `cbor:\"-\" json:\"-\"`"
		}
		return ve
	}
	return &ValueError{Type: dataType(root).String(), Problem: problem}
}

// unwritable reports whether t is of a kind that neither CBOR nor JSON
// writes.
func unwritable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return true
	}
	return false
}

// methodInterface reports whether t is an interface type with methods,
// which no decoder can fill.
func methodInterface(t reflect.Type) bool { return t.Kind() == reflect.Interface && t.NumMethod() > 0 }

// typePathWhere returns the path, from type root, of the first type that
// match reports, and that type, as the encoders reach it: exported fields
// not tagged "-", the elements of pointers, slices, arrays and maps
// ("[]"), to MaxNesting levels. It finds no type held in an interface. ok
// is false if there is none, or root itself matches.
func typePathWhere(root reflect.Type, cbor bool, match func(reflect.Type) bool) (path string, found reflect.Type, ok bool) {
	type step struct {
		t    reflect.Type
		path string
	}
	level, seen := []step{{root, ""}}, map[reflect.Type]bool{root: true}
	for depth := 0; len(level) > 0 && depth <= MaxNesting; depth++ {
		var next []step
		add := func(t reflect.Type, path string) (string, bool) {
			if match(t) {
				found = t
				return strings.TrimPrefix(path, "."), path != ""
			}
			if !seen[t] {
				seen[t] = true
				next = append(next, step{t, path})
			}
			return "", false
		}
		for _, s := range level {
			switch s.t.Kind() {
			case reflect.Pointer:
				if p, ok := add(s.t.Elem(), s.path); ok {
					return p, found, true
				}
			case reflect.Slice, reflect.Array, reflect.Map:
				if p, ok := add(s.t.Elem(), s.path+"[]"); ok {
					return p, found, true
				}
			case reflect.Struct:
				for i := range s.t.NumField() {
					f := s.t.Field(i)
					if (!f.IsExported() && !f.Anonymous) || fieldTag(f, cbor) == "-" {
						continue
					}
					if p, ok := add(f.Type, s.path+"."+f.Name); ok {
						return p, found, true
					}
				}
			}
		}
		level = next
	}
	return "", nil, false
}

// checkValue walks v and refuses the first part that would not open again
// equal: a statically typed time RFC 3339 cannot write (in a field, an
// element or a map key), and, for the CBOR serializer, a map with keys
// other than text held in an interface, which decodes as a
// map[string]any and so fails, or a slice, array or map of more than
// maxElements, which no CBOR decoder of this package accepts. It also
// refuses a value nested deeper than MaxNesting or that holds itself (a
// map of any holding itself, a pointer cycle), before an encoder recurses
// into it without end. It descends only into the parts whose type can
// hold one of those, or, for this package's serializers, that the
// encoding must be weighed for (see sealWalk). Fields that the encoder
// leaves out (tagged "-") are not looked at: they are not written.
func checkValue(v reflect.Value, levels, hops int, ser encoder, generic bool, w *sealWalk) error {
	return checkValueOf(v, nil, levels, hops, ser, generic, w)
}

// checkValueOf is checkValue, with p the plan of v's type when the caller
// has it (a field's, a slice's elements'), or nil.
func checkValueOf(v reflect.Value, p *roundTripPlan, levels, hops int, ser encoder, generic bool, w *sealWalk) error {
	if err := w.visit(1); err != nil {
		return err
	}
	cbor := ser == encCBOR
	if hops > 4*(MaxNesting+1) { // pointers and interfaces without end
		return &ValueError{Field: w.at(), Type: v.Type().String(), Problem: "it holds itself"}
	}
	t := v.Type()
	if t == timeType {
		if !v.CanInterface() {
			return nil // an unexported field: no serializer writes it
		}
		t := timeOf(v)
		if problem := timeProblem(t, cbor); problem != "" {
			return &ValueError{Field: w.at(), Type: "time.Time", Problem: problem}
		}
		// RFC 3339 text is 20 bytes at least ("2006-01-02T15:04:05Z"),
		// with its quotes in JSON; CBOR writes a zero time as null.
		switch {
		case ser == encJSON:
			return w.weigh(22)
		case ser == encCBOR && !t.IsZero():
			return w.weigh(21)
		}
		return nil
	}
	// Below an interface (generic), a map's keys are looked at too.
	if p == nil {
		plan := roundTripPlanOf(t)
		p = &plan
	}
	if t == bigFloatType && w.leaves && v.CanAddr() && v.CanInterface() {
		if err := checkBigFloat(v.Addr().Interface().(*big.Float), w, ser); err != nil {
			return err
		}
	}
	if ser == encJSON && v.CanInterface() {
		if problem := jsonComesBackOther(v, p); problem != "" {
			return &ValueError{Field: w.at(), Type: t.String(), Problem: problem}
		}
	}
	if w.leaves {
		if err := w.weighLeaf(v, p, ser); err != nil {
			return err
		}
	}
	if !p.walk() && !(generic && cbor && p.otherKeys) && !p.selfLost(ser) && !(w.leaves && (p.heavy || p.texts || p.marshals)) {
		return nil
	}
	if p.decodes {
		// The plan of a type that decodes itself says whether the encoder
		// ignores its marshaler (ignoredMarshaler, once per type).
		if fields := p.byFields(ser); fields || p.selfLost(ser) && v.CanInterface() {
			// The encoder writes its fields, as it writes any struct's:
			// they are checked as such first, since a value that holds
			// itself through them would have the encoding recurse
			// without end.
			if sv := reflect.Indirect(v); fields && sv.Kind() == reflect.Struct {
				w.byFields++
				defer func() { w.byFields-- }()
				for i := range sv.NumField() {
					// Not an embedded one, whose methods the struct
					// may have taken on: it is the struct's own business.
					if f := sv.Type().Field(i); f.IsExported() && !f.Anonymous {
						if err := w.descend(pathStep{name: f.Name}, sv.Field(i), nil, levels+1, hops, ser, generic); err != nil {
							return err
						}
					}
				}
			}
			if p.selfLost(ser) && v.CanInterface() && lostThroughFields(v, cbor) {
				return &ValueError{Field: w.at(), Type: t.String(), Problem: ignoredMarshalerProblem(cbor)}
			}
		}
		// Its parts are its own business, but for a time.Time embedded in
		// a struct, whose methods the struct takes on: encoding/json
		// writes such a struct as that time.
		if t.Kind() == reflect.Struct {
			for i := range t.NumField() {
				if f := t.Field(i); f.Anonymous && f.Type == timeType {
					return checkValue(v.Field(i), levels, hops, ser, generic, w)
				}
			}
		}
		return nil
	}
	container := func() error {
		if levels++; levels > MaxNesting {
			return &ValueError{Field: w.at(), Type: t.String(), Problem: "nested deeper than MaxNesting, or it holds itself"}
		}
		return nil
	}
	// elements refuses a slice, array or map of more elements than a CBOR
	// decoder of this package accepts (maxElements): it would seal, and
	// never open again.
	elements := func(n int) error {
		if cbor && n > maxElements {
			return &ValueError{Field: w.at(), Type: t.String(),
				Problem: "it has " + strconv.Itoa(n) + " elements, more than the " + strconv.Itoa(maxElements) + " a CBOR decoder accepts"}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return checkValue(v.Elem(), levels, hops+1, ser, generic, w)
		}
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		// What the field holds is known only now: a struct whose
		// encoder leaves a field out (see lostField).
		ep := roundTripPlanOf(e.Type())
		if ep.lost(ser) != "" {
			return lostError(ep, ser, w.at(), e.Type())
		}
		if cbor && ep.intKeys {
			return &ValueError{Field: w.at(), Type: e.Type().String(),
				Problem: "a struct with keyasint fields, written as a map with integer keys, held in an interface, decodes as a map[string]any and fails: give the field its type"}
		}
		// Below an interface every part decodes into the generic form,
		// whose maps have text keys only: a map that holds another key,
		// anywhere in the value (the value itself, a struct's field, a
		// slice's element), fails (see the reflect.Map case).
		return checkValue(e, levels, hops+1, ser, true, w)
	case reflect.Struct:
		if t == cborTagType {
			// A tag wraps its content without a level of its own.
			return checkValue(v.Field(1), levels, hops+1, ser, generic, w)
		}
		if ser != encOther && w.byFields == 0 && onlyUnexported(t) && !v.IsZero() {
			problem := "it keeps all it holds in unexported fields, which no encoder writes: it would come back as " +
				"its zero value; store what it holds in exported fields (a time zone by its name), or give the type " +
				"a marshaler and an unmarshaler"
			if reflect.PointerTo(t).Implements(errorType) || t.Implements(errorType) {
				problem = "an error keeps its text in unexported fields, which no encoder writes: it would come back " +
					"empty; keep its text instead (err.Error())"
			}
			return &ValueError{Field: w.at(), Type: t.String(), Problem: problem}
		}
		if err := container(); err != nil {
			return err
		}
		for _, f := range walkFieldsOf(t, ser) {
			fv := v.Field(f.index)
			if f.omitZero && omittedAsZero(fv, f.zeroBy) {
				continue // not written: nothing of it to look at, or to weigh
			}
			if empty, sure := emptyByKind(fv); f.omit && !f.plan.custom && empty && sure && fv.IsZero() {
				// Left out by omitempty and by omitzero alike (a nil
				// slice, an empty string, a zero number), as by omitzero
				// above; an empty slice that is not nil omitzero writes.
				continue
			}
			if !f.written && ser != encOther && fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct &&
				!writesAField(fv.Elem(), ser, 0) {
				// An embedded pointer is decoded only when one of its
				// fields is there: with none written, it comes back nil,
				// and a field read through it panics.
				w.path = append(w.path, pathStep{name: f.name})
				at := w.at()
				w.path = w.path[:len(w.path)-1]
				return &ValueError{Field: at, Type: fv.Type().String(), Problem: "an embedded pointer whose fields are all " +
					"left out (empty, and tagged omitempty or omitzero) comes back nil: embed the struct itself, or leave the pointer nil"}
			}
			if f.written && !(f.omit && mayBeOmitted(fv, f.plan)) {
				if err := w.weigh(f.weight); err != nil {
					return err
				}
			}
			if err := w.descend(pathStep{name: f.name}, fv, f.plan, levels, hops, ser, generic); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // a byte string, weighed as a leaf
		}
		if t.Kind() == reflect.Slice && v.IsNil() {
			return nil // written as null: no level
		}
		if err := container(); err != nil {
			return err
		}
		n := v.Len()
		if err := elements(n); err != nil {
			return err
		}
		ep := roundTripPlanOf(t.Elem())
		if w.flat(ep, ser) && !(generic && cbor && ep.otherKeys) {
			// Nothing in them to look at, or to weigh beyond what their
			// type says; but the encoder goes through each of their
			// fields, which count as parts.
			if err := w.weigh(min(n, maxMaxLength+1) * flatWeight(t.Elem(), ser)); err != nil {
				return err
			}
			if err := w.weighIntegers(v, ser); err != nil {
				return err
			}
			return w.visit(min(n, maxParts+1) * ep.parts)
		}
		// Every element is written, and is at least one byte.
		if err := w.weigh(n); err != nil {
			return err
		}
		for i := range n {
			if err := w.descend(pathStep{index: i}, v.Index(i), &ep, levels, hops, ser, generic); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return nil // written as null: no level
		}
		if err := container(); err != nil {
			return err
		}
		n := v.Len()
		if err := elements(n); err != nil {
			return err
		}
		// Every entry is written, a key and a value of a byte at least.
		if err := w.weigh(2 * n); err != nil {
			return err
		}
		// encoding/json writes a key that is not a string by its
		// MarshalText: two keys that write the same text come back as one.
		var texts map[string]bool
		if ser == encJSON && t.Key().Kind() != reflect.String && reflect.PointerTo(t.Key()).Implements(textMarshalerType) {
			texts = make(map[string]bool, n)
		}
		kp, vp := roundTripPlanOf(t.Key()), roundTripPlanOf(t.Elem())
		for it := v.MapRange(); it.Next(); {
			if texts != nil {
				if m, ok := it.Key().Interface().(encoding.TextMarshaler); ok {
					if text, err := m.MarshalText(); err == nil {
						if texts[string(text)] {
							return &ValueError{Field: w.at(), Type: t.String(),
								Problem: "two of its keys write the same text (MarshalText), and would come back as one"}
						}
						texts[string(text)] = true
					}
				}
			}
			if k := it.Key(); cbor && generic && !textKey(k) {
				return &ValueError{Field: w.at(), Type: t.String(),
					Problem: "a map with keys other than text, held in an interface, decodes as a map[string]any and fails: give the field its type"}
			}
			if err := w.descend(pathStep{index: pathKey}, it.Key(), &kp, levels, hops, ser, generic); err != nil {
				return err
			}
			if err := w.descend(pathStep{index: pathValue}, it.Value(), &vp, levels, hops, ser, generic); err != nil {
				return err
			}
		}
	}
	return nil
}

// pathStep is one step of where checkValue is in a value: a field of the
// part above (name), an element (index), or a map's key or value.
type pathStep struct {
	name  string
	index int
}

const (
	pathKey   = -1 // a map's key
	pathValue = -2 // a map's value
)

// descend walks v, one step below where the walk is.
func (w *sealWalk) descend(step pathStep, v reflect.Value, p *roundTripPlan, levels, hops int, ser encoder, generic bool) error {
	w.path = append(w.path, step)
	err := checkValueOf(v, p, levels, hops, ser, generic, w)
	w.path = w.path[:len(w.path)-1]
	return err
}

// at is where the walk is, as ValueError.Field gives it: "Prefs.Since",
// "Visits[2].At", "Tags[key]", "Tags[…]"; "" for the whole value. The
// path is made into text only for an error.
func (w *sealWalk) at() string {
	var b strings.Builder
	for i, step := range w.path {
		switch {
		case step.name != "":
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(step.name)
		case step.index == pathKey:
			b.WriteString("[key]")
		case step.index == pathValue:
			b.WriteString("[…]")
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(step.index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

var cborTagType = reflect.TypeFor[cbor.Tag]()

// sealWalk bounds the work of sealing one value, for checkValue, which
// carries it through the whole walk.
//
// An encoder writes a part once for every place that holds it: a tree
// whose nodes share their children, a slice of a million references to
// one long string, a slice of a billion empty structs (which take no
// memory at all) are each a few bytes or kilobytes in memory, and
// gigabytes once encoded. encoding/json and fxamacker/cbor write the whole
// value into memory before its length can be checked, so such a value
// would cost minutes and end the process out of memory, which no caller
// can recover from. For this package's serializers the walk weighs the
// value first: weight is a lower bound of its encoding's length, in
// bytes (every element, map entry and field written is at least one
// byte, and a string or byte string at least as many bytes as it holds),
// and past maxMaxLength, more than any codec seals, the value is refused
// as too large before it is encoded. visits bounds the parts the walk
// reaches, for every serializer: parts that may write nothing at all
// (fields left out when empty) are reached but not weighed.
type sealWalk struct {
	weight int        // at least this many bytes are written
	visits int        // the parts reached, each counted every time it is reached
	leaves bool       // weigh the value: it is for this package's serializers
	path   []pathStep // where the walk is (at)
	// byFields counts the types that decode themselves whose fields the
	// walk is in (checkValue): such a type's own check (lostThroughFields)
	// speaks for what its fields keep, and more precisely.
	byFields int
}

// maxParts bounds the parts checkValue reaches in one value, each counted
// every time it is reached, whatever weighs them: a few times as many as
// the longest encoding that any codec seals has bytes, which the walk
// reaches in well under a second.
const maxParts = 4 * maxMaxLength

// visit counts n parts reached.
func (w *sealWalk) visit(n int) error {
	if n > maxParts-w.visits {
		return &TooLargeError{What: "value", Size: w.visits + min(n, maxParts+1), Limit: maxParts, Unit: "parts"}
	}
	w.visits += n
	return nil
}

// weigh adds n bytes to the weight (n may be as large as a slice of
// empty structs is long), refusing the value once it is more than any
// codec seals.
func (w *sealWalk) weigh(n int) error {
	if !w.leaves {
		return nil
	}
	if n > maxMaxLength-w.weight {
		return &TooLargeError{What: "value", Size: w.weight + min(n, maxMaxLength+1), Limit: maxMaxLength, AtLeast: true}
	}
	w.weight += n
	return nil
}

// weighLeaf adds the bytes that v, of plan p, writes of its own: a
// string's or a byte string's length, a big.Int's digits. A type that
// writes itself by methods of its own (hasCustomCBOR) is weighed by its
// place alone: what its methods write is theirs to say.
func (w *sealWalk) weighLeaf(v reflect.Value, p *roundTripPlan, ser encoder) error {
	t := v.Type()
	if t == bigIntType {
		if !v.CanAddr() || !v.CanInterface() {
			return nil // an unexported field, or a copy: not written as such
		}
		// encoding/json writes it in decimal, at least 3 digits to every
		// 10 bits (log10 2 > 0.3), fxamacker/cbor as bytes; a number of a
		// megabyte takes encoding/json seconds to write out in decimal.
		bits := v.Addr().Interface().(*big.Int).BitLen()
		if ser == encJSON {
			return w.weigh(bits / 10 * 3)
		}
		return w.weigh(bits / 8)
	}
	calls := p.callsCBOR
	if ser == encJSON {
		calls = p.callsJSON
	}
	if calls != nil {
		return w.weighMarshaler(v, calls)
	}
	// Else the encoder writes it by its kind, whatever other methods it
	// has (a json.RawMessage under CBOR is a byte string).
	if isText(t) {
		return w.weigh(v.Len())
	}
	return nil
}

// weighMarshaler weighs what the marshaler calls, which the encoder
// calls to write v, writes: a type's own methods may write far more than
// it holds (a value of no size at all that writes a kilobyte, held in a
// million places). The method is called as the encoder will call it, on
// v's address when it has one, or on v when the method has a value
// receiver; its error, and a method the encoder cannot call, are the
// encoder's to report.
func (w *sealWalk) weighMarshaler(v reflect.Value, calls reflect.Type) error {
	if !v.CanInterface() {
		return nil // an unexported field: not written
	}
	var x any
	switch {
	case v.CanAddr():
		x = v.Addr().Interface()
	case v.Type().Implements(calls):
		x = v.Interface()
	default:
		return nil // a pointer method the encoder cannot call: it writes the value by its kind
	}
	var b []byte
	var err error
	n := 0
	switch calls {
	case jsonMarshalerType:
		b, err = x.(json.Marshaler).MarshalJSON()
		// encoding/json writes it compacted: its spaces outside strings
		// go, and are not counted.
		for _, space := range []byte(" \t\n\r") {
			n -= bytes.Count(b, []byte{space})
		}
	case cborMarshalerType:
		b, err = x.(cbor.Marshaler).MarshalCBOR() // written as it is
	case binaryMarshalerType:
		b, err = x.(encoding.BinaryMarshaler).MarshalBinary() // a byte string
	case textMarshalerType:
		b, err = x.(encoding.TextMarshaler).MarshalText() // a text string
	}
	if err != nil {
		return nil
	}
	n += len(b)
	return w.weigh(n)
}

// maxFloatExp bounds the binary exponent of a big.Float that is sealed:
// its text, which encoding/json writes (and the check below makes), takes
// time in proportion to it, seconds for a number of one bit and an
// exponent of 2^24.
const maxFloatExp = 1 << 16

// checkBigFloat refuses a big.Float that would take long to write, or,
// under JSON, that would come back as another number.
func checkBigFloat(f *big.Float, w *sealWalk, ser encoder) error {
	if exp := f.MantExp(nil); exp > maxFloatExp || exp < -maxFloatExp {
		return &ValueError{Field: w.at(), Type: "big.Float", Problem: "its exponent is beyond ±" + strconv.Itoa(maxFloatExp) +
			" bits, whose decimal would take long to write: keep it as a mantissa and an exponent (f.MantExp)"}
	}
	if ser != encJSON {
		return nil
	}
	// encoding/json writes it as its shortest decimal at its own
	// precision, which UnmarshalText reads back at 64 bits: a number of
	// other precision may come back as another.
	text, err := f.MarshalText()
	var back big.Float
	if err != nil || back.UnmarshalText(text) != nil || back.Cmp(f) != 0 {
		return &ValueError{Field: w.at(), Type: "big.Float", Problem: "JSON writes it as a decimal that comes back at 64 bits of " +
			"precision, as another number: keep its text (f.Text('g', -1)) in a string field, or use the CBOR serializer with a big.Int"}
	}
	return nil
}

// jsonComesBackOther says how v, written by encoding/json, would come back
// as another value, or returns "". Three kinds of value do, each a value
// encoding/json writes in a form of its own rather than as it is:
//
//   - an empty json.Number, written as 0 (and read back as "0");
//   - a json.RawMessage, written compacted, and when nil as null, which
//     decodes into it as the four bytes "null";
//   - a slice that writes itself as text or JSON, empty but not nil (a
//     net.IP{}), when its unmarshaler reads the empty text back as nil.
//
// A field that omitempty leaves out is not written, and not checked here.
func jsonComesBackOther(v reflect.Value, p *roundTripPlan) (problem string) {
	defer func() {
		if recover() != nil {
			problem = "" // a method of the value panicked: the encoder's call reports it
		}
	}()
	switch t := v.Type(); {
	case t == jsonNumberType:
		if v.String() == "" {
			return "an empty json.Number is written as 0 and comes back as \"0\": leave it out (omitempty), or hold a number"
		}
	case t == rawMessageType:
		raw := v.Bytes()
		if raw == nil {
			return "a nil json.RawMessage is written as null and comes back as the text null: leave it out (omitempty), " +
				"or hold json.RawMessage(\"null\")"
		}
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil && !bytes.Equal(b.Bytes(), raw) {
			return "encoding/json writes a json.RawMessage compacted, so this one, with spaces or line breaks between " +
				"its tokens, comes back as other bytes: hold it compacted (json.Compact)"
		}
	case t.Kind() == reflect.Slice && p.callsJSON != nil && !v.IsNil() && v.Len() == 0:
		enc, err := json.Marshal(v.Interface())
		back := reflect.New(t)
		if err == nil && json.Unmarshal(enc, back.Interface()) == nil && back.Elem().IsNil() {
			return "it is empty but not nil, and what it writes of itself comes back nil: hold nil instead"
		}
	}
	return ""
}

// hasOption reports whether opts, a struct tag's options after its name,
// hold opt.
func hasOption(opts, opt string) bool { return slices.Contains(strings.Split(opts, ","), opt) }

// isText reports whether t is a string or a byte string.
func isText(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Slice, reflect.Array:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// flat reports whether values of plan p hold nothing that checkValue
// must look at or, for this walk, weigh beyond the byte of their place:
// numbers and booleans, and structs and arrays of them.
func (w *sealWalk) flat(p roundTripPlan, ser encoder) bool {
	return !p.walk() && !p.selfLost(ser) && !(w.leaves && (p.heavy || p.texts || p.marshals))
}

// weighIntegers adds to the weight, for a slice or array of integers,
// the bytes beyond the first that each takes: up to 8 more in CBOR, up to
// 19 digits and a sign more in JSON. Elements of other kinds add nothing.
func (w *sealWalk) weighIntegers(v reflect.Value, ser encoder) error {
	if !w.leaves {
		return nil
	}
	var signed bool
	switch v.Type().Elem().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		signed = true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		return nil
	}
	more := 0
	for i := range v.Len() {
		var u uint64
		neg := false
		if signed {
			n := v.Index(i).Int()
			if neg = n < 0; neg {
				u = uint64(-(n + 1)) // CBOR's negative integers hold -1-n
			} else {
				u = uint64(n)
			}
		} else {
			u = v.Index(i).Uint()
		}
		if ser == encJSON {
			if neg {
				u++ // the magnitude, one more than CBOR's
				more++
			}
			for ; u >= 10; u /= 10 {
				more++
			}
		} else {
			var head [9]byte
			more += len(appendHead(head[:0], majorUint, u)) - 1
		}
		// The loop is bounded by the slice's length, which the caller
		// weighed already; the weight is checked as it goes, so that a
		// long slice held in many places stops the walk at once.
		if i%4096 == 4095 {
			if err := w.weigh(more); err != nil {
				return err
			}
			more = 0
		}
	}
	return w.weigh(more)
}

var flatWeights sync.Map // walkFieldsKey → int

// flatWeight is the least that ser's encoder writes of a value of t, a
// type flat says holds nothing to weigh: a byte for a number or a
// boolean; for a struct, its head and every field not tagged omitempty
// or omitzero, name and value (a struct of no size may have a thousand
// fields with long names). It is at most maxMaxLength+1.
func flatWeight(t reflect.Type, ser encoder) int {
	if t.Kind() != reflect.Struct || t == timeType {
		return 1
	}
	key := walkFieldsKey{t, ser}
	if n, ok := flatWeights.Load(key); ok {
		return n.(int)
	}
	n := 1
	for _, f := range walkFieldsOf(t, ser) {
		switch {
		case f.written && !f.omit:
			n += f.weight - 1 + flatWeight(t.Field(f.index).Type, ser)
		case !f.written: // an embedded struct, whose fields are written in place
			n += flatWeight(t.Field(f.index).Type, ser) - 1
		}
		n = min(n, maxMaxLength+1)
	}
	flatWeights.Store(key, n)
	return n
}

// walkField is a struct field that checkValue looks at, as ser's
// encoder reads the struct's fields.
type walkField struct {
	index int
	name  string
	// written: the encoder writes the field (an exported one), or is left
	// to write what an embedded one promotes.
	written bool
	// omit: the field is tagged omitempty or omitzero, and may be left
	// out when empty (mayBeOmitted).
	omit bool
	// omitZero: the encoder leaves the field out when it is zero, by its
	// IsZero method if it has one (omitzero, in the json tag, or for CBOR
	// in either tag).
	omitZero bool
	// zeroBy says how omitzero asks the field whether it is zero: by an
	// IsZero method of its type (zeroByValue), of a pointer to it
	// (zeroByPointer), or by reflect (zeroByReflect).
	zeroBy uint8
	// weight is the least a field written takes: its value's byte, and
	// its name (as text, unless it is keyasint or the struct toarray).
	weight int
	plan   *roundTripPlan // of the field's type
}

// planPointer is roundTripPlanOf(t), in a variable of its own.
func planPointer(t reflect.Type) *roundTripPlan {
	p := roundTripPlanOf(t)
	return &p
}

type walkFieldsKey struct {
	t   reflect.Type
	ser encoder
}

var walkFields sync.Map // walkFieldsKey → []walkField

// walkFieldsOf lists the fields of struct type t that checkValue looks
// at: the exported ones and the embedded ones, but, for this package's
// serializers, not those tagged "-", which are never written.
func walkFieldsOf(t reflect.Type, ser encoder) []walkField {
	key := walkFieldsKey{t, ser}
	if fs, ok := walkFields.Load(key); ok {
		return fs.([]walkField)
	}
	var fs []walkField
	toArray := false // fxamacker/cbor writes the struct as an array, without names
	if ser == encCBOR {
		for i := range t.NumField() {
			if f := t.Field(i); f.Name == "_" {
				_, opts, _ := strings.Cut(f.Tag.Get("cbor"), ",")
				toArray = toArray || hasOption(opts, "toarray")
			}
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		if ser != encOther && fieldTag(f, ser == encCBOR) == "-" {
			continue // not written, whatever it holds
		}
		// Either tag's options: fxamacker/cbor honours a json tag's
		// omitzero along with a cbor tag.
		omit, omitZero := false, false
		for i, tag := range []string{f.Tag.Get("cbor"), f.Tag.Get("json")} {
			_, opts, _ := strings.Cut(tag, ",")
			zero := hasOption(opts, "omitzero")
			omit = omit || zero || hasOption(opts, "omitempty")
			omitZero = omitZero || zero && (ser == encCBOR || ser == encJSON && i == 1)
		}
		weight := 1
		if ser != encOther && !toArray {
			name, opts, _ := strings.Cut(fieldTag(f, ser == encCBOR), ",")
			switch {
			case ser == encCBOR && hasOption(opts, "keyasint"):
				weight++ // an integer
			case ser == encJSON && !validJSONName(name), name == "":
				weight += len(f.Name)
			default:
				weight += len(name)
			}
		}
		fs = append(fs, walkField{index: i, name: f.Name, written: f.IsExported() && !f.Anonymous, omit: omit, omitZero: omitZero,
			zeroBy: zeroMethod(f.Type), weight: weight, plan: planPointer(f.Type)})
	}
	walkFields.Store(key, fs)
	return fs
}

type isZeroer interface{ IsZero() bool }

const (
	zeroByReflect = iota
	zeroByValue
	zeroByPointer
)

// zeroMethod says how omitzero asks a value of t whether it is zero.
func zeroMethod(t reflect.Type) uint8 {
	switch {
	case t.Implements(reflect.TypeFor[isZeroer]()):
		return zeroByValue
	case reflect.PointerTo(t).Implements(reflect.TypeFor[isZeroer]()):
		return zeroByPointer
	}
	return zeroByReflect
}

// omittedAsZero reports whether v, in a field the encoders leave out when
// it is zero, is zero: by its IsZero method, as encoding/json and
// fxamacker/cbor call it (a nil pointer is zero), or else by reflect.
func omittedAsZero(v reflect.Value, by uint8) bool {
	switch {
	case v.Kind() == reflect.Pointer && v.IsNil():
		return true
	case by == zeroByValue && v.CanInterface():
		return v.Interface().(isZeroer).IsZero()
	case by == zeroByPointer && v.CanInterface():
		c := reflect.New(v.Type())
		c.Elem().Set(v)
		return c.Interface().(isZeroer).IsZero()
	}
	return v.IsZero()
}

// writesAField reports whether an encoder may write a field of sv, a
// struct: one of its fields, or of the structs it embeds, that is not
// surely left out (tagged omitempty and nil, empty or zero; tagged
// omitzero and zero).
func writesAField(sv reflect.Value, ser encoder, depth int) bool {
	if depth > MaxNesting {
		return true
	}
	for _, f := range walkFieldsOf(sv.Type(), ser) {
		fv := sv.Field(f.index)
		switch {
		case f.omitZero && omittedAsZero(fv, f.zeroBy):
		case !f.written:
			if fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct && writesAField(fv, ser, depth+1) {
				return true
			}
		case !f.omit:
			return true
		default:
			// Written unless omitempty surely leaves it out (an omitempty
			// struct may be written).
			if empty, sure := emptyByKind(fv); !empty || !sure {
				return true
			}
		}
	}
	return false
}

// mayBeOmitted reports whether a field tagged omitempty or omitzero,
// holding v, may be left out: unless v is plainly not empty (a pointer
// that is not nil, text that is not empty, a number that is not zero),
// it may be, by one rule or another (a struct whose fields are all
// empty, a type whose IsZero says so).
func mayBeOmitted(v reflect.Value, p *roundTripPlan) bool {
	if p.custom {
		return true // its IsZero, its marshaler, may say so
	}
	empty, sure := emptyByKind(v)
	return empty || !sure
}

// emptyByKind reports whether v is empty as omitempty reads it: a nil
// pointer or interface, text, a slice, array or map of no length, false or
// a zero number; sure is false for the kinds it cannot tell (a struct,
// which an encoder may leave out when all its fields are).
func emptyByKind(v reflect.Value) (empty, sure bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil(), true
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return v.Len() == 0, true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return v.IsZero(), true
	}
	return false, false
}

// textKey reports whether map key k is written as text: a string, or an
// interface that holds one.
func textKey(k reflect.Value) bool {
	if k.Kind() == reflect.Interface {
		k = k.Elem()
	}
	return k.IsValid() && k.Kind() == reflect.String
}

// timeProblem says why RFC 3339 cannot write t exactly, or "". CBOR
// writes a zero time as null, whatever its zone; other serializers are
// held to RFC 3339 for a zero time as for any other (encoding/json writes
// it as RFC 3339 text), so that a zero time in a zone whose offset has
// seconds (what t.Local() or t.In(loc) gives for an unset time in most
// named zones) does not come back as another instant.
func timeProblem(t time.Time, cbor bool) string {
	if cbor && t.IsZero() {
		return "" // written as null
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return "its year is outside 0–9999, which RFC 3339 cannot write"
	}
	_, offset := t.Zone()
	if offset%60 != 0 {
		return "its zone offset has seconds, which RFC 3339 cannot write (use t.UTC() or a named zone's modern offset)"
	}
	if offset <= -24*3600 || offset >= 24*3600 {
		return "its zone offset is 24 hours or more, which RFC 3339 cannot write"
	}
	return ""
}

// onlyUnexported reports whether struct type t has fields, all of them
// unexported and none embedded, and no method to write itself: both
// encoders write it as an empty map, so a value that holds anything (an
// errors.New's text, a *time.Location's zone) comes back as the zero
// value. The types of package sync (a Mutex) hold no data, only state
// that is not meant to travel.
func onlyUnexported(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.NumField() == 0 || t.PkgPath() == "sync" || writesItself(t) || customDecoding(t) {
		return false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() || f.Anonymous {
			return false
		}
	}
	return true
}

// roundTripPlan says what sealable must check for values of one type.
type roundTripPlan struct {
	times  bool // it has statically typed time.Time parts
	verify bool // it has parts that decode themselves, or interfaces with methods
	// iface: it has an interface among its parts, whose dynamic value
	// may be of any type: one that writes itself (MarshalCBOR) or a
	// cbor.Tag, whose encoding fxamacker/cbor writes as given, even
	// where this package's reader refuses it (see sealableAfter).
	iface bool
	// intKeys: it has a struct with keyasint fields, which CBOR writes
	// as a map with integer keys: held in an interface, it does not
	// decode again (see checkValue).
	intKeys bool
	// otherKeys: it has a map, among its statically typed parts, whose
	// keys may not be text: held in an interface, checkValue looks at its
	// keys, since one that is not text does not decode again.
	otherKeys bool
	// selfCBOR, selfJSON: it has a struct that writes itself with a
	// method that CBOR's encoder, or JSON's, does not call (see
	// ignoredMarshaler).
	selfCBOR, selfJSON bool
	// fieldsCBOR, fieldsJSON: it is a struct that decodes itself but that
	// CBOR's encoder, or JSON's, writes field by field (writtenByFields).
	fieldsCBOR, fieldsJSON bool
	deep                   bool // it may nest without bound: an interface, or a recursive type
	// hidden: it has a struct that keeps all its state in unexported
	// fields (onlyUnexported), which both encoders write as an empty map:
	// a value of it that is not zero comes back as another (checkValue).
	hidden bool
	// heavy: it holds a pointer, slice, array, map or interface, or a
	// big.Int: a value of it may hold a part many times over, or many
	// parts in little memory, and so write far more than it holds (see
	// sealWalk).
	heavy bool
	// texts: it holds a string or a byte string, whose length counts
	// toward a value's weight.
	texts bool
	// custom: the type writes itself by methods of its own, or is one
	// an encoder knows (hasCustomCBOR).
	custom bool
	// callsCBOR, callsJSON: the marshaler that CBOR's encoder, or JSON's,
	// calls to write a value of the type (not a pointer type), or nil.
	callsCBOR, callsJSON reflect.Type
	// decodes: the type decodes itself (customDecoding).
	decodes bool
	// marshals: it holds a type that an encoder writes by a marshaler
	// of its own.
	marshals bool
	// parts counts, for a type that holds no pointer, slice, array, map,
	// interface or text, the parts an encoder goes through in one value:
	// itself and its fields (at most maxParts+1).
	parts int
	// lostCBOR and lostJSON describe a field that the encoders of
	// fxamacker/cbor or encoding/json leave out of a struct type among
	// its parts, and of every value of it (see lostField); "" if none.
	lostCBOR, lostJSON string
}

// lost describes a field that ser's encoder leaves out, or is "" (for a
// serializer of the application's, whose rules are its own, always).
func (p roundTripPlan) lost(ser encoder) string {
	switch ser {
	case encCBOR:
		return p.lostCBOR
	case encJSON:
		return p.lostJSON
	}
	return ""
}

// validJSONName reports whether encoding/json takes name, from a json tag,
// as a field's name: a non-empty run of letters, digits and the
// punctuation it allows (no quote, backslash or comma); it names the field
// by its Go name otherwise.
func validJSONName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) {
			return false
		}
	}
	return true
}

// lostError is the refusal of a value of type t, at path, whose plan says
// that ser's encoder leaves a field out; nil if it does not.
func lostError(p roundTripPlan, ser encoder, path string, t reflect.Type) error {
	if lost := p.lost(ser); lost != "" {
		return &ValueError{Field: path, Type: t.String(), Problem: lost}
	}
	return nil
}

// walk reports whether checkValue must look at values of the type.
func (p roundTripPlan) walk() bool { return p.times || p.deep || p.hidden }

var roundTripPlans sync.Map // reflect.Type → roundTripPlan

func roundTripPlanOf(t reflect.Type) roundTripPlan {
	if p, ok := roundTripPlans.Load(t); ok {
		return p.(roundTripPlan)
	}
	p := buildRoundTripPlan(t, map[reflect.Type]bool{})
	roundTripPlans.Store(t, p)
	return p
}

func buildRoundTripPlan(t reflect.Type, visiting map[reflect.Type]bool) roundTripPlan {
	if t == timeType {
		return roundTripPlan{times: true}
	}
	if visiting[t] {
		return roundTripPlan{deep: true} // a recursive type: its parts are being looked at
	}
	visiting[t] = true
	defer delete(visiting, t)
	var p roundTripPlan
	if customDecoding(t) {
		p = roundTripPlan{verify: true, selfCBOR: ignoredMarshaler(t, true), selfJSON: ignoredMarshaler(t, false),
			heavy: t == bigIntType || t == bigFloatType, custom: hasCustomCBOR(t), texts: isText(t), parts: 1, decodes: true}
		p.setMarshalers(t)
		if t.Kind() == reflect.Struct && t != timeType && t != bigIntType {
			// A struct that an encoder writes field by field, as it
			// calls none of its marshalers: for that encoder its
			// fields are parts like any struct's, which may hold
			// times, or hold themselves (checkValue walks them).
			p.fieldsCBOR = writtenByFields(t, true)
			p.fieldsJSON = writtenByFields(t, false)
			if p.fieldsCBOR || p.fieldsJSON {
				for i := range t.NumField() {
					if f := t.Field(i); f.IsExported() && !f.Anonymous {
						q := buildRoundTripPlan(f.Type, visiting)
						p.times, p.deep = p.times || q.times, p.deep || q.deep
						p.heavy, p.texts = p.heavy || q.heavy, p.texts || q.texts
						p.iface = p.iface || q.iface
					}
				}
			}
		}
		return p
	}
	add := func(q roundTripPlan) {
		p.times, p.verify, p.deep = p.times || q.times, p.verify || q.verify, p.deep || q.deep
		p.iface, p.hidden = p.iface || q.iface, p.hidden || q.hidden
		p.intKeys, p.otherKeys = p.intKeys || q.intKeys, p.otherKeys || q.otherKeys
		p.selfCBOR, p.selfJSON = p.selfCBOR || q.selfCBOR, p.selfJSON || q.selfJSON
		p.lostCBOR, p.lostJSON = cmp.Or(p.lostCBOR, q.lostCBOR), cmp.Or(p.lostJSON, q.lostJSON)
		p.heavy, p.texts = p.heavy || q.heavy, p.texts || q.texts
		p.marshals = p.marshals || q.marshals
	}
	p.custom = hasCustomCBOR(t)
	p.setMarshalers(t)
	p.parts = 1
	if writesItself(t) {
		// It writes itself and has no method to read itself back (a
		// type that has one is customDecoding's): what it writes is
		// decoded by the rules of its kind, which mostly fail (a struct
		// written as text), so its encoding is decoded once more before
		// it is sealed. A value that decodes, but as another (a name
		// written upper-case), is not caught: only its methods know.
		p.verify = true
	}
	p.texts = isText(t)
	switch t.Kind() {
	case reflect.Interface:
		p.verify = t.NumMethod() > 0 // nothing can be decoded into an error, a fmt.Stringer
		p.deep, p.heavy, p.iface = true, true, true
	case reflect.Slice, reflect.Array:
		if p.texts {
			break // a byte string
		}
		p.heavy = true
		add(buildRoundTripPlan(t.Elem(), visiting))
	case reflect.Pointer:
		p.heavy = true
		add(buildRoundTripPlan(t.Elem(), visiting))
	case reflect.Map:
		p.heavy = true
		p.otherKeys = t.Key().Kind() != reflect.String
		add(buildRoundTripPlan(t.Key(), visiting))
		add(buildRoundTripPlan(t.Elem(), visiting))
	case reflect.Struct:
		p.lostCBOR, p.lostJSON = lostField(t, true), lostField(t, false)
		p.hidden = onlyUnexported(t)
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && !f.IsExported() && f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
				// Both encoders write the fields of an embedded pointer
				// to an unexported struct, and neither decoder can set
				// it: a value with it set must be decoded again to be
				// refused.
				p.verify = true
			}
			if _, opts, _ := strings.Cut(f.Tag.Get("cbor"), ","); hasOption(opts, "keyasint") {
				p.intKeys = true
			}
			if f.IsExported() || f.Anonymous {
				q := buildRoundTripPlan(f.Type, visiting)
				add(q)
				p.parts = min(p.parts+q.parts, maxParts+1)
			}
		}
	}
	return p
}

var (
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	binaryMarshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
	cborMarshalerType   = reflect.TypeFor[cbor.Marshaler]()
	bigIntType          = reflect.TypeFor[big.Int]()
	bigFloatType        = reflect.TypeFor[big.Float]()
	jsonNumberType      = reflect.TypeFor[json.Number]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
)

// selfLost reports whether ser's encoder ignores the marshaler of a
// struct among the type's parts (see ignoredMarshaler), so that its
// values must be looked at.
func (p roundTripPlan) selfLost(ser encoder) bool {
	return ser == encCBOR && p.selfCBOR || ser == encJSON && p.selfJSON
}

// byFields reports whether ser's encoder writes the type, a struct that
// decodes itself, field by field (see writtenByFields).
func (p roundTripPlan) byFields(ser encoder) bool {
	return ser == encCBOR && p.fieldsCBOR || ser == encJSON && p.fieldsJSON
}

var jsonMarshalerType = reflect.TypeFor[json.Marshaler]()

var errorType = reflect.TypeFor[error]()

// ignoredMarshaler reports whether struct type t, which decodes itself,
// writes itself only with methods that the serializer's encoder does not
// call, and keeps state elsewhere than in its exported fields: the
// encoder then writes its exported fields alone, and a value whose state
// is elsewhere comes back as another (zero, for big.Rat).
// fxamacker/cbor calls MarshalCBOR and MarshalBinary, not MarshalText or
// MarshalJSON (big.Rat, big.Float, a type of the application's);
// encoding/json calls MarshalJSON and MarshalText, not MarshalBinary or
// MarshalCBOR (url.URL, whose Userinfo holds its state unexported).
// lostThroughFields tells, value by value.
//
// A struct whose fields are all exported, and none of them of such a type,
// comes back whole (a field the encoder leaves out is lostField's), so
// its values need no check: the check costs an encoding and a decoding
// of each value, on every save.
func ignoredMarshaler(t reflect.Type, cbor bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || t == bigIntType {
		return false // time.Time and big.Int are written by rules of their own
	}
	if called, ignored := marshalersOf(t, cbor); called != nil || ignored == nil {
		return false
	}
	return hiddenState(t, cbor, 0, map[reflect.Type]bool{})
}

// hiddenState reports whether struct type t, written field by field,
// keeps state the encoder does not write: an unexported field, or a
// field of a struct type (through pointers, not through slices or maps)
// that does and does not write itself. Each type is looked at once
// (seen): a type met again, as in a list whose items point at items, was
// answered already or is being answered further up, so the walk is
// linear in the number of types, not exponential in the depth.
func hiddenState(t reflect.Type, cbor bool, depth int, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			return true
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || ft == timeType || ft == bigIntType || depth >= MaxNesting {
			continue
		}
		if called, _ := marshalersOf(ft, cbor); called == nil && hiddenState(ft, cbor, depth+1, seen) {
			return true
		}
	}
	return false
}

// writtenByFields reports whether the serializer's encoder writes struct
// type t, which decodes itself, as its fields: it calls none of its
// marshalers.
func writtenByFields(t reflect.Type, cbor bool) bool {
	called, _ := marshalersOf(t, cbor)
	return called == nil
}

// marshalersOf returns, of the marshaling interfaces *t implements, the
// first that the serializer's encoder calls and the first it does not
// (nil when there is none).
func marshalersOf(t reflect.Type, cbor bool) (called, ignored reflect.Type) {
	calls := []reflect.Type{cborMarshalerType, binaryMarshalerType}
	ignores := []reflect.Type{textMarshalerType, jsonMarshalerType}
	if !cbor {
		calls, ignores = []reflect.Type{jsonMarshalerType, textMarshalerType}, []reflect.Type{binaryMarshalerType, cborMarshalerType}
	}
	p := reflect.PointerTo(t)
	for _, i := range calls {
		if p.Implements(i) {
			called = i
			break
		}
	}
	for _, i := range ignores {
		if p.Implements(i) {
			ignored = i
			break
		}
	}
	return called, ignored
}

// writesItself reports whether t, or a pointer to it, has a method
// that one of this package's encoders calls to write it.
func writesItself(t reflect.Type) bool {
	c, _ := marshalersOf(t, true)
	j, _ := marshalersOf(t, false)
	return c != nil || j != nil
}

// setMarshalers sets the marshalers the encoders call to write a value
// of t, a type that is not a pointer (whose pointee's plan has them).
func (p *roundTripPlan) setMarshalers(t reflect.Type) {
	if t.Kind() != reflect.Pointer {
		p.callsCBOR, _ = marshalersOf(t, true)
		p.callsJSON, _ = marshalersOf(t, false)
		p.marshals = p.callsCBOR != nil || p.callsJSON != nil
	}
}

// writesOnly reports whether t writes itself and has no method to read
// itself back.
func writesOnly(t reflect.Type) bool { return writesItself(t) && !customDecoding(t) }

// ignoredMarshalerProblem is the refusal of a value that
// lostThroughFields found to come back as another.
func ignoredMarshalerProblem(cbor bool) string {
	if cbor {
		return "it writes itself with MarshalText or MarshalJSON, which CBOR does not call: CBOR writes its " +
			"exported fields only, and this value would come back as another; store its text in a string field, " +
			"give it MarshalBinary and UnmarshalBinary, or use the JSON serializer"
	}
	return "it writes itself with MarshalBinary or MarshalCBOR, which encoding/json does not call: JSON writes its " +
		"exported fields only, and this value would come back as another; store its text in a string field, " +
		"give it MarshalText and UnmarshalText, or use the CBOR serializer"
}

// lostThroughFields reports whether v, a value of a type ignoredMarshaler
// holds, comes back from the serializer as another value: by its own
// measure, what its ignored marshaler writes, before and after. A value
// whose exported fields hold its state (and a zero value) comes back
// equal and is kept.
func lostThroughFields(v reflect.Value, isCBOR bool) (lost bool) {
	defer func() {
		if recover() != nil {
			lost = true // the encoder or a method of the value panicked: refused as lost
		}
	}()
	_, ignored := marshalersOf(v.Type(), isCBOR)
	measure := func(v reflect.Value) (b []byte, err error) {
		defer recoverMethodPanic(&err) // a method promoted from a nil embedded pointer
		p := reflect.New(v.Type())     // the method may have a pointer receiver
		p.Elem().Set(v)
		switch m := p.Interface(); ignored {
		case textMarshalerType:
			return m.(encoding.TextMarshaler).MarshalText()
		case jsonMarshalerType:
			return m.(json.Marshaler).MarshalJSON()
		case binaryMarshalerType:
			return m.(encoding.BinaryMarshaler).MarshalBinary()
		case cborMarshalerType:
			return m.(cbor.Marshaler).MarshalCBOR()
		}
		return nil, errors.New("no marshaler")
	}
	want, err := measure(v)
	if err != nil {
		return false // the encoder does not call it; nor can this check
	}
	back := reflect.New(v.Type())
	if isCBOR {
		modes := cborModesOnce()
		enc, err := modes.enc.Marshal(v.Interface())
		if err != nil || decodeCBOR(modes.dec, enc, back.Interface()) != nil {
			return true
		}
	} else {
		enc, err := json.Marshal(v.Interface())
		if err != nil || json.Unmarshal(enc, back.Interface()) != nil {
			return true
		}
	}
	got, err := measure(back.Elem())
	return err != nil || !bytes.Equal(want, got)
}

// lostField describes a field of struct type t that Go's encoders leave
// out of every value, or returns "". By the rules that encoding/json and
// fxamacker/cbor share, the fields of embedded structs are promoted, and
// of the fields that claim one name, only those at the shallowest depth
// count: one of them alone wins, or the one of them alone tagged with the
// name; when two or more remain, at most one is written (none, by
// fxamacker/cbor), and the value would open without the others. Names
// come from the json tag, and for CBOR from the cbor tag first.
// Embedding is followed at most MaxNesting levels deep.
func lostField(t reflect.Type, cbor bool) string {
	type claim struct {
		path   string
		depth  int
		tagged bool
	}
	claims := map[string][]claim{}
	type embedded struct {
		t     reflect.Type
		path  string
		twice bool // promoted through a struct embedded twice at one depth
	}
	level := []embedded{{t, "", false}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(level) > 0 && depth <= MaxNesting; depth++ {
		count := map[reflect.Type]int{}
		for _, e := range level {
			count[e.t]++
			if e.twice {
				count[e.t]++
			}
		}
		var next []embedded
		for _, e := range level {
			if visited[e.t] {
				continue
			}
			visited[e.t] = true
			for i := range e.t.NumField() {
				f := e.t.Field(i)
				ft := f.Type
				if f.Anonymous && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !f.IsExported() && !(f.Anonymous && ft.Kind() == reflect.Struct) {
					continue // unexported: not written, and no fields to promote
				}
				tag := fieldTag(f, cbor)
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !cbor && !validJSONName(name) {
					name = "" // encoding/json ignores such a name, and uses the field's
				}
				// fxamacker/cbor counts any tag, options alone too, as
				// naming the field; encoding/json only a tag with a name.
				tagged := name != "" || cbor && tag != ""
				if cbor && name != "" && hasOption(opts, "keyasint") {
					// An integer key, which no text key equals: in a
					// name of its own, as the integer it is.
					if n, err := strconv.Atoi(name); err == nil {
						name = "\x00" + strconv.Itoa(n)
					}
				}
				path := e.path + f.Name
				if name == "" && f.Anonymous && ft.Kind() == reflect.Struct {
					// A struct embedded twice passes it on: what it
					// promotes is promoted twice too.
					next = append(next, embedded{ft, path + ".", count[e.t] > 1})
					continue
				}
				if !f.IsExported() {
					continue
				}
				c := claim{path, depth, tagged}
				if name == "" {
					name = f.Name
				}
				claims[name] = append(claims[name], c)
				if count[e.t] > 1 {
					// The same struct embedded twice at one depth: its
					// fields claim their names twice.
					claims[name] = append(claims[name], c)
				}
			}
		}
		level = next
	}
	lost := ""
	for name, cs := range claims {
		shallowest := cs[0].depth
		for _, c := range cs {
			shallowest = min(shallowest, c.depth)
		}
		var at []claim
		tagged := 0
		for _, c := range cs {
			if c.depth == shallowest {
				at = append(at, c)
				if c.tagged {
					tagged++
				}
			}
		}
		if len(at) > 1 && tagged != 1 {
			paths := make([]string, len(at))
			for i, c := range at {
				paths[i] = c.path
			}
			slices.Sort(paths)
			paths = slices.Compact(paths)
			fields := "fields " + strings.Join(paths, " and ") + " claim"
			if len(paths) == 1 {
				fields = "field " + paths[0] + ", promoted twice, claims"
			}
			shown := strconv.Quote(name)
			if strings.HasPrefix(name, "\x00") {
				shown = "the integer key " + name[1:]
			} else {
				shown = "the name " + shown
			}
			d := fmt.Sprintf("%s %s at one depth, so they are not all stored: rename or tag one of them", fields, shown)
			if lost == "" || d < lost {
				lost = d // the same one on every call
			}
		}
	}
	return lost
}
