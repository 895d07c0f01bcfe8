package model

import (
	"strconv"
	"strings"
	"unicode"
)

// NuGet's rules for package ids and versions, as NuGet.Client applies
// them (NuGet.Versioning, PackageIdValidator) and CodeArtifact documents
// them (nuget-name-normalization): ids compare case-insensitively and are
// stored lowercased; versions are stored in NuGet's normalized form.

// MaxNuGetIDLength is NuGet's limit on a package id.
const MaxNuGetIDLength = 100

// CheckNuGetID applies NuGet's id rule: at most 100 characters, runs of
// word characters (letters, digits, connector punctuation such as "_",
// as .NET's \w) separated by single "." or "-".
func CheckNuGetID(id string) error {
	if id == "" {
		return InvalidParameter("A NuGet package id must not be empty.")
	}
	if len([]rune(id)) > MaxNuGetIDLength {
		return InvalidParameter("NuGet package id %q is longer than %d characters.", id, MaxNuGetIDLength)
	}
	prevSep := true // an id must not start with a separator
	for _, r := range id {
		switch {
		case r == '.' || r == '-':
			if prevSep {
				return InvalidParameter("NuGet package id %q is not valid: ids are letters, digits and '_' separated by single '.' or '-'.", id)
			}
			prevSep = true
		case unicode.In(r, unicode.L, unicode.Mn, unicode.Nd, unicode.Pc):
			prevSep = false
		default:
			return InvalidParameter("NuGet package id %q is not valid: ids are letters, digits and '_' separated by single '.' or '-'.", id)
		}
	}
	if prevSep {
		return InvalidParameter("NuGet package id %q is not valid: an id must not end with '.' or '-'.", id)
	}
	return nil
}

// NuGetVersion is a parsed NuGet version: up to four numeric parts, an
// optional pre-release label and optional build metadata (SemVer 2.0.0
// plus NuGet's fourth "revision" part).
type NuGetVersion struct {
	Major, Minor, Patch, Revision int
	// Release is the pre-release label without its "-", in its original
	// case ("beta.1"); empty for a stable version.
	Release string
	// Metadata is the build metadata without its "+".
	Metadata string
}

// ParseNuGetVersion parses a version as NuGet does: one to four
// non-negative 32-bit numeric parts (leading zeros allowed, "1" meaning
// 1.0.0), then optionally "-" and dot-separated identifiers of ASCII
// letters, digits and "-" (numeric identifiers without leading zeros),
// then optionally "+" and build metadata of the same characters.
func ParseNuGetVersion(s string) (NuGetVersion, error) {
	var v NuGetVersion
	bad := func(why string) (NuGetVersion, error) {
		return NuGetVersion{}, InvalidParameter("%q is not a valid NuGet version: %s.", s, why)
	}
	rest, meta, hasMeta := strings.Cut(s, "+")
	if hasMeta {
		if !validIdentifiers(meta, true) {
			return bad("its build metadata must be dot-separated identifiers of letters, digits and '-'")
		}
		v.Metadata = meta
	}
	release, label, hasLabel := strings.Cut(rest, "-")
	if hasLabel {
		if !validIdentifiers(label, false) {
			return bad("its pre-release label must be dot-separated identifiers of letters, digits and '-', numbers without leading zeros")
		}
		v.Release = label
	}
	parts := strings.Split(release, ".")
	if len(parts) > 4 {
		return bad("it has more than four numeric parts")
	}
	nums := []*int{&v.Major, &v.Minor, &v.Patch, &v.Revision}
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return bad("its numeric parts must be digits")
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return bad("a numeric part is larger than 2147483647")
		}
		*nums[i] = int(n)
	}
	return v, nil
}

// validIdentifiers checks dot-separated SemVer identifiers.
func validIdentifiers(s string, leadingZeros bool) bool {
	if s == "" {
		return false
	}
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if numeric && !leadingZeros && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// String is NuGet's normalized form: three numeric parts (a fourth only
// when it is not zero), the pre-release label in its original case, no
// build metadata.
func (v NuGetVersion) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(v.Major))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(v.Minor))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(v.Patch))
	if v.Revision != 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(v.Revision))
	}
	if v.Release != "" {
		b.WriteByte('-')
		b.WriteString(v.Release)
	}
	return b.String()
}

// IsPrerelease reports whether the version has a pre-release label.
func (v NuGetVersion) IsPrerelease() bool { return v.Release != "" }

// IsSemVer2 reports whether only SemVer 2.0.0-aware clients understand
// the version: a dotted pre-release label or build metadata. NuGet feeds
// hide such versions from older clients.
func (v NuGetVersion) IsSemVer2() bool {
	return strings.Contains(v.Release, ".") || v.Metadata != ""
}

// Compare orders versions by SemVer 2.0.0 precedence extended with the
// fourth part, as NuGet's default comparer: build metadata is ignored
// and pre-release identifiers compare case-insensitively.
func (v NuGetVersion) Compare(o NuGetVersion) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}, {v.Revision, o.Revision}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Release == "" && o.Release == "":
		return 0
	case v.Release == "":
		return 1
	case o.Release == "":
		return -1
	}
	a, b := strings.Split(v.Release, "."), strings.Split(o.Release, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareIdentifier(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// compareIdentifier compares pre-release identifiers: numbers
// numerically and before words, words case-insensitively.
func compareIdentifier(a, b string) int {
	an, aerr := strconv.ParseUint(a, 10, 64)
	bn, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// normalizeNuGetVersion is NormalizeVersion for NuGet: the normalized
// form, lowercased (versions compare case-insensitively and NuGet's URLs
// use the lowercase form). A string that does not parse is only stripped
// of build metadata and lowercased; publishing refuses it anyway.
func normalizeNuGetVersion(s string) string {
	if v, err := ParseNuGetVersion(s); err == nil {
		return strings.ToLower(v.String())
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}
