package model

import (
	"regexp"
	"strings"
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

// NormalizeVersion applies NuGet's version normalization: leading zeros
// dropped from numeric parts, a zero fourth part dropped, build metadata
// removed. Other formats keep versions verbatim.
func NormalizeVersion(f Format, v string) string {
	if f != FormatNuGet {
		return v
	}
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	release, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(release, ".")
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return strings.ToLower(v) // not numeric: leave it alone
		}
		p = strings.TrimLeft(p, "0")
		if p == "" {
			p = "0"
		}
		parts[i] = p
	}
	if len(parts) == 4 && parts[3] == "0" {
		parts = parts[:3]
	}
	out := strings.Join(parts, ".")
	if hasPre {
		out += "-" + strings.ToLower(pre)
	}
	return out
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
