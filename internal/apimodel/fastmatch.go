package apimodel

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// asciiMatcher matches ASCII values against a model pattern without the
// regexp engine, which costs hundreds of nanoseconds per name on every
// request. It takes patterns that are a sequence of single-character
// items (a class, an escape or a literal, each with a quantifier) of
// which at most one has a variable count, the shape of every pattern in
// the CodeArtifact model: then a value's length alone decides how many
// characters each item takes, and a match is one table lookup per byte.
// Each item's table holds exactly the ASCII part of the code point set
// the regexp is built from, so for ASCII values both agree; other values
// go to the regexp.
type asciiMatcher struct {
	items    []asciiItem
	variable int // index of the item with a variable count, or -1
	fixed    int // characters the fixed-count items take
}

type asciiItem struct {
	set      [2]uint64 // ASCII members of the item's set, a bit per byte
	min, max int       // max is math.MaxInt for an unbounded count
}

func (it *asciiItem) has(b byte) bool { return it.set[b>>6]&(1<<(b&63)) != 0 }

// compileASCIIMatcher returns the matcher for a Java pattern, or nil when
// the pattern is not of the shape asciiMatcher takes.
func compileASCIIMatcher(p string) *asciiMatcher {
	m := &asciiMatcher{variable: -1}
	for i := 0; i < len(p); {
		var set runeSet
		switch c := p[i]; {
		case c == '[':
			s, n, err := parseClass(p[i:])
			if err != nil {
				return nil
			}
			set, i = s, i+n
		case c == '\\':
			s, lit, n, err := parseEscape(p[i:])
			if err != nil {
				return nil
			}
			if s == nil {
				s = runeSet{{lit, lit}}
			}
			set, i = s, i+n
		case strings.IndexByte(`^$|()*+?{}.]`, c) >= 0:
			return nil // constructs the regexp handles
		default:
			r, n := utf8.DecodeRuneInString(p[i:])
			set, i = runeSet{{r, r}}, i+n
		}
		it := asciiItem{min: 1, max: 1}
		for _, r := range set {
			for c := r[0]; c <= r[1] && c < utf8.RuneSelf; c++ {
				it.set[c>>6] |= 1 << (c & 63)
			}
		}
		if i < len(p) {
			switch p[i] {
			case '+':
				it.min, it.max = 1, math.MaxInt
				i++
			case '*':
				it.min, it.max = 0, math.MaxInt
				i++
			case '?':
				it.min, it.max = 0, 1
				i++
			case '{':
				end := strings.IndexByte(p[i:], '}')
				if end < 0 {
					return nil
				}
				lo, hi, ok := parseCount(p[i+1 : i+end])
				if !ok {
					return nil
				}
				it.min, it.max = lo, hi
				i += end + 1
			}
			// A second quantifier makes it lazy or possessive: no longer
			// a plain count.
			if i < len(p) && strings.IndexByte("+*?{", p[i]) >= 0 {
				return nil
			}
		}
		if it.min != it.max {
			if m.variable >= 0 {
				return nil // two variable counts: the length no longer decides
			}
			m.variable = len(m.items)
		} else {
			m.fixed += it.min
		}
		m.items = append(m.items, it)
	}
	return m
}

// parseCount reads the inside of {n}, {n,} or {n,m}.
func parseCount(s string) (lo, hi int, ok bool) {
	a, b, comma := strings.Cut(s, ",")
	lo, err := strconv.Atoi(a)
	if err != nil || lo < 0 || lo > 1000 {
		return 0, 0, false
	}
	if !comma {
		return lo, lo, true
	}
	if b == "" {
		return lo, math.MaxInt, true
	}
	hi, err = strconv.Atoi(b)
	if err != nil || hi < lo || hi > 1000 {
		return 0, 0, false
	}
	return lo, hi, true
}

// match reports whether s matches; ok is false when s is not ASCII and
// the regexp must decide.
func (m *asciiMatcher) match(s string) (matched, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false, false
		}
	}
	n := len(s) - m.fixed
	if m.variable < 0 {
		if n != 0 {
			return false, true
		}
	} else if v := &m.items[m.variable]; n < v.min || n > v.max {
		return false, true
	}
	pos := 0
	for i := range m.items {
		it := &m.items[i]
		count := it.min
		if i == m.variable {
			count = n
		}
		for j := pos; j < pos+count; j++ {
			if !it.has(s[j]) {
				return false, true
			}
		}
		pos += count
	}
	return true, true
}

// matches applies the shape's pattern to s.
func (s *shape) matches(str string) bool {
	if s.ascii != nil {
		if matched, ok := s.ascii.match(str); ok {
			return matched
		}
	}
	return s.re.MatchString(str)
}
