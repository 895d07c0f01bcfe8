package npm

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// semver is a parsed SemVer 2.0.0 version (the grammar is the model's,
// shared with Cargo). npm requires every published version to be one, and
// dist-tag fallbacks order versions by it.
type semver = model.SemVer

// parseSemver parses a strict SemVer 2.0.0 version (no "v" prefix: the
// npm client cleans versions before publishing).
func parseSemver(s string) (semver, bool) { return model.ParseSemVer(s) }

// compareVersions orders version strings, SemVer ones by precedence and
// before anything unparsable (which sorts as text), so listings built
// from data npm did not publish still come out in a stable order.
func compareVersions(a, b string) int {
	x, xok := parseSemver(a)
	y, yok := parseSemver(b)
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

// cleanVersion is what npm's semver.clean does to the versions this
// registry compares: surrounding spaces and a leading "v" or "=" go.
func cleanVersion(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "=v")
	return strings.TrimSpace(s)
}
