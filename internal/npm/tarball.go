package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/model"
)

// Limits on what a tarball may hold. npm itself has none; these keep a
// hostile upload from costing unbounded memory or CPU.
const (
	maxPackageJSON = 4 << 20
	maxReadme      = 1 << 20
	// maxUnpacked bounds the uncompressed stream, so a small gzip bomb
	// cannot keep a publish decompressing for hours.
	maxUnpacked = 8 << 30
)

// tarballInfo is what a publish needs from the tarball itself.
type tarballInfo struct {
	PackageJSON   []byte // package/package.json
	Readme        string // package/README*, truncated to maxReadme
	ReadmeFile    string
	HasShrinkwrap bool // package/npm-shrinkwrap.json
	FileCount     int
	UnpackedSize  int64
}

// errTarball marks a tarball npm could not install.
func errTarball(format string, args ...any) error {
	return model.InvalidParameter("Invalid package tarball: "+format, args...)
}

// inspectTarball reads a whole gzip-compressed tar stream, checks it is
// one npm can install (gzip and tar intact, package/package.json
// present once) and returns what the registry keeps from it. It reads r
// to its end so that whatever r feeds (hashes, a spool) sees every byte.
func inspectTarball(r io.Reader) (*tarballInfo, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, errTarball("not gzip-compressed (%v).", err)
	}
	counted := archive.NewLimitedCounter(gz, maxUnpacked)
	tr := tar.NewReader(counted)
	info := &tarballInfo{}
	readmeRank := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, tarErr(err, counted)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg { // tar.Reader reports the legacy TypeRegA as TypeReg
			continue
		}
		info.FileCount++
		info.UnpackedSize += h.Size
		dir, file := path.Split(name)
		if dir != "package/" {
			continue
		}
		switch {
		case file == "package.json":
			if info.PackageJSON != nil {
				return nil, errTarball("package/package.json appears more than once.")
			}
			if h.Size > maxPackageJSON {
				return nil, errTarball("package/package.json is larger than %d bytes.", maxPackageJSON)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, tarErr(err, counted)
			}
			info.PackageJSON = b
		case file == "npm-shrinkwrap.json":
			info.HasShrinkwrap = true
		case readmeRankOf(file) > readmeRank:
			b, err := io.ReadAll(io.LimitReader(tr, maxReadme))
			if err != nil {
				return nil, tarErr(err, counted)
			}
			readmeRank, info.Readme, info.ReadmeFile = readmeRankOf(file), string(bytes.ToValidUTF8(b, nil)), file
		}
	}
	// The rest of the gzip stream (tar padding, the trailer with its
	// CRC) must be intact too, and nothing may follow it.
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return nil, tarErr(err, counted)
	}
	if info.PackageJSON == nil {
		return nil, errTarball("it has no package/package.json.")
	}
	return info, nil
}

// readmeRankOf prefers README.md, then other README files, as npm does.
func readmeRankOf(file string) int {
	lower := strings.ToLower(file)
	switch {
	case lower == "readme.md":
		return 3
	case lower == "readme.markdown":
		return 2
	case lower == "readme" || strings.HasPrefix(lower, "readme."):
		return 1
	}
	return 0
}

func tarErr(err error, c *archive.LimitedCounter) error {
	if c.Exceeded() {
		return errTarball("it expands to more than %d bytes.", int64(maxUnpacked))
	}
	var me *model.Error
	if errors.As(err, &me) {
		return err
	}
	return errTarball("%v.", err)
}
