package npm

import (
	"net/url"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// pkgName is an npm package name as CodeArtifact stores it: the scope
// (without "@") is the namespace.
type pkgName struct {
	Scope string
	Name  string
}

// String is the name as npm spells it: "@scope/name" or "name".
func (n pkgName) String() string {
	if n.Scope == "" {
		return n.Name
	}
	return "@" + n.Scope + "/" + n.Name
}

// key is the package's CodeArtifact coordinate.
func (n pkgName) key() model.PackageKey {
	return model.PackageKey{Format: model.FormatNpm, Namespace: n.Scope, Name: n.Name}
}

// path is the name as it appears in tarball URLs: "@scope/name".
func (n pkgName) path() string { return n.String() }

// tarballFile is the file name npm's registry gives a version's tarball.
func (n pkgName) tarballFile(version string) string { return n.Name + "-" + version + ".tgz" }

// maxNameLen is npm's limit for the whole name, scope included.
const maxNameLen = 214

// validPart checks a scope or a bare name against npm's rules for names
// that may appear in URLs unescaped. Upper case is allowed because old
// packages on the public registry have it.
func validPart(s string) bool {
	if s == "" || s[0] == '.' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!*'()", c) >= 0) {
			return false
		}
	}
	return true
}

// parseName parses "@scope/name" or "name".
func parseName(s string) (pkgName, error) {
	var n pkgName
	if strings.HasPrefix(s, "@") {
		scope, name, ok := strings.Cut(s[1:], "/")
		if !ok {
			return n, model.InvalidParameter("Invalid npm package name %q: a scoped name is @scope/name.", s)
		}
		n = pkgName{Scope: scope, Name: name}
	} else {
		n = pkgName{Name: s}
	}
	if len(s) > maxNameLen || !validPart(n.Name) || (strings.HasPrefix(s, "@") && !validPart(n.Scope)) {
		return pkgName{}, model.InvalidParameter("Invalid npm package name %q.", s)
	}
	return n, nil
}

// splitPackagePath splits an escaped request path into the package name
// and what follows it. npm escapes the slash of scoped names
// ("@scope%2fname"); other clients and tarball URLs do not.
// indexEncodedSlash finds "%2f" in any case. (Searching strings.ToLower(p)
// would not do: lowering invalid UTF-8 changes the length, so the index
// would not be one into p.)
func indexEncodedSlash(p string) int {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && p[i+1] == '2' && (p[i+2] == 'f' || p[i+2] == 'F') {
			return i
		}
	}
	return -1
}

func splitPackagePath(p string) (pkgName, string, error) {
	var raw, tail string
	if strings.HasPrefix(p, "@") {
		i := strings.IndexByte(p, '/')
		j := indexEncodedSlash(p)
		var scope, rest string
		switch {
		case j >= 0 && (i < 0 || j < i):
			scope, rest = p[:j], p[j+3:]
		case i >= 0:
			scope, rest = p[:i], p[i+1:]
		default:
			return pkgName{}, "", model.InvalidParameter("Invalid npm package name %q: a scoped name is @scope/name.", p)
		}
		name, t, _ := strings.Cut(rest, "/")
		raw, tail = scope+"/"+name, t
	} else {
		raw, tail, _ = strings.Cut(p, "/")
	}
	un, err := url.PathUnescape(raw)
	if err != nil {
		return pkgName{}, "", model.InvalidParameter("Invalid npm package name %q.", raw)
	}
	n, err := parseName(un)
	return n, tail, err
}

// cleanVersion is what npm's semver.clean does to the versions this
// registry compares: surrounding spaces and a leading "v" or "=" go.
func cleanVersion(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "=v")
	return strings.TrimSpace(s)
}
