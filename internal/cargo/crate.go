package cargo

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
)

// crateLimits bound the unpacking of a .crate: the upload defaults, but
// crates.io's 512 MiB for the unpacked total (its max_unpack_size).
var crateLimits = func() archive.Limits {
	l := archive.DefaultLimits
	l.MaxUnpacked = 512 << 20
	return l
}()

// Bounds on the files read out of a .crate.
const (
	maxManifestBytes = 1 << 20
	maxReadmeBytes   = 4 << 20
)

// readmeNames are the files cargo picks as a readme when the manifest
// names none, in its order; read only when the publish JSON has none.
var readmeNames = []string{"README.md", "README.txt", "README"}

// crateFacts is what a .crate's bytes told.
type crateFacts struct {
	cksum  string // SHA-256 of the .crate, lowercase hex
	readme string // from the .crate, when wanted and found
}

// checkCrate reads a .crate to its end under crateLimits and requires
// what cargo and crates.io require of one: a gzip-compressed tar whose
// entries all lie in the directory NAME-VERSION/, with a Cargo.toml
// there whose package name and version are those the publish metadata
// gives. When wantReadme, it also returns the readme the metadata
// points at (readmeFile) or cargo's default one.
func checkCrate(r io.Reader, name, vers, readmeFile string, wantReadme bool) (*crateFacts, error) {
	h := sha256.New()
	src := io.TeeReader(r, h)
	dir := name + "-" + vers + "/"
	var readmes []string
	if wantReadme {
		if readmeFile != "" {
			// A readme outside the package is packaged at its root
			// under its own name.
			p := path.Clean(strings.ReplaceAll(readmeFile, `\`, "/"))
			readmes = []string{p}
			if b := path.Base(p); b != p {
				readmes = append(readmes, b)
			}
		} else {
			readmes = readmeNames
		}
	}
	facts := &crateFacts{}
	found := false
	readmeRank := len(readmes)
	err := archive.WalkTarGz(src, crateLimits, func(entry string, hd *tar.Header, body io.Reader) error {
		rel, ok := strings.CutPrefix(entry, dir)
		if !ok && entry != strings.TrimSuffix(dir, "/") {
			return badCrate("entry %q is outside the directory %s every file of %s %s must be in", entry, dir, name, vers)
		}
		if hd.Typeflag != tar.TypeReg {
			return nil
		}
		if rel == "Cargo.toml" {
			found = true
			return checkManifest(body, name, vers)
		}
		for i, want := range readmes[:readmeRank] {
			if rel == want {
				b, err := io.ReadAll(io.LimitReader(body, maxReadmeBytes+1))
				if err != nil {
					return err
				}
				if len(b) > maxReadmeBytes {
					return badCrate("its readme %s is larger than %d bytes", rel, maxReadmeBytes)
				}
				facts.readme, readmeRank = string(b), i
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, badCrate("it has no %sCargo.toml", dir)
	}
	// The walker reads the stream to its end; anything after would be
	// part of the checksum too.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, err
	}
	facts.cksum = hex.EncodeToString(h.Sum(nil))
	return facts, nil
}

// manifest is the part of Cargo.toml a publish is checked against.
type manifest struct {
	Package *struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
	} `toml:"package"`
}

// checkManifest requires the .crate's Cargo.toml (which cargo package
// writes normalized: plain strings, no workspace inheritance) to name the
// crate and version being published.
func checkManifest(r io.Reader, name, vers string) error {
	b, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxManifestBytes {
		return badCrate("its Cargo.toml is larger than %d bytes", maxManifestBytes)
	}
	var m manifest
	if _, err := toml.Decode(string(b), &m); err != nil {
		return badCrate("its Cargo.toml is not valid TOML with string package.name and package.version: %v", err)
	}
	if m.Package == nil {
		return badCrate("its Cargo.toml has no [package] table")
	}
	if m.Package.Name != name {
		return badCrate("its Cargo.toml names the crate %q, but the publish is of %q", m.Package.Name, name)
	}
	want, _ := semver.Parse(vers)
	got, ok := semver.Parse(m.Package.Version)
	if !ok || got.Compare(want) != 0 {
		return badCrate("its Cargo.toml gives version %q, but the publish is of %s", m.Package.Version, vers)
	}
	return nil
}

// crateError is a .crate refused for what it holds.
type crateError struct{ msg string }

func (e *crateError) Error() string { return e.msg }

func badCrate(format string, args ...any) error {
	return &crateError{msg: fmt.Sprintf(format, args...)}
}

// refusal turns what checkCrate failed with into the error the client
// gets: a limit is 413, anything else wrong with the .crate 400, and a
// failure that is not the upload's fault stays as it is.
func refusal(err error) error {
	var ae *archive.Error
	var ce *crateError
	switch {
	case errors.As(err, &ae) && ae.Kind == archive.KindLimit:
		return model.QuotaExceeded(model.ResourceAsset, "", "The .crate file is refused: %s.", ae.Msg)
	case errors.As(err, &ae):
		return model.InvalidParameter("The .crate file is refused: %s.", ae.Msg)
	case errors.As(err, &ce):
		return model.InvalidParameter("The .crate file is refused: %s.", ce.msg)
	}
	return err
}
