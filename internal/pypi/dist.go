package pypi

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
)

// distLimits bound inspecting one uploaded distribution. Duplicate
// entries are refused, as PyPI refuses them: installers would pick one
// copy and a scanner might read the other.
var distLimits = archive.DefaultLimits

// distError is a distribution file that is not what it claims to be.
type distError struct{ msg string }

func (e *distError) Error() string { return e.msg }

func badDist(format string, args ...any) error {
	return &distError{msg: fmt.Sprintf(format, args...)}
}

// isRefusal reports whether an inspection error is the upload's fault
// (answered 400) rather than the server's.
func isRefusal(err error) bool {
	var de *distError
	return errors.As(err, &de) || archive.IsRefusal(err)
}

// newInspector returns what judges u's file as it streams to the store.
// Wheels and zip sdists are zips, read from their central directory at
// the end, so they are spooled to a temporary file in dir as they pass
// (disk as large as the upload, which the store bounds; memory small).
// tar.gz sdists are walked as they arrive, so a gzip bomb is refused
// after a few of its megabytes, without spooling anything.
func newInspector(u *upload, dir string) archive.Inspector {
	name, version := u.name, u.version
	switch {
	case u.filetype == fileWheel:
		return archive.NewZipInspector(dir, func(r io.ReaderAt, size int64) error { return checkWheel(r, size, name, version) })
	case strings.HasSuffix(u.filename, ".tar.gz"):
		return archive.NewStreamInspector(func(r io.Reader) error { return checkSdistTar(r, name, version) })
	default:
		return archive.NewZipInspector(dir, func(r io.ReaderAt, size int64) error { return checkSdistZip(r, size, name, version) })
	}
}

// checkWheel applies what pip and PyPI require of a wheel: a sound zip
// within distLimits, exactly one top-level {name}-{version}.dist-info
// directory for this project and version (names compared as PEP 427
// escapes and PEP 503 normalizes them, versions by PEP 440), holding
// METADATA and WHEEL, and a METADATA whose Name and Version are the
// upload's. Everything is inflated, through bounded readers.
func checkWheel(r io.ReaderAt, size int64, name, version string) error {
	z, err := archive.OpenZip(r, size, distLimits)
	if err != nil {
		return err
	}
	var dirs []string
	for _, e := range z.Entries {
		if top, _, nested := strings.Cut(e.Name, "/"); nested && strings.HasSuffix(top, ".dist-info") && !slices.Contains(dirs, top) {
			dirs = append(dirs, top)
		}
	}
	switch len(dirs) {
	case 0:
		return badDist("the wheel has no .dist-info directory")
	case 1:
	default:
		slices.Sort(dirs)
		return badDist("the wheel has %d .dist-info directories (%s); pip wants exactly one", len(dirs), strings.Join(dirs, ", "))
	}
	distInfo := dirs[0]
	if n, v, ok := strings.Cut(strings.TrimSuffix(distInfo, ".dist-info"), "-"); !ok || normalize(n) != normalize(name) || !sameVersion(v, version) {
		return badDist("its %s directory is not for %s %s", distInfo, name, version)
	}
	metaName, wheelName := distInfo+"/METADATA", distInfo+"/WHEEL"
	for _, want := range []string{metaName, wheelName} {
		if !slices.ContainsFunc(z.Entries, func(e *archive.Entry) bool { return e.Name == want }) {
			return badDist("the wheel has no %s", want)
		}
	}
	var meta *coreMetadata
	err = z.Walk(func(e *archive.Entry, r io.Reader) error {
		if e.Name == metaName {
			meta, err = readCoreMetadata(r)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if meta == nil {
		return badDist("the wheel has no %s", metaName)
	}
	return meta.check(metaName, name, version)
}

// checkSdistTar applies PyPI's sdist rules to a tar.gz: a sound archive
// within distLimits whose entries all sit in one top-level
// {name}-{version}/ directory holding PKG-INFO, whose Name and Version
// are the upload's.
func checkSdistTar(r io.Reader, name, version string) error {
	var s sdistTop
	err := archive.WalkTarGz(r, distLimits, func(entry string, h *tar.Header, r io.Reader) error {
		isFile := h.Typeflag == tar.TypeReg
		if err := s.add(entry, h.Typeflag == tar.TypeDir); err != nil {
			return err
		}
		if isFile && entry == s.top+"/PKG-INFO" {
			m, err := readCoreMetadata(r)
			if err != nil {
				return err
			}
			s.meta = m
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.check(name, version)
}

// checkSdistZip is checkSdistTar for a legacy .zip sdist.
func checkSdistZip(r io.ReaderAt, size int64, name, version string) error {
	z, err := archive.OpenZip(r, size, distLimits)
	if err != nil {
		return err
	}
	var s sdistTop
	for _, e := range z.Entries {
		if err := s.add(strings.TrimPrefix(e.Name, "./"), e.IsDir()); err != nil {
			return err
		}
	}
	if s.top == "" {
		return badDist("the sdist is empty")
	}
	want := s.top + "/PKG-INFO"
	err = z.Walk(func(e *archive.Entry, r io.Reader) error {
		if strings.TrimPrefix(e.Name, "./") == want && !e.IsDir() {
			m, err := readCoreMetadata(r)
			s.meta = m
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.check(name, version)
}

// sdistTop tracks an sdist's single top-level directory.
type sdistTop struct {
	top  string
	meta *coreMetadata
}

func (s *sdistTop) add(entry string, isDir bool) error {
	first, _, nested := strings.Cut(strings.TrimSuffix(entry, "/"), "/")
	if !nested && !isDir {
		return badDist("the sdist has a file, %s, outside its {name}-{version}/ directory", entry)
	}
	if s.top == "" {
		s.top = first
	} else if first != s.top {
		return badDist("the sdist has more than one top-level directory (%s and %s)", s.top, first)
	}
	return nil
}

func (s *sdistTop) check(name, version string) error {
	if s.top == "" {
		return badDist("the sdist is empty")
	}
	if !splitsAs(s.top, name, version) {
		return badDist("its top-level directory %s is not %s-%s", s.top, strings.ReplaceAll(normalize(name), "-", "_"), version)
	}
	if s.meta == nil {
		return badDist("the sdist has no %s/PKG-INFO", s.top)
	}
	return s.meta.check(s.top+"/PKG-INFO", name, version)
}

// coreMetadata is what the checks need of a METADATA or PKG-INFO file.
type coreMetadata struct {
	name, version   string
	hasName, hasVer bool
}

// maxHeaderLine bounds the part of a header line kept: Name and Version
// are short, and other fields (a Description in a header, say) are
// skipped whatever their length.
const maxHeaderLine = 1024

// readCoreMetadata reads the header section of a core-metadata file
// (RFC 822 style, up to the first empty line) and keeps the first Name
// and Version, without holding the file in memory.
func readCoreMetadata(r io.Reader) (*coreMetadata, error) {
	br := bufio.NewReaderSize(r, 4096)
	m := &coreMetadata{}
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if len(line) < maxHeaderLine {
			line = append(line, chunk[:min(len(chunk), maxHeaderLine-len(line))]...)
		}
		if isPrefix {
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return m, nil // the body (a description) follows
		}
		if line[0] != ' ' && line[0] != '\t' {
			k, v, ok := bytes.Cut(line, []byte(":"))
			key := strings.ToLower(string(bytes.TrimSpace(k)))
			switch {
			case ok && key == "name" && !m.hasName:
				m.name, m.hasName = string(bytes.TrimSpace(v)), true
			case ok && key == "version" && !m.hasVer:
				m.version, m.hasVer = string(bytes.TrimSpace(v)), true
			}
		}
		line = line[:0]
	}
}

// check compares the metadata with the upload's name and version.
func (m *coreMetadata) check(file, name, version string) error {
	switch {
	case !m.hasName || m.name == "":
		return badDist("%s has no Name", file)
	case !m.hasVer || m.version == "":
		return badDist("%s has no Version", file)
	case normalize(m.name) != normalize(name):
		return badDist("%s names project %q, not %s", file, m.name, name)
	case !sameVersion(m.version, version):
		return badDist("%s is for version %q, not %s", file, m.version, version)
	}
	return nil
}
