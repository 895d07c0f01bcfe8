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
// format: PEP 503 for PyPI, lowercase for NuGet and Swift.
func NormalizeName(f Format, name string) string {
	switch f {
	case FormatPyPI:
		return strings.ToLower(pypiSeparators.ReplaceAllString(name, "-"))
	case FormatNuGet, FormatSwift:
		return strings.ToLower(name)
	}
	return name
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
