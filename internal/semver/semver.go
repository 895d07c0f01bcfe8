// Package semver parses and orders Semantic Versioning 2.0.0 versions,
// which npm requires of every published version and CodeArtifact of
// every Swift release; listings order versions by their precedence.
package semver

import (
	"strings"
)

// Version is a parsed SemVer 2.0.0 version.
type Version struct {
	major, minor, patch string // decimal, no leading zeros
	pre                 []string
	build               string
}

// Parse parses a strict SemVer 2.0.0 version: no "v" prefix (clients
// clean versions before publishing), at most 256 bytes.
func Parse(s string) (Version, bool) {
	var v Version
	if len(s) == 0 || len(s) > 256 {
		return v, false
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.build = s[i+1:]
		s = s[:i]
		if !validIdents(v.build, false) {
			return v, false
		}
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		s = s[:i]
		if !validIdents(pre, true) {
			return v, false
		}
		v.pre = strings.Split(pre, ".")
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for _, p := range parts {
		if !numeric(p) || (len(p) > 1 && p[0] == '0') {
			return v, false
		}
	}
	v.major, v.minor, v.patch = parts[0], parts[1], parts[2]
	return v, true
}

// validIdents checks dot-separated identifiers of a pre-release (where
// numeric identifiers may not have leading zeros) or build metadata.
func validIdents(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if pre && numeric(id) && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmpNum compares decimal strings without leading zeros of any length.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// Valid reports whether s is a strict SemVer 2.0.0 version.
func Valid(s string) bool {
	_, ok := Parse(s)
	return ok
}

// Prerelease reports whether v has pre-release identifiers.
func (v Version) Prerelease() bool { return len(v.pre) > 0 }

// Compare orders versions by SemVer precedence; build metadata, which
// has no precedence, breaks ties so the order is total.
func (a Version) Compare(b Version) int {
	for _, c := range [3]int{cmpNum(a.major, b.major), cmpNum(a.minor, b.minor), cmpNum(a.patch, b.patch)} {
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a.pre) == 0 && len(b.pre) > 0:
		return 1
	case len(a.pre) > 0 && len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		xn, yn := numeric(x), numeric(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNum(x, y)
		case xn:
			c = -1
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	if len(a.pre) != len(b.pre) {
		if len(a.pre) < len(b.pre) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.build, b.build)
}

// CompareStrings orders version strings, SemVer ones by precedence and
// after anything unparsable (which sorts as text), so listings built
// from data a client did not publish still come out in a stable order.
func CompareStrings(a, b string) int {
	x, xok := Parse(a)
	y, yok := Parse(b)
	switch {
	case xok && yok:
		return x.Compare(y)
	case xok:
		return 1
	case yok:
		return -1
	}
	return strings.Compare(a, b)
}
