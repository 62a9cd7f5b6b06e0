package cookiesession

// The typed walk of the CBOR fast path (cborfast.go): it encodes and
// decodes a value of a plan's type by reaching its parts at their
// addresses, with the offsets and sizes that reflect gives for the type,
// rather than through reflect.Value, whose checks on each field, element
// and setter cost more than the CBOR they read or write.
//
// This file holds the package's use of unsafe, but for two conversions
// between a string and its bytes in codec.go (readOnlyBytes, a view that
// is only read, and ownedString, of bytes that nothing else refers to).
// Every pointer it forms or follows is valid because of these
// invariants, which each function below keeps:
//
//  1. A walk starts only from a pointer to a value whose dynamic type is
//     the plan's type. cborFastEncode and appendFastIface take the
//     pointer out of an interface only after comparing the interface's
//     dynamic type with the plan's (p.typ); cborFastDecode takes it from
//     a non-nil *T whose T is the plan's type.
//  2. A plan for a type holds only what reflect says of that very type: a
//     field's offset is its reflect.StructField.Offset, an element's
//     stride is its type's Size. So the address of a field or element is
//     inside the same Go object as the value, and holds a value of the
//     field's or element's plan type, to which 1 applies again.
//  3. An element's index is below the length read from the slice's own
//     header (encoding) or the length just allocated (decoding), so its
//     address is inside the slice's array.
//  4. Memory is read or written only as the Go type that the plan's kind
//     stands for, which has the layout of the plan's type (a named type
//     has the layout of its underlying type): bool, int8–int64 and
//     uint8–uint64 chosen by the type's size, string, float64, []byte
//     (the plan admits only plain byte elements), time.Time and any (the
//     plan admits only those exact types), a pointer word as
//     unsafe.Pointer, a slice's header as sliceHeader (read only), and
//     the exact Go map types that plain maps have. Anything else goes
//     through reflect.NewAt with the plan's type.
//  5. A value that holds pointers (a string, slice, map, pointer, time or
//     any) is written only through a pointer of its own Go type, or by
//     reflect, so that the write barrier runs (a pointer word stored as
//     an unsafe.Pointer has one too); arrays and pointees are allocated
//     by reflect with their element type (Value.Grow, reflect.New, and
//     reflect.MakeSlice for the pointees a slice's elements share), so
//     the collector knows which words of them are pointers.
//  6. No address is ever held as a uintptr: pointers stay unsafe.Pointer,
//     which the collector sees and which moves with a stack.
//  7. A decoded string or byte slice is a view of its own data item's
//     content in the decoder's one copy of the input (cutText,
//     cutBytes), made only once the copy is filled, and never of an
//     empty range. Data items do not overlap and each is cut once, so no
//     two views share a byte; a byte slice's capacity is its length, so
//     writing through it, even by append, never reaches a byte that a
//     string stands on: those bytes are never written again.
//  8. A string, an int64 or a float64 decoded into an any is boxed in a
//     slab of the decoding's own (boxString, boxInt, boxFloat) rather
//     than in an allocation of its own: the any is built from two words,
//     the type word of an any that holds a value of that very type, and
//     the address of a slab element of that type, written once before it
//     is boxed and never again. A slab is a slice allocated by make
//     with its element type, so the collector sees its pointers, and an
//     element is reached only below the slice's length (invariant 3).
//
// go vet checks the uses of unsafe.Pointer; the tests run with checkptr
// (-race, or -gcflags=all=-d=checkptr), which checks at run time that
// each conversion and each unsafe.Add stays inside its object.

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"time"
	"unsafe"
)

// sliceHeader is the layout of every Go slice, whatever its element type
// (as reflect.SliceHeader documents it, with the array's address held as
// a pointer). The walk only reads slices through it; it writes them by
// reflect (invariant 5).
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// fieldAt returns the address of field f of the struct at base.
// Invariant 2: f.offset is reflect's offset of f in base's type.
func fieldAt(base unsafe.Pointer, f *fastField) unsafe.Pointer {
	return unsafe.Add(base, f.offset)
}

// elemAt returns the address of element i of the array at data, whose
// elements have the plan e. Invariant 3: the caller has i below the
// array's length.
func elemAt(data unsafe.Pointer, e *fastType, i int) unsafe.Pointer {
	return unsafe.Add(data, uintptr(i)*e.size)
}

// loadInt reads the signed integer of size bytes at p; loadUint the
// unsigned one. An int or uint is one of these sizes; any other size,
// which no integer type has, reports false.
func loadInt(p unsafe.Pointer, size uintptr) (int64, bool) {
	switch size {
	case 1:
		return int64(*(*int8)(p)), true
	case 2:
		return int64(*(*int16)(p)), true
	case 4:
		return int64(*(*int32)(p)), true
	case 8:
		return *(*int64)(p), true
	}
	return 0, false
}

func loadUint(p unsafe.Pointer, size uintptr) (uint64, bool) {
	switch size {
	case 1:
		return uint64(*(*uint8)(p)), true
	case 2:
		return uint64(*(*uint16)(p)), true
	case 4:
		return uint64(*(*uint32)(p)), true
	case 8:
		return *(*uint64)(p), true
	}
	return 0, false
}

// storeInt writes n to the signed integer of size bytes at p, and storeUint
// u to the unsigned one. Each reports false, and writes nothing, when the
// number does not fit: fxamacker/cbor refuses it.
func storeInt(p unsafe.Pointer, size uintptr, n int64) bool {
	switch size {
	case 1:
		if int64(int8(n)) != n {
			return false
		}
		*(*int8)(p) = int8(n)
	case 2:
		if int64(int16(n)) != n {
			return false
		}
		*(*int16)(p) = int16(n)
	case 4:
		if int64(int32(n)) != n {
			return false
		}
		*(*int32)(p) = int32(n)
	case 8:
		*(*int64)(p) = n
	default:
		return false
	}
	return true
}

func storeUint(p unsafe.Pointer, size uintptr, u uint64) bool {
	switch size {
	case 1:
		if uint64(uint8(u)) != u {
			return false
		}
		*(*uint8)(p) = uint8(u)
	case 2:
		if uint64(uint16(u)) != u {
			return false
		}
		*(*uint16)(p) = uint16(u)
	case 4:
		if uint64(uint32(u)) != u {
			return false
		}
		*(*uint32)(p) = uint32(u)
	case 8:
		*(*uint64)(p) = u
	default:
		return false
	}
	return true
}

// cborFastEncode appends the CBOR encoding of v to b and reports true, or
// leaves b unchanged and reports false when v is not for the fast path.
func cborFastEncode(b *bytes.Buffer, v any) bool {
	// Encode into b's spare capacity: when it suffices, Write copies
	// the bytes onto themselves, and b is only extended on success.
	var (
		e     fastEncoder
		out   []byte
		ok    bool
		spare = b.AvailableBuffer()
	)
	if m, isMap := v.(map[string]any); isMap {
		// The untyped session (MapStore's) needs neither its plan nor
		// reflect: this is what its plan does.
		out, ok = e.appendFastAny(spare, m, fastAnyDepth+1)
	} else {
		if v == nil {
			return false
		}
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			// A pointer, as values are mostly given: written as its
			// pointee, with the pointee's plan, which is the plan its
			// decoding finds too (fastPlanOf's last plan), and the
			// pointer's plan in all but name. Invariant 1: the pointee
			// is of the plan's type, t.Elem().
			p := fastPlanOf(t.Elem())
			if p == nil {
				return false
			}
			if q := reflect.ValueOf(v).UnsafePointer(); q == nil {
				out, ok = append(spare, cborNull), true
			} else {
				out, ok = e.appendFastAt(spare, q, p)
			}
		} else {
			p := fastPlanOf(t)
			if p == nil {
				return false
			}
			out, ok = e.appendFastIface(spare, v, p)
		}
	}
	if !ok {
		// What was written of the value into the spare capacity is
		// plaintext that putBuffer, which clears the buffer's length
		// only, would leave in the pool.
		clear(spare[:cap(spare)])
		return false
	}
	b.Write(out)
	return true
}

// appendFastIface appends x, whose plan is p.
func (e *fastEncoder) appendFastIface(b []byte, x any, p *fastType) ([]byte, bool) {
	v := reflect.ValueOf(x)
	// Invariant 1: the address taken below is of a value of p's type.
	// Callers pass the plan of x's own type; this makes it a check
	// rather than an assumption.
	if !v.IsValid() || v.Type() != p.typ {
		return b, false
	}
	switch p.kind {
	case fastPtr:
		// The interface holds the pointer itself, to a value of
		// p.elem's type (or nil).
		return e.appendFastPointee(b, v.UnsafePointer(), p)
	case fastMap:
		// A map is read through reflect (or as its exact Go type),
		// which needs no address.
		return e.appendFastMap(b, v, p)
	}
	// The interface's copy of x has no address that reflect gives out:
	// copy it, once, into a new variable of its type (a shallow copy,
	// which shares x's strings, slices and maps, and is only read).
	c := reflect.New(p.typ)
	c.Elem().Set(v)
	return e.appendFastAt(b, c.UnsafePointer(), p)
}

// appendFastPointee appends the value that q, a pointer of p's type (a
// pointer type), points to, or null when q is nil.
func (e *fastEncoder) appendFastPointee(b []byte, q unsafe.Pointer, p *fastType) ([]byte, bool) {
	if q == nil {
		return append(b, cborNull), true
	}
	return e.appendFastAt(b, q, p.elem)
}

// appendFastAt appends the value of p's type at ptr.
func (e *fastEncoder) appendFastAt(b []byte, ptr unsafe.Pointer, p *fastType) ([]byte, bool) {
	switch p.kind {
	case fastBool:
		return appendBool(b, *(*bool)(ptr)), true
	case fastInt:
		n, ok := loadInt(ptr, p.size)
		return appendInt(b, n), ok
	case fastUint:
		u, ok := loadUint(ptr, p.size)
		return appendHead(b, majorUint, u), ok
	case fastString:
		return appendText(b, *(*string)(ptr)), true
	case fastBytes:
		s := *(*[]byte)(ptr)
		if s == nil {
			return append(b, cborNull), true
		}
		return append(appendHead(b, majorBytes, uint64(len(s))), s...), true
	case fastTime:
		return e.appendFastTime(b, *(*time.Time)(ptr))
	case fastPtr:
		return e.appendFastPointee(b, *(*unsafe.Pointer)(ptr), p)
	case fastSlice:
		s := (*sliceHeader)(ptr)
		if s.data == nil {
			return append(b, cborNull), true
		}
		n := s.len
		if n > maxElements { // would not open again
			return b, false
		}
		b = appendHead(b, majorArray, uint64(n))
		for i := range n {
			var ok bool
			if tooLong(b) {
				return b, false
			}
			if b, ok = e.appendFastAt(b, elemAt(s.data, p.elem, i), p.elem); !ok {
				return b, false
			}
		}
		return b, true
	case fastMap:
		return e.appendFastMapAt(b, ptr, p)
	case fastStruct:
		return e.appendFastStruct(b, ptr, p)
	case fastFloat:
		return appendFastFloat(b, *(*float64)(ptr))
	case fastAny:
		return e.appendFastAny(b, *(*any)(ptr), fastAnyDepth)
	}
	return b, false
}

// appendFastMapAt appends the map of p's type at ptr: the maps of the
// exact types below as those types, others through reflect.
func (e *fastEncoder) appendFastMapAt(b []byte, ptr unsafe.Pointer, p *fastType) ([]byte, bool) {
	switch p.typ {
	case anyMapType:
		return e.appendFastAny(b, *(*map[string]any)(ptr), fastAnyDepth+1)
	case stringMapType:
		return e.appendPlainMap(b, *(*map[string]string)(ptr))
	case intMapType:
		return e.appendPlainMap(b, *(*map[string]int)(ptr))
	case int64MapType:
		return e.appendPlainMap(b, *(*map[string]int64)(ptr))
	case boolMapType:
		return e.appendPlainMap(b, *(*map[string]bool)(ptr))
	}
	return e.appendFastMap(b, reflect.NewAt(p.typ, ptr).Elem(), p)
}

// appendFastMap appends the map v, of p's type.
func (e *fastEncoder) appendFastMap(b []byte, v reflect.Value, p *fastType) ([]byte, bool) {
	switch p.typ {
	case anyMapType, stringMapType, intMapType, int64MapType, boolMapType:
		return e.appendPlainMap(b, v.Interface())
	}
	if v.IsNil() {
		return append(b, cborNull), true
	}
	n := v.Len()
	if n > maxElements {
		return b, false
	}
	b = appendHead(b, majorMap, uint64(n))
	if n == 0 {
		return b, true
	}
	key := reflect.New(v.Type().Key()).Elem()
	// The value is copied into a variable of its type, whose address
	// the walk can take (invariant 1).
	val := reflect.New(p.elem.typ)
	for it := v.MapRange(); it.Next(); {
		key.SetIterKey(it)
		val.Elem().SetIterValue(it)
		if tooLong(b) {
			return b, false
		}
		b = appendText(b, key.String())
		var ok bool
		if b, ok = e.appendFastAt(b, val.UnsafePointer(), p.elem); !ok {
			return b, false
		}
	}
	return b, true
}

func (e *fastEncoder) appendFastStruct(b []byte, ptr unsafe.Pointer, p *fastType) ([]byte, bool) {
	if p.envelope {
		return e.appendEnvelope(b, ptr, p)
	}
	// The map's length comes before the fields but is known only after
	// the omitted ones are: reserve the longest head it can need (a
	// struct has at most fastMaxFields), and make it the shortest after.
	start := len(b)
	wide := len(p.fields) >= 24
	if wide {
		b = append(b, majorMap|24, 0)
	} else {
		b = append(b, majorMap)
	}
	n := 0
	for i := range p.fields {
		f := &p.fields[i]
		fp := fieldAt(ptr, f)
		if f.omitEmpty || f.omitZero {
			// The commonest fields left out when empty, pointers and
			// slices tagged omitempty alone, tested here as fastEmpty
			// tests them, without fastOmit's calls.
			var omit bool
			switch k := f.t.kind; {
			case !f.omitZero && k == fastPtr:
				omit = *(*unsafe.Pointer)(fp) == nil
			case !f.omitZero && k == fastSlice:
				omit = (*sliceHeader)(fp).len == 0
			default:
				omit = fastOmit(fp, f)
			}
			if omit {
				continue
			}
		}
		n++
		if f.keyMask != 0 && cap(b)-len(b) >= 8 {
			// A key of 8 bytes or fewer, stored as one word: the
			// bytes beyond it, within the capacity, are written over
			// by what follows or never part of the output.
			l := len(b)
			binary.LittleEndian.PutUint64(b[l:l+8], f.keyWord)
			b = b[:l+len(f.key)]
		} else {
			b = append(b, f.key...)
		}
		// The commonest values, strings, integers, booleans and floats,
		// written here as appendFastAt writes them, without its call.
		switch f.t.kind {
		case fastString:
			b = appendText(b, *(*string)(fp))
			continue
		case fastInt:
			if n, ok := loadInt(fp, f.t.size); ok {
				b = appendInt(b, n)
				continue
			}
		case fastUint:
			if u, ok := loadUint(fp, f.t.size); ok {
				b = appendHead(b, majorUint, u)
				continue
			}
		case fastBool:
			b = appendBool(b, *(*bool)(fp))
			continue
		case fastFloat:
			if out, ok := appendFastFloat(b, *(*float64)(fp)); ok {
				b = out
				continue
			}
		}
		var ok bool
		if b, ok = e.appendFastAt(b, fp, f.t); !ok {
			return b, false
		}
	}
	switch {
	case !wide:
		b[start] |= byte(n)
	case n >= 24:
		b[start+1] = byte(n)
	default:
		b[start] = majorMap | byte(n)
		b = append(b[:start+1], b[start+2:]...)
	}
	return b, true
}

// appendEnvelope appends the session's envelope at ptr, of plan p
// (envelopeLayout), as the loop of appendFastStruct writes it: the same
// bytes (TestCBORFastEnvelopeMatchesWalk), for one envelope on every
// request, without the loop's tests of each field's options and kind.
func (e *fastEncoder) appendEnvelope(b []byte, ptr unsafe.Pointer, p *fastType) ([]byte, bool) {
	f := p.fields[:5:5]
	flashes := (*sliceHeader)(fieldAt(ptr, &f[3]))
	persistent := *(*unsafe.Pointer)(fieldAt(ptr, &f[4]))
	n := byte(3)
	if flashes.len != 0 {
		n++
	}
	if persistent != nil {
		n++
	}
	b = append(b, majorMap|n, f[0].key[0])
	if id := *(*[]byte)(fieldAt(ptr, &f[0])); id == nil {
		b = append(b, cborNull)
	} else {
		b = append(appendHead(b, majorBytes, uint64(len(id))), id...)
	}
	b = appendInt(append(b, f[1].key[0]), *(*int64)(fieldAt(ptr, &f[1])))
	var ok bool
	if b, ok = e.appendFastAt(append(b, f[2].key[0]), fieldAt(ptr, &f[2]), f[2].t); !ok {
		return b, false
	}
	if flashes.len != 0 {
		if b, ok = e.appendFastAt(append(b, f[3].key[0]), fieldAt(ptr, &f[3]), f[3].t); !ok {
			return b, false
		}
	}
	if persistent != nil {
		b = appendBool(append(b, f[4].key[0]), *(*bool)(persistent))
	}
	return b, true
}

// fastOmit reports whether fxamacker/cbor leaves out field f, whose value
// is at ptr.
func fastOmit(ptr unsafe.Pointer, f *fastField) bool {
	return (f.omitEmpty && fastEmpty(ptr, f.t)) || (f.omitZero && fastZero(ptr, f.t))
}

// fastEmpty is fxamacker/cbor's omitempty test (OmitEmptyCBORValue), of
// the value of p's type at ptr.
func fastEmpty(ptr unsafe.Pointer, p *fastType) bool {
	switch p.kind {
	case fastBool:
		return !*(*bool)(ptr)
	case fastInt:
		n, _ := loadInt(ptr, p.size)
		return n == 0
	case fastUint:
		u, _ := loadUint(ptr, p.size)
		return u == 0
	case fastString:
		return len(*(*string)(ptr)) == 0
	case fastBytes:
		return len(*(*[]byte)(ptr)) == 0
	case fastSlice:
		return (*sliceHeader)(ptr).len == 0
	case fastMap:
		return reflect.NewAt(p.typ, ptr).Elem().Len() == 0
	case fastPtr:
		return *(*unsafe.Pointer)(ptr) == nil
	case fastAny:
		return *(*any)(ptr) == nil
	case fastFloat:
		return *(*float64)(ptr) == 0
	case fastStruct:
		// Empty when every field is omitempty and empty: it would be
		// written as an empty map.
		if !p.allOmitEmpty {
			return false
		}
		for i := range p.fields {
			if !fastEmpty(fieldAt(ptr, &p.fields[i]), p.fields[i].t) {
				return false
			}
		}
		return true
	}
	return false // a time is never empty
}

// fastZero is fxamacker/cbor's omitzero test, of the value of p's type at
// ptr: a time's own IsZero, also through one pointer, and reflect's
// IsZero for everything else.
func fastZero(ptr unsafe.Pointer, p *fastType) bool {
	switch {
	case p.kind == fastTime:
		return (*time.Time)(ptr).IsZero()
	case p.typ == timePtrType: // not a named pointer type: those have no methods
		t := *(**time.Time)(ptr)
		return t == nil || t.IsZero()
	}
	return reflect.NewAt(p.typ, ptr).Elem().IsZero()
}

// cborFastDecode decodes data into dst and reports true only when the
// result is exactly what fxamacker/cbor gives without error. It tries
// only a non-nil pointer to a zero value of a fast-path type. When it
// reports false, dst holds its zero value again, so that fxamacker/cbor
// can start afresh.
func cborFastDecode(data []byte, dst any) bool {
	if m, isMap := dst.(*map[string]any); isMap {
		// The untyped session, as its plan would decode it, without
		// reflect: only into a nil map, as for any other type.
		if m == nil || *m != nil {
			return false
		}
		if len(data) == 1 && data[0] == cborNull {
			return true // null leaves the map nil
		}
		d := fastDecoder{data: data}
		x, ok := d.anyMap(fastAnyDepth)
		if !ok || d.off != len(data) {
			return false // *m is still nil
		}
		*m = x
		return true
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	p := fastPlanOf(rv.Type().Elem())
	if p == nil {
		return false
	}
	v := rv.Elem()
	// fxamacker/cbor merges into what dst already holds; the fast path
	// only knows how to fill a zero value. Invariant 1: rv is a non-nil
	// pointer to a value of p's type.
	if !zeroAt(rv.UnsafePointer(), p.size) {
		return false
	}
	d := fastDecoder{data: data}
	if d.decodeAt(rv.UnsafePointer(), p) && d.off == len(data) {
		return true
	}
	v.SetZero()
	return false
}

// zeroAt reports whether the size bytes at ptr, a value of a plan's type
// (so size is its Size), are all zero: the value is its type's zero
// value. A value that reflect calls zero but whose bits are not (an empty
// string that points somewhere) reports false, and the fast path
// declines it, which is always safe: fxamacker/cbor decodes it. The bytes
// are only read, as bytes, within the value.
func zeroAt(ptr unsafe.Pointer, size uintptr) bool {
	b := unsafe.Slice((*byte)(ptr), size)
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeAt fills the value of p's type at ptr, which holds its zero value,
// from the next data item.
func (d *fastDecoder) decodeAt(ptr unsafe.Pointer, p *fastType) bool {
	if d.off >= len(d.data) {
		return false
	}
	if d.data[d.off] == cborNull {
		// fxamacker/cbor decodes null into anything as "leave it":
		// nil for pointers, slices and maps, and the value is zero
		// already.
		d.off++
		return true
	}
	switch p.kind {
	case fastBool:
		switch d.data[d.off] {
		case cborFalse, cborTrue:
			*(*bool)(ptr) = d.data[d.off] == cborTrue
			d.off++
			return true
		}
		return false
	case fastInt:
		n, ok := d.int64()
		return ok && storeInt(ptr, p.size, n)
	case fastUint:
		u, ok := d.head(majorUint)
		return ok && storeUint(ptr, p.size, u)
	case fastString:
		s, ok := d.str()
		if ok {
			*(*string)(ptr) = s
		}
		return ok
	case fastBytes:
		b, ok := d.bytes()
		if ok {
			*(*[]byte)(ptr) = b
		}
		return ok
	case fastTime:
		t, ok := d.time()
		if ok {
			*(*time.Time)(ptr) = t
		}
		return ok
	case fastPtr:
		e := d.pointee(p)
		if !d.decodeAt(e, p.elem) {
			return false
		}
		// Invariant 5: a pointer word, stored as an unsafe.Pointer,
		// which the write barrier covers as it does every pointer.
		*(*unsafe.Pointer)(ptr) = e
		return true
	case fastSlice:
		return d.decodeSlice(ptr, p)
	case fastMap:
		return d.decodeMap(ptr, p)
	case fastStruct:
		return d.decodeStruct(ptr, p)
	case fastFloat:
		f, ok := d.float()
		if ok {
			*(*float64)(ptr) = f
		}
		return ok
	case fastAny:
		x, ok := d.decodeAny(fastAnyDepth)
		if ok && x != nil {
			*(*any)(ptr) = x
		}
		return ok
	}
	return false
}

// time reads a time as fxamacker/cbor does, with time.Parse: the same
// time, in the same location; parseRFC3339 first, for the forms encoders
// write, which it reads without time.Parse's allocations.
func (d *fastDecoder) time() (time.Time, bool) {
	s, ok := d.str()
	if !ok {
		return time.Time{}, false
	}
	if t, ok := d.days.parseRFC3339(s); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// decodeSlice fills the nil slice of p's type at ptr.
func (d *fastDecoder) decodeSlice(ptr unsafe.Pointer, p *fastType) bool {
	n, ok := d.length(majorArray)
	if !ok || n > maxElements {
		return false
	}
	s := reflect.NewAt(p.typ, ptr).Elem()
	if n == 0 {
		s.Set(reflect.MakeSlice(p.typ, 0, 0)) // empty, not nil, as fxamacker/cbor decodes it
		return true
	}
	// Grow allocates the elements in the slice at ptr, zeroed and typed,
	// where MakeSlice would allocate a slice header too; SetCap gives
	// the exact capacity MakeSlice would.
	s.Grow(n)
	s.SetLen(n)
	s.SetCap(n)
	// Invariant 3: the array now holds exactly n elements.
	data := s.UnsafePointer()
	if len(p.batched) == 0 || n == 1 {
		return d.decodeElems(data, p.elem, n)
	}
	// The elements' pointers take their pointees from arrays of this
	// slice's own; the enclosing slice's come back after.
	outer := d.batches
	d.batches = [maxBatched]pointeeBatch{}
	for k, q := range p.batched {
		d.batches[k] = pointeeBatch{plan: q, left: n}
	}
	ok = d.decodeElems(data, p.elem, n)
	d.batches = outer
	return ok
}

// decodeElems fills the n zero elements of plan e of the array at data.
func (d *fastDecoder) decodeElems(data unsafe.Pointer, e *fastType, n int) bool {
	for i := range n {
		if !d.decodeAt(elemAt(data, e, i), e) {
			return false
		}
	}
	return true
}

// pointeeBatch holds the pointees for one pointer plan of the elements
// of the slice being decoded: arrays that double, the first pointee on
// its own, so that n pointers take about 2·log2(n) allocations where
// each would otherwise take one, and never more than twice the memory
// that their pointees need (an array is never longer than the pointers
// the slice's remaining elements can still hold).
type pointeeBatch struct {
	plan *fastType      // the pointer plan; nil: the entry is unused
	left int            // pointers the remaining elements can still hold: one each
	base unsafe.Pointer // the current array
	size int            // its length (1 for the first pointee, allocated on its own)
	used int            // its pointees handed out
}

// pointee returns a zero value of the pointee type of p, a pointer plan:
// from the arrays of the slice being decoded when p is one of its
// elements' pointers, else allocated on its own. Each pointee of an
// array is handed out once: used stays below size, the array's length
// (invariant 3).
func (d *fastDecoder) pointee(p *fastType) unsafe.Pointer {
	for k := range d.batches {
		b := &d.batches[k]
		if b.plan != p {
			continue
		}
		if b.left == 0 {
			break // more pointers than elements: not for this slice's arrays
		}
		possible := b.left // this pointer among them
		b.left--
		if b.used == b.size {
			size := min(2*b.size, possible)
			if size <= 1 {
				// The first pointee, as most slices hold one or none,
				// or the last one possible: on its own.
				b.size, b.used = 1, 1
				break
			}
			b.base = reflect.MakeSlice(p.pointees, size, size).UnsafePointer()
			b.size, b.used = size, 0
		}
		e := elemAt(b.base, p.elem, b.used)
		b.used++
		return e
	}
	return reflect.New(p.elem.typ).UnsafePointer()
}

// decodeMap fills the nil map of p's type at ptr.
func (d *fastDecoder) decodeMap(ptr unsafe.Pointer, p *fastType) bool {
	var ok bool
	switch p.typ {
	case anyMapType:
		var m map[string]any
		if m, ok = d.anyMap(fastAnyDepth); ok {
			*(*map[string]any)(ptr) = m
		}
		return ok
	case stringMapType:
		var m map[string]string
		if m, ok = decodeGoMap[string](d); ok {
			*(*map[string]string)(ptr) = m
		}
		return ok
	case intMapType:
		var m map[string]int
		if m, ok = decodeGoMap[int](d); ok {
			*(*map[string]int)(ptr) = m
		}
		return ok
	case int64MapType:
		var m map[string]int64
		if m, ok = decodeGoMap[int64](d); ok {
			*(*map[string]int64)(ptr) = m
		}
		return ok
	case boolMapType:
		var m map[string]bool
		if m, ok = decodeGoMap[bool](d); ok {
			*(*map[string]bool)(ptr) = m
		}
		return ok
	}
	n, ok := d.length(majorMap)
	if !ok || n > maxElements {
		return false
	}
	m := reflect.MakeMapWithSize(p.typ, n)
	key := reflect.New(p.typ.Key()).Elem()
	// Each value is decoded into a variable of its type, zeroed first,
	// then copied into the map.
	val := reflect.New(p.elem.typ)
	for range n {
		s, ok := d.str()
		if !ok {
			return false
		}
		key.SetString(s)
		if m.MapIndex(key).IsValid() {
			return false // a repeated key: fxamacker/cbor refuses it
		}
		val.Elem().SetZero()
		if !d.decodeAt(val.UnsafePointer(), p.elem) {
			return false
		}
		m.SetMapIndex(key, val.Elem())
	}
	reflect.NewAt(p.typ, ptr).Elem().Set(m)
	return true
}

// decodeStruct fills the zero struct of p's type at ptr.
func (d *fastDecoder) decodeStruct(ptr unsafe.Pointer, p *fastType) bool {
	if p.envelope {
		start := d.off
		if d.decodeEnvelope(ptr, p) {
			return true
		}
		// Not in the form encoders write, or not decodable: the walk
		// over the fields decides, from the start, into the zero value
		// it expects.
		reflect.NewAt(p.typ, ptr).Elem().SetZero()
		d.off = start
	}
	n, ok := d.length(majorMap)
	if !ok || n > maxElements {
		return false
	}
	var seen uint64
	next := 0 // the field expected next: encoders write them in order
	for range n {
		i := next
		if next >= len(p.fields) || !d.expectKey(&p.fields[next]) {
			if i, ok = d.otherField(p, next); !ok {
				return false
			}
		}
		// A repeated field is refused by fxamacker/cbor; it would
		// also be decoded into a value that is no longer zero.
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		f := &p.fields[i]
		next = i + 1
		fp := fieldAt(ptr, f)
		// The commonest items, strings, small integers, booleans and
		// floats, read here as decodeAt reads them, without its calls:
		// d.off < len(d.data) holds, as expectKey or otherField has
		// just read a key and a value follows it, or decodeAt refuses.
		if d.off < len(d.data) {
			c := d.data[d.off]
			switch {
			case f.t.kind == fastString && c&0xe0 == majorText:
				// A text string whose length is in its head (below 24)
				// or in one byte after it (24 to 255, head and length
				// as head reads them), all of its bytes there (as
				// length checks).
				n, h := int(c&0x1f), 1
				if n == 24 && len(d.data)-d.off > 1 && d.data[d.off+1] >= 24 {
					n, h = int(d.data[d.off+1]), 2
				}
				if (n < 24 || h == 2) && n <= len(d.data)-d.off-h {
					d.off += h
					*(*string)(fp) = d.cutText(n)
					d.off += n
					continue
				}
			case c < 24 && (f.t.kind == fastInt || f.t.kind == fastUint):
				// An unsigned integer below 24, in its head: it fits
				// every integer size, signed or not.
				if f.t.kind == fastInt {
					storeInt(fp, f.t.size, int64(c))
				} else {
					storeUint(fp, f.t.size, uint64(c))
				}
				d.off++
				continue
			case f.t.kind == fastBool && (c == cborFalse || c == cborTrue):
				*(*bool)(fp) = c == cborTrue
				d.off++
				continue
			case f.t.kind == fastFloat:
				if x, ok := d.float(); ok {
					*(*float64)(fp) = x
					continue
				}
			}
		}
		if !d.decodeAt(fp, f.t) {
			return false
		}
	}
	return true
}

// decodeEnvelope reads a session's envelope of plan p (envelopeLayout)
// in the form appendEnvelope writes, which every encoder of this format
// writes: a map of 3 to 5 entries, keys 1 to 5 in order, an id of bytes
// and a creation time of an integer. It reads nothing else: it reports
// false for any other form (another order, a null, an unknown key), and
// decodeStruct's walk over the fields, which refuses what the reference
// refuses, reads it instead. What it reads it decodes as that walk
// does, and into the same places.
func (d *fastDecoder) decodeEnvelope(ptr unsafe.Pointer, p *fastType) bool {
	f := p.fields[:5:5]
	// The map's head, the id's key and the id's head: three bytes.
	if len(d.data)-d.off < 3 {
		return false
	}
	n := int(d.data[d.off]) - majorMap
	if n < 3 || n > 5 || d.data[d.off+1] != f[0].key[0] || d.data[d.off+2]&0xe0 != majorBytes {
		return false
	}
	d.off += 2
	id, ok := d.bytes()
	if !ok || !d.envelopeKey(&f[1]) {
		return false
	}
	created, ok := d.int64()
	if !ok || !d.envelopeKey(&f[2]) {
		return false
	}
	*(*[]byte)(fieldAt(ptr, &f[0])) = id
	*(*int64)(fieldAt(ptr, &f[1])) = created
	if !d.decodeAt(fieldAt(ptr, &f[2]), f[2].t) {
		return false
	}
	// The flashes, then the cookie choice, each if present: in order.
	for i := 3; n > 3; i++ {
		for i < 5 && (d.off >= len(d.data) || d.data[d.off] != f[i].key[0]) {
			i++
		}
		if i == 5 {
			return false
		}
		d.off++
		if !d.decodeAt(fieldAt(ptr, &f[i]), f[i].t) {
			return false
		}
		n--
	}
	return true
}

// envelopeKey reads f's one-byte key if it comes next.
func (d *fastDecoder) envelopeKey(f *fastField) bool {
	if d.off >= len(d.data) || d.data[d.off] != f.key[0] {
		return false
	}
	d.off++
	return true
}

// cutText returns the text of the n bytes at d.off, as a view of the
// copy of the input (invariant 7).
func (d *fastDecoder) cutText(n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&d.copied()[d.off], n)
}

// cutBytes returns the n bytes at d.off, as a view of the copy of the
// input with no room beyond them (invariant 7).
func (d *fastDecoder) cutBytes(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	return d.copied()[d.off : d.off+n : d.off+n]
}

// copied returns the copy of the input, made on first use.
func (d *fastDecoder) copied() []byte {
	if d.plain == nil {
		d.plain = bytes.Clone(d.data)
	}
	return d.plain
}

// anyWords is the layout of every Go value of type any: its dynamic
// type's word and its data word, which for a string, an int64 or a
// float64 is the address of the value (invariant 8).
type anyWords struct {
	typ, data unsafe.Pointer
}

var (
	stringTypeWord  = typeWord("")
	int64TypeWord   = typeWord(int64(0))
	float64TypeWord = typeWord(float64(0))
)

// typeWord returns the type word of x, an any.
func typeWord(x any) unsafe.Pointer { return (*anyWords)(unsafe.Pointer(&x)).typ }

// boxed returns the any whose type word is typ and whose data word is
// data: the address of a value of that type (invariant 8).
func boxed(typ, data unsafe.Pointer) (x any) {
	w := (*anyWords)(unsafe.Pointer(&x))
	w.typ, w.data = typ, data
	return x
}

// anySlabs holds the slabs that one decoding boxes the strings, the
// int64s and the float64s of its untyped values in, where each would
// otherwise take an allocation of its own (runtime.convTstring,
// convT64). Slabs double, from one element, and are never longer than
// the values the rest of the input can still hold (each takes one byte
// or more): memory never exceeds about twice what the values need. As a
// decoded string keeps the copy of the input alive, a kept value keeps
// its slab alive.
type anySlabs struct {
	strs   []string
	ints   []int64
	floats []float64
}

// slabLen returns the length of the next slab after one of prev
// elements: twice as long, and no longer than the values that the input
// after d.off can hold, with the one being boxed.
func (d *fastDecoder) slabLen(prev int) int {
	return min(max(2*prev, 1), len(d.data)-d.off+1)
}

// slabSlot puts x in the slab at slab, a new one when it is full, and
// returns x's address there: each element is written once, before it is
// boxed, and never again (invariant 8).
func slabSlot[E string | int64 | float64](d *fastDecoder, slab *[]E, x E) unsafe.Pointer {
	if len(*slab) == cap(*slab) {
		*slab = make([]E, 0, d.slabLen(cap(*slab)))
	}
	*slab = append(*slab, x)
	return unsafe.Pointer(&(*slab)[len(*slab)-1])
}

// boxString returns s in an any, from the string slab; the empty string,
// which the runtime boxes without allocating, as the runtime does.
func (d *fastDecoder) boxString(s string) any {
	if s == "" {
		return s
	}
	return boxed(stringTypeWord, slabSlot(d, &d.slabs.strs, s))
}

// boxInt returns n in an any: from the runtime's own table for 0 to 255,
// which allocates nothing, and from the int64 slab otherwise.
func (d *fastDecoder) boxInt(n int64) any {
	if n >= 0 && n < 256 {
		return n
	}
	return boxed(int64TypeWord, slabSlot(d, &d.slabs.ints, n))
}

// boxFloat returns f in an any, from the float64 slab.
func (d *fastDecoder) boxFloat(f float64) any {
	return boxed(float64TypeWord, slabSlot(d, &d.slabs.floats, f))
}
