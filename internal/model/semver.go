package model

import "strings"

// SemVer is a parsed SemVer 2.0.0 version: npm and Cargo require every
// published version to be one, and npm orders versions by it.
type SemVer struct {
	Major, Minor, Patch string // decimal, no leading zeros
	Pre                 []string
	Build               string
}

// ParseSemVer parses a strict SemVer 2.0.0 version (no "v" prefix, no
// surrounding spaces).
func ParseSemVer(s string) (SemVer, bool) {
	var v SemVer
	if len(s) == 0 || len(s) > 256 {
		return v, false
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.Build = s[i+1:]
		s = s[:i]
		if !validIdents(v.Build, false) {
			return v, false
		}
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		s = s[:i]
		if !validIdents(pre, true) {
			return v, false
		}
		v.Pre = strings.Split(pre, ".")
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
	v.Major, v.Minor, v.Patch = parts[0], parts[1], parts[2]
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

// Compare orders versions by SemVer precedence; build metadata, which
// has no precedence, breaks ties so the order is total.
func (a SemVer) Compare(b SemVer) int {
	for _, c := range [3]int{cmpNum(a.Major, b.Major), cmpNum(a.Minor, b.Minor), cmpNum(a.Patch, b.Patch)} {
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a.Pre) == 0 && len(b.Pre) > 0:
		return 1
	case len(a.Pre) > 0 && len(b.Pre) == 0:
		return -1
	}
	for i := 0; i < len(a.Pre) && i < len(b.Pre); i++ {
		x, y := a.Pre[i], b.Pre[i]
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
	if len(a.Pre) != len(b.Pre) {
		if len(a.Pre) < len(b.Pre) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Build, b.Build)
}
