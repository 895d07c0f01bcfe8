package nuget

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// versionRange is a NuGet dependency version range: "1.0" (at least
// 1.0), "[1.0]" (exactly), "[1.0,2.0)", "(,2.0]", "(1.0,)" and so on. A
// nil bound is open.
type versionRange struct {
	min, max             *model.NuGetVersion
	minInclusive, maxInc bool
}

// parseRange parses a range as NuGet reads a nuspec's dependency
// version. An empty string is every version. Floating ranges ("1.*")
// belong to project files, not to packages, and are refused.
func parseRange(s string) (versionRange, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (versionRange, error) {
		return versionRange{}, &refusal{msg: "dependency version range " + quote(s) + " is not valid: " + why}
	}
	if s == "" {
		return versionRange{}, nil
	}
	if strings.Contains(s, "*") {
		return bad("floating versions are for project files, not packages")
	}
	if s[0] != '[' && s[0] != '(' {
		v, err := model.ParseNuGetVersion(s)
		if err != nil {
			return bad("not a version")
		}
		return versionRange{min: &v, minInclusive: true}, nil
	}
	last := s[len(s)-1]
	if len(s) < 2 || (last != ']' && last != ')') {
		return bad("a bracketed range ends with ] or )")
	}
	r := versionRange{minInclusive: s[0] == '[', maxInc: last == ']'}
	inner := s[1 : len(s)-1]
	lo, hi, comma := strings.Cut(inner, ",")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if !comma {
		// [1.0] is exactly 1.0; (1.0) and [1.0) are empty ranges.
		if !r.minInclusive || !r.maxInc || lo == "" {
			return bad("a range with one version is [version]")
		}
		v, err := model.ParseNuGetVersion(lo)
		if err != nil {
			return bad("not a version")
		}
		return versionRange{min: &v, max: &v, minInclusive: true, maxInc: true}, nil
	}
	if strings.Contains(hi, ",") {
		return bad("a range has at most two versions")
	}
	for _, b := range []struct {
		s   string
		dst **model.NuGetVersion
	}{{lo, &r.min}, {hi, &r.max}} {
		if b.s == "" {
			continue
		}
		v, err := model.ParseNuGetVersion(b.s)
		if err != nil {
			return bad("not a version")
		}
		*b.dst = &v
	}
	// NuGet reads "[,1.0]" as "(,1.0]": an open bound is never inclusive.
	r.minInclusive = r.minInclusive && r.min != nil
	r.maxInc = r.maxInc && r.max != nil
	if r.min != nil && r.max != nil {
		c := r.min.Compare(*r.max)
		if c > 0 || (c == 0 && !(r.minInclusive && r.maxInc)) {
			return bad("its lower bound is above its upper bound")
		}
	}
	return r, nil
}

// String is NuGet's normalized range form, as nuget.org's registration
// documents give it: "[1.0.0, )", "[1.0.0, 2.0.0)", "[1.0.0]", "(, )".
func (r versionRange) String() string {
	if r.min != nil && r.max != nil && r.minInclusive && r.maxInc && r.min.Compare(*r.max) == 0 {
		return "[" + r.min.String() + "]"
	}
	var b strings.Builder
	if r.minInclusive {
		b.WriteByte('[')
	} else {
		b.WriteByte('(')
	}
	if r.min != nil {
		b.WriteString(r.min.String())
	}
	b.WriteString(", ")
	if r.max != nil {
		b.WriteString(r.max.String())
	}
	if r.maxInc {
		b.WriteByte(']')
	} else {
		b.WriteByte(')')
	}
	return b.String()
}
