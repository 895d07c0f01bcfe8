package apimodel

// The largest JSON body an operation's input can legitimately take, worked
// out from the service model's constraints, so that the control plane
// reads no more than that of a body before it has authenticated the
// request (the signature covers the body's hash, so an unsigned body must
// be read, and held, before the check).

// Separators are counted as json.dumps writes them (", " and ": ").
//
// escapedRune is the most bytes one character of a string takes in JSON:
// botocore, like Python's json.dumps, writes everything outside ASCII as
// \uXXXX, one escape per UTF-16 unit, and model lengths count UTF-16
// units.
const escapedRune = 6

// MaxBodyBytes is the largest JSON body the operation's input can take
// under the service model's constraints: 0 when the operation carries
// nothing in a JSON body (its input is in the path, query and headers, or
// its body is a streamed payload), -1 when the model leaves a body member
// unbounded (a string, list or map without a maximum).
func (op *Operation) MaxBodyBytes() int64 { return op.maxBody }

// bodyBound computes MaxBodyBytes from the body members.
func bodyBound(members []*member) int64 {
	if len(members) == 0 {
		return 0
	}
	n := int64(2) // {}
	for _, m := range members {
		v := jsonBound(m.target, map[*shape]bool{})
		if v < 0 {
			return -1
		}
		n += int64(len(m.wireName())) + 6 + v // `"name": value, `
	}
	return n
}

// jsonBound is the longest JSON text of a value of s, or -1 if the model
// does not bound it. A shape that contains itself is unbounded.
func jsonBound(s *shape, seen map[*shape]bool) int64 {
	if seen[s] {
		return -1
	}
	seen[s] = true
	defer delete(seen, s)
	switch s.Type {
	case "string":
		if len(s.Enum) > 0 {
			longest := 0
			for _, e := range s.Enum {
				longest = max(longest, len(e))
			}
			return int64(longest) + 2
		}
		if s.Max == nil {
			return -1
		}
		return *s.Max*escapedRune + 2
	case "integer", "long":
		return 20 // -9223372036854775808
	case "boolean":
		return 5
	case "list":
		e := jsonBound(s.member, seen)
		if s.Max == nil || e < 0 {
			return -1
		}
		return 2 + *s.Max*(e+2)
	case "map":
		k, v := jsonBound(s.key, seen), jsonBound(s.value, seen)
		if s.Max == nil || k < 0 || v < 0 {
			return -1
		}
		return 2 + *s.Max*(k+v+4)
	case "structure":
		n := int64(2)
		for _, m := range s.Members {
			v := jsonBound(m.target, seen)
			if v < 0 {
				return -1
			}
			n += int64(len(m.wireName())) + 6 + v
		}
		return n
	}
	return -1
}
