package apimodel

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The service model's patterns are java.util.regex patterns that AWS
// applies to the whole value (Matcher.matches). Go's RE2 differs in the
// character classes that matter here:
//
//   - \s in Java is [ \t\n\x0B\f\r]; Go's \s lacks \x0B.
//   - \p{C} in Java includes unassigned code points (Cn); Go has no Cn, so
//     Go's \P{C} would accept them.
//   - \p{IsWhitespace} (Unicode White_Space) does not exist in Go.
//
// Rather than patching pattern text, compileJavaPattern evaluates every
// character class, escape and '.' to an explicit set of code points with
// Java's meaning and emits it as a Go class. Everything else (literals,
// groups, alternation, quantifiers) has the same syntax in both and is
// copied; constructs we cannot translate faithfully are rejected.
func compileJavaPattern(java string) (*regexp.Regexp, error) {
	goPat, err := translateJavaPattern(java)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", java, err)
	}
	re, err := regexp.Compile(`^(?:` + goPat + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: translated to %q: %w", java, goPat, err)
	}
	return re, nil
}

func translateJavaPattern(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch c {
		case '[':
			set, n, err := parseClass(p[i:])
			if err != nil {
				return "", err
			}
			b.WriteString(set.goClass())
			i += n
		case '\\':
			set, lit, n, err := parseEscape(p[i:])
			if err != nil {
				return "", err
			}
			if set != nil {
				b.WriteString(set.goClass())
			} else {
				b.WriteString(regexp.QuoteMeta(string(lit)))
			}
			i += n
		case '.':
			// Java's '.' stops at every line terminator, not only '\n'.
			b.WriteString(javaLineTerminators.complement().goClass())
			i++
		case '(':
			if strings.HasPrefix(p[i:], "(?") && !strings.HasPrefix(p[i:], "(?:") {
				return "", fmt.Errorf("group construct at offset %d is not supported", i)
			}
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(p[i:])
			if strings.ContainsRune("^$|)*+?{},0123456789", r) || r >= utf8.RuneSelf || unicode.IsLetter(r) {
				b.WriteString(p[i : i+n])
			} else {
				b.WriteString(regexp.QuoteMeta(p[i : i+n]))
			}
			i += n
		}
	}
	return b.String(), nil
}

// parseClass parses a bracket expression at the start of p and returns its
// code point set and length. Java's nested classes and && intersections
// are not supported (the model uses neither).
func parseClass(p string) (runeSet, int, error) {
	i := 1
	negate := false
	if i < len(p) && p[i] == '^' {
		negate = true
		i++
	}
	var set runeSet
	first := true
	for {
		if i >= len(p) {
			return nil, 0, fmt.Errorf("unterminated character class")
		}
		if p[i] == ']' && !first {
			i++
			break
		}
		first = false
		if p[i] == '[' || strings.HasPrefix(p[i:], "&&") {
			return nil, 0, fmt.Errorf("nested or intersected character classes are not supported")
		}
		lo, item, n, err := classAtom(p[i:])
		if err != nil {
			return nil, 0, err
		}
		i += n
		if item != nil {
			set = set.union(item)
			continue
		}
		// A range, unless '-' is the last thing before ']'.
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi, hiItem, n, err := classAtom(p[i+1:])
			if err != nil {
				return nil, 0, err
			}
			if hiItem != nil || hi < lo {
				return nil, 0, fmt.Errorf("bad range ending at offset %d", i+1+n)
			}
			set = set.union(runeSet{{lo, hi}})
			i += 1 + n
			continue
		}
		set = set.union(runeSet{{lo, lo}})
	}
	if negate {
		set = set.complement()
	}
	return set, i, nil
}

// classAtom reads one literal code point or one set-valued escape.
func classAtom(p string) (rune, runeSet, int, error) {
	if p[0] == '\\' {
		set, lit, n, err := parseEscape(p)
		return lit, set, n, err
	}
	r, n := utf8.DecodeRuneInString(p)
	return r, nil, n, nil
}

// parseEscape reads a backslash escape: either a set (\s, \p{..}, ...) or a
// literal code point.
func parseEscape(p string) (runeSet, rune, int, error) {
	if len(p) < 2 {
		return nil, 0, 0, fmt.Errorf("trailing backslash")
	}
	switch c := p[1]; c {
	case 's':
		return javaSpace, 0, 2, nil
	case 'S':
		return javaSpace.complement(), 0, 2, nil
	case 'd':
		return runeSet{{'0', '9'}}, 0, 2, nil
	case 'D':
		return runeSet{{'0', '9'}}.complement(), 0, 2, nil
	case 'w':
		return javaWord, 0, 2, nil
	case 'W':
		return javaWord.complement(), 0, 2, nil
	case 'p', 'P':
		end := strings.IndexByte(p, '}')
		if len(p) < 4 || p[2] != '{' || end < 0 {
			return nil, 0, 0, fmt.Errorf("unsupported property escape in %q", p)
		}
		set, err := javaProperty(p[3:end])
		if err != nil {
			return nil, 0, 0, err
		}
		if c == 'P' {
			set = set.complement()
		}
		return set, 0, end + 1, nil
	case 't':
		return nil, '\t', 2, nil
	case 'n':
		return nil, '\n', 2, nil
	case 'r':
		return nil, '\r', 2, nil
	case 'f':
		return nil, '\f', 2, nil
	case 'x':
		if len(p) >= 4 {
			if v, err := strconv.ParseUint(p[2:4], 16, 8); err == nil {
				return nil, rune(v), 4, nil
			}
		}
		return nil, 0, 0, fmt.Errorf("unsupported hex escape in %q", p)
	default:
		r, n := utf8.DecodeRuneInString(p[1:])
		// In Java a backslash before a non-alphabetic character quotes it;
		// before a letter it is a construct we do not know.
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return nil, 0, 0, fmt.Errorf(`unsupported escape \%c`, r)
		}
		return nil, r, 1 + n, nil
	}
}

// javaProperty returns the set for the name inside \p{...}.
func javaProperty(name string) (runeSet, error) {
	switch name {
	case "C", "IsC", "Other":
		// Java's C includes unassigned code points: everything that is in
		// none of the other general categories.
		return assigned.complement().union(fromTable(unicode.C)), nil
	case "IsWhitespace", "IsWhite_Space", "IsWhiteSpace":
		return fromTable(unicode.White_Space), nil
	}
	cat := strings.TrimPrefix(name, "Is")
	if t, ok := unicode.Categories[cat]; ok && cat != "C" {
		return fromTable(t), nil
	}
	return nil, fmt.Errorf(`unsupported property \p{%s}`, name)
}

var (
	javaSpace           = runeSet{{'\t', '\r'}, {' ', ' '}} // \t \n \x0B \f \r and space
	javaWord            = runeSet{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}
	javaLineTerminators = runeSet{{'\n', '\n'}, {'\r', '\r'}, {0x85, 0x85}, {0x2028, 0x2029}}
	assigned            = func() runeSet {
		var s runeSet
		for _, t := range []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C} {
			s = s.union(fromTable(t))
		}
		return s
	}()
)

// runeSet is a sorted list of disjoint, non-adjacent inclusive ranges.
type runeSet [][2]rune

func fromTable(t *unicode.RangeTable) runeSet {
	var s runeSet
	add := func(lo, hi, stride rune) {
		if stride == 1 {
			s = append(s, [2]rune{lo, hi})
			return
		}
		for r := lo; r <= hi; r += stride {
			s = append(s, [2]rune{r, r})
		}
	}
	for _, r := range t.R16 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	for _, r := range t.R32 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	return s.normalize()
}

func (s runeSet) union(t runeSet) runeSet {
	return append(slices.Clone(s), t...).normalize()
}

func (s runeSet) normalize() runeSet {
	slices.SortFunc(s, func(a, b [2]rune) int { return int(a[0] - b[0]) })
	var out runeSet
	for _, r := range s {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s runeSet) complement() runeSet {
	var out runeSet
	next := rune(0)
	for _, r := range s {
		if r[0] > next {
			out = append(out, [2]rune{next, r[0] - 1})
		}
		next = r[1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, [2]rune{next, unicode.MaxRune})
	}
	return out
}

// goClass renders the set as an RE2 bracket expression.
func (s runeSet) goClass() string {
	if len(s) == 0 {
		return `[^\x00-\x{10FFFF}]` // matches nothing, like an empty Java class
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, r := range s {
		fmt.Fprintf(&b, `\x{%x}`, r[0])
		if r[1] != r[0] {
			fmt.Fprintf(&b, `-\x{%x}`, r[1])
		}
	}
	b.WriteByte(']')
	return b.String()
}
