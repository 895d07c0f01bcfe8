package model

import (
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/semver"
)

// namespacePolicy says whether a format's packages carry a namespace.
type namespacePolicy int

const (
	namespaceOptional namespacePolicy = iota
	namespaceRequired
	namespaceForbidden
)

func (f Format) namespacePolicy() namespacePolicy {
	switch f {
	case FormatMaven, FormatSwift, FormatGeneric:
		return namespaceRequired
	case FormatPyPI, FormatNuGet, FormatRuby, FormatCargo:
		return namespaceForbidden
	default: // npm: scoped and unscoped packages
		return namespaceOptional
	}
}

// CheckNamespace enforces the per-format namespace rule.
func CheckNamespace(f Format, namespace string) error {
	switch f.namespacePolicy() {
	case namespaceRequired:
		if namespace == "" {
			return InvalidParameter("A namespace is required for packages of format %s.", f)
		}
	case namespaceForbidden:
		if namespace != "" {
			return InvalidParameter("Packages of format %s do not have a namespace; namespace must not be specified.", f)
		}
	}
	return nil
}

var (
	pypiSeparators = regexp.MustCompile(`[-_.]+`)
	// PEP 440's canonical form is not applied: CodeArtifact keeps PyPI
	// versions as published.
)

// NormalizeName returns the name as CodeArtifact stores it for the
// format: PEP 503 for PyPI, lowercase for NuGet and Swift, ASCII
// lowercase for Cargo (the name of the crate's sparse-index file, which
// every client asks for; the crate keeps its spelling as the versions'
// display name).
func NormalizeName(f Format, name string) string {
	switch f {
	case FormatPyPI:
		return strings.ToLower(pypiSeparators.ReplaceAllString(name, "-"))
	case FormatNuGet, FormatSwift:
		return strings.ToLower(name)
	case FormatCargo:
		return asciiLower(name)
	}
	return name
}

// asciiLower lowercases ASCII letters only, as Cargo does for index
// paths: Unicode case mapping could merge distinct names.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// NormalizeNamespace returns the namespace as stored (Swift scopes are
// case-insensitive).
func NormalizeNamespace(f Format, ns string) string {
	if f == FormatSwift {
		return strings.ToLower(ns)
	}
	return ns
}

// NormalizeVersion applies NuGet's version normalization (see
// NuGetVersion.String: leading zeros dropped, three numeric parts and a
// fourth only when not zero, build metadata removed), lowercased. Other
// formats keep versions verbatim.
func NormalizeVersion(f Format, v string) string {
	if f != FormatNuGet {
		return v
	}
	return normalizeNuGetVersion(v)
}

// CheckVersion applies a format's rule for versions at publish:
// CodeArtifact accepts only SemVer 2.0 versions for Swift (as SwiftPM's
// registry specification requires). Other formats' clients check their
// own version syntax.
func CheckVersion(f Format, v string) error {
	if f == FormatSwift && !semver.Valid(v) {
		return InvalidParameter("Swift package versions must be Semantic Versioning 2.0.0 versions (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]), not %q.", v)
	}
	return nil
}

// ValidSwiftScope reports whether s is a Swift package scope (SwiftPM's
// Registry.md 3.6.1): letters and digits with single hyphens between
// them, at most 39 characters.
func ValidSwiftScope(s string) bool { return swiftIdent(s, 39, "-") }

// ValidSwiftName reports whether s is a Swift package name (Registry.md
// 3.6.2): letters and digits with single hyphens or underscores between
// them, at most 100 characters.
func ValidSwiftName(s string) bool { return swiftIdent(s, 100, "-_") }

// swiftIdent is the specification's \A[a-zA-Z0-9](?:[a-zA-Z0-9]|[SEP](?=[a-zA-Z0-9])){0,MAX-1}\z
// without the look-ahead Go's regexp lacks: no separator first, last or
// after another.
func swiftIdent(s string, max int, seps string) bool {
	if s == "" || len(s) > max {
		return false
	}
	prevSep := true // so a leading separator is refused
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			prevSep = false
		case strings.IndexByte(seps, c) >= 0 && !prevSep:
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep
}

// NormalizeKey normalizes a package coordinate for storage and lookup.
func NormalizeKey(k PackageKey) PackageKey {
	return PackageKey{Format: k.Format, Namespace: NormalizeNamespace(k.Format, k.Namespace), Name: NormalizeName(k.Format, k.Name)}
}

// DisplayName is how a package is shown to people: npm scopes carry
// their "@", Maven joins groupId and artifactId with ":".
func DisplayName(k PackageKey) string {
	switch {
	case k.Namespace == "":
		return k.Name
	case k.Format == FormatNpm:
		return "@" + k.Namespace + "/" + k.Name
	case k.Format == FormatMaven:
		return k.Namespace + ":" + k.Name
	default:
		return k.Namespace + "/" + k.Name
	}
}

// maxGemNameLen is rubygems.org's bound on every text field, names
// included.
const maxGemNameLen = 255

// CheckGemName applies rubygems.org's rules for a gem name (RubyGems
// itself enforces the same ones when building a gem): ASCII letters,
// digits, ".", "-" and "_" only, at least one letter, not starting with
// ".", "-" or "_", and at most 255 characters. Names are kept as given:
// CodeArtifact documents no normalization for Ruby.
func CheckGemName(name string) error {
	bad := func(why string) error {
		return InvalidParameter("Invalid gem name %q: %s.", name, why)
	}
	if name == "" {
		return bad("it is empty")
	}
	if len(name) > maxGemNameLen {
		return bad("it is longer than 255 characters")
	}
	letter := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_':
		default:
			return bad("it can only include letters, numbers, dashes, dots and underscores")
		}
	}
	if !letter {
		return bad("it must include at least one letter")
	}
	if strings.ContainsRune(".-_", rune(name[0])) {
		return bad("it can not begin with a period, dash, or underscore")
	}
	return nil
}
