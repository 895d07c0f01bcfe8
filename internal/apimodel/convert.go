package apimodel

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// fromString converts a query-string or header value to the member's type.
func fromString(path string, s *shape, raw string) (value, error) {
	switch s.Type {
	case "string":
		return value{kind: kindString, s: validUTF8(raw)}, nil
	case "integer", "long":
		bits := 32
		if s.Type == "long" {
			bits = 64
		}
		n, err := strconv.ParseInt(raw, 10, bits)
		if err != nil {
			return value{}, cannotParse("Cannot parse value '%s' at '%s' as %s", validUTF8(raw), path, s.Type)
		}
		return value{kind: kindInt, n: n}, nil
	case "boolean":
		// The SDKs send exactly these; anything else is a client bug that
		// silently reading as false would hide.
		switch raw {
		case "true":
			return value{kind: kindBool, n: 1}, nil
		case "false":
			return value{kind: kindBool}, nil
		}
		return value{}, cannotParse("Cannot parse value '%s' at '%s' as boolean", validUTF8(raw), path)
	}
	return value{}, fmt.Errorf("apimodel: %s: %s is not a scalar type", path, s.Type)
}

// keyBy selects how structure members are found in JSON: by wire name in a
// request body, or by member name in Decode's own output.
type keyBy bool

const (
	byWireName   keyBy = false
	byMemberName keyBy = true
)

// fromJSON converts a generically decoded JSON value (decoded with
// UseNumber) to the member's type, rejecting JSON of the wrong type.
func fromJSON(path string, s *shape, val any, by keyBy) (any, error) {
	if val == nil {
		return nil, nil // validation reports nulls where they matter
	}
	switch s.Type {
	case "string":
		if str, ok := val.(string); ok {
			return str, nil
		}
	case "integer", "long":
		if num, ok := val.(json.Number); ok {
			bits := 32
			if s.Type == "long" {
				bits = 64
			}
			n, err := strconv.ParseInt(string(num), 10, bits)
			if err != nil {
				return nil, cannotParse("Cannot parse value %s at '%s' as %s", num, path, s.Type)
			}
			return n, nil
		}
	case "boolean":
		if b, ok := val.(bool); ok {
			return b, nil
		}
	case "list":
		if items, ok := val.([]any); ok {
			out := make([]any, len(items))
			for i, item := range items {
				v, err := fromJSON(path+"."+strconv.Itoa(i+1)+".member", s.member, item, by)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		}
	case "map":
		if obj, ok := val.(map[string]any); ok {
			out := make(map[string]any, len(obj))
			for k, item := range obj {
				v, err := fromJSON(path+"."+k+".value", s.value, item, by)
				if err != nil {
					return nil, err
				}
				out[k] = v
			}
			return out, nil
		}
	case "structure":
		if obj, ok := val.(map[string]any); ok {
			return structFromJSON(path, s, obj, by)
		}
	default:
		return nil, fmt.Errorf("apimodel: %s: type %s cannot be decoded", path, s.Type)
	}
	return nil, cannotParse("Cannot parse value at '%s': expected %s, got %s", path, s.Type, jsonKind(val))
}

// structFromJSON picks the structure's members out of obj, dropping
// unknown keys (AWS ignores them) and nulls (same as absent).
func structFromJSON(path string, s *shape, obj map[string]any, by keyBy) (map[string]any, error) {
	out := map[string]any{}
	for _, m := range s.Members {
		if m.Payload {
			continue
		}
		key := m.wireName()
		if by == byMemberName {
			key = m.Name
		}
		raw, ok := obj[key]
		if !ok || raw == nil {
			continue
		}
		if m.Location != "" && by == byWireName {
			continue // located members never come from the body
		}
		v, err := fromJSON(memberPath(path, m.Name), m.target, raw, by)
		if err != nil {
			return nil, err
		}
		out[m.Name] = v
	}
	return out, nil
}

func jsonKind(val any) string {
	switch val.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// validUTF8 replaces each invalid byte with U+FFFD, exactly as
// encoding/json will when the value is re-encoded, so what we validate is
// what the handler receives.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]rune, 0, len(s))
	for _, r := range s {
		b = append(b, r) // ranging yields RuneError per invalid byte
	}
	return string(b)
}
