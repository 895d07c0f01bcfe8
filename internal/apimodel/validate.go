package apimodel

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
)

// Decoded values are plain Go values: nil (JSON null), string, int64,
// bool, []any for lists, and map[string]any for both maps and structures
// (structures keyed by member name); the shape says which.

// validateInput checks in against the input structure and returns one
// FIELD_VALIDATION_FAILED error listing every violation, AWS style:
//
//	2 validation errors detected: Value null at 'domain' failed to satisfy
//	constraint: Member must not be null; Value 'A' at 'repository' ...
//
// Paths name members as AWS does: member names joined with dots
// (restrictions.publish), list items as NAME.N.member counting from 1
// (versions.2.member, tags.1.member.key), and map entries by their key as
// NAME.KEY.key for a bad key and NAME.KEY.value for a bad value
// (versionRevisions.1.0.value); keys may contain dots, the path is for
// people, not for parsing.
//
// Violations are reported in member order, depth first, map entries in key
// order. Each value reports
// only its first failing constraint (null, length, range, pattern, enum),
// which is why 'A' for a repository name yields the length error alone.
func validateInput(in *shape, obj map[string]any) error {
	vals := make([]value, len(in.Members))
	for i, m := range in.Members {
		vals[i] = valueOf(obj[m.Name])
	}
	return validateValues(in, vals)
}

// validateValues is validateInput on the input's members as Input holds
// them, in in.Members order. Top-level scalars, the whole of a query-only
// input, are checked without boxing them.
func validateValues(in *shape, vals []value) error {
	var v validator
	for i, m := range in.Members {
		if m.Payload {
			continue // the raw body belongs to the handler
		}
		p := memberPath("", m.Name)
		switch x := &vals[i]; x.kind {
		case kindAbsent:
			if m.Required {
				v.fail(p, nil, "Member must not be null")
			}
		case kindString:
			v.str(p, m.target, x.s)
		case kindInt:
			v.integer(p, m.target, x.n)
		case kindBool:
		default:
			v.value(p, m.target, x.v)
		}
	}
	switch n := len(v.errs); n {
	case 0:
		return nil
	case 1:
		return model.Validationf("1 validation error detected: %s", v.errs[0])
	default:
		return model.Validationf("%d validation errors detected: %s", n, strings.Join(v.errs, "; "))
	}
}

type validator struct{ errs []string }

func (v *validator) fail(path string, val any, constraint string) {
	v.errs = append(v.errs, "Value "+renderValue(val)+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

func (v *validator) structure(path string, s *shape, obj map[string]any) {
	for _, m := range s.Members {
		if m.Payload {
			continue // the raw body belongs to the handler
		}
		p := memberPath(path, m.Name)
		val, ok := obj[m.Name]
		if !ok || val == nil {
			if m.Required {
				v.fail(p, nil, "Member must not be null")
			}
			continue
		}
		v.value(p, m.target, val)
	}
}

func (v *validator) value(path string, s *shape, val any) {
	if val == nil {
		// Only list items and map values get here: members skip nulls.
		v.fail(path, nil, "Member must not be null")
		return
	}
	switch s.Type {
	case "string":
		v.str(path, s, val.(string))
	case "integer", "long":
		v.integer(path, s, val.(int64))
	case "list":
		items := val.([]any)
		if c := lengthViolation(s, int64(len(items))); c != "" {
			v.fail(path, val, c)
		}
		for i, item := range items {
			v.value(path+"."+strconv.Itoa(i+1)+".member", s.member, item)
		}
	case "map":
		m := val.(map[string]any)
		if c := lengthViolation(s, int64(len(m))); c != "" {
			v.fail(path, val, c)
		}
		// Sorted so that the message is deterministic.
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v.value(path+"."+k+".key", s.key, k)
			v.value(path+"."+k+".value", s.value, m[k])
		}
	case "structure":
		v.structure(path, s, val.(map[string]any))
	}
}

func (v *validator) str(path string, s *shape, str string) {
	if c := lengthViolation(s, int64(utf8.RuneCountInString(str))); c != "" {
		v.fail(path, str, c)
	} else if s.re != nil && !s.matches(str) {
		v.fail(path, str, "Member must satisfy regular expression pattern: "+s.Pattern)
	} else if s.enumSet != nil && !s.enumSet[str] {
		v.fail(path, str, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
	}
}

func (v *validator) integer(path string, s *shape, n int64) {
	if s.Min != nil && n < *s.Min {
		v.fail(path, n, "Member must have value greater than or equal to "+strconv.FormatInt(*s.Min, 10))
	} else if s.Max != nil && n > *s.Max {
		v.fail(path, n, "Member must have value less than or equal to "+strconv.FormatInt(*s.Max, 10))
	}
}

// lengthViolation checks min/max as a length, which for strings counts
// Unicode code points (as Smithy's length trait defines) and for lists and
// maps counts entries.
func lengthViolation(s *shape, n int64) string {
	if s.Min != nil && n < *s.Min {
		return "Member must have length greater than or equal to " + strconv.FormatInt(*s.Min, 10)
	}
	if s.Max != nil && n > *s.Max {
		return "Member must have length less than or equal to " + strconv.FormatInt(*s.Max, 10)
	}
	return ""
}

// memberPath appends a member to a dotted path. The member "package" is
// shown as "packageName", the name AWS's own messages use for it.
func memberPath(parent, name string) string {
	if name == "package" {
		name = "packageName"
	}
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// maxRendered bounds how many list items or map entries a message shows.
const maxRendered = 10

// renderValue formats a value for a message: null, strings in single
// quotes, numbers and booleans bare, and lists and maps quoted in Java's
// toString form ([a, b] and {k=v}), cut after maxRendered entries.
func renderValue(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case string:
		return "'" + x + "'"
	case int64:
		// AWS quotes scalars of every type: Value '100' at 'maxResults'.
		return "'" + strconv.FormatInt(x, 10) + "'"
	case bool:
		return "'" + strconv.FormatBool(x) + "'"
	}
	var b strings.Builder
	b.WriteByte('\'')
	renderInner(&b, val)
	b.WriteByte('\'')
	return b.String()
}

func renderInner(b *strings.Builder, val any) {
	switch x := val.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case []any:
		b.WriteByte('[')
		for i, item := range x {
			if i == maxRendered {
				b.WriteString(", ...")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			renderInner(b, item)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i == maxRendered {
				b.WriteString(", ...")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + "=")
			renderInner(b, x[k])
		}
		b.WriteByte('}')
	}
}
