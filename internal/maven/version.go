package maven

import (
	"cmp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CompareVersions orders versions the way Maven 3.9's ComparableVersion
// does, so generated metadata lists versions, latest and release as Maven
// would rank them: 1.0-alpha < 1.0-beta < 1.0-rc < 1.0-SNAPSHOT < 1.0 =
// 1.0.0 = 1.0-ga < 1.0-sp < 1.0.1.
//
// Versions are parsed exactly as Maven parses them. Maven's comparison,
// though, is not transitive for some odd versions (1.0.0.beta-2 < 1 <
// 1-sp < 1.0.0.beta-2, MNG-6568), and a sort needs a total order. So one
// rule is added: where two versions first differ, a version whose
// remainder ranks below "nothing more" (Maven's own comparison of that
// remainder against the end of the shorter list) is lower than one whose
// remainder ranks above it, whatever the kinds of the items there. Maven
// answers the same for every pair it orders consistently with their
// common prefix; only its cycles are broken.
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

// itemKind doubles as Maven's rank between items of different kinds:
// 1-sp < 1-1 < 1.1 (a qualifier < a "-" sub-list < a number).
type itemKind uint8

const (
	stringItem itemKind = iota
	listItem
	intItem
)

// item is one node of ComparableVersion's parse tree.
type item struct {
	kind itemKind
	// intItem: Maven types numbers by their written length (int up to 9
	// digits, long up to 18, BigInteger beyond) and ranks a wider type
	// above a narrower one whatever the values; digits is the value in
	// ASCII without leading zeros ("" is zero), so any length compares.
	width  uint8
	digits string
	// stringItem: the qualifier's rank among the known ones (release is
	// rankRelease) or rankUnknown, and for unknown ones its text.
	rank  uint8
	label string
	// listItem: the items, and after normalization rest[i], the sign of
	// list[i:] against nothing: Maven's compareTo(null), which looks past
	// items worth nothing (1-0.alpha < 1, MNG-6964).
	list []*item
	rest []int8
}

// Known qualifiers in ascending order; "" is the release. Unknown
// qualifiers rank after all of them, among themselves lexically.
var qualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const (
	rankRelease = 5
	rankUnknown = 7
)

var qualifierAliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

func newString(s string, followedByDigit bool) *item {
	if followedByDigit {
		// 1a1 = 1-alpha-1, b1 = beta-1, m1 = milestone-1
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if a, ok := qualifierAliases[s]; ok {
		s = a
	}
	for i, q := range qualifiers {
		if q == s {
			return &item{kind: stringItem, rank: uint8(i)}
		}
	}
	return &item{kind: stringItem, rank: rankUnknown, label: s}
}

// newInt takes a run of decimal digits (any Unicode Nd in the BMP, as
// Java's Character.isDigit(char) sees them).
func newInt(run string) *item {
	// Maven strips ASCII zeros only, and keeps a run of zeros whole, before
	// choosing the type by length (in UTF-16 units: one per BMP digit).
	kept := strings.TrimLeft(run, "0")
	if kept == "" {
		kept = run
	}
	n := utf8.RuneCountInString(kept)
	width := uint8(0)
	if n > 18 {
		width = 2
	} else if n > 9 {
		width = 1
	}
	var b strings.Builder
	for _, r := range run {
		d := digitValue(r)
		if d == 0 && b.Len() == 0 {
			continue
		}
		b.WriteByte(byte('0' + d))
	}
	return &item{kind: intItem, width: width, digits: b.String()}
}

var zero = &item{kind: intItem}

func parseItem(isDigit bool, s string) *item {
	if isDigit {
		return newInt(s)
	}
	return newString(s, false)
}

// isDigit is Java's Character.isDigit on a UTF-16 unit: supplementary
// characters are never digits.
func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return r <= 0xFFFF && unicode.IsDigit(r)
}

// digitValue of a rune isDigit accepts: Unicode lays every decimal digit
// set out as ten consecutive code points from its zero, and the BMP ranges
// of unicode.Nd are whole such sets.
func digitValue(r rune) int {
	if r < utf8.RuneSelf {
		return int(r - '0')
	}
	for _, rg := range unicode.Nd.R16 {
		if uint16(r) >= rg.Lo && uint16(r) <= rg.Hi {
			return int(uint16(r)-rg.Lo) % 10
		}
	}
	return 0
}

// toLower is Java's String.toLowerCase(Locale.ENGLISH) but for its final
// sigma rule (Σ at the end of a word becomes ς there, σ here).
func toLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\u0130' { // İ: Java keeps the dot, as U+0307
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (it *item) isNull() bool {
	switch it.kind {
	case intItem:
		return it.digits == ""
	case stringItem:
		return it.rank == rankRelease
	default:
		return len(it.list) == 0
	}
}

// sign is Maven's compareTo(null): how the item ranks against nothing
// (1.1 > 1, 1-rc < 1, 1-sp > 1, a list by its first item that is not).
func (it *item) sign() int8 {
	switch it.kind {
	case intItem:
		if it.digits == "" {
			return 0
		}
		return 1
	case stringItem:
		return int8(cmp.Compare(it.rank, rankRelease))
	default:
		if len(it.rest) == 0 {
			return 0
		}
		return it.rest[0]
	}
}

// normalize drops null items (0, release, empty lists) from the end,
// stepping over sub-lists, until an item that is neither: 1.0.0 = 1,
// 1-ga = 1, 1.0-alpha = 1-alpha. Then it records the sign of every tail.
func (it *item) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		last := it.list[i]
		if last.isNull() {
			it.list = append(it.list[:i], it.list[i+1:]...)
		} else if last.kind != listItem {
			break
		}
	}
	it.rest = make([]int8, len(it.list))
	var s int8
	for i := len(it.list) - 1; i >= 0; i-- {
		if own := it.list[i].sign(); own != 0 {
			s = own
		}
		it.rest[i] = s
	}
}

// parseVersion follows ComparableVersion.parseVersion: "." separates
// items, "-" also opens a sub-list, a switch between digits and letters
// separates too and opens a sub-list, and a qualifier after a non-empty
// list gets a sub-list of its own (1.0.0.RC1 = 1-RC-1, MNG-7644).
func parseVersion(v string) *item {
	v = toLower(v)
	root := &item{kind: listItem}
	list := root
	lists := []*item{root}
	open := func() {
		l := &item{kind: listItem}
		list.list = append(list.list, l)
		list = l
		lists = append(lists, l)
	}
	digit := false
	start := 0
	for i, r := range v {
		switch {
		case r == '.' || r == '-':
			if i == start {
				list.list = append(list.list, zero)
			} else {
				list.list = append(list.list, parseItem(digit, v[start:i]))
			}
			start = i + 1
			if r == '-' {
				open()
			}
		case isDigit(r):
			if !digit && i > start {
				if len(list.list) > 0 {
					open()
				}
				list.list = append(list.list, newString(v[start:i], true))
				start = i
				open()
			}
			digit = true
		default:
			if digit && i > start {
				list.list = append(list.list, newInt(v[start:i]))
				start = i
				open()
			}
			digit = false
		}
	}
	if len(v) > start {
		if !digit && len(list.list) > 0 {
			open()
		}
		list.list = append(list.list, parseItem(digit, v[start:]))
	}
	// Sub-lists come after their parents: normalize the innermost first.
	for i := len(lists) - 1; i >= 0; i-- {
		lists[i].normalize()
	}
	return root
}

// compare orders two lists. At the first position where they differ in
// the sign of their remainders against nothing, that sign decides (it is
// how each ranks against the common prefix); where both remainders are
// worth nothing they are equal; otherwise the items there compare as
// Maven compares them. Each list is so read as a string of keys (sign,
// item) ended by a key (0) that sits between the negative keys and the
// positive ones, and compared key by key: a total order whenever the
// items' is, which holds down the tree.
func (it *item) compare(o *item) int {
	for i := 0; ; i++ {
		var x, y int8
		if i < len(it.rest) {
			x = it.rest[i]
		}
		if i < len(o.rest) {
			y = o.rest[i]
		}
		if x != y {
			return cmp.Compare(x, y)
		}
		if x == 0 {
			return 0
		}
		if c := compareItems(it.list[i], o.list[i]); c != 0 {
			return c
		}
	}
}

// compareItems ranks items of different kinds by kind, whatever their
// values (1-sp < 1-1 < 1.1), and items of one kind by value.
func compareItems(a, b *item) int {
	if a.kind != b.kind {
		return cmp.Compare(a.kind, b.kind)
	}
	switch a.kind {
	case intItem:
		if c := cmp.Compare(a.width, b.width); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.digits), len(b.digits)); c != 0 {
			return c
		}
		return strings.Compare(a.digits, b.digits)
	case stringItem:
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return compareUTF16(a.label, b.label)
	default:
		return a.compare(b)
	}
}

// compareUTF16 is Java's String.compareTo: UTF-16 code unit order, which
// differs from Go's byte order only in putting U+E000..U+FFFF after the
// supplementary planes.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if (ra > 0xFFFF) != (rb > 0xFFFF) {
				// The supplementary one starts with a surrogate.
				if ra > 0xFFFF {
					ra = 0xD800
				} else {
					rb = 0xD800
				}
			}
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}
