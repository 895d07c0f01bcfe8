package pypi

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// validName is PEP 508's project name rule.
var validName = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

// normalize is PEP 503 normalization, the form packages are stored and
// served under.
func normalize(name string) string { return model.NormalizeName(model.FormatPyPI, name) }

// pep440 is the version grammar from PEP 440 (as the packaging library
// spells it), accepting every spelling PEP 440 normalizes.
var pep440 = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(?P<prel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pren>[0-9]+)?)?` +
	`(?:-(?P<postn1>[0-9]+)|[-_.]?(?P<postl>post|rev|r)[-_.]?(?P<postn2>[0-9]+)?)?` +
	`(?:[-_.]?(?P<devl>dev)[-_.]?(?P<devn>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

var pep440Group = func() map[string]int {
	m := map[string]int{}
	for i, n := range pep440.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// versionKey returns a string equal for exactly the versions PEP 440
// considers equal ("1.0" and "1.0.0", "1.0RC1" and "1.0rc1"), or false if v
// is not a PEP 440 version.
func versionKey(v string) (string, bool) {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	g := func(n string) string { return m[pep440Group[n]] }
	var b strings.Builder
	b.WriteString(trimZeros(g("epoch")))
	b.WriteByte('!')
	rel := strings.Split(g("release"), ".")
	for len(rel) > 1 && trimZeros(rel[len(rel)-1]) == "0" {
		rel = rel[:len(rel)-1]
	}
	for i, p := range rel {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(trimZeros(p))
	}
	if l := strings.ToLower(g("prel")); l != "" {
		switch l {
		case "alpha":
			l = "a"
		case "beta":
			l = "b"
		case "c", "pre", "preview":
			l = "rc"
		}
		b.WriteString(l + trimZeros(g("pren")))
	}
	if n := g("postn1"); n != "" {
		b.WriteString(".post" + trimZeros(n))
	} else if g("postl") != "" {
		b.WriteString(".post" + trimZeros(g("postn2")))
	}
	if g("devl") != "" {
		b.WriteString(".dev" + trimZeros(g("devn")))
	}
	if l := g("local"); l != "" {
		parts := strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, p := range parts {
			if strings.Trim(p, "0123456789") == "" {
				parts[i] = trimZeros(p)
			}
		}
		b.WriteString("+" + strings.Join(parts, "."))
	}
	return b.String(), true
}

// trimZeros drops leading zeros from a decimal number (without limiting
// its size); "" counts as 0, as PEP 440's implicit numbers do.
func trimZeros(n string) string {
	n = strings.TrimLeft(n, "0")
	if n == "" {
		return "0"
	}
	return n
}

// sameVersion reports whether a and b are equal PEP 440 versions.
func sameVersion(a, b string) bool {
	ka, ok1 := versionKey(a)
	kb, ok2 := versionKey(b)
	return ok1 && ok2 && ka == kb
}

// Distribution file types accepted by the upload API. Eggs and bdist_wininst
// installers are refused, as PyPI does.
const (
	fileSdist = "sdist"
	fileWheel = "bdist_wheel"
)

// checkFilename applies PyPI's rules tying a distribution's file name to
// the project and version it is uploaded as: a wheel is
// {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427) and
// an sdist {name}-{version}.tar.gz (or a legacy .zip), names compared
// after PEP 503 normalization and versions by PEP 440 equality.
func checkFilename(filename, filetype, name, version string) error {
	if filename == "" || strings.ContainsAny(filename, "/\\\x00") || filename == "." || filename == ".." {
		return fmt.Errorf("invalid distribution file name %q", filename)
	}
	norm := normalize(name)
	switch filetype {
	case fileWheel:
		stem, ok := strings.CutSuffix(filename, ".whl")
		if !ok {
			return fmt.Errorf("a bdist_wheel upload must be a .whl file, not %q", filename)
		}
		parts := strings.Split(stem, "-")
		if len(parts) != 5 && len(parts) != 6 {
			return fmt.Errorf("%q is not a valid wheel file name: want {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl", filename)
		}
		for _, p := range parts {
			if p == "" {
				return fmt.Errorf("%q is not a valid wheel file name: empty component", filename)
			}
		}
		if len(parts) == 6 && (parts[2][0] < '0' || parts[2][0] > '9') {
			return fmt.Errorf("%q is not a valid wheel file name: the build tag must start with a digit", filename)
		}
		if normalize(parts[0]) != norm {
			return fmt.Errorf("wheel %q is not for project %s", filename, name)
		}
		if !sameVersion(parts[1], version) {
			return fmt.Errorf("wheel %q is not version %s", filename, version)
		}
		return nil
	case fileSdist:
		stem, ok := strings.CutSuffix(filename, ".tar.gz")
		if !ok {
			if stem, ok = strings.CutSuffix(filename, ".zip"); !ok {
				return fmt.Errorf("an sdist upload must be a .tar.gz (or .zip) file, not %q", filename)
			}
		}
		if splitsAs(stem, name, version) {
			return nil
		}
		return fmt.Errorf("sdist %q is not %s version %s: want %s-%s.tar.gz", filename, name, version, strings.ReplaceAll(norm, "-", "_"), version)
	default:
		return fmt.Errorf("unsupported filetype %q: only sdist and bdist_wheel can be uploaded", filetype)
	}
}

// splitsAs reports whether stem is {name}-{version} for the project and
// version, as sdist file and directory names are. Legacy sdists keep
// dashes in the name, so every split is tried: the version is whatever
// follows a dash and matches.
func splitsAs(stem, name, version string) bool {
	norm := normalize(name)
	for i := strings.LastIndexByte(stem, '-'); i > 0; i = strings.LastIndexByte(stem[:i], '-') {
		if normalize(stem[:i]) == norm && sameVersion(stem[i+1:], version) {
			return true
		}
	}
	return false
}

// fileVersion reads the version from the name of a distribution file of
// project, as pip does: a wheel's second component (PEP 427), an sdist's
// {name}-{version} stem (.tar.gz or a legacy .zip; legacy names keep
// dashes, so the split whose name matches the project and whose rest is
// a PEP 440 version wins). It reports false for other files (eggs,
// installers) and for names that are not the project's.
func fileVersion(project, filename string) (string, bool) {
	norm := normalize(project)
	if stem, ok := strings.CutSuffix(filename, ".whl"); ok {
		parts := strings.Split(stem, "-")
		if (len(parts) != 5 && len(parts) != 6) || normalize(parts[0]) != norm {
			return "", false
		}
		if _, ok := versionKey(parts[1]); !ok {
			return "", false
		}
		return parts[1], true
	}
	stem, ok := strings.CutSuffix(filename, ".tar.gz")
	if !ok {
		if stem, ok = strings.CutSuffix(filename, ".zip"); !ok {
			return "", false
		}
	}
	for i := strings.IndexByte(stem, '-'); i > 0; i = nextDash(stem, i) {
		if normalize(stem[:i]) != norm {
			continue
		}
		if _, ok := versionKey(stem[i+1:]); ok {
			return stem[i+1:], true
		}
	}
	return "", false
}

// nextDash is the index of the first '-' in s after i, -1 when none.
func nextDash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '-')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
