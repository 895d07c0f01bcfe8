package maven

import (
	"sort"
	"strings"
)

// CompareVersions orders versions the way Maven's ComparableVersion does
// (3.8 semantics), so generated metadata lists versions, latest and
// release as Maven would rank them: 1.0-alpha < 1.0-beta < 1.0-rc <
// 1.0-SNAPSHOT < 1.0 = 1.0.0 = 1.0-ga < 1.0-sp < 1.0.1.
func CompareVersions(a, b string) int {
	return parseVersion(a).compare(parseVersion(b))
}

// SortVersions sorts versions ascending in Maven order; equal versions
// fall back to string order so the result is deterministic.
func SortVersions(vs []string) {
	parsed := make(map[string]*item, len(vs))
	for _, v := range vs {
		parsed[v] = parseVersion(v)
	}
	sort.SliceStable(vs, func(i, j int) bool {
		if c := parsed[vs[i]].compare(parsed[vs[j]]); c != 0 {
			return c < 0
		}
		return vs[i] < vs[j]
	})
}

type itemKind int

const (
	intItem itemKind = iota
	stringItem
	listItem
)

// item is one node of ComparableVersion's parse tree: a number (kept as
// digits without leading zeros, so any length compares correctly), a
// qualifier, or a sub-list started by "-" or a digit/letter switch.
type item struct {
	kind itemKind
	num  string // intItem
	str  string // stringItem, after aliasing
	list []*item
}

// qualifiers in ascending order; "" is the release.
var qualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const releaseIndex = "5" // index of "" in qualifiers

var qualifierAliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

func comparableQualifier(q string) string {
	for i, k := range qualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	// Unknown qualifiers sort after the known ones, among themselves
	// lexically.
	return "7-" + q
}

func newString(s string, followedByDigit bool) *item {
	if followedByDigit && len(s) == 1 {
		switch s[0] {
		case 'a':
			s = "alpha"
		case 'b':
			s = "beta"
		case 'm':
			s = "milestone"
		}
	}
	if a, ok := qualifierAliases[s]; ok {
		s = a
	}
	return &item{kind: stringItem, str: s}
}

func newInt(digits string) *item {
	digits = strings.TrimLeft(digits, "0")
	return &item{kind: intItem, num: digits}
}

func parseItem(isDigit bool, s string) *item {
	if isDigit {
		return newInt(s)
	}
	return newString(s, false)
}

func (it *item) isNull() bool {
	switch it.kind {
	case intItem:
		return it.num == ""
	case stringItem:
		return comparableQualifier(it.str) == releaseIndex
	default:
		return len(it.list) == 0
	}
}

// normalize drops trailing null items (1.0.0 == 1, 1-ga == 1) up to the
// last sub-list.
func (it *item) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		last := it.list[i]
		if last.isNull() {
			it.list = append(it.list[:i], it.list[i+1:]...)
		} else if last.kind != listItem {
			break
		}
	}
}

func parseVersion(v string) *item {
	v = strings.ToLower(v)
	root := &item{kind: listItem}
	list := root
	stack := []*item{root}
	isDigit := false
	start := 0
	push := func() {
		l := &item{kind: listItem}
		list.list = append(list.list, l)
		list = l
		stack = append(stack, l)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				list.list = append(list.list, newInt(""))
			} else {
				list.list = append(list.list, parseItem(isDigit, v[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				list.list = append(list.list, newInt(""))
			} else {
				list.list = append(list.list, parseItem(isDigit, v[start:i]))
			}
			start = i + 1
			push()
		case c >= '0' && c <= '9':
			if !isDigit && i > start {
				list.list = append(list.list, newString(v[start:i], true))
				start = i
				push()
			}
			isDigit = true
		default:
			if isDigit && i > start {
				list.list = append(list.list, parseItem(true, v[start:i]))
				start = i
				push()
			}
			isDigit = false
		}
	}
	if len(v) > start {
		list.list = append(list.list, parseItem(isDigit, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root
}

func compareNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// compare follows ComparableVersion's Item.compareTo; o may be nil (a
// missing item, which compares like zero / the release qualifier).
func (it *item) compare(o *item) int {
	switch it.kind {
	case intItem:
		if o == nil {
			if it.num == "" {
				return 0
			}
			return 1
		}
		if o.kind == intItem {
			return compareNum(it.num, o.num)
		}
		return 1 // 1.1 > 1-sp, 1.1 > 1-1
	case stringItem:
		if o == nil {
			return strings.Compare(comparableQualifier(it.str), releaseIndex)
		}
		if o.kind == stringItem {
			return strings.Compare(comparableQualifier(it.str), comparableQualifier(o.str))
		}
		return -1 // 1.any < 1.1, 1.any < 1-1
	default:
		if o == nil {
			for _, x := range it.list {
				if r := x.compare(nil); r != 0 {
					return r
				}
			}
			return 0
		}
		switch o.kind {
		case intItem:
			return -1 // 1-1 < 1.0.x
		case stringItem:
			return 1 // 1-1 > 1-sp
		}
		for i := 0; i < len(it.list) || i < len(o.list); i++ {
			var l, r *item
			if i < len(it.list) {
				l = it.list[i]
			}
			if i < len(o.list) {
				r = o.list[i]
			}
			var res int
			if l == nil {
				if r != nil {
					res = -r.compare(nil)
				}
			} else {
				res = l.compare(r)
			}
			if res != 0 {
				return res
			}
		}
		return 0
	}
}
