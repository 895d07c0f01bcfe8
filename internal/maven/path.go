// Package maven serves the Maven 2 repository layout over Wharf's
// packages: groupId is the namespace, artifactId the package, and every
// file under a version directory an asset of that version. Checksums and
// maven-metadata.xml are generated from what is stored; a version stays
// Unfinished until the artifact's maven-metadata.xml listing it arrives.
//
// The parsers (paths, POMs, metadata, version order) are pure and live
// apart from the HTTP handler.
package maven

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Kind is what a repository path names.
type Kind int

const (
	// KindFile is a file of a version: g/a/v/a-v[-classifier].ext.
	KindFile Kind = iota + 1
	// KindArtifactMetadata is g/a/maven-metadata.xml.
	KindArtifactMetadata
	// KindVersionMetadata is g/a/v-SNAPSHOT/maven-metadata.xml.
	KindVersionMetadata
)

// MetadataFile is the name of Maven's repository metadata document.
const MetadataFile = "maven-metadata.xml"

// Checksum algorithms served for every file, by extension.
var checksumExts = []string{"md5", "sha1", "sha256", "sha512"}

// Path is a parsed repository path.
type Path struct {
	Kind       Kind
	GroupID    string
	ArtifactID string
	// Version is the version directory ("1.0", "1.0-SNAPSHOT"); empty for
	// artifact-level metadata.
	Version string
	// File is the file name the path names, without a checksum extension.
	File string
	// Classifier and Extension of a KindFile ("sources", "jar").
	Classifier string
	Extension  string
	// Timestamp ("20261127.101500") and BuildNumber of a timestamped
	// SNAPSHOT file; empty and 0 otherwise.
	Timestamp   string
	BuildNumber int
	// Checksum is "md5", "sha1", "sha256" or "sha512" when the path names
	// File's checksum rather than File.
	Checksum string
}

// IsMainPOM reports whether the path is the version's own POM (no
// classifier, no checksum), the one whose content describes the version.
func (p Path) IsMainPOM() bool {
	return p.Kind == KindFile && p.Checksum == "" && p.Classifier == "" && p.Extension == "pom"
}

// PathError explains why a path is not a Maven repository path. Unsafe
// errors (traversal, encoded separators, NUL) are always 400; the others
// are 404 for reads and 400 for uploads.
type PathError struct {
	Msg    string
	Unsafe bool
}

func (e *PathError) Error() string { return e.Msg }

func notMaven(msg string) error { return &PathError{Msg: msg} }
func unsafePath(msg string) error {
	return &PathError{Msg: msg, Unsafe: true}
}

var timestamped = regexp.MustCompile(`^([0-9]{8}\.[0-9]{6})-([0-9]+)`)

// validID applies Maven's model pattern for ids, [A-Za-z0-9_.-]+. Group
// directories (dots false) may not contain dots: the layout turns dots
// into slashes, so a dotted directory would give a groupId a second path.
func validID(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && dots:
		default:
			return false
		}
	}
	return true
}

// validVersion applies Maven's model rule (no path or shell-special
// characters) plus CodeArtifact's [^#/\s]+.
func validVersion(v string) bool {
	if v == "" || len(v) > 255 || v == "." || v == ".." {
		return false
	}
	for _, c := range v {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`\/:"<>|?*#`, c) {
			return false
		}
	}
	return true
}

// IsSnapshot reports whether a version is a SNAPSHOT (Maven compares the
// suffix case-insensitively).
func IsSnapshot(v string) bool {
	return len(v) >= 8 && strings.EqualFold(v[len(v)-8:], "SNAPSHOT")
}

// ParsePath parses the escaped path after the endpoint base.
func ParsePath(escaped string) (Path, error) {
	if escaped == "" {
		return Path{}, notMaven("The repository root is not a file.")
	}
	raw := strings.Split(escaped, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return Path{}, unsafePath("The path contains a malformed escape sequence.")
		}
		switch {
		case d == "." || d == "..":
			return Path{}, unsafePath("The path must not contain . or .. segments.")
		case strings.ContainsAny(d, "/\\\x00"):
			return Path{}, unsafePath("The path must not contain encoded slashes, backslashes or NUL.")
		case d == "":
			return Path{}, notMaven("The path names a directory, not a file.")
		}
		segs[i] = d
	}
	n := len(segs)
	file := segs[n-1]
	var p Path
	for _, ext := range checksumExts {
		if base, ok := strings.CutSuffix(file, "."+ext); ok {
			p.Checksum, file = ext, base
			break
		}
	}
	p.File = file
	var group []string
	switch {
	case file == MetadataFile && n >= 4 && IsSnapshot(segs[n-2]):
		p.Kind, p.Version, p.ArtifactID, group = KindVersionMetadata, segs[n-2], segs[n-3], segs[:n-3]
	case file == MetadataFile:
		if n < 3 {
			return Path{}, notMaven("maven-metadata.xml must sit in an artifact directory (group/artifact/maven-metadata.xml).")
		}
		p.Kind, p.ArtifactID, group = KindArtifactMetadata, segs[n-2], segs[:n-2]
	default:
		if n < 4 {
			return Path{}, notMaven("A Maven file path is group/artifact/version/file.")
		}
		p.Kind, p.Version, p.ArtifactID, group = KindFile, segs[n-2], segs[n-3], segs[:n-3]
	}
	for _, g := range group {
		if !validID(g, false) {
			return Path{}, notMaven("Invalid groupId path segment " + strconv.Quote(g) + ".")
		}
	}
	p.GroupID = strings.Join(group, ".")
	if !validID(p.ArtifactID, true) {
		return Path{}, notMaven("Invalid artifactId " + strconv.Quote(p.ArtifactID) + ".")
	}
	if p.Kind != KindArtifactMetadata && !validVersion(p.Version) {
		return Path{}, notMaven("Invalid version " + strconv.Quote(p.Version) + ".")
	}
	if p.Kind == KindFile {
		f, err := ParseFileName(p.ArtifactID, p.Version, file)
		if err != nil {
			return Path{}, err
		}
		p.Classifier, p.Extension, p.Timestamp, p.BuildNumber = f.Classifier, f.Extension, f.Timestamp, f.BuildNumber
	}
	return p, nil
}

// FileName is a version file's name split into its parts.
type FileName struct {
	Classifier  string
	Extension   string
	Timestamp   string
	BuildNumber int
}

// ParseFileName splits artifactId-version[-classifier].ext. In a SNAPSHOT
// version directory the version part may also be timestamped
// (lib-1.0-20261127.101500-1.jar belongs to 1.0-SNAPSHOT).
func ParseFileName(artifactID, version, name string) (FileName, error) {
	bad := func() (FileName, error) {
		return FileName{}, notMaven("File " + strconv.Quote(name) + " is not named " + artifactID + "-" + version + "[-classifier].extension.")
	}
	rest, ok := strings.CutPrefix(name, artifactID+"-")
	if !ok {
		return bad()
	}
	var f FileName
	switch {
	case strings.HasPrefix(rest, version):
		rest = rest[len(version):]
	case IsSnapshot(version) && strings.HasPrefix(rest, version[:len(version)-8]):
		after := rest[len(version)-8:]
		m := timestamped.FindStringSubmatch(after)
		if m == nil {
			return bad()
		}
		build, err := strconv.Atoi(m[2])
		if err != nil || build < 1 {
			return bad()
		}
		f.Timestamp, f.BuildNumber = m[1], build
		rest = after[len(m[0]):]
	default:
		return bad()
	}
	switch {
	case strings.HasPrefix(rest, "-"):
		classifier, ext, ok := strings.Cut(rest[1:], ".")
		if !ok || classifier == "" || ext == "" {
			return bad()
		}
		f.Classifier, f.Extension = classifier, ext
	case strings.HasPrefix(rest, ".") && len(rest) > 1:
		f.Extension = rest[1:]
	default:
		return bad()
	}
	if strings.HasPrefix(f.Extension, ".") || strings.HasSuffix(f.Extension, ".") || strings.Contains(f.Extension, "..") {
		return bad()
	}
	return f, nil
}
