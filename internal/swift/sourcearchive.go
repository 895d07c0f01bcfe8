package swift

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
)

// manifestName is the root manifest of a package.
const manifestName = "Package.swift"

// Bounds on the manifests a source archive may carry: real ones are a
// few kilobytes, and each is kept as an asset of the release.
const (
	maxManifestBytes = 1 << 20
	maxAltManifests  = 32
)

// archiveLimits bound inspecting one source archive: the defaults for
// package uploads (bombs refused), duplicate entries refused.
var archiveLimits = archive.DefaultLimits

// altManifestRE is a version-specific manifest's file name (Registry.md
// 4.3): Package@swift-MAJOR[.MINOR[.PATCH]].swift.
var altManifestRE = regexp.MustCompile(`\APackage@swift-(\d+)(?:\.(\d+))?(?:\.(\d+))?\.swift\z`)

// toolsVersionRE reads the tools version from a manifest's first line,
// as SwiftPM's ToolsVersionParser does: "// swift-tools-version:5.9"
// with any spacing, case-insensitive, options after ";".
var toolsVersionRE = regexp.MustCompile(`(?i)\A//\s*swift-tools-version\s*:\s*(\d+(?:\.\d+){0,2})(?:[;\s]|\z)`)

// manifest is a manifest of the archive's root directory.
type manifest struct {
	filename     string // Package.swift or Package@swift-X.swift
	swiftVersion string // X of Package@swift-X.swift; "" for Package.swift
	toolsVersion string // from its first line, at least MAJOR.MINOR
	content      []byte
}

// sourceArchive is what the registry keeps from a source archive besides
// its bytes.
type sourceArchive struct {
	root      string      // the single top-level directory
	manifest  *manifest   // Package.swift
	alternate []*manifest // version-specific manifests, by file name
}

// archiveError is a source archive the registry refuses (422).
type archiveError struct{ msg string }

func (e *archiveError) Error() string { return e.msg }

func badArchive(format string, args ...any) error {
	return &archiveError{msg: fmt.Sprintf(format, args...)}
}

// checkSourceArchive applies what SwiftPM needs of a source archive, as
// `swift package archive-source` makes it (git archive --format zip
// --prefix NAME/): a sound zip within archiveLimits whose entries all
// sit in one top-level directory (SwiftPM strips it when extracting),
// with Package.swift there, every manifest there (Package.swift and each
// Package@swift-X.swift) starting with a swift-tools-version line. Every
// entry is inflated through bounded readers, so a bomb or a corrupt
// entry is refused too. Manifests in subdirectories are other packages'
// and are left alone.
func checkSourceArchive(r io.ReaderAt, size int64) (*sourceArchive, error) {
	z, err := archive.OpenZip(r, size, archiveLimits)
	if err != nil {
		return nil, err
	}
	sa := &sourceArchive{}
	wanted := map[string]bool{}
	for _, e := range z.Entries {
		name := strings.TrimPrefix(e.Name, "./")
		top, rest, nested := strings.Cut(name, "/")
		if !nested && !e.IsDir() {
			return nil, badArchive("the source archive has a file, %s, outside a top-level directory; make it with swift package archive-source", name)
		}
		if sa.root == "" {
			sa.root = top
		} else if top != sa.root {
			return nil, badArchive("the source archive has more than one top-level directory (%s and %s); SwiftPM expects exactly one", sa.root, top)
		}
		if e.IsDir() || strings.Contains(rest, "/") {
			continue
		}
		if rest == manifestName || altManifestRE.MatchString(rest) {
			if e.Size > maxManifestBytes {
				return nil, badArchive("%s is larger than %d bytes", name, maxManifestBytes)
			}
			wanted[e.Name] = true
		}
	}
	if sa.root == "" {
		return nil, badArchive("the source archive is empty")
	}
	if len(wanted) > maxAltManifests+1 {
		return nil, badArchive("the source archive has more than %d version-specific manifests", maxAltManifests)
	}
	err = z.Walk(func(e *archive.Entry, r io.Reader) error {
		if !wanted[e.Name] {
			return nil
		}
		content, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
		if err != nil {
			return err
		}
		m, err := readManifest(strings.TrimPrefix(strings.TrimPrefix(e.Name, "./"), sa.root+"/"), content)
		if err != nil {
			return err
		}
		if m.swiftVersion == "" {
			sa.manifest = m
		} else {
			sa.alternate = append(sa.alternate, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sa.manifest == nil {
		return nil, badArchive("the source archive has no %s/%s; the package's manifest must sit in its top-level directory", sa.root, manifestName)
	}
	slices.SortFunc(sa.alternate, func(a, b *manifest) int { return strings.Compare(a.filename, b.filename) })
	return sa, nil
}

// readManifest checks one manifest and reads its tools version.
func readManifest(filename string, content []byte) (*manifest, error) {
	m := &manifest{filename: filename, content: content}
	if sm := altManifestRE.FindStringSubmatch(filename); sm != nil {
		m.swiftVersion = strings.TrimSuffix(strings.TrimPrefix(filename, "Package@swift-"), ".swift")
	}
	tv, ok := toolsVersion(content)
	if !ok {
		return nil, badArchive("%s does not start with a swift-tools-version line (// swift-tools-version:5.9)", filename)
	}
	m.toolsVersion = tv
	return m, nil
}

// toolsVersion reads a manifest's tools version from its first line
// (after a byte-order mark), as MAJOR.MINOR[.PATCH]: SwiftPM reads the
// swift-tools-version link attribute with a parser that wants a minor
// version, so "5" becomes "5.0".
func toolsVersion(content []byte) (string, bool) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	line, _, _ := bytes.Cut(content, []byte("\n"))
	sm := toolsVersionRE.FindSubmatch(bytes.TrimRight(line, "\r"))
	if sm == nil {
		return "", false
	}
	v := string(sm[1])
	if !strings.Contains(v, ".") {
		v += ".0"
	}
	return v, true
}

// versionKey is a Swift version with trailing zero components dropped,
// so "5.9", "5.9.0" and "5.09" name the same manifest.
func versionKey(v string) string {
	parts := strings.Split(v, ".")
	for i, p := range parts {
		p = strings.TrimLeft(p, "0")
		if p == "" {
			p = "0"
		}
		parts[i] = p
	}
	for len(parts) > 1 && parts[len(parts)-1] == "0" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, ".")
}

// validSwiftVersion reports whether v is a swift-version query value:
// one to three dot-separated decimal numbers.
func validSwiftVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 9 || strings.TrimLeft(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
