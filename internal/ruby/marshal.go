package ruby

import (
	"fmt"
	"time"
)

// This file is a Ruby Marshal (format 4.8) encoder for the values the
// RubyGems protocols carry: the dependency API's array of hashes and the
// Gem::Specification in quick/Marshal.4.8/*.gemspec.rz. It writes what
// Ruby's own Marshal.dump writes for the same values (symbols are written
// once and linked after; objects are linked only when a value says so with
// shared), so RubyGems and Bundler load it as the objects they expect.

// Value types the encoder writes:
//
//	nil, bool, int     nil, true/false, Integer (fixnum range only)
//	string             a UTF-8 String
//	asciiString        a US-ASCII String
//	[]byte             a binary (ASCII-8BIT) String
//	symbol             a Symbol
//	[]any              an Array
//	hash               a Hash, in insertion order
//	object             a plain object and its instance variables
//	userMarshal        an object with marshal_dump (Gem::Version, Gem::Requirement)
//	userDef            an object with _dump (Time, Gem::Specification)
//	*shared            one object written where it first appears and linked after
type (
	symbol      string
	asciiString string
	hash        []pair
	pair        struct{ Key, Value any }
	object      struct {
		Class string
		Ivars []ivar
	}
	ivar struct {
		Name  symbol // with its "@"
		Value any
	}
	userMarshal struct {
		Class string
		Data  any
	}
	userDef struct {
		Class string
		Data  []byte
		Ivars []ivar
	}
	// shared is an object identity: the same *shared written twice loads
	// as one object, as Ruby writes a reference to an object it has
	// already dumped.
	shared struct{ Value any }
)

// Marshal type bytes.
const (
	tNil         = '0'
	tTrue        = 'T'
	tFalse       = 'F'
	tFixnum      = 'i'
	tString      = '"'
	tSymbol      = ':'
	tSymlink     = ';'
	tLink        = '@'
	tArray       = '['
	tHash        = '{'
	tObject      = 'o'
	tIvar        = 'I'
	tUserDef     = 'u'
	tUserMarshal = 'U'
)

// Fixnums Marshal writes as "i": what fits in 31 bits plus sign, the
// range every Ruby reads back as an Integer.
const (
	minFixnum = -1 << 30
	maxFixnum = 1<<30 - 1
)

type encoder struct {
	buf  []byte
	syms map[symbol]int
	// objs counts objects as Ruby's w_object registers them, so links
	// to shared values carry the index Ruby would give them.
	objs   int
	shared map[*shared]int
}

// marshalDump encodes v as Marshal.dump would. It panics on a value of a
// type outside the list above: the callers build these values themselves.
func marshalDump(v any) []byte {
	e := &encoder{buf: make([]byte, 0, 256), syms: map[symbol]int{}, shared: map[*shared]int{}}
	e.buf = append(e.buf, 4, 8)
	e.value(v)
	return e.buf
}

// long writes Marshal's variable-length integer.
func (e *encoder) long(n int) {
	switch {
	case n == 0:
		e.buf = append(e.buf, 0)
	case 0 < n && n < 123:
		e.buf = append(e.buf, byte(n+5))
	case -124 < n && n < 0:
		e.buf = append(e.buf, byte(n-5))
	default:
		var b [4]byte
		i := 0
		for i < 4 {
			b[i] = byte(n)
			i++
			n >>= 8
			if n == 0 || n == -1 {
				break
			}
		}
		if n != 0 && n != -1 {
			panic("ruby marshal: integer out of range")
		}
		l := byte(i)
		if n == -1 {
			l = byte(-i)
		}
		e.buf = append(e.buf, l)
		e.buf = append(e.buf, b[:i]...)
	}
}

func (e *encoder) bytes(s string) {
	e.long(len(s))
	e.buf = append(e.buf, s...)
}

func (e *encoder) symbol(s symbol) {
	if i, ok := e.syms[s]; ok {
		e.buf = append(e.buf, tSymlink)
		e.long(i)
		return
	}
	e.syms[s] = len(e.syms)
	e.buf = append(e.buf, tSymbol)
	e.bytes(string(s))
}

// str writes a String with its encoding: UTF-8 and US-ASCII carry Ruby's
// short "E" instance variable (true, false); binary strings none.
func (e *encoder) str(s string, enc any) {
	if enc != nil {
		e.buf = append(e.buf, tIvar)
	}
	e.buf = append(e.buf, tString)
	e.bytes(s)
	e.objs++
	if enc != nil {
		e.long(1)
		e.symbol("E")
		e.value(enc)
	}
}

func (e *encoder) ivars(vs []ivar) {
	e.long(len(vs))
	for _, iv := range vs {
		e.symbol(iv.Name)
		e.value(iv.Value)
	}
}

func (e *encoder) value(v any) {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, tNil)
	case bool:
		if v {
			e.buf = append(e.buf, tTrue)
		} else {
			e.buf = append(e.buf, tFalse)
		}
	case int:
		if v < minFixnum || v > maxFixnum {
			panic(fmt.Sprintf("ruby marshal: integer %d is not a fixnum", v))
		}
		e.buf = append(e.buf, tFixnum)
		e.long(v)
	case string:
		e.str(v, true)
	case asciiString:
		e.str(string(v), false)
	case []byte:
		e.str(string(v), nil)
	case symbol:
		e.symbol(v)
	case []any:
		e.objs++
		e.buf = append(e.buf, tArray)
		e.long(len(v))
		for _, x := range v {
			e.value(x)
		}
	case hash:
		e.objs++
		e.buf = append(e.buf, tHash)
		e.long(len(v))
		for _, p := range v {
			e.value(p.Key)
			e.value(p.Value)
		}
	case object:
		e.objs++
		e.buf = append(e.buf, tObject)
		e.symbol(symbol(v.Class))
		e.ivars(v.Ivars)
	case userMarshal:
		// Ruby registers the object before dumping what marshal_dump
		// returned.
		e.objs++
		e.buf = append(e.buf, tUserMarshal)
		e.symbol(symbol(v.Class))
		e.value(v.Data)
	case userDef:
		if len(v.Ivars) > 0 {
			e.buf = append(e.buf, tIvar)
		}
		e.buf = append(e.buf, tUserDef)
		e.symbol(symbol(v.Class))
		e.bytes(string(v.Data))
		if len(v.Ivars) > 0 {
			e.ivars(v.Ivars)
		}
		// ... and an _dump object after its instance variables.
		e.objs++
	case *shared:
		if i, ok := e.shared[v]; ok {
			e.buf = append(e.buf, tLink)
			e.long(i)
			return
		}
		// The object's own index is the next one; a userDef takes its
		// index after its instance variables, which shared never wraps.
		e.shared[v] = e.objs
		e.value(v.Value)
	default:
		panic(fmt.Sprintf("ruby marshal: cannot encode %T", v))
	}
}

// rubyTime is a UTC Time as Time#_dump writes it: two little-endian
// 32-bit words packing the date and time to the microsecond, and the zone
// name as an instance variable. Finer fractions would need more instance
// variables; gemspec dates are midnights, so they are dropped.
func rubyTime(t time.Time) userDef {
	t = t.UTC()
	p := uint32(1)<<31 | 1<<30 | uint32(t.Year()-1900)<<14 | uint32(t.Month()-1)<<10 | uint32(t.Day())<<5 | uint32(t.Hour())
	s := uint32(t.Minute())<<26 | uint32(t.Second())<<20 | uint32(t.Nanosecond()/1000)
	data := []byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24), byte(s), byte(s >> 8), byte(s >> 16), byte(s >> 24)}
	return userDef{Class: "Time", Data: data, Ivars: []ivar{{"zone", asciiString("UTC")}}}
}
