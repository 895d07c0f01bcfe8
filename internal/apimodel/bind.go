package apimodel

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// Input is one operation's decoded and validated input.
type Input struct {
	op   *Operation
	vals []value // in op.input.Members order
	raw  json.RawMessage
	// buf holds vals for the operations with few enough members (all of
	// CodeArtifact's), so that an input is one allocation.
	buf [12]value
}

// value is one decoded input member. The shape decides its kind: scalars
// are held unboxed, lists, maps and structures (from a body) as decoded
// values in v.
type value struct {
	kind valueKind
	s    string
	n    int64 // an integer, or 1 for true
	v    any
}

type valueKind uint8

const (
	kindAbsent valueKind = iota // or null
	kindString
	kindInt
	kindBool
	kindOther
)

// valueOf wraps a decoded value (see validate.go for their types).
func valueOf(v any) value {
	switch x := v.(type) {
	case nil:
		return value{}
	case string:
		return value{kind: kindString, s: x}
	case int64:
		return value{kind: kindInt, n: x}
	case bool:
		if x {
			return value{kind: kindBool, n: 1}
		}
		return value{kind: kindBool}
	}
	return value{kind: kindOther, v: v}
}

// any is the value as a decoded value.
func (x *value) any() any {
	switch x.kind {
	case kindString:
		return x.s
	case kindInt:
		return x.n
	case kindBool:
		return x.n != 0
	}
	return x.v
}

// inputs recycles Inputs given back by Release.
var inputs = sync.Pool{New: func() any { return new(Input) }}

func newInput(op *Operation) *Input {
	in := inputs.Get().(*Input)
	in.op = op
	if n := len(op.input.Members); n <= len(in.buf) {
		in.vals = in.buf[:n]
	} else {
		in.vals = make([]value, n)
	}
	return in
}

// Release gives the input back for reuse by a later DecodeInput, saving
// its allocation on every request. The input must not be used after;
// what Bind set and what Raw returned stay valid.
func (in *Input) Release() {
	*in = Input{}
	inputs.Put(in)
}

// setAll sets the members found in obj, keyed by member name.
func (in *Input) setAll(obj map[string]any) {
	for i, m := range in.op.input.Members {
		if v, ok := obj[m.Name]; ok {
			in.vals[i] = valueOf(v)
		}
	}
}

// Raw returns the input as Decode does: one JSON object keyed by member
// name.
func (in *Input) Raw() (json.RawMessage, error) {
	if in.raw == nil {
		obj := make(map[string]any, len(in.vals))
		for i, m := range in.op.input.Members {
			if x := &in.vals[i]; x.kind != kindAbsent {
				obj[m.Name] = x.any()
			}
		}
		raw, err := marshal(obj)
		if err != nil {
			return nil, err
		}
		in.raw = raw
	}
	return in.raw, nil
}

// Bind sets the input into dst, a pointer, leaving it exactly as
// json.Unmarshal(Raw(), dst) would and returning that call's error.
//
// Most inputs are a few strings, integers and booleans from the query
// string, and most handlers' input structs take them as plain fields: for
// those Bind sets the fields directly, saving the encoding and the
// reflective decoding of a document made only to be decoded again. Any
// other input or struct goes through json.Unmarshal itself.
func (in *Input) Bind(dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		if b := in.op.binder(v.Type().Elem()); b != nil && b.set(in.vals, v.Elem()) {
			return nil
		}
	}
	raw, err := in.Raw()
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, dst)
}

// fieldKind is how Bind's fast path sets one input member.
type fieldKind uint8

const (
	fieldNone   fieldKind = iota // no field takes the member: Unmarshal ignores it
	fieldString                  // a string kind without custom decoding
	fieldInt                     // a signed integer kind without custom decoding
	fieldBool                    // a bool kind without custom decoding
	fieldOther                   // anything else: the member's presence sends Bind to json.Unmarshal
)

type fieldPlan struct {
	kind  fieldKind
	index []int // through embedded structs, all held by value
}

// binder maps an operation's input members (in op.input.Members order)
// to the fields of one struct type.
type binder struct{ fields []fieldPlan }

// binder returns the fast-path plan for struct type t, or nil when t must
// always go through json.Unmarshal. Plans are made once per type.
func (op *Operation) binder(t reflect.Type) *binder {
	if b, ok := op.binders.Load(t); ok {
		return b.(*binder)
	}
	b := newBinder(op.input, t)
	op.binders.Store(t, b)
	return b
}

// set checks that every present member can be set directly, then sets
// them; it reports false, changing nothing, when one cannot.
func (b *binder) set(vals []value, v reflect.Value) bool {
	for i := range vals {
		x := &vals[i]
		if x.kind == kindAbsent {
			continue
		}
		f := &b.fields[i]
		switch f.kind {
		case fieldNone:
		case fieldString:
			if x.kind != kindString {
				return false
			}
		case fieldInt:
			if x.kind != kindInt || v.FieldByIndex(f.index).OverflowInt(x.n) {
				return false // Unmarshal's own error says what is wrong
			}
		case fieldBool:
			if x.kind != kindBool {
				return false
			}
		default:
			return false
		}
	}
	for i := range vals {
		x := &vals[i]
		if x.kind == kindAbsent {
			continue
		}
		switch f := &b.fields[i]; f.kind {
		case fieldString:
			v.FieldByIndex(f.index).SetString(x.s)
		case fieldInt:
			v.FieldByIndex(f.index).SetInt(x.n)
		case fieldBool:
			v.FieldByIndex(f.index).SetBool(x.n != 0)
		}
	}
	return true
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customDecoding reports whether encoding/json decodes into t through a
// method rather than by kind.
func customDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || p.Implements(textUnmarshaler)
}

// jsonField is a field as encoding/json names it for decoding.
type jsonField struct {
	name  string
	index []int
	typ   reflect.Type
	other bool // a tag option (",string") that changes decoding
}

// newBinder plans the fast path for struct type t, or returns nil where
// encoding/json's field rules are more than the plain case this follows:
// promoted fields only through embedded structs held by value, every JSON
// name unique, names that encoding/json takes as written. Anything else
// keeps to json.Unmarshal, which is always right.
func newBinder(in *shape, t reflect.Type) *binder {
	if t.Kind() != reflect.Struct || customDecoding(t) {
		return nil
	}
	fields, ok := jsonFields(t, nil, nil)
	if !ok {
		return nil
	}
	byName := map[string]int{}
	for i, f := range fields {
		if _, dup := byName[f.name]; dup {
			return nil
		}
		byName[f.name] = i
	}
	b := &binder{fields: make([]fieldPlan, len(in.Members))}
	taken := map[int]bool{}
	for i, m := range in.Members {
		if m.Payload {
			continue // never part of the input document
		}
		// Unmarshal prefers the exact name, then any name equal under
		// case folding; more than one of those is left to it.
		fi, ok := byName[m.Name]
		if !ok {
			fi = -1
			for j, f := range fields {
				if strings.EqualFold(f.name, m.Name) {
					if fi >= 0 {
						return nil
					}
					fi = j
				}
			}
			if fi < 0 {
				continue // fieldNone
			}
		}
		if taken[fi] {
			return nil // two members, one field: the order would matter
		}
		taken[fi] = true
		f := fields[fi]
		b.fields[i] = fieldPlan{kind: kindOf(f), index: f.index}
	}
	return b
}

func kindOf(f jsonField) fieldKind {
	if f.other || customDecoding(f.typ) {
		return fieldOther
	}
	switch f.typ.Kind() {
	case reflect.String:
		return fieldString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fieldInt
	case reflect.Bool:
		return fieldBool
	}
	return fieldOther
}

// jsonFields lists t's fields as encoding/json decodes them, flattening
// embedded structs; ok is false for what newBinder does not take on.
func jsonFields(t reflect.Type, index []int, out []jsonField) (_ []jsonField, ok bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		idx := append(index[:len(index):len(index)], i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous {
			if sf.Type.Kind() != reflect.Struct || name != "" {
				// Embedded pointers, embedded non-structs and tagged
				// embedded structs each have rules of their own.
				return nil, false
			}
			if out, ok = jsonFields(sf.Type, idx, out); !ok {
				return nil, false
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		} else if !plainName(name) {
			return nil, false
		}
		out = append(out, jsonField{name: name, index: idx, typ: sf.Type, other: opts != "" && hasOption(opts, "string")})
	}
	return out, true
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// plainName reports a tag name encoding/json certainly uses as written.
func plainName(s string) bool {
	for _, c := range s {
		if c != '_' && c != '-' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return s != ""
}
